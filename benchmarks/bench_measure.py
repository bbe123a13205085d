"""Speed of the measurement engine's linear algebra (Sections 3, 4.1, 4.3): one factorization vs naive routes.

    python benchmarks/bench_measure.py [--T 2048] [--d 2048] [--stride 64] [--n 512] [--D 4096]

Prints figures; asserts nothing about time. Three comparisons, same run, same data:

1. Information gain of every prefix t = 1..T (Figure 3) from ONE Cholesky
   factorization (``empirical.measure.metrics.info_gain_curve``) against one
   log-determinant (Cholesky of ``I + K_t / sigma^2``) per prefix. The naive
   route is timed on the prefixes t = stride/2, 3·stride/2, ... (midpoints of
   blocks of ``stride`` prefixes) and its cost for all T prefixes is
   extrapolated as ``stride x (sum of the measured times)`` (a midpoint
   Riemann sum of a cost that grows like t^3). Values at the measured
   prefixes must agree to 1e-9 relative.
2. Rate-distortion entropy L_eps (Definition 3.1) at n = 512 tokens, d = 4096
   through the n x n Gram matrix against the d x d covariance route.
3. One sentence distance (d = 2048, 8 + 9 tokens) on the exact joint-span
   reduction against the full d x d matrices.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from empirical.measure.metrics import info_gain_curve, sentence_distance
from theory.entropy import rate_distortion_entropy
from theory.gp import information_gain, linear_kernel


def _states(seed: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Correlated tokens (a shared direction plus a slowly drifting one), like real hidden states.
    common = rng.normal(size=(1, d))
    drift = np.cumsum(rng.normal(size=(n, 1)), axis=0) * rng.normal(size=(1, d)) / np.sqrt(n)
    return rng.normal(size=(n, d)) + 3 * common + drift


def _time(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_infogain(T: int, d: int, stride: int, sigma: float = 0.01) -> None:
    Z = _states(0, T, d)
    t_fast, curve = _time(lambda: info_gain_curve(Z, sigma), repeat=3)
    K = linear_kernel(Z, normalize=True)
    prefixes = list(range(stride // 2, T + 1, stride)) or [T]
    naive, times = [], []
    for t in prefixes:
        dt, val = _time(lambda t=t: information_gain(K[:t, :t], sigma))
        naive.append(val)
        times.append(dt)
    fast_at = curve["info_gain"][np.array(prefixes) - 1]
    rel = np.max(np.abs(fast_at - np.array(naive)) / np.abs(np.array(naive)))
    t_subset = sum(times)
    t_naive_all = stride * t_subset
    print(f"[1] information gain of every prefix, T={T}, d={d}, sigma={sigma}")
    print(f"    one factorization (kernel + Cholesky + cumsum), all {T} prefixes: {t_fast:.3f} s (best of 3)")
    print(f"    one logdet per prefix, measured on {len(prefixes)} prefixes: {t_subset:.3f} s")
    print(f"    one logdet per prefix, all {T} prefixes (extrapolated, stride {stride}): {t_naive_all:.1f} s")
    print(f"    speed ratio (naive all / one factorization): {t_naive_all / t_fast:.0f}x   (target >= 100x)"
          f"   measured-subset-only ratio: {t_subset / t_fast:.1f}x")
    print(f"    max relative difference at the measured prefixes: {rel:.2e}   (target <= 1e-9): "
          f"{'OK' if rel <= 1e-9 else 'FAIL'}")


def bench_entropy(n: int, D: int, eps: float = 0.1) -> None:
    Z = _states(1, n, D)
    U = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    t_gram, v_gram = _time(lambda: rate_distortion_entropy(U, eps, method="gram"), repeat=3)
    t_cov, v_cov = _time(lambda: rate_distortion_entropy(U, eps, method="covariance"), repeat=2)
    rel = abs(v_gram - v_cov) / abs(v_cov)
    print(f"[2] rate-distortion entropy L_eps, n={n} tokens, d={D}, eps={eps}")
    print(f"    Gram route (n x n): {t_gram:.3f} s   covariance route (d x d): {t_cov:.3f} s   "
          f"ratio {t_cov / t_gram:.1f}x")
    print(f"    values {v_gram:.10e} vs {v_cov:.10e}, relative difference {rel:.2e}")


def bench_distance(d: int = 2048) -> None:
    Za, Zb = _states(2, 8, d), _states(3, 9, d)
    print(f"[3] one sentence distance, d={d}, 8 and 9 tokens, ridge 1e-4")
    for metric in ("js", "riemann"):
        t_red, v_red = _time(lambda metric=metric: sentence_distance(Za, Zb, metric), repeat=3)
        t_full, v_full = _time(lambda metric=metric: sentence_distance(Za, Zb, metric, reduce=False))
        print(f"    {metric:9s} reduced {t_red * 1e3:8.2f} ms   full d x d {t_full:7.2f} s   ratio "
              f"{t_full / t_red:7.0f}x   relative difference {abs(v_red - v_full) / v_full:.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, default=2048)
    ap.add_argument("--d", type=int, default=2048)
    ap.add_argument("--stride", type=int, default=64)
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--D", type=int, default=4096)
    ap.add_argument("--skip-distance", action="store_true")
    args = ap.parse_args()
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"numpy {np.__version__}, OMP_NUM_THREADS={threads}, cpu count {os.cpu_count()}")
    bench_infogain(args.T, args.d, args.stride)
    bench_entropy(args.n, args.D)
    if not args.skip_distance:
        bench_distance()


if __name__ == "__main__":
    main()
