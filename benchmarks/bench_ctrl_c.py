"""How long an interrupted ``python -m simulate --mode stochastic`` takes to answer Ctrl-C, split into its parts,
on a machine made busy on purpose, against an older commit in the same run.

    python benchmarks/bench_ctrl_c.py                  # 2 CPU hogs, 5 interrupts each, against fc93586
    python benchmarks/bench_ctrl_c.py --hogs 1 --rounds 10 --against main

Each round starts ``simulate --alpha 0.5 --skills 300000 --mode stochastic --replicates 400`` (the robustness
test's run), waits for its replicate bar, lets it run 1-2 s more and sends SIGINT. The run's own SIGINT handler
(installed by a wrapper, the same as Python's default: it raises KeyboardInterrupt) stamps the time it ran, so the
latency splits into: signal -> handler (the numpy call in progress when the signal came), handler -> the
"interrupted" line (the work's ``finally`` blocks and the runner), line -> process end (the exit: atexit handlers,
and before ``infogeo.runner.exit_process`` the interpreter's teardown of every module). ``--hogs`` processes spin
on the CPU meanwhile (2 on a 2-core machine: both cores busy). Prints each interrupt and the medians and worst
of both trees, and the load average.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_simulate_cli import _extract  # noqa: E402

_WRAPPER = """import os, runpy, signal, sys, time
def stamp(sig, frame):
    open(os.environ['BENCH_CTRL_C_STAMP'], 'w').write(repr(time.monotonic()))
    raise KeyboardInterrupt
signal.signal(signal.SIGINT, stamp)
sys.argv = ['simulate'] + sys.argv[1:]
runpy.run_module('simulate', run_name='__main__', alter_sys=True)
"""
_ARGS = ["--alpha", "0.5", "--skills", "300000", "--mode", "stochastic", "--replicates", "400"]


def _interrupt(tree: Path, wait_s: float, stamp: Path) -> dict:
    """One interrupted run: seconds from SIGINT to the handler, to the line, to the end of the process."""
    stamp.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "INFOGEO_TRACEBACK": "",
           "BENCH_CTRL_C_STAMP": str(stamp)}
    cmd = [sys.executable, "-c", _WRAPPER, *_ARGS]
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    when: dict[str, float] = {}

    def read():
        for ch in iter(lambda: proc.stderr.read(1), ""):
            seen.append(ch)
            if "line" not in when and ch == ";" and "interrupted" in "".join(seen[-40:]):
                when["line"] = time.monotonic()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while "simulate replicates" not in "".join(seen) and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(wait_s)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    end = time.monotonic()
    reader.join(timeout=5)
    handler = float(stamp.read_text()) if stamp.exists() else float("nan")
    line = when.get("line", float("nan"))
    return {"rc": proc.returncode, "total": end - sent, "to_handler": handler - sent, "to_line": line - handler,
            "to_exit": end - line, "load": os.getloadavg()[0]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="fc93586", help="the older commit (git ref) to interrupt beside this one")
    ap.add_argument("--hogs", type=int, default=2, help="processes spinning on the CPU meanwhile")
    ap.add_argument("--rounds", type=int, default=5, help="interrupts of each tree")
    args = ap.parse_args(argv)
    print(f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f}; {args.hogs} CPU hogs; this checkout "
          f"against {args.against}; simulate {' '.join(_ARGS)}")
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hogs)]
    results: dict[str, list[dict]] = {"this checkout": [], args.against: []}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ctrl-c-") as tmp:
            trees = {"this checkout": ROOT, args.against: _extract(args.against, Path(tmp) / "old")}
            for i in range(args.rounds):
                for label, tree in trees.items():
                    r = _interrupt(tree, 1.0 + (0.37 * i) % 1.0, Path(tmp) / "stamp")
                    results[label].append(r)
                    print(f"  {label:14s} rc={r['rc']} {r['total']:5.2f} s: signal->handler {r['to_handler']:5.2f}, "
                          f"handler->line {r['to_line']:5.2f}, line->exit {r['to_exit']:5.2f} (load {r['load']:.1f})",
                          flush=True)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    for label, rs in results.items():
        parts = {k: [r[k] for r in rs] for k in ("total", "to_handler", "to_line", "to_exit")}
        print(f"{label:14s} median {statistics.median(parts['total']):.2f} s, worst {max(parts['total']):.2f} s "
              f"(medians: to handler {statistics.median(parts['to_handler']):.2f}, to line "
              f"{statistics.median(parts['to_line']):.2f}, to exit {statistics.median(parts['to_exit']):.2f})")
    new, old = (statistics.median(r["total"] for r in rs) for rs in results.values())
    print(f"this checkout answers {old / new:.1f}x sooner (medians); load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
