"""Section 3 (Theorems 3.7, 3.8): fast scaling-law fits with calibrated intervals and honest convergence.

Model and objective
-------------------
L = E + A·x^-a (``K = 1``) or L = E + A/N^α + B/D^β (``K = 2``), fitted by least
squares on log residuals,

.. math:: \\hat\\theta = \\arg\\min_{E \\ge 0,\\, A_k \\ge 0,\\, a_{lo} \\le a_k \\le a_{hi}}
          \\; \\mathrm{SSR}(\\theta) = \\sum_i \\big(\\log L_i - \\log \\hat L_i(\\theta)\\big)^2,

with ``[a_lo, a_hi] = [1e-3, 5]`` (the bounds of :mod:`empirical.fit.fitter`).
Every x is centred at its geometric mean ``x_ref`` (so the unit of x does not
matter); internally ``L̂ = E + Σ_k A_k^c (x_k/x_ref,k)^-a_k`` and the reported
amplitude is ``A_k = A_k^c · x_ref,k^a_k``. Rows are put in a canonical order
(sorted by x, then L), so the result does not depend on the input order, and
for a steps curve the canonical order is time order.

Algorithm (variable projection, vectorized across bootstrap draws)
------------------------------------------------------------------
1. For every exponent on a grid (48 values per exponent, 16² pairs for the
   joint law) the amplitudes (E, A_k) are linear: they are the exact
   non-negative weighted least-squares solution of the relative-error problem
   Σ ((L_i − L̂_i)/L_i)² (≈ the log objective to second order), found by
   enumerating the active sets of the 2- or 3-column problem. All draws × all
   grid points are solved at once from Gram matrices (matrix products).
2. From each draw's best grid point, a bounded Levenberg–Marquardt iteration
   on all parameters minimises the stated log objective itself (active-set
   handling of the bounds), again for all draws at once.
3. Convergence is a KKT test, not "the optimizer returned": on the free
   parameters the remaining Gauss–Newton step must be shorter than 1e-4
   standard errors, ``gᵀH⁻¹g ≤ 1e-8·s²`` with ``s² = SSR/(n−p)``.

Status (point fit and each refit)
---------------------------------
``no_power_law``: a fitted amplitude ≈ 0 (the term changes L̂ by less than
1e-6 of its mean over the data), an exponent on its lower bound, or (one
covariate) a loss that does not decrease (least-squares slope of log L on
log x ≥ 0). ``at_bound``: E = 0 or an exponent on its upper bound (within
1e-6 relative). ``not_converged``: the KKT test fails. Otherwise ``ok``.
``converged`` is ``status == "ok"``: a fit on a bound is never converged.

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
``"residual"`` (iid, centred, inflated by √(n/(n−p))), ``"wild"`` (Rademacher
signs on leverage-adjusted residuals r_i/√(1−h_ii)), ``"ar1"`` (Gaussian AR(1)
errors along x, ρ drawn per world from its confidence distribution given the
residuals, :func:`ar1_confidence`, so its small-sample bias and uncertainty
are carried), ``"block"`` (circular moving blocks).

``boot`` holds draws whose per-parameter percentile intervals are the
reported intervals (for profile methods: points of the profile path at
quantiles of the reference distribution; for the bootstrap-t: θ̂ − se·T*),
so an analysis that pairs draws of two fits propagates the calibrated
intervals. The raw refits are in ``refits``.

Public API: :func:`fit_power_law`, :func:`fit_joint_law`, :func:`usable`;
both fitters return a :class:`ProfileFit` (fields of
:class:`empirical.fit.fitter.FitResult` plus ``status``, ``interval_kind``,
``calibration``, ``refits``, ``refit_status``).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from infogeo.validation import ValidationError, ValidationTypeError, as_float_array

from .fitter import FitResult

__all__ = ["ProfileFit", "fit_power_law", "fit_joint_law", "usable", "ar1_confidence", "ar1_rho", "INTERVALS",
           "bootstrap_memory_bytes", "check_bootstrap_memory", "LOSS_RANGE",
           "RESAMPLES", "STATUSES", "EXP_BOUNDS"]

INTERVALS = ("profile", "profile-boot", "studentized", "percentile")
RESAMPLES = ("residual", "wild", "ar1", "block")
STATUSES = ("ok", "at_bound", "no_power_law", "not_converged")
EXP_BOUNDS = (1e-3, 5.0)
#: Losses the fitter accepts: its weights 1/L are squared, so L^-2 must stay a normal float64.
LOSS_RANGE = (1e-100, 1e100)
_OK, _AT_BOUND, _NO_PL, _NOT_CONV = range(4)
_STEP_SE = 1e-4  # converged: the remaining Gauss-Newton step is below this many standard errors
_BOUND_RTOL = 1e-6
_GRID_1D = np.r_[1e-3, 4e-3, 1e-2, np.geomspace(0.02, 5.0, 45)]
_GRID_2D = np.geomspace(0.02, 3.0, 16)


# --------------------------------------------------------------------------- model, batched over draws
def _yhat(theta: np.ndarray, z: np.ndarray):
    """L̂ (B, n) and the power terms U (B, n, K) at theta (B, 1 + 2K)."""
    K = z.shape[1]
    U = np.exp(-theta[:, None, 1 + K:] * z[None, :, :])
    return theta[:, :1] + np.einsum("bnk,bk->bn", U, theta[:, 1:1 + K]), U


def _ssr(theta, z, logy) -> np.ndarray:
    yhat, _ = _yhat(theta, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = logy - np.log(yhat)
    out = np.einsum("bn,bn->b", r, r)
    out[~np.all(yhat > 0, axis=1)] = np.inf
    return out


def _jac(theta, z, logy):
    """Log residuals r (B, n) and J = d log L̂ / d theta (B, n, p)."""
    K = z.shape[1]
    yhat, U = _yhat(theta, z)
    r = logy - np.log(yhat)
    inv = 1.0 / yhat
    J = np.empty(yhat.shape + (1 + 2 * K,))
    J[:, :, 0] = inv
    J[:, :, 1:1 + K] = U * inv[:, :, None]
    J[:, :, 1 + K:] = -(theta[:, None, 1:1 + K] * z[None]) * U * inv[:, :, None]
    return r, J


def _masked_system(H, g, free):
    """H and g restricted to the free parameters (identity rows elsewhere), so a batched solve stays regular."""
    Hf = H * (free[:, :, None] & free[:, None, :])
    idx = np.arange(H.shape[1])
    Hf[:, idx, idx] = np.where(free, Hf[:, idx, idx], 1.0)
    gf = np.where(free, g, 0.0)
    return Hf, gf


def _free_set(theta, g, fixed, lo, hi):
    at_lo = (theta <= lo) & (g > 0)
    at_hi = (theta >= hi) & (g < 0)
    return ~(fixed | at_lo | at_hi)


def _decrement(H, g, free):
    """gᵀH⁻¹g on the free parameters: twice the Gauss-Newton predicted decrease of SSR/2."""
    Hf, gf = _masked_system(H, g, free)
    d = np.einsum("bii->bi", Hf)
    Hf = Hf + (1e-13 * d.max(axis=1))[:, None, None] * np.eye(H.shape[1])
    step = np.linalg.solve(Hf, gf[:, :, None])[:, :, 0]
    return np.einsum("bi,bi->b", gf, step)


def _lm(theta, z, logy, lo, hi, fixed=None, max_iter=200):
    """Bounded Levenberg-Marquardt on SSR of log residuals, all draws at once.

    Returns (theta, ssr, converged) where converged is the KKT test of the
    module docstring. ``fixed`` (B, p) marks parameters held at their value.
    """
    theta = np.clip(theta, lo, hi).astype(np.float64, copy=True)
    B, p = theta.shape
    n = z.shape[0]
    fixed = np.zeros((B, p), bool) if fixed is None else np.broadcast_to(fixed, (B, p))
    n_free = p - fixed.sum(axis=1)
    f = _ssr(theta, z, logy)
    lam = np.full(B, 1e-3)
    conv = np.zeros(B, bool)
    todo = np.arange(B)
    for _ in range(max_iter):
        th, ly = theta[todo], logy[todo]
        r, J = _jac(th, z, ly)
        g = -np.einsum("bnp,bn->bp", J, r)
        H = np.einsum("bnp,bnq->bpq", J, J)
        free = _free_set(th, g, fixed[todo], lo, hi)
        s2 = f[todo] / np.maximum(n - n_free[todo], 1)
        done = _decrement(H, g, free) <= _STEP_SE ** 2 * s2 + 1e-28 * n
        conv[todo[done]] = True
        keep = ~done
        todo, th, ly, H, g, free = todo[keep], th[keep], ly[keep], H[keep], g[keep], free[keep]
        if todo.size == 0:
            break
        Hf, gf = _masked_system(H, g, free)
        d = np.einsum("bii->bi", Hf)
        M = Hf + (lam[todo][:, None] * d + 1e-13 * d.max(axis=1, keepdims=True))[:, :, None] * np.eye(p)
        cand = np.clip(th - np.linalg.solve(M, gf[:, :, None])[:, :, 0], lo, hi)
        fc = _ssr(cand, z, ly)
        acc = fc < f[todo]
        theta[todo[acc]] = cand[acc]
        f[todo[acc]] = fc[acc]
        lam[todo] = np.where(acc, np.maximum(lam[todo] / 5.0, 1e-12), lam[todo] * 8.0)
        stuck = lam[todo] > 1e16  # no decrease possible along any damped GN direction: stop, not converged
        todo = todo[~stuck]
        if todo.size == 0:
            break
    return theta, f, conv


# --------------------------------------------------------------------------- linear amplitudes by closed form
def _nonneg_ls(G, rhs, tt):
    """min_c≥0 tt − 2 cᵀrhs + cᵀGc for stacks of m×m problems (m ≤ 3), by enumerating active sets.

    Exact for a convex quadratic on the orthant: the optimum is the
    unconstrained minimiser on the face of its support, which is feasible.
    Returns (c, objective).
    """
    m = G.shape[-1]
    shape = G.shape[:-2]
    best_c = np.zeros(shape + (m,))
    best_f = np.full(shape, float(tt))
    ridge = 1e-12 * np.einsum("...ii->...", G)[..., None, None] * np.eye(m)
    for size in range(1, m + 1):
        for S in itertools.combinations(range(m), size):
            S = list(S)
            GS = (G + ridge)[..., S, :][..., :, S]
            cS = np.linalg.solve(GS, rhs[..., S][..., None])[..., 0]
            fS = tt - np.einsum("...i,...i->...", cS, rhs[..., S])
            ok = np.all(cS >= 0, axis=-1) & (fS < best_f)
            best_f = np.where(ok, fS, best_f)
            c = np.zeros(shape + (m,))
            c[..., S] = cS
            best_c = np.where(ok[..., None], c, best_c)
    return best_c, best_f


def _grid_solve(z, logy, grid):
    """Amplitudes and relative-error objective at every grid point for every draw: (B, G, K+1), (B, G).

    grid : (G, K) exponents. The amplitudes are the non-negative least-squares
    solution of Σ ((L_i − L̂_i)/L_i)², from Gram matrices built by matrix products.
    """
    B, n = logy.shape
    K = z.shape[1]
    w = np.exp(-logy)  # weights 1/L: residuals (L - L̂)/L ≈ log residuals
    w2 = w * w
    Phi = np.concatenate([np.ones((grid.shape[0], n, 1)), np.exp(-grid[:, None, :] * z[None])], axis=2)
    m = K + 1
    Gm = np.empty((B, grid.shape[0], m, m))
    rhs = np.empty((B, grid.shape[0], m))
    for j in range(m):
        rhs[..., j] = w @ Phi[:, :, j].T
        for k in range(j, m):
            Gm[..., j, k] = Gm[..., k, j] = w2 @ (Phi[:, :, j] * Phi[:, :, k]).T
    return _nonneg_ls(Gm, rhs, n)


def _start_rows(c, grid, logy):
    """theta rows from grid amplitudes c (B, K+1) and exponents (B, K)."""
    c = c.copy()
    # an amplitude of exactly 0 would leave its exponent without a gradient: start it just above 0
    c[:, 1:] = np.maximum(c[:, 1:], 1e-8 * np.exp(logy).mean(axis=1, keepdims=True))
    return np.concatenate([c, grid], axis=1)


def _grid_starts(z, logy, grid):
    """Best grid point per draw, as a theta row (B, 1 + 2K)."""
    c, obj = _grid_solve(z, logy, grid)
    best = np.argmin(obj, axis=1)
    return _start_rows(c[np.arange(logy.shape[0]), best], grid[best], logy)


def _grid_local_minima(z, logy1, grid, K, top=3):
    """Up to ``top`` starts at the lowest local minima of the grid objective of one data row."""
    c, obj = _grid_solve(z, logy1[None], grid)
    shape = (grid.shape[0],) if K == 1 else (_GRID_2D.size,) * K
    o = obj[0].reshape(shape)
    pad = np.pad(o, 1, constant_values=np.inf)
    is_min = np.ones(shape, bool)
    for shift in itertools.product((-1, 0, 1), repeat=K):
        if any(shift):
            sl = tuple(slice(1 + s, 1 + s + d) for s, d in zip(shift, shape))
            is_min &= o <= pad[sl]
    cand = np.flatnonzero(is_min.ravel())
    cand = cand[np.argsort(obj[0, cand])][:top]
    return _start_rows(c[0, cand], grid[cand], np.broadcast_to(logy1, (cand.size, logy1.size)))


def _relinearize(theta, z, logy):
    """Amplitudes re-solved (closed form) at each row's own exponents; exponents kept."""
    B, n = logy.shape
    K = z.shape[1]
    w = np.exp(-logy)
    Phi = np.concatenate([np.ones((B, n, 1)), np.exp(-theta[:, None, 1 + K:] * z[None])], axis=2)
    Pw = Phi * w[:, :, None]
    c, _ = _nonneg_ls(np.einsum("bni,bnj->bij", Pw, Pw), np.einsum("bni,bn->bi", Pw, np.ones((B, n))), n)
    c[:, 1:] = np.maximum(c[:, 1:], 1e-8 * np.exp(logy).mean(axis=1, keepdims=True))
    out = theta.copy()
    out[:, :1 + K] = c
    return out


