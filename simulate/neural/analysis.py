"""Section 3 (Assumption 3.5, Theorems 3.7 and 3.8): from trained networks to tidy tables and verdicts.

:func:`analyze` takes the runs of one or more alphas (one task family per
alpha: same T, n, k_bits, steps; several widths and seeds) and returns every
table of the experiment. The largest width carries the learning-time, order,
steps and loop analyses; all widths carry the width axis.

Windows (each stated in the ``exponents`` table):

- ``learning_time``: tasks k = 1..K, K the largest rank that is learned in at
  least half the seeds while at least half of all (seed, j <= K) are learned.
  Within the window, tasks not learned are right-censored (Tobit, see
  :mod:`simulate.neural.slopes`); tasks learned beyond K are reported in the
  learning-times table but not fitted.
- ``steps``: from the first learning step (median over seeds) to the last
  step, 40 log-spaced points of the mean loss interpolated in log-log; the
  idealized learners are fitted between their 1st and n-th comprehension, n =
  tasks learned at the last step (median over seeds).
- ``width``: every width; the final mean loss against the parameter count;
  predictions for learners holding n_lo..n_hi skills, the tasks learned by the
  narrowest and the widest net.
- ``tasks_vs_params``: tasks learned (threshold 0.5) against parameters, every
  width that learned one; slope 1 if every r parameters hold a skill.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError
from theory import skills as SK

from . import measure as M
from . import predict as P
from .feedback import loop_table
from .slopes import fit_slope, verdict

__all__ = ["analyze", "EXPONENT_COLUMNS", "learning_time_window", "learning_time_exponents", "exponent_row",
           "steps_exponent_row", "width_exponent_row", "tasks_exponent_row"]

EXPONENT_COLUMNS = ["alpha", "axis", "threshold", "fitted", "ci_low", "ci_high", "interval_kind",
                    "predicted_sequential", "predicted_parallel", "asymptotic_sequential", "asymptotic_parallel",
                    "verdict", "supports", "window_lo", "window_hi", "window_unit", "n_points", "n_censored",
                    "n_seeds", "residual_sd", "tasks", "width", "note"]
SHOW_TASKS = 24  # per-task curves kept for the report's picture


def learning_time_window(lt: pd.DataFrame) -> int:
    """K of the module docstring from a learning-times table of one threshold (columns seed, task, censored)."""
    learned = ~lt.pivot(index="task", columns="seed", values="censored").sort_index().to_numpy(bool)
    per_task = learned.mean(axis=1)
    cum = np.cumsum(learned.sum(axis=1)) / (learned.shape[1] * np.arange(1, learned.shape[0] + 1))
    ok = np.flatnonzero((per_task >= 0.5) & (cum >= 0.5))
    return int(ok[-1] + 1) if ok.size else 0


def exponent_row(alpha, axis, th, fit, preds, asym, window, unit, tasks, width, note=""):
    """One row of :data:`EXPONENT_COLUMNS` from a :class:`SlopeFit` (or None: no fit) and the two predictions."""
    lo, hi = (fit.ci_low, fit.ci_high) if fit else (np.nan, np.nan)
    v, sup = verdict(lo, hi, *preds)
    return {"alpha": alpha, "axis": axis, "threshold": th, "fitted": fit.slope if fit else np.nan,
            "ci_low": lo, "ci_high": hi, "interval_kind": fit.interval_kind if fit else "none",
            "predicted_sequential": preds[0], "predicted_parallel": preds[1], "asymptotic_sequential": asym[0],
            "asymptotic_parallel": asym[1], "verdict": v, "supports": sup, "window_lo": window[0],
            "window_hi": window[1], "window_unit": unit, "n_points": fit.n_points if fit else 0,
            "n_censored": fit.n_censored if fit else 0, "n_seeds": fit.n_groups if fit else 0,
            "residual_sd": fit.sigma if fit else np.nan, "tasks": tasks, "width": width,
            "note": (fit.note if fit else "") + note}


def _negate(fit):
    """A loss-curve slope b (negative) as the exponent a = -b of loss ∝ x^-a, interval flipped."""
    fit.slope, fit.ci_low, fit.ci_high = -fit.slope, -fit.ci_high, -fit.ci_low
    return fit


def learning_time_exponents(lt: pd.DataFrame, alpha: float, tasks: int, width=None) -> pd.DataFrame:
    """The discriminating test: slope of log t_k against log k per threshold, both learners' slopes on the same
    window, and the verdict (rows of :data:`EXPONENT_COLUMNS`, axis ``learning_time``).

    ``lt``: a learning-times table of one learner (columns seed, task, threshold, t_k, censored; several seeds
    allowed), e.g. from :func:`simulate.neural.learning_times` or from an idealized learner's comprehension times.
    """
    need = {"seed", "task", "threshold", "t_k", "censored"}
    if not need <= set(lt.columns):
        raise ValidationError(f"lt must have columns {sorted(need)}, got {sorted(lt.columns)}")
    rows = []
    asym = tuple(P.asymptotic_slope(alpha, o) for o in P.ORDERS)
    for th, g in lt.groupby("threshold", sort=False):
        K = learning_time_window(g)
        w = g[g["task"] <= K]
        n_u = int((~w["censored"].astype(bool)).sum())
        if K < 4 or n_u < 3:
            rows.append(exponent_row(alpha, "learning_time", th, None, (np.nan, np.nan), asym, (1, K), "task rank k",
                                     tasks, width, f"no fit: {K} tasks in the window, {n_u} of them learned "
                                                   "(need 4 and 3)"))
            continue
        fit = fit_slope(w["task"], w["t_k"], censored=w["censored"].astype(bool), groups=w["seed"])
        preds = tuple(P.predicted_learning_time_slope(alpha, tasks, o, K) for o in P.ORDERS)
        rows.append(exponent_row(alpha, "learning_time", th, fit, preds, asym, (1, K), "task rank k", tasks, width))
    return pd.DataFrame(rows, columns=EXPONENT_COLUMNS)


def steps_exponent_row(alpha, ml, lt, tasks, width, th):
    asym = tuple(SK.predicted_exponent(alpha, "flops", order=o) for o in P.ORDERS)
    first = lt[(lt["threshold"] == th) & ~lt["censored"]].groupby("seed")["t_k"].min()
    last = ml.groupby("seed").tail(1)
    n_hi = int(np.median(last["tasks_learned"])) if len(last) else 0
    if first.empty or n_hi < 2:
        return exponent_row(alpha, "steps", th, None, (np.nan, np.nan), asym, (np.nan, np.nan), "steps", tasks, width,
                    f"no fit: {n_hi} tasks learned at the last step (need 2)")
    t_lo, t_hi = float(np.median(first)), float(ml["step"].max())
    grid = np.geomspace(t_lo, t_hi, 40)
    curves = np.array([np.interp(np.log(grid), np.log(np.maximum(g["step"], 1)), np.log(g["loss"]))
                       for _, g in ml.groupby("seed")])  # log mean loss on the grid, one row per seed
    if len(curves) >= 3:  # independent seeds: between-seed interval
        fit = fit_slope(np.tile(grid, len(curves)), np.exp(curves.ravel()), groups=np.repeat(np.arange(len(curves)),
                                                                                              grid.size))
    else:  # one curve (the geometric mean of <= 2 seeds): its points are correlated, block bootstrap
        fit = fit_slope(grid, np.exp(curves.mean(axis=0)), ordered=True)
    fit = _negate(fit)
    preds = tuple(P.predicted_steps_exponent(alpha, tasks, o, n_hi) for o in P.ORDERS)
    return exponent_row(alpha, "steps", th, fit, preds, asym, (t_lo, t_hi), "steps", tasks, width,
                f"idealized learners fitted over skills 1..{n_hi}")


def width_exponent_row(alpha, wt, tasks, th):
    asym = (SK.predicted_exponent(alpha, "params"),) * 2  # Theorem 3.7: the same for either order
    per_w = wt.groupby("width")[["params", "final_loss", "tasks_learned"]].median()
    if len(per_w) < 3:
        return exponent_row(alpha, "width", th, None, (np.nan, np.nan), asym, (np.nan, np.nan), "parameters", tasks,
                    int(wt["width"].max()), f"no fit: {len(per_w)} width(s) (need 3)")
    n_lo, n_hi = int(per_w["tasks_learned"].min()), int(per_w["tasks_learned"].max())
    fit = _negate(fit_slope(wt["params"], wt["final_loss"], groups=wt["seed"]))
    ok = 1 <= n_lo and n_lo + 2 <= n_hi < tasks  # the learners' slope is fitted on n_lo..n_hi: 3 points at least
    pred = P.predicted_width_exponent(alpha, tasks, n_lo, n_hi) if ok else np.nan
    note = f"idealized capacity learners holding {n_lo}..{n_hi} skills" if ok else \
        f"no prediction: tasks learned {n_lo}..{n_hi} does not span a range"
    return exponent_row(alpha, "width", th, fit, (pred, pred), asym, (per_w["params"].min(), per_w["params"].max()),
                "parameters", tasks, int(wt["width"].max()), note)


def tasks_exponent_row(alpha, wt, tasks, th):
    """Tasks learned against parameters: Theorem 3.7's premise N = r n ("every r neurons comprehend a skill")
    is slope 1 whatever the order."""
    w = wt[wt["tasks_learned"] > 0]
    note = f"{len(wt) - len(w)} run(s) with no task learned left out" if len(w) < len(wt) else ""
    if w["width"].nunique() < 3:
        return exponent_row(alpha, "tasks_vs_params", th, None, (1.0, 1.0), (1.0, 1.0), (np.nan, np.nan), "parameters",
                    tasks, int(wt["width"].max()), f"no fit: {w['width'].nunique()} width(s) learned a task")
    fit = fit_slope(w["params"], w["tasks_learned"], groups=w["seed"])
    return exponent_row(alpha, "tasks_vs_params", th, fit, (1.0, 1.0), (1.0, 1.0),
                        (w["params"].min(), w["params"].max()), "parameters", tasks, int(wt["width"].max()), note)


def _run_tables(r):
    """Per-run tables: learning times, order, mean loss; tagged with alpha, seed, width."""
    c = r.config
    tag = {"alpha": c.alpha, "seed": c.seed, "width": c.width}
    lt = M.learning_times(r.steps, r.loss, r.p)
    od = M.order_summary(lt, r.steps, r.loss)
    ml = M.mean_loss(r.steps, r.loss, r.p)
    return [df.assign(**tag)[list(tag) + list(df.columns)] for df in (lt, od, ml)]


def _curves(r, show=SHOW_TASKS):
    c = r.config
    k = min(show, c.tasks)
    E = r.steps.size
    return pd.DataFrame({"alpha": c.alpha, "seed": c.seed, "width": c.width, "step": np.repeat(r.steps, k),
                         "task": np.tile(np.arange(1, k + 1), E), "p_task": np.tile(r.p[:k], E),
                         "loss": r.loss[:, :k].ravel(), "accuracy": r.acc[:, :k].ravel()})


def _loop(alpha, big_runs, lt_big, tasks):
    """The network's mean loss (mean over seeds, largest width) against the idealized learners."""
    r0 = big_runs[0]
    steps = r0.steps[r0.steps > 0]
    loss = np.mean([r.loss[r.steps > 0] @ r.p for r in big_runs], axis=0)
    g = lt_big[(lt_big["threshold"] == M.THRESHOLDS[0]) & (lt_big["seed"] == r0.config.seed)].sort_values("task")
    curves, summary = loop_table(steps, loss, g["t_k"].to_numpy(), g["censored"].to_numpy(), alpha, tasks)
    return curves.assign(alpha=alpha), summary.assign(alpha=alpha)


