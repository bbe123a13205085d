"""Issue 13's sweep, simulate and theory part: bad and edge inputs through the real command lines.

Every input below goes through ``python -m simulate`` (single run, ``sweep``, ``graph``) or ``python -m theory``,
in-process (``main(argv)``) and, for the size cases whose failure would be a runaway, in a subprocess under a
2 GB address-space limit. Each outcome is classified:

- ``clean``: exit 2 and exactly one stderr line ``<prog>: error: ...`` that contains the expected name (the
  option, file, key or plug-in at fault);
- ``ok``: exit 0 and a valid result (JSON parsed; every exponent row either fitted or saying why not; at least
  one fitted where theory predicts; the window reported is the one used, inside 1..M);
- ``traceback``: a traceback or an internal error;
- ``silent``: exit 0 with an all-NaN or inconsistent result, or an exit 2 that does not name what is wrong;
- ``runaway``: past the time guard (10 s in-process, 60 s in a subprocess) or killed for memory.

The test asserts that each input gets the outcome listed for it (``clean`` or ``ok``), so none is silent, a
runaway or a traceback. Inputs per category (114 in all, ~10 s on one core):

==========  =====  ===================================================================================
category    count  what
==========  =====  ===================================================================================
usage          25  unknown options, missing values, non-numbers, NaN/inf, negative and zero counts
paths           8  --csv/--out as a folder, in a missing folder; --assumptions missing or a folder
sizes          17  M, edges, texts, points, replicates, n-boot, hits far beyond memory; tiny M; 1e6-style
numerics       24  alpha, B, C, delta, r, noise at the edges of float64; windows; k and capacity vs M
plug-ins       13  registered and TOML python plug-ins failing at import, construction and run time
files          17  TOML: non-UTF-8, syntax errors, unknown keys and sections, wrong types, empty, binary
theory         10  python -m theory: unknown claim, bad seed, list, a claim run
==========  =====  ===================================================================================
"""
from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulate.__main__ import main as simulate_main
from simulate.assumptions import REGISTRY, Order, register
from theory.__main__ import main as theory_main

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--n-boot", "0", "--points", "60", "--no-progress"]
S = ["--alpha", "0.5", "--skills", "1000"]  # a small valid run


class _Runaway(BaseException):
    """Raised by the time guard; a BaseException so that the runner does not catch it."""


def _alarm(signum, frame):
    raise _Runaway


class _BadStart(Order):
    name = "bad_start"

    def starts(self, durations):
        raise RuntimeError("user bug in starts")


class _BadInit(Order):
    name = "bad_init"

    def __init__(self):
        raise KeyError("missing setting")


class _BadLaw:
    name = "bad_law"
    alpha = 0.5

    def probabilities(self, M):
        return [1.0]  # wrong shape: the engine's check names the law


