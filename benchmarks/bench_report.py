"""What `python -m reports` costs on a fresh machine: every section's time and the whole build's, serial and
parallel, each from an empty cache, and the kernel pins' cost against unpinned, in one run.

    python benchmarks/bench_report.py                        # the whole report, twice (~25 min on 2 idle cores)
    python benchmarks/bench_report.py --only theory assumption --pin-steps 2   # quick: two short sections

1. Serial: ``build_report(jobs=1)`` (each section in one process, one after another) in a fresh process, into a
   fresh folder, with ``INFOGEO_CACHE`` set to a fresh empty folder, so every family the report trains (the
   skill-language transformers, the MLPs, the mini-Pythia sizes) is trained as on a fresh machine: every section's
   seconds, the whole build's wall time and its CPU time (user + system of the process and its workers).
2. Parallel: the same with ``jobs=--jobs`` (default: the number of cores; each section in its own process), from
   another empty cache and folder: the same numbers, the speed-up (serial wall / parallel wall), and whether every
   table (``tables/**/*.csv``) and ``report.md`` is byte-identical between the two builds.
3. Pins: a seeded mini-Pythia training step (``--pin-size``, on 2 threads as the report trains) in fresh
   processes, ``--pin-rounds`` rounds of: unpinned, the report's pins (``infogeo.TORCH_KERNEL_PINS``), the generic
   pins used before (``benchmarks/bench_kernel_pins.py``): each one's median ms per step and its ratio to the
   unpinned step of the same round (median over rounds).

``python -m reports`` calls ``build_report`` the same way; its own command-line process is not timed apart (its
imports are inside the timed child here too). The output ends with a Markdown table to paste into docs/report.md,
and ``--json-out`` (default ``bench_report.json``) gets every number. Prints the load average before and after:
a time measured on a busy machine is a time of a busy machine, and a ratio of two busy runs.
"""
from __future__ import annotations

import argparse
import datetime
import filecmp
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # this checkout's packages, not an install's

#: The child that builds the report, as ``python -m reports`` does (pins first, before torch loads).
_BUILD = r"""
import json, sys
from infogeo import pin_torch_cpu_kernels
pin_torch_cpu_kernels()
from reports.build import build_report
only = json.loads(sys.argv[2])
m = build_report(sys.argv[1], only=only, jobs=int(sys.argv[3]), progress=False)
print(json.dumps({"wall_seconds": m["wall_seconds"], "failed": m["failed"],
                  "sections": {k: {"seconds": v["seconds"], "ok": v["ok"]} for k, v in m["sections"].items()}}))
"""


