"""Report section 4: measurements of language models the way the paper does (Figures 1, 3 to 6).

By default on the mini-Pythia family (GPT-NeoX models trained on CPU, built on
first use); with ``--model`` on any local or hub causal LM. Measurement tables
live in ``<report>/measurements/<model>/`` and are reused when present and
made by the same recipe (``measurements/stamp.json``).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from empirical.io import read_table

from ..blocks import Figure, Heading, Para, Table
from ..style import figure

#: Texts and tokens per text for the report's measurements: enough for stable means, small enough for CPU.
N_TEXTS = 24
MAX_TOKENS = 128


def _done(folder: Path) -> dict | None:
    from empirical.measure import MARKER

    marker = folder / MARKER
    return json.loads(marker.read_text()) if marker.exists() else None


def _measure(model, revision, folder: Path, ctx, stamp: dict) -> dict[str, Path]:
    from empirical.measure import run_measurements

    stamp_path = folder / "stamp.json"
    done = _done(folder)
    if done is not None and stamp_path.exists() and json.loads(stamp_path.read_text()) == stamp:
        return {t: folder / f"{t}.csv" for t in done["tables"]}
    out = run_measurements(model, revision=revision, out_dir=folder, text_limit=N_TEXTS, max_tokens=MAX_TOKENS,
                           layers="all", seed=ctx.seed, progress=ctx.progress, overwrite=True)
    stamp_path.write_text(json.dumps(stamp, indent=1, sort_keys=True))
    return out


def _read(path, label: str) -> pd.DataFrame:
    """An engine table with its ``model`` column (a machine-specific path for local models) set to ``label``."""
    df = read_table(path, keep_default_na=False, na_values=[""])
    df["model"] = label
    return df


def _concat(tables: dict, key: str) -> pd.DataFrame:
    return pd.concat([_read(t[key], label) for label, t in tables.items() if key in t], ignore_index=True)


def _last_layer(df: pd.DataFrame) -> pd.DataFrame:
    """Each model's last hidden layer (models of different depth), relabelled layer -1."""
    out = df[df["layer"] == df.groupby("model")["layer"].transform("max")].copy()
    out["layer"] = -1
    return out


def _entropy_vs_size(ctx, ent: pd.DataFrame, params: dict) -> Figure:
    last = ent[ent["layer"] == ent.groupby("size")["layer"].transform("max")]
    agg = last.groupby("size").agg(L=("L_eps_normalized", "mean"), H=("matrix_entropy", "mean")).reset_index()
    agg["params"] = agg["size"].map(params)
    agg = agg.sort_values("params")
    fig, axes = figure(ncols=2, width=4.6, height=3.8)
    for ax, col, lab in ((axes[0, 0], "L", "normalized L_ε (Definition 3.1, ε = 0.1)"),
                         (axes[0, 1], "H", "normalized matrix entropy [25]")):
        ax.loglog(agg["params"], agg[col], "o-")
        if len(agg) >= 2:
            k = np.polyfit(np.log(agg["params"]), np.log(agg[col]), 1)[0]
            ax.set_title(f"log-log slope {k:.3f}")
        ax.set_xlabel("non-embedding parameters")
        ax.set_ylabel(lab)
    fig.suptitle("Figure 1 analogue: representation entropy of the last layer against model size")
    return ctx.save_figure(fig, "measure_entropy_vs_size", f"Mean over {N_TEXTS} hh-rlhf transcripts (first {MAX_TOKENS} tokens) of the last "
                                 "hidden layer's normalized rate-distortion entropy and matrix entropy, per model "
                                 "size. The paper's Figure 1 plots Equation (1) applied to matrix-entropy estimates "
                                 "of Pythia; here both quantities are measured directly.")