# --------------------------------------------------------------------------- batch fit and status
@dataclass(frozen=True)
class _Design:
    """Canonically ordered, centred data of one fit."""

    z: np.ndarray        # (n, K) log x − log x_ref
    log_ref: np.ndarray  # (K,)
    logy: np.ndarray     # (n,)
    lo: np.ndarray       # (p,) parameter bounds [E, A_k, a_k]
    hi: np.ndarray

    @property
    def n(self) -> int:
        return self.z.shape[0]

    @property
    def K(self) -> int:
        return self.z.shape[1]

    @property
    def p(self) -> int:
        return 1 + 2 * self.z.shape[1]


def _make_design(X: np.ndarray, y: np.ndarray, bounds=EXP_BOUNDS) -> tuple[_Design, np.ndarray]:
    """Design in canonical row order (sorted by x..., then y); also returns the permutation used."""
    K = X.shape[1]
    order = np.lexsort((y,) + tuple(X[:, k] for k in reversed(range(K))))
    logX = np.log(X[order])
    log_ref = logX.mean(axis=0)
    lo = np.r_[0.0, np.zeros(K), np.full(K, bounds[0])]
    hi = np.r_[np.inf, np.full(K, np.inf), np.full(K, bounds[1])]
    return _Design(logX - log_ref, log_ref, np.log(y[order]), lo, hi), order


