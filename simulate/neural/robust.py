"""Section 3 (Assumption 3.5): the robustness grid's analysis -- one verdict per variant, and the explanation measured.

For every variant of :mod:`simulate.neural.grid` (several seeds each):

- ``robustness``: the slope of log t_k against log k on the variant's window
  (tasks 1..K learned in at least half the seeds, :func:`learning_time_window`),
  the between-seed interval (mean ± t_{g-1}·sd/√g over the seeds), the
  seed-to-seed spread (sd of the per-seed slopes) beside the median
  within-run interval (each seed's own jackknife interval on the same window),
  the idealized sequential and parallel learners' slopes on the same T and
  window, and the verdict against each learner.
- ``examples``: examples of its own a task has seen before it is learned,
  p_k·t_k·B (expected count; censored tasks give a lower bound). Under the
  parallel learner (each task needs a fixed number of its own examples) it is
  flat in k; its log-log slope is the t_k slope minus (α+1) exactly.
- ``explanations``: each candidate explanation of a slope below the parallel
  prediction, the variants that remove it, and what they show.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from infogeo.validation import ValidationError

from . import measure as M
from . import predict as P
from .analysis import learning_time_window
from .slopes import between_seed_interval, fit_slope, verdict

__all__ = ["robustness_tables", "EXPLANATIONS", "explanations", "vs_learner", "examples_before_learning",
           "scope_sentence", "explanation_paragraph"]

#: candidate explanation -> (the variants that remove it, what removing it means)
EXPLANATIONS = {
    "transfer through shared bits": (("disjoint", "bits100"), "no two tasks share a bit (or few do)"),
    "Adam's per-parameter normalisation": (("sgd", "sgd-momentum"), "SGD: a rare task's step scales with p_k"),
    "batches containing nearly every task": (("batch64",), "rare tasks miss many batches (p_k·B at the window's "
                                                           "end: pB_kK)"),
}


def vs_learner(lo: float, hi: float, pred: float) -> str:
    """Where an interval lies against one learner's prediction: ``below``, ``holds`` or ``above``."""
    if not np.all(np.isfinite([lo, hi, pred])):
        return "no fit"
    return "below" if hi < pred else ("above" if lo > pred else "holds")


def examples_before_learning(lt: pd.DataFrame, batch: int) -> pd.DataFrame:
    """``examples`` = p_k·t_k·B of every task and seed (a lower bound where censored)."""
    out = lt.copy()
    out["examples"] = out["p_task"] * out["t_k"] * float(batch)
    return out


