"""Report section 4: exponents fitted to published Pythia measurements, and the theory's verdicts."""
from __future__ import annotations

from ..blocks import Heading, Para, Table
from . import section
from ._layout import fit_table, headline_table, window_note

#: Columns of a fits table whose small values are optimizer noise: the final projected gradient norm (below 1e-8
#: at convergence, its digits differ between machines) is written to a resolution of 1e-6.
FIT_RESOLUTION = {"grad_norm": 1e-6}


#: Columns of the joint table the report shows (every column stays in the CSV).
JOINT_SHOWN = ("family", "quantity", "estimate", "ci_low", "ci_high", "compared_with", "predicted", "outcome")



@section("empirical", "Pythia: fitted exponents against the predictions", order=40)
def build(ctx):
    from empirical.fit import report_tables
    from empirical.fit.plots import figures

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("empirical", {}))
    rels = {name: ctx.table(f"pythia_{name}", df, FIT_RESOLUTION if name == "fits" else None)
            for name, df in tabs.items()}
    h = tabs["verdicts_headline"]
    blocks = [Para(
        "Data: EleutherAI's lm-eval-harness results for the Pythia suite (8 sizes, standard and deduplicated "
        "training data, checkpoints through step 143000; Apache-2.0; provenance and checksums in "
        "`empirical/data/pythia/`). The loss is LAMBADA's per-word negative log-likelihood (0-shot). Fits "
        "(`empirical.fit.fit_power_law` / `fit_joint_law`) minimise squared log residuals by variable projection; "
        "a parameter on a bound is not converged, and a fit must pass the usability rule (status ok, at least 90% "
        "of refits interior optima, interval inside the exponent bounds) to carry a verdict. Predictions come from "
        "`theory.skills.predicted_exponent` with the interval of α propagated. Verdicts and their `outcome` "
        "in words (directional; `fragile` with its count of windows) follow the rules of docs/statistics.md; "
        "steps and frontier verdicts are approximate (the coverage study below).")]
    blocks += [Para(p) for p in findings(h, tabs["joint"], tabs["fits"])]
    blocks.append(headline_table(rels["verdicts_headline"], h.columns, "pythia",
                                 drop=("subject", "approximate", "window_agreement")))
    if len(tabs["joint"]):
        blocks.append(Table(rels["joint"], "Epoch-style joint test: L = E + A/N^α + B/D^β over every checkpoint "
                                           "(D = tokens seen), 95% intervals from a bootstrap over whole models; "
                                           "each quantity against what it is compared with",
                            columns=list(JOINT_SHOWN)))
    if "coverage" in tabs:
        blocks.append(Para(
            "What the intervals rest on: a coverage study on synthetic designs shaped like each analysis (400 "
            "draws per design): params and joint profile-t intervals cover 93–96% at nominal 95%; steps "
            "(AR(1)-calibrated profile-t ×1.15) and frontier intervals are flagged `approximate` (caveats below). "
            + drift_sentence(h) +
            f" Every design and method: [{rels['coverage']}]({rels['coverage']}); docs/statistics.md."))
    blocks.append(Para("Section 2's lesson carries over: on the simulator's own curves, a pure power law fitted "
                       "where finite-M curvature still bends the loss misstates the flops exponent by up to tens of "
                       "per cent (tables/simulate_estimator_bias.csv, column rel_error of the `pure` rows); the fits "
                       "here keep the offset E for that reason, and the window figure shows how far the steps "
                       "exponent still drifts."))
    blocks.append(fit_table(rels["fits"], tabs["fits"]))
    windows = window_note(ctx, tabs, rels, "pythia")
    for stem, fig in figures(tabs).items():
        blocks.append(ctx.save_figure(fig, stem, fit_caption(stem) + (windows if stem == "fit_window_sensitivity"
                                                                      else "")))
    blocks.append(Heading("Caveats the data impose", 3))
    blocks.append(Para("\n".join(f"- **{k}**: {v}" for k, v in zip(tabs["caveats"]["caveat"],
                                                                     tabs["caveats"]["detail"]))))
    return blocks


def _span(values) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}–{hi:.2f}"