def _grid(K: int) -> np.ndarray:
    if K == 1:
        return _GRID_1D[:, None]
    return np.array(list(itertools.product(_GRID_2D, repeat=K)))


def _fit_many(dz: _Design, logy: np.ndarray):
    """Fit every row of logy (B, n): grid start, then LM. Returns (theta, ssr, status)."""
    theta, f, conv = _lm(_grid_starts(dz.z, logy, _grid(dz.K)), dz.z, logy, dz.lo, dz.hi)
    theta, f, conv = _bound_fallback(dz, logy, theta, f, conv)
    return theta, f, _status(theta, conv, dz, logy)


def _bound_fallback(dz: _Design, logy, theta, f, conv):
    """Rows that did not converge get one more try from each exponent held at each of its bounds.

    An optimum on a bound often sits at the end of a long, badly scaled valley
    (A → 0 while a → 5: the term then only fits the first point), which LM
    walks slowly; started on the bound, the full (free) LM confirms or leaves it.
    """
    idx = np.flatnonzero(~conv)
    for j in range(1 + dz.K, dz.p):
        for bound in (dz.lo[j], dz.hi[j]):
            if idx.size == 0:
                return theta, f, conv
            _, tb, _ = _profile(dz, logy[idx], j, np.full(idx.size, bound), theta[idx])
            tb, fb, cb = _lm(tb, dz.z, logy[idx], dz.lo, dz.hi)
            better = cb & (fb <= f[idx] * (1 + 1e-9))
            theta[idx[better]], f[idx[better]], conv[idx[better]] = tb[better], fb[better], True
            idx = idx[~better]
    return theta, f, conv