def _cases(tmp: Path):
    """(category, entry, argv, expected outcome, text the message must contain)."""
    def toml(name, raw: bytes):
        f = tmp / name
        f.write_bytes(raw)
        return str(f)

    (tmp / "syntax.py").write_text("class P(:\n")
    (tmp / "ctor.py").write_text("class P:\n    name = 'ctor'\n    def __init__(self):\n        1 / 0\n")
    (tmp / "run.py").write_text("class P:\n    name = 'runcost'\n    def expected_flops(self, p, B, C, d):\n"
                                "        raise OSError('disk on fire')\n")
    (tmp / "ok.py").write_text("class P:\n    name = 'sqrt'\n    def expected_flops(self, p, B, C, d):\n"
                               "        r = p ** -0.5\n        return r / r.min() * (B - C) / d\n")
    law = b"[law]\nname = 'power'\nalpha = 0.5\n"

    def plug(section, ref):
        return toml(f"plug_{section}_{ref.replace(':', '_').replace('.', '_')}.toml",
                    law + f"[{section}]\npython = '{ref}'\n[model]\nM = 1000\n".encode())

    a_dir = tmp / "a_dir"
    a_dir.mkdir()
    G = ["graph", "--alpha", "0.5"]
    W = ["sweep", "--alphas", "0.5"]
    c = []
    add = c.append
    # ------------------------------------------------------------------ usage
    for argv, needle in [
        (["--bogus"], "--bogus"), (["--alpha"], "--alpha"), (["--alpha", "x"], "--alpha"),
        (["--alpha", "nan"], "--alpha"), (["--alpha", "inf"], "--alpha"), (["--alpha", "-1"], "--alpha"),
        (["--alpha", "0"], "--alpha"), ([], "--alpha is required"), (S + ["--seed", "-1"], "--seed"),
        (S + ["--seed", "1.5"], "--seed"), (S + ["--order", "backwards"], "order"), (S + ["--mode", "x"], "--mode"),
        (S + ["--estimator", "x"], "--estimator"), (S + ["--replicates", "1", "--mode", "stochastic"], "--replicates"),
        (S + ["--n-boot", "-1"], "--n-boot"), (S + ["--points", "2"], "--points"), (S + ["--k", "0"], "--k"),
        (S + ["--window", "5"], "--window"), (W + ["--seeds", "-3"], "--seeds"), (["sweep"], "--alphas"),
        (W + ["--alphas", "inf"], "--alphas"), (G[:2], "--alpha"), (G + ["--edges", "-5"], "--edges"),
        (G + ["--model", "x"], "--model"), (["sweep", "--alphas", "0.5", "--orders"], "--orders"),
    ]:
        add(("usage", "simulate", argv, "clean", needle))
    # ------------------------------------------------------------------ paths
    for argv, needle in [
        (S + ["--csv", str(a_dir)], "--csv"), (S + ["--csv", str(tmp / "missing" / "x.csv")], "--csv"),
        (W + ["--out", str(a_dir)], "--out"), (W + ["--out", str(tmp / "missing" / "x.csv")], "--out"),
        (["--assumptions", str(tmp / "nope.toml")], "nope.toml"), (["--assumptions", str(a_dir)], "a_dir"),
    ]:
        add(("paths", "simulate", argv + FAST, "clean", needle))
    add(("paths", "simulate", S + ["--csv", str(tmp / "out.csv")] + FAST, "ok", ""))
    add(("paths", "simulate", W + ["--skills", "1000", "--out", str(tmp / "sweep.csv")] + FAST, "ok", ""))
    # ------------------------------------------------------------------ sizes (in-process)
    for argv, needle in [
        (["--alpha", "0.5", "--skills", "1e9"], "--skills 1000000000 needs"),
        (S + ["--points", "1e10"], "--points 10000000000 needs"),
        (S + ["--n-boot", "1e13"], "--n-boot 10000000000000 needs"),
        (["--alpha", "0.5", "--skills", "1e6", "--mode", "stochastic", "--replicates", "1e6"], "--replicates"),
        (S + ["--mode", "stochastic", "--delta", "1e-7"], "hit events"),
        (G + ["--edges", "1e12"], "--edges 1000000000000 needs"),
        (G + ["--skills", "1e11"], "--skills 100000000000 needs"),
        (W + ["--skills", "1e10"], "--skills 10000000000 needs"),
        (["--alpha", "0.5", "--skills", "10"], "--skills 10"), (["--alpha", "0.5", "--skills", "2"], "--skills 2"),
        (["--alpha", "0.5", "--skills", "1"], "--skills"),
        (G + ["--edges", "10"], "--edges 10"), (G + ["--skills", "2", "--edges", "1000"], "--skills 2"),
    ]:
        tail = [] if argv[0] == "graph" else ["--no-progress"] if argv[0] == "sweep" else None
        add(("sizes", "simulate", argv + tail if tail is not None else FAST + argv, "clean", needle))
    add(("sizes", "simulate", ["--alpha", "0.5", "--skills", "1e3"] + FAST, "ok", ""))
    add(("sizes", "simulate", G + ["--skills", "2000", "--edges", "1e5", "--texts", "1e15", "--json"], "ok", ""))
    add(("sizes", "simulate", ["--alpha", "0.5", "--skills", "60"] + FAST, "ok", ""))
    add(("sizes", "subprocess", ["--alpha", "0.5", "--skills", "1000000000"], "clean", "--skills 1000000000"))
    # ------------------------------------------------------------------ numerics
    for argv, needle in [
        (["--alpha", "1e-9", "--skills", "10000"], "alpha=1e-09"), (["--alpha", "1e300", "--skills", "1000"], "alpha"),
        (["--alpha", "100", "--skills", "10000"], "alpha=100"), (S + ["--B", "nan"], "--B"),
        (S + ["--C", "inf"], "--C"), (S + ["--B", "1", "--C", "1"], "B must exceed C"), (S + ["--delta", "2"], "delta"),
        (S + ["--delta", "0"], "--delta"),
        (S + ["--delta-noise", "-1"], "--delta-noise"), (S + ["--delta-noise", "100"], "delta_noise=100"),
        (S + ["--B", "1e300", "--C", "0"], "overflow"), (S + ["--r", "0"], "--r"), (S + ["--r", "nan"], "--r"),
        (S + ["--window", "100", "100000"], "--window N_HI=100000"), (S + ["--window", "50", "10"], "--window"),
        (S + ["--window", "3", "5"], "--window 3 5"), (S + ["--window", "0", "10"], "--window"),
        (S + ["--order", "k_at_a_time", "--k", "5000"], "--k 5000"), (S + ["--capacity", "2000"], "--capacity 2000"),
        (S + ["--capacity", "50", "--window", "10", "100"], "--capacity 50"),
    ]:
        add(("numerics", "simulate", argv + FAST, "clean", needle))
    for argv in (S + ["--alpha", "50"], S + ["--delta", "1e-300"], S + ["--r", "1e300"], S + ["--order", "parallel",
                                                                                            "--cost", "constant"]):
        add(("numerics", "simulate", argv + FAST, "ok", ""))
    # ------------------------------------------------------------------ plug-ins
    for argv, needle in [
        (S + ["--order", "bad_start"], "plug-in 'bad_start' failed while running"),
        (S + ["--order", "bad_init"], "plug-in 'bad_init' failed in its constructor"),
        (S + ["--order", "bad_law_order"], "order"),
        (["--assumptions", plug("cost", "syntax.py:P")], "syntax.py"),
        (["--assumptions", plug("cost", "ctor.py:P")], "plug-in 'ctor.py:P' failed in its constructor"),
        (["--assumptions", plug("cost", "run.py:P")], "plug-in 'runcost' failed while running"),
        (["--assumptions", plug("cost", "missing.py:P")], "missing.py"),
        (["--assumptions", plug("cost", "ok.py:Nope")], "no attribute 'Nope'"),
        (["--assumptions", plug("cost", "ok.py")], "file.py:ClassName"),
        (["--assumptions", plug("order", "ok.py:P")], "starts"),
    ]:
        add(("plug-ins", "simulate", argv + FAST, "clean", needle))
    add(("plug-ins", "simulate", ["--assumptions", plug("cost", "ok.py:P")] + FAST, "ok", ""))
    add(("plug-ins", "library", "bad_law", "clean", "bad_law"))
    add(("plug-ins", "simulate", ["--assumptions", str(ROOT / "simulate/examples/sqrt_cost.toml"), "--skills",
                                  "1000"] + FAST, "ok", ""))
    # ------------------------------------------------------------------ files (TOML)
    for name, raw, needle in [
        ("latin1.toml", law + b"# caf\xe9\n", "not UTF-8"), ("syntax.toml", law + b"[model\n", "line 4"),
        ("unknown_key.toml", law + b"[model]\nMM = 1\n", "MM"), ("unknown_sec.toml", law + b"[x]\na = 1\n", "['x']"),
        ("str_alpha.toml", b"[law]\nname = 'power'\nalpha = 'half'\n", "alpha"),
        ("nan_alpha.toml", b"[law]\nname = 'power'\nalpha = nan\n", "alpha"),
        ("neg_m.toml", law + b"[model]\nM = -5\n", "M must be"), ("bool_b.toml", law + b"[model]\nB = true\n", "B"),
        ("list_name.toml", b"[law]\nname = ['power']\n", "law.name"), ("int_python.toml", b"[law]\npython = 3\n",
                                                                        "law.python"),
        ("empty.toml", b"", "law is required"), ("binary.toml", bytes(range(256)), "binary.toml"),
        ("dup.toml", law + b"alpha = 0.6\n", "line 4"), ("table_law.toml", b"law = 3\n", "[law]"),
        ("emp.toml", b"[law]\nname = 'empirical'\nprobabilities = [0.5, 0.3, 0.1]\n", "sum to 1"),
        ("cap.toml", law + b"[model]\nM = 100\ncapacity = 1000\n", "capacity"),
    ]:
        add(("files", "simulate", ["--assumptions", toml(name, raw)] + FAST, "clean", needle))
    add(("files", "simulate", ["--assumptions", toml("good.toml", law + b"[model]\nM = 1000\n")] + FAST, "ok", ""))
    # ------------------------------------------------------------------ theory
    for argv, needle in [
        (["--claim", "nope"], "unknown claim id 'nope'"), (["--seed", "-1"], "--seed"), (["--seed", "1e3"], "--seed"),
        (["--claim"], "--claim"), (["--bogus"], "--bogus"), (["--json", "--seed", "x"], "--seed"),
    ]:
        add(("theory", "theory", argv, "clean", needle))
    add(("theory", "theory", ["--list"], "ok", ""))
    add(("theory", "theory", ["--claim", "eq-1", "--json"], "ok", ""))
    add(("theory", "theory", ["--claim", "eq-1", "--seed", "7"], "ok", ""))
    add(("theory", "subprocess-theory", ["--claim", "nope"], "clean", "unknown claim id"))
    return c


