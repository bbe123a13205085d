"""Report section 4: exponents fitted to published Pythia measurements, and the theory's verdicts."""
from __future__ import annotations

from ..blocks import Heading, Para
from . import section
from ._layout import fit_table, headline_table, window_note

#: Columns of a fits table whose small values are optimizer noise: the final projected gradient norm (below 1e-8
#: at convergence, its digits differ between machines) is written to a resolution of 1e-6.
FIT_RESOLUTION = {"grad_norm": 1e-6}


@section("empirical", "Pythia: fitted exponents against the predictions", order=40)
def build(ctx):
    from empirical.fit import report_tables
    from empirical.fit.plots import figures

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("empirical", {}))
    rels = {name: ctx.table(f"pythia_{name}", df, FIT_RESOLUTION if name == "fits" else None)
            for name, df in tabs.items()}
    blocks = [Para(
        "Data: EleutherAI's lm-eval-harness results for the Pythia suite (8 sizes, standard and deduplicated "
        "training data, checkpoints through step 143000; Apache-2.0; provenance and checksums in "
        "`empirical/data/pythia/`). The loss is LAMBADA's per-word negative log-likelihood (0-shot). Fits "
        "(`empirical.fit.profile`) minimise squared log residuals by variable projection; a parameter on a bound "
        "is not converged, and a fit must pass the usability rule (status ok, at least 90% of refits interior "
        "optima, interval inside the exponent bounds) to carry a verdict. Predictions come from "
        "`theory.skills.predicted_exponent` with the interval of α propagated; the verdict rules (width of the "
        "interval below the gap between the competing predictions, a rejected α makes its predictions "
        "inconclusive, usable fits only in medians, `fragile` when windows flip) are in docs/statistics.md.")]
    blocks.append(headline_table(rels["verdicts_headline"], tabs["verdicts_headline"].columns, "pythia",
                                 drop=("subject",)))
    if "coverage" in tabs:
        blocks.append(Para(
            "What the intervals rest on: a coverage study on synthetic designs shaped like each analysis (400 "
            "draws per design): params and joint profile-t intervals cover 93–96% at nominal 95%; steps "
            "(AR(1)-calibrated profile-t ×1.15) and frontier intervals are flagged `approximate` (caveats below). "
            f"Every design and method: [{rels['coverage']}]({rels['coverage']}); docs/statistics.md."))
    blocks.append(fit_table(rels["fits"], tabs["fits"]))
    windows = window_note(ctx, tabs, rels, "pythia")
    for stem, fig in figures(tabs).items():
        blocks.append(ctx.save_figure(fig, stem, fit_caption(stem) + (windows if stem == "fit_window_sensitivity"
                                                                      else "")))
    blocks.append(Heading("Caveats the data impose", 3))
    blocks.append(Para("\n".join(f"- **{k}**: {v}" for k, v in zip(tabs["caveats"]["caveat"],
                                                                     tabs["caveats"]["detail"]))))
    return blocks


def fit_caption(stem: str) -> str:
    return {
        "fit_params": "Final-checkpoint loss against parameters, the fitted law with its 95% band, and the slope "
                      "theory predicts (Theorem 3.7).",
        "fit_steps_exponents": "Steps exponent at each size with 95% intervals, beside α/(α+2) (sequential, the "
                               "paper) and α/(α+1) (parallel) from the fitted α.",
        "fit_frontier": "The compute frontier (lower envelope over sizes) in 6·N·D with its fit and the predicted "
                        "slope.",
        "fit_window_sensitivity": "Each verdict re-derived over alternative fit windows.",
    }.get(stem, "Loss against training steps at each size: data, fitted law and 95% band" if stem.startswith(
        "fit_steps") else stem)
