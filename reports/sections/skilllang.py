"""Report section: transformers on a skill language -- the predictions tested where the truth is known.

Glue only: the family, its analyses and figures come from :mod:`simulate.skilllang`; the calibration of the
fitting pipeline (which simulate may not import) from :mod:`empirical.fit.calibration`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..blocks import Heading, Para, Table
from . import section

EXP_COLS = ["alpha", "axis", "threshold", "fitted", "ci_low", "ci_high", "interval_kind", "predicted_sequential",
            "predicted_parallel", "verdict", "window_lo", "window_hi", "window_unit", "width", "note"]
SIZE_COLS = ["alpha", "size", "params_total", "params_nonembedding", "final_loss_nats", "final_excess_norm",
             "lemma36_excess_norm", "skills_learned", "wall_s"]
ORDER_COLS = ["alpha", "size", "tasks_learned", "in_order_prefix", "inversions", "kendall_tau", "max_concurrent",
              "mean_concurrent", "median_transition_rel", "shape"]
CAL_COLS = ["alpha", "quantity", "subject", "hypothesis", "alpha_source", "pipeline_estimate", "pipeline_ci_low",
            "pipeline_ci_high", "pipeline_predicted", "pipeline_verdict", "truth", "truth_ci_low", "truth_ci_high",
            "true_predicted", "true_verdict", "covers", "agrees"]
#: Bootstrap refits per default-window fit of the calibration (the Pythia section uses 1000; 200 keeps the
#: section inside its budget and its intervals are the same method).
CAL_BOOT = 200


def calibration_table(tabs: dict, seed: int = 0, progress: bool = False) -> pd.DataFrame:
    """:func:`empirical.fit.calibration.calibrate` of each alpha's loss table against its truth, one frame."""
    from empirical.fit.analyses import DEFAULT_STEPS_WINDOW, STEPS_WINDOWS
    from empirical.fit.calibration import calibrate
    from simulate.skilllang import truth_exponents

    start = STEPS_WINDOWS[DEFAULT_STEPS_WINDOW][0]
    out = [pd.DataFrame(columns=CAL_COLS)]
    for a, lt in tabs["loss_table"].groupby("alpha"):
        lang = tabs["languages"][tabs["languages"]["alpha"] == a].iloc[0]
        table = lt.drop(columns="alpha")
        if table["model"].nunique() < 4:  # the params analysis of empirical.fit needs four sizes
            continue
        truth = {"alpha": float(a), "E": float(lang["C_nats"]),
                 "exponents": truth_exponents(table, float(lang["C_nats"]), start_frac=start)}
        cal, _ = calibrate(table, truth, seed=seed, n_boot=CAL_BOOT, progress=progress)
        out.append(cal.assign(alpha=a))
    return pd.concat([o for o in out if len(o)] or out[:1], ignore_index=True)[CAL_COLS]


def _fmt(r, col="fitted"):
    from infogeo.plotstyle import fmt_interval

    return fmt_interval(r[col], r["ci_low"], r["ci_high"])


def _headline(tabs, cal) -> str:
    e = tabs["exponents"]
    out = []
    for a in sorted(e["alpha"].unique()):
        g = e[(e["alpha"] == a) & (e["threshold"] == 0.5)]
        lt, pr = g[g["axis"] == "learning_time"], g[g["axis"] == "params"]
        st, fr = g[g["axis"] == "steps"], g[g["axis"] == "frontier"]
        parts = [f"**α = {a:g}**:"]
        if len(lt) and np.isfinite(lt["fitted"].iloc[0]):
            r = lt.iloc[0]
            parts.append(f"learning-time slope {_fmt(r)} against {r.predicted_sequential:.2f} (sequential) and "
                         f"{r.predicted_parallel:.2f} (parallel): {r.verdict};")
        if len(pr) and np.isfinite(pr["fitted"].iloc[0]):
            r = pr.iloc[0]
            parts.append(f"α_N (known C) {_fmt(r)} against the finite-M prediction {r.predicted_sequential:.2f} "
                         f"(α = {a:g} as M → ∞): {r.verdict};")
        c = cal[(cal["alpha"] == a) & (cal["quantity"] == "alpha_N") & (cal["subject"] == "nonembedding")]
        if len(c):
            r = c.iloc[0]
            parts.append(f"the fitting pipeline's α_N {r.pipeline_estimate:.2f} [{r.pipeline_ci_low:.2f}, "
                         f"{r.pipeline_ci_high:.2f}] ({r.pipeline_verdict}) {'holds' if r.covers else 'misses'} "
                         "the true α;")
        for name, d in (("steps", st.tail(1)), ("frontier", fr)):
            if len(d) and np.isfinite(d["fitted"].iloc[0]):
                r = d.iloc[0]
                parts.append(f"{name} exponent {_fmt(r)} against α/(α+2)-like {r.predicted_sequential:.2f} and "
                             f"α/(α+1)-like {r.predicted_parallel:.2f}: {r.verdict};")
        out.append(" ".join(parts).rstrip(";") + ".")
    return " ".join(out)


