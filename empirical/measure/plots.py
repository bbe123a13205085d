"""Figures 3-6 (Sections 4.1-4.3, Appendix A) drawn from the measurement tables of :mod:`empirical.measure`.

Every helper takes the tidy table (a DataFrame or a CSV path) and returns a
``matplotlib.figure.Figure`` built without pyplot (so no GUI backend is ever
touched); save it with ``fig.savefig(path)``. Axes are labelled with units
(nats), legends name the model and revision. Titles state what the table shows, computed from it; every
function takes an optional keyword ``family`` (e.g. :func:`infogeo.plotstyle.minipythia_label`) that names the
models measured in the title.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from infogeo.plotstyle import COLORS, figure, minipythia_label, suptitle
from infogeo.validation import ValidationError, ValidationTypeError

from ..io import read_table

__all__ = ["plot_infogain", "plot_entropy", "plot_entropy_vs_size", "plot_lasso", "plot_embeddings",
           "plot_distances"]

_CONTEXT_COLORS = {"king": COLORS["blue"], "queen": COLORS["vermillion"], "none": COLORS["grey"]}


def _on(family: str | None) -> str:
    return f" — {family}" if family else ""


def _table(df, name: str, required: list[str]) -> pd.DataFrame:
    if isinstance(df, (str, Path)):
        df = read_table(df, keep_default_na=False, na_values=[""])
    if not isinstance(df, pd.DataFrame):
        raise ValidationTypeError(f"{name} must be a DataFrame or a CSV path, got {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValidationError(f"{name} lacks columns {missing}; pass the {name}.csv table of empirical.measure")
    if df.empty:
        raise ValidationError(f"{name} is empty")
    return df


def _pick_layer(df: pd.DataFrame, layer, name: str) -> tuple[pd.DataFrame, int]:
    layer = int(df["layer"].max()) if layer is None else int(layer)
    sub = df[df["layer"] == layer]
    if sub.empty:
        raise ValidationError(f"{name} has no rows for layer {layer}; layers present: {sorted(df['layer'].unique())}")
    return sub, layer


def _label(model, revision) -> str:
    return f"{Path(str(model)).name}@{revision}"


def _layer_name(layer: int) -> str:
    return "the last layer" if layer == -1 else f"layer {layer}"


def plot_infogain(infogain, *, layer=None, min_texts: int = 1, family: str | None = None) -> Figure:
    """Figure 3: normalized information gain I(y_t; f)/d and its increment against prefix length t.

    One line per (model, revision): the mean over texts that have at least t
    tokens (t values covered by fewer than ``min_texts`` texts are dropped). The title gives each model's
    gain at the longest prefix and the range of the last increments.
    """
    df = _table(infogain, "infogain",
                ["model", "revision", "layer", "text_id", "t", "info_gain_normalized", "increment"])
    df, layer = _pick_layer(df, layer, "infogain")
    fig, axes = figure(ncols=2, width=5.0, height=4.0)
    ax_g, ax_i = axes[0]
    ends = []
    # sort=False keeps the caller's order of models (e.g. by size) in the legend
    for (model, rev), g in df.groupby(["model", "revision"], sort=False):
        agg = g.groupby("t").agg(gain=("info_gain_normalized", "mean"), inc=("increment", "mean"),
                                 n=("text_id", "nunique"))
        agg = agg[agg["n"] >= min_texts]
        ax_g.plot(agg.index, agg["gain"], label=_label(model, rev))
        ax_i.plot(agg.index, agg["inc"], label=_label(model, rev))
        if len(agg):
            ends.append((Path(str(model)).name, int(agg.index.max()), float(agg["gain"].iloc[-1]),
                         float(agg["inc"].iloc[-min(10, len(agg)):].mean())))
    ax_g.set(xlabel="prefix length t (tokens)", ylabel="I(y_t; f) / d (nats per dimension)",
             title=f"normalized information gain, {_layer_name(layer)}")
    ax_i.set(xlabel="prefix length t (tokens)", ylabel="I(y_t; f) - I(y_{t-1}; f) (nats)",
             title="information gain increment", yscale="log")
    ax_g.legend(fontsize="small")
    ax_i.legend(fontsize="small")
    if ends:
        gains = ", ".join(f"{m} {v:.2f}" for m, _, v, _ in ends)
        incs = [e[3] for e in ends]
        suptitle(fig, f"Figure 3 analogue{_on(family)}\ngain per dimension at t = {ends[0][1]} tokens: {gains} "
                      f"nats; the increment decays to {min(incs):.2g}–{max(incs):.2g} nats per token "
                      "(mean of the last 10)", fontsize=10)
    return fig


def plot_entropy(entropy, *, family: str | None = None) -> Figure:
    """Section 3: normalized rate-distortion entropy and matrix entropy against layer (mean ± sd over texts)."""
    df = _table(entropy, "entropy", ["model", "revision", "layer", "L_eps_normalized", "matrix_entropy"])
    fig, axes = figure(ncols=2, width=5.0, height=4.0)
    for ax, col, ylab in ((axes[0, 0], "L_eps_normalized", "L_eps / max (Definition 3.1, normalized)"),
                          (axes[0, 1], "matrix_entropy", "matrix entropy / log d (ref. [25])")):
        for (model, rev), g in df.groupby(["model", "revision"], sort=True):
            agg = g.groupby("layer")[col].agg(["mean", "std"]).fillna(0.0)
            ax.errorbar(agg.index, agg["mean"], yerr=agg["std"], marker="o", capsize=3, label=_label(model, rev))
        ax.set(xlabel="layer (hidden-state index)", ylabel=ylab + " (dimensionless)")
        ax.legend(fontsize="small")
    means = df.groupby("layer")["L_eps_normalized"].mean()
    if len(means) >= 2:
        word = "falls" if means.iloc[-1] < means.iloc[0] else "rises"
        suptitle(fig, f"Representation entropy by layer{_on(family)}: normalized L_ε {word} from "
                      f"{means.iloc[0]:.2f} (layer {means.index[0]}) to {means.iloc[-1]:.2f} (layer {means.index[-1]}),"
                      " mean over models and texts", fontsize=10)
    return fig


def plot_entropy_vs_size(entropy, losses, *, family: str | None = None) -> Figure:
    """Figure 1 analogue: the last layer's normalized L_ε and matrix entropy (means over texts) against model size.

    ``entropy`` is the engine's entropy table with ``model`` set to the size
    name; ``losses`` the family's losses table, whose final-step rows give
    each size's non-embedding parameter count. Each panel shows its log-log slope; the title names the
    family (``family``, or the mini-Pythia description when ``losses`` is that family's table).
    """
    ent = _table(entropy, "entropy", ["model", "layer", "L_eps_normalized", "matrix_entropy"])
    final = losses[losses["step"] == losses["step"].max()]
    params = dict(zip(final["size"], final["params_nonembedding"]))
    if family is None and "model" in losses and losses["model"].astype(str).str.startswith("minipythia").any():
        family = minipythia_label(min(params.values()), max(params.values()))
    ent = ent.assign(size=ent["model"])
    last = ent[ent["layer"] == ent.groupby("size")["layer"].transform("max")]
    agg = last.groupby("size").agg(L=("L_eps_normalized", "mean"), H=("matrix_entropy", "mean")).reset_index()
    agg["params"] = agg["size"].map(params)
    agg = agg.sort_values("params")
    fig, axes = figure(ncols=2, width=4.6, height=3.8)
    found = []
    for ax, col, lab in ((axes[0, 0], "L", "normalized L_ε (Definition 3.1, ε = 0.1)"),
                         (axes[0, 1], "H", "normalized matrix entropy [25]")):
        ax.loglog(agg["params"], agg[col], "o-")
        if len(agg) >= 2:
            k = np.polyfit(np.log(agg["params"]), np.log(agg[col]), 1)[0]
            ax.set_title(f"log-log slope {k:.3f}")
            found.append(f"{lab.split(' (')[0]} {'falls' if k < 0 else 'rises'} (slope {k:.2f})")
        ax.set_xlabel("non-embedding parameters N (count)")
        ax.set_ylabel(lab)
    suptitle(fig, f"Figure 1 analogue{_on(family)}\nlast-layer entropy against model size: " + "; ".join(found),
             fontsize=10)
    return fig


def _lasso_bars(ax, g: pd.DataFrame, column: str, picked: str, color: str, label: str) -> None:
    """One method's weights as bars on their own scale; the selected tokens solid, the threshold drawn."""
    x = g["position"].to_numpy()
    sel = g[picked].astype(bool).to_numpy()
    ax.bar(x, g[column], width=0.8, color=color, alpha=0.35)
    ax.bar(x[sel], g[column].to_numpy()[sel], width=0.8, color=color, label=f"{label}: {int(sel.sum())} selected")
    ax.axhline(g["threshold"].iloc[0], color=COLORS["black"], lw=1.0, ls=":",
               label=f"selection threshold {g['threshold'].iloc[0]:g}")
    ax.set_ylabel(f"{label} (dimensionless)")
    ax.legend(fontsize="small", loc="upper left")


def _lasso_sweep_panel(ax, sw: pd.DataFrame, paper: float) -> None:
    """Tokens the Lasso selects, and how many attention also selects, against the penalty; chance overlap dashed."""
    sw = sw[~sw["paper_lambda"].astype(bool)].sort_values("lambda_ratio")
    ax.axhspan(2, 5, color=COLORS["grey"], alpha=0.2, label="the paper's Lasso: 2–5 tokens")
    ax.plot(sw["lambda_ratio"], sw["n_lasso"], "o-", color=COLORS["vermillion"], label="selected by Lasso")
    ax.plot(sw["lambda_ratio"], sw["n_both"], "s-", color=COLORS["blue"], label="selected by both")
    ax.plot(sw["lambda_ratio"], sw["chance_both"], color=COLORS["black"], ls="--", lw=1.2,
            label="both, if Lasso's picks were random (hypergeometric mean)")
    if np.isfinite(paper):
        ax.axvline(paper, color=COLORS["green"], lw=1.2, label=f"paper's λ = {paper:.1e} λ_max")
    ax.set(xscale="log", xlabel="λ / λ_max (λ_max: smallest λ selecting nothing)", ylabel="tokens (count)")
    ax.legend(fontsize="x-small")


def plot_lasso(lasso, sweep=None, *, layer=None, family: str | None = None) -> Figure:
    """Section 4.2: attention and Lasso weights of each context token, each on its own scale with the selection
    threshold, per protocol token; with ``sweep`` (the ``lasso_sweep`` table) the selection against λ beside
    them, with the overlap two random selections of the same sizes would have."""
    import matplotlib as mpl

    from infogeo.plotstyle import RC

    df = _table(lasso, "lasso", ["layer", "target", "position", "token", "attention", "lasso_coef", "threshold",
                                 "selected_attention", "selected_lasso"])
    df, layer = _pick_layer(df, layer, "lasso")
    if sweep is not None:
        sweep = _table(sweep, "lasso_sweep", ["layer", "target", "lambda_ratio", "paper_lambda", "n_lasso",
                                              "n_both", "chance_both", "p_overlap"])
        sweep = sweep[sweep["layer"] == layer]
    targets = list(dict.fromkeys(df["target"]))
    mosaic = []
    for i in range(len(targets)):
        mosaic += [[f"a{i}", f"s{i}"], [f"l{i}", f"s{i}"]] if sweep is not None else [[f"a{i}"], [f"l{i}"]]
    with mpl.rc_context(RC):
        fig = Figure(figsize=(16 if sweep is not None else 12, 4.6 * len(targets)))
        axes = fig.subplot_mosaic(mosaic, width_ratios=[3.2, 1] if sweep is not None else None)
    found = []
    for i, target in enumerate(targets):
        g = df[df["target"] == target].sort_values("position")
        _lasso_bars(axes[f"a{i}"], g, "attention", "selected_attention", COLORS["blue"], "attention (head mean)")
        _lasso_bars(axes[f"l{i}"], g, "lasso_coef", "selected_lasso", COLORS["vermillion"], "Lasso coefficient")
        axes[f"a{i}"].set_title(f"target [{target}], layer {layer}")
        axes[f"a{i}"].set_xticks(g["position"], [""] * len(g))
        axes[f"a{i}"].set_xlabel("context token (as in the panel below)")
        axes[f"l{i}"].set_xticks(g["position"], [t.strip() or "␣" for t in g["token"]], rotation=90,
                                 fontsize=6 if len(g) > 40 else "small")
        axes[f"l{i}"].set_xlabel("context token (in sentence order)")
        att, las = set(g.loc[g["selected_attention"].astype(bool), "position"]), set(
            g.loc[g["selected_lasso"].astype(bool), "position"])
        text = f"[{target}] Lasso {len(las)}, attention {len(att)}, both {len(att & las)}"
        if sweep is not None and len(sw := sweep[sweep["target"] == target]):
            at_paper = sw[sw["paper_lambda"].astype(bool)].iloc[0]
            _lasso_sweep_panel(axes[f"s{i}"], sw, float(at_paper["lambda_ratio"]))
            axes[f"s{i}"].set_title(f"[{target}]: selection against the penalty")
            text += f" (chance {at_paper['chance_both']:.1f}, p = {at_paper['p_overlap']:.2f})"
        found.append(text)
    head = (f"Section 4.2 protocol{_on(family)}: context tokens each method picks (weight above the threshold) "
            "per target, at the paper's λ")
    if sweep is not None and len(sweep):
        ratio = sweep.loc[sweep["paper_lambda"].astype(bool), "lambda_ratio"]
        head += f" = {ratio.min():.1e}–{ratio.max():.1e} λ_max (nearly unpenalized)"
    suptitle(fig, head + " — " + "; ".join(found), fontsize=10.5)
    return fig


def _separation(g: pd.DataFrame) -> float:
    """Distance between the context centroids over the mean within-context spread (NaN with < 2 contexts)."""
    cents = g.groupby("context")[["x", "y"]].mean()
    if len(cents) < 2:
        return float("nan")
    spread = np.mean([np.hypot(h["x"] - h["x"].mean(), h["y"] - h["y"].mean()).mean()
                      for _, h in g.groupby("context")])
    gap = np.mean([np.hypot(*(cents.iloc[i] - cents.iloc[j]))
                   for i in range(len(cents)) for j in range(i + 1, len(cents))])
    return float(gap / spread) if spread > 0 else float("inf")


def plot_embeddings(embeddings, *, layer=None, method: str = "pca", family: str | None = None) -> Figure:
    """Figure 4: mean-token against last-token sentence embeddings, projected (PCA, or UMAP when measured)."""
    df = _table(embeddings, "embeddings", ["layer", "context", "country", "representation", "method", "x", "y"])
    df, layer = _pick_layer(df, layer, "embeddings")
    df = df[df["method"] == method]
    if df.empty:
        raise ValidationError(f"embeddings has no {method!r} projection (UMAP needs umap-learn installed)")
    fig, axes = figure(ncols=2, width=5.5, height=5.0)
    found = []
    for ax, rep in zip(axes[0], ("mean", "last")):
        g = df[df["representation"] == rep]
        for ctx, h in g.groupby("context", sort=False):
            ax.scatter(h["x"], h["y"], color=_CONTEXT_COLORS.get(ctx, "k"), label=f"context: {ctx}")
            for _, r in h.iterrows():
                ax.annotate(str(r["country"]).rstrip("."), (r["x"], r["y"]), fontsize=6)
        sep = _separation(g)
        found.append(f"{rep}-token {sep:.2f}")
        ax.set(xlabel=f"{method.upper()} 1 (arbitrary units)", ylabel=f"{method.upper()} 2 (arbitrary units)",
               title=f"{'mean of all tokens' if rep == 'mean' else 'last token'} (layer {layer})")
        ax.legend(fontsize="small")
    suptitle(fig, f"Figure 4 analogue{_on(family)}: separation of the contexts (centroid distance / "
                  f"within-context spread): {', '.join(found)}", fontsize=10.5)
    return fig


def _matrix(df: pd.DataFrame, metric: str, pos: dict) -> np.ndarray:
    D = np.zeros((len(pos), len(pos)))
    for _, r in df[df["metric"] == metric].iterrows():
        i, j = pos[r["sentence_a"]], pos[r["sentence_b"]]
        D[i, j] = D[j, i] = r["distance"]
    return D


def _null_panel(ax, null: pd.DataFrame, metrics: list[str]) -> None:
    """Observed across/within ratio per metric against the shuffled-label null's 95% range."""
    null = null.set_index("metric").reindex(metrics)
    y = np.arange(len(metrics))
    ax.hlines(y, null["null_low"], null["null_high"], color=COLORS["grey"], lw=6, alpha=0.6,
              label="shuffled context labels: 95% range")
    ax.plot(null["null_mean"], y, "|", color=COLORS["black"], ms=14, label="shuffled: mean")
    ax.plot(null["ratio_across_within"], y, "o", color=COLORS["vermillion"], label="observed")
    ax.axvline(1.0, color=COLORS["black"], lw=0.8, ls=":")
    floor = 1 / (1 + null["n_permutations"].iloc[0])  # the smallest p-value the relabellings can give
    ax.set_yticks(y, [f"{m} (p {'≤' if p <= floor else '='} {p:.2g})" for m, p in zip(metrics, null["p_value"])])
    ax.set(xlabel="mean distance across contexts / within a context (ratio)", ylabel="metric",
           title=f"null comparison: is context the structure? ({int(null['n_permutations'].iloc[0])} relabellings)")
    ax.legend(fontsize="small", loc="center")


def plot_distances(distances, null=None, *, layer=None, metrics=("js", "logdet", "riemann", "logeuclid"),
                   family: str | None = None) -> Figure:
    """Figures 5-6: sentence-by-sentence distance matrices, one panel per metric (king sentences first); with
    ``null`` (the ``distances_null`` table) a panel comparing each metric's across/within ratio with shuffled
    context labels."""
    df = _table(distances, "distances", ["layer", "sentence_a", "sentence_b", "context_a", "country_a",
                                         "context_b", "country_b", "metric", "distance"])
    df, layer = _pick_layer(df, layer, "distances")
    metrics = [m for m in metrics if m in set(df["metric"])]
    if not metrics:
        raise ValidationError("distances holds none of the requested metrics")
    if null is not None:
        null = _table(null, "distances_null", ["layer", "metric", "ratio_across_within", "null_low", "null_high",
                                               "null_mean", "p_value", "n_permutations"])
        null = null[(null["layer"] == layer) & null["metric"].isin(metrics)]
    ids = sorted(set(df["sentence_a"]) | set(df["sentence_b"]))
    names = {}
    for side in ("a", "b"):
        for _, r in df[[f"sentence_{side}", f"context_{side}", f"country_{side}"]].drop_duplicates().iterrows():
            names[r[f"sentence_{side}"]] = f"{r[f'context_{side}']}: {str(r[f'country_{side}']).rstrip('.')}"
    pos = {s: i for i, s in enumerate(ids)}
    # Two panels per row keep the 30 sentence labels readable at the size a report shows them.
    panels = len(metrics) + (null is not None and len(null) > 0)
    ncols = min(2, panels)
    fig, axes = figure(ncols=ncols, nrows=-(-panels // ncols), width=6.5, height=6.2)
    axes = axes.ravel()
    for ax in axes[panels:]:
        fig.delaxes(ax)
    found = []
    for ax, metric in zip(axes, metrics):
        im = ax.imshow(_matrix(df, metric, pos), cmap="viridis")
        m = df[df["metric"] == metric]
        same = m["context_a"] == m["context_b"]
        if same.any() and (~same).any():
            found.append(f"{metric} {m.loc[~same, 'distance'].mean() / m.loc[same, 'distance'].mean():.2f}")
        ax.set_xticks(range(len(ids)), [names[s] for s in ids], rotation=90, fontsize=6.5)
        ax.set_yticks(range(len(ids)), [names[s] for s in ids], fontsize=6.5)
        ax.set(title=f"{metric} distance, layer {layer}", xlabel="sentence", ylabel="sentence")
        fig.colorbar(im, ax=ax, label=f"d_{metric} (dimensionless)")
    if panels > len(metrics):
        _null_panel(axes[len(metrics)], null, metrics)
        p = null.set_index("metric")["p_value"]
        found = [f"{f} (p = {p[f.split()[0]]:.2g})" if f.split()[0] in p else f for f in found]
        found[-1] += "; p: share of shuffled context labellings giving a ratio at least as large"
    if found:
        suptitle(fig, f"Figures 5–6 analogue{_on(family)}: mean distance across contexts / within a context — "
                      + ", ".join(found), fontsize=10.5)
    return fig