def _tally(rows) -> str:
    """``3 × slower than predicted, 1 × cannot tell``: the outcomes of a set of verdict rows, counted."""
    return ", ".join(f"{n} × {o}" for o, n in rows["outcome"].value_counts().items())


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
                "**What the data support.** Loss falls with training steps faster than even the parallel learner "
                "allows: the median steps exponent over usable sizes is "
                + ", ".join(f"{v:.2f} ({k})" for k, v in med.items())
                + f", against α/(α+1) = {_span(par)} for a parallel learner and α/(α+2) = {_span(seq)} for a "
                  "sequential one (α from either parameter count). The steps axis at fixed size is the one that "
                  "tells the learning order apart: in the default window, against the sequential learner of the "
                  "paper (non-embedding α): "
                  + "; ".join(f"{r.family}: {r.outcome}" for r in st[st["hypothesis"].str.contains("sequential")
                                                                   & (st["alpha_source"] == "nonembedding")]
                              .itertuples())
                  + ". The data exceed the parallel learner too, so Theorem 3.8's model misses what speeds up "
                    "training here (the learning-rate schedule and a skill mass that is not one fixed power law "
                    "are candidates; caveats below). The per-size verdicts are `fragile` because the late windows' "
                    "fits are unusable and the exponent drifts with the window (figure below).")
    fr = h[h["test"] == "frontier_exponent"]
    if len(fr):
        cap = fr[fr["hypothesis"].str.contains("α/(α+2)", regex=False)]
        free = fr[fr["hypothesis"].str.contains("α/(α+1)", regex=False)]
        out.append(
            "**The frontier cannot tell the learning order apart.** α/(α+2) is the compute frontier of every "
            "capacity-limited learner, sequential or parallel (claim `thm-3.8-frontier`); α/(α+1) is the "
            f"frontier only of a learner without a capacity limit. Over the {len(cap)} frontier fits, α/(α+1) is "
            + _tally(free) + "; α/(α+2) is " + _tally(cap)
            + ". So the frontier speaks against a learner without a capacity limit and, where it is robust, for a "
              "capacity limit; it says nothing on the order in which skills are learned. Only the steps axis does.")
    p = h[h["test"] == "params_power_law"]
    if len(p) and p["chi2"].notna().any():
        noise = fits.loc[(fits["analysis"] == "params") & fits["is_default"], "eval_noise_log"]
        out.append(
            "**Goodness of fit.** Against the stated evaluation noise ("
            + "–".join(dict.fromkeys(f"{v:.4f}" for v in sorted(noise))) + " in log loss) "
            + "; ".join(f"{r.family} N {r.alpha_source}: χ² = {r.chi2:.1f} on {r.dof:.0f} dof, p = {r.chi2_p:.1g}, "
                        f"σ_extra = {r.sigma_extra:.3f}" for r in p.itertuples())
            + ". A fit that fails says so (`needs-extra-noise`): it passes only if run-to-run variation adds "
              "σ_extra (solved from χ² = dof; the 95%-quantile value is `sigma_extra_95` in the fits table). "
              "Every fit row carries its χ², dof and p.")
    if len(joint):
        parts = []
        for fam, j in joint.groupby("family", sort=False):
            get = {(r.quantity, r.compared_with.split(",")[0].split(" (")[0]): r for r in j.itertuples()}
            beta, co = get[("beta", "α/(α+1)")], get[("compute_optimal", "the envelope's exponent")]
            cap = get[("compute_optimal", "α/(α+2)")]
            parts.append(f"{fam}: β = {beta.estimate:.2f} [{beta.ci_low:.2f}, {beta.ci_high:.2f}] against "
                         f"α/(α+1) = {beta.predicted:.2f}: {beta.outcome}; αβ/(α+β) = {co.estimate:.3f} "
                         f"[{co.ci_low:.3f}, {co.ci_high:.3f}] against the envelope's {co.predicted:.3f}: "
                         f"{co.outcome}, against α/(α+2) = {cap.predicted:.3f}: {cap.outcome}")
        betas = joint[(joint["quantity"] == "beta") & (joint["learner"] == "parallel")]
        envs = joint[(joint["quantity"] == "compute_optimal") & joint["compared_with"].str.contains("envelope")]
        said = []
        if (betas["outcome"] == "faster than predicted").all():
            said.append("the tokens exponent β, the joint law's exponent at any size, is faster than the parallel "
                        "learner allows, as the steps axis is")
        if (envs["verdict"] == "consistent").all():
            said.append("the compute-optimal exponent the joint law implies agrees with the envelope's own")
        out.append("**The joint law (Epoch-style), resampling whole models.** " + "; ".join(parts) + ". "
                   + ("; ".join(said).capitalize() + ". " if said else "") + "Every row is in the joint table below.")
    return out


def drift_sentence(h) -> str:
    """The coverage under a drifting exponent, as the verdicts quote it (``drift_coverage``)."""
    if "drift_coverage" not in h:
        return ""
    tests = {"params_power_law": "params", "steps_exponent": "steps", "frontier_exponent": "frontier"}
    parts = [f"{tests.get(t, t)} {v}" for t, v in h.drop_duplicates("test")[["test", "drift_coverage"]].itertuples(
        index=False)]
    return ("Every interval covers the pseudo-true exponent of its window; when the exponent drifts across the "
            "window (as the steps exponent does) the study's misspecified designs cover the generating exponent "
            "only " + ", ".join(parts) + " of the time (column `drift_coverage`).")


def fit_caption(stem: str) -> str:
    return {
        "fit_params": "Final-checkpoint loss against parameters, the fitted law with its 95% band, and the slope "
                      "theory predicts (Theorem 3.7).",
        "fit_steps_exponents": "Steps exponent at each size with 95% intervals, beside α/(α+2) (sequential "
                               "learner, the paper) and α/(α+1) (parallel learner) from the fitted α.",
        "fit_frontier": "The compute frontier (lower envelope over sizes and checkpoints) in 6·N·D with its fit and "
                        "95% band; the two reference slopes, named by the learner that produces each, are drawn "
                        "through the fit at the envelope's geometric midpoint; each panel states the Ê it subtracts.",
        "fit_window_sensitivity": "Each exponent re-fitted in every alternative window with its 95% interval "
                                  "(hollow: the fit is not usable there); one line per size shows how the steps "
                                  "exponent drifts with the window.",
    }.get(stem, "Loss against training steps at each size: data, fitted law and 95% band" if stem.startswith(
        "fit_steps") else stem)
