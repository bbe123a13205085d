"""Coverage study of the interval methods (empirical.fit.coverage): nominal vs actual coverage per design and method.

Run: ``python benchmarks/bench_coverage.py [--draws 400] [--n-boot 1000] [--design NAME ...] [--out DIR]``,
or ``--from DIR`` to print the table of a saved run (``draws.csv``). Prints the
Markdown table of docs/statistics.md: coverage of the pseudo-true exponent with
its Monte Carlo standard error √(p(1−p)/draws), coverage of the generating
exponent (misspecified designs and the frontier), median width, share of usable
fits, the widening that would reach the nominal level, and the wall time.
About 35 CPU-minutes at 400 draws and 1000 refits (the joint law uses 300).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from empirical.fit.coverage import DESIGNS, SPECS, run_study, summarize, to_markdown


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--design", action="append", choices=DESIGNS)
    ap.add_argument("--spec", action="append", choices=SPECS)
    ap.add_argument("--out", default=None)
    ap.add_argument("--from", dest="src", nargs="+", default=None, help="saved draws.csv file(s) or folder(s)")
    args = ap.parse_args(argv)
    if args.src:
        paths = [Path(p) / "draws.csv" if Path(p).is_dir() else Path(p) for p in args.src]
        df = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
        print(f"table of {len(df)} saved rows from {', '.join(map(str, paths))}")
    else:
        t = time.perf_counter()
        df = run_study(tuple(args.design or DESIGNS), tuple(args.spec or SPECS), draws=args.draws,
                       n_boot=args.n_boot, seed=args.seed)
        print(f"{args.draws} draws per design and truth, {args.n_boot} refits: {time.perf_counter() - t:.0f} s")
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            df.to_csv(Path(args.out) / "draws.csv", index=False)
    print(to_markdown(summarize(df)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
