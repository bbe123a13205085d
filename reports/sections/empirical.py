"""Report section 3: exponents fitted to published Pythia measurements, and the theory's verdicts."""
from __future__ import annotations

from ..blocks import Figure, Heading, Para, Table


def build(ctx):
    from empirical.fit.analyses import CAVEATS, report_tables
    from empirical.fit.plots import draw_all

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, **ctx.options.get("empirical", {}))
    rels = {name: ctx.table(f"pythia_{name}", df) for name, df in tabs.items()}
    ver = tabs["verdicts"]
    blocks = [Para(
        "Data: EleutherAI's lm-eval-harness results for the Pythia suite (8 sizes, standard and deduplicated "
        "training data, checkpoints through step 143000; Apache-2.0; provenance and checksums in "
        "`empirical/data/pythia/`). The loss is LAMBADA's per-word negative log-likelihood (0-shot). Fits use a "
        "Huber loss on log residuals with many starts, a gradient-norm convergence check and a bootstrap whose "
        "refits must converge; predictions come from `theory.skills.predicted_exponent` with the interval of α "
        "propagated.")]
    blocks.append(headline_verdicts(ctx, ver, "pythia"))
    fcols = [c for c in ("analysis", "family", "subject", "param", "estimate", "ci_low", "ci_high", "converged",
                         "boot_converged_frac", "rmse_log") if c in tabs["fits"].columns]
    blocks.append(Table(rels["fits"], "Fitted parameters with 95% bootstrap intervals", max_rows=60,
                        columns=fcols or None))
    for path in draw_all(tabs, ctx.figures_dir):
        blocks.append(Figure(ctx.rel(path), _caption(path.stem)))
    blocks.append(Heading("Caveats the data impose", 3))
    blocks.append(Para("\n".join(f"- **{k}**: {v}" for k, v in CAVEATS)))
    if "window_sensitivity" in rels:
        blocks.append(Table(rels["window_sensitivity"], "How each verdict moves with the fit window", max_rows=40))
    return blocks


VERDICT_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "estimate", "ci_low", "ci_high",
                   "predicted", "pred_low", "pred_high", "verdict", "reason", "window_agreement")


def headline_verdicts(ctx, ver, prefix: str) -> Table:
    """One row per prediction: params and frontier tests, and the steps test summarised over sizes
    (the per-size rows stay in the full verdicts table)."""
    head = ver[(ver["test"] != "steps_exponent") | (ver["subject"] == "all sizes")]
    rel = ctx.table(f"{prefix}_verdicts_headline", head)
    return Table(rel, f"Verdict per prediction (steps: the median over sizes; per-size rows in "
                      f"tables/{prefix}_verdicts.csv)", max_rows=40,
                 columns=[c for c in VERDICT_COLUMNS if c in head.columns])


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
