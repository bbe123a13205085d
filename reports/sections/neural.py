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


ROBUST_COLS = ["variant", "seeds", "window_hi", "slope", "ci_low", "ci_high", "seed_sd", "within_half_median",
               "predicted_sequential", "predicted_parallel", "vs_sequential", "vs_parallel", "verdict",
               "examples_slope", "pB_kK", "window_pB_lt1", "n_censored"]


def _provenance(manifest: dict) -> str:
    per = manifest.get("cpu_s_per_variant", {})
    cost = ", ".join(f"{k} {v:.0f}" for k, v in per.items())
    return (f"Command: `{manifest.get('command')}` at git commit `{manifest.get('git_commit')}` (training code "
            f"`{str(manifest.get('code_version'))[:12]}`); cost {manifest.get('cpu_s_total', float('nan')):.0f} "
            f"CPU-seconds in all ({cost}; one torch thread per run, {manifest.get('processes')} runs side by side on a "
            "shared 2-core machine under a load of 12-15, which inflates these wall-clock seconds).")


def _report_examples(tabs) -> str:
    """p_k·t_k·B of the report tier's largest width, read from its learning times (α = 0.5 and 1, θ = 0.5)."""
    lt, runs = tabs["learning_times"], tabs["runs"]
    out = []
    for a, g in lt[(lt["threshold"] == 0.5) & ~lt["censored"].astype(bool)].groupby("alpha"):
        g = g[g["width"] == g["width"].max()].sort_values("task")
        if len(g) < 2:
            continue
        B = float(runs[runs["alpha"] == a]["batch"].iloc[0])
        first, last = g.iloc[0], g.iloc[-1]
        out.append(f"α = {a:g}: task {int(first.task)} saw {first.p_task * first.t_k * B:,.0f} examples of its own "
                   f"before it was learned, task {int(last.task)} {last.p_task * last.t_k * B:,.0f}")
    return ("In the report tier (largest width) " + "; ".join(out) + ".") if out else ""


def _full_tier(ctx, tabs):
    import json

    from simulate.neural import plots
    from simulate.neural.experiment import FULL_OUT, full_tier_tables
    from simulate.neural.robust import explanation_paragraph, scope_sentence

    full = full_tier_tables()
    if "neural_robustness" not in full:
        return [Heading("Robustness grid (the full tier)", 3),
                Para("The full tier (the robustness grid) has not been run into `reports/neural_full/`; its command "
                     "is in `docs/neural.md`.")]
    manifest = json.loads((FULL_OUT / "manifest.json").read_text())
    rob, seeds, ex = full["neural_robustness"], full["neural_robustness_seeds"], full["neural_examples"]
    expl = full["neural_explanations"].fillna("")
    rel = {n: ctx.table(n, full[n]) for n in ("neural_robustness", "neural_robustness_seeds", "neural_explanations",
                                              "neural_examples", "neural_grid_runs") if n in full}
    base = rob[rob["variant"] == "adam"]
    e = tabs["exponents"]
    head = e[(e["axis"] == "learning_time") & (e["threshold"] == 0.5) & (e["alpha"] == 0.5)]
    changed = ""
    if len(base) and len(head):
        b, h = base.iloc[0], head.iloc[0]
        steps = int(tabs["runs"]["steps"].max())
        changed = (f" What it changed: the report tier's one-seed slope at α = 0.5 is {h.fitted:.2f} [{h.ci_low:.2f}, "
                   f"{h.ci_high:.2f}] (within-run jackknife interval, width {int(h.width)}, {steps} steps); the "
                   f"grid's base variant gives {b.slope:.2f} [{b.ci_low:.2f}, {b.ci_high:.2f}] over {int(b.seeds)} "
                   f"seeds (between-seed interval; seed sd {b.seed_sd:.2f} beside a median within-run half-width "
                   f"{b.within_half_median:.2f}), verdict {b.verdict}.")
    return [Heading("Robustness grid (the full tier)", 3),
            Para("Each variant changes one choice of the base run and is trained for several seeds at width "
                 f"{int(rob['width'].iloc[0])}, α = {rob['alpha'].iloc[0]:g}; every variant goes through the same "
                 "window rule, fit and discriminator, with the sequential and parallel learners computed for its own "
                 "T and window. The interval is between seeds (mean ± t·sd/√g); `seed_sd` is the seed-to-seed "
                 "spread and `within_half_median` the median half-width of each seed's own jackknife interval. In "
                 "this grid " + scope_sentence(rob) + "." + changed),
            Para(_provenance(manifest) + " The tables are kept in `reports/neural_full/` (with `manifest.json`); "
                 "the report reads them, it does not rerun them."),
            Table(rel["neural_robustness"], "Robustness grid: slope of log t_k in log k per variant, between-seed "
                                            "95% interval, seed spread, and the verdict against each learner",
                  columns=[c for c in ROBUST_COLS if c in rob.columns]),
            ctx.save_figure(plots.fig_robustness(rob, seeds), "neural_robustness",
                            "Slope per variant: bar, the between-seed 95% interval; grey dots, each seed's slope; "
                            "square and diamond, the sequential and parallel learners on the variant's window."),
            ctx.save_figure(plots.fig_examples(ex, rob), "neural_examples",
                            "Examples of its own a task has seen before it is learned (p_k·t_k·B, median over seeds) "
                            "against k. The parallel learner (a fixed need per task) is flat."),
            Para(explanation_paragraph(rob, expl) + " " + _report_examples(tabs)),
            Table(rel["neural_explanations"], "Candidate explanations of the slope below the parallel prediction, "
                                              "the variants that remove each, and what they show")]


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
    return blocks + _full_tier(ctx, tabs)
