"""Section 3 (Lemma 3.6, Theorems 3.7 and 3.8): exponent fits of H(X|Y) - C with honest intervals.

Estimator (``estimator="offset"``, the default)
-----------------------------------------------
With M finite, the tail of the skill sum is not a pure power law: for the
paper's law ``sum_{k>n} p_k ∝ n^-alpha - M^-alpha`` (Lemma 3.6's integral,
:func:`theory.skills.lemma36_leading_term`). Every order we model turns this
into ``H - C ≈ A x^-a - b`` on the flops, skills and params axes, with a
constant ``b >= 0`` set by the skills beyond M (and, for the parallel order, a
term linear in S that is negligible while n << M). We therefore fit

    log(H - C) = log(A x^-a - b)        (A > 0, a, b free; least squares in log space)

on a fit window chosen in *skills comprehended*, ``n_lo <= n <= n_hi``
(default ``n_lo = 100``, ``n_hi = M / 10``, see :func:`default_window`): below
n_lo the discreteness of the first skills bends the curve (O(1/n) corrections);
above n_hi the terms the form leaves out grow. Both ends are reported. The
window is mapped to x through the run itself (x where n(x) is in the window).
``estimator="pure"`` fits ``log(H - C) = log A - a log x`` (ordinary least
squares), which is biased at finite M; it is kept to show that bias.

Intervals
---------
- ``ci_method="block"`` (expected-value runs; they are deterministic, so there
  is no sampling noise to resample): a moving-block bootstrap of the
  log-residuals over the log-spaced grid (blocks of ``block`` consecutive grid
  points keep their autocorrelation). The interval says how much the exponent
  moves under the misfit of the fitted form within the window; it is an
  interval of the estimator, not of a learner's randomness.
- ``ci_method="replicates"`` (:func:`replicate_interval`): the same estimator on
  R stochastic runs with independent seeds; the 2.5/97.5 percentiles are the
  interval a single stochastic learner's exponent falls in.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from infogeo.validation import (
    ValidationError,
    as_float_array,
    as_generator,
    choice,
    finite,
    increasing,
    nonnegative_int,
    positive_int,
    same_shape,
)

__all__ = ["ExponentFit", "fit_exponent", "default_window", "replicate_interval", "ESTIMATORS"]

ESTIMATORS = ("offset", "pure")

#: Levenberg-Marquardt steps a fit may take before it counts as not converged.
LM_MAX_STEPS = 300


@dataclasses.dataclass
class ExponentFit:
    """A fitted exponent ``a`` of ``H - C ≈ A x^-a - b``.

    ``ci_low``/``ci_high`` bound a 95% interval (method in ``ci_method``);
    ``x_lo``/``x_hi`` the fit window in x units; ``points`` the grid points used.
    """

    exponent: float
    ci_low: float
    ci_high: float
    A: float
    b: float
    x_lo: float
    x_hi: float
    points: int
    estimator: str
    ci_method: str
    rms_log_residual: float

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_window(M: int, n_learned: int | None = None) -> tuple[int, int]:
    """The default fit window in skills comprehended: ``[100, M/10]`` (narrowed for small M)."""
    M = positive_int(M, "M", minimum=2)
    top = M if n_learned is None else min(M, n_learned)
    hi = max(int(top // 10), 2)
    lo = min(100, max(hi // 100, 1))
    return lo, hi


def _model(theta, lx):
    logA, a, b = theta
    return np.exp(logA - a * lx) - b


def _fit_once(lx, ly, estimator):
    """The fit's parameters (log A, a, b): log-log least squares for ``"pure"``; for ``"offset"``,
    :func:`_batched_lm` on the one row from that line with b = 0 (the refits' solver: one solver for the estimate
    and its interval, and no scipy.optimize to import)."""
    A_ols = np.polyfit(lx, ly, 1)
    a0, logA0 = -A_ols[0], A_ols[1]
    if estimator == "pure":
        return np.array([logA0, a0, 0.0])
    scale = float(np.min(np.exp(ly)))
    t = _batched_lm(lx, ly[None, :], np.array([logA0, a0, 0.0]), scale)[0]
    if not np.all(np.isfinite(t)):  # still moving after LM_MAX_STEPS steps, or no finite start: never report it
        raise ValidationError(f"the exponent fit did not converge (Levenberg-Marquardt, {LM_MAX_STEPS} steps)")
    return np.array([t[0], t[1], t[2] * scale])


def _refit_exponents(lx: np.ndarray, ly: np.ndarray, estimator: str, theta: np.ndarray) -> np.ndarray:
    """The exponent of every row of ``ly`` (resamples, shape (B, L)) refitted at once, from ``theta``.

    ``"pure"``: one least-squares solve for all rows. ``"offset"``: :func:`_batched_lm`; NaN where a refit does
    not converge.
    """
    if estimator == "pure":
        X = np.column_stack([np.ones_like(lx), lx])
        coef, *_ = np.linalg.lstsq(X, ly.T, rcond=None)
        return -coef[1]
    scale = float(np.min(np.exp(ly)))
    start = np.array([theta[0], theta[1], theta[2] / scale])
    return _batched_lm(lx, ly, start, scale)[:, 1]


def _lm_residuals(t: np.ndarray, lx: np.ndarray, ly: np.ndarray, scale: float):
    """Log-residuals (B, L) of ``exp(logA - a lx) - b'·scale`` and their Jacobian (B, L, 3); NaN where the model is
    not positive (the step that led there is rejected)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a step too far: inf/NaN cost, rejected
        E = np.exp(t[:, :1] - t[:, 1:2] * lx)
        v = E - t[:, 2:3] * scale
        r = np.where(v > 0, np.log(np.where(v > 0, v, 1.0)) - ly, np.nan)
        J = np.stack([E / v, -lx * E / v, np.broadcast_to(-scale / v, v.shape)], axis=-1)
    return r, J


