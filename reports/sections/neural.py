"""Report section: real networks on multitask sparse parity -- does gradient descent learn skills one after another?

Kept short (issue 22: at most 5,500 bytes of Markdown, ``tests/reports/test_report_length.py``); every number in the
text is read from a table, and the tables (CSV) keep every column the Markdown leaves out.
"""
from __future__ import annotations

import numpy as np

from ..blocks import Heading, Para, Table
from . import section

EXP_COLS = ["alpha", "axis", "fitted", "ci_low", "ci_high", "predicted_sequential", "predicted_parallel", "verdict"]
#: The robustness columns shown (the learners' predictions on each variant's window, seeds and every other column:
#: the CSV; the parallel prediction is α+1 on any window, and the caption says so).
ROBUST_COLS = ["variant", "slope", "ci_low", "ci_high", "vs_sequential", "vs_parallel"]


def _summary(tabs) -> str:
    e = tabs["exponents"]
    lt = e[(e["axis"] == "learning_time") & (e["threshold"] == 0.5)]
    parts = [f"α = {r.alpha:g}: {r.fitted:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}] vs {r.predicted_sequential:.2f}/"
             f"{r.predicted_parallel:.2f}, **{r.verdict}**"
             for r in lt.itertuples() if np.isfinite(r.fitted)]
    o = tabs["order"]
    big = o[(o["width"] == o.groupby("alpha")["width"].transform("max")) & (o["threshold"] == 0.5)]
    conc = "; ".join(f"α = {r.alpha:g}: up to {r.max_concurrent} (mean {r.mean_concurrent:.1f}), first "
                     f"{r.in_order_prefix} in frequency order" for r in big.itertuples())
    return ("Slope of log t_k in log k vs sequential/parallel learner: " + "; ".join(parts)
            + ". Tasks mid-learning (loss 0.1–0.9 ln 2) at the largest width: " + conc
            + "; sequential learning allows one.")


def _provenance(manifest: dict) -> str:
    return (f"Command: `{manifest.get('command')}` at `{str(manifest.get('git_commit'))[:12]}` (training code "
            f"`{str(manifest.get('code_version'))[:12]}`); {manifest.get('cpu_s_total', float('nan')):.0f} "
            f"CPU-seconds ({manifest.get('processes')} runs at once on a loaded 2-core box); cost per variant and "
            "tables: `reports/neural_full/` (read, not rerun).")


def still_learning(mean_loss, tail: float = 0.25) -> str:
    """How much the largest width's mean loss still falls over the last ``tail`` of the steps, per α, with the tasks
    learned at the start and end of that stretch (read from the mean-loss table): the caveat of the width axis."""
    parts = []
    for a, g in mean_loss.groupby("alpha"):
        g = g[g["width"] == g["width"].max()].sort_values("step")
        last = g.iloc[-1]
        ref = g[g["step"] <= (1 - tail) * last["step"]]
        if not len(ref):
            continue
        ref = ref.iloc[-1]
        parts.append(f"{1 - last['loss'] / ref['loss']:.0%} (α = {a:g}; tasks learned {int(ref['tasks_learned'])} → "
                     f"{int(last['tasks_learned'])})")
    return (f"over the last {tail:.0%} of the steps the largest width's loss still falls " + ", ".join(parts)
            if parts else "")


def _why(rob) -> str:
    """The explanation paragraph's essentials, read from the robustness table (the base slope is in the table above)."""
    r = rob.set_index("variant")
    if "adam" not in r.index or not np.isfinite(r.loc["adam", "slope"]):
        return "Why below the parallel prediction? The grid's base variant has no fit; it says nothing here."
    b = r.loc["adam"]
    where = {"below": "below it", "holds": "its interval holds it: no gap to explain"}.get(b["vs_parallel"],
                                                                                          "above it")
    fitted = rob[np.isfinite(rob["examples_slope"])]
    ex = (f" Own examples before learning, p_k·t_k·B ∝ k^{fitted['examples_slope'].min():+.2f} to "
          f"k^{fitted['examples_slope'].max():+.2f} across variants (parallel: k^0)." if len(fitted) else "")
    return (f"Why below the parallel prediction? The grid's base slope (above) vs parallel "
            f"{b['predicted_parallel']:.2f} ({int(b['window_hi'])} tasks): {where}." + ex)


def _explanations(expl, rel: str) -> str:
    """The candidate explanations in one sentence: each with the change of slope when it is removed and the
    conclusion (its part after the base's '; '), read from the explanations table written at ``rel``."""
    parts = [f"{r.explanation} ({r.change_vs_base}): {str(r.conclusion).split('; ')[-1]}" for r in expl.itertuples()]
    return (f"Candidate explanations, each removed (change of slope, Welch 95%; [{rel}]({rel})): " + "; ".join(parts)
            + ".")


def _scope(rob) -> str:
    fit = rob[rob["vs_parallel"] != "no fit"]
    s = (f"Slope below parallel in {(fit['vs_parallel'] == 'below').sum()} of {len(fit)} fitted variants, "
         f"sequential rejected in {(fit['vs_sequential'] != 'holds').sum()} of {len(fit)}")
    for v in ("holds", "above"):  # which variants: the table below
        n = int((fit["vs_parallel"] == v).sum())
        if n:
            s += f"; parallel {v} in {n}"
    unfit = rob[rob["vs_parallel"] == "no fit"]["variant"]
    return s + (f"; no fit: {', '.join(unfit)}" if len(unfit) else "")


