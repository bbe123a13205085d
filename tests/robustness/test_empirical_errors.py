"""Issue 13, the empirical layer's silent cases and misleading messages, each with the law it now keeps.

* a loss CSV with two different rows for one checkpoint is refused, naming the file, the key, the column and
  both values (exact repeats are dropped with a warning: the result is the table without them);
* token rows near the float64 limits (1e300, 1e-300) give the measures of the same rows at scale 1
  (l2 normalization is scale-free), instead of "all-zero row" or a silent 0 information gain;
* text files: non-UTF-8 bytes, a ``.gz`` that is not gzip, a non-string JSONL field name the file and line;
* a model folder without a tokenizer, and a truncated ``model.safetensors``, are one error naming the folder;
* an empty lock file left by a crash is stale, not "held" forever;
* negative ``--seed`` (every subcommand) and an unknown ``--loss-column`` are named before any work.
"""
from __future__ import annotations

import gzip
import json
import logging
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from empirical.fit.pythia import DEFAULT_LOSS, load_pythia, read_loss_csv
from empirical.measure import metrics as M
from empirical.measure.texts import load_texts

ROOT = Path(__file__).resolve().parents[2]


def _one_line(err: str, prog: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("INFO", "Loading", "WARNING"))]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def small_table() -> pd.DataFrame:
    d = load_pythia()
    return d[d["model"].isin(["pythia-70m", "pythia-160m"])].reset_index(drop=True)


# --------------------------------------------------------------------------- loss CSV duplicates
def test_conflicting_duplicate_rows_are_refused_naming_file_key_column_and_values(small_table, tmp_path):
    bad = pd.concat([small_table, small_table.iloc[[5]].assign(**{DEFAULT_LOSS: 9.25})], ignore_index=True)
    path = tmp_path / "dup.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError) as e:
        read_loss_csv(path)
    msg = str(e.value)
    r = small_table.iloc[5]
    for part in (str(path), repr(r["model"]), f"step {r['step']:g}", DEFAULT_LOSS, "9.25", repr(float(r[DEFAULT_LOSS])),
                 "line 7", f"line {len(bad) + 1}"):
        assert part in msg, (part, msg)


def test_exact_repeats_are_dropped_with_a_warning_and_change_nothing(small_table, tmp_path, caplog):
    path, twice = tmp_path / "once.csv", tmp_path / "twice.csv"
    small_table.to_csv(path, index=False)
    pd.concat([small_table, small_table.iloc[:4]]).to_csv(twice, index=False)
    with caplog.at_level(logging.WARNING, logger="empirical.fit"):
        got = read_loss_csv(twice)
    assert any("dropped 4 row(s)" in r.getMessage() and str(twice) in r.getMessage() for r in caplog.records)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), read_loss_csv(path).reset_index(drop=True))


def test_two_selected_rows_of_one_checkpoint_are_refused_not_first_kept(small_table, tmp_path):
    from empirical.fit.analyses import select_rows

    std = small_table[(small_table["run"] == "standard") & (small_table["shots"] == 0)]
    other = std.iloc[[0]].assign(source_dir="elsewhere", **{DEFAULT_LOSS: std.iloc[0][DEFAULT_LOSS] + 1})
    path = tmp_path / "two_sources.csv"
    pd.concat([small_table, other]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="selected rows for model") as e:
        select_rows(read_loss_csv(path))
    assert str(path) in str(e.value) and "elsewhere" in str(e.value)


@pytest.mark.parametrize("value", [1e300, 1e-300])
def test_losses_where_the_fit_would_overflow_are_refused_naming_file_and_column(small_table, tmp_path, value):
    from empirical.fit import fit_power_law
    from empirical.fit.solver import LOSS_RANGE

    bad = small_table.copy()
    bad.loc[3, DEFAULT_LOSS] = value
    bad.to_csv(tmp_path / "big.csv", index=False)
    where = f"column '{DEFAULT_LOSS}' of {tmp_path / 'big.csv'} holds {value:g}"
    with pytest.raises(ValueError, match=re.escape(where)):
        read_loss_csv(tmp_path / "big.csv")
    x = np.geomspace(1e6, 1e9, 8)
    with pytest.raises(ValueError, match="outside"):
        fit_power_law(x, np.full(8, value), n_boot=0, y_name="loss")
    fit_power_law(x, (2 + 30 * x ** -0.3) * LOSS_RANGE[1] / 100, n_boot=0)  # the range's edge still fits


