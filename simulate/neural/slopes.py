"""Section 3 (Assumption 3.5 against its alternative): log-log slopes with intervals, and the verdict they give.

One estimator serves the three axes of the neural experiment (learning time
t_k against task rank k, mean loss against steps, final loss against
parameters); :func:`fit_slope` states the method and :func:`verdict` turns an
interval and two predictions into a verdict.

Method (``fit_slope``)
----------------------
Model: ``log y_i = a + b log x_i + e_i``, e_i independent N(0, s^2).

- Point estimate. With right-censored points (``censored[i]``: y_i is only
  known to exceed the value given, e.g. a task not learned by the last step)
  the slope is the Tobit maximum-likelihood estimate: a censored point
  contributes ``log P(log y > log y_i) = log Phi(-(log y_i - a - b log x_i)/s)``.
  Censored points are kept, never dropped. Without censoring this is ordinary
  least squares.
- Interval, one seed (``interval_kind`` ``"ols-jackknife-t"`` /
  ``"tobit-jackknife-t"``): the delete-one jackknife over the uncensored
  points (each left out in turn and the fit repeated; censored points always
  kept), with a Student-t quantile on n_u - 2 degrees of freedom (n_u
  uncensored points). The jackknife needs no model of the noise: it is robust
  to unequal scatter and to the leverage of k = 1 (a sequential learner's t_1
  is its noisiest and most influential point), where the model-based interval
  is too narrow. With fewer than 4 uncensored points the model-based Wald
  interval (``"-wald-t"``; the exact OLS t-interval without censoring) is
  used. For an idealized learner's t_k plus lognormal noise the interval
  covers the noise-free slope on the same window (the estimand the
  predictions are computed for) in 92-100% of replicates, and 95% for the
  suite's own stochastic learners (``tests/simulate/test_neural_slopes.py``,
  ``tests/cross/test_neural_discriminator.py``).
- Interval, ordered curve points of one seed (``ordered=True``,
  ``"block-bootstrap"``): consecutive points of one loss curve are strongly
  correlated, so the interval is the moving-block bootstrap of the log-residuals
  of :func:`simulate.fitting.fit_exponent` (``estimator="pure"``, the suite's own
  estimator). It measures misfit of the power law over the window, not
  run-to-run randomness.
- Interval, three or more seeds (``"between-seed-t"``): the slope is fitted per
  seed (as above) and the interval is mean ± t_{g-1} sd/sqrt(g) over the g
  seeds: independent replicates, no model for the within-run noise needed.

``verdict`` needs an informative interval: if it holds both predictions it
says ``"neither rejected (uninformative)"``.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from scipy import optimize, special, stats

from infogeo.validation import ValidationError, as_float_array

__all__ = ["SlopeFit", "fit_slope", "between_seed_interval", "verdict", "VERDICTS"]

VERDICTS = ("parallel rejected", "sequential rejected", "both rejected", "neither rejected (uninformative)",
            "consistent", "rejected", "no fit")
_SUPPORTS = {"parallel rejected": "sequential", "sequential rejected": "parallel", "both rejected": "neither",
             "neither rejected (uninformative)": "undecided", "consistent": "consistent", "rejected": "neither",
             "no fit": "undecided"}


@dataclasses.dataclass
class SlopeFit:
    """``slope`` b of log y = a + b log x with a ``level`` interval [ci_low, ci_high] of kind ``interval_kind``."""

    slope: float
    ci_low: float
    ci_high: float
    intercept: float
    sigma: float
    n_points: int
    n_censored: int
    n_groups: int
    interval_kind: str
    note: str = ""


def _tobit(lx, ly, cens, want_cov=True):
    """(a, b, s) maximizing the censored normal likelihood, and the Wald covariance of (a, b) (or None)."""
    X = np.column_stack([np.ones_like(lx), lx])
    beta0 = np.linalg.lstsq(X[~cens], ly[~cens], rcond=None)[0]
    s0 = max(float(np.std(ly[~cens] - X[~cens] @ beta0)), 1e-3)

    def nll_grad(th):
        a, b, ls = th
        s = np.exp(ls)
        z = (ly - a - b * lx) / s
        zu, zc = z[~cens], z[cens]
        ll = -0.5 * zu @ zu - ls * zu.size + special.log_ndtr(-zc).sum()
        mills = np.exp(-0.5 * zc**2 - 0.5 * np.log(2 * np.pi) - special.log_ndtr(-zc))  # phi(z) / Phi(-z)
        # d/dmu of log Phi(-(y - mu)/s) = mills / s; d/dmu of the normal part = z / s
        dmu = np.zeros_like(z)
        dmu[~cens], dmu[cens] = zu / s, mills / s
        dls = float(zu @ zu - zu.size + (mills * zc).sum())
        g = np.array([dmu.sum(), dmu @ lx, dls])
        return -ll, -g

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = optimize.minimize(nll_grad, np.array([beta0[0], beta0[1], np.log(s0)]), jac=True, method="BFGS",
                                options={"gtol": 1e-9, "maxiter": 500})
    th = sol.x
    if not np.all(np.isfinite(th)) or np.linalg.norm(nll_grad(th)[1]) > 1e-4 * max(1, ly.size):
        raise ValidationError(f"the censored (Tobit) fit did not converge: {sol.message}")
    if not want_cov:
        return th[0], th[1], float(np.exp(th[2])), None
    h = 1e-5
    H = np.empty((3, 3))
    for j in range(3):  # observed information: central differences of the analytic gradient
        e = np.zeros(3)
        e[j] = h
        H[:, j] = (nll_grad(th + e)[1] - nll_grad(th - e)[1]) / (2 * h)
    cov = np.linalg.inv(0.5 * (H + H.T))
    return th[0], th[1], float(np.exp(th[2])), cov[:2, :2]


def _one_fit(lx, ly, cens, want_se=True):
    """Slope, intercept, sigma and the model-based se(slope) (NaN unless ``want_se``) for one group (OLS or Tobit)."""
    nu = int((~cens).sum())
    if nu < 3 or np.unique(lx[~cens]).size < 2:
        raise ValidationError(f"need at least 3 uncensored points at 2 distinct x, got {nu}")
    if cens.any():
        a, b, s, cov = _tobit(lx, ly, cens, want_se)
        return b, a, s, float(np.sqrt(cov[1, 1] * nu / (nu - 2))) if want_se else np.nan
    X = np.column_stack([np.ones_like(lx), lx])
    beta, *_ = np.linalg.lstsq(X, ly, rcond=None)
    res = ly - X @ beta
    s2 = float(res @ res) / (nu - 2)
    return beta[1], beta[0], float(np.sqrt(s2)), float(np.sqrt(s2 * np.linalg.inv(X.T @ X)[1, 1]))


def _jackknife_se(lx, ly, cens):
    """Delete-one jackknife se of the slope over the uncensored points (censored points always kept)."""
    u = np.flatnonzero(~cens)
    keep = np.ones(lx.size, bool)
    b = np.empty(u.size)
    for j, i in enumerate(u):
        keep[i] = False
        b[j] = _one_fit(lx[keep], ly[keep], cens[keep], want_se=False)[0]
        keep[i] = True
    return float(np.sqrt((u.size - 1) / u.size * np.sum((b - b.mean()) ** 2)))


def fit_slope(x, y, *, censored=None, groups=None, ordered: bool = False, level: float = 0.95,
              n_boot: int = 400, block: int = 5, seed=0, interval: bool = True) -> SlopeFit:
    """Fit ``log y = a + b log x`` (float64) and give a ``level`` interval for b; see the module docstring.

    Parameters
    ----------
    x, y : 1-D positive arrays (e.g. task rank k and learning step t_k).
    censored : bool array; True where y is a lower bound (right-censored). Default none.
    groups : labels of independent replicates (seeds). Three or more give a between-seed interval.
    ordered : the points are consecutive points of one curve (block bootstrap for a single group).
    level : interval level in (0, 1). n_boot, block, seed: the block bootstrap.
    interval : False skips the interval (point estimate only; ci_low = ci_high = NaN, kind ``"none"``).
    """
    x = as_float_array(x, "x", ndim=1)
    y = as_float_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValidationError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValidationError("x and y must be > 0 (log-log fit)")
    if not 0 < float(level) < 1:
        raise ValidationError(f"level must be in (0, 1), got {level}")
    cens = np.zeros(x.shape, bool) if censored is None else np.asarray(censored, dtype=bool)
    if cens.shape != x.shape:
        raise ValidationError(f"censored must have shape {x.shape}, got {cens.shape}")
    g = np.zeros(x.shape, np.int64) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    if g.shape != x.shape:
        raise ValidationError(f"groups must have shape {x.shape}, got {g.shape}")
    lx, ly = np.log(x), np.log(y)
    n_g = int(g.max()) + 1
    q = 0.5 + float(level) / 2
    base = dict(n_points=int(x.size), n_censored=int(cens.sum()), n_groups=n_g)
    if not interval:
        b, a, s, _ = _one_fit(lx, ly, cens, want_se=False)
        return SlopeFit(float(b), np.nan, np.nan, float(a), float(s), interval_kind="none", **base)
    if n_g >= 3:
        fits = [_one_fit(lx[g == i], ly[g == i], cens[g == i], want_se=False) for i in range(n_g)]
        m, _, lo, hi, kind = between_seed_interval([f[0] for f in fits], level)
        return SlopeFit(m, lo, hi, float(np.mean([f[1] for f in fits])), float(np.mean([f[2] for f in fits])),
                        interval_kind=kind, **base)
    if ordered and n_g == 1 and not cens.any():
        from ..fitting import fit_exponent

        o = np.argsort(x)
        f = fit_exponent(x[o], y[o], estimator="pure", n_boot=n_boot, block=block, seed=seed)
        lo, hi = -f.ci_high, -f.ci_low
        if level != 0.95:
            raise ValidationError("the block bootstrap gives 95% intervals only (level=0.95)")
        return SlopeFit(-f.exponent, lo, hi, float(np.log(f.A)), f.rms_log_residual,
                        interval_kind=f"block-bootstrap(block={min(block, x.size)},B={n_boot})", **base)
    b, a, s, se = _one_fit(lx, ly, cens)
    nu = int((~cens).sum())
    kind = "tobit" if cens.any() else "ols"
    if nu >= 4 and np.unique(lx[~cens]).size >= 3:
        se, kind = _jackknife_se(lx, ly, cens), kind + "-jackknife-t"
    else:
        kind += "-wald-t"
    half = stats.t.ppf(q, nu - 2) * se
    note = f"pooled over {n_g} seeds" if n_g == 2 else ""
    return SlopeFit(float(b), float(b - half), float(b + half), float(a), float(s), interval_kind=kind,
                    note=note, **base)


def between_seed_interval(values, level: float = 0.95) -> tuple[float, float, float, float, str]:
    """(mean, sd, low, high, kind) of g >= 2 independent per-seed estimates: the Student-t interval
    mean ± t_{g-1} · sd / sqrt(g) (sd with ddof 1), kind ``"between-seed-t(g=<g>)"``. It needs no model of the
    within-run noise; with few seeds it is wide (t_{2, 0.975} = 4.30 for g = 3) and its coverage rests on the
    per-seed estimates being roughly normal."""
    b = as_float_array(values, "values", ndim=1)
    if b.size < 2:
        raise ValidationError(f"values: a between-seed interval needs at least 2 seeds, got {b.size}")
    if not 0 < float(level) < 1:
        raise ValidationError(f"level must be in (0, 1), got {level}")
    m, sd = float(b.mean()), float(b.std(ddof=1))
    half = stats.t.ppf(0.5 + float(level) / 2, b.size - 1) * sd / np.sqrt(b.size)
    return m, sd, m - half, m + half, f"between-seed-t(g={b.size})"


def verdict(ci_low: float, ci_high: float, predicted_sequential: float, predicted_parallel: float) -> tuple[str, str]:
    """(verdict, supports) from an interval and the two learners' predictions.

    Two distinct predictions: ``"parallel rejected"`` (supports sequential), ``"sequential rejected"``,
    ``"both rejected"``, or ``"neither rejected (uninformative)"`` when the interval holds both. One
    prediction (the two coincide, e.g. the width axis): ``"consistent"``, ``"rejected"``, or
    ``"neither rejected (uninformative)"`` when the interval holds the prediction and 0 (no scaling) alike.
    A missing interval or prediction: ``"no fit"``.
    """
    vals = np.array([ci_low, ci_high, predicted_sequential, predicted_parallel], dtype=np.float64)
    if not np.all(np.isfinite(vals)):
        return "no fit", "undecided"
    lo, hi, ps, pp = vals
    if lo > hi:
        raise ValidationError(f"ci_low must be <= ci_high, got {lo} > {hi}")
    seq_in, par_in = lo <= ps <= hi, lo <= pp <= hi
    if np.isclose(ps, pp, rtol=1e-9, atol=1e-12):
        # one prediction: informative only if the interval also excludes no scaling at all (slope 0)
        v = ("neither rejected (uninformative)" if lo <= 0 <= hi else "consistent") if seq_in else "rejected"
    elif seq_in and par_in:
        v = "neither rejected (uninformative)"
    elif seq_in:
        v = "parallel rejected"
    elif par_in:
        v = "sequential rejected"
    else:
        v = "both rejected"
    return v, _SUPPORTS[v]
