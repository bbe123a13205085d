"""Report section 5: measurements of language models the way the paper does (Figures 1, 3 to 6).

By default on the mini-Pythia family (GPT-NeoX models trained on CPU, built on
first use); with ``--model`` on any local or hub causal LM. The tables come
from :func:`empirical.measure.report_tables`, which keeps its runs (and their
cache) in ``<report>/measurements/<model>/``; this section only lays them out.
"""
from __future__ import annotations

from ..blocks import Heading, Para, Table
from ..summary import DECISIVE
from ._layout import headline_table, window_note
from .empirical import FIT_RESOLUTION, fit_caption


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
        "control. Pass `--model` to measure a real Pythia checkpoint instead (see the README).")


def build(ctx):
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
    label = None
    if family:  # figure titles say what the models are (not Pythia)
        from infogeo.plotstyle import minipythia_label

        label = minipythia_label(losses["params_nonembedding"].min(), losses["params_nonembedding"].max())
    blocks += _measurements(ctx, tabs, label, {"n_texts": N_TEXTS, "max_tokens": MAX_TOKENS})
    if family:
        blocks += _loss_fits(ctx, tabs)
    return blocks


def _measurements(ctx, tabs: dict, family: str | None, fill: dict) -> list:
    """Each registered measurement in registry order: its report tables written, its figure, its shown tables."""
    from empirical.measure.measurements import REGISTRY

    blocks, rels = [], {}
    for spec in REGISTRY.values():
        names = [name for name in spec.report_names if name in tabs]
        for name in names:
            if not name.startswith("_"):
                rels[name] = ctx.table(name, tabs[name])
        if not names or spec.plot is None:
            continue
        first = tabs[names[0]]
        text = {**fill, "model": first["model"].iloc[0] if "model" in first else "", "tables": rels}
        fig = spec.plot(tabs, family)
        if fig is not None:
            blocks.append(ctx.save_figure(fig, spec.figure, spec.caption.format(**text)))
        blocks += [Table(rels[name], caption.format(**text), **options) for name, caption, options in spec.shown
                   if name in rels]
    return blocks


def _loss_fits(ctx, tabs: dict) -> list:
    from empirical.fit.plots import figures

    blocks = [Heading("The same theory tests on the mini-Pythia family", 3),
              Para("Held-out loss (nats per token) of every checkpoint through the same fitter and analyses as the "
                   "Pythia data of section 4. With few sizes and a short training run the intervals are wide; the "
                   "point is that every input is under our control.")]
    fits = {k[len("minipythia_"):]: v for k, v in tabs.items()
            if k.startswith("minipythia_") and k != "minipythia_losses"}
    rels = {k: ctx.table(f"minipythia_{k}", v, FIT_RESOLUTION if k == "fits" else None) for k, v in fits.items()}
    vh = fits["verdicts_headline"]
    decided = (vh["usable"].astype(str) == "True") & vh["verdict"].isin(DECISIVE)
    # Without a single decided verdict, the prediction columns and the window agreement stay in the full table.
    drop = () if decided.any() else ("family", "subject", "predicted", "pred_low", "pred_high", "approximate",
                                     "window_agreement")
    blocks.append(headline_table(rels["verdicts_headline"], vh.columns, "minipythia", drop=drop))
    windows = window_note(ctx, fits, rels, "minipythia")
    batch = int(tabs["minipythia_losses"]["batch_tokens"].iloc[0])
    labels = {"loss": "held-out loss", "unit": "nats/token", "step": f"optimizer step ({batch:,} tokens each)"}
    n = tabs["minipythia_losses"]["size"].nunique()
    for stem, fig in figures(fits, labels=labels).items():
        blocks.append(ctx.save_figure(fig, f"minipythia/{stem}", f"mini-Pythia family ({n} CPU-trained GPT-NeoX "
                                                                 f"sizes, not Pythia): {fit_caption(stem)}"
                                      + (windows if stem == "fit_window_sensitivity" else "")))
    return blocks