def _build(out: Path, cache: Path, only: list[str] | None, jobs: int) -> dict:
    """One build in a fresh process with an empty cache: the manifest's times, the wall time, and the CPU time of
    the process and every process it waited for (its workers)."""
    import resource

    cache.mkdir(parents=True)
    env = {**os.environ, "INFOGEO_CACHE": str(cache), "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-c", _BUILD, str(out), json.dumps(only), str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"the build (jobs={jobs}) failed with status {proc.returncode}:\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["process_wall_seconds"] = wall
    res["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    res["cache_bytes"] = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    return res


def _same_tables(a: Path, b: Path) -> dict:
    """Every table of build ``a`` and ``report.md`` compared byte for byte with build ``b``'s."""
    names = sorted({p.relative_to(a) for p in (a / "tables").rglob("*.csv")}
                   | {p.relative_to(b) for p in (b / "tables").rglob("*.csv")})
    differ = [str(n) for n in names if not ((a / n).exists() and (b / n).exists()
                                            and filecmp.cmp(a / n, b / n, shallow=False))]
    report_same = (a / "report.md").read_bytes() == (b / "report.md").read_bytes()
    return {"tables": len(names), "differ": differ, "report_md_identical": report_same}


def _pins(size: str, steps: int, rounds: int) -> list[dict]:
    """A training step per pin set, in rounds of fresh processes (bench_kernel_pins's child); median ratios."""
    from bench_kernel_pins import GENERIC_PINS, _run

    from infogeo import TORCH_KERNEL_PINS

    rows = [("unpinned", {}), ("report's pins", dict(TORCH_KERNEL_PINS)), ("generic pins (before)", GENERIC_PINS)]
    args = argparse.Namespace(size=size, steps=steps, threads=2)
    runs = {label: [] for label, _ in rows}
    for _ in range(rounds):
        for label, pins in rows:
            runs[label].append(_run(pins, args))
    out = []
    for label, pins in rows:
        step = [r["step_s"] for r in runs[label]]
        ratio = statistics.median(r["step_s"] / u["step_s"] for r, u in zip(runs[label], runs["unpinned"]))
        out.append({"kernels": label, "pins": pins, "ms_per_step": 1e3 * statistics.median(step),
                    "ratio_to_unpinned": ratio,
                    "weights_as_unpinned": runs[label][0]["weights"] == runs["unpinned"][0]["weights"]})
    return out


def _markdown(res: dict) -> str:
    """The numbers as the Markdown docs/report.md shows them."""
    s, p = res["serial"], res["parallel"]
    lines = [f"| section | serial, s | parallel ({res['jobs']} processes), s |", "| --- | ---: | ---: |"]
    for name in s["sections"]:
        ps = p["sections"].get(name, {})
        mark = "" if s["sections"][name]["ok"] and ps.get("ok", False) else " (FAILED)"
        lines.append(f"| {name}{mark} | {s['sections'][name]['seconds']:.1f} | {ps.get('seconds', float('nan')):.1f} |")
    walls = s["process_wall_seconds"], p["process_wall_seconds"]
    lines.append(f"| **whole build, wall** | **{walls[0]:.1f}** | **{walls[1]:.1f}** |")
    lines.append(f"| CPU time (user + system) | {s['cpu_seconds']:.1f} | {p['cpu_seconds']:.1f} |")
    cmp = res["compare"]
    same = (f"all {cmp['tables']} tables" if not cmp["differ"] else
            f"{cmp['tables'] - len(cmp['differ'])} of {cmp['tables']} tables (differ: {', '.join(cmp['differ'])})")
    same += " and report.md" if cmp["report_md_identical"] else "; report.md DIFFERS"
    lines += ["", f"Speed-up of the parallel build (serial wall / parallel wall): **{res['speedup']:.2f}x**; {same} "
              f"byte-identical between the two builds. {res['machine']}; load average {res['load_before']:.2f} before, "
              f"{res['load_after']:.2f} after; {res['date']}; each build from an empty `INFOGEO_CACHE`."]
    if res.get("pins"):
        lines += ["", f"| kernels ({res['pin_size']} training step, 2 threads) | ms per step | x unpinned |",
                  "| --- | ---: | ---: |"]
        lines += [f"| {r['kernels']} | {r['ms_per_step']:.1f} | {r['ratio_to_unpinned']:.2f} |" for r in res["pins"]]
    return "\n".join(lines)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        model = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                     if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({model})"


def main(argv=None) -> int:
    from reports.build import SECTION_NAMES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=SECTION_NAMES, default=None,
                    help="build these sections only (quick mode); default: the whole report")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes of the parallel build")
    from empirical.minipythia import DEFAULT_CONFIG

    ap.add_argument("--pin-size", default="150k", choices=[z.name for z in DEFAULT_CONFIG.sizes],
                    help="mini-Pythia size of the pins' training step (150k: the largest the report trains)")
    ap.add_argument("--pin-steps", type=int, default=6, help="training steps per process (median time per step)")
    ap.add_argument("--pin-rounds", type=int, default=3, help="rounds of the three pin settings")
    ap.add_argument("--json-out", default="bench_report.json", help="write every number here")
    ap.add_argument("--keep", default=None, help="build into this new folder and keep the builds and caches "
                                                  "(default: a temporary folder, deleted)")
    args = ap.parse_args(argv)
    if args.keep and Path(args.keep).exists():
        ap.error(f"--keep {args.keep}: exists; give a new folder (each build needs an empty cache)")
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "machine": _machine(), "only": args.only, "jobs": args.jobs, "load_before": os.getloadavg()[0],
           "pin_size": args.pin_size}
    print(f"{res['machine']}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; sections: "
          f"{' '.join(args.only or SECTION_NAMES)}; each build from an empty INFOGEO_CACHE", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        for label, jobs in (("serial", 1), ("parallel", args.jobs)):
            res[label] = _build(base / label / "report", base / label / "cache", args.only, jobs)
            r = res[label]
            print(f"{label:8s} (jobs={jobs}): {r['process_wall_seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU"
                  f"{'; FAILED: ' + ', '.join(r['failed']) if r['failed'] else ''}; "
                  + ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in r["sections"].items()), flush=True)
        res["compare"] = _same_tables(base / "serial" / "report", base / "parallel" / "report")
    res["speedup"] = res["serial"]["process_wall_seconds"] / res["parallel"]["process_wall_seconds"]
    if args.pin_rounds > 0:
        print(f"pins: a {args.pin_size} training step, {args.pin_rounds} rounds of fresh processes", flush=True)
        res["pins"] = _pins(args.pin_size, args.pin_steps, args.pin_rounds)
    res["load_after"] = os.getloadavg()[0]
    print("\n" + _markdown(res) + "\n")
    Path(args.json_out).write_text(json.dumps(res, indent=2) + "\n")
    print(f"numbers written to {args.json_out}")
    return 1 if res["serial"]["failed"] or res["parallel"]["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
