"""Section 3 (Lemma 3.6, Theorems 3.7 and 3.8): simulated exponents against theory's predictions.

:func:`exponents` runs one set of assumptions and returns the tidy exponents
table; :func:`sweep` runs a grid; :func:`report_tables` builds the tables the
report draws; :func:`simulate_loss_curve` gives other layers an (x, loss)
dataset from a known assumption.

Exponents table columns
-----------------------
alpha, law, order, cost, axis (flops | skills | params | frontier), fitted
(the replicate mean in stochastic mode), ci_low, ci_high, ci_method (what the
interval is: ``misfit`` for a deterministic curve, a replicate range or
percentile interval for stochastic runs), predicted (M = infinity; NaN where no
prediction applies), prediction_source (theory | user | none), rel_error
(fitted/predicted - 1), reference (the exponent of theory's exact finite-M
curve on the same grid and window; NaN where theory has none), reference_rel_error
(fitted/reference - 1), evidence (dynamics | tail sum | no prediction | no fit:
whether a wrong dynamics could move the row), agrees, tolerance (relative, vs
predicted), reference_tolerance (relative, vs reference), fit_window_lo,
fit_window_hi (x units of the axis: flops, skills, parameters, flops),
window_n_lo, window_n_hi (skills comprehended), estimator, points,
rms_log_residual, M, mode, seed, note. The agreement rule and what counts as
evidence: :mod:`simulate.agreement`.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from infogeo.validation import (
    ValidationError,
    as_generator,
    choice,
    nonnegative,
    nonnegative_int,
    positive,
    positive_int,
)
from theory import skills as th

from . import dynamics as dyn
from .agreement import (
    REFERENCE_TOLERANCE,
    TOLERANCE,
    agreement_summary,
    evidence,
    fit_on_window,
    reference_exponent,
    verdict,
)
from .assumptions import Assumptions, make
from .fitting import default_window, replicate_interval
from .laws import PowerLaw, call_plugin, plugin_output

__all__ = ["exponents", "exponents_memory", "predicted", "sweep", "report_tables", "simulate_loss_curve",
           "trajectory_table", "EXPONENT_COLUMNS", "TRAJECTORY_COLUMNS", "TOLERANCE"]

AXES = ("flops", "skills", "params", "frontier")
X_UNITS = {"flops": "flops", "skills": "skills", "params": "parameters", "frontier": "flops"}

EXPONENT_COLUMNS = [
    "alpha", "law", "order", "cost", "axis", "fitted", "ci_low", "ci_high", "ci_method", "predicted",
    "prediction_source", "rel_error", "reference", "reference_rel_error", "evidence", "agrees", "tolerance",
    "reference_tolerance", "fit_window_lo", "fit_window_hi", "window_n_lo", "window_n_hi", "estimator", "points",
    "rms_log_residual", "M", "mode", "seed", "note",
]
TRAJECTORY_COLUMNS = ["alpha", "law", "order", "cost", "axis", "x", "H_minus_C", "H", "n_skills", "in_fit_window",
                      "M", "mode", "seed"]


def _nan(x):
    return float("nan") if x is None else float(x)


def predicted(a: Assumptions, axis: str) -> tuple[float, str]:
    """(predicted exponent, source) for an axis under assumptions ``a``.

    theory.skills.predicted_exponent applies when the law has an ``alpha``
    (the tail exponent for a broken power law) and the order and cost are ones
    theory models; otherwise a plug-in's own ``predicted_exponent(alpha, axis,
    order)`` is used if it defines one; else NaN.
    """
    alpha = a.alpha
    t_order = getattr(a.order, "theory_order", None)
    t_cost = getattr(a.cost, "theory_cost", None)
    if alpha is not None and t_order is not None and t_cost is not None:
        if axis == "frontier" and t_order != "parallel":
            return float("nan"), "none"
        if axis == "skills" and t_order == "parallel" and t_cost == "constant":
            return float("nan"), "none"  # every skill is comprehended at the same flop
        try:
            return float(th.predicted_exponent(alpha, axis, order=t_order, cost=t_cost)), "theory"
        except ValidationError:  # outside the prediction's range (e.g. an alpha it does not cover)
            return float("nan"), "none"
    if alpha is not None:
        for plug in (a.cost, a.order, a.law):
            hook = getattr(plug, "predicted_exponent", None)
            if callable(hook):
                v = call_plugin(plug, "predicted_exponent", alpha, axis, a.order.name, kind="prediction")
                if v is None:
                    continue
                what = f"plug-in {str(getattr(plug, 'name', type(plug).__name__))!r}: predicted_exponent"
                v = plugin_output(v, what)
                if v.ndim != 0:
                    raise ValidationError(f"{what} must return one number (or None), got shape {v.shape}")
                if np.isfinite(v):
                    return float(v), "user"
    return float("nan"), "none"


def _axis_data(traj: dyn.Trajectory, axis: str):
    """(x, H - C, skills comprehended) of one run along a trajectory axis (flops, skills or params)."""
    if axis == "flops":
        return traj.S, traj.H_minus_C, traj.n_at_S
    if axis == "skills":
        return traj.n.astype(float), traj.H_minus_C_at_n, traj.n
    return traj.N, traj.H_minus_C_at_cap, traj.n_cap


_fit_axis = fit_on_window


def _row(a, axis, fit, win, estimator, mode, seed, *, tol, note="", ci=None, fitted=None, ci_method=None,
         reference=float("nan"), evidence_label=None):
    pred, src = predicted(a, axis)
    val = _nan(fitted if fitted is not None else (fit.exponent if fit else None))
    lo, hi = ci if ci is not None else ((fit.ci_low, fit.ci_high) if fit else (np.nan, np.nan))
    rel = val / pred - 1.0 if np.isfinite(pred) and np.isfinite(val) else float("nan")
    ref_rel = val / reference - 1.0 if np.isfinite(reference) and np.isfinite(val) else float("nan")
    if evidence_label is None:
        evidence_label = "no fit" if fit is None else "no prediction"
    return {
        "alpha": _nan(a.alpha), "law": a.law.name, "order": _order_label(a.order), "cost": a.cost.name,
        "axis": axis, "fitted": val, "ci_low": float(lo), "ci_high": float(hi),
        "ci_method": ci_method or (f"misfit: {fit.ci_method}" if fit and fit.ci_method != "none" else "none"),
        "predicted": pred, "prediction_source": src, "rel_error": rel, "reference": reference,
        "reference_rel_error": ref_rel, "evidence": evidence_label, "agrees": verdict(val, pred, reference, tol),
        "tolerance": tol, "reference_tolerance": REFERENCE_TOLERANCE if np.isfinite(reference) else np.nan,
        "fit_window_lo": fit.x_lo if fit else np.nan, "fit_window_hi": fit.x_hi if fit else np.nan,
        "window_n_lo": int(win[0]), "window_n_hi": int(win[1]), "estimator": estimator,
        "points": fit.points if fit else 0, "rms_log_residual": fit.rms_log_residual if fit else np.nan,
        "M": a.M, "mode": mode, "seed": seed, "note": note,
    }


def _order_label(order) -> str:
    k = getattr(order, "k", None)
    return f"{order.name}(k={k})" if k is not None else order.name


#: The fewest skill counts a fit window may hold: the skills and params axes have one grid point per count,
#: and the three-parameter fit (:func:`simulate.fitting.fit_exponent`) needs 6 points.
MIN_WINDOW_SKILLS = 6


def _window(a: Assumptions, window, n_learned):
    """The fit window (n_lo, n_hi) in skills comprehended, checked: inside 1..n_learned, >= 6 skill counts."""
    if window is None:
        lo, hi = default_window(a.M, n_learned)
        if hi - lo + 1 < MIN_WINDOW_SKILLS:
            raise ValidationError(f"the default fit window {lo}..{hi} skills (n_hi = M/10 for M={a.M}) holds "
                             f"{hi - lo + 1} skill counts; a fit needs >= {MIN_WINDOW_SKILLS}: use M >= "
                             f"{10 * MIN_WINDOW_SKILLS} or give a window of >= {MIN_WINDOW_SKILLS} skills")
        return lo, hi
    if len(window) != 2:
        raise ValidationError(f"window must be (n_lo, n_hi) skills, got {window!r}")
    lo, hi = positive_int(window[0], "window[0]"), positive_int(window[1], "window[1]")
    if not lo < hi:
        raise ValidationError(f"window must be (n_lo, n_hi) skills with 1 <= n_lo < n_hi, got {tuple(window)}")
    if hi > n_learned:
        limit = f"M={a.M}" if n_learned == a.M else f"capacity={n_learned}"
        raise ValidationError(f"window n_hi={hi} exceeds the {n_learned} skills a run comprehends ({limit}); "
                         f"no point lies beyond it")
    if hi - lo + 1 < MIN_WINDOW_SKILLS:
        raise ValidationError(f"window {lo}..{hi} holds {hi - lo + 1} skill counts; a fit needs >= {MIN_WINDOW_SKILLS} "
                         f"(n_hi - n_lo >= {MIN_WINDOW_SKILLS - 1})")
    return lo, hi


def _no_fit_message(a: Assumptions, rows, win) -> str:
    """Why no axis could be fitted, for the error :func:`exponents` raises instead of an all-NaN table."""
    reasons: dict[str, list[str]] = {}
    for r in rows:
        reasons.setdefault(r["note"].removeprefix("no fit: "), []).append(r["axis"])
    why = "; ".join(f"{', '.join(axes)}: {reason}" for reason, axes in reasons.items())
    msg = f"no axis could be fitted on the window {win[0]}..{win[1]} skills ({why})"
    alpha = a.alpha
    if alpha is not None and alpha * np.log(win[1] / win[0]) < 0.5:
        msg += (f". With alpha={alpha:g} the tail n^-alpha changes by only {alpha * np.log(win[1] / win[0]):.2g} "
                "in log over the window: the curve is logarithmic there and A x^-a - b cannot separate its "
                "exponent from its offset; use a larger alpha, a wider window (larger M), or estimator 'pure'")
    return msg


def _replicate_summary(vals: np.ndarray):
    """(mean, interval, label, standard error of the mean) of an exponent over R stochastic replicates."""
    R = vals.size
    se = float(vals.std(ddof=1) / np.sqrt(R))
    if R >= 40:  # enough replicates for the 2.5% and 97.5% order statistics to be estimated
        return float(vals.mean()), replicate_interval(vals), f"replicate 2.5-97.5 percentile (R={R})", se
    return float(vals.mean()), (float(vals.min()), float(vals.max())), f"replicate range min-max (R={R})", se


def _axis_row(a, axis, runs, seeds, win, estimator, n_boot, tolerance):
    """One row of the exponents table for a trajectory axis (flops, skills, params)."""
    mode, seed = runs[0].mode, seeds[0]
    pred_ok = bool(np.isfinite(predicted(a, axis)[0]))
    if mode == "expected":
        fit = _fit_axis(*_axis_data(runs[0], axis), win, estimator, n_boot, seed)
        ref, note = reference_exponent(runs[0], axis, win, estimator, seed)
        return _row(a, axis, fit, win, estimator, mode, seed, tol=tolerance, note=note, reference=ref,
                    evidence_label=evidence(runs[0], axis, pred_ok, True))
    fits = [_fit_axis(*_axis_data(r, axis), win, estimator, 0, s) for r, s in zip(runs, seeds)]
    mean, ci, label, se = _replicate_summary(np.array([f.exponent for f in fits]))
    pred = predicted(a, axis)[0]
    # asymptotic tolerance plus two Monte Carlo standard errors of the replicate mean
    tol = tolerance + (2 * se / pred if np.isfinite(pred) and pred > 0 else 0.0)
    return _row(a, axis, fits[0], win, estimator, mode, seed, tol=tol, ci=ci, fitted=mean, ci_method=label,
                evidence_label=evidence(runs[0], axis, pred_ok, True))


def _frontier_row(a, window, estimator, n_boot, points, seed, tolerance):
    win = _window(a, window, a.M)
    try:
        fr = dyn.frontier(a, points=points, seed=seed)
        fit = _fit_axis(fr.S, fr.H_minus_C, fr.n_opt, win, estimator, n_boot, seed)
    except ValidationError as exc:  # too few points in the window, ...: a row that says why (a bug propagates)
        return _row(a, "frontier", None, win, estimator, "expected", seed, tol=tolerance, note=f"no fit: {exc}")
    has_pred = bool(np.isfinite(predicted(a, "frontier")[0]))
    return _row(a, "frontier", fit, win, estimator, "expected", seed, tol=tolerance,
                evidence_label="dynamics" if has_pred else "no prediction",
                note="no finite-M reference: theory has no closed form of the frontier")


def exponents_memory(a: Assumptions, *, mode: str = "expected", replicates: int = 8, points: int = 400,
                     n_boot: int = 200, axes=AXES) -> tuple[dict[str, float], dict[str, float]]:
    """Estimated peak bytes of :func:`exponents` by what drives them, and the values of those arguments.

    One run at its peak (:func:`simulate.dynamics.run_memory`) while the earlier replicates are held (their
    comprehension flops, M float64 each, and their grids), the frontier when it is fitted, the bootstrap draws.
    """
    R = replicates if mode == "stochastic" else 1
    terms = dyn.run_memory(a, mode, points)
    terms["replicates"] = 8.0 * (R - 1) * (1.1 * a.M + 6 * points)
    if "frontier" in axes and getattr(a.order, "theory_order", None) == "parallel" and a.capacity is None:
        fr = dyn.frontier_memory(a, points)
        terms = {**terms, "M": max(terms["M"], fr["M"]), "points": max(terms["points"], fr["points"])}
    terms["n_boot"] = 8.0 * n_boot
    values = {"M": a.M, "points": points, "hits": dyn._expected_hits(a) if mode == "stochastic" else 0,
              "replicates": R, "n_boot": n_boot}
    return terms, values


def exponents(
    assumptions: Assumptions,
    *,
    mode: str = "expected",
    seed: int = 0,
    replicates: int = 8,
    window: tuple[int, int] | None = None,
    estimator: str = "offset",
    n_boot: int = 200,
    points: int = 400,
    axes=AXES,
    tolerance: float = TOLERANCE,
    return_runs: bool = False,
    progress: bool = False,
):
    """Fit the exponents of H(X|Y) - C on each axis and compare them with the predictions.

    ``mode="expected"``: one deterministic run; the interval is a misfit interval
    (moving-block bootstrap of the log-residuals: how much the exponent moves under
    the misfit of the fitted form, not a confidence interval, so it need not contain
    the prediction), and the row is also compared with the exponent of theory's exact
    finite-M curve (:mod:`simulate.agreement`). ``mode="stochastic"``: ``replicates``
    runs with seeds ``seed, seed+1, ...``; ``fitted`` is their mean exponent and the
    interval their 2.5-97.5 percentiles (R >= 40) or their range (fewer). ``window``
    is (n_lo, n_hi) in skills comprehended (default
    :func:`simulate.fitting.default_window`). The frontier axis needs the parallel
    order and is fitted on the expected-value model.

    Returns the exponents DataFrame (columns :data:`EXPONENT_COLUMNS`), and the
    runs too if ``return_runs``. ``progress``: a bar over the stochastic replicates (stderr).
    """
    a = assumptions
    mode = choice(mode, "mode", dyn.MODES)
    for axis in axes:
        choice(axis, "axes", AXES)
    # validated here: per-axis fit errors are recorded in the table, not raised
    n_boot = nonnegative_int(n_boot, "n_boot")
    seed = nonnegative_int(seed, "seed")
    tolerance = positive(tolerance, "tolerance")
    if mode == "stochastic":
        replicates = positive_int(replicates, "replicates", minimum=2)
    points = positive_int(points, "points", minimum=3)
    dyn.check_terms(*exponents_memory(a, mode=mode, replicates=replicates, points=points, n_boot=n_boot, axes=axes))
    win = _window(a, window, a.M if a.capacity is None else a.capacity)  # = runs[0].n_learned, known before
    seeds = [seed] if mode == "expected" else [seed + i for i in range(replicates)]
    if progress and mode == "stochastic":  # tqdm is imported only to show a bar (the single expected run has none)
        from tqdm.auto import tqdm

        with tqdm(seeds, desc="simulate replicates", file=sys.stderr) as bar:  # closed before an interrupt is told
            runs = [dyn.run(a, mode=mode, seed=s, points=points) for s in bar]
    else:
        runs = [dyn.run(a, mode=mode, seed=s, points=points) for s in seeds]
    rows = []
    for axis in [x for x in axes if x != "frontier"]:
        try:
            rows.append(_axis_row(a, axis, runs, seeds, win, estimator, n_boot, tolerance))
        except ValidationError as exc:  # a fit the data cannot support: a row that says why (a bug propagates)
            rows.append(_row(a, axis, None, win, estimator, mode, seed, tol=tolerance, note=f"no fit: {exc}"))
    if "frontier" in axes and getattr(a.order, "theory_order", None) == "parallel" and a.capacity is None \
            and a.delta_noise == 0:
        rows.append(_frontier_row(a, window, estimator, n_boot, points, seed, tolerance))
    # A law with a prediction whose every fit failed would give an all-NaN table: not a result, an error.
    # (A law without one, e.g. exponential, may well have no power law to fit: its rows say why.)
    if rows and all(r["evidence"] == "no fit" for r in rows) and any(np.isfinite(r["predicted"]) for r in rows):
        raise ValidationError(_no_fit_message(a, rows, win))
    df = pd.DataFrame(rows, columns=EXPONENT_COLUMNS)
    return (df, runs) if return_runs else df


def _downsample(n_points: int, target: int) -> np.ndarray:
    if n_points <= target:
        return np.arange(n_points)
    return np.unique(np.round(np.linspace(0, n_points - 1, target)).astype(int))


def trajectory_table(traj: dyn.Trajectory, *, window=None, max_points: int = 200, frontier: dyn.Frontier | None = None):
    """Tidy table of one run (columns :data:`TRAJECTORY_COLUMNS`), at most ``max_points`` per axis."""
    a = traj.assumptions
    win = _window(a, window, traj.n_learned)
    parts = []
    curves = [(ax,) + _axis_data(traj, ax) for ax in ("flops", "skills", "params")]
    if frontier is not None:
        curves.append(("frontier", frontier.S, frontier.H_minus_C, frontier.n_opt))
    for axis, x, y, n in curves:
        keep = y > 0  # log axes: the last point reaches C exactly
        x, y, n = x[keep], y[keep], n[keep]
        idx = _downsample(x.size, max_points)
        parts.append(pd.DataFrame({
            "alpha": _nan(a.alpha), "law": a.law.name, "order": _order_label(a.order), "cost": a.cost.name,
            "axis": axis, "x": x[idx], "H_minus_C": y[idx], "H": a.C + y[idx],
            "n_skills": np.asarray(n)[idx].astype(np.int64),
            "in_fit_window": (n[idx] >= win[0]) & (n[idx] <= win[1]), "M": a.M, "mode": traj.mode,
            "seed": traj.seed if traj.seed is not None else -1,
        }))
    return pd.concat(parts, ignore_index=True)[TRAJECTORY_COLUMNS]


def sweep(
    alphas,
    orders,
    seeds,
    *,
    costs=("inverse_p",),
    M: int = 100_000,
    mode: str = "expected",
    base: dict | None = None,
    progress: bool = True,
    **kw,
) -> pd.DataFrame:
    """Exponents over a grid alpha × order × cost × seed (one row per fitted axis).

    ``orders``/``costs`` entries are names, ``{"name": ..., **params}`` dicts or
    plug-in objects; ``base`` holds further :class:`Assumptions` fields (B, C,
    delta, delta_noise, capacity, r). In stochastic mode each seed is one run
    (replicates=1 is not allowed, so each seed runs ``kw.get('replicates', 2)``).
    """
    base = dict(base or {})
    combos = [(al, o, c, s) for al in alphas for o in orders for c in costs for s in seeds]
    if not combos:
        raise ValidationError("sweep grid is empty: give at least one alpha, order, cost and seed")
    from tqdm.auto import tqdm

    out = []
    for al, o, c, s in tqdm(combos, desc="simulate sweep", disable=not progress, file=None):
        a = Assumptions(law=PowerLaw(al), M=M, order=make("order", o), cost=make("cost", c), **base)
        df = exponents(a, mode=mode, seed=int(s), **kw)
        out.append(df)
    return pd.concat(out, ignore_index=True)


def _estimator_bias(a: Assumptions, traj: dyn.Trajectory, seed: int) -> list[dict]:
    rows = []
    win = default_window(a.M, traj.n_learned)
    x, y, n = _axis_data(traj, "flops")
    pred, _ = predicted(a, "flops")
    for est in ("offset", "pure"):
        f = _fit_axis(x, y, n, win, est, 0, seed)
        rows.append({"alpha": a.alpha, "order": _order_label(a.order), "cost": a.cost.name, "axis": "flops",
                     "estimator": est, "fitted": f.exponent, "predicted": pred,
                     "rel_error": f.exponent / pred - 1 if np.isfinite(pred) else np.nan,
                     "fit_window_lo": f.x_lo, "fit_window_hi": f.x_hi, "M": a.M})
    return rows


def report_tables(seed: int = 0, progress: bool = True, *, M: int = 10**6, alphas=(0.3, 0.5, 1.0),
                  stochastic_M: int = 100_000, replicates: int = 40,
                  graph_edges: int = 10**7) -> dict[str, pd.DataFrame]:
    """All tables the report draws. Deterministic given ``seed``.

    - ``"agreement"``: :func:`simulate.agreement_summary` of the exponents table and of the
      stochastic table, one row each (table, rows, counted, agree, all_agree, repeats,
      tail_sum_rows, no_prediction_rows, no_fit_rows).

    - ``"exponents"``: :data:`EXPONENT_COLUMNS`; expected-value runs at M for
      sequential/parallel × cost 1/p, sequential × constant cost, random order,
      4-at-a-time (flops, skills, params and, for parallel, frontier axes).
    - ``"trajectories"``: :data:`TRAJECTORY_COLUMNS`, <= 200 points per curve.
    - ``"stochastic"``: exponents from ``replicates`` stochastic runs at
      ``stochastic_M`` (interval = 2.5-97.5 replicate percentiles for R >= 40, else the
      replicate range), sequential and parallel.
    - ``"estimator_bias"``: flops exponent by the finite-M form vs a pure
      power-law fit on the same window (why the offset form is needed).
    - ``"skill_graph"``: alpha recovered from a graph with ``graph_edges`` edges:
      alpha, seed, M, n_edges, alpha_hat, ci_low, ci_high, within_ci, xmin,
      n_tail, gamma, gamma_power, powerlaw_gamma, model.
    """
    from tqdm.auto import tqdm

    from .graph import fit_alpha, skill_graph

    combos = [("sequential", "inverse_p"), ("parallel", "inverse_p"), ("sequential", "constant"),
              ("random", "inverse_p"), ({"name": "k_at_a_time", "k": 4}, "inverse_p")]
    exps, trajs, bias, stoch, graphs = [], [], [], [], []
    jobs = [(al, o, c) for al in alphas for o, c in combos]
    bar = tqdm(total=len(jobs) + 2 * len(alphas) + len(alphas), desc="simulate report", disable=not progress)
    for al, o, c in jobs:
        a = Assumptions(law=PowerLaw(al), M=M, order=o, cost=c)
        df, runs = exponents(a, seed=seed, return_runs=True, n_boot=50)
        exps.append(df)
        fr = dyn.frontier(a, seed=seed) if a.order.name == "parallel" else None
        trajs.append(trajectory_table(runs[0], frontier=fr))
        if o in ("sequential", "parallel") and c == "inverse_p":
            bias += _estimator_bias(a, runs[0], seed)
        bar.update()
    for al in alphas:
        for o in ("sequential", "parallel"):
            a = Assumptions(law=PowerLaw(al), M=stochastic_M, order=o)
            stoch.append(exponents(a, mode="stochastic", seed=seed, replicates=replicates, axes=("flops", "skills")))
            bar.update()
        g = skill_graph(al, M, graph_edges, seed=seed)
        f = fit_alpha(g.degrees)
        graphs.append({"alpha": al, "seed": seed, "M": M, "n_edges": graph_edges, "alpha_hat": f.alpha,
                       "ci_low": f.ci_low, "ci_high": f.ci_high, "within_ci": bool(f.ci_low <= al <= f.ci_high),
                       "xmin": f.xmin, "n_tail": f.n_tail, "gamma": f.gamma, "gamma_power": f.gamma_power,
                       "powerlaw_gamma": f.powerlaw_gamma, "model": f.model})
        bar.update()
    bar.close()
    tables = {"exponents": pd.concat(exps, ignore_index=True), "trajectories": pd.concat(trajs, ignore_index=True),
              "stochastic": pd.concat(stoch, ignore_index=True)}
    tables["agreement"] = _agreement_table(tables)
    return {**tables, "estimator_bias": pd.DataFrame(bias), "skill_graph": pd.DataFrame(graphs)}


def _agreement_table(tables) -> pd.DataFrame:
    rows = []
    for name in ("exponents", "stochastic"):
        s = agreement_summary(tables[name])
        nc = s.pop("not_counted")
        rows.append({"table": name, **s, **{f"{k.replace(' ', '_')}_rows": nc.get(k, 0)
                                           for k in ("tail sum", "no prediction", "no fit")}})
    return pd.DataFrame(rows)


def simulate_loss_curve(
    alpha: float,
    order: str = "sequential",
    cost: str = "inverse_p",
    *,
    axis: str = "flops",
    M: int = 10**6,
    points: int = 60,
    window: tuple[int, int] | None = None,
    noise: float = 0.0,
    mode: str = "expected",
    B: float = 2.0,
    C: float = 1.0,
    delta: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
    """An (x, loss) dataset from the skill model under a known assumption, for cross-layer tests.

    ``loss = H(X|Y)`` at ``points`` log-spaced x inside the fit window (default
    n in [100, M/10] skills), times ``exp(noise * N(0,1))`` if ``noise > 0``.
    With finite M the curve is ``loss ≈ E + A x^-a`` with ``E = C - b`` (b the
    finite-M offset, see :mod:`simulate.fitting`), i.e. exactly the form
    scaling-law fitters assume, with ``a = predicted_exponent``.

    Columns: x, loss, H_minus_C, n_skills. ``df.attrs``: alpha, order, cost, axis,
    predicted_exponent, C, B, M, window, x_unit.
    """
    axis = choice(axis, "axis", AXES)
    noise = nonnegative(noise, "noise")
    points = positive_int(points, "points", minimum=3)
    a = Assumptions(law=PowerLaw(alpha), M=M, order=order, cost=cost, B=B, C=C, delta=delta)
    rng = as_generator(seed)
    if axis == "frontier":
        fr = dyn.frontier(a, points=4 * points, seed=rng)
        x, y, n = fr.S, fr.H_minus_C, fr.n_opt
        n_learned = a.M
    else:
        traj = dyn.run(a, mode=mode, seed=rng, points=4 * points)
        x, y, n = _axis_data(traj, axis)
        n_learned = traj.n_learned
    win = _window(a, window, n_learned)
    k = (n >= win[0]) & (n <= win[1]) & (y > 0)
    x, y, n = x[k], y[k], np.asarray(n)[k]
    x, first = np.unique(x, return_index=True)
    y, n = y[first], n[first]
    if x.size < 3:
        raise ValidationError(f"window {win} holds {x.size} points; widen it or raise M")
    idx = np.unique(np.round(np.geomspace(1, x.size, min(points, x.size))).astype(int) - 1)
    x, y, n = x[idx], y[idx], n[idx]
    loss = C + y
    if noise > 0:
        loss = loss * np.exp(noise * rng.standard_normal(loss.size))
    pred, _ = predicted(a, axis)
    df = pd.DataFrame({"x": x, "loss": loss, "H_minus_C": y, "n_skills": n.astype(np.int64)})
    df.attrs.update({"alpha": float(alpha), "order": order, "cost": cost, "axis": axis, "predicted_exponent": pred,
                     "C": C, "B": B, "M": M, "window": win,
                     "x_unit": X_UNITS[axis]})
    return df