def _status(theta, conv, dz: _Design, logy) -> np.ndarray:
    """Status code per row (see the module docstring); the first rule that applies wins."""
    K = dz.K
    yhat, U = _yhat(theta, dz.z)
    span = theta[:, 1:1 + K] * (U.max(axis=1) - U.min(axis=1))  # how much each power term moves L̂
    no_pl = np.any(span <= 1e-6 * yhat.mean(axis=1, keepdims=True), axis=1)
    a = theta[:, 1 + K:]
    no_pl |= np.any(a <= dz.lo[1 + K:] * (1 + _BOUND_RTOL), axis=1)
    if K == 1:
        zc = dz.z[:, 0] - dz.z[:, 0].mean()
        no_pl |= (logy - logy.mean(axis=1, keepdims=True)) @ zc >= 0  # the loss does not decrease in x
    at_b = (theta[:, 0] <= 1e-9 * yhat.mean(axis=1)) | np.any(a >= dz.hi[1 + K:] * (1 - _BOUND_RTOL), axis=1)
    return np.where(no_pl, _NO_PL, np.where(at_b, _AT_BOUND, np.where(conv, _OK, _NOT_CONV)))


# --------------------------------------------------------------------------- profiles
def _profile(dz: _Design, logy, j: int, values, starts):
    """SSR profile of parameter j: min over the others with theta_j = values (V,), one data row per value.

    logy (V, n), starts (V, p). Returns (ssr (V,), theta (V, p), converged (V,)).
    """
    th = starts.copy()
    th[:, j] = values
    if j >= 1 + dz.K:  # an exponent: re-solve the amplitudes at the new exponents for a good start
        th = _relinearize(th, dz.z, logy)
    else:  # keep the start feasible (L̂ > 0) when E is held at 0 and a start's amplitudes are 0
        amp = th[:, 1:1 + dz.K]
        th[:, 1:1 + dz.K] = np.maximum(amp, 1e-8 * np.exp(logy).mean(axis=1, keepdims=True))
    fixed = np.zeros(th.shape, bool)
    fixed[:, j] = True
    th, f, conv = _lm(th, dz.z, logy, dz.lo, dz.hi, fixed=fixed)
    return f, th, conv


def _wald_se(dz: _Design, theta, ssr):
    """Gauss-Newton standard errors sqrt(s²·diag(H⁻¹)) per row (pseudo-inverse where H is singular)."""
    _, J = _jac(theta, dz.z, np.zeros((theta.shape[0], dz.n)))
    H = np.einsum("bnp,bnq->bpq", J, J)
    cov = np.linalg.pinv(H, hermitian=True) * (ssr / max(dz.n - dz.p, 1))[:, None, None]
    return np.sqrt(np.maximum(np.einsum("bii->bi", cov), 0.0))


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