def _family(ctx):
    from empirical.minipythia import ensure_family
    from empirical.minipythia.config import DEFAULT_CONFIG

    stamp_base = {"family_recipe": DEFAULT_CONFIG.hash, "n_texts": N_TEXTS, "max_tokens": MAX_TOKENS,
                  "seed": ctx.seed}
    root = ctx.out_dir / "measurements"
    losses_rel = "tables/minipythia_losses.csv"
    have = (ctx.out_dir / losses_rel).exists() and all(
        _done(root / s.name) is not None and (root / s.name / "stamp.json").exists()
        and json.loads((root / s.name / "stamp.json").read_text()) == {**stamp_base, "size": s.name}
        for s in DEFAULT_CONFIG.sizes)
    if have:  # every table is present and made by this recipe: no training, no model loading
        losses = pd.read_csv(ctx.out_dir / losses_rel)
        tables = {s.name: {t: root / s.name / f"{t}.csv" for t in _done(root / s.name)["tables"]}
                  for s in DEFAULT_CONFIG.sizes}
        return losses, tables, None
    info = ensure_family(progress=ctx.progress, threads=2)
    losses = read_table(info.losses_path)
    final = f"step{info.steps[-1]}"
    tables = {name: _measure(path, final, root / name, ctx, {**stamp_base, "size": name})
              for name, path in info.sizes.items()}
    return losses, tables, info


def build(ctx):
    from empirical import plots_measure as PM

    blocks = []
    if ctx.model:
        name = Path(ctx.model).name or str(ctx.model)
        folder = ctx.out_dir / "measurements" / name
        tables = {name: _measure(ctx.model, None, folder, ctx, {"model": str(ctx.model), "n_texts": N_TEXTS,
                                                                 "max_tokens": MAX_TOKENS, "seed": ctx.seed})}
        losses, params = None, None
        blocks.append(Para(f"Measurements of `{ctx.model}` ({N_TEXTS} hh-rlhf transcripts, first {MAX_TOKENS} "
                           "tokens each; every hidden layer)."))
    else:
        losses, tables, info = _family(ctx)
        ctx.table("minipythia_losses", losses)
        final = losses[losses["step"] == losses["step"].max()]
        params = dict(zip(final["size"], final["params_nonembedding"]))
        blocks.append(Para(
            "**What this family is.** No machine that builds this report can download Pythia, so section 4 runs on "
            "*mini-Pythia*: GPT-NeoX models in Pythia's image (rotary embeddings, parallel attention and MLP, "
            "untied embeddings, AdamW with warmup and cosine decay, Pythia's checkpoint spacing) at "
            f"{len(params)} sizes from {min(params.values()):,} to {max(params.values()):,} non-embedding "
            "parameters, every size trained on the same tokens in the same order, on CPU, from the shipped hh-rlhf "
            "sample with a BPE tokenizer trained on its training split. **What it is not:** Pythia, or anything "
            "near its scale; its corpus is a few MB of dialogue, so absolute numbers say nothing about Pythia. It "
            "lets every measurement of the paper run end to end on real trained transformers whose every step we "
            "control. Pass `--model` to measure a real Pythia checkpoint instead (see the README)."))
        blocks.append(Table("tables/minipythia_losses.csv", "Training and held-out loss (nats per token) at every "
                                                           "checkpoint", max_rows=12))
    ent = _concat(tables, "entropy")
    ctx.table("measure_entropy", ent)
    if params:
        blocks.append(_entropy_vs_size(ctx, ent.assign(size=ent["model"]), params))
    ig = _last_layer(_concat(tables, "infogain"))
    if params:  # legend and table in order of model size
        ig = ig.sort_values("model", key=lambda m: m.map(params), kind="stable")
    # The per-token rows stay in measurements/; the report keeps the mean over texts.
    mean = (ig.groupby(["model", "revision", "layer", "t"], sort=True)
              .agg(info_gain=("info_gain", "mean"), increment=("increment", "mean"),
                   info_gain_normalized=("info_gain_normalized", "mean"), n_texts=("text_id", "nunique"))
              .reset_index())
    ctx.table("measure_infogain_mean", mean)
    blocks.append(ctx.save_figure(
        PM.plot_infogain(ig), "measure_fig3_infogain",
        "Figure 3 analogue: normalized information gain I(y_t; f)/d (σ = 0.01, linear kernel on l2-normalized "
        "states of each model's last layer) and its increment, against prefix length, averaged over texts, per model."))
    biggest = list(tables)[-1]
    t = tables[biggest]
    for key, fn, cap in (
            ("lasso", PM.plot_lasso, "Section 4.2 protocol on the paper's sentence: tokens chosen by Lasso "
                                     "(λ = 1e-4) and by head-averaged attention (weights > 0.01)"),
            ("embeddings", PM.plot_embeddings, "Figure 4 analogue: mean-token against last-token embeddings of "
                                               "'He is the king of' / 'She is the queen of' + countries (PCA)"),
            ("distances", PM.plot_distances, "Figures 5 and 6 analogue: sentence distances between token "
                                             "covariances (JS with γ = 100; Logdet, Riemannian, log-Euclidean on "
                                             "ridge-regularized covariances)")):
        if key in t:
            df = _read(t[key], biggest)
            rel = ctx.table(f"measure_{key}", df if key != "distances" else df[df["layer"] == df["layer"].max()])
            blocks.append(ctx.save_figure(fn(df), f"measure_{key}", f"{cap}; model `{biggest}`."))
            if key == "lasso":
                blocks.append(Table(ctx.table("measure_lasso_picks", _lasso_picks(df)),
                                    "Section 4.2 as the paper reports it: the context tokens each method picks "
                                    "(weight > 0.01, largest first, at most 12 shown), last layer; every weight is "
                                    f"in {rel}"))
    if losses is not None:
        blocks += _loss_fits(ctx, losses)
    return blocks


