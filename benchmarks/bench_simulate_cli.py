"""What one ``python -m simulate`` command costs, imports included, against an older commit in the same run.

    python benchmarks/bench_simulate_cli.py                     # the issue-23 command, against fc93586
    python benchmarks/bench_simulate_cli.py --against main --rounds 9 -- --alpha 0.5 --skills 100000 --json

The command (default ``--alpha 0.3 --skills 1000000 --order parallel --json``, issue 23's target: at most 1.5 s
wall on an idle 2-core machine) runs in fresh processes, alternating this checkout and ``--against`` (a commit
extracted with ``git archive`` into a temporary folder; default fc93586, the code before the last speed-ups:
1.67 s idle), ``--rounds`` times each. Printed: the wall time and the CPU time (user + system of the process) of
each, median and best, their ratio, the floor no code of ours can go below (the interpreter, ``import numpy``,
``import numpy, pandas``) and ``import simulate, theory``; then whether the two JSON outputs are byte-identical
(``elapsed_s`` aside) and, where not, the largest difference of any number and the fields that moved.

The machine is shared: the load average is printed before and after; a time measured on a busy machine is longer
than an idle one's, their ratio less so. ``--json-out FILE`` writes the numbers.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARGS = ["--alpha", "0.3", "--skills", "1000000", "--order", "parallel", "--json"]
FLOOR = {"python -c pass": "pass", "import numpy": "import numpy", "import numpy, pandas": "import numpy, pandas",
         "import simulate, theory": "import simulate, theory"}


def _extract(ref: str, into: Path) -> Path:
    """The tree of commit ``ref`` of this repository, written under ``into``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def _run(cmd: list[str], cwd: Path) -> tuple[float, float, bytes]:
    """One fresh process: wall seconds, CPU seconds (user + system, from wait4), stdout."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} in {cwd} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, out


def _numbers(a, b, path="", out=None) -> list[tuple[str, float, float]]:
    """(field, value here, value there) of every number that differs between two JSON values; raises on any
    other difference (keys, strings, booleans, a number against null)."""
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            raise AssertionError(f"{path or 'output'}: keys differ: {sorted(set(a) ^ set(b))}")
        for k in a:
            if k != "elapsed_s":
                _numbers(a[k], b[k], f"{path}.{k}" if path else k, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _numbers(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool):
        if a != b:
            out.append((path, a, b))
    elif a != b or type(a) is not type(b):
        raise AssertionError(f"{path}: {a!r} here, {b!r} there")
    return out


def _compare(new: bytes, old: bytes) -> dict:
    """Byte-identical apart from ``elapsed_s``? Else the numbers that moved and by how much."""
    a, b = json.loads(new), json.loads(old)
    a.pop("elapsed_s", None), b.pop("elapsed_s", None)
    if json.dumps(a, indent=2) == json.dumps(b, indent=2):
        return {"identical": True}
    moved = _numbers(a, b)
    # relative to values of size (a difference such as reference_rel_error, ~1e-11, has no relative size)
    rel = [abs(x - y) / abs(y) for _, x, y in moved if min(abs(x), abs(y)) >= 1e-6] or [0.0]
    worst = max(range(len(moved)), key=lambda i: abs(moved[i][1] - moved[i][2]))
    return {"identical": False, "numbers_moved": len(moved), "max_abs": abs(moved[worst][1] - moved[worst][2]),
            "max_abs_field": moved[worst][0], "max_rel": max(rel),
            "fields": sorted({f.rsplit(".", 1)[-1] for f, _, _ in moved})}


def _stats(xs: list[float]) -> dict:
    return {"median": statistics.median(xs), "best": min(xs), "all": xs}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="fc93586", help="the older commit (git ref) to time beside this checkout")
    ap.add_argument("--rounds", type=int, default=5, help="runs of each, alternating")
    ap.add_argument("--json-out", default=None, help="write the numbers to this JSON file")
    ap.add_argument("args", nargs="*", help="the simulate command's arguments (after --)")
    opts = ap.parse_args(argv)
    args = opts.args or DEFAULT_ARGS
    cmd = [sys.executable, "-m", "simulate", *args]
    load0 = os.getloadavg()
    print(f"python -m simulate {' '.join(args)}\n{os.cpu_count()} cpus, load average {load0[0]:.2f} "
          f"{load0[1]:.2f} {load0[2]:.2f}; {opts.rounds} rounds, this checkout against {opts.against}")
    res: dict = {"args": args, "against": opts.against, "cpus": os.cpu_count(), "load_before": load0[0]}
    with tempfile.TemporaryDirectory(prefix="bench-simulate-cli-") as tmp:
        old_tree = _extract(opts.against, Path(tmp) / "old")
        floor = {name: [] for name in FLOOR}
        times = {"new": ([], []), "old": ([], [])}
        outs = {}
        for _ in range(opts.rounds):
            for name, code in FLOOR.items():
                floor[name].append(_run([sys.executable, "-c", code], ROOT)[0])
            for label, tree in (("new", ROOT), ("old", old_tree)):
                wall, cpu, outs[label] = _run(cmd, tree)
                times[label][0].append(wall)
                times[label][1].append(cpu)
    for name, xs in floor.items():
        print(f"  floor  {name:26s} {statistics.median(xs):6.3f} s median, {min(xs):6.3f} s best")
    for label, ref in (("new", "this checkout"), ("old", opts.against)):
        w, c = _stats(times[label][0]), _stats(times[label][1])
        res[label] = {"wall_s": w, "cpu_s": c}
        print(f"  {ref:22s} wall {w['median']:6.3f} s median, {w['best']:6.3f} s best; "
              f"CPU {c['median']:6.3f} s median, {c['best']:6.3f} s best")
    ratio = res["old"]["wall_s"]["median"] / res["new"]["wall_s"]["median"]
    ratio_cpu = res["old"]["cpu_s"]["median"] / res["new"]["cpu_s"]["median"]
    res.update(ratio_wall=ratio, ratio_cpu=ratio_cpu, floor={k: _stats(v) for k, v in floor.items()})
    print(f"  this checkout is {ratio:.2f}x faster in wall time, {ratio_cpu:.2f}x in CPU time (medians)")
    if "--json" in args:
        cmp = _compare(outs["new"], outs["old"])
        res["output"] = cmp
        if cmp["identical"]:
            print("  JSON output: byte-identical (elapsed_s aside)")
        else:
            print(f"  JSON output: NOT byte-identical: {cmp['numbers_moved']} numbers moved, at most "
                  f"{cmp['max_abs']:.2g} absolute ({cmp['max_abs_field']}), {cmp['max_rel']:.2g} relative "
                  f"(values above 1e-6); fields: {', '.join(cmp['fields'])}")
    res["load_after"] = os.getloadavg()[0]
    print(f"load average after: {res['load_after']:.2f}")
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
