"""Report section: transformers on a skill language -- the predictions tested where the truth is known.

Glue only: the family, its analyses and figures come from :mod:`simulate.skilllang`; the calibration of the
fitting pipeline (which simulate may not import) from :mod:`empirical.fit.calibration`.
"""
from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd

from empirical.fit.analyses import FRONTIER_HYPOTHESES, STEPS_HYPOTHESES
from empirical.fit.calibration import PARAMS_HYPOTHESIS

from ..blocks import Heading, Para, Table
from . import section

#: Columns shown in report.md (the CSVs keep every column: windows, widths, notes, pick lists, wall times).
EXP_COLS = ["alpha", "axis", "fitted", "ci_low", "ci_high", "predicted_sequential", "predicted_parallel", "verdict"]
EXP_AXES = ["learning_time", "steps", "params", "frontier"]
#: The calibration rows shown: per alpha, alpha_N and E, the steps fit over all sizes and the frontier, with the
#: non-embedding N, against the paper's α/(α+2) (the ``total`` rows, the same fits against α/(α+1) and the
#: per-size steps fits are in the CSV).
CAL_SHOWN = {"alpha_source": "nonembedding", "subject": ["nonembedding", "all sizes"],
             "hypothesis": [PARAMS_HYPOTHESIS, STEPS_HYPOTHESES["sequential"], FRONTIER_HYPOTHESES[0][0]]}
CAL_SHOW_COLS = ["alpha", "quantity", "hypothesis", "pipeline_estimate", "pipeline_ci_low",
                 "pipeline_ci_high", "pipeline_verdict", "truth", "true_verdict", "covers", "agrees"]
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


def _calibration_summary(cal) -> str:
    """One short sentence per alpha, computed from the calibration table."""
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
            parts.append(f"α_N {r.pipeline_estimate:.2f} vs {r.truth:g};")
        if len(e):
            r = e.iloc[0]
            parts.append(f"E {r.pipeline_estimate:.3f} vs {r.truth:.3f};")
        parts.append(f"per-size exponents {ratio:.2f}× the truth (median; covered "
                     f"{int(ex['covers'].sum())}/{len(ex)}); {calls} of {g['agrees'].ne('').sum()} verdicts called.")
        out.append(" ".join(parts))
    return " ".join(out)


@section("skilllang", "Transformers on a skill language: the predictions where the truth is known", order=45)
def build(ctx):
    from simulate.skilllang import plots, report_tables

    opts = {k: v for k, v in ctx.options.get("skilllang", {}).items() if k != "full_root"}  # full_root: _full_tier
    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **opts)
    cal = calibration_table(tabs, seed=ctx.seed, progress=ctx.progress)
    rels = {name: ctx.table(f"skilllang_{name}", df) for name, df in tabs.items() if name != "skill_curves"}
    rels["calibration"] = ctx.table("skilllang_calibration", cal)
    lang = tabs["languages"].iloc[0]
    sz = tabs["sizes"]
    blocks = [Para(
        "GPT-NeoX models trained online on a synthetic *skill language* whose truth we set: "
        f"M = {int(lang['skills'])} skills, p_k ∝ k^−(α+1), each named by {int(lang['name_len'])} of "
        f"{int(lang['letters'])} letters, a lookup table of {int(lang['inputs'])} inputs into {int(lang['answers'])} "
        f"answers, {lang['noise']:.0%} noise; exact levels (Definition 3.4) C = {lang['C_nats']:.4f} nats, "
        f"B = ln {int(lang['answers'])} = {lang['B_nats']:.4f}. {sz['size'].nunique()} two-layer sizes, "
        f"N = {int(sz['params_nonembedding'].min()):,}–{int(sz['params_nonembedding'].max()):,} (non-embedding), "
        f"{int(lang['steps'])} steps of {int(lang['tokens_per_step'])} tokens, one data order. A skill is learned "
        "halfway from B to C.")]
    blocks.append(Table(rels["exponents"], "Exponents, 95% intervals (kinds, tasks-vs-N: CSV; steps: two largest "
                                           "sizes; frontier: in 6ND)", columns=EXP_COLS,
                        where={"threshold": 0.5, "axis": EXP_AXES}))
    blocks.append(ctx.save_figure(plots.fig_skill_curves(tabs["skill_curves"], tabs["mean_loss"]),
                                  "skilllang_skill_curves",
                                  "Per-skill held-out loss vs steps, largest size (0 = C, 1 = B)."))
    blocks.append(ctx.save_figure(plots.fig_learning_times(tabs["learning_times"], tabs["exponents"]),
                                  "skilllang_learning_times",
                                  "Learning step t_k vs rank k, largest size: fitted, sequential and parallel slopes."))
    blocks.append(Para(_order_sentence(tabs["order"], _largest(sz))))
    blocks.append(ctx.save_figure(plots.fig_scaling(sz, tabs["mean_loss"], tabs["frontier"], tabs["exponents"],
                                                    float(lang["tokens_per_step"])), "skilllang_scaling",
                                  f"Excess loss and skills vs N with Lemma 3.6 ([per size]({rels['sizes']})); "
                                  "compute frontier vs α/(α+2), α/(α+1)."))
    blocks.append(Heading("Calibration: the pipeline against the truth", 3))
    blocks.append(Para(
        f"`empirical.fit.run_analyses` unchanged ({CAL_BOOT} bootstrap refits) on this family's loss table vs the "
        "truth (the set α, the exact C, exponents of loss − C). `covers`: the interval holds the truth; `agrees`: "
        "same verdict. "
        + _calibration_summary(cal)))
    blocks.append(Table(rels["calibration"], "Calibration, summary rows (non-embedding N; steps over all sizes)",
                        columns=CAL_SHOW_COLS, where=CAL_SHOWN, clip={"hypothesis": [" ("]}))
    return blocks + _section4(ctx, tabs) + _full_tier(ctx, tabs)


