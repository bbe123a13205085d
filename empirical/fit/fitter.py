"""Section 3 (Theorems 3.7, 3.8): robust scaling-law fits, L = E + A·X^-a and L = E + A/N^α + B/D^β.

The objective follows the Chinchilla replication of Besiroglu et al. (2024,
"Chinchilla Scaling: A replication attempt", after Hoffmann et al. 2022,
Appendix D.2): the model is written in log-sum-exp form,

.. math:: \\log \\hat L_i = \\operatorname{LSE}\\big(e,\\; l_1 - a_1 z_{i1},\\; \\ldots\\big),
          \\quad E = e^{e},\\; A_k = e^{l_k} x_{\\mathrm{ref},k}^{a_k},\\; z_{ik} = \\log(x_{ik}/x_{\\mathrm{ref},k}),

and the summed Huber loss (threshold ``delta``, 1e-3 by default) of the log
residuals :math:`r_i = \\log L_i - \\log \\hat L_i` is minimised with L-BFGS-B
(analytic gradient) from several starts. The starts come from variable
projection: on a grid of exponents the linear coefficients (E, A_k) are the
non-negative least-squares solution of the relative-error problem, so every
start already has its best amplitudes. Centring log X at its geometric mean
``x_ref`` makes the fit independent of the unit of X (Kaplan's N, C or D can
be given in any unit) and keeps the problem well conditioned.

A fit counts as converged only when the projected gradient of the scaled
objective (sum of Huber losses / (n·delta)) is below ``gtol`` in every
coordinate, not merely when the optimizer returns. Intervals are percentile
bootstrap intervals over refits that converged: each refit starts from the
point estimate *and* from fresh variable-projection starts of its own
resample, and the table reports the fraction of refits that converged and the
fraction that moved from the start they ended on (a refit that never leaves
a warm start silently shrinks the interval).

Public API: :func:`fit_power_law`, :func:`fit_joint_law`; both return a
:class:`FitResult` with ``params``, ``intervals``, ``diagnostics``,
``boot`` (converged bootstrap draws), ``predict``, ``band`` and ``to_frame``.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls
from tqdm.auto import tqdm

from infogeo.validation import ValidationError, ValidationTypeError, as_float_array, nonnegative, positive, positive_int

__all__ = ["FitResult", "fit_power_law", "fit_joint_law", "LOSSES", "BOOTSTRAPS", "A_MIN", "A_MAX"]

LOSSES = ("huber", "l2")
BOOTSTRAPS = ("residual", "pairs")
#: Bounds of every fitted exponent; a fit on a bound is flagged, never silently accepted.
A_MIN, A_MAX = 1e-3, 5.0


# --------------------------------------------------------------------------- objective
def _model_log(theta: np.ndarray, z: np.ndarray, K: int):
    """log L̂ and the softmax weights (d log L̂ / d[e, l_k]) at theta = [e, l_1..l_K, a_1..a_K]."""
    if K == 1:  # the common case, without the (n, K+1) temporaries
        t1 = theta[1] - theta[2] * z[:, 0]
        lse = np.logaddexp(theta[0], t1)
        w1 = np.exp(t1 - lse)
        return lse, np.column_stack([1.0 - w1, w1])
    e, lk, a = theta[0], theta[1:1 + K], theta[1 + K:]
    terms = np.empty((z.shape[0], K + 1))
    terms[:, 0] = e
    terms[:, 1:] = lk - a * z
    m = terms.max(axis=1, keepdims=True)
    w = np.exp(terms - m)
    s = w.sum(axis=1, keepdims=True)
    return (m + np.log(s))[:, 0], w / s


def _objective(theta_free, free, theta_fixed, z, logy, K, loss, delta):
    theta = theta_fixed.copy()
    theta[free] = theta_free
    logyhat, w = _model_log(theta, z, K)
    r = logy - logyhat
    n = r.size
    if loss == "huber":
        psi = np.clip(r, -delta, delta)
        # Huber(r) = psi·r − psi²/2 in both branches
        f = float(np.dot(psi, r - 0.5 * psi)) / (n * delta)
        psi = psi / (n * delta)
    else:
        f = 0.5 * float(np.dot(r, r)) / n
        psi = r / n
    # dr/dtheta = -d log L̂ / dtheta
    g = np.empty(2 * K + 1)
    g[0] = -np.dot(psi, w[:, 0])
    g[1:1 + K] = -(psi @ w[:, 1:])
    g[1 + K:] = psi @ (w[:, 1:] * z)
    return f, g[free]


def _projected_grad(x, g, lo, hi):
    pg = g.copy()
    pg[(x <= lo + 1e-12) & (g > 0)] = 0.0
    pg[(x >= hi - 1e-12) & (g < 0)] = 0.0
    return float(np.max(np.abs(pg))) if pg.size else 0.0


@dataclass
class _Problem:
    z: np.ndarray          # (n, K) centred log X
    logy: np.ndarray       # (n,)
    K: int
    loss: str
    delta: float
    fix_E: float | None
    lo: np.ndarray = field(init=False)
    hi: np.ndarray = field(init=False)
    free: np.ndarray = field(init=False)
    theta_fixed: np.ndarray = field(init=False)

    def __post_init__(self):
        K = self.K
        ly_min, ly_max = float(self.logy.min()), float(self.logy.max())
        self.lo = np.r_[ly_min - 25.0, np.full(K, ly_min - 40.0), np.full(K, A_MIN)]
        self.hi = np.r_[ly_max + 1.0, np.full(K, ly_max + 10.0), np.full(K, A_MAX)]
        self.free = np.ones(2 * K + 1, dtype=bool)
        self.theta_fixed = np.zeros(2 * K + 1)
        if self.fix_E is not None:
            self.free[0] = False
            self.theta_fixed[0] = -np.inf if self.fix_E == 0 else math.log(self.fix_E)

    def value(self, theta):
        return _objective(theta[self.free], self.free, self.theta_fixed, self.z, self.logy,
                          self.K, self.loss, self.delta)

    def with_logy(self, logy, idx=None):
        z = self.z if idx is None else self.z[idx]
        return _Problem(z, logy, self.K, self.loss, self.delta, self.fix_E)


def _varpro_starts(P: _Problem, n_keep: int, grid: int) -> list[np.ndarray]:
    """Best starts from a grid of exponents with (E, A_k) solved by NNLS on relative errors."""
    y = np.exp(P.logy)
    exps = np.geomspace(0.02, 3.0, grid)
    cands = []
    for a in itertools.product(exps, repeat=P.K):
        a = np.asarray(a)
        X = np.exp(-P.z * a)
        if P.fix_E is None:
            M, rhs = np.column_stack([np.ones_like(y), X]), y
        else:
            M, rhs = X, y - P.fix_E
        Mw = M / y[:, None]
        c, _ = nnls(Mw, rhs / y)
        if P.fix_E is None:
            E, A = c[0], c[1:]
        else:
            E, A = P.fix_E, c
        theta = np.r_[math.log(E) if E > 0 else P.lo[0],
                      np.log(np.maximum(A, 1e-300)), a]
        theta = np.clip(theta, P.lo, P.hi)
        if P.fix_E is not None:
            theta[0] = P.theta_fixed[0]
        cands.append((P.value(theta)[0], tuple(np.round(theta, 6)), theta))
    cands.sort(key=lambda t: t[0])
    out, seen = [], set()
    for _f, key, theta in cands:
        if key in seen:
            continue
        seen.add(key)
        out.append(theta)
        if len(out) >= n_keep:
            break
    return out


def _solve(P: _Problem, starts: list[np.ndarray], gtol: float):
    """Minimise from each start; return (theta, f, projected grad, converged, moved)."""
    lo, hi = P.lo[P.free], P.hi[P.free]
    best = None
    for th0 in starts:
        x0 = np.clip(th0[P.free], lo, hi)
        res = minimize(_objective, x0, jac=True, method="L-BFGS-B",
                       args=(P.free, P.theta_fixed, P.z, P.logy, P.K, P.loss, P.delta),
                       bounds=list(zip(lo, hi)),
                       options={"maxiter": 3000, "ftol": 1e-14, "gtol": gtol * 1e-2, "maxcor": 20})
        x = res.x
        f, g = _objective(x, P.free, P.theta_fixed, P.z, P.logy, P.K, P.loss, P.delta)
        if _projected_grad(x, g, lo, hi) > gtol:
            # L-BFGS-B often stops on its f-tolerance in the Huber kink region; a BFGS
            # polish from there usually drives the gradient down (clipped back into bounds).
            res2 = minimize(_objective, x, jac=True, method="BFGS",
                            args=(P.free, P.theta_fixed, P.z, P.logy, P.K, P.loss, P.delta),
                            options={"maxiter": 2000, "gtol": gtol * 1e-2})
            x2 = np.clip(res2.x, lo, hi)
            f2, g2 = _objective(x2, P.free, P.theta_fixed, P.z, P.logy, P.K, P.loss, P.delta)
            if f2 <= f:
                x, f, g = x2, f2, g2
        pg = _projected_grad(x, g, lo, hi)
        moved = bool(np.max(np.abs(x - x0)) > 1e-7)
        cand = (f, x, pg, moved)
        if best is None or f < best[0] - 1e-14 or (abs(f - best[0]) <= 1e-14 and pg < best[2]):
            best = cand
    f, x, pg, moved = best
    theta = P.theta_fixed.copy()
    theta[P.free] = x
    return theta, f, pg, pg <= gtol, moved


# --------------------------------------------------------------------------- result
@dataclass
class FitResult:
    """A fitted scaling law.

    Attributes
    ----------
    form : ``"power_law"`` (L = E + A·X^-a) or ``"joint"`` (L = E + A/N^α + B/D^β).
    params : dict of point estimates (``E, A, a`` or ``E, A, alpha, B, beta``),
        in the units of the inputs.
    intervals : dict param -> (low, high), percentile bootstrap at ``conf``
        over converged refits (NaN when too few refits converged or n_boot = 0).
    diagnostics : dict with ``n`` (points), ``k`` (free parameters), ``loss``,
        ``delta``, ``objective`` (sum Huber / (n·delta), or mean r²/2),
        ``grad_norm`` (projected, inf-norm), ``converged``, ``at_bound``
        (params on an optimizer bound), ``rmse_log``, ``mae_log``, ``r2_log``
        (R² of log L), ``aic``, ``bic`` (Gaussian on log residuals),
        ``n_boot``, ``boot_converged_frac``, ``boot_moved_frac``, ``bootstrap``, ``conf``.
    boot : (n_converged, k) array of bootstrap draws of the free parameters,
        columns ``boot_names``.
    x_ref : geometric mean of each covariate (the centring point of the fit).
    residuals_log : log L − log L̂ per point, rows sorted by (x..., y) (the
        fitter's canonical order, which makes results independent of input order).
    """

    form: str
    params: dict
    intervals: dict
    diagnostics: dict
    boot: np.ndarray
    boot_names: tuple
    x_ref: np.ndarray
    residuals_log: np.ndarray

    def _theta_to_params(self, E, A, a):
        if self.form == "power_law":
            return {"E": E, "A": A[0], "a": a[0]}
        return {"E": E, "A": A[0], "alpha": a[0], "B": A[1], "beta": a[1]}

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

    def _full_rows(self, rows: np.ndarray) -> np.ndarray:
        """Draws as rows of every parameter in reported order; a fixed E (not among ``boot_names``) filled in."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.boot_names))
        return np.column_stack([rows[:, self.boot_names.index(nm)] if nm in self.boot_names
                                else np.full(len(rows), float(self.params[nm])) for nm in self.params])

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
        preds = self._curves(self._full_rows(self.boot), X)
        q = (1 - conf) / 2
        return np.quantile(preds, q, axis=0), np.quantile(preds, 1 - q, axis=0)

    _FRAME_KEYS = ("n", "k", "loss", "converged", "grad_norm", "at_bound", "rmse_log", "r2_log", "aic", "bic",
                   "n_boot", "boot_converged_frac", "boot_moved_frac")

    def _frame(self, **extra) -> pd.DataFrame:
        d = self.diagnostics
        rows = []
        for name, est in self.params.items():
            lo, hi = self.intervals.get(name, (np.nan, np.nan))
            rows.append({"form": self.form, "param": name, "estimate": float(est), "ci_low": float(lo),
                         "ci_high": float(hi), "conf": d["conf"], **{k: d[k] for k in self._FRAME_KEYS}, **extra})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per parameter with estimate, interval and the fit's diagnostics.

        Columns: ``form, param, estimate, ci_low, ci_high, conf, n, k, loss,
        converged, grad_norm, at_bound, rmse_log, r2_log, aic, bic, n_boot,
        boot_converged_frac, boot_moved_frac``.
        """
        return self._frame()


# --------------------------------------------------------------------------- validation
def _as_positive(v, name: str) -> np.ndarray:
    arr = as_float_array(v, name, ndim=1, allow_empty=True)  # finite float64, or an error naming it
    if np.any(arr <= 0):
        raise ValidationError(f"{name} must be > 0 (a power law needs positive X and L), found {arr.min():g}")
    return arr


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (bool, float)) or not isinstance(seed, (int, np.integer)):
        raise ValidationTypeError(f"seed must be an int or numpy Generator, got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


def _check_options(loss, delta, n_boot, conf, bootstrap, n_starts, fix_E):
    if loss not in LOSSES:
        raise ValidationError(f"loss must be one of {LOSSES}, got {loss!r}")
    positive(delta, "delta")
    positive_int(n_boot, "n_boot", minimum=0)
    if not (isinstance(conf, float) and 0 < conf < 1):
        raise ValidationError(f"conf must be a float in (0, 1), got {conf!r}")
    if bootstrap not in BOOTSTRAPS:
        raise ValidationError(f"bootstrap must be one of {BOOTSTRAPS}, got {bootstrap!r}")
    positive_int(n_starts, "n_starts")
    if fix_E is not None:
        nonnegative(fix_E, "fix_E")


# --------------------------------------------------------------------------- driver
def _unpack(theta: np.ndarray, P: _Problem, log_ref: np.ndarray):
    """(E, A_k, a_k) in the units of the inputs from theta = [e, l_k, a_k] on centred log X."""
    K = P.K
    E = 0.0 if P.fix_E == 0 else math.exp(theta[0])
    A = np.exp(theta[1:1 + K] + theta[1 + K:] * log_ref)
    return E, A, theta[1 + K:].copy()


def _fit_stats(P: _Problem, theta: np.ndarray, r: np.ndarray, form: str) -> dict:
    """Goodness of fit on log L (RMSE, MAE, R², Gaussian AIC/BIC) and the parameters left on a bound."""
    n, k_free = r.size, int(P.free.sum())
    ss_res = float(np.dot(r, r))
    ss_tot = float(np.sum((P.logy - P.logy.mean()) ** 2))
    with np.errstate(divide="ignore"):
        ll_term = n * math.log(ss_res / n) if ss_res > 0 else -np.inf
    at_bound = [nm for nm, th, lo, hi, fr in zip(_theta_names(form, P.K), theta, P.lo, P.hi, P.free)
                if fr and (th <= lo + 1e-9 or th >= hi - 1e-9) and nm != "E"]
    if P.free[0] and theta[0] <= P.lo[0] + 1e-9:
        at_bound.append("E")  # E driven to ~0: the data prefer a pure power law
    return {"at_bound": ",".join(at_bound), "rmse_log": math.sqrt(ss_res / n), "mae_log": float(np.mean(np.abs(r))),
            "r2_log": 1.0 - ss_res / ss_tot if ss_tot > 0 else np.nan,
            "aic": ll_term + 2 * k_free, "bic": ll_term + k_free * math.log(n)}


def _bootstrap(P: _Problem, theta: np.ndarray, logyhat: np.ndarray, r: np.ndarray, log_ref: np.ndarray, *,
               form: str, n_boot: int, rng: np.random.Generator, bootstrap: str, n_starts: int, grid: int,
               gtol: float, progress: bool) -> tuple[np.ndarray, int, int]:
    """Refit ``n_boot`` resamples; return (converged draws in :func:`_param_names` order, n converged, n moved).

    ``residual`` resamples log residuals (inflated by sqrt(n/(n-k))) around the
    fit; ``pairs`` resamples rows, redrawing until every covariate keeps 3
    distinct values. Each refit starts from the point estimate and from its
    own resample's variable-projection starts.
    """
    n, K = r.size, P.K
    draws, n_conv, n_moved = [], 0, 0
    infl = math.sqrt(n / max(n - int(P.free.sum()), 1))
    it = range(n_boot)
    if progress and n_boot:
        it = tqdm(it, desc=f"bootstrap {form}", leave=False, file=None)
    for _ in it:
        if bootstrap == "residual":
            Pb = P.with_logy(logyhat + infl * r[rng.integers(0, n, n)])
        else:
            for _tries in range(100):
                idx = rng.integers(0, n, n)
                if all(np.unique(P.z[idx, k]).size >= 3 for k in range(K)):
                    break
            Pb = P.with_logy(P.logy[idx], idx)
        starts_b = [theta] + _varpro_starts(Pb, max(1, n_starts // 4), max(8, grid // 2))
        th_b, _, _, conv_b, moved_b = _solve(Pb, starts_b, gtol)
        n_moved += moved_b
        if conv_b:
            n_conv += 1
            draws.append(_param_vec(form, *_unpack(th_b, P, log_ref), P.fix_E))
    n_names = len(_param_names(form)) - (P.fix_E is not None)
    return np.array(draws, dtype=np.float64).reshape(-1, n_names), n_conv, n_moved


def _fit(form, X, y, *, names, loss, delta, n_boot, seed, conf, bootstrap, n_starts, grid,
         gtol, fix_E, progress) -> FitResult:
    """Fit ``form`` to validated rows (X, y) > 0 and bootstrap it (options as in :func:`fit_power_law`).

    Rows are put in a canonical order (so the bootstrap, not only the point
    estimate, is independent of input order), log X is centred at its
    geometric mean (the fit is then unit-free), and the point estimate is the
    best of the variable-projection starts polished by :func:`_solve`.
    """
    K = X.shape[1]
    order = np.lexsort((y,) + tuple(X[:, k] for k in reversed(range(K))))
    X, y = X[order], y[order]
    log_ref = np.log(X).mean(axis=0)
    P = _Problem(np.log(X) - log_ref, np.log(y), K, loss, float(delta), None if fix_E is None else float(fix_E))
    if fix_E is not None and np.any(y <= fix_E):
        raise ValidationError(f"{names[-1]} must exceed fix_E={fix_E} everywhere")
    theta, f, pg, converged, _ = _solve(P, _varpro_starts(P, n_starts, grid), gtol)
    logyhat, _ = _model_log(theta, P.z, K)
    r = P.logy - logyhat
    boot, n_conv, n_moved = _bootstrap(P, theta, logyhat, r, log_ref, form=form, n_boot=n_boot, rng=_rng(seed),
                                       bootstrap=bootstrap, n_starts=n_starts, grid=grid, gtol=gtol,
                                       progress=progress)
    boot_names = tuple(nm for nm in _param_names(form) if not (fix_E is not None and nm == "E"))
    res = FitResult(form=form, params={}, intervals={}, diagnostics={}, boot=boot,
                    boot_names=boot_names, x_ref=np.exp(log_ref), residuals_log=r)
    res.params = res._theta_to_params(*_unpack(theta, P, log_ref))
    q = (1 - conf) / 2
    enough = n_boot > 0 and n_conv >= max(10, n_boot // 2)
    for j, nm in enumerate(boot_names):
        res.intervals[nm] = ((float(np.quantile(boot[:, j], q)), float(np.quantile(boot[:, j], 1 - q)))
                             if enough else (np.nan, np.nan))
    if fix_E is not None:
        res.intervals["E"] = (float(fix_E), float(fix_E))
    stats = _fit_stats(P, theta, r, form)
    res.diagnostics = {
        "n": r.size, "k": int(P.free.sum()), "loss": loss, "delta": float(delta), "objective": float(f),
        "grad_norm": float(pg), "converged": bool(converged), **stats,
        "n_boot": int(n_boot), "boot_converged_frac": n_conv / n_boot if n_boot else np.nan,
        "boot_moved_frac": n_moved / n_boot if n_boot else np.nan,
        "bootstrap": bootstrap, "conf": conf, "x_names": tuple(names[:-1]), "y_name": names[-1],
    }
    return res


def _param_names(form):
    return ("E", "A", "a") if form == "power_law" else ("E", "A", "alpha", "B", "beta")


def _theta_names(form, K):
    return ("E", "A", "a") if K == 1 else ("E", "A", "B", "alpha", "beta")


def _param_vec(form, E, A, a, fix_E):
    v = [E, A[0], a[0]] if form == "power_law" else [E, A[0], a[0], A[1], a[1]]
    return v[1:] if fix_E is not None else v


def fit_power_law(x, y, *, loss: str = "huber", delta: float = 1e-3, n_boot: int = 200,
                  seed=0, conf: float = 0.95, bootstrap: str = "residual", n_starts: int = 4,
                  grid: int = 30, gtol: float = 1e-6, fix_E: float | None = None,
                  x_name: str = "x", y_name: str = "y", progress: bool = False) -> FitResult:
    """Fit L = E + A·x^-a (E ≥ 0, A > 0, 1e-3 ≤ a ≤ 5) robustly, with bootstrap intervals.

    Parameters
    ----------
    x, y : 1-D arrays of equal length n ≥ 4 with at least 3 distinct x; all > 0.
        x is the scale variable (parameters, steps, tokens, FLOP; any unit),
        y the loss (nats).
    loss : ``"huber"`` (summed Huber of log residuals, Chinchilla replication)
        or ``"l2"`` (least squares on log residuals).
    delta : Huber threshold on log residuals (1e-3 as in Hoffmann et al. 2022).
    n_boot : bootstrap refits (0 skips intervals).
    seed : int or numpy Generator; same seed, same result to the bit.
    bootstrap : ``"residual"`` (log residuals, inflated by sqrt(n/(n-k)); the
        default because 8-point designs are common) or ``"pairs"`` (rows).
    n_starts, grid : variable-projection starts kept, and exponents on the grid.
    gtol : convergence threshold on the projected gradient (inf-norm) of the
        scaled objective.
    fix_E : hold E at this value (0 gives a pure power law, 2 free parameters).
    x_name, y_name : names used in error messages (e.g. the column names).
    """
    _check_options(loss, delta, n_boot, conf, bootstrap, n_starts, fix_E)
    x = _as_positive(x, x_name)
    y = _as_positive(y, y_name)
    if x.size != y.size:
        raise ValidationError(f"{x_name} and {y_name} must have the same length, got {x.size} and {y.size}")
    k = 3 if fix_E is None else 2
    if x.size < k + 1:
        raise ValidationError(f"too few points in {x_name!r} for L = E + A·x^-a: need >= {k + 1}, got {x.size}")
    if np.unique(x).size < k:
        raise ValidationError(f"{x_name!r} needs at least {k} distinct values for L = E + A·x^-a, "
                         f"got {np.unique(x).size}")
    return _fit("power_law", x[:, None], y, names=(x_name, y_name), loss=loss, delta=delta,
                n_boot=n_boot, seed=seed, conf=conf, bootstrap=bootstrap, n_starts=n_starts,
                grid=grid, gtol=gtol, fix_E=fix_E, progress=progress)


def fit_joint_law(N, D, loss_values, *, loss: str = "huber", delta: float = 1e-3, n_boot: int = 200,
                  seed=0, conf: float = 0.95, bootstrap: str = "residual", n_starts: int = 4,
                  grid: int = 12, gtol: float = 1e-6, fix_E: float | None = None,
                  names: tuple[str, str, str] = ("N", "D", "loss"),
                  progress: bool = False) -> FitResult:
    """Fit L = E + A/N^α + B/D^β (Hoffmann et al. 2022, Eq. 2) robustly, with bootstrap intervals.

    ``N`` (parameters), ``D`` (tokens) and ``loss_values`` (nats) are 1-D
    arrays > 0 of equal length n ≥ 6, with at least 3 distinct values of each
    of N and D. Other arguments as in :func:`fit_power_law` (``grid`` is per
    exponent, so grid² starts are scored). ``names`` name the three inputs in
    error messages.
    """
    _check_options(loss, delta, n_boot, conf, bootstrap, n_starts, fix_E)
    N = _as_positive(N, names[0])
    D = _as_positive(D, names[1])
    y = _as_positive(loss_values, names[2])
    if not (N.size == D.size == y.size):
        raise ValidationError(f"{names[0]}, {names[1]} and {names[2]} must have the same length, "
                         f"got {N.size}, {D.size}, {y.size}")
    k = 5 if fix_E is None else 4
    if y.size < k + 1:
        raise ValidationError(
            f"too few points in {names[2]!r} for L = E + A/N^α + B/D^β: need >= {k + 1}, got {y.size}")
    for arr, nm in ((N, names[0]), (D, names[1])):
        if np.unique(arr).size < 3:
            raise ValidationError(
                f"{nm!r} needs at least 3 distinct values for the joint law, got {np.unique(arr).size}")
    return _fit("joint", np.column_stack([N, D]), y, names=names, loss=loss, delta=delta,
                n_boot=n_boot, seed=seed, conf=conf, bootstrap=bootstrap, n_starts=n_starts,
                grid=grid, gtol=gtol, fix_E=fix_E, progress=progress)
