"""The one command-line runner (infogeo.runner) and every entry point that uses it.

Laws: a usage error is one line ``prog: error: ...`` and exit 2 at every entry
point; a bad path is named before any work; Ctrl-C is one line with a resume
hint and exit 130; a bug keeps its traceback and exits 1.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from infogeo.runner import PluginError, UsageError, run
from infogeo.validation import ValidationError, ValidationTypeError

ROOT = Path(__file__).resolve().parents[2]

ENTRY_POINTS = [  # (module whose main(argv) we call, argv prefix, prog printed)
    ("theory.__main__", [], "python -m theory"),
    ("simulate.__main__", [], "python -m simulate"),
    ("simulate.__main__", ["sweep", "--alphas", "0.5"], "python -m simulate sweep"),
    ("simulate.__main__", ["graph", "--alpha", "0.5"], "python -m simulate graph"),
    ("simulate.__main__", ["neural"], "python -m simulate neural"),
    ("empirical.__main__", ["fit"], "python -m empirical fit"),
    ("empirical.__main__", ["measure"], "python -m empirical measure"),
    ("empirical.fit.coverage", [], "python -m empirical.fit.coverage"),
    ("empirical.minipythia.__main__", ["train"], "infogeo minipythia"),
    ("reports.__main__", [], "python -m reports"),
    ("reports.skilllang_full", [], "python -m reports.skilllang_full"),
    ("infogeo.cli", ["theory"], "python -m theory"),
]


def _main(module):
    import importlib

    return importlib.import_module(module).main


def _one_error_line(err: str, prog: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("module, prefix, prog", ENTRY_POINTS)
def test_unknown_option_is_one_line_and_exit_2_everywhere(module, prefix, prog, capsys):
    rc = _main(module)([*prefix, "--no-such-option-xyz"])
    line = _one_error_line(capsys.readouterr().err, prog)
    assert rc == 2
    assert "--no-such-option-xyz" in line


@pytest.mark.parametrize("module, prefix, prog", [e for e in ENTRY_POINTS if e[1] != ["neural"]])
def test_help_exits_0(module, prefix, prog, capsys):
    assert _main(module)([*prefix, "--help"]) == 0
    assert "usage" in capsys.readouterr().out.lower()


def test_unknown_commands_are_usage_errors(capsys):
    from empirical.__main__ import main as emp
    from infogeo.cli import main as cli

    assert cli(["frobnicate"]) == 2
    _one_error_line(capsys.readouterr().err, "infogeo")
    assert emp(["frobnicate"]) == 2
    _one_error_line(capsys.readouterr().err, "python -m empirical")


# --- the runner's mapping, one law per row of its table --------------------------------------------------------

def _raiser(exc):
    def impl(argv):
        raise exc
    return impl


@pytest.mark.parametrize("exc, rc", [
    (ValidationError("--alpha must be positive, got -1"), 2),
    (ValidationTypeError("seed must be an integer"), 2),
    (UsageError("unknown subcommand 'x'"), 2),
    (FileNotFoundError(2, "No such file or directory", "/nowhere/data.csv"), 2),
    (PermissionError(13, "Permission denied", "/root/x"), 2),
    (FileNotFoundError("texts file not found: missing.jsonl"), 2),
    (OSError(28, "No space left on device"), 1),
    (PluginError("my_order", ZeroDivisionError("division by zero"), where="in its constructor"), 2),
])
def test_handled_errors_are_one_line(exc, rc, capsys, monkeypatch):
    monkeypatch.delenv("INFOGEO_TRACEBACK", raising=False)
    assert run("prog", _raiser(exc), []) == rc
    line = _one_error_line(capsys.readouterr().err, "prog")
    if getattr(exc, "filename", None):
        assert repr(exc.filename) in line  # the bad file is named
    if isinstance(exc, PluginError):
        assert "'my_order'" in line and "ZeroDivisionError" in line and "constructor" in line


def test_traceback_on_request(capsys, monkeypatch):
    monkeypatch.setenv("INFOGEO_TRACEBACK", "1")
    assert run("prog", _raiser(ValidationError("bad --x")), []) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().endswith("prog: error: bad --x")


@pytest.mark.parametrize("exc", [RuntimeError("inconsistent state"), KeyError("k"), AssertionError("x"),
                                 IndexError("z"), ValueError("cannot convert float NaN to integer"),
                                 TypeError("unsupported operand")])
def test_internal_errors_keep_their_traceback(exc, capsys):
    """A ValueError/TypeError no validator raised (int(NaN) inside the work) is a bug, not bad input (issue 24)."""
    assert run("prog", _raiser(exc), []) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and type(exc).__name__ in err
    assert err.strip().splitlines()[-1].startswith("prog: internal error")


def test_interrupt_prints_the_resume_hint_and_exits_130(capsys):
    assert run("prog", _raiser(KeyboardInterrupt()), [], resume=lambda: "rerun to resume from /tmp/out") == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["prog: interrupted; rerun to resume from /tmp/out"]


def test_exit_status_of_the_command_is_kept():
    assert run("prog", lambda argv: 1, []) == 1
    assert run("prog", lambda argv: None, []) == 0
    seen = []
    assert run("prog", lambda argv: seen.append(argv) or 0, ["a", "b"]) == 0 and seen == [["a", "b"]]


# --- paths are checked before the work starts -------------------------------------------------------------------

@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "a_file.txt"
    f.write_text("not a folder\n")
    return f


def test_bad_paths_are_named_before_work(a_file, tmp_path, capsys):
    from empirical.fit.cli import main as fit
    from reports.__main__ import main as reports
    from simulate.__main__ import main as simulate

    cases = [
        (fit, ["--out", str(a_file), "--n-boot", "10"], "python -m empirical fit", "is a file"),
        (fit, ["--data", str(tmp_path), "--out", str(tmp_path / "o")], "python -m empirical fit", "is a folder"),
        (fit, ["--data", str(tmp_path / "absent.csv"), "--out", str(tmp_path / "o")], "python -m empirical fit",
         "does not exist"),
        (reports, ["--out", str(a_file)], "python -m reports", "is a file"),
        (reports, ["--out", str(a_file / "sub")], "python -m reports", "is a file"),
        (simulate, ["--alpha", "0.5", "--csv", str(tmp_path)], "python -m simulate", "is a folder"),
        (simulate, ["sweep", "--alphas", "0.5", "--out", str(tmp_path / "missing" / "x.csv")],
         "python -m simulate sweep", "does not exist"),
    ]
    for main, argv, prog, needle in cases:
        t0 = time.perf_counter()
        rc = main(argv)
        line = _one_error_line(capsys.readouterr().err, prog)
        assert rc == 2, (argv, line)
        assert needle in line, (argv, line)
        assert time.perf_counter() - t0 < 20, f"{argv}: the path was checked only after the work"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to read-only folders")
def test_read_only_out_is_refused(tmp_path, capsys):
    from empirical.fit.cli import main as fit

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert fit(["--out", str(ro / "x")]) == 2
        assert "not writable" in _one_error_line(capsys.readouterr().err, "python -m empirical fit")
    finally:
        ro.chmod(0o700)


# --- a real Ctrl-C in a real process -------------------------------------------------------------------------------

def _stderr_reader(proc) -> tuple[list[str], threading.Thread]:
    """Collect ``proc``'s stderr a character at a time in a thread (a progress bar writes no newlines)."""
    seen: list[str] = []

    def read():
        for ch in iter(lambda: proc.stderr.read(1), ""):
            seen.append(ch)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    return seen, t