def _batched_lm(lx: np.ndarray, ly: np.ndarray, start: np.ndarray, scale: float) -> np.ndarray:
    """Levenberg-Marquardt (Marquardt's scaling, steps by QR) on every row of ``ly`` at once from one ``start``.

    A row stops when a step changes its parameters by less than 1e-13 relative or cannot lower its cost by more
    than round-off (damping past 1e12 at the minimum); rows still moving after :data:`LM_MAX_STEPS` steps are NaN.
    Each row lands on the minimum scipy's ``least_squares(method="lm")`` (MINPACK) finds from the same start: a
    cost no higher and the same exponent to 1e-8 (tests/simulate/test_fitting.py).
    """
    B, n = ly.shape[0], start.size
    t = np.tile(start, (B, 1))
    r, J = _lm_residuals(t, lx, ly, scale)
    cost = np.sum(r**2, axis=1)
    lam = np.full(B, 1e-3)
    active = np.isfinite(cost)
    done = np.zeros(B, dtype=bool)
    for _ in range(LM_MAX_STEPS):
        if not active.any():
            break
        a = np.flatnonzero(active)
        Ja, ra = J[a], r[a]
        D = np.sqrt(np.maximum(np.einsum("bli,bli->bi", Ja, Ja), 1e-300))
        aug = np.concatenate([Ja, np.sqrt(lam[a])[:, None, None] * (D[:, :, None] * np.eye(n))], axis=1)
        Q, R = np.linalg.qr(aug)
        rhs = np.concatenate([-ra, np.zeros((a.size, n))], axis=1)
        step = np.linalg.solve(R, np.einsum("bli,bl->bi", Q, rhs)[..., None])[..., 0]
        t_new = t[a] + step
        r_new, J_new = _lm_residuals(t_new, lx, ly[a], scale)
        c_new = np.sum(r_new**2, axis=1)
        better = np.isfinite(c_new) & (c_new <= cost[a])
        small = np.linalg.norm(step, axis=1) <= 1e-13 * (np.linalg.norm(t[a], axis=1) + 1e-13)
        take = a[better]
        t[take], r[take], J[take], cost[take] = t_new[better], r_new[better], J_new[better], c_new[better]
        lam[take] = np.maximum(lam[take] / 3.0, 1e-12)
        lam[a[~better]] *= 4.0
        stop = a[(better & small) | (lam[a] > 1e12)]
        done[stop], active[stop] = True, False
    t[~done] = np.nan
    return t