def _order_sentence(order, largest) -> str:
    """The learning order at the largest size, one clause per alpha (the table has every size)."""
    o = order[(order["threshold"] == 0.5) & order["size"].astype(str).isin(largest)]
    parts = [f"α = {r.alpha:g}: {int(r.tasks_learned)} skills, Kendall τ {r.kendall_tau:.2f}, up to "
             f"{int(r.max_concurrent)} learning at once ({r.shape})" for r in o.itertuples()]
    return "Order vs rank, largest size: " + "; ".join(parts) + " ([table](tables/skilllang_order.csv))."


def _largest(sz) -> list[str]:
    """The largest size's name(s): the rows a compact per-size table shows."""
    return sorted(set(sz.loc[sz["params_nonembedding"] == sz["params_nonembedding"].max(), "size"].astype(str)))


#: The kept tables' compact view: per alpha, these axes at θ = 0.5 (steps: the largest size).
FULL_AXES = ["learning_time", "params", "steps", "frontier"]
FULL_SHOW = ["alpha", "axis", "seeds", "within", "verdicts", "full", "full_pred", "full_verdict"]
#: The report tier's seeds, kept beside the full tier (``--tier report --seeds 0 1 2 --out <FULL_OUT>/SEEDS_DIR``).
SEEDS_DIR = "report_tier_seeds"
#: Shorter verdict labels in the report's cell (the CSV keeps the full ones).
_SHORT = {"neither rejected (uninformative)": "uninformative", "sequential rejected": "seq. rejected",
          "parallel rejected": "par. rejected"}


def _largest_rows(e, axes):
    """One row per (alpha, axis) at θ = 0.5, the largest size's where an axis has one per size (steps)."""
    d = e[(e["threshold"] == 0.5) & e["axis"].isin(axes)]
    d = d.assign(_w=d["width"].fillna(float("inf")), _a=d["axis"].map(axes.index))
    return d.sort_values(["alpha", "_a", "_w"]).groupby(["alpha", "axis"], sort=False).tail(1)


def _short_counts(counts: str) -> str:
    """``"neither rejected (uninformative) 2/3; ..."`` with the short labels of :data:`_SHORT`."""
    parts = (c.rsplit(" ", 1) for c in counts.split("; "))
    return "; ".join(f"{_SHORT.get(v, v)} {n}" for v, n in parts)


def _across(summary, exponents, alpha, axis):
    """(cell, mean, low, high, kind, summary row) of one (alpha, axis) of a kept folder: the between-seed interval
    with two or more fitted seeds, else the one seed's own (within-run) interval; None when the row is absent."""
    if summary is None:
        return None
    sm = _largest_rows(summary, FULL_AXES)
    sm = sm[(sm["alpha"] == alpha) & (sm["axis"] == axis)]
    if not len(sm):
        return None
    x = sm.iloc[0]
    if x["n_fitted"] >= 2:
        m, lo, hi, kind = x["mean"], x["ci_low"], x["ci_high"], x["interval_kind"]
    else:
        e = _largest_rows(exponents, FULL_AXES)
        e = e[(e["alpha"] == alpha) & (e["axis"] == axis)].iloc[0]
        m, lo, hi, kind = e["fitted"], e["ci_low"], e["ci_high"], e["interval_kind"]
    return _fmt({"fitted": m, "ci_low": lo, "ci_high": hi}), m, lo, hi, kind, x