#: How long an interrupted run may take to answer, on a machine that is busy (a CPU hog on the other core, other
#: work besides): generous against the 2 s target (issue 23), bounded so that a run that ignores Ctrl-C fails.
#: Measured 2026-12-07 with both cores hogged at load average 8: 0.02-0.47 s (0.02-0.42 s of it waiting for the numpy
#: call in progress), against 1.7-2.4 s before exit_process (1.5-1.9 s of it the interpreter's teardown).
CTRL_C_BOUND_S = 5.0


def test_ctrl_c_in_a_real_run_is_one_line_and_130(tmp_path):
    """A long stochastic run, interrupted once it reports that its replicate loop has started (not after a fixed
    sleep: on a busy machine the imports alone can take seconds), with another process keeping a core busy: it
    answers within CTRL_C_BOUND_S with one line and exit 130. The latency is printed (run with -s to see it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "INFOGEO_TRACEBACK": ""}
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        cmd = [sys.executable, "-m", "simulate", "--alpha", "0.5", "--skills", "300000", "--mode", "stochastic",
               "--replicates", "400"]
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        seen, reader = _stderr_reader(proc)
        deadline = time.monotonic() + 120
        while "simulate replicates" not in "".join(seen) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be interrupted; make it longer"
        assert "simulate replicates" in "".join(seen), "the replicate loop did not start within 120 s"
        time.sleep(1.0)  # inside the loop, in the middle of a replicate
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=CTRL_C_BOUND_S)
        latency = time.monotonic() - sent
        reader.join(timeout=5)
    finally:
        for p in (hog, *(() if "proc" not in locals() else (proc,))):
            if p.poll() is None:
                p.kill()
                p.wait()
    err = "".join(seen)
    print(f"Ctrl-C answered in {latency:.2f} s with a CPU hog running (load average {os.getloadavg()[0]:.1f})")
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip()]
    assert lines[-1].startswith("python -m simulate: interrupted; "), err


def test_shared_argument_types_refuse_by_name(capsys):
    """integer/number: what they accept comes back exactly; what they refuse is a usage error naming the option."""
    import argparse

    from infogeo.runner import ArgumentParser, integer, number

    assert integer(0)("7") == 7 and integer(2)("1e9") == 10**9 and number("nonnegative")("0") == 0.0
    assert integer(0, scientific=False)("7") == 7
    with pytest.raises(argparse.ArgumentTypeError):  # a seed is digits only
        integer(0, scientific=False)("1e3")
    for parse, bad in ((integer(1), "0"), (integer(0), "1.5"), (integer(0), "x"), (number("positive"), "0"),
                       (number("finite"), "nan"), (number("finite"), "inf"), (number("nonnegative"), "-1e-300")):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(bad)
    p = ArgumentParser(prog="prog")
    p.add_argument("--batch-size", type=integer(1))
    assert run("prog", lambda argv: p.parse_args(argv) and 0, ["--batch-size", "0"]) == 2
    assert "--batch-size" in _one_error_line(capsys.readouterr().err, "prog")


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def _interrupt_once_workers_run(cmd, env, cwd, marker: str):
    """Start ``cmd``; once ``marker`` is on its stderr and 2 pool workers (``spawn_main``) run, wait 1 s and send
    SIGINT; returns (process, stderr, seconds to exit, workers, workers still alive 0.5 s after the exit). The
    process must exit within CTRL_C_BOUND_S; a failed test leaves no process behind."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    try:
        seen, reader = _stderr_reader(proc)
        deadline = time.monotonic() + 120
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            if marker in "".join(seen):  # the pool is up
                workers = {c for c in _children(proc.pid) if "spawn_main" in _cmdline(c)}
            time.sleep(0.1)
        assert len(workers) >= 2, "".join(seen)
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=CTRL_C_BOUND_S)
        latency = time.monotonic() - sent
        reader.join(timeout=5)
        time.sleep(0.5)
        alive = [w for w in workers if Path(f"/proc/{w}").exists()
                 and Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for w in workers:
            if Path(f"/proc/{w}").exists():
                os.kill(w, signal.SIGKILL)
    return proc, "".join(seen), latency, workers, alive


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_ctrl_c_in_a_parallel_report_build_ends_every_worker(tmp_path):
    """python -m reports --jobs 2, interrupted once its workers run: one line, exit 130 within CTRL_C_BOUND_S, and
    no worker left running."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INFOGEO_TRACEBACK": "", "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "reports", "--out", str(tmp_path / "r"), "--jobs", "2"]
    proc, err, latency, workers, alive = _interrupt_once_workers_run(cmd, env, tmp_path, "processes")
    print(f"parallel report build: Ctrl-C answered in {latency:.2f} s, {len(workers)} workers")
    assert proc.returncode == 130, err
    assert not alive, f"workers still running after the interrupt: {alive}"
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip()]
    assert lines[-1].startswith("python -m reports: interrupted; ") and "Traceback" not in err, err


def test_after_ctrl_c_the_process_leaves_without_tearing_down_its_modules(tmp_path):
    """exit_process(130) runs the atexit handlers and flushes what was printed, then skips the interpreter's
    teardown (seconds on a busy machine with numpy and pandas loaded); any other status is a normal exit, teardown
    included."""
    code = ("import atexit, sys\n"
            "from infogeo.runner import exit_process\n"
            "class Witness:\n"
            "    def __del__(self):\n"
            "        sys.stderr.write('torn down\\n')\n"
            "w = Witness()\n"
            "atexit.register(lambda: sys.stderr.write('atexit ran\\n'))\n"
            "print('printed before', end='')\n"
            "exit_process(int(sys.argv[1]))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quick = subprocess.run([sys.executable, "-c", code, "130"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert (quick.returncode, quick.stdout, quick.stderr) == (130, "printed before", "atexit ran\n")
    normal = subprocess.run([sys.executable, "-c", code, "0"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert (normal.returncode, normal.stdout) == (0, "printed before")
    assert normal.stderr.splitlines() == ["atexit ran", "torn down"]


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_ctrl_c_ends_a_pool_of_jobs_at_once(tmp_path):
    """infogeo.pool.run_jobs (the trained families, the MLP grid), interrupted while its 2 workers run 8 jobs of
    20 s: one line and exit 130 within CTRL_C_BOUND_S, and no worker left (before, the pool
    finished every job submitted first: 15 s for 8 jobs of 4 s)."""
    (tmp_path / "slowjob.py").write_text("import time\n"
                                          "def work(n):\n"
                                          "    t = time.time()\n"
                                          "    while time.time() - t < n:\n"
                                          "        sum(range(1000))\n"
                                          "    return n\n")
    script = ("import sys\n"
              "from infogeo.pool import run_jobs\n"
              "from infogeo.runner import exit_process, run\n"
              "from slowjob import work\n"
              "def impl(argv):\n"
              "    print('jobs start', file=sys.stderr, flush=True)\n"
              "    run_jobs([(i, 20.0) for i in range(8)], work, processes=2, total=8, desc='jobs', progress=False)\n"
              "if __name__ == '__main__':\n"
              "    exit_process(run('pool-test', impl, []))\n")
    (tmp_path / "main.py").write_text(script)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)]), "INFOGEO_TRACEBACK": ""}
    proc, err, latency, _, alive = _interrupt_once_workers_run([sys.executable, str(tmp_path / "main.py")], env,
                                                               tmp_path, "jobs start")
    print(f"pool of jobs: Ctrl-C answered in {latency:.2f} s")
    assert proc.returncode == 130, err
    assert not alive, f"workers still running after the interrupt: {alive}"
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip()]
    assert lines[-1].startswith("pool-test: interrupted; ") and "Traceback" not in err, err


def test_every_command_ends_its_process_through_exit_process():
    """Each `python -m ...` entry point (and the console script) ends with exit_process, so every command answers
    Ctrl-C without the interpreter's teardown (a new entry point with a bare sys.exit would not)."""
    layers = ("theory", "simulate", "empirical", "reports", "infogeo")
    guard = 'if __name__ == "__main__":'
    mains = [p for layer in layers for p in (ROOT / layer).rglob("*.py") if guard in p.read_text()]
    assert len(mains) >= 9
    for p in mains:
        tail = p.read_text().split(guard, 1)[1]
        assert "exit_process(" in tail or "console()" in tail, f"{p.relative_to(ROOT)} ends without exit_process"
