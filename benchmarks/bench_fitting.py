"""Benchmark of empirical.fit.fitter: time of a joint-law fit with its bootstrap, and agreement with plain scipy.

Run: ``python benchmarks/bench_fitting.py [--n-boot 200]``. Prints
figures only (no assertions): wall time per fit and per bootstrap refit, and
the difference between our estimates and scipy.optimize.least_squares /
curve_fit on the same data where both apply (least squares on log residuals
is our ``loss="l2"``; curve_fit fits L in linear space, a different but
common objective, shown for scale).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy.optimize import curve_fit, least_squares

from empirical.fit.fitter import fit_joint_law, fit_power_law
from empirical.fit.pythia import DEFAULT_LOSS, load_pythia


def _timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-boot", type=int, default=200)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)

    print("== joint law L = E + A/N^alpha + B/D^beta, 6 sizes x 8 token counts, 0.5% noise")
    N = np.repeat(np.geomspace(1e7, 1e10, 6), 8)
    D = np.tile(np.geomspace(1e9, 3e11, 8), 6)
    truth = (1.7, 400.0, 0.34, 410.0, 0.28)
    L = (truth[0] + truth[1] / N ** truth[2] + truth[3] / D ** truth[4]) * np.exp(rng.normal(0, 0.005, N.size))
    f0, t0 = _timed(fit_joint_law, N, D, L, n_boot=0)
    fb, tb = _timed(fit_joint_law, N, D, L, n_boot=args.n_boot, seed=0)
    print(f"point fit {t0:.3f} s; with n_boot={args.n_boot}: {tb:.2f} s "
          f"({(tb - t0) / max(args.n_boot, 1) * 1e3:.1f} ms per refit); "
          f"refits converged {fb.diagnostics['boot_converged_frac']:.0%}, "
          f"moved {fb.diagnostics['boot_moved_frac']:.0%}")
    for k, v in zip(("E", "A", "alpha", "B", "beta"), truth):
        lo, hi = fb.intervals[k]
        print(f"  {k:5s} true {v:9.4g}  fit {fb.params[k]:9.4g}  95% [{lo:.4g}, {hi:.4g}]")

    # plain scipy least squares on the same log residuals, from a reasonable start
    def res(t):
        return np.log(L) - np.log(t[0] + np.exp(t[1]) / N ** t[2] + np.exp(t[3]) / D ** t[4])
    ls, tls = _timed(least_squares, res, x0=[1.0, np.log(100), 0.3, np.log(100), 0.3], xtol=1e-14, ftol=1e-14)
    fl2, tl2 = _timed(fit_joint_law, N, D, L, loss="l2", n_boot=0)
    print(f"scipy least_squares (log residuals) {tls:.3f} s vs ours loss='l2' {tl2:.3f} s: "
          f"|Δalpha| = {abs(ls.x[2] - fl2.params['alpha']):.2e}, |Δbeta| = {abs(ls.x[4] - fl2.params['beta']):.2e}, "
          f"objective ours/scipy = {np.sum(np.log(L / fl2.predict(N, D)) ** 2) / np.sum(ls.fun ** 2):.9f}")

    print("\n== power law on Pythia final checkpoints (standard, non-embedding N, 8 sizes)")
    d = load_pythia()
    d = d[(d["run"] == "standard") & (d["shots"] == 0) & (d["step"] == 143000) & (d["deduped"] == 0)]
    x = d["params_nonembedding"].to_numpy(float)
    y = d[DEFAULT_LOSS].to_numpy()
    fh, th = _timed(fit_power_law, x, y, n_boot=args.n_boot, seed=0)
    fl, _ = _timed(fit_power_law, x, y, loss="l2", n_boot=0)
    print(f"ours Huber: alpha = {fh.params['a']:.4f} [{fh.intervals['a'][0]:.4f}, {fh.intervals['a'][1]:.4f}] "
          f"in {th:.2f} s (n_boot={args.n_boot}; {(th) / max(args.n_boot, 1) * 1e3:.1f} ms per refit)")
    xm = np.exp(np.log(x).mean())

    def model(xx, E, A, a):
        return E + A * (xx / xm) ** -a
    best = None
    for a0 in (0.1, 0.3, 0.6, 1.0):
        try:
            p, _ = curve_fit(model, x, y, p0=[1.0, 1.0, a0], bounds=([0, 0, 1e-3], [np.inf, np.inf, 5]), maxfev=20000)
        except RuntimeError:
            continue
        sse = np.sum((y - model(x, *p)) ** 2)
        if best is None or sse < best[0]:
            best = (sse, p)
    lsq = least_squares(lambda t: np.log(y) - np.log(model(x, *t)), x0=[1.0, 1.0, 0.4],
                        bounds=([0, 0, 1e-3], [np.inf, np.inf, 5]), xtol=1e-14, ftol=1e-14)
    print(f"ours loss='l2' alpha = {fl.params['a']:.6f}; scipy least_squares (log) alpha = {lsq.x[2]:.6f} "
          f"(|Δ| = {abs(fl.params['a'] - lsq.x[2]):.1e})")
    print(f"scipy curve_fit (linear-space SSE, best of 4 starts) alpha = {best[1][2]:.4f}: a different objective; "
          f"Huber-vs-curve_fit |Δalpha| = {abs(fh.params['a'] - best[1][2]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
