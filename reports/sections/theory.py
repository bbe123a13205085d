"""Report section 1: the claim catalogue (verdicts, evidence, counterexamples, corrections) and theory figures."""
from __future__ import annotations

import json

import pandas as pd

from ..blocks import Heading, Para, Table, md_escape
from ..tables import TABLE_DIGITS
from . import section

#: table of :func:`theory.report_tables` -> file name under tables/
TABLE_NAMES = {"claims": "claims", "verdict_counts": "theory_verdict_counts",
               "lemma36_local_exponent": "theory_lemma36_local_exponent",
               "js_small_gamma": "theory_js_small_gamma", "equation1_curve": "theory_equation1_curve",
               "theorem41_increments": "theory_theorem41_increments"}


def _figures(ctx, tabs):
    from theory import plots

    alpha = tabs["lemma36_local_exponent"]["alpha"].iloc[0]
    return [
        ctx.save_figure(plots.lemma36_local_exponent(tabs["lemma36_local_exponent"]), "theory_lemma36_local_exponent",
                        f"Local exponent of H(X|Y) − C against n for α = {alpha}; with finite M the exponent "
                        "departs from α well before n reaches M (exact Hurwitz-zeta tails)."),
        ctx.save_figure(plots.js_small_gamma(tabs["js_small_gamma"]), "theory_js_small_gamma",
                        "Remainders of the small-γ expansion on a random 5×5 SPD pair: the printed O(γ³) "
                        "holds for the squared distance only."),
        ctx.save_figure(plots.theorem41_increments(tabs["theorem41_increments"]), "theory_theorem41_increments",
                        "Increments of I(y_t; f) for 64 random unit vectors in d = 16: at the paper's "
                        "σ = 0.01 the printed formula is nearly constant at ½ log(1 + σ⁻²), while the true "
                        "increment falls once the tokens span the space."),
        ctx.save_figure(plots.equation1_curve(tabs["equation1_curve"]), "theory_equation1_curve",
                        "Equation (1) against r/d for d = 1000: the map the paper uses to turn matrix-entropy "
                        "estimates of r/d into the normalized entropies of Figure 1."),
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


def _details(records, cex_rel: str, forms_rel: str):
    """One paragraph per claim whose verdict is not a plain 'holds': the statement as printed (maths), the failed
    checks, the verified correction or the conditions; the statements in words in ``forms_rel``, counterexamples
    in ``cex_rel``."""
    blocks = [Heading("Counterexamples, corrections and conditions in full", 3),
              Para(f"Each statement as printed, in words: [{forms_rel}]({forms_rel}); each counterexample in full "
                   f"(JSON): [{cex_rel}]({cex_rel}).")]
    for r in records:
        if r.verdict == "holds":
            continue
        lines = [f"**{r.paper_ref} — {r.title}** (`{r.id}`, verdict **{r.verdict}**)", "",
                 f"- As printed: ${r.latex}$"]
        for c in r.checks:
            if not c["passed"]:
                lines.append(f"- Failed check ({c['target']}, {c['kind']}): {md_escape(c['name'])} — "
                             f"{md_escape(c['detail'])}")
        if r.correction:
            lines.append(f"- Correction (verified; {r.correction['kind']}): ${r.correction['latex']}$")
        for cond in r.conditions:
            lines.append(f"- Condition: {md_escape(cond)}")
        blocks.append(Para("\n".join(lines)))
    return blocks


@section("theory", "The paper's claims, checked", order=10)
def build(ctx):
    from theory import report_tables
    from theory.catalogue import run_all

    records = run_all(seed=ctx.seed, progress=ctx.progress)
    tabs = report_tables(ctx.seed, ctx.progress, records=records)
    rels = {key: ctx.table(TABLE_NAMES[key], df) for key, df in tabs.items()}
    forms_rel = ctx.table("claims_latex", latex_table(records))
    cex_rel = ctx.table("claims_counterexamples", counterexample_table(records))
    blocks = [Para("Every claim is encoded as printed and checked symbolically (sympy), numerically (random "
                   "instances) and, for the discrete lemmas, exhaustively. The verdict is computed from the checks "
                   "by one rule (the counts are in the summary above). Each correction names what it "
                   "repairs (`correction_kind`: a constant factor, the order of a remainder, a degenerate case, or "
                   "a wrong formula). Reproduce with `python -m theory`."),
              Table(rels["claims"], "The claims that hold as printed (the others follow in full below; every claim "
                                    "with its evidence in the full table)", max_rows=100,
                    columns=["id", "paper_ref", "title", "verdict"], where={"verdict": "holds"})]
    blocks += _details(records, cex_rel, forms_rel)
    blocks.append(Heading("Pictures of four findings", 3))
    return blocks + _figures(ctx, tabs)