def _valid_simulate_output(out: str, argv) -> bool:
    """An exit-0 result is valid: parsed, rows fitted or explained, a fit where theory predicts one."""
    if argv and argv[0] == "graph":
        r = json.loads(out)
        return math.isfinite(r["alpha_hat"]) and r["ci_low"] <= r["alpha_hat"] <= r["ci_high"]
    if argv and argv[0] == "sweep":
        return True  # written to --out; its rows are checked by the file read below
    r = json.loads(out)
    rows = r["exponents"]
    fitted = [x for x in rows if x["fitted"] is not None]
    explained = all(x["fitted"] is not None or x["note"] for x in rows)
    predicted = [x for x in rows if x["predicted"] is not None]
    lo, hi = r["estimator"]["window_skills"]
    return bool(rows) and explained and (fitted or not predicted) and 1 <= lo < hi <= r["assumptions"]["M"]


def _run_in_process(entry, argv, capsys):
    main = theory_main if entry == "theory" else simulate_main
    if entry == "simulate" and argv and argv[0] not in ("graph", "sweep") and "--csv" not in argv:
        argv = argv + ["--json"]
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        rc = main(argv)
    except _Runaway:
        return "runaway", "", ""
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


def _run_subprocess(module, argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        p = subprocess.run([sys.executable, "-m", module, *argv], capture_output=True, text=True, timeout=60,
                           env=env, cwd=ROOT, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        return "runaway", "", ""
    if p.returncode < 0:  # killed (memory)
        return "runaway", p.stdout, p.stderr
    return p.returncode, p.stdout, p.stderr


def _classify(rc, out, err, needle, entry, argv, tmp) -> str:
    if rc == "runaway":
        return "runaway"
    if "Traceback" in err or "internal error" in err or rc not in (0, 2):
        return "traceback"
    if rc == 2:
        lines = err.strip().splitlines()
        progs = ("python -m simulate", "python -m theory")
        one = len(lines) == 1 and lines[0].startswith(progs) and ": error: " in lines[0]
        return "clean" if one and needle in lines[0] else "silent"
    if entry.endswith("theory"):
        if "--json" in argv:
            return "ok" if all(r["error"] is None for r in json.loads(out)) else "silent"
        return "ok" if out.strip() else "silent"
    if "--csv" in argv:
        import pandas as pd

        df = pd.read_csv(argv[argv.index("--csv") + 1])
        return "ok" if df["fitted"].notna().any() else "silent"
    if argv[0] == "sweep":
        import pandas as pd

        df = pd.read_csv(argv[argv.index("--out") + 1])
        return "ok" if len(df) and df["fitted"].notna().any() else "silent"
    try:
        return "ok" if _valid_simulate_output(out, argv) else "silent"
    except (ValueError, KeyError):
        return "silent"


@pytest.fixture
def plugins():
    register("order", "bad_start", _BadStart)
    register("order", "bad_init", _BadInit)
    yield
    for name in ("bad_start", "bad_init"):
        REGISTRY["order"].pop(name, None)


def _library_case(name):
    """A plug-in object passed through the library (no command line): the error must name it."""
    import simulate

    try:
        simulate.run(simulate.Assumptions(law=_BadLaw(), M=100))
    except (ValueError, TypeError) as exc:
        return 2, "", f"python -m simulate: error: {exc}\n"
    return 0, "", ""


def test_sweep_has_no_silent_runaway_or_traceback_outcome(tmp_path, capsys, plugins):
    cases = _cases(tmp_path)
    counts: dict[str, int] = {}
    bad = []
    for category, entry, argv, expected, needle in cases:
        counts[category] = counts.get(category, 0) + 1
        if entry == "library":
            rc, out, err = _library_case(argv)
        elif entry.startswith("subprocess"):
            rc, out, err = _run_subprocess("theory" if entry.endswith("theory") else "simulate", argv)
        else:
            rc, out, err = _run_in_process(entry, argv, capsys)
        got = _classify(rc, out, err, needle, entry, argv, tmp_path)
        if got != expected:
            bad.append(f"[{category}] {entry} {' '.join(map(str, argv))}: expected {expected}, got {got}: "
                       f"{err.strip()[-400:]}")
    assert not bad, "\n".join(bad)
    assert counts == {"usage": 25, "paths": 8, "sizes": 17, "numerics": 24, "plug-ins": 13, "files": 17,
                      "theory": 10}, counts
