"""Benchmark of the fitter (empirical.fit.fit_power_law / fit_joint_law) against scipy's least squares, and the
coverage of its 95% interval, measured in the same run.

Run: ``python benchmarks/bench_profile.py [--n-boot 1000] [--coverage DRAWS] [--skip-analysis]``.
Prints wall times, ratios and coverage (no assertions). The peer route is
``scipy.optimize.least_squares`` on the same log residuals from several
starts (the naive way to fit L = E + A·x^-a), timed per point fit; it has no
intervals, so the ratio is that of one point fit.

1. an 8-point power law (Pythia final checkpoints, non-embedding N): the
   fitter with ``n_boot`` refits (its defaults: profile-t + refits), the
   bootstrap-calibrated profile, and no refits, against scipy's multi-start
   point fit; target < 0.5 s with the default refits;
2. ``--coverage DRAWS``: the issue-19 design, 8 Pythia-like sizes (v1
   non-embedding N), L = E + A·N^-a with the standard family's fitted shape
   as truth, 3% iid log-normal noise; coverage of the true exponent by the
   default 95% interval with its binomial standard error, and the time per
   fit with the default refits;
3. every fit the Pythia analysis runs (params / steps / frontier windows ×
   families × parameter counts, and the joint law), at ``n_boot`` refits for
   default windows and n_boot/2 for the others, as the analysis does.

The machine is shared: the load average is printed beside the times.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from scipy.optimize import least_squares

from empirical.fit import fit_joint_law, fit_power_law, usable
from empirical.fit.analyses import (
    FLOPS_COLUMNS,
    FRONTIER_WINDOWS,
    PARAM_COUNTS,
    PARAMS_WINDOWS,
    pareto_frontier,
    select_rows,
    steps_windows,
)
from empirical.fit.methods import ANALYSIS_METHODS
from empirical.fit.pythia import load_pythia
from empirical.fit.solver import EXP_BOUNDS


def _timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t


def analysis_fits(d, n_boot: int) -> list[tuple]:
    """(kind, key, x-arrays, y, n_boot) for every fit run_analyses runs, with its windows."""
    out = []
    nbw = n_boot // 2
    for fam in ("standard", "deduped"):
        g = d[d["family"] == fam]
        final = g[g["step"] == g.groupby("model")["step"].transform("max")].sort_values("params_nonembedding")
        for col in PARAM_COUNTS.values():
            for w, (lo, hi, lab) in enumerate(PARAMS_WINDOWS):
                sub = final.iloc[lo:len(final) - hi]
                out.append(("params", f"{fam}|{col}|{lab}", (sub[col].to_numpy(float),), sub["loss"].to_numpy(),
                            n_boot if w == 0 else nbw))
        for m, gm in g.groupby("model", sort=False):
            gm = gm[gm["step"] > 0].sort_values("step")
            for lo, hi, lab, is_def in steps_windows(int(gm["step"].max())):
                sub = gm[(gm["step"] >= lo) & (gm["step"] <= hi)]
                out.append(("steps", f"{m}|{lab}", (sub["step"].to_numpy(float),), sub["loss"].to_numpy(),
                            n_boot if is_def else nbw))
        final_step = g.groupby("model")["step"].transform("max")
        for pc, fcol in FLOPS_COLUMNS.items():
            sizes = np.sort(g[PARAM_COUNTS[pc]].unique())
            for w, (frac, drop, lab) in enumerate(FRONTIER_WINDOWS):
                pool = g[(g["step"] >= np.ceil(frac * final_step)) & (g["step"] > 0)
                         & (g[PARAM_COUNTS[pc]] >= sizes[drop])]
                env = pareto_frontier(pool, fcol)
                out.append(("frontier", f"{fam}|{pc}|{lab}", (env[fcol].to_numpy(float),), env["loss"].to_numpy(),
                            n_boot if w == 0 else nbw))
        pool = g[(g["step"] >= np.ceil(0.02 * final_step)) & (g["step"] > 0)]
        out.append(("joint", fam, (pool["params_nonembedding"].to_numpy(float), pool["tokens"].to_numpy(float)),
                    pool["loss"].to_numpy(), nbw))
    return out


def _new(kind, xs, y, nb, seed=0):
    opts = ANALYSIS_METHODS[kind]["fit"]  # the options the analyses fit with
    if kind == "joint":
        return fit_joint_law(*xs, y, n_boot=nb, seed=seed, **opts)
    return fit_power_law(xs[0], y, n_boot=nb, seed=seed, **opts)


def scipy_fit(x, y):
    """The peer route: bounded least squares on log residuals from 4 starts, the best SSR kept (x centred)."""
    z = np.log(x) - np.log(x).mean()

    def res(t):
        return np.log(y) - np.log(t[0] + t[1] * np.exp(-t[2] * z))

    best = None
    for a0 in (0.05, 0.3, 1.0, 3.0):
        u = np.exp(-a0 * z)
        A0 = max(np.polyfit(u, y, 1)[0], 1e-6)
        r = least_squares(res, [max(y.min() - A0 * u.min(), 1e-6), A0, a0],
                          bounds=([0, 0, EXP_BOUNDS[0]], [np.inf, np.inf, EXP_BOUNDS[1]]), xtol=1e-12, ftol=1e-12)
        if best is None or r.cost < best.cost:
            best = r
    return best


def bench_single(d, n_boot: int) -> None:
    fin = d[(d["family"] == "standard") & (d["step"] == d["step"].max())].sort_values("params_nonembedding")
    x, y = fin["params_nonembedding"].to_numpy(float), fin["loss"].to_numpy()
    print(f"== 8-point power law (Pythia standard, non-embedding N), {n_boot} refits; load {os.getloadavg()[0]:.1f}")
    fit_power_law(x, y, n_boot=20)  # warm-up (imports, caches)
    rows = []
    for label, kw in (("fitter defaults (profile-t + refits)", {}),
                      ("bootstrap-calibrated profile", {"interval": "profile-boot"}),
                      ("profile-t, no refits", {"n_boot": 0})):
        ts = []
        for _ in range(3):
            f, t = _timed(fit_power_law, x, y, **{"n_boot": n_boot, **kw})
            ts.append(t)
        rows.append((label, min(ts), f.params["a"], f.intervals["a"]))
    ts = []
    for _ in range(3):
        r, t = _timed(scipy_fit, x, y)
        ts.append(t)
    t_new = rows[0][1]
    for label, t, a, (lo, hi) in rows:
        print(f"  {label:38s} {t:8.3f} s  ({t / t_new:5.2f}x defaults)  a = {a:.4f} [{lo:.4f}, {hi:.4f}]")
    print(f"  {'scipy least_squares, 4 starts (point)':38s} {min(ts):8.3f} s  ({min(ts) / t_new:5.2f}x defaults)  "
          f"a = {r.x[2]:.4f} (no interval); SSR fitter/scipy = "
          f"{_ssr_ratio(x, y, r):.9f}")
    print(f"  target: defaults with {n_boot} refits < 0.5 s -> {'met' if t_new < 0.5 else 'NOT met'}")


def _ssr_ratio(x, y, r) -> float:
    f = fit_power_law(x, y, n_boot=0)
    return f.diagnostics["ssr"] / (2 * r.cost)


#: Pythia v1's 8 non-embedding sizes (params.csv).
PYTHIA_N = np.array([18915328, 85056000, 302311424, 805736448, 1208602624, 2517652480, 6444163072, 11327027200.0])


def bench_coverage(draws: int, n_boot: int, noise: float = 0.03) -> None:
    """Coverage of the true exponent by fit_power_law's default 95% interval on 8 Pythia-like sizes."""
    E, a, ratio = 1.2, 0.45, 1.5  # the shape of the test in tests/empirical/test_fitting.py
    xm = np.exp(np.log(PYTHIA_N).mean())
    y0 = E + ratio * E * (PYTHIA_N / xm) ** -a
    rng = np.random.default_rng(2024)
    hit, times, unusable = 0, [], 0
    print(f"\n== coverage: 8 Pythia sizes, {noise:.0%} iid log noise, truth E={E}, a={a}; {draws} draws, "
          f"{n_boot} refits; load {os.getloadavg()[0]:.1f}")
    for i in range(draws):
        y = y0 * np.exp(rng.normal(0, noise, y0.size))
        f, t = _timed(fit_power_law, PYTHIA_N, y, n_boot=n_boot, seed=i)
        times.append(t)
        lo, hi = f.intervals["a"]
        hit += lo <= a <= hi
        unusable += not usable(f, "a")[0]
    p = hit / draws
    print(f"  coverage {hit}/{draws} = {100 * p:.1f} ± {100 * np.sqrt(p * (1 - p) / draws):.1f}% (binomial se); "
          f"target 93-97%: {'met' if 0.93 <= p <= 0.97 else 'NOT met'}")
    print(f"  time per fit: median {np.median(times):.3f} s, 90th percentile {np.quantile(times, 0.9):.3f} s "
          f"(target < 0.5 s: {'met' if np.median(times) < 0.5 else 'NOT met'}); fits usable for a verdict: "
          f"{draws - unusable}/{draws}")