def _seed_slopes(w: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    rows = []
    for s, g in w.groupby("seed"):
        try:
            f = fit_slope(g["task"], g["t_k"], censored=g["censored"].astype(bool), level=level)
            rows.append({"seed": s, "slope": f.slope, "ci_low": f.ci_low, "ci_high": f.ci_high,
                         "interval_kind": f.interval_kind})
        except ValidationError as e:  # too few learned tasks in this seed's window
            rows.append({"seed": s, "slope": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "interval_kind": f"no fit: {e}"})
    return pd.DataFrame(rows)


def _variant_row(name, desc, runs, lt):
    c = runs[0].config
    g = lt[lt["threshold"] == M.THRESHOLDS[0]]
    K = learning_time_window(g)
    row = {"variant": name, "description": desc, "optimizer": c.optimizer, "lr": c.lr, "batch": c.batch,
           "bits": c.bits, "subsets": c.subsets, "tasks": c.tasks, "depth": c.depth, "width": c.width,
           "steps": c.steps, "alpha": c.alpha, "seeds": len(runs), "window_hi": K}
    seeds = pd.DataFrame(columns=["seed", "slope", "ci_low", "ci_high", "interval_kind"])
    if K >= 4:
        w = g[g["task"] <= K]
        seeds = _seed_slopes(w)
        preds = [P.predicted_learning_time_slope(c.alpha, c.tasks, o, K) for o in P.ORDERS]
    else:
        preds = [np.nan, np.nan]
    b = seeds["slope"].to_numpy(float)
    ok = np.isfinite(b)
    if ok.sum() >= 2 and ok.all():
        m, sd, lo, hi, kind = between_seed_interval(b)
    else:
        m, sd, lo, hi = (float(b[0]) if b.size == 1 else np.nan), np.nan, np.nan, np.nan
        kind = "none" if b.size != 1 else str(seeds["interval_kind"].iloc[0])
        if b.size == 1:
            lo, hi = float(seeds["ci_low"].iloc[0]), float(seeds["ci_high"].iloc[0])
    v, sup = verdict(lo, hi, *preds)
    p = runs[0].p
    row.update({"slope": m, "ci_low": lo, "ci_high": hi, "interval_kind": kind, "seed_sd": sd,
                "within_half_median": float(np.nanmedian(seeds["ci_high"] - seeds["ci_low"]) / 2) if ok.any()
                else np.nan,
                "predicted_sequential": preds[0], "predicted_parallel": preds[1],
                "vs_sequential": vs_learner(lo, hi, preds[0]), "vs_parallel": vs_learner(lo, hi, preds[1]),
                "verdict": v, "supports": sup, "examples_slope": m - (c.alpha + 1),
                "pB_k1": float(p[0] * c.batch), "pB_kK": float(p[K - 1] * c.batch) if K else np.nan,
                "window_pB_lt1": int((p[:K] * c.batch < 1).sum()) if K else 0,
                "n_censored": int(g[(g["task"] <= K)]["censored"].sum()) if K else 0})
    return row, seeds.assign(variant=name)


def slope_difference(a, b, level: float = 0.95) -> tuple[float, float, float]:
    """(b - a, low, high): the difference of two variants' between-seed mean slopes with a Welch t interval
    (rows of the robustness table: ``slope``, ``seed_sd``, ``seeds``). NaN when either lacks a spread."""
    va, vb = a["seed_sd"] ** 2 / a["seeds"], b["seed_sd"] ** 2 / b["seeds"]
    d = float(b["slope"] - a["slope"])
    if not np.all(np.isfinite([va, vb, d])) or va + vb == 0:
        return d, np.nan, np.nan
    df = (va + vb) ** 2 / (va**2 / (a["seeds"] - 1) + vb**2 / (b["seeds"] - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * np.sqrt(va + vb)
    return d, d - half, d + half


def _change_conclusion(diffs) -> str:
    """The base holds (or is above) the parallel prediction: what removing the candidate does to the slope."""
    if all(np.isfinite(lo) and lo > 0 for _, lo, _ in diffs):
        return "no effect in the base; removing it raises the slope"
    if all(np.isfinite(hi) and hi < 0 for _, _, hi in diffs):
        return "no effect in the base; removing it lowers the slope"
    if all(np.isfinite(lo) and lo <= 0 <= hi for _, lo, hi in diffs):
        return "no effect in the base; removing it changes nothing detectable"
    return "no effect in the base; its controls disagree"


def explanations(robust: pd.DataFrame, base: str = "adam") -> pd.DataFrame:
    """For each candidate explanation of a slope below the parallel prediction: where its control variants'
    intervals lie against the parallel prediction, how far each moves the slope from the base variant (Welch 95%
    interval of the difference), and the conclusion.

    The base below parallel: ``ruled out as the cause`` when every fitted control stays below parallel,
    ``supported`` when every fitted control reaches it, else ``mixed``. The base not below parallel (its interval
    holds it): nothing to explain in this grid, ``no effect in the base; ...`` and whether removing the candidate
    raises, lowers or does not detectably change the slope (every fitted control's Welch interval of the change
    above 0, below 0, or holding 0). No fitted control: ``untested``.
    """
    r = robust.set_index("variant")
    base_pos = r.loc[base, "vs_parallel"] if base in r.index else "no fit"
    rows = []
    for expl, (controls, what) in EXPLANATIONS.items():
        have = [c for c in controls if c in r.index]
        pos = {c: r.loc[c, "vs_parallel"] for c in have}
        fitted = [c for c in have if pos[c] != "no fit"]
        diffs = {c: slope_difference(r.loc[base], r.loc[c]) for c in fitted} if base in r.index else {}
        if not fitted:
            concl = "untested"
        elif base_pos == "no fit":  # the base was not run (a --variants subset) or not fitted
            concl = "no base to compare with"
        elif base_pos != "below":
            concl = _change_conclusion([diffs[c] for c in fitted])
        elif all(pos[c] == "below" for c in fitted):
            concl = "ruled out as the cause"
        elif all(pos[c] in ("holds", "above") for c in fitted):
            concl = "supported"
        else:
            concl = "mixed"
        rows.append({"explanation": expl, "controls": ", ".join(have), "removes": what,
                     "control_vs_parallel": ", ".join(f"{c}: {pos[c]}" for c in have),
                     "change_vs_base": ", ".join(f"{c}: {d:+.2f} [{lo:+.2f}, {hi:+.2f}]"
                                                 for c, (d, lo, hi) in diffs.items()),
                     "base_vs_parallel": base_pos, "conclusion": concl})
    return pd.DataFrame(rows)


def robustness_tables(results, descriptions: dict[str, str]) -> dict[str, pd.DataFrame]:
    """``robustness`` (one row per variant), ``robustness_seeds`` (per-seed slopes), ``examples``
    (p_k·t_k·B per task, seed, variant, both thresholds), ``explanations``, ``grid_learning_times``.

    ``results``: [(variant, RunResult)], several seeds per variant (one width each).
    """
    results = list(results)
    if not results:
        raise ValidationError("results must not be empty")
    rows, seeds, exs, lts = [], [], [], []
    for name in dict.fromkeys(v for v, _ in results):
        runs = sorted([r for v, r in results if v == name], key=lambda r: r.config.seed)
        fam = {(r.config.tasks, r.config.bits, r.config.steps, r.config.batch, r.config.alpha) for r in runs}
        if len(fam) != 1:
            raise ValidationError(f"variant {name}: its runs differ in more than the seed: {sorted(fam)}")
        lt = pd.concat([M.learning_times(r.steps, r.loss, r.p).assign(seed=r.config.seed) for r in runs],
                       ignore_index=True)
        row, sd = _variant_row(name, descriptions.get(name, ""), runs, lt)
        rows.append(row)
        seeds.append(sd)
        ex = examples_before_learning(lt, runs[0].config.batch).assign(variant=name)
        exs.append(ex)
        lts.append(lt.assign(variant=name))
    robust = pd.DataFrame(rows)
    front = ["variant", "seed"]
    ex = pd.concat(exs, ignore_index=True)
    return {"robustness": robust,
            "robustness_seeds": pd.concat(seeds, ignore_index=True)[["variant", "seed", "slope", "ci_low", "ci_high",
                                                                     "interval_kind"]],
            "examples": ex[front + [c for c in ex.columns if c not in front]],
            "explanations": explanations(robust)}


def _names(vs, quote: str = "") -> str:
    vs = [f"{quote}{v}{quote}" for v in vs]
    return ", ".join(vs[:-1]) + (" and " if len(vs) > 1 else "") + vs[-1] if vs else "none"


def scope_sentence(robust: pd.DataFrame, quote: str = "") -> str:
    """The finding with its scope, read from the robustness table: in how many variants the slope lies below the
    parallel learner's (and the sequential learner is rejected), naming them (each wrapped in ``quote``)."""
    fitted = robust[robust["vs_parallel"] != "no fit"]
    below = fitted[fitted["vs_parallel"] == "below"]["variant"]
    seq_rej = fitted[fitted["vs_sequential"] != "holds"]["variant"]
    other = fitted[fitted["vs_parallel"] != "below"]
    named = f" ({_names(below, quote)})" if len(below) else ""
    s = (f"the learning-time slope lies below the parallel learner's in {len(below)} of {len(fitted)} fitted "
         f"variants{named} and the sequential learner is rejected in {len(seq_rej)} of {len(fitted)}; the interval "
         f"holds the parallel prediction in {int((fitted['vs_parallel'] == 'holds').sum())}")
    for status, words in (("above", "the interval lies above the parallel prediction in"),):
        names = other[other["vs_parallel"] == status]["variant"]
        if len(names):
            s += f"; {words} {_names(names, quote)}"
    unfit = robust[robust["vs_parallel"] == "no fit"]["variant"]
    if len(unfit):
        s += f"; no fit (too few tasks learned) in {_names(unfit, quote)}"
    return s


def explanation_paragraph(robust: pd.DataFrame, expl: pd.DataFrame, base: str = "adam") -> str:
    """What the grid says about why the slope is below the parallel prediction, from the two tables only."""
    r = robust.set_index("variant")
    if base not in r.index or not np.isfinite(r.loc[base, "slope"]):
        return "The grid's base variant has no fit; it says nothing about the explanations."
    b = r.loc[base]
    lead = (f"The base variant's slope is {b['slope']:.2f} [{b['ci_low']:.2f}, {b['ci_high']:.2f}] against the "
            f"parallel learner's {b['predicted_parallel']:.2f} on its window of {int(b['window_hi'])} tasks: "
            + ("below it." if b["vs_parallel"] == "below" else
               "its interval holds the parallel prediction, so at this budget the grid has no slope below parallel "
               "to explain; what it can show is whether removing each candidate moves the slope (change against "
               "the base, Welch 95%)." if b["vs_parallel"] == "holds" else "above it."))
    parts = []
    for e in expl.itertuples():
        if e.conclusion == "untested":
            parts.append(f"*{e.explanation}*: untested (its controls were not run or not fitted)")
            continue
        ctl = ", ".join(f"{c} {r.loc[c, 'slope']:.2f} [{r.loc[c, 'ci_low']:.2f}, {r.loc[c, 'ci_high']:.2f}] vs "
                        f"parallel {r.loc[c, 'predicted_parallel']:.2f}" for c in e.controls.split(", ")
                        if c in r.index and np.isfinite(r.loc[c, "slope"]))
        what = {"ruled out as the cause": "ruled out as the cause: without it the slope stays below the parallel "
                                          "prediction",
                "supported": "supported: without it the slope reaches the parallel prediction",
                "mixed": "mixed: its controls disagree",
                "no base to compare with": "no base variant to compare with"}.get(
            e.conclusion, e.conclusion.replace("no effect in the base; ", "") + ", change against the base "
            + (e.change_vs_base or "not computable"))
        parts.append(f"*{e.explanation}* ({e.removes}): {what} ({ctl})")
    fitted = robust[np.isfinite(robust["examples_slope"])]
    ex = (f" Examples of its own seen before a task is learned (p_k·t_k·B) change with k at a log-log slope of "
          f"{fitted['examples_slope'].min():+.2f} to {fitted['examples_slope'].max():+.2f} across the fitted "
          "variants (0 is the parallel learner's fixed need per task; negative: rarer tasks need fewer of their own "
          "examples)." if len(fitted) else "")
    return "Why below the parallel prediction? " + lead + " " + "; ".join(parts) + "." + ex
