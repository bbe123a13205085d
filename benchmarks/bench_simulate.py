"""Benchmark of the simulate layer (Section 3 skill model): times, and event-driven vs naive stepping.

    python benchmarks/bench_simulate.py            # full sizes from the issue
    python benchmarks/bench_simulate.py --quick    # smaller sizes, for a smoke run

Prints, each with its wall time:
1. one M = 10^6 run (expected mode, sequential and parallel; stochastic sequential);
2. the skill graph at 10^7 edges (and the alpha fit on its degrees);
3. a sweep of 3 alpha x 4 orders x 5 seeds;
4. the event-driven simulation against a naive flop-by-flop one on a small M:
   the same numbers (max |difference|) and the speed ratio, measured in this run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import simulate
from simulate import dynamics as dyn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # repo root: the naive oracles live in tests/
from tests.simulate.naive import naive_expected, naive_stochastic  # noqa: E402


def _t(fn, repeat=1):
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    M = 10**5 if args.quick else 10**6
    E = 10**6 if args.quick else 10**7
    print(f"simulate benchmark (numpy {np.__version__}, {os.cpu_count()} cpus, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')})")

    print(f"\n1. one run, M = {M:,} skills, alpha = 0.5 (best of 3)")
    for order in ("sequential", "parallel"):
        a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, order=order)
        _, t = _t(lambda a=a: dyn.run(a), repeat=3)
        print(f"   expected   {order:<10} {t:7.3f} s")
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, order="sequential")
    _, t = _t(lambda: dyn.run(a, mode="stochastic", seed=0))
    m = int(np.ceil((a.B - a.C) / a.delta))
    print(f"   stochastic sequential {t:7.3f} s  ({M * m:,} hit events)")
    _, t = _t(lambda: simulate.exponents(a, n_boot=200))
    print(f"   exponents (4 axes, 200 block-bootstrap resamples) {t:7.3f} s")

    print(f"\n2. skill graph, M = {M:,} skills, {E:,} edges")
    g, t = _t(lambda: simulate.skill_graph(0.5, M, E, seed=0))
    print(f"   generate   {t:7.3f} s   (CSC {g.adjacency.shape[0]:,} texts x {g.adjacency.shape[1]:,} skills, "
          f"nnz {g.adjacency.nnz:,})")
    f, t = _t(lambda: simulate.fit_alpha(g.degrees))
    print(f"   fit alpha  {t:7.3f} s   alpha = {f.alpha:.4f} [{f.ci_low:.4f}, {f.ci_high:.4f}] (true 0.5); "
          f"gamma pure {f.gamma_power:.5f} vs powerlaw pkg {f.powerlaw_gamma:.5f}")

    print("\n3. sweep: 3 alpha x 4 orders x 5 seeds (expected mode, M = 10^5, 50 bootstrap resamples)")
    orders = ["sequential", "parallel", "random", {"name": "k_at_a_time", "k": 4}]
    df, t = _t(lambda: simulate.sweep((0.3, 0.5, 1.0), orders, range(5), M=10**5, progress=False, n_boot=50))
    print(f"   {len(df)} rows in {t:7.3f} s ({t / 60:.3f} s per setting)")

    print("\n4. event-driven vs naive flop-by-flop, M = 40 skills, alpha = 0.5, delta = 0.1")
    for order in ("sequential", "parallel"):
        a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=40, order=order)
        S_max = int(np.ceil(np.max(dyn.run(a).done)))
        naive, t_naive = _t(lambda a=a, S_max=S_max: naive_expected(a, S_max))
        S = np.arange(1, S_max + 1, dtype=float)
        ev, t_ev = _t(lambda a=a, S=S: dyn.run(a, S=S), repeat=3)
        diff = float(np.max(np.abs(ev.H_minus_C - naive[1:])))
        print(f"   expected {order:<10} {S_max:,} flops: naive {t_naive:7.3f} s, event-driven {t_ev:7.4f} s "
              f"(x{t_naive / t_ev:,.0f}); max |H_naive - H_event| = {diff:.2e}")
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=40, order="sequential")
    S_max = int(np.ceil(np.max(dyn.run(a).done)) * 1.5)
    S = np.geomspace(10, S_max, 20).astype(int).astype(float)
    R = 20
    nv, t_naive = _t(lambda: np.array([naive_stochastic(a, S_max, seed=i)[S.astype(int)] for i in range(R)]))
    ev, t_ev = _t(lambda: np.array([dyn.run(a, mode="stochastic", seed=1000 + i, S=S).H_minus_C for i in range(R)]))
    se = np.sqrt(nv.var(0, ddof=1) / R + ev.var(0, ddof=1) / R)
    z = np.max(np.abs(nv.mean(0) - ev.mean(0)) / np.where(se > 0, se, np.inf))
    print(f"   stochastic sequential, {R} runs of {S_max:,} flops: naive {t_naive:7.3f} s, event-driven {t_ev:7.4f} s "
          f"(x{t_naive / t_ev:,.0f}); means agree within {z:.2f} standard errors (same law, different draws)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