def bench_analysis(d, n_boot: int) -> None:
    fits = analysis_fits(d, n_boot)
    kinds = sorted({f[0] for f in fits})
    print(f"\n== the Pythia analysis: {len(fits)} fits "
          f"({', '.join(f'{k} {sum(f[0] == k for f in fits)}' for k in kinds)}), "
          f"n_boot {n_boot} (windows {n_boot // 2}); load {os.getloadavg()[0]:.1f}")
    t_kind = dict.fromkeys(kinds, 0.0)
    n_unusable = 0
    t0 = time.perf_counter()
    for kind, _key, xs, y, nb in fits:
        f, t = _timed(_new, kind, xs, y, nb)
        t_kind[kind] += t
        n_unusable += not usable(f, "alpha" if kind == "joint" else "a")[0]
    t_new = time.perf_counter() - t0
    for kind in kinds:
        n_k = sum(f[0] == kind for f in fits)
        print(f"  {kind:9s} {t_kind[kind]:6.1f} s for {n_k:3d} fits ({t_kind[kind] / n_k:.3f} s each)")
    print(f"  total {t_new:.1f} s (target < 60 s: {'met' if t_new < 60 else 'NOT met'})")
    print(f"  fits the usability rule refuses (status, refits on a bound, interval reaching a bound "
          f"[{EXP_BOUNDS[1]} = exponent bound]): {n_unusable} of {len(fits)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--coverage", type=int, default=0, metavar="DRAWS", help="coverage draws (0: skip)")
    ap.add_argument("--skip-analysis", action="store_true")
    args = ap.parse_args(argv)
    d = select_rows(load_pythia())
    bench_single(d, args.n_boot)
    if args.coverage:
        bench_coverage(args.coverage, args.n_boot)
    if not args.skip_analysis:
        bench_analysis(d, args.n_boot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
