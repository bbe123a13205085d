"""Section 3 (Theorems 3.7, 3.8): the public scaling-law fitters, L = E + A·x^-a and L = E + A/N^α + B/D^β.

:func:`fit_power_law` and :func:`fit_joint_law` fit by least squares on log
residuals (:mod:`empirical.fit.solver`: variable projection, bounded
Levenberg–Marquardt, a KKT convergence test) and attach calibrated intervals
(:mod:`empirical.fit.intervals`: profile-t by default, or bootstrap-calibrated
profile-t, bootstrap-t or percentile intervals under an iid, AR(1) or block
error model). Both return a :class:`FitResult`; :func:`usable` says whether a
fit's exponent can carry a verdict. Statistics and measured coverage:
docs/statistics.md; usage: docs/fit.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from infogeo.validation import (
    ValidationError,
    ValidationTypeError,
    as_float_array,
    choice,
    in_range,
    nonnegative_int,
    positive_int,
    probability,
)

from .intervals import (
    INTERVALS,
    RESAMPLES,
    _bootstrap,
    _calibration_note,
    _intervals_and_draws,
    _kind_text,
    _quantiles,
    check_bootstrap_memory,
)
from .solver import (
    _AT_BOUND,
    _BOUND_RTOL,
    _NO_PL,
    _NOT_CONV,
    _OK,
    EXP_BOUNDS,
    LOSS_RANGE,
    STATUSES,
    _at_bound_names,
    _decrement,
    _free_set,
    _jac,
    _make_design,
    _names,
    _point_fit,
    _report,
    _wald_se,
    _yhat,
)

__all__ = ["FitResult", "fit_power_law", "fit_joint_law", "usable"]


@dataclass
class FitResult:
    """A fitted scaling law: estimates, calibrated intervals, diagnostics and draws; ``predict``, ``band``,
    ``boot_frame`` and ``to_frame``.

    Attributes
    ----------
    form : ``"power_law"`` (L = E + A·x^-a) or ``"joint"`` (L = E + A/N^α + B/D^β).
    params : point estimates (``E, A, a`` or ``E, A, alpha, B, beta``), amplitudes in input units.
    intervals : param -> (low, high) at ``conf`` by ``interval_kind`` (NaN when
        the fit has no power law or too few refits are usable). E and the
        exponents are calibrated; amplitudes are read off ``boot``
        (approximate). A limit on an optimizer bound means "no limit inside the
        bounds"; ``inf`` means no upper limit for E.
    diagnostics : ``n, k, objective (SSR/(2n)), ssr, s_log (√(SSR/(n−k))),
        kkt_step_se`` (remaining Gauss-Newton step in standard errors),
        ``grad_norm`` (inf-norm of the projected gradient of SSR/(2n)),
        ``converged`` (status == "ok"), ``status``, ``at_bound`` (comma list),
        ``rmse_log, mae_log, r2_log, aic, bic``, ``n_boot``,
        ``boot_converged_frac`` (refits passing the KKT test, on a bound or not),
        ``boot_ok_frac, boot_at_bound_frac, boot_no_power_law_frac``,
        ``bootstrap`` (error model), ``ar1_rho`` (ρ of the AR(1) model, ``resample="ar1"``),
        ``interval``, ``conf``, ``widen``, ``x_names``, ``y_name``.
    boot : (m, k) draws whose column percentiles give ``intervals`` (see :mod:`empirical.fit.intervals`).
    boot_names : column names of ``boot`` and ``refits``.
    refits : (n_boot, k) raw bootstrap refits (reported parameters), ``refit_status`` their status.
    x_ref : geometric mean of each covariate.
    residuals_log : log L − log L̂ in the canonical row order (sorted by x).
    status, interval_kind, calibration : see :mod:`empirical.fit.solver` and
        :mod:`empirical.fit.intervals`; ``calibration``
        says what the interval's level rests on.
    """

    form: str
    params: dict
    intervals: dict
    diagnostics: dict
    boot: np.ndarray
    boot_names: tuple
    x_ref: np.ndarray
    residuals_log: np.ndarray
    status: str = "ok"
    interval_kind: str = ""
    calibration: str = ""
    refits: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    refit_status: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    def _curves(self, rows: np.ndarray, X: np.ndarray) -> np.ndarray:
        """L̂ at X (m, K) for parameter rows in reported order; amplitudes applied in logs (they may be huge)."""
        K = X.shape[1]
        out = np.repeat(rows[:, :1], X.shape[0], axis=1)
        for k in range(K):
            A, a = rows[:, 1 + 2 * k], rows[:, 2 + 2 * k]
            with np.errstate(divide="ignore"):
                out = out + np.exp(np.log(A)[:, None] - a[:, None] * np.log(X[:, k])[None, :])
        return out

    def _as_X(self, *xs) -> np.ndarray:
        if len(xs) != len(self.x_ref):
            raise ValidationError(f"predict needs {len(self.x_ref)} covariate array(s), got {len(xs)}")
        cols = [as_float_array(np.ravel(x), f"x[{i}]", ndim=1) for i, x in enumerate(xs)]
        if any(np.any(c <= 0) for c in cols):
            raise ValidationError("covariates passed to predict/band must be > 0")
        return np.column_stack(cols)

    def predict(self, *xs) -> np.ndarray:
        """L̂ at ``x`` (power law) or at ``(N, D)`` (joint law)."""
        return self._curves(np.array([[float(v) for v in self.params.values()]]), self._as_X(*xs))[0]

    def boot_frame(self) -> pd.DataFrame:
        """``boot`` as a DataFrame (one row per draw, one column per parameter)."""
        return pd.DataFrame(self.boot, columns=list(self.boot_names))

    def band(self, *xs, conf: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise percentile band of L̂ over ``boot`` (NaN if there are no draws)."""
        X = self._as_X(*xs)
        conf = self.diagnostics["conf"] if conf is None else conf
        if len(self.boot) == 0:
            nan = np.full(X.shape[0], np.nan)
            return nan, nan.copy()
        preds = self._curves(np.asarray(self.boot, dtype=np.float64), X)
        q = (1 - conf) / 2
        return np.quantile(preds, q, axis=0), np.quantile(preds, 1 - q, axis=0)

    _FRAME_KEYS = ("n", "k", "converged", "grad_norm", "at_bound", "rmse_log", "r2_log", "aic", "bic", "n_boot",
                   "boot_converged_frac")
    _FRAME_EXTRA = ("boot_ok_frac", "boot_at_bound_frac", "boot_no_power_law_frac")

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per parameter: ``form, param, estimate, ci_low, ci_high, conf, n, k, converged,
        grad_norm, at_bound, rmse_log, r2_log, aic, bic, n_boot, boot_converged_frac, status, interval_kind,
        boot_ok_frac, boot_at_bound_frac, boot_no_power_law_frac, calibration``."""
        d = self.diagnostics
        rows = []
        for name, est in self.params.items():
            lo, hi = self.intervals.get(name, (np.nan, np.nan))
            rows.append({"form": self.form, "param": name, "estimate": float(est), "ci_low": float(lo),
                         "ci_high": float(hi), "conf": d["conf"], **{k: d[k] for k in self._FRAME_KEYS},
                         "status": self.status, "interval_kind": self.interval_kind,
                         **{k: d[k] for k in self._FRAME_EXTRA}, "calibration": self.calibration})
        return pd.DataFrame(rows)


def _fit(form, X, y, *, names, interval, resample, n_boot, conf, seed, block, widen, calibration) -> FitResult:
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
    res = FitResult(form=form, params=dict(zip(rep_names, (float(v) for v in _report(theta_hat[None],
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
        "n": n, "k": p, "objective": ssr_hat / (2 * n), "ssr": ssr_hat,
        "s_log": math.sqrt(s2), "kkt_step_se": math.sqrt(max(dec, 0.0) / s2) if s2 > 0 else 0.0,
        "grad_norm": float(np.max(np.abs(np.where(free[0], g, 0.0)))) / n,
        "converged": status == _OK, "status": STATUSES[status],
        "at_bound": _at_bound_names(dz, theta_hat, names),
        "rmse_log": math.sqrt(ssr_hat / n), "mae_log": float(np.mean(np.abs(r))),
        "r2_log": 1.0 - ssr_hat / ss_tot if ss_tot > 0 else np.nan,
        "aic": ll + 2 * p, "bic": ll + p * math.log(n), "n_boot": int(n_boot),
        "boot_converged_frac": 1.0 - frac(_NOT_CONV) if boot is not None else np.nan,
        "boot_ok_frac": frac(_OK), "boot_at_bound_frac": frac(_AT_BOUND),
        "boot_no_power_law_frac": frac(_NO_PL),
        "ar1_rho": boot.rho if boot is not None else np.nan,
    }



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
    choice(interval, "interval", INTERVALS)
    choice(resample, "resample", RESAMPLES)
    nonnegative_int(n_boot, "n_boot")
    if interval != "profile" and n_boot < 20:
        raise ValidationError(f"n_boot must be >= 20 for interval={interval!r} (a bootstrap interval), got {n_boot}")
    probability(conf, "conf", open_interval=True)
    if not isinstance(seed, np.random.Generator):
        nonnegative_int(seed, "seed")
    if block is not None:
        positive_int(block, "block")
    in_range(widen, "widen", 1.0, math.inf)
    if calibration is not None and not isinstance(calibration, str):
        raise ValidationTypeError(f"calibration must be None or a string, got {type(calibration).__name__}")


def fit_power_law(x, y, *, interval: str = "profile", resample: str = "residual", n_boot: int = 1000,
                  conf: float = 0.95, seed=0, block: int | None = None, widen: float = 1.0,
                  calibration: str | None = None, x_name: str = "x", y_name: str = "y") -> FitResult:
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
                  calibration: str | None = None, names: tuple[str, str, str] = ("N", "D", "loss")) -> FitResult:
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


def usable(fit: FitResult, param: str, *, min_ok_frac: float = 0.9) -> tuple[bool, str]:
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
