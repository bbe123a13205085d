"""Benchmark of empirical.fit.profile against the old route (empirical.fit.fitter) in the same run.

Run: ``python benchmarks/bench_profile.py [--n-boot 1000] [--old-boot 50] [--old-sample 3]``.
Prints wall times and ratios (no assertions). The old route refits one
resample at a time (a Python loop of L-BFGS-B runs), so its time is linear
in the number of refits: it is timed with ``--old-boot`` refits and without
refits, and extrapolated to ``n_boot`` (t₀ + (t_B − t₀)·n_boot/B); the
printed line says so. (Measured once at 1000 refits on a loaded machine:
Huber 772 s, l2 45 s.)

1. an 8-point power law (Pythia final checkpoints, non-embedding N) with
   ``n_boot`` refits: new (profile-t + refits; bootstrap-calibrated profile)
   vs old (Huber, the default, and l2), target < 0.3 s for the new route;
2. every fit the Pythia analysis runs (``empirical.analysis``: params /
   steps / frontier windows × families × parameter counts, and the joint
   law), at ``n_boot`` refits for default windows and n_boot/2 for the
   others, as the analysis does: the new route is timed in full, the old
   route on ``--old-sample`` fits per kind and extrapolated by the count of
   fits of that kind. Target < 60 s for the new route.

The machine is shared: the load average is printed beside the times.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from empirical.fit import profile
from empirical.fit.analyses import (
    FLOPS_COLUMNS,
    FRONTIER_WINDOWS,
    PARAM_COUNTS,
    PARAMS_WINDOWS,
    pareto_frontier,
    select_rows,
    steps_windows,
)
from empirical.fit.coverage import ANALYSIS_METHODS
from empirical.fit.fitter import A_MAX
from empirical.fit.fitter import fit_joint_law as old_joint
from empirical.fit.fitter import fit_power_law as old_power
from empirical.fit.pythia import load_pythia


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
        return profile.fit_joint_law(*xs, y, n_boot=nb, seed=seed, **opts)
    return profile.fit_power_law(xs[0], y, n_boot=nb, seed=seed, **opts)


def _old_extrapolated(kind, xs, y, nb, old_boot, **kw):
    """Old-route time at nb refits from timings at 0 and old_boot refits (linear in the refits)."""
    fn = old_joint if kind == "joint" else old_power
    _, t0 = _timed(fn, *xs, y, n_boot=0, **kw)
    if nb == 0:
        return t0, None
    f, tb = _timed(fn, *xs, y, n_boot=min(old_boot, nb), seed=0, **kw)
    return t0 + (tb - t0) * nb / min(old_boot, nb), f


def bench_single(d, n_boot: int, old_boot: int) -> None:
    fin = d[(d["family"] == "standard") & (d["step"] == d["step"].max())].sort_values("params_nonembedding")
    x, y = fin["params_nonembedding"].to_numpy(float), fin["loss"].to_numpy()
    print(f"== 8-point power law (Pythia standard, non-embedding N), {n_boot} refits; load {os.getloadavg()[0]:.1f}")
    profile.fit_power_law(x, y, n_boot=20)  # warm-up (imports, caches)
    rows = []
    for label, kw in (("new profile-t + refits", {}),
                      ("new bootstrap-calibrated profile", {"interval": "profile-boot"}),
                      ("new profile-t, no refits", {"n_boot": 0})):
        ts = []
        for _ in range(3):
            f, t = _timed(profile.fit_power_law, x, y, **{"n_boot": n_boot, **kw})
            ts.append(t)
        rows.append((label, min(ts), f))
    for label, kw in (("old Huber (default) percentile*", {}), ("old l2 percentile*", {"loss": "l2"})):
        t, f = _old_extrapolated("params", (x,), y, n_boot, old_boot, **kw)
        rows.append((label, t, f))
    t_new = rows[0][1]
    for label, t, f in rows:
        lo, hi = f.intervals["a"]
        print(f"  {label:36s} {t:8.3f} s  ({t / t_new:7.1f}x new)  a = {f.params['a']:.4f} [{lo:.4f}, {hi:.4f}]")
    print(f"  * extrapolated from {old_boot} refits (the interval shown is from those {old_boot})")
    print(f"  target: new route with {n_boot} refits < 0.3 s -> {'met' if t_new < 0.3 else 'NOT met'}")


def bench_analysis(d, n_boot: int, old_sample: int, old_boot: int) -> None:
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
        n_unusable += not profile.usable(f, "alpha" if kind == "joint" else "a")[0]
    t_new = time.perf_counter() - t0
    est_old = 0.0
    for kind in kinds:
        sample = [f for f in fits if f[0] == kind][:old_sample]
        ts = [_old_extrapolated(kind, xs, y, nb, old_boot)[0] for _, _, xs, y, nb in sample]
        per = float(np.mean(ts))
        n_k = sum(f[0] == kind for f in fits)
        est_old += per * n_k
        print(f"  {kind:9s} new {t_kind[kind]:6.1f} s for {n_k:3d} fits ({t_kind[kind] / n_k:.3f} s each) | "
              f"old ~{per:.2f} s each on {len(sample)} sampled* -> ~{per * n_k:.0f} s")
    print(f"  total new {t_new:.1f} s (target < 60 s: {'met' if t_new < 60 else 'NOT met'}); "
          f"old route estimated ~{est_old:.0f} s; ratio ~{est_old / t_new:.0f}x "
          f"(* old fits extrapolated from {old_boot} refits)")
    print(f"  fits the usability rule refuses (status, refits on a bound, interval reaching a bound "
          f"[{A_MAX} = exponent bound]): {n_unusable} of {len(fits)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--old-sample", type=int, default=3, help="old-route fits timed per kind (extrapolated)")
    ap.add_argument("--old-boot", type=int, default=50, help="refits the old route is timed with (extrapolated)")
    ap.add_argument("--skip-analysis", action="store_true")
    args = ap.parse_args(argv)
    d = select_rows(load_pythia())
    bench_single(d, args.n_boot, args.old_boot)
    if not args.skip_analysis:
        bench_analysis(d, args.n_boot, args.old_sample, args.old_boot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