def _full_tier(ctx, tabs):
    import json

    from simulate.neural import plots
    from simulate.neural.experiment import FULL_OUT, full_tier_tables

    full = full_tier_tables()
    if "neural_robustness" not in full:
        return [Heading("Robustness grid (the full tier)", 3),
                Para("The full tier (the robustness grid) has not been run into `reports/neural_full/`; its command "
                     "is in `docs/neural.md`.")]
    manifest = json.loads((FULL_OUT / "manifest.json").read_text())
    rob, seeds, ex = full["neural_robustness"], full["neural_robustness_seeds"], full["neural_examples"]
    rel = {n: ctx.table(n, full[n]) for n in ("neural_robustness", "neural_robustness_seeds", "neural_explanations",
                                              "neural_examples", "neural_grid_runs") if n in full}
    base = rob[rob["variant"] == "adam"]
    e = tabs["exponents"]
    head = e[(e["axis"] == "learning_time") & (e["threshold"] == 0.5) & (e["alpha"] == 0.5)]
    changed = ""
    if len(base) and len(head):
        b, h = base.iloc[0], head.iloc[0]
        changed = (f" Report tier (1 seed, width {int(h.width)}): {h.fitted:.2f} [{h.ci_low:.2f}, {h.ci_high:.2f}]; "
                   f"grid base: {b.slope:.2f} [{b.ci_low:.2f}, {b.ci_high:.2f}] over {int(b.seeds)} seeds (seed sd "
                   f"{b.seed_sd:.2f}, median within-run half-width {b.within_half_median:.2f}).")
    return [Heading("Robustness grid (the full tier)", 3),
            Para(f"One change to the base run per variant, width {int(rob['width'].iloc[0])}, α = "
                 f"{rob['alpha'].iloc[0]:g}, learners on each variant's own window; between-seed 95% interval. "
                 + _scope(rob) + "." + changed + " " + _provenance(manifest)),
            Table(rel["neural_robustness"], "Slope of log t_k in log k per variant (each learner's prediction on the "
                                             "variant's window: the CSV; parallel: α+1)",
                  columns=[c for c in ROBUST_COLS if c in rob.columns]),
            ctx.save_figure(plots.fig_robustness(rob, seeds), "neural_robustness",
                            "Slope per variant: bar, between-seed interval; dots, seeds; square/diamond, learners."),
            ctx.save_figure(plots.fig_examples(ex, rob), "neural_examples",
                            "Own examples before learned (p_k·t_k·B) against k; the parallel learner is flat."),
            Para(_why(rob) + " " + _explanations(full["neural_explanations"], rel["neural_explanations"]))]


@section("neural", "Neural networks: are skills learned one after another?", order=30)
def build(ctx):
    from simulate.neural import plots, report_tables

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("neural", {}))
    rels = {name: ctx.table(f"neural_{name}", df) for name, df in tabs.items()}
    runs = tabs["runs"]
    r0 = runs.iloc[0]
    widths = sorted(runs["width"].unique())
    blocks = [Para(
        "Assumption 3.5 (skills learned one at a time, most frequent first) on multitask sparse parity: "
        f"T = {int(r0['tasks'])} parities of {int(r0['k_bits'])} of {int(r0['bits'])} bits, p_k ∝ k^-(α+1); ReLU "
        f"MLPs of width {widths[0]}–{widths[-1]}, Adam, {int(r0['steps'])} steps of batch {int(r0['batch'])}; "
        "t_k: first step with held-out loss ≤ 0.5 ln 2. " + _summary(tabs))]
    blocks.append(Table(rels["exponents"], "Exponents at θ = 0.5 ln 2 (width: after the step budget, still learning: "
                                           "see its figure; θ = 0.1, tasks_vs_params, M = ∞: the CSV)",
                        columns=EXP_COLS, where={"threshold": 0.5, "axis": ["learning_time", "steps", "width"]}))
    blocks.append(ctx.save_figure(plots.fig_task_curves(tabs["task_curves"], tabs["mean_loss"]), "neural_task_curves",
                                  "Per-task loss against steps, largest width; dashed: mean loss."))
    blocks.append(ctx.save_figure(plots.fig_learning_times(tabs["learning_times"], tabs["exponents"]),
                                  "neural_learning_times",
                                  "t_k against k, fitted and predicted slopes; open: censored. Order and concurrency "
                                  f"at every width: [{rels['order']}]({rels['order']})."))
    ls = tabs["loop_summary"].set_index(["learner", "alpha"])["rms_log_miss"]
    miss = "; ".join(f"{k} {', '.join(f'{v:.2f}' for v in ls.xs(k, level='learner'))}"
                     for k in ("parallel", "sequential") if k in ls.index.get_level_values("learner"))
    blocks.append(ctx.save_figure(plots.fig_loss_steps(tabs["mean_loss"], tabs["loop"], tabs["exponents"]),
                                  "neural_loss_steps", f"Mean loss vs steps with the learners; rms log miss by α "
                                  f"({miss}): [{rels['loop_summary']}]({rels['loop_summary']})."))
    late = still_learning(tabs["mean_loss"])
    blocks.append(ctx.save_figure(plots.fig_width(tabs["width"], tabs["exponents"]), "neural_width",
                                  f"Loss and tasks learned vs parameters after {int(r0['steps'])} steps; dashed: slope "
                                  f"−α. Still learning{': ' + late if late else ''}. The width verdicts test a "
                                  "step-budget slope, not Theorem 3.7's trained-out loss. "
                                  f"[{rels['width']}]({rels['width']})."))
    return blocks + _full_tier(ctx, tabs)
