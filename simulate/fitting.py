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
import warnings

import numpy as np
from scipy import optimize

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


def _fit_once(lx, ly, estimator, start=None):
    A_ols = np.polyfit(lx, ly, 1)
    a0, logA0 = -A_ols[0], A_ols[1]
    if estimator == "pure":
        return np.array([logA0, a0, 0.0])
    y = np.exp(ly)
    scale = float(np.min(y))

    def resid(t):
        v = _model((t[0], t[1], t[2] * scale), lx)
        # the model must stay positive on the window: a steep penalty keeps the solver inside
        return np.where(v > 0, np.log(np.maximum(v, 1e-300)) - ly, 50.0 + (scale - v) / scale)

    if start is None:
        start = np.array([logA0, a0, 0.0])
    else:
        start = np.array([start[0], start[1], start[2] / scale])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = optimize.least_squares(resid, start, method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=150)
    if sol.status <= 0:  # 0: evaluation budget exhausted, -1: solver failure; never report such a fit
        raise ValidationError(
            f"the exponent fit did not converge (scipy least_squares status {sol.status}: {sol.message})")
    t = sol.x
    return np.array([t[0], t[1], t[2] * scale])


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
        boots = np.full(n_boot, np.nan)
        for i in range(n_boot):
            starts = rng.integers(0, L - blk + 1, size=nb)
            idx = (starts[:, None] + np.arange(blk)[None, :]).ravel()[:L]
            try:
                boots[i] = _fit_once(lx, fitted + res[idx], estimator, start=theta)[1]
            except ValueError:
                pass  # a refit that does not converge is dropped and counted below
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
