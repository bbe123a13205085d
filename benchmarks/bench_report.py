"""What `python -m reports` costs: each section's time, the whole build one section after another and in parallel
processes, and the kernel pins' cost against unpinned, in one run.

    python benchmarks/bench_report.py [--sections theory simulate ...] [--jobs 2] [--pin-size 150k]

1. Serial: ``build_report(jobs=1)`` into a fresh folder (each section in this process, one after another): every
   section's seconds and the whole build's wall time.
2. Parallel: ``build_report(jobs=--jobs)`` into another fresh folder (each section in its own spawned process):
   the wall time, its ratio to the serial build's, and whether every table (and report.md) is byte-identical to
   the serial build's.
3. Pins: a seeded mini-Pythia training step (``--pin-size``) in fresh processes with the report's pins
   (``infogeo.TORCH_KERNEL_PINS``), unpinned and with the generic pins used before
   (``benchmarks/bench_kernel_pins.py``): the ratio of each to unpinned.

Caches (the mini-Pythia family, the MLP results) are the machine's: on a fresh machine the first build trains
them (run it once before, or point ``HOME`` at an empty folder to time a first build). Prints the load average
before and after: a ratio measured on a busy machine is a ratio of two busy runs.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # this checkout's packages, not an install's

from infogeo import pin_torch_cpu_kernels  # noqa: E402

pin_torch_cpu_kernels()  # as `python -m reports` does, before torch loads


def _build(out: Path, sections, jobs: int) -> tuple[float, dict]:
    from reports.build import build_report

    t0 = time.perf_counter()
    manifest = build_report(out, only=list(sections), progress=False, jobs=jobs)
    return time.perf_counter() - t0, manifest


def _same_tables(a: Path, b: Path) -> tuple[int, list[str]]:
    names = sorted(p.relative_to(a) for p in (a / "tables").rglob("*.csv"))
    differ = [str(n) for n in names if not filecmp.cmp(a / n, b / n, shallow=False)]
    if (a / "report.md").read_bytes() != (b / "report.md").read_bytes():
        differ.append("report.md")
    return len(names), differ


def _pins(size: str, steps: int, rounds: int = 2) -> None:
    """A training step per pin set, in rounds of fresh processes (bench_kernel_pins's child); median ratios."""
    import statistics

    from bench_kernel_pins import GENERIC_PINS, _run

    from infogeo import TORCH_KERNEL_PINS

    rows = [("unpinned", {}), ("report's pins", dict(TORCH_KERNEL_PINS)), ("generic pins (before)", GENERIC_PINS)]
    args = argparse.Namespace(size=size, steps=steps, threads=2)
    times = {label: [] for label, _ in rows}
    for _ in range(rounds):
        for label, pins in rows:
            times[label].append(_run(pins, args)["step_s"])
    for label, _ in rows:
        ratio = statistics.median(t / u for t, u in zip(times[label], times["unpinned"]))
        print(f"  {label:24s} {statistics.median(times[label]) * 1e3:8.1f} ms/step  {ratio:5.2f}x unpinned")


def main() -> None:
    from reports.build import SECTION_NAMES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sections", nargs="+", default=list(SECTION_NAMES), choices=SECTION_NAMES)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes of the parallel build")
    ap.add_argument("--pin-size", default="150k", help="mini-Pythia size of the pins' training step")
    ap.add_argument("--pin-steps", type=int, default=6)
    args = ap.parse_args()
    print(f"cpus={os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; sections: {' '.join(args.sections)}")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        serial_s, m = _build(Path(tmp) / "serial", args.sections, 1)
        for name, meta in m["sections"].items():
            print(f"  section {name:12s} {meta['seconds']:8.1f} s{'' if meta['ok'] else '  FAILED'}")
        parallel_s, mp = _build(Path(tmp) / "parallel", args.sections, args.jobs)
        n, differ = _same_tables(Path(tmp) / "serial", Path(tmp) / "parallel")
    print(f"whole build: serial {serial_s:.1f} s, parallel ({args.jobs} processes) {parallel_s:.1f} s: "
          f"{serial_s / parallel_s:.2f}x faster; {n} tables "
          + ("and report.md byte-identical" if not differ else f"DIFFER: {', '.join(differ)}"))
    print(f"pins, a {args.pin_size} training step on 2 threads (fresh processes):")
    _pins(args.pin_size, args.pin_steps)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