def _calibration_summary(cal) -> str:
    """One sentence per quantity, computed from the calibration table."""
    out = []
    for a, g in cal.groupby("alpha"):
        al = g[(g["quantity"] == "alpha_N") & (g["subject"] == "nonembedding")]
        e = g[(g["quantity"] == "E") & (g["subject"] == "nonembedding")]
        ex = g[g["quantity"].isin(["steps", "frontier"]) & np.isfinite(g["truth"]) & (g["subject"] != "all sizes")]
        ex = ex.drop_duplicates(["quantity", "subject"])  # one fit, tested against two α sources and hypotheses
        ratio = float(np.median(ex["pipeline_estimate"] / ex["truth"])) if len(ex) else np.nan
        calls = g["agrees"].isin(["yes", "no"]).sum()
        parts = [f"α = {a:g}:"]
        if len(al):
            r = al.iloc[0]
            parts.append(f"α_N {r.pipeline_estimate:.2f} [{r.pipeline_ci_low:.2f}, {r.pipeline_ci_high:.2f}] "
                         f"({r.pipeline_verdict}) against the true {r.truth:g};")
        if len(e):
            r = e.iloc[0]
            parts.append(f"E {r.pipeline_estimate:.3f} against the exact C = {r.truth:.3f};")
        parts.append(f"steps and frontier exponents {ratio:.2f}× the truth (median), the interval holding the truth "
                     f"in {int(ex['covers'].sum())} of {len(ex)} fits; {calls} of {g['agrees'].ne('').sum()} verdict "
                     "rows made a call.")
        out.append(" ".join(parts))
    return " ".join(out)


@section("skilllang", "Transformers on a skill language: the predictions where the truth is known", order=45)
def build(ctx):
    from simulate.skilllang import plots, report_tables

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("skilllang", {}))
    cal = calibration_table(tabs, seed=ctx.seed, progress=ctx.progress)
    rels = {name: ctx.table(f"skilllang_{name}", df) for name, df in tabs.items() if name != "skill_curves"}
    rels["calibration"] = ctx.table("skilllang_calibration", cal)
    lang = tabs["languages"].iloc[0]
    sz = tabs["sizes"]
    blocks = [Para(
        "Section 4's verdicts on Pythia rest on a pipeline that had not been run where the answer is known, and the "
        "mini-Pythia family is too data-starved to test anything. Here a GPT-NeoX family (Hugging Face "
        "checkpoints at Pythia's spacing, loadable by the measurement engine) is trained online on a synthetic "
        f"*skill language* whose truth we set: M = {int(lang['skills'])} skills with p_k ∝ k^−(α+1), each named by "
        f"{int(lang['name_len'])} of {int(lang['letters'])} letters (so a skill lives in the blocks, not in an "
        f"embedding row), each a lookup table of its own over {int(lang['inputs'])} inputs into "
        f"{int(lang['answers'])} answers, {lang['noise']:.0%} of answers noise. Definition 3.4's levels are exact: "
        f"C = {lang['C_nats']:.4f} nats (a comprehended skill), B = ln {int(lang['answers'])} = {lang['B_nats']:.4f}. "
        f"Sizes: {sz['size'].nunique()} two-layer models of {int(sz['params_nonembedding'].min()):,} to "
        f"{int(sz['params_nonembedding'].max()):,} non-embedding parameters "
        f"({sz['params_nonembedding'].max() / sz['params_nonembedding'].min():.0f}×; N of Theorem 3.7 is the "
        f"non-embedding count, both counts in the table), {int(lang['steps'])} steps of "
        f"{int(lang['tokens_per_step'])} tokens, the same data order for every size. A skill is learned when its "
        "held-out loss (exact expectation over inputs and noise) is halfway from B to C. " + _headline(tabs, cal))]
    blocks.append(Table(rels["exponents"], "Exponents and verdicts, the truth known (learning_time: slope of "
                                           "log t_k in log k at the largest size; steps: the two largest sizes; "
                                           "params: final excess loss in N; frontier: lower envelope in 6ND)",
                        columns=EXP_COLS, where={"threshold": 0.5}))
    blocks.append(ctx.save_figure(plots.fig_skill_curves(tabs["skill_curves"], tabs["mean_loss"]),
                                  "skilllang_skill_curves",
                                  "Per-skill held-out loss against steps at the largest size, on the exact scale "
                                  "(0 = C, 1 = B); dotted: the two learning thresholds."))
    blocks.append(ctx.save_figure(plots.fig_learning_times(tabs["learning_times"], tabs["exponents"]),
                                  "skilllang_learning_times",
                                  "Learning step t_k against skill rank k at the largest size: the fitted slope and "
                                  "the idealized sequential and parallel learners' slopes on the same window."))
    blocks.append(Table(rels["order"], "Learning order and concurrency per size (threshold halfway B→C)",
                        columns=ORDER_COLS, where={"threshold": 0.5}))
    blocks.append(ctx.save_figure(plots.fig_scaling(sz, tabs["mean_loss"], tabs["frontier"], tabs["exponents"],
                                                    float(lang["tokens_per_step"])), "skilllang_scaling",
                                  "Final excess loss and skills learned against N, with Lemma 3.6's value for the "
                                  "measured number of skills; the compute frontier with α/(α+2) and α/(α+1)."))
    blocks.append(Table(rels["sizes"], "Sizes: both parameter counts, final loss, skills learned, Lemma 3.6's "
                                       "excess for the skills learned", columns=SIZE_COLS))
    blocks.append(Heading("Calibration: the fitting pipeline against the truth", 3))
    blocks.append(Para(
        "`empirical.fit.run_analyses`, unchanged (selection, fitter, windows, interval methods and verdict rules as "
        f"for Pythia; {CAL_BOOT} bootstrap refits per default fit), run on this family's loss table (mean held-out "
        "loss at each checkpoint), beside the truth: α set by the language, E against the exact C, and each steps "
        "and frontier verdict against the exponent of (loss − C) on the same points with C known and the "
        "prediction from the true α. `covers`: the pipeline's interval holds the truth; `agrees`: its verdict "
        "is the truth's (`no call` when it made no decided call). " + _calibration_summary(cal) + " Every row:"))
    blocks.append(Table(rels["calibration"], "Calibration: what the pipeline concludes, what is true",
                        columns=CAL_COLS, max_rows=200))
    return blocks + _section4(ctx, tabs) + _full_tier(ctx)


