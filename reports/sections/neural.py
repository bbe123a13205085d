"""Report section: real networks on multitask sparse parity -- does gradient descent learn skills one after another?"""
from __future__ import annotations

import numpy as np

from ..blocks import Heading, Para, Table
from . import section

EXP_COLS = ["alpha", "axis", "threshold", "fitted", "ci_low", "ci_high", "interval_kind", "predicted_sequential",
            "predicted_parallel", "verdict", "window_lo", "window_hi", "window_unit", "n_censored", "n_seeds", "note"]
ORDER_COLS = ["alpha", "seed", "width", "threshold", "tasks_learned", "in_order_prefix", "inversions", "kendall_tau",
              "max_concurrent", "mean_concurrent", "median_transition_rel", "shape"]


def _summary(tabs) -> str:
    e = tabs["exponents"]
    lt = e[(e["axis"] == "learning_time") & (e["threshold"] == 0.5)]
    parts = [f"α = {r.alpha:g}: slope of t_k {r.fitted:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}] against "
             f"{r.predicted_sequential:.2f} (sequential) and {r.predicted_parallel:.2f} (parallel): **{r.verdict}**"
             for r in lt.itertuples() if np.isfinite(r.fitted)]
    o = tabs["order"]
    big = o[(o["width"] == o.groupby("alpha")["width"].transform("max")) & (o["threshold"] == 0.5)]
    conc = ", ".join(f"α = {r.alpha:g}: up to {r.max_concurrent} at once (mean {r.mean_concurrent:.1f}), the first "
                     f"{r.in_order_prefix} learned in frequency order, drops {r.shape}" for r in big.itertuples())
    return ("; ".join(parts) + ". Tasks in the middle of being learned (loss between 0.1 and 0.9 ln 2): " + conc
            + ". Sequential learning (Assumption 3.5) allows at most one.")


def _full_tier(ctx):
    from simulate.neural.experiment import FULL_OUT, full_tier_tables

    e = full_tier_tables().get("neural_exponents")
    if e is None:
        return [Para("The full tier (several seeds, T = 1000, wider nets; about 45 minutes on 2 cores) has not been "
                     "run into `reports/neural_full/`; its command is in `docs/neural.md`.")]
    rel = ctx.table("neural_full_exponents", e)
    manifest = FULL_OUT / "manifest.json"
    return [Heading("Full tier", 3),
            Para(f"Tables kept in `reports/neural_full/` (manifest: `{manifest.name}`)."),
            Table(rel, "Full tier: exponents and verdicts", columns=[c for c in EXP_COLS if c in e.columns])]


@section("neural", "Neural networks: are skills learned one after another?", order=30)
def build(ctx):
    from simulate.neural import plots, report_tables

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("neural", {}))
    rels = {name: ctx.table(f"neural_{name}", df) for name, df in tabs.items()}
    runs = tabs["runs"]
    r0 = runs.iloc[0]
    blocks = [Para(
        "Theorem 3.8's exponent α/(α+2) rests on Assumption 3.5: skills are learned one at a time, most frequent "
        "first. Here real networks are asked. Multitask sparse parity (Michaud et al. 2023): "
        f"T = {int(r0['tasks'])} tasks, each the parity of its own {int(r0['k_bits'])} of {int(r0['bits'])} random "
        "bits, drawn with p_k ∝ k^-(α+1); one-hidden-layer ReLU MLPs of widths "
        f"{', '.join(str(w) for w in sorted(runs['width'].unique()))}, Adam (lr {r0['lr']:g}), "
        f"{int(r0['steps'])} online steps of batch {int(r0['batch'])}. A task is learned at the first evaluation "
        "where its held-out loss is at most 0.5 ln 2 (second threshold 0.1 ln 2); tasks never learned are censored. "
        "Predictions are the suite's idealized sequential and parallel learners on the same T and window. "
        + _summary(tabs))]
    blocks.append(Table(rels["exponents"], "Exponents and verdicts (learning_time: slope of log t_k in log k; steps "
                                           "and width: exponent of the mean loss; tasks_vs_params: slope of tasks "
                                           "learned in parameters; the asymptotic M = ∞ predictions are in the "
                                           "full table)", columns=EXP_COLS))
    blocks.append(ctx.save_figure(plots.fig_task_curves(tabs["task_curves"], tabs["mean_loss"]), "neural_task_curves",
                                  "Per-task held-out loss against steps at the largest width (Michaud's picture); "
                                  "dotted lines: the two learning thresholds; dashed: the mean loss."))
    blocks.append(ctx.save_figure(plots.fig_learning_times(tabs["learning_times"], tabs["exponents"]),
                                  "neural_learning_times",
                                  "Learning step t_k against task rank k. Filled: learned (loss ≤ 0.5 ln 2; grey "
                                  "squares ≤ 0.1 ln 2); open triangles: not learned by the last step (censored). "
                                  "Lines through the fit's centre: the fitted slope and the slopes the idealized "
                                  "sequential and parallel learners give on the same window (shaded)."))
    blocks.append(Table(rels["order"], "Learning order and concurrency per run at the primary threshold 0.5 ln 2",
                        columns=ORDER_COLS, max_rows=30, where={"threshold": 0.5}))
    blocks.append(ctx.save_figure(plots.fig_loss_steps(tabs["mean_loss"], tabs["loop"], tabs["exponents"]),
                                  "neural_loss_steps",
                                  "Mean loss against steps at the largest width, with the idealized learners: the "
                                  "measured order at the measured times (the loop closed through simulate), and the "
                                  "sequential and parallel learners with their one time scale fitted."))
    blocks.append(Table(rels["loop_summary"], "How far each idealized learner misses the network's mean loss (rms of "
                                              "log ratio over the evaluated steps)"))
    blocks.append(ctx.save_figure(plots.fig_width(tabs["width"], tabs["exponents"]), "neural_width",
                                  "Final mean loss and tasks learned against parameters at a fixed step budget; "
                                  f"dashed: Theorem 3.7's slope −α. The numbers: [{rels['width']}]({rels['width']})."))
    return blocks + _full_tier(ctx)
