"""Report section 1: the claim catalogue (verdicts, evidence, counterexamples, corrections) and theory figures."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError
from theory import plots

from ..blocks import Para, md_escape
from ..tables import TABLE_DIGITS
from . import section

#: table of :func:`theory.report_tables` -> file name under tables/
TABLE_NAMES = {"claims": "claims", "verdict_counts": "theory_verdict_counts",
               "lemma36_local_exponent": "theory_lemma36_local_exponent",
               "js_small_gamma": "theory_js_small_gamma", "equation1_curve": "theory_equation1_curve",
               "theorem41_increments": "theory_theorem41_increments"}
#: Every failed check, correction and condition in full, beside report.md.
DETAILS = "claims.md"


def _figures(ctx, tabs):

    alpha = tabs["lemma36_local_exponent"]["alpha"].iloc[0]
    return [
        ctx.save_figure(plots.lemma36_local_exponent(tabs["lemma36_local_exponent"]), "theory_lemma36_local_exponent",
                        f"Lemma 3.6, α = {alpha}: with finite M the local exponent leaves α well before n reaches M "
                        "(exact Hurwitz-zeta tails)."),
        ctx.save_figure(plots.js_small_gamma(tabs["js_small_gamma"]), "theory_js_small_gamma",
                        "Theorem A.1 on a random 5×5 SPD pair: the printed O(γ³) holds for d_JS² only."),
        ctx.save_figure(plots.theorem41_increments(tabs["theorem41_increments"]), "theory_theorem41_increments",
                        "Theorem 4.1, 64 random unit vectors in d = 16, σ = 0.01: the printed increment stays near "
                        "½ log(1 + σ⁻²); the true one falls once the tokens span the space."),
        ctx.save_figure(plots.equation1_curve(tabs["equation1_curve"]), "theory_equation1_curve",
                        "Equation (1) against r/d (d = 1000): the map behind Figure 1."),
    ]


def latex_table(records) -> pd.DataFrame:
    """Each claim as printed, in words and in LaTeX, and the LaTeX of its correction (empty without one)."""
    return pd.DataFrame([{"id": r.id, "statement": r.statement, "latex": r.latex,
                          "correction_latex": r.correction["latex"] if r.correction else ""} for r in records])


def _rounded(x, digits: int):
    """``x`` (JSON-like) with every float to ``digits`` significant digits, as the tables are written."""
    if isinstance(x, dict):
        return {k: _rounded(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_rounded(v, digits) for v in x]
    if isinstance(x, float) and x == x and abs(x) != float("inf"):
        return float(f"{x:.{digits}g}")
    return x


def counterexample_table(records) -> pd.DataFrame:
    """The counterexample of each claim that has one, as JSON (floats to the tables' significant digits)."""
    return pd.DataFrame([{"id": r.id, "counterexample": json.dumps(_rounded(r.counterexample, TABLE_DIGITS),
                                                                   default=float)}
                         for r in records if r.counterexample], columns=["id", "counterexample"])


#: The range of r/d over which the summary exponent of Equation (1) is fitted. The paper prints neither Figure 1's
#: axis range nor its r/d values (they come from [25]'s matrix entropies); the r-subspace reading is used for
#: r << d, so the fit spans r/d from 1e-3 to 1e-1 (the curve table's lower end to r = d/10), at Figure 1's eps.
FIGURE1_R_OVER_D = (1e-3, 1e-1)
FIGURE1_EPS = 0.1


def equation1_exponent(curve: pd.DataFrame, lo: float = FIGURE1_R_OVER_D[0], hi: float = FIGURE1_R_OVER_D[1],
                       eps: float = FIGURE1_EPS) -> tuple[float, float, float]:
    """Least-squares slope of log normalized entropy on log(r/d) of Equation (1) (table
    :func:`theory.tables.equation1_curve`) at ``eps`` over ``lo <= r/d <= hi``, and the local slopes at the two
    ends (float64)."""
    g = curve[np.isclose(curve["eps"], eps) & curve["r_over_d"].between(lo, hi)].sort_values("r_over_d")
    if len(g) < 3:
        raise ValidationError(f"the Equation (1) table needs 3 points with eps = {eps} in [{lo}, {hi}], has {len(g)}")
    x, y = np.log(g["r_over_d"].to_numpy(float)), np.log(g["normalized_entropy"].to_numpy(float))
    local = np.gradient(y, x)
    return float(np.polyfit(x, y, 1)[0]), float(local[0]), float(local[-1])


def _figure1_note(curve: pd.DataFrame) -> str:
    k, k_lo, k_hi = equation1_exponent(curve)
    lo, hi = FIGURE1_R_OVER_D
    return (f"**Figure 1's power law is mostly its input.** Over r/d = {lo:g} to {hi:g}, Equation (1) at "
            f"ε = {FIGURE1_EPS:g} behaves like (r/d)^{k:.2f} (log-log least squares; local slope {k_lo:.2f} to "
            f"{k_hi:.2f}; the paper prints no range). Figure 1 plots it at r/d values read off [25]'s matrix "
            f"entropies, so a power law of r/d in model size comes out as one, its exponent times {k:.2f}: the "
            "input's power law, not a finding about the entropy.")


def _gist(text: str) -> str:
    """A condition up to its first ';' or ':' (the rest is in claims.md)."""
    return re.split(r"[;:] ", text, maxsplit=1)[0]


def _one_line(r) -> str:
    """The line of a corrected or conditional claim under its verdict's heading: what fails, with the failed
    check's numbers."""
    head = f"- {r.paper_ref} (`{r.id}`"
    if r.correction:
        return head + f", {r.correction['kind']}): {md_escape(r.evidence)}"
    if not r.conditions:  # refuted (no verified correction), or a verdict the check crashed before
        return head + f"): {md_escape(r.evidence)}"
    failed = next((c for c in r.checks if not c["passed"]), None)
    numbers = f" ({md_escape(failed['detail'])})" if failed else ""
    return head + f"): {md_escape(_gist(r.conditions[0]))}{numbers}"


#: How each verdict other than 'holds' is introduced in the section, in the order shown.
NOT_PLAIN = {"corrected": "the printed statement fails, a corrected one is verified",
             "refuted": "fails, no correction verified",
             "holds-under-conditions": "a regime the paper does not exclude breaks it: the condition, and the failed "
                                       "check"}


def _not_plain(records) -> str:
    """One paragraph per verdict other than 'holds' (corrected first): its count, then one line per claim."""
    order = list(NOT_PLAIN) + sorted({r.verdict for r in records} - set(NOT_PLAIN) - {"holds"})
    parts = []
    for v in order:
        mine = [r for r in records if r.verdict == v]
        if mine:
            parts.append(f"**{v}** ({len(mine)}; {NOT_PLAIN.get(v, 'see claims.md')}):\n\n"
                         + "\n".join(_one_line(r) for r in mine))
    return "\n\n".join(parts)


def _holds(records) -> str:
    paper = [r for r in records if r.verdict == "holds" and r.origin == "paper"]
    defn = [r for r in paper if r.by_definition]
    says = [r for r in records if r.verdict == "holds" and not r.by_definition]
    said = ", ".join(f"{r.paper_ref} (`{r.id}`)" if r.origin == "paper" else f"`{r.id}` (derived)" for r in says)
    return (f"**Hold and say something:** {said}.\n\n"
            f"**Hold by definition ({len(defn)} of the {len(paper)} printed claims that hold):** "
            + ", ".join(r.paper_ref for r in defn) + ": each restates a definition or assumption (which one: "
            "`by_definition` in the claims table), so it holds whatever the model.")


def details_markdown(records, cex_rel: str, forms_rel: str) -> str:
    """claims.md: for every claim whose verdict is not a plain 'holds', the statement as printed (maths), each failed
    check, the verified correction or the conditions; statements in words in ``forms_rel``, counterexamples in
    ``cex_rel``."""
    lines = ["# The paper's claims: counterexamples, corrections and conditions in full", "",
             f"Part of the report ([report.md](report.md), Section 1). Each statement as printed, in words: "
             f"[{forms_rel}]({forms_rel}); each counterexample in full (JSON): [{cex_rel}]({cex_rel}).", ""]
    for r in records:
        if r.verdict == "holds":
            continue
        lines += [f"## {r.paper_ref} — {r.title} (`{r.id}`, **{r.verdict}**)", "", f"- As printed: ${r.latex}$"]
        for c in r.checks:
            if not c["passed"]:
                lines.append(f"- Failed check ({c['target']}, {c['kind']}): {md_escape(c['name'])} — "
                             f"{md_escape(c['detail'])}")
        if r.correction:
            lines.append(f"- Correction (verified; {r.correction['kind']}): ${r.correction['latex']}$")
        lines += [f"- Condition: {md_escape(cond)}" for cond in r.conditions] + [""]
    return "\n".join(lines)


@section("theory", "The paper's claims, checked", order=10)
def build(ctx):
    from theory import report_tables
    from theory.catalogue import run_all

    records = run_all(seed=ctx.seed, progress=ctx.progress)
    tabs = report_tables(ctx.seed, ctx.progress, records=records)
    rels = {key: ctx.table(TABLE_NAMES[key], df) for key, df in tabs.items()}
    forms_rel = ctx.table("claims_latex", latex_table(records))
    cex_rel = ctx.table("claims_counterexamples", counterexample_table(records))
    (ctx.out_dir / DETAILS).write_text(details_markdown(records, cex_rel, forms_rel))
    return [Para("Each claim is encoded as printed and checked symbolically, numerically and, for the discrete lemmas, "
                 "exhaustively; one rule turns the checks into the verdict (`python -m theory`). Every claim with its "
                 f"evidence: [{rels['claims']}]({rels['claims']}); failed checks, corrections and conditions in "
                 f"full: [{DETAILS}]({DETAILS})."),
            Para(_holds(records)),
            Para(_figure1_note(tabs["equation1_curve"])),
            Para(_not_plain(records))] + _figures(ctx, tabs)