def _leverage(J: np.ndarray) -> np.ndarray:
    return np.clip(np.einsum("ij,ij->i", J @ np.linalg.pinv(J.T @ J, hermitian=True), J), 0.0, 0.99)


def _errors(resample: str, r: np.ndarray, J: np.ndarray, rng: np.random.Generator, B: int, block: int, cd=None):
    """Bootstrap log-error vectors (B, n) drawn from the point fit's residuals r under an error model."""
    n, p = J.shape
    scaled = (r - r.mean()) * math.sqrt(n / max(n - p, 1))
    if resample == "residual":
        return scaled[rng.integers(0, n, (B, n))]
    if resample == "wild":
        signs = rng.integers(0, 2, (B, n)) * 2.0 - 1.0
        return (r / np.sqrt(1.0 - _leverage(J)))[None, :] * signs
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


def _names(K: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Reported parameter names and their index in theta = [E, A_k..., a_k...]."""
    if K == 1:
        return ("E", "A", "a"), (0, 1, 2)
    return ("E", "A", "alpha", "B", "beta"), (0, 1, 3, 2, 4)


def _report(theta: np.ndarray, log_ref: np.ndarray) -> np.ndarray:
    """Rows of reported parameters (amplitudes in input units: A_k = A_k^c·x_ref^a_k), in _names order."""
    K = log_ref.size
    amp = theta[:, 1:1 + K] * np.exp(theta[:, 1 + K:] * log_ref)
    cols = [theta[:, 0]]
    for k in range(K):
        cols += [amp[:, k], theta[:, 1 + K + k]]
    return np.column_stack(cols)


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


# --------------------------------------------------------------------------- result
@dataclass
class ProfileFit(FitResult):
    """A fitted scaling law: a :class:`empirical.fit.fitter.FitResult` (its fields, ``predict``, ``band``,
    ``boot_frame``) with the fields below.

    Attributes
    ----------
    form : ``"power_law"`` (L = E + A·x^-a) or ``"joint"`` (L = E + A/N^α + B/D^β).
    params : point estimates (``E, A, a`` or ``E, A, alpha, B, beta``), amplitudes in input units.
    intervals : param -> (low, high) at ``conf`` by ``interval_kind`` (NaN when
        the fit has no power law or too few refits are usable). E and the
        exponents are calibrated; amplitudes are read off ``boot``
        (approximate). A limit on an optimizer bound means "no limit inside the
        bounds"; ``inf`` means no upper limit for E.
    diagnostics : ``n, k, loss ("l2"), objective (SSR/(2n)), ssr, s_log (√(SSR/(n−k))),
        kkt_step_se`` (remaining Gauss-Newton step in standard errors),
        ``grad_norm`` (inf-norm of the projected gradient of SSR/(2n)),
        ``converged`` (status == "ok"), ``status``, ``at_bound`` (comma list),
        ``rmse_log, mae_log, r2_log, aic, bic``, ``n_boot``,
        ``boot_converged_frac`` (refits passing the KKT test, on a bound or not),
        ``boot_ok_frac, boot_at_bound_frac, boot_no_power_law_frac``,
        ``boot_moved_frac`` (NaN: every refit starts from its own grid),
        ``bootstrap`` (error model), ``ar1_rho`` (ρ of the AR(1) model, ``resample="ar1"``),
        ``interval``, ``conf``, ``widen``, ``x_names``, ``y_name``.
    boot : (m, k) draws whose column percentiles give ``intervals`` (see the module docstring).
    boot_names : column names of ``boot`` and ``refits``.
    refits : (n_boot, k) raw bootstrap refits (reported parameters), ``refit_status`` their status.
    x_ref : geometric mean of each covariate.
    residuals_log : log L − log L̂ in the canonical row order (sorted by x).
    status, interval_kind, calibration : see the module docstring; ``calibration``
        says what the interval's level rests on.
    """

    status: str = "ok"
    interval_kind: str = ""
    calibration: str = ""
    refits: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    refit_status: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: the columns of ``FitResult.to_frame`` plus ``status, interval_kind,
        boot_ok_frac, boot_at_bound_frac, boot_no_power_law_frac, calibration``."""
        d = self.diagnostics
        extra = ("boot_ok_frac", "boot_at_bound_frac", "boot_no_power_law_frac")
        return self._frame(status=self.status, interval_kind=self.interval_kind, **{k: d[k] for k in extra},
                           calibration=self.calibration)


# --------------------------------------------------------------------------- driver
def _point_fit(dz: _Design):
    """The point estimate: LM from the best grid point and from the grid's other lowest local minima."""
    starts = _grid_local_minima(dz.z, dz.logy, _grid(dz.K), dz.K)
    ly = np.broadcast_to(dz.logy, (starts.shape[0], dz.n))
    th, f, conv = _lm(starts, dz.z, ly, dz.lo, dz.hi)
    th, f, conv = _bound_fallback(dz, ly, th, f, conv)
    st = _status(th, conv, dz, ly)
    # the lowest objective wins; among equals (within 1e-12 relative) an interior optimum is preferred
    key = f * (1 + 1e-12 * (st != _OK))
    b = int(np.argmin(key))
    return th[b], float(f[b]), int(st[b])


def _at_bound_names(dz: _Design, theta_hat, names) -> str:
    K = dz.K
    out = []
    if theta_hat[0] <= 1e-9 * np.exp(dz.logy).mean():
        out.append("E")
    for k in range(K):
        a, amp = theta_hat[1 + K + k], theta_hat[1 + k]
        nm_a, nm_amp = names[2 + 2 * k], names[1 + 2 * k]
        if a <= dz.lo[1 + K + k] * (1 + _BOUND_RTOL) or a >= dz.hi[1 + K + k] * (1 - _BOUND_RTOL):
            out.append(nm_a)
        if amp <= 1e-12 * np.exp(dz.logy).mean():
            out.append(nm_amp)
    return ",".join(out)


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


def _fit(form, X, y, *, names, interval, resample, n_boot, conf, seed, block, widen, calibration) -> ProfileFit:
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
    dz, _ = _make_design(X, y)
    n, K, p = dz.n, dz.K, dz.p
    check_bootstrap_memory(n, K, n_boot, resample)  # before any array of n_boot rows exists
    block = block if block is not None else max(2, math.ceil(n ** (1 / 3)))
    theta_hat, ssr_hat, status = _point_fit(dz)
    se = _wald_se(dz, theta_hat[None], np.array([ssr_hat]))[0]
    js = [0] + list(range(1 + K, p))
    boot, use = None, np.zeros(0, bool)
    if n_boot:
        boot = _bootstrap(dz, theta_hat, resample, n_boot, rng, block, js if interval == "profile-boot" else [])
        use = np.isin(boot.status, (_OK, _AT_BOUND))
    rep_names, rep_idx = _names(K)
    needs_boot = interval != "profile"
    enough = (not needs_boot) or (n_boot > 0 and use.sum() >= max(10, n_boot // 2))
    lims, draws = {}, None
    if status != _NO_PL and enough:
        lims, draws = _intervals_and_draws(dz, theta_hat, ssr_hat, se, interval, boot, use, conf, widen, n_boot)
    draws_rep = _report(draws, dz.log_ref) if draws is not None and len(draws) else np.empty((0, len(rep_names)))
    intervals = {}
    for nm, j in zip(rep_names, rep_idx):
        if j in lims:
            intervals[nm] = lims[j]
        elif len(draws_rep):
            col = draws_rep[:, rep_names.index(nm)]
            intervals[nm] = tuple(float(v) for v in _quantiles(col, conf))
        else:
            intervals[nm] = (np.nan, np.nan)
    r = dz.logy - np.log(_yhat(theta_hat[None], dz.z)[0][0])
    res = ProfileFit(form=form, params=dict(zip(rep_names, (float(v) for v in _report(theta_hat[None],
                                                                                       dz.log_ref)[0]))),
                     intervals=intervals, diagnostics={}, boot=draws_rep, boot_names=rep_names,
                     x_ref=np.exp(dz.log_ref), residuals_log=r, status=STATUSES[status])
    res.diagnostics = _diagnostics(dz, theta_hat, ssr_hat, status, r, boot, n_boot, rep_names)
    res.diagnostics.update(interval=interval, conf=conf, widen=float(widen), bootstrap=resample,
                           x_names=tuple(names[:-1]), y_name=names[-1])
    res.interval_kind = _kind_text(interval, resample, conf, n_boot, block,
                                   res.diagnostics["ar1_rho"], n - p)
    res.calibration = _calibration_note(interval, resample, n, p) if calibration is None else calibration
    if boot is not None:
        res.refits = _report(boot.theta, dz.log_ref)
        res.refit_status = np.array(STATUSES, dtype=object)[boot.status]
    return res


def _diagnostics(dz, theta_hat, ssr_hat, status, r, boot, n_boot, names) -> dict:
    n, p = dz.n, dz.p
    rr, J = _jac(theta_hat[None], dz.z, dz.logy[None])
    g = -np.einsum("bnp,bn->bp", J, rr)[0]
    free = _free_set(theta_hat[None], g[None], np.zeros((1, p), bool), dz.lo, dz.hi)
    H = np.einsum("bnp,bnq->bpq", J, J)
    dec = float(_decrement(H, g[None], free)[0])
    s2 = ssr_hat / max(n - p, 1)
    ss_tot = float(np.sum((dz.logy - dz.logy.mean()) ** 2))
    ll = n * math.log(ssr_hat / n) if ssr_hat > 0 else -np.inf
    frac = (lambda code: float(np.mean(boot.status == code))) if boot is not None else (lambda code: np.nan)
    return {
        "n": n, "k": p, "loss": "l2", "delta": np.nan, "objective": ssr_hat / (2 * n), "ssr": ssr_hat,
        "s_log": math.sqrt(s2), "kkt_step_se": math.sqrt(max(dec, 0.0) / s2) if s2 > 0 else 0.0,
        "grad_norm": float(np.max(np.abs(np.where(free[0], g, 0.0)))) / n,
        "converged": status == _OK, "status": STATUSES[status],
        "at_bound": _at_bound_names(dz, theta_hat, names),
        "rmse_log": math.sqrt(ssr_hat / n), "mae_log": float(np.mean(np.abs(r))),
        "r2_log": 1.0 - ssr_hat / ss_tot if ss_tot > 0 else np.nan,
        "aic": ll + 2 * p, "bic": ll + p * math.log(n), "n_boot": int(n_boot),
        "boot_converged_frac": 1.0 - frac(_NOT_CONV) if boot is not None else np.nan,
        "boot_ok_frac": frac(_OK), "boot_at_bound_frac": frac(_AT_BOUND),
        "boot_no_power_law_frac": frac(_NO_PL), "boot_moved_frac": np.nan,
        "ar1_rho": boot.rho if boot is not None else np.nan,
    }


def _calibration_note(interval, resample, n, p) -> str:
    if interval == "profile":
        return (f"profile-t: exact for a linear model with iid Gaussian log errors; with {n} points and {p} "
                f"parameters its level rests on iid errors and mild curvature (docs/statistics.md)")
    return (f"{interval} bootstrap with {resample} resampling: level rests on the error model "
            f"'{resample}' (docs/statistics.md)")


# --------------------------------------------------------------------------- validation and public API
def _positive_1d(v, name: str) -> np.ndarray:
    arr = as_float_array(v, name, ndim=1)
    if np.any(arr <= 0):
        raise ValidationError(f"{name} must be > 0 (a power law needs positive x and L), found {arr.min():g}")
    return arr


def _loss_1d(v, name: str) -> np.ndarray:
    """Losses: > 0 and inside :data:`LOSS_RANGE`, where the weighted least squares of the fitter is exact."""
    arr = _positive_1d(v, name)
    lo, hi = LOSS_RANGE
    if np.any((arr < lo) | (arr > hi)):
        bad = arr[(arr < lo) | (arr > hi)][0]
        raise ValidationError(f"{name} holds {bad:g}, outside [{lo:g}, {hi:g}]: the fit squares 1/L, which "
                         "under- or overflows there; rescale the losses (a loss in nats is of order 1-10)")
    return arr


def _check_options(interval, resample, n_boot, conf, seed, block, widen, calibration=None):
    if interval not in INTERVALS:
        raise ValidationError(f"interval must be one of {INTERVALS}, got {interval!r}")
    if resample not in RESAMPLES:
        raise ValidationError(f"resample must be one of {RESAMPLES}, got {resample!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValidationError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    if interval != "profile" and n_boot < 20:
        raise ValidationError(f"n_boot must be >= 20 for interval={interval!r} (a bootstrap interval), got {n_boot}")
    if isinstance(conf, bool) or not isinstance(conf, (float, np.floating)) or not 0 < conf < 1:
        raise ValidationError(f"conf must be a float in (0, 1), got {conf!r}")
    if not isinstance(seed, np.random.Generator) and (isinstance(seed, bool)
                                                       or not isinstance(seed, (int, np.integer))):
        raise ValidationTypeError(f"seed must be an int or numpy Generator, got {type(seed).__name__}")
    if block is not None and (isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1):
        raise ValidationError(f"block must be None or a positive integer, got {block!r}")
    if isinstance(widen, bool) or not isinstance(widen, (int, float, np.floating)) or not (
            math.isfinite(widen) and widen >= 1):
        raise ValidationError(f"widen must be a finite number >= 1, got {widen!r}")
    if calibration is not None and not isinstance(calibration, str):
        raise ValidationTypeError(f"calibration must be None or a string, got {type(calibration).__name__}")


def fit_power_law(x, y, *, interval: str = "profile", resample: str = "residual", n_boot: int = 1000,
                  conf: float = 0.95, seed=0, block: int | None = None, widen: float = 1.0,
                  calibration: str | None = None, x_name: str = "x", y_name: str = "y") -> ProfileFit:
    """Fit L = E + A·x^-a (E ≥ 0, A ≥ 0, 1e-3 ≤ a ≤ 5) by least squares on log residuals.

    Parameters
    ----------
    x, y : 1-D arrays of equal length n ≥ 4 with at least 3 distinct x; all > 0
        (x: parameters, steps, tokens or FLOP in any unit; y: loss in nats).
    interval : ``"profile"`` (profile-t; default), ``"profile-boot"``,
        ``"studentized"`` or ``"percentile"`` (module docstring).
    resample : bootstrap error model: ``"residual"``, ``"wild"``, ``"ar1"``
        (serially correlated errors; rows in x order are taken as time order)
        or ``"block"``.
    n_boot : bootstrap refits (0: no refits; only ``interval="profile"``
        then has intervals, and no refit diagnostics or draws exist).
    conf : confidence level.
    seed : int or numpy Generator; the same seed gives the same result to the bit.
    block : block length for ``resample="block"`` (default ⌈n^(1/3)⌉, at least 2).
    widen : ≥ 1; multiplies the interval's half-widths in standard-error units
        (the documented widening for designs where the coverage study shows
        under-coverage; see docs/statistics.md).
    x_name, y_name : names used in error messages.
    """
    _check_options(interval, resample, n_boot, conf, seed, block, widen, calibration)
    x = _positive_1d(x, x_name)
    y = _loss_1d(y, y_name)
    if x.size != y.size:
        raise ValidationError(f"{x_name} and {y_name} must have the same length, got {x.size} and {y.size}")
    if x.size < 4:
        raise ValidationError(f"too few points in {x_name!r} for L = E + A·x^-a: need >= 4, got {x.size}")
    if np.unique(x).size < 3:
        raise ValidationError(
            f"{x_name!r} needs at least 3 distinct values for L = E + A·x^-a, got {np.unique(x).size}")
    return _fit("power_law", x[:, None], y, names=(x_name, y_name), interval=interval, resample=resample,
                n_boot=n_boot, conf=conf, seed=seed, block=block, widen=widen, calibration=calibration)


def fit_joint_law(N, D, loss_values, *, interval: str = "profile", resample: str = "residual",
                  n_boot: int = 1000, conf: float = 0.95, seed=0, block: int | None = None, widen: float = 1.0,
                  calibration: str | None = None, names: tuple[str, str, str] = ("N", "D", "loss")) -> ProfileFit:
    """Fit L = E + A/N^α + B/D^β (Hoffmann et al. 2022, Eq. 2) by least squares on log residuals.

    ``N`` (parameters), ``D`` (tokens) and ``loss_values`` (nats): 1-D arrays
    > 0 of equal length n ≥ 6, with at least 3 distinct values of each of N
    and D. Other arguments as in :func:`fit_power_law`; ``names`` name the
    three inputs in error messages. Rows are ordered by (N, D), so
    ``resample="ar1"``/``"block"`` treat each run's checkpoints as a series.
    """
    _check_options(interval, resample, n_boot, conf, seed, block, widen, calibration)
    if not (isinstance(names, tuple) and len(names) == 3 and all(isinstance(s, str) for s in names)):
        raise ValidationTypeError(f"names must be a tuple of three strings, got {names!r}")
    N = _positive_1d(N, names[0])
    D = _positive_1d(D, names[1])
    y = _loss_1d(loss_values, names[2])
    if not (N.size == D.size == y.size):
        raise ValidationError(f"{names[0]}, {names[1]} and {names[2]} must have the same length, "
                         f"got {N.size}, {D.size}, {y.size}")
    if y.size < 6:
        raise ValidationError(f"too few points in {names[2]!r} for L = E + A/N^α + B/D^β: need >= 6, got {y.size}")
    for arr, nm in ((N, names[0]), (D, names[1])):
        if np.unique(arr).size < 3:
            raise ValidationError(
                f"{nm!r} needs at least 3 distinct values for the joint law, got {np.unique(arr).size}")
    return _fit("joint", np.column_stack([N, D]), y, names=names, interval=interval, resample=resample,
                n_boot=n_boot, conf=conf, seed=seed, block=block, widen=widen, calibration=calibration)


def usable(fit: ProfileFit, param: str, *, min_ok_frac: float = 0.9) -> tuple[bool, str]:
    """Can ``param`` of ``fit`` carry a verdict? Returns (ok, reason); reason is empty when ok.

    Rule: the point fit has status ``ok``; at least ``min_ok_frac`` of the
    refits are interior optima (refits on a bound, without a power law or not
    converged count against it); the interval is finite and inside the
    exponent bounds (an interval that reaches a bound has no limit there).
    """
    d = fit.diagnostics
    if fit.status != "ok":
        return False, f"fit status {fit.status}" + (f" ({d['at_bound']} on a bound)" if d["at_bound"] else "")
    if d["n_boot"] and not d["boot_ok_frac"] >= min_ok_frac:
        return False, (f"only {d['boot_ok_frac']:.0%} of refits are interior optima ({d['boot_at_bound_frac']:.0%} "
                       f"on a bound, {d['boot_no_power_law_frac']:.0%} without a power law, "
                       f"{1 - d['boot_converged_frac']:.0%} not converged)")
    lo, hi = fit.intervals.get(param, (np.nan, np.nan))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False, f"no finite interval for {param}"
    if param in ("a", "alpha", "beta") and (lo <= EXP_BOUNDS[0] * (1 + _BOUND_RTOL)
                                            or hi >= EXP_BOUNDS[1] * (1 - _BOUND_RTOL)):
        return False, f"the interval of {param} [{lo:.3g}, {hi:.3g}] reaches an exponent bound"
    return True, ""
