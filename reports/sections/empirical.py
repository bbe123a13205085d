"""Report section 4: exponents fitted to published Pythia measurements, and the theory's verdicts."""
from __future__ import annotations

from ..blocks import Para, Table
from . import section
from ._layout import headline_table, window_note

#: Columns of a fits table whose small values are optimizer noise: the final projected gradient norm (below 1e-8
#: at convergence, its digits differ between machines) is written to a resolution of 1e-6.
FIT_RESOLUTION = {"grad_norm": 1e-6}


#: Columns of the joint table the report shows (every column stays in the CSV; what each quantity is compared with
#: is said once, in the joint-law paragraph).
JOINT_SHOWN = ("family", "quantity", "estimate", "ci_low", "ci_high", "predicted", "outcome")



#: Columns of the headline verdicts table the report shows, in order (every column stays in the CSV): the test
#: (its first word), the learner's hypothesis, estimate and prediction with their intervals, the verdict in words and
#: the fit's χ² p-value. The coverage under a drifting exponent is stated once beside the table (one value per test).
VERDICT_SHOWN = ("test", "family", "hypothesis", "estimate", "ci_low", "ci_high", "predicted", "pred_low",
                 "pred_high", "verdict", "outcome", "chi2_p")


@section("empirical", "Pythia: fitted exponents against the predictions", order=40)
def build(ctx):
    from empirical.fit import report_tables
    from empirical.fit.plots import figures

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("empirical", {}))
    rels = {name: ctx.table(f"pythia_{name}", df, FIT_RESOLUTION if name == "fits" else None)
            for name, df in tabs.items()}
    h = tabs["verdicts_headline"]
    blocks = [Para(
        "Data: EleutherAI's lm-eval-harness results for Pythia (8 sizes, standard and deduplicated, to step "
        "143000; Apache-2.0; provenance and checksums: `empirical/data/pythia/`); loss: LAMBADA's per-word NLL. "
        "Fit, usability and verdict rules: docs/statistics.md.")]
    blocks += [Para(p) for p in findings(h, tabs["joint"], tabs["fits"])]
    table = headline_table(
        rels["verdicts_headline"], h.columns, "pythia", shown=VERDICT_SHOWN, clip={"test": "_"},
        caption="Verdicts, α from non-embedding parameters (total: the CSV; steps: median over sizes, per size in "
                "tables/pythia_verdicts.csv; χ² and `drift_coverage` of each row: the CSV)")
    table.where = {"alpha_source": "nonembedding"}
    blocks.append(table)
    if "coverage" in tabs:
        blocks.append(Para(
            "**Intervals.** Params and joint intervals cover 93–96% at nominal 95%; steps and frontier ones are "
            "`approximate`. " + drift_sentence(h) + f" [{rels['coverage']}]({rels['coverage']})."))
    if len(tabs["joint"]):
        j = tabs["joint"]
        keep = [c for c in dict.fromkeys(j["compared_with"]) if "α/(α+2)" not in c]
        blocks.append(Table(rels["joint"], "Joint law L = E + A/N^α + B/D^β (bootstrap over whole models; "
                                           "compute_optimal = αβ/(α+β); predicted: α_N, α/(α+1), the envelope's "
                                           "exponent)",
                            where={"quantity": ["alpha", "beta", "compute_optimal"], "compared_with": keep},
                            columns=list(JOINT_SHOWN)))
    blocks.append(Para("These fits keep the offset E (Section 2: a pure power law misstates the exponent where the "
                       f"loss still bends). Every fit, with χ², dof, p and σ_extra: [{rels['fits']}]({rels['fits']})."))
    windows = window_note(ctx, tabs, rels, "pythia")
    for stem, fig in figures(tabs).items():
        blocks.append(ctx.save_figure(fig, stem, fit_caption(stem) + (windows if stem == "fit_window_sensitivity"
                                                                      else "")))
    blocks.append(Para(f"**Caveats the data impose** (each in full: [{rels['caveats']}]({rels['caveats']})): "
                       + "; ".join(tabs["caveats"]["caveat"]) + "."))
    return blocks



def _span(values) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}–{hi:.2f}"


def _span_g(values) -> str:
    """``1e-12–0.0005``: the range of p-values, one significant digit."""
    lo, hi = f"{min(values):.1g}", f"{max(values):.1g}"
    return lo if lo == hi else f"{lo}–{hi}"


