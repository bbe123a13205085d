"""Issue 13: simulate's TOML assumption files, hostile or broken, give a valid Assumptions or a named error.

Law (Hypothesis, strategies in ``strategies.py``): for any bytes, ``load_toml`` either returns Assumptions
whose fields are the file's own values (nothing clipped or defaulted over what the file says) and valid
(M >= 2, B > C finite, 0 < delta <= B - C, capacity <= M), or raises ValueError/TypeError/UsageError whose
message names the file; never another exception. The command line turns the same files into one line and
exit 2. Plus the named cases of the issue: non-UTF-8 text, a syntax error (with its line), unknown keys,
wrong types.
"""
from __future__ import annotations

import math
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings

from infogeo.runner import UsageError
from simulate.__main__ import main
from simulate.assumptions import Assumptions, load_toml

from .strategies import assumption_files

_DIR = tempfile.mkdtemp(prefix="infogeo_toml_")


def _write(raw: bytes) -> str:
    path = os.path.join(_DIR, "a.toml")
    with open(path, "wb") as f:
        f.write(raw)
    return path


def _same(given_value, field_value) -> bool:
    if isinstance(given_value, bool) or not isinstance(given_value, (int, float)):
        return False  # a bool or string cannot become a valid number
    return math.isclose(float(given_value), float(field_value), rel_tol=0, abs_tol=0)


@settings(max_examples=80, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(assumption_files())
def test_any_file_loads_to_valid_assumptions_or_a_named_error(file):
    raw, doc = file
    path = _write(raw)
    try:
        a = load_toml(path)
    except (ValueError, TypeError, UsageError) as exc:
        assert path in str(exc), str(exc)
        return
    assert isinstance(a, Assumptions)
    assert isinstance(a.M, int) and a.M >= 2
    assert math.isfinite(a.B) and math.isfinite(a.C) and a.B > a.C and 0 < a.delta <= a.B - a.C
    assert a.capacity is None or 1 <= a.capacity <= a.M
    for key, v in ((doc or {}).get("model") or {}).items():  # the file's values are the ones used
        if key == "M" and getattr(a.law, "name", "") == "empirical":
            continue  # an empirical law sets M to its number of skills (documented)
        assert _same(v, getattr(a, key)), (key, v, getattr(a, key))


@pytest.mark.parametrize("raw, needles", [
    (b"[law]\nname = 'power'\nalpha = 0.5\n# caf\xe9\n", ["not UTF-8", "line 4"]),
    (b"[law]\nname = 'power'\nalpha = 0.5\n[model\n", ["malformed TOML", "line 4"]),
    (b"[law]\nname = 'power'\nalpha = 0.5\n[model]\nMM = 3\n", ["unknown key(s) ['MM']"]),
    (b"[law]\nname = 'power'\nalpha = 0.5\n[extra]\nx = 1\n", ["unknown section(s) ['extra']"]),
    (b"[law]\nname = 'power'\nalpha = 'half'\n", ["alpha must be a real number"]),
    (b"[law]\nname = 'power'\nalpha = nan\n", ["alpha must be finite"]),
    (b"[law]\nname = 'power'\nalpha = 0.5\n[model]\nM = -5\n", ["M must be an integer >= 2"]),
    (b"[law]\nname = 'power'\nalpha = 0.5\n[model]\nB = true\n", ["B must be a real number"]),
    (b"[law]\nname = ['power']\n", ["law.name must be one of"]),
    (b"[law]\npython = 3\n", ["law.python must look like"]),
    (b"[law]\nname = 'power'\nalpha = 0.5\n[model]\nM = 100\ncapacity = 1000\n", ["capacity must be <= M=100"]),
    (b"law = 3\n", ["[law] must be a table"]),
    (b"", ["law is required"]),
])
def test_named_toml_errors_are_one_line_with_the_file(raw, needles, capsys):
    path = _write(raw)
    assert main(["--assumptions", path, "--n-boot", "0", "--points", "100"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert path in err, err
    for n in needles:
        assert n in err, (n, err)


def test_a_folder_given_as_the_file_is_named(tmp_path, capsys):
    assert main(["--assumptions", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