# --------------------------------------------------------------------------- states near the float64 limits
@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e-200, 1e150])
def test_measures_of_rows_near_the_float64_limits_equal_those_at_scale_one(scale):
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((6, 9))
    ref_e, got_e = M.entropy_measures(Z), M.entropy_measures(Z * scale)
    for k in ("L_eps", "L_eps_normalized", "matrix_entropy"):
        assert got_e[k] == pytest.approx(ref_e[k], rel=1e-9), k
    np.testing.assert_allclose(M.info_gain_curve(Z * scale)["info_gain"], M.info_gain_curve(Z)["info_gain"],
                               rtol=1e-9)
    W = rng.standard_normal((7, 9))
    for metric in ("js", "logdet"):
        assert M.sentence_distance(Z * scale, W * scale, metric) == pytest.approx(
            M.sentence_distance(Z, W, metric), rel=1e-6, abs=1e-9)


def test_unnormalized_rows_that_overflow_are_refused_naming_overflow():
    Z = np.full((3, 4), 1e300)
    with pytest.raises(ValueError, match="overflow"):
        M.info_gain_curve(Z, normalize=False)
    with pytest.raises(ValueError, match="all-zero token row"):
        M.entropy_measures(np.array([[1.0, 2.0], [0.0, 0.0]]))


# --------------------------------------------------------------------------- text files
@pytest.mark.parametrize("name, data, expect", [
    ("t.txt", b"good line\n\xff\xfe not utf-8\n", ":2: not UTF-8"),
    ("t.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9"}\n', ":2: not UTF-8"),
    ("t.jsonl.gz", b"this is not gzip", "not a valid gzip file"),
    ("t.jsonl", b'{"text": "ok"}\n\n{"text": 3}\n', ":3: field 'text' is a number, expected a string"),
    ("t.jsonl", b'{"text": ["a"]}\n', ":1: field 'text' is a list, expected a string"),
    ("t.jsonl", b'[1, 2]\n', ":1: expected a JSON object"),
    ("t.jsonl", b'{"text": "  "}\n', ":1: field 'text' is an empty text"),
])
def test_text_file_errors_name_the_file_and_line(tmp_path, name, data, expect):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError) as e:
        load_texts(path)
    assert str(e.value).startswith(str(path)) and expect in str(e.value), str(e.value)


def test_a_truncated_gzip_and_a_bom_are_handled(tmp_path):
    good = b'{"text": "a"}\n' * 200
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(good)[:25])
    with pytest.raises(ValueError, match="not a valid gzip file"):
        load_texts(tmp_path / "cut.jsonl.gz")
    (tmp_path / "bom.jsonl").write_bytes(b'\xef\xbb\xbf{"text": "first"}\n{"text": "second"}\n')
    assert load_texts(tmp_path / "bom.jsonl") == ["first", "second"]
    (tmp_path / "ok.txt.gz").write_bytes(gzip.compress(b"one\r\n\r\ntwo\n"))
    assert load_texts(tmp_path / "ok.txt.gz") == ["one", "two"]


def test_a_non_utf8_jobs_file_and_a_damaged_marker_are_named(tmp_path):
    from empirical.measure import jobs as J
    from empirical.measure.config import MeasureConfig

    (tmp_path / "jobs.txt").write_bytes(b"EleutherAI/pythia-70m step1\n\xff\n")
    with pytest.raises(ValueError, match=r"jobs.txt:2: not UTF-8"):
        J.read_jobs(tmp_path / "jobs.txt")
    (tmp_path / J.MARKER).write_text("{half")
    with pytest.raises(ValueError, match="_done.json is damaged"):
        J.finished(tmp_path, model="m", revision=None, config=MeasureConfig())


# --------------------------------------------------------------------------- model folders
def _copy_model(family: Path, dst: Path, *, tokenizer: bool) -> Path:
    dst.mkdir()
    for f in (family / "step0").iterdir():
        shutil.copy(f, dst / f.name)
    if tokenizer:
        for f in family.glob("tokenizer*"):
            shutil.copy(f, dst / f.name)
    return dst