def _full_tier(ctx):
    from simulate.skilllang.experiment import FULL_OUT, full_tier_tables

    e = full_tier_tables().get("skilllang_exponents")
    if e is None:
        return [Heading("Full tier", 3),
                Para("The full tier (512 skills, widths 8 to 96, 4000 steps; about an hour on 2 idle cores) has not "
                     f"been run into `reports/{FULL_OUT.name}/`; its command is in docs/skilllang.md.")]
    rel = ctx.table("skilllang_full_exponents", e)
    return [Heading("Full tier", 3), Para(f"Tables kept in `reports/{FULL_OUT.name}/`."),
            Table(rel, "Full tier: exponents and verdicts", columns=[c for c in EXP_COLS if c in e.columns],
                  where={"threshold": 0.5})]


def _section4(ctx, tabs):
    from ._skilllang_section4 import N_SEQ, section4_tables

    s4, ctx4 = section4_tables(tabs, root=ctx.options.get("skilllang", {}).get("root"))
    rel = ctx.table("skilllang_section4", s4)
    rel_ctx = ctx.table("skilllang_context", ctx4)
    return [Heading("Section 4's measurements where the answer is known", 3),
            Para("Each size's last checkpoint, loaded by the measurement engine (local path, `revision=\"step<k>\"`), "
                 f"on {N_SEQ} held-out sequences whose last example's answer depends on 3 of the 38 earlier tokens "
                 "(its two name letters and its input). Attention (last layer, mean over heads, from the separator) "
                 "and Lasso (Section 4.2, λ = 1e-4) picks are scored against those 3 tokens, null 3/38 (a uniform "
                 "pick); the JS distance between two examples' token covariances (Appendix A) separates same-skill "
                 "from other-skill pairs with the AUC given, null 0.5; the matrix entropy of a sequence's states is "
                 "set beside the skills learned."),
            Table(rel, "Section 4's measurements against their null baselines (per size, last checkpoint)"),
            Para("Theorem 3.15 (and Lemma 3.14) with the context known: the example before the last one is another "
                 "skill's (irrelevant, the baseline), the same skill and input with the right answer (good) or with a "
                 "wrong one (misleading). The theorem says a good context lowers the conditional entropy and a bad one "
                 "raises it; the table gives the model's entropy of the answer and its cross-entropy to the truth."),
            Table(rel_ctx, "Context and conditional entropy per size, skill group and context", max_rows=80)]
