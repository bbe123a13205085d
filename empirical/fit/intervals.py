"""Section 3 (Theorems 3.7, 3.8): confidence intervals of a scaling-law fit, and the bootstrap behind them.

Intervals (``interval=``)
-------------------------
``"profile"``      profile-t (Bates & Watts 1988, §6): {θ_j : R(θ_j)² ≤ F_{1,n−p}},
                   R(v) = sign(θ̂_j − v)·√((SSR_j(v) − SSR)/s²), SSR_j the
                   profile (all other parameters re-minimised). Exact for a
                   linear Gaussian model; no bootstrap needed.
``"profile-boot"`` the same R, with its quantiles taken from a bootstrap
                   (prepivoting, Beran 1988): R*_b = R computed in bootstrap
                   world b at the world's truth θ̂_j. Adapts the reference to
                   the error model of ``resample``.
``"studentized"``  bootstrap-t with the Gauss–Newton standard error.
``"percentile"``   percentile of the refits (the old route's interval).

Bootstrap error models (``resample=``), all on log residuals r of the point fit:
``"residual"`` (iid, centred, inflated by √(n/(n−p))), ``"ar1"`` (Gaussian AR(1)
errors along x, ρ drawn per world from its confidence distribution given the
residuals, :func:`ar1_confidence`, so its small-sample bias and uncertainty
are carried), ``"block"`` (circular moving blocks).

``boot`` holds draws whose per-parameter percentile intervals are the
reported intervals (for profile methods: points of the profile path at
quantiles of the reference distribution; for the bootstrap-t: θ̂ − se·T*),
so an analysis that pairs draws of two fits propagates the calibrated
intervals (:class:`empirical.fit.laws.FitResult`). The raw refits are in ``refits``.

The solver these intervals re-run (profiles, refits) is :mod:`empirical.fit.solver`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .solver import _Design, _fit_many, _grid, _jac, _profile, _wald_se, _yhat

__all__ = ["INTERVALS", "RESAMPLES", "ar1_confidence", "ar1_rho", "bootstrap_memory_bytes",
           "check_bootstrap_memory"]

INTERVALS = ("profile", "profile-boot", "studentized", "percentile")
RESAMPLES = ("residual", "ar1", "block")


@dataclass
class _Path:
    """Profile of one parameter of the point fit: values ascending, R decreasing (made monotone)."""

    v: np.ndarray
    R: np.ndarray
    theta: np.ndarray
    lo_reached: bool   # the scan hit the parameter's lower bound without R reaching its largest value
    hi_reached: bool


def _signed_root(dz, theta_hat, ssr_hat, v, ssr_v):
    s2 = ssr_hat / max(dz.n - dz.p, 1)
    return np.sign(theta_hat - v) * np.sqrt(np.maximum(ssr_v - ssr_hat, 0.0) / max(s2, 1e-300))


_SCAN_STAGES = (np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]), np.array([4.0, 5.0, 6.5, 8.0]),
                np.array([11.0, 16.0, 24.0, 40.0, np.inf]))


def _profile_path(dz: _Design, theta_hat, ssr_hat, j: int, se: float, need: tuple[float, float]) -> _Path:
    """Profile of parameter j scanned outward from theta_hat in steps of its standard error.

    Each side is scanned in stages (3, 8, then 40 standard errors and the
    bound) until R passes the largest target on that side, ``need = (min
    target, max target)``, or the parameter's bound is reached.
    """
    lo, hi = dz.lo[j], dz.hi[j]
    if j == 0:  # E: L̂ ≥ E, so E above the largest loss is never useful
        hi = float(np.exp(dz.logy).max())
    se = se if np.isfinite(se) and se > 0 else 0.1 * max(abs(theta_hat[j]), 1e-3)
    v, f, th = np.array([theta_hat[j]]), np.array([ssr_hat]), theta_hat[None].copy()
    todo = {-1: need[1] > 0, 1: need[0] < 0}  # side -1 (below the estimate) carries R > 0
    for stage in _SCAN_STAGES:
        vals = np.concatenate([np.clip(theta_hat[j] + side * stage * se, lo, hi) for side in (-1, 1) if todo[side]])
        vals = np.setdiff1d(np.unique(vals[np.isfinite(vals)]), v)
        if vals.size == 0:
            break
        fv, tv, _ = _profile(dz, np.broadcast_to(dz.logy, (vals.size, dz.n)), j, vals,
                             np.broadcast_to(theta_hat, (vals.size, dz.p)))
        v, f, th = np.r_[v, vals], np.r_[f, fv], np.vstack([th, tv])
        R = _signed_root(dz, theta_hat[j], ssr_hat, v, f)
        todo = {-1: todo[-1] and R.max() < need[1] and v.min() > lo,
                1: todo[1] and R.min() > need[0] and v.max() < hi}
        if not any(todo.values()):
            break
    o = np.argsort(v)
    v, f, th = v[o], f[o], th[o]
    R = _signed_root(dz, theta_hat[j], ssr_hat, v, f)
    # a non-monotone profile (a second local minimum) is read outward from the estimate: R must keep growing
    c = np.searchsorted(v, theta_hat[j])
    R[:c + 1] = np.maximum.accumulate(R[:c + 1][::-1])[::-1]
    R[c:] = np.minimum.accumulate(R[c:])
    return _Path(v, R, th, lo_reached=bool(v[0] <= lo), hi_reached=bool(v[-1] >= hi))


def _solve_R(dz: _Design, path: _Path, theta_hat, ssr_hat, j: int, targets, iters: int = 40):
    """Values v with R(v) = target for each target (refined by the Illinois method on the exact profile).

    A target beyond what the scan reached gives the end of the scan (a bound, or ±inf for E's upper end).
    """
    targets = np.asarray(targets, dtype=np.float64)
    out = np.full(targets.size, np.nan)
    Rrev, vrev = path.R[::-1], path.v[::-1]
    below, above = targets <= Rrev[0], targets > Rrev[-1]
    inside = ~below & ~above
    k = np.clip(np.searchsorted(Rrev, targets), 1, Rrev.size - 1)  # Rrev ascending: bracket [k-1, k]
    out[above] = path.v[0]  # beyond the lower end of the scan: its end (a bound)
    # beyond the upper end: the exponent's bound, or no upper limit for E (scanned up to the largest loss)
    out[below] = path.v[-1]
    if j == 0:
        out[targets < Rrev[0]] = np.inf
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return out
    a_v, b_v = vrev[k[idx] - 1], vrev[k[idx]]
    fa, fb = Rrev[k[idx] - 1] - targets[idx], Rrev[k[idx]] - targets[idx]
    near = np.where(np.abs(fa) < np.abs(fb), a_v, b_v)
    t_start = path.theta[np.searchsorted(path.v, near)]
    ly = np.broadcast_to(dz.logy, (idx.size, dz.n))
    side_a = np.zeros(idx.size)
    for _ in range(iters):
        denom = np.where(fb - fa == 0, 1.0, fb - fa)
        c_v = np.where(fb - fa == 0, 0.5 * (a_v + b_v), b_v - fb * (b_v - a_v) / denom)
        # stay strictly inside the bracket (its ends come from the monotone reading of the scan)
        lo_b, hi_b = np.minimum(a_v, b_v), np.maximum(a_v, b_v)
        c_v = np.where(np.isfinite(c_v) & (c_v > lo_b) & (c_v < hi_b), c_v, 0.5 * (a_v + b_v))
        f, th, _ = _profile(dz, ly, j, c_v, t_start)
        fc = _signed_root(dz, theta_hat[j], ssr_hat, c_v, f) - targets[idx]
        same = np.sign(fc) == np.sign(fb)
        # Illinois: halve the retained end's value when the same end is kept twice
        fa = np.where(same, np.where(side_a == 1, fa / 2, fa), fb)
        a_v = np.where(same, a_v, b_v)
        side_a = np.where(same, 1, 0)
        b_v, fb, t_start = c_v, fc, th
        if np.all(np.abs(fc) < 1e-7) or np.all(np.abs(b_v - a_v) <= 1e-10 * (1 + np.abs(b_v))):
            break
    out[idx] = b_v
    return out


def _path_draws(path: _Path, targets) -> np.ndarray:
    """Rows of the profile path (theta) at which R equals each target, by monotone interpolation."""
    Rrev, vrev = path.R[::-1], path.v[::-1]
    # strictly increasing abscissa for interp (flat stretches only where the scan reached a bound)
    Rs = Rrev + np.arange(Rrev.size) * 1e-12
    v = np.interp(targets, Rs, vrev)
    return np.column_stack([np.interp(v, path.v, path.theta[:, c]) for c in range(path.theta.shape[1])])


# --------------------------------------------------------------------------- bootstrap error models
def _residual_projector(J: np.ndarray) -> np.ndarray:
    """M = I − J(JᵀJ)⁺Jᵀ: the map from errors to least-squares residuals (to first order)."""
    return np.eye(J.shape[0]) - J @ np.linalg.pinv(J.T @ J, hermitian=True) @ J.T


def _ar1_chol(rho: np.ndarray, n: int) -> np.ndarray:
    """Cholesky factors (k, n, n) of the stationary AR(1) covariance with unit innovations, Σ_ij = ρ^|i−j|/(1−ρ²).

    Closed form: L_ij = ρ^(i−j) for 1 ≤ j ≤ i, L_i0 = ρ^i/√(1−ρ²) (the AR recursion from a stationary start).
    """
    rho = np.asarray(rho, dtype=np.float64).reshape(-1, 1, 1)
    t = np.arange(n)
    lag = t[:, None] - t[None, :]
    L = np.where(lag >= 0, rho ** np.maximum(lag, 0), 0.0)
    L[:, :, 0] /= np.sqrt(1 - rho[:, :, 0] ** 2)
    return L


_RHO_GRID = np.linspace(-0.9, 0.97, 60)


def _lag1(r: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", r[..., 1:], r[..., :-1]) / np.einsum("...i,...i->...", r, r)


def ar1_confidence(r: np.ndarray, J: np.ndarray, sims: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Confidence distribution of the AR(1) coefficient ρ of the errors behind least-squares residuals r.

    The lag-1 autocorrelation of residuals is biased low (the fit absorbs
    slow error) and, with ~15 points, very noisy. For ρ on a grid, errors
    ε ~ AR(1)(ρ) are simulated (common random numbers, a fixed inner seed,
    so the result is a function of r and J only), mapped to residuals by the
    projector M = I − J(JᵀJ)⁺Jᵀ, and C(ρ) = P_ρ(lag-1 autocorrelation of Mε >
    observed) is returned on the grid (made non-decreasing). Its median is a
    median-unbiased estimate of ρ; drawing ρ from C propagates its
    uncertainty into the bootstrap (``resample="ar1"``).

    Returns (rho_grid, C).
    """
    n = r.size
    M = _residual_projector(J)
    obs = float(_lag1(r))
    eps = np.random.default_rng(20240203).standard_normal((sims, n))
    res = (eps @ _ar1_chol(_RHO_GRID, n).transpose(0, 2, 1)) @ M.T  # residuals M·L·ε per grid ρ: (k, sims, n)
    C = np.mean(_lag1(res) > obs, axis=1)
    return _RHO_GRID.copy(), np.maximum.accumulate(C)


def ar1_rho(r: np.ndarray, J: np.ndarray) -> float:
    """Median-unbiased AR(1) coefficient of the errors behind residuals r (the median of :func:`ar1_confidence`)."""
    grid, C = ar1_confidence(r, J)
    return float(np.interp(0.5, C + np.arange(C.size) * 1e-12, grid))


def _ar1_errors(r, J, rng, B, cd=None):
    """Gaussian AR(1) errors with ρ drawn from its confidence distribution ``cd``, one ρ per world.

    The innovation variance of each world makes its expected residual sum of
    squares equal the observed one: σ_η² = rᵀr / tr(M Σ_ρ), Σ_ρ the AR(1)
    covariance with unit innovations.
    """
    n = r.size
    grid, C = ar1_confidence(r, J) if cd is None else cd
    rho = np.interp(rng.uniform(size=B), C + np.arange(C.size) * 1e-12, grid)
    M = _residual_projector(J)
    L = _ar1_chol(rho, n)
    s_eta = np.sqrt(float(r @ r) / np.einsum("ij,bjk,bik->b", M, L, L))
    return s_eta[:, None] * np.einsum("bij,bj->bi", L, rng.standard_normal((B, n)))


def _errors(resample: str, r: np.ndarray, J: np.ndarray, rng: np.random.Generator, B: int, block: int, cd=None):
    """Bootstrap log-error vectors (B, n) drawn from the point fit's residuals r under an error model."""
    n, p = J.shape
    scaled = (r - r.mean()) * math.sqrt(n / max(n - p, 1))
    if resample == "residual":
        return scaled[rng.integers(0, n, (B, n))]
    if resample == "block":
        nb = -(-n // block)
        starts = rng.integers(0, n, (B, nb))
        idx = (starts[:, :, None] + np.arange(block)).reshape(B, nb * block)[:, :n] % n
        return scaled[idx]
    return _ar1_errors(r, J, rng, B, cd)


# --------------------------------------------------------------------------- bootstrap and intervals
@dataclass
class _Boot:
    theta: np.ndarray   # (B, p) refits
    ssr: np.ndarray
    status: np.ndarray
    R: dict             # j -> (B,) signed root of the profile at the world's truth
    se: np.ndarray      # (B, p) Gauss-Newton standard errors
    rho: float = float("nan")


def _bootstrap(dz: _Design, theta_hat, resample: str, n_boot: int, rng, block: int, js) -> _Boot:
    """Refit n_boot worlds logy* = log L̂(θ̂) + e*; profile each world at its truth θ̂_j for j in js."""
    logyhat = np.log(_yhat(theta_hat[None], dz.z)[0][0])
    r, J = _jac(theta_hat[None], dz.z, dz.logy[None])
    r, J = r[0], J[0]
    cd = ar1_confidence(r, J) if resample == "ar1" else None
    logy_b = logyhat[None, :] + _errors(resample, r, J, rng, n_boot, block, cd)
    th, f, st = _fit_many(dz, logy_b)
    R = {}
    for j in js:
        fj, _, _ = _profile(dz, logy_b, j, np.full(n_boot, theta_hat[j]), th)
        s2 = np.maximum(f, 1e-300) / max(dz.n - dz.p, 1)
        R[j] = np.sign(th[:, j] - theta_hat[j]) * np.sqrt(np.maximum(fj - f, 0.0) / s2)
    rho = float(np.interp(0.5, cd[1] + np.arange(cd[1].size) * 1e-12, cd[0])) if cd is not None else float("nan")
    return _Boot(th, f, st, R, _wald_se(dz, th, f), rho)




def _quantiles(v, conf):
    q = (1 - conf) / 2
    return np.quantile(v, q), np.quantile(v, 1 - q)


def _profile_intervals(dz, theta_hat, ssr_hat, se, refs: dict, conf, widen, n_draws):
    """Profile-based limits for E and the exponents, and draws along the exponents' profile paths.

    refs : j -> reference sample of R (None: Student t with n − p df).
    Returns ({j: (lo, hi)}, draws (n_draws, p) in theta space or None).
    """
    q = (1 - conf) / 2
    df = max(dz.n - dz.p, 1)
    lims, draws = {}, None
    for j in refs:
        ref = refs[j]
        if ref is None:
            q_lo, q_hi = stats.t.ppf([q, 1 - q], df)
            targets = stats.t.ppf((np.arange(n_draws) + 0.5) / max(n_draws, 1), df)
        else:
            ref = ref[np.isfinite(ref)]
            if ref.size < 10:
                lims[j] = (np.nan, np.nan)
                continue
            q_lo, q_hi = np.quantile(ref, [q, 1 - q])
            targets = np.sort(ref)[np.linspace(0, ref.size - 1, n_draws).round().astype(int)] if n_draws else ref[:0]
        want = widen * np.r_[q_lo, q_hi, targets if (j >= 1 + dz.K) else []]
        path = _profile_path(dz, theta_hat, ssr_hat, j, se[j], (want.min(), want.max()))
        lo, hi = _solve_R(dz, path, theta_hat, ssr_hat, j, [widen * q_hi, widen * q_lo])
        lims[j] = (float(lo), float(hi))
        if j >= 1 + dz.K and n_draws:
            d = _path_draws(path, widen * targets)
            if draws is None:
                draws = d
            else:  # second exponent of the joint law: its own column from its own path
                draws[:, j] = d[:, j]
    return lims, draws


def _boot_intervals(method, dz, theta_hat, boot: _Boot, use, se_hat, conf, widen):
    """Percentile or bootstrap-t limits in theta space for E and the exponents, and draws (theta space)."""
    js = [0] + list(range(1 + dz.K, dz.p))
    th = boot.theta[use]
    lims = {}
    draws = th.copy()
    for j in js:
        if method == "percentile":
            lo, hi = _quantiles(th[:, j], conf)
            lo, hi = theta_hat[j] - widen * (theta_hat[j] - lo), theta_hat[j] + widen * (hi - theta_hat[j])
        else:
            T = (th[:, j] - theta_hat[j]) / np.where(boot.se[use, j] > 0, boot.se[use, j], np.nan)
            T = T[np.isfinite(T)]
            t_lo, t_hi = _quantiles(T, conf)
            lo, hi = theta_hat[j] - widen * se_hat[j] * t_hi, theta_hat[j] - widen * se_hat[j] * t_lo
            draws[:, j] = theta_hat[j] - widen * se_hat[j] * np.resize(T, th.shape[0])
        lims[j] = (float(max(lo, dz.lo[j])), float(min(hi, dz.hi[j])))
    return lims, draws



def _kind_text(interval, resample, conf, n_boot, block, rho, df):
    lvl = f"{conf:.0%}"
    boot = f"{resample} resampling" + (f", block {block}" if resample == "block" else "") + \
        (f", AR(1) rho {rho:.2f}" if resample == "ar1" else "") + f", {n_boot} refits"
    return {"profile": f"profile-t {lvl} (t reference, {df} df; iid errors)",
            "profile-boot": f"bootstrap-calibrated profile-t {lvl} ({boot})",
            "studentized": f"studentized bootstrap {lvl} ({boot})",
            "percentile": f"percentile bootstrap {lvl} ({boot})"}[interval]


def _intervals_and_draws(dz, theta_hat, ssr_hat, se, interval, boot, use, conf, widen, n_draws):
    """Limits in theta space for E and the exponents, and draws (theta space), by the chosen method."""
    js = [0] + list(range(1 + dz.K, dz.p))
    if interval in ("profile", "profile-boot"):
        refs = {j: (None if interval == "profile" else boot.R[j][use]) for j in js}
        return _profile_intervals(dz, theta_hat, ssr_hat, se, refs, conf, widen, n_draws)
    return _boot_intervals(interval, dz, theta_hat, boot, use, se, conf, widen)


def bootstrap_memory_bytes(n: int, K: int, n_boot: int, resample: str = "residual") -> int:
    """Upper estimate of the peak bytes of ``n_boot`` vectorized refits of an ``n``-point fit with ``K`` terms.

    The refits are solved all at once: the grid start holds ``(n_boot, G, m, m)``
    Gram stacks (G grid points, m = K + 1 amplitudes) and a few copies in the
    active-set solve; Levenberg-Marquardt holds ``(n_boot, n, p)`` Jacobians;
    ``resample="ar1"`` adds ``(n_boot, n, n)`` Cholesky factors. Checked against
    tracemalloc's peak in tests/robustness/test_empirical_memory.py.
    """
    G = _grid(K).shape[0]
    m, p = K + 1, 1 + 2 * K
    per_draw = max(G * (4 * m * m + 5 * m + 4), 3 * n * p + 6 * n) + 2 * n
    if resample == "ar1":
        per_draw += n * n
    return int(1.2 * 8 * n_boot * per_draw)  # 1.2: temporaries of numpy's batched solves


def check_bootstrap_memory(n: int, K: int, n_boot: int, resample: str = "residual") -> None:
    """Refuse (ValidationError naming ``--n-boot``) refits whose estimate exceeds the model memory budget."""
    from infogeo.validation import MODEL_MEMORY_FRACTION, check_memory

    need = bootstrap_memory_bytes(n, K, n_boot, resample)
    check_memory(need, f"n_boot={n_boot} refits of a {n}-point fit with {K} power term(s)", MODEL_MEMORY_FRACTION,
                 hint="use fewer refits (--n-boot)")



def _calibration_note(interval, resample, n, p) -> str:
    if interval == "profile":
        return (f"profile-t: exact for a linear model with iid Gaussian log errors; with {n} points and {p} "
                f"parameters its level rests on iid errors and mild curvature (docs/statistics.md)")
    return (f"{interval} bootstrap with {resample} resampling: level rests on the error model "
            f"'{resample}' (docs/statistics.md)")