def test_a_model_folder_without_tokenizer_is_named_before_measuring(tiny_family, tmp_path, capsys):
    from empirical.measure.cli import main

    model = _copy_model(tiny_family, tmp_path / "no_tok", tokenizer=False)
    (tmp_path / "t.txt").write_text("the quick brown fox\n")
    rc = main(["--model", str(model), "--texts", str(tmp_path / "t.txt"), "--measurements", "entropy",
               "--device", "cpu", "--no-progress", "--out", str(tmp_path / "out")])
    line = _one_line(capsys.readouterr().err, "python -m empirical measure")
    assert rc == 2 and f"model folder {model} has no tokenizer" in line and "tokenizer.json" in line
    assert not (tmp_path / "out" / "entropy.csv").exists()


def test_a_truncated_safetensors_is_one_line_naming_the_folder_and_file(tiny_family, tmp_path, capsys):
    from empirical.measure.cli import main

    model = _copy_model(tiny_family, tmp_path / "cut", tokenizer=True)
    w = model / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    (tmp_path / "t.txt").write_text("the quick brown fox\n")
    rc = main(["--model", str(model), "--texts", str(tmp_path / "t.txt"), "--measurements", "entropy",
               "--device", "cpu", "--no-progress", "--out", str(tmp_path / "out")])
    line = _one_line(capsys.readouterr().err, "python -m empirical measure")
    assert rc == 2 and str(model) in line and "model.safetensors" in line


# --------------------------------------------------------------------------- lock files
def test_an_empty_lock_left_by_a_crash_is_stale_and_a_young_one_is_waited_for(tmp_path, monkeypatch):
    from empirical.measure import outputs

    lock = tmp_path / outputs.LOCK
    lock.write_bytes(b"")
    old = time.time() - 10 * outputs.DAMAGED_LOCK_AGE_S
    os.utime(lock, (old, old))
    with outputs.OutputLock(tmp_path) as held:
        assert json.loads(lock.read_text())["pid"] == os.getpid() == held.record["pid"]
    assert not lock.exists()
    monkeypatch.setattr(outputs, "DAMAGED_LOCK_AGE_S", 0.3)
    lock.write_bytes(b"[]")  # young and not a record: waited for, then judged stale
    t0 = time.monotonic()
    with outputs.OutputLock(tmp_path):
        assert time.monotonic() - t0 >= 0.25


# --------------------------------------------------------------------------- options named before work
@pytest.mark.parametrize("module, argv, prog", [
    ("empirical.fit.cli", ["--seed", "-1"], "python -m empirical fit"),
    ("empirical.measure.cli", ["--seed", "-1"], "python -m empirical measure"),
    ("empirical.minipythia.__main__", ["train", "--seed", "-1"], "infogeo minipythia"),
    ("empirical.minipythia.__main__", ["path", "--seed", "-1"], "infogeo minipythia"),
    ("empirical.minipythia.__main__", ["losses", "--seed", "-1"], "infogeo minipythia"),
])
def test_a_negative_seed_names_the_option_everywhere(module, argv, prog, capsys):
    import importlib

    rc = importlib.import_module(module).main(argv)
    line = _one_line(capsys.readouterr().err, prog)
    assert rc == 2 and "--seed" in line and "-1" in line


@pytest.mark.parametrize("data", [False, True])
def test_an_unknown_loss_column_is_named_before_fitting(data, small_table, tmp_path, capsys, monkeypatch):
    from empirical.fit import analyses, cli

    monkeypatch.setattr(analyses, "run_analyses", lambda *a, **k: pytest.fail("fitting started"))
    argv = ["--loss-column", "nope", "--out", str(tmp_path / "o")]
    if data:
        small_table.to_csv(tmp_path / "d.csv", index=False)
        argv += ["--data", str(tmp_path / "d.csv")]
    assert cli.main(argv) == 2
    line = _one_line(capsys.readouterr().err, "python -m empirical fit")
    assert "--loss-column 'nope'" in line and DEFAULT_LOSS in line