def _tally(rows, column: str = "outcome") -> str:
    """``3 × slower than predicted, 1 × cannot tell``: the outcomes (or another column) of verdict rows, counted."""
    return ", ".join(f"{n} × {o}" for o, n in rows[column].value_counts().items())


def findings(h, joint, fits) -> list[str]:
    """What the tables show, in sentences computed from them (no number is typed in)."""
    out = []
    st = h[(h["test"] == "steps_exponent") & (h["subject"] == "all sizes")]
    if len(st):
        med = st.drop_duplicates("family").set_index("family")["estimate"]
        par = st[st["hypothesis"].str.contains("parallel")]["predicted"]
        seq = st[st["hypothesis"].str.contains("sequential")]["predicted"]
        if (med > par.max()).all():
            out.append(
                "**What the data support.** The median steps exponent, "
                + ", ".join(f"{v:.2f} ({k})" for k, v in med.items())
                + f", exceeds α/(α+1) = {_span(par)} (parallel learner) and α/(α+2) = {_span(seq)} (sequential, "
                  "the paper): Theorem 3.8's model misses what speeds training here (the LR schedule, a skill mass "
                  "that is not one power law). Per-size verdicts are `fragile`: the exponent drifts with the window.")
    fr = h[h["test"] == "frontier_exponent"]
    if len(fr):
        cap = fr[fr["hypothesis"].str.contains("α/(α+2)", regex=False)]
        free = fr[fr["hypothesis"].str.contains("α/(α+1)", regex=False)]
        out.append(
            "**The frontier cannot tell the learning order apart**: α/(α+2) bounds every capacity-limited learner "
            f"(claim `thm-3.8-frontier`), α/(α+1) one without a limit; over {len(cap)} fits α/(α+1) is "
            + _tally(free) + ", α/(α+2) " + _tally(cap, "verdict") + " (windows: the table).")
    p = h[h["test"] == "params_power_law"]
    if len(p) and p["chi2"].notna().any():
        noise = fits.loc[(fits["analysis"] == "params") & fits["is_default"], "eval_noise_log"]
        out.append(
            "**Goodness of fit.** Against the evaluation noise ("
            + "–".join(dict.fromkeys(f"{v:.4f}" for v in sorted(noise))) + " in log loss) every params fit "
            + ("fails" if (p["chi2_p"] < 0.05).all() else "is tested")
            + f" (p = {_span_g(p['chi2_p'])}): `needs-extra-noise`, σ_extra = {_span(p['sigma_extra'])}.")
    if len(joint):
        parts = []
        for fam, j in joint.groupby("family", sort=False):
            get = {(r.quantity, r.compared_with.split(",")[0].split(" (")[0]): r for r in j.itertuples()}
            cap = get[("compute_optimal", "α/(α+2)")]
            parts.append(f"{fam} {cap.estimate:.3f} vs {cap.predicted:.3f} ({cap.outcome})")
        out.append("**The joint law** (Epoch-style; α, β and αβ/(α+β) against α_N, α/(α+1) and the envelope's "
                   "exponent in the table below): αβ/(α+β) against α/(α+2): " + "; ".join(parts) + ".")
    return out


def drift_sentence(h) -> str:
    """The coverage under a drifting exponent, as the verdicts quote it (``drift_coverage``)."""
    if "drift_coverage" not in h:
        return ""
    tests = {"params_power_law": "params", "steps_exponent": "steps", "frontier_exponent": "frontier"}
    parts = [f"{tests.get(t, t)} {v}" for t, v in h.drop_duplicates("test")[["test", "drift_coverage"]].itertuples(
        index=False)]
    return ("They cover the window's pseudo-true exponent; a drifting generating exponent only "
            + ", ".join(parts) + " of the time (`drift_coverage`).")


def fit_caption(stem: str) -> str:
    return {
        "fit_params": "Final-checkpoint loss against parameters: fit, 95% band, Theorem 3.7's slope.",
        "fit_steps_exponents": "Steps exponent per size (95% intervals) beside α/(α+2) and α/(α+1).",
        "fit_frontier": "Compute frontier in 6·N·D: fit, 95% band, each learner's reference slope.",
        "fit_window_sensitivity": "Each exponent in every window (hollow: not usable).",
    }.get(stem, f"Loss against steps per size ({stem.removeprefix('fit_steps_')}): data, fit, 95% band."
          if stem.startswith("fit_steps") else stem)
