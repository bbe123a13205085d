"""Report section 4: exponents fitted to published Pythia measurements, and the theory's verdicts."""
from __future__ import annotations

from ..blocks import Heading, Para, Table
from ._layout import headline_table

FIT_COLUMNS = ("analysis", "family", "subject", "param", "estimate", "ci_low", "ci_high", "converged",
               "boot_converged_frac", "rmse_log")


def build(ctx):
    from empirical.fit import report_tables
    from empirical.fit.plots import figures

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("empirical", {}))
    rels = {name: ctx.table(f"pythia_{name}", df) for name, df in tabs.items()}
    blocks = [Para(
        "Data: EleutherAI's lm-eval-harness results for the Pythia suite (8 sizes, standard and deduplicated "
        "training data, checkpoints through step 143000; Apache-2.0; provenance and checksums in "
        "`empirical/data/pythia/`). The loss is LAMBADA's per-word negative log-likelihood (0-shot). Fits use a "
        "Huber loss on log residuals with many starts, a gradient-norm convergence check and a bootstrap whose "
        "refits must converge; predictions come from `theory.skills.predicted_exponent` with the interval of α "
        "propagated.")]
    blocks.append(headline_table(rels["verdicts_headline"], tabs["verdicts_headline"].columns, "pythia"))
    fcols = [c for c in FIT_COLUMNS if c in tabs["fits"].columns]
    blocks.append(Table(rels["fits"], "Fitted parameters with 95% bootstrap intervals", max_rows=60,
                        columns=fcols or None))
    for stem, fig in figures(tabs).items():
        blocks.append(ctx.save_figure(fig, stem, _caption(stem)))
    blocks.append(Heading("Caveats the data impose", 3))
    blocks.append(Para("\n".join(f"- **{k}**: {v}" for k, v in zip(tabs["caveats"]["caveat"],
                                                                     tabs["caveats"]["detail"]))))
    if "window_sensitivity" in rels:
        blocks.append(Table(rels["window_sensitivity"], "How each verdict moves with the fit window", max_rows=40))
    return blocks


def _caption(stem: str) -> str:
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
