"""Report section: measurements of language models the way the paper does (Figures 1, 3 to 6).

By default on the three smallest sizes of the mini-Pythia family (GPT-NeoX models
trained on CPU, built on first use; ``empirical.measure.report.REPORT_SIZES``); with
``--model`` on any local or hub causal LM. The tables come
from :func:`empirical.measure.report_tables`, which keeps its runs (and their
cache) in ``<report>/measurements/<model>/``; this section only lays them out.
"""
from __future__ import annotations

from ..blocks import Para, Table
from . import section


def _family_intro(losses, rel: str) -> Para:
    """What the family is, and its held-out loss at the last checkpoint (every checkpoint, train loss: ``rel``)."""
    final = losses[losses["step"] == losses["step"].max()]
    params = dict(zip(final["size"], final["params_nonembedding"]))
    held = ", ".join(f"{r.heldout_loss_nats:.3f} ({r.size})" for r in final.itertuples())
    return Para(
        f"**What this family is.** *mini-Pythia*: {len(params)} GPT-NeoX models in Pythia's image (rotary, parallel "
        f"attention and MLP, AdamW, Pythia's checkpoint spacing) of {min(params.values()):,} to "
        f"{max(params.values()):,} non-embedding parameters, trained on CPU on the same tokens of the shipped hh-rlhf "
        "sample (a few MB of dialogue): the paper's measurements end to end on natural text, not Pythia; the theory "
        "is tested where the truth is known (the skill-language section). `--model` measures a real Pythia "
        f"checkpoint. Held-out loss at the last checkpoint, nats per token: {held} (every checkpoint and the "
        f"training loss: [{rel}]({rel})).")


@section("measure", "Measurements of language models (Figures 1, 3 to 6)", order=50)
def build(ctx):
    from empirical.measure.report import MAX_TOKENS, N_TEXTS, report_tables

    tabs = report_tables(seed=ctx.seed, progress=ctx.progress, model=ctx.model, out_dir=ctx.out_dir / "measurements")
    family = "minipythia_losses" in tabs
    if family:
        losses = tabs["minipythia_losses"]
        blocks = [_family_intro(losses, ctx.table("minipythia_losses", losses))]
    else:
        blocks = [Para(f"Measurements of `{ctx.model}` ({N_TEXTS} hh-rlhf transcripts, first {MAX_TOKENS} "
                       "tokens each; every hidden layer).")]
    label = None
    if family:  # figure titles say what the models are (not Pythia)
        from infogeo.plotstyle import minipythia_label

        label = minipythia_label(losses["params_nonembedding"].min(), losses["params_nonembedding"].max())
    blocks += _measurements(ctx, tabs, label, {"n_texts": N_TEXTS, "max_tokens": MAX_TOKENS})
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