def analyze(results) -> dict[str, pd.DataFrame]:
    """Every table of the neural experiment from a list of :class:`~simulate.neural.train.RunResult`.

    Returns ``runs``, ``learning_times``, ``order``, ``mean_loss``, ``task_curves`` (tasks 1..24 at the
    largest width), ``width``, ``exponents`` (:data:`EXPONENT_COLUMNS`), ``loop`` and ``loop_summary`` (the
    mean over seeds of the largest width's mean loss; the measured learner uses the first seed's t_k);
    columns in docs/neural.md.
    """
    results = list(results)
    if not results:
        raise ValidationError("results must not be empty")
    out = {k: [] for k in ("runs", "learning_times", "order", "mean_loss", "task_curves", "width", "exponents",
                           "loop", "loop_summary")}
    for alpha in sorted({r.config.alpha for r in results}):
        runs = sorted([r for r in results if r.config.alpha == alpha], key=lambda r: (r.config.width, r.config.seed))
        fam = {(r.config.tasks, r.config.bits, r.config.k_bits, r.config.steps) for r in runs}
        if len(fam) != 1:
            raise ValidationError(f"alpha={alpha}: runs must share tasks, bits, k_bits and steps, got {sorted(fam)}")
        tasks = runs[0].config.tasks
        wmax = max(r.config.width for r in runs)
        big = [r for r in runs if r.config.width == wmax]
        per = [_run_tables(r) for r in runs]
        lt = pd.concat([p[0] for p in per], ignore_index=True)
        ml = pd.concat([p[2] for p in per], ignore_index=True)
        lt_big, ml_big = lt[lt["width"] == wmax], ml[ml["width"] == wmax]
        out["learning_times"].append(lt)
        out["order"].append(pd.concat([p[1] for p in per], ignore_index=True))
        out["mean_loss"].append(ml)
        out["task_curves"] += [_curves(r) for r in big]
        th0 = M.THRESHOLDS[0]
        wt = pd.DataFrame([{"alpha": alpha, "seed": r.config.seed, "width": r.config.width, "params": r.params,
                            "final_loss": float(r.loss[-1] @ r.p),
                            "tasks_learned": int((r.loss[-1] <= th0 * M.LN2).sum())} for r in runs])
        wt["neurons_per_task"] = wt["width"] / wt["tasks_learned"].where(wt["tasks_learned"] > 0)
        out["width"].append(wt)
        out["runs"].append(pd.DataFrame([{"alpha": alpha, **{k: v for k, v in vars(r.config).items() if k != "alpha"},
                                          "params": r.params} for r in runs]))
        rows = [steps_exponent_row(alpha, ml_big, lt_big, tasks, wmax, th0), width_exponent_row(alpha, wt, tasks, th0),
                tasks_exponent_row(alpha, wt, tasks, th0)]
        out["exponents"].append(pd.concat([learning_time_exponents(lt_big, alpha, tasks, wmax),
                                           pd.DataFrame(rows, columns=EXPONENT_COLUMNS)], ignore_index=True))
        curves, summary = _loop(alpha, big, lt_big, tasks)
        out["loop"].append(curves)
        out["loop_summary"].append(summary)
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}