def full_tier_comparison(report_exponents, seeds=None, full=None) -> pd.DataFrame:
    """The report tier's exponents (one seed, as the section shows them) beside the same tier over several seeds
    and beside the full tier, per alpha and axis of :data:`FULL_AXES`. ``seeds``, ``full``: the kept folders'
    ``(exponents_summary, exponents)`` (:mod:`simulate.skilllang.seeds`) or None. Formatted cells for the report,
    numbers kept (``*_mean``, ``*_ci_low``, ``*_ci_high``, ``*_kind``)."""
    rows = []
    for r in _largest_rows(report_exponents, FULL_AXES).itertuples():
        row = {"alpha": r.alpha, "axis": r.axis, "report": f"{r.fitted:.2f}", "report_fitted": r.fitted,
               "predicted_sequential": r.predicted_sequential, "predicted_parallel": r.predicted_parallel}
        for tag, src in (("seeds", seeds), ("full", full)):
            got = _across(*src, r.alpha, r.axis) if src is not None else None
            cell, m, lo, hi, kind, x = got if got else ("", np.nan, np.nan, np.nan, "", None)
            row.update({tag: cell, f"{tag}_mean": m, f"{tag}_ci_low": lo, f"{tag}_ci_high": hi, f"{tag}_kind": kind,
                        f"{tag}_n": x["n_fitted"] if x is not None else 0})
            if tag == "seeds":
                row.update(within=f"±{x['within_half_median']:.2g}" if x is not None else "",
                           verdicts=_short_counts(x["verdict_counts"]) if x is not None else "",
                           seeds_pred_seq=x["predicted_sequential"] if x is not None else np.nan)
            else:
                row.update(full_pred=f"{x['predicted_sequential']:.2f}/{x['predicted_parallel']:.2f}"
                           if x is not None else "", full_verdict=_short_counts(x["verdict_counts"])
                           if x is not None else "", full_pred_seq=x["predicted_sequential"] if x is not None
                           else np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def _full_sentence(cmp) -> str:
    """α_N of the bigger, longer-trained family against the report tier's (step-limited), each as a fraction of its
    own finite-M prediction (M, sizes and skills learned differ), from the comparison table."""
    out = []
    for x in cmp[(cmp["axis"] == "params") & (cmp["full"] != "")].itertuples():
        seeds = np.isfinite(x.seeds_mean)  # the seeds' mean against their mean prediction, else seed 0's
        rep, pred = (x.seeds_mean, x.seeds_pred_seq) if seeds else (x.report_fitted, x.predicted_sequential)
        holds = x.full_ci_low <= x.full_pred_seq <= x.full_ci_high
        out.append(f"α = {x.alpha:g}: {x.full_mean / x.full_pred_seq:.0%} ({x.full} vs {x.full_pred_seq:.2f}, "
                   f"{'held' if holds else 'excluded'}) vs {rep / pred:.0%} ({x.seeds or x.report} vs {pred:.2f})")
    return ("α_N over its finite-M prediction, full vs report tier: " + "; ".join(out) + ".") if out else ""


def _full_tier(ctx, tabs):
    from simulate.skilllang.experiment import FULL_OUT, full_tier_tables

    root = pathlib.Path(ctx.options.get("skilllang", {}).get("full_root", FULL_OUT))
    full, seeds = full_tier_tables(root), full_tier_tables(root / SEEDS_DIR)
    pair = {k: (t["skilllang_exponents_summary"], t["skilllang_exponents"]) if "skilllang_exponents_summary" in t
            else None for k, t in (("full", full), ("seeds", seeds))}
    if pair["full"] is None and pair["seeds"] is None:
        return [Para(f"Several seeds and the full tier (512 skills, 8 sizes, 4000 steps): not run into "
                     f"`reports/{FULL_OUT.name}/`; see docs/skilllang.md.")]
    cmp = full_tier_comparison(tabs["exponents"], pair["seeds"], pair["full"])
    rel = ctx.table("skilllang_full_comparison", cmp)
    text = []
    if pair["seeds"] is not None:
        g = sorted(pair["seeds"][1]["seed"].unique())
        text.append(f"`seeds`: the report tier over seeds {', '.join(map(str, g))} (weights, language draws), mean "
                    "[95% t-interval" + (", t = 4.30: wide" if len(g) == 3 else "") + "]; `within`: "
                    "the seeds' own median half-width.")
    if pair["full"] is not None:
        sz, f, lang = full["skilllang_sizes"], pair["full"][1], full["skilllang_languages"]
        seeds = sorted(f["seed"].unique())
        text.append(f"`full`: M = {int(lang['skills'].iloc[0])}, {sz['size'].nunique()} sizes "
                    f"(N = {int(sz['params_nonembedding'].min()):,}–{int(sz['params_nonembedding'].max()):,}), "
                    f"{int(lang['steps'].iloc[0])} steps, seed{'s' if len(seeds) > 1 else ''} "
                    f"{', '.join(map(str, seeds))}, α = {', '.join(f'{a:g}' for a in sorted(f['alpha'].unique()))}"
                    + ("; one seed: its own interval." if len(seeds) == 1 else "."))
        text.append(_full_sentence(cmp))
    return [Heading("Several seeds and the full tier", 3),
            Para(" ".join(t for t in text if t) + f" Kept in `reports/{FULL_OUT.name}/`."),
            Table(rel, "Exponents across seeds and tiers (θ = 0.5; steps: largest size)", columns=FULL_SHOW)]


def _section4(ctx, tabs):
    from ._skilllang_section4 import section4_blocks

    return section4_blocks(ctx, tabs, _largest(tabs["sizes"]))