def fit_exponent(
    x,
    y,
    *,
    window: tuple[float, float] | None = None,
    estimator: str = "offset",
    n_boot: int = 200,
    block: int = 10,
    seed=0,
) -> ExponentFit:
    """Fit ``y = H - C ≈ A x^-a - b`` on ``window`` (x units, inclusive) and bootstrap ``a``.

    Parameters
    ----------
    x, y : 1-D arrays, x > 0 increasing; points with y <= 0 are excluded.
    window : (x_lo, x_hi) or None (all points).
    estimator : ``"offset"`` (finite-M form) or ``"pure"`` (log-log OLS).
    n_boot : moving-block bootstrap resamples of the log-residuals (0: no interval).
    block : block length in grid points.
    seed : int or Generator for the bootstrap.
    """
    x = increasing(as_float_array(x, "x", ndim=1, low=0.0, low_open=True), "x")  # the block bootstrap needs grid order
    y = as_float_array(y, "y", ndim=1)
    same_shape(x, y, "x", "y")
    estimator = choice(estimator, "estimator", ESTIMATORS)
    n_boot = nonnegative_int(n_boot, "n_boot")
    block = positive_int(block, "block")
    lo, hi = (x.min(), x.max()) if window is None else (finite(window[0], "window[0]"), finite(window[1], "window[1]"))
    keep = (x >= lo) & (x <= hi) & (y > 0)
    need = 3 if estimator == "pure" else 6
    if keep.sum() < need:
        raise ValidationError(f"window [{lo:g}, {hi:g}] holds {int(keep.sum())} usable points; need >= {need}")
    lx, ly = np.log(x[keep]), np.log(y[keep])
    theta = _fit_once(lx, ly, estimator)
    fitted = np.log(np.maximum(_model(theta, lx), 1e-300))
    res = ly - fitted
    rms = float(np.sqrt(np.mean(res**2)))
    if n_boot > 0:
        rng = as_generator(seed)
        L = lx.size
        blk = min(block, L)
        nb = -(-L // blk)
        idx = np.empty((n_boot, L), dtype=np.intp)
        for i in range(n_boot):  # one draw per resample, in the order the refits used to take them
            starts = rng.integers(0, L - blk + 1, size=nb)
            idx[i] = (starts[:, None] + np.arange(blk)[None, :]).ravel()[:L]
        boots = _refit_exponents(lx, fitted + res[idx], estimator, theta)  # NaN: a refit that did not converge
        ok = np.isfinite(boots)
        # An interval from a minority of converged refits would be biased towards easy resamples.
        ci = np.percentile(boots[ok], [2.5, 97.5]) if ok.mean() >= 0.9 else (np.nan, np.nan)
        converged = "" if ok.all() else f",converged={int(ok.sum())}"
        ci_method = f"block-bootstrap(block={blk},B={n_boot}{converged})"
    else:
        ci = (np.nan, np.nan)
        ci_method = "none"
    return ExponentFit(float(theta[1]), float(ci[0]), float(ci[1]), float(np.exp(theta[0])), float(theta[2]),
                       float(x[keep].min()), float(x[keep].max()), int(keep.sum()), estimator, ci_method, rms)


def replicate_interval(exponents) -> tuple[float, float]:
    """2.5 and 97.5 percentiles of an exponent fitted on independent stochastic replicates."""
    e = as_float_array(exponents, "exponents", ndim=1)
    if e.size < 2:
        raise ValidationError("need at least 2 replicates for an interval")
    lo, hi = np.percentile(e, [2.5, 97.5])
    return float(lo), float(hi)