def _lasso_picks(df: pd.DataFrame, show: int = 12) -> pd.DataFrame:
    """One row per target token: the tokens head-averaged attention picks and those Lasso picks."""
    last = df[df["layer"] == df["layer"].max()]
    rows = []
    for target, g in last.groupby("target", sort=False):
        att = g[g["selected_attention"].astype(bool)].sort_values("attention", ascending=False)
        las = g[g["selected_lasso"].astype(bool)].sort_values("lasso_coef", ascending=False)
        rows.append({"target": f"[{target}]", "layer": int(g["layer"].iloc[0]),
                     "attention_picks": " ".join(f"[{t}]" for t in att["token"].head(show)),
                     "n_attention": len(att),
                     "lasso_picks": " ".join(f"[{t}]" for t in las["token"].head(show)), "n_lasso": len(las),
                     "lasso_converged": bool(g["lasso_converged"].all())})
    return pd.DataFrame(rows)


def _loss_fits(ctx, losses: pd.DataFrame):
    from empirical.fit.analyses import run_analyses
    from empirical.fit.plots import draw_all

    blocks = [Heading("The same theory tests on the mini-Pythia family", 3),
              Para("Held-out loss (nats per token) of every checkpoint through the same fitter and analyses as the "
                   "Pythia data of section 3. With few sizes and a short training run the intervals are wide; the "
                   "point is that every input is under our control.")]
    tabs = run_analyses(losses, loss_column="heldout_loss_nats", seed=ctx.seed, n_boot=60, n_boot_windows=30,
                        progress=ctx.progress)
    from .empirical import headline_verdicts

    for k, v in tabs.items():
        ctx.table(f"minipythia_{k}", v)
    blocks.append(headline_verdicts(ctx, tabs["verdicts"], "minipythia"))
    out = ctx.figures_dir / "minipythia"
    batch = int(losses["batch_tokens"].iloc[0])
    labels = {"loss": "held-out loss", "unit": "nats/token", "step": f"optimizer step ({batch:,} tokens each)"}
    for p in draw_all(tabs, out, labels=labels):
        blocks.append(Figure(ctx.rel(p), f"mini-Pythia: {p.stem.replace('_', ' ')}"))
    return blocks
