"""Report section 5: measurements of language models the way the paper does (Figures 1, 3 to 6).

By default on the three smallest sizes of the mini-Pythia family (GPT-NeoX models
trained on CPU, built on first use; ``empirical.measure.report.REPORT_SIZES``); with
``--model`` on any local or hub causal LM. The tables come
from :func:`empirical.measure.report_tables`, which keeps its runs (and their
cache) in ``<report>/measurements/<model>/``; this section only lays them out.
"""
from __future__ import annotations

from ..blocks import Para, Table
from . import section

#: Section 4.2-4.3 figures drawn on the largest model measured: (table key, plot function name, caption).
_PROMPT_FIGURES = (
    ("lasso", "plot_lasso", "Section 4.2 protocol on the paper's sentence: tokens chosen by Lasso (λ = 1e-4) and by "
                            "head-averaged attention (weights > 0.01)"),
    ("embeddings", "plot_embeddings", "Figure 4 analogue: mean-token against last-token embeddings of "
                                      "'He is the king of' / 'She is the queen of' + countries (PCA)"),
    ("distances", "plot_distances", "Figures 5 and 6 analogue: sentence distances between token covariances (JS "
                                    "with γ = 100; Logdet, Riemannian, log-Euclidean on ridge-regularized "
                                    "covariances)"),
)


def _family_intro(losses) -> Para:
    final = losses[losses["step"] == losses["step"].max()]
    params = dict(zip(final["size"], final["params_nonembedding"]))
    return Para(
        "**What this family is.** No machine that builds this report can download Pythia, so section 5 runs on "
        "*mini-Pythia*: GPT-NeoX models in Pythia's image (rotary embeddings, parallel attention and MLP, "
        "untied embeddings, AdamW with warmup and cosine decay, Pythia's checkpoint spacing) at "
        f"{len(params)} sizes from {min(params.values()):,} to {max(params.values()):,} non-embedding "
        "parameters, every size trained on the same tokens in the same order, on CPU, from the shipped hh-rlhf "
        "sample with a BPE tokenizer trained on its training split. **What it is not:** Pythia, or anything "
        "near its scale; its corpus is a few MB of dialogue, so absolute numbers say nothing about Pythia. It "
        "lets every measurement of the paper run end to end on real trained transformers whose every step we "
        "control. The report trains and measures the family's smallest sizes only, the fewest that show Figure "
        "1's trend (the theory tests on this family's losses are retired: the skill-language section's "
        "transformers, whose answers are known, test the theory). Pass `--model` to measure a real Pythia "
        "checkpoint instead (see the README).")


@section("measure", "Measurements of language models (Figures 1, 3 to 6)", order=50)
def build(ctx):
    from empirical.measure import plots as PM
    from empirical.measure.report import MAX_TOKENS, N_TEXTS, report_tables

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, model=ctx.model, out_dir=ctx.out_dir / "measurements")
    family = "minipythia_losses" in tabs
    if family:
        ctx.table("minipythia_losses", tabs["minipythia_losses"])
        losses = tabs["minipythia_losses"]
        blocks = [_family_intro(losses),
                  Table("tables/minipythia_losses.csv", "Training and held-out loss (nats per token) at the last "
                                                        "checkpoint (every checkpoint in the full table)",
                        where={"step": int(losses["step"].max())},
                        columns=["size", "params_total", "params_nonembedding", "flops_6ND_nonemb",
                                 "train_loss_nats", "heldout_loss_nats"])]
    else:
        blocks = [Para(f"Measurements of `{ctx.model}` ({N_TEXTS} hh-rlhf transcripts, first {MAX_TOKENS} "
                       "tokens each; every hidden layer).")]
    ctx.table("measure_entropy", tabs["measure_entropy"])
    if family:
        blocks.append(ctx.save_figure(
            PM.plot_entropy_vs_size(tabs["measure_entropy"], tabs["minipythia_losses"]), "measure_entropy_vs_size",
            f"Mean over {N_TEXTS} hh-rlhf transcripts (first {MAX_TOKENS} tokens) of the last hidden layer's "
            "normalized rate-distortion entropy and matrix entropy, per model size. The paper's Figure 1 plots "
            "Equation (1) applied to matrix-entropy estimates of Pythia; here both quantities are measured directly."))
    ctx.table("measure_infogain_mean", tabs["measure_infogain_mean"])
    label = None
    if family:  # figure titles say what the models are (not Pythia)
        from infogeo.plotstyle import minipythia_label

        label = minipythia_label(losses["params_nonembedding"].min(), losses["params_nonembedding"].max())
    blocks.append(ctx.save_figure(
        PM.plot_infogain(tabs["measure_infogain"], family=label), "measure_fig3_infogain",
        "Figure 3 analogue: normalized information gain I(y_t; f)/d (σ = 0.01, linear kernel on l2-normalized "
        "states of each model's last layer) and its increment, against prefix length, averaged over texts, per model."))
    for key, plot, cap in _PROMPT_FIGURES:
        if f"measure_{key}" not in tabs:
            continue
        df = tabs[f"measure_{key}"]
        rel = ctx.table(f"measure_{key}", df)
        blocks.append(ctx.save_figure(getattr(PM, plot)(df, family=label), f"measure_{key}",
                                      f"{cap}; model `{df['model'].iloc[0]}`."))
        if key == "lasso":
            blocks.append(Table(ctx.table("measure_lasso_picks", tabs["measure_lasso_picks"]),
                                "Section 4.2 as the paper reports it: the context tokens each method picks "
                                "(weight > 0.01, largest first, at most 12 shown), last layer; every weight is "
                                f"in {rel}"))
    return blocks

