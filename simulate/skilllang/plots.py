"""Section 3 on transformers: figures of the skill-language experiment, drawn from its tables only.

Losses are on the normalised scale of :func:`simulate.skilllang.normalized_loss` divided by ln 2: 1 at B (the
skill unknown), 0 at C (comprehended), exact for this language.
"""
from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter

from infogeo.plotstyle import ALTERNATIVE, COLORS, CYCLE, THEORY, figure, fmt_interval, suptitle

__all__ = ["fig_skill_curves", "fig_learning_times", "fig_scaling", "fig_infogain"]

LN2 = float(np.log(2.0))
_WHAT = "GPT-NeoX transformers on the skill language, p_k ∝ k^−(α+1)"


def _row(e, a, axis, size=None):
    d = e[(e["alpha"] == a) & (e["axis"] == axis) & (e["threshold"] == 0.5)]
    if size is not None:
        d = d[d["width"] == size]
    return d.iloc[0] if len(d) and np.isfinite(d["fitted"].iloc[0]) else None


def fig_skill_curves(curves: pd.DataFrame, mean_loss: pd.DataFrame):
    """Per-skill held-out loss (skills 1..24) against steps at the largest size, one panel per alpha."""
    alphas = sorted(curves["alpha"].unique())
    fig, axes = figure(len(alphas), width=5.0, height=3.8)
    cmap = mpl.colormaps["viridis"]
    for ax, a in zip(axes[0], alphas):
        d = curves[(curves["alpha"] == a) & (curves["step"] > 0)]
        K = int(d["skill"].max())
        for k, g in d.groupby("skill"):
            ax.semilogx(g["step"], g["loss_norm"] / LN2, color=cmap((k - 1) / max(K - 1, 1)), lw=1.0)
        size = d["size"].iloc[0]
        m = mean_loss[(mean_loss["alpha"] == a) & (mean_loss["size"] == size) & (mean_loss["step"] > 0)]
        ax.semilogx(m["step"], m["loss"] / LN2, color=COLORS["vermillion"], ls="--", lw=2.0, label="mean over skills")
        for th in (0.5, 0.1):
            ax.axhline(th, color=COLORS["grey"], ls=":", lw=1)
        ax.set_title(f"α = {a:g}, size {size}: skills 1 (dark) to {K} (light)", fontsize=10)
        ax.set_xlabel("step")
        ax.set_ylabel("(loss − C) / (B − C)")
        ax.legend(fontsize=8)
    learned = []
    for a in alphas:
        last = curves[(curves["alpha"] == a) & (curves["step"] == curves["step"].max())]
        learned.append(f"α = {a:g}: {int((last['loss_norm'] <= 0.5 * LN2).sum())} of skills 1..{len(last)} "
                       "learned at the last step")
    suptitle(fig, f"{_WHAT}: per-skill held-out loss (exact) at the largest size; " + "; ".join(learned))
    return fig


def fig_learning_times(lt: pd.DataFrame, exponents: pd.DataFrame):
    """t_k against k at the largest size with the fitted slope and both learners' slopes on the same window."""
    alphas = sorted(lt["alpha"].unique())
    fig, axes = figure(len(alphas), width=5.0, height=3.8)
    found = []
    for ax, a in zip(axes[0], alphas):
        d = lt[lt["alpha"] == a]
        d = d[(d["width"] == d["width"].max()) & (d["threshold"] == 0.5) & (d["task"] <= 100)]
        ok = ~d["censored"].astype(bool)
        ax.loglog(d.loc[ok, "task"], d.loc[ok, "t_k"], "o", color=COLORS["blue"], ms=4, label="learned")
        ax.loglog(d.loc[~ok, "task"], d.loc[~ok, "t_k"], "^", mfc="none", color=COLORS["grey"], ms=4,
                  label="not learned (censored)")
        r = _row(exponents, a, "learning_time")
        if r is not None and ok.sum() >= 2:
            g = d[ok & (d["task"] <= r["window_hi"])]
            ck, ct = float(np.exp(np.log(g["task"]).mean())), float(np.exp(np.log(g["t_k"]).mean()))
            ks = np.array([1.0, r["window_hi"]])
            for slope, style, lab in ((r["fitted"], dict(color=COLORS["blue"], lw=1.5), "fitted"),
                                      (r["predicted_sequential"], THEORY, "sequential (Assumption 3.5)"),
                                      (r["predicted_parallel"], ALTERNATIVE, "parallel")):
                ax.loglog(ks, ct * (ks / ck) ** slope, label=f"{lab}: slope {slope:.2f}", **style)
            found.append(f"α = {a:g}: slope {fmt_interval(r['fitted'], r['ci_low'], r['ci_high'])}, {r['verdict']}")
        ax.set_xlabel("skill rank k")
        ax.set_ylabel("learning step t_k (loss ≤ halfway B→C)")
        ax.set_title(f"α = {a:g}", fontsize=10)
        ax.legend(fontsize=7)
    suptitle(fig, f"{_WHAT}: when is skill k learned? " + "; ".join(found))
    return fig


def fig_scaling(sizes: pd.DataFrame, mean_loss: pd.DataFrame, frontier: pd.DataFrame, exponents: pd.DataFrame,
                tokens_per_step: float):
    """Final excess loss and skills learned against N (non-embedding), and the compute frontier (6·N·D, D tokens)."""
    fig, axes = figure(3, width=4.6, height=3.9)
    for i, a in enumerate(sorted(sizes["alpha"].unique())):
        c = CYCLE[i]
        s = sizes[sizes["alpha"] == a].sort_values("params_nonembedding")
        N = s["params_nonembedding"].to_numpy(float)
        axes[0, 0].loglog(N, s["final_excess_norm"] / LN2, "o-", color=c, label=f"α = {a:g} measured")
        axes[0, 0].loglog(N, s["lemma36_excess_norm"] / LN2, "s", mfc="none", color=c,
                          label="Lemma 3.6 with the measured n")
        axes[0, 0].loglog(N[[0, -1]], s["final_excess_norm"].iloc[0] / LN2 * (N[[0, -1]] / N[0]) ** -a,
                          label=f"slope −α = −{a:g} (Thm 3.7)", **{**THEORY, "color": c})
        axes[0, 1].loglog(N, s["skills_learned"].clip(lower=0.8), "o-", color=c, label=f"α = {a:g}")
        m = mean_loss[(mean_loss["alpha"] == a) & (mean_loss["step"] > 0)]
        for _, g in m.groupby("size"):
            axes[0, 2].loglog(6 * g["width"] * g["step"] * tokens_per_step, g["loss"] / LN2, color=c, lw=0.7, alpha=0.5)
        f = frontier[frontier["alpha"] == a]
        axes[0, 2].loglog(f["compute"], f["loss"] / LN2, "o", color=c, ms=3, label=f"α = {a:g} frontier")
        r = _row(exponents, a, "frontier")
        if r is not None and len(f):
            x = f["compute"].to_numpy(float)
            y0 = float(np.exp(np.log(f["loss"] / LN2).mean()))
            x0 = float(np.exp(np.log(x).mean()))
            xs = np.array([x.min(), x.max()])
            axes[0, 2].loglog(xs, y0 * (xs / x0) ** -r["predicted_sequential"],
                              label=f"α/(α+2) = {r['predicted_sequential']:.2f}", **{**THEORY, "color": c})
            axes[0, 2].loglog(xs, y0 * (xs / x0) ** -r["predicted_parallel"],
                              label=f"α/(α+1) = {r['predicted_parallel']:.2f}", **{**ALTERNATIVE, "color": c})
    n0 = float(max(sizes["skills_learned"].min(), 1))
    lo, hi = float(sizes["params_nonembedding"].min()), float(sizes["params_nonembedding"].max())
    axes[0, 1].loglog([lo, hi], [n0, n0 * hi / lo], label="slope 1 (N = r·n)", **THEORY)
    for ax, xl, yl, t in ((axes[0, 0], "non-embedding parameters N", "final (H − C) / (B − C)", "loss against N"),
                          (axes[0, 1], "non-embedding parameters N", "skills learned (halfway B→C)",
                           "skills learned against N"),
                          (axes[0, 2], "compute 6·N·D", "mean (H − C) / (B − C)", "compute frontier")):
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_title(t, fontsize=10)
        ax.legend(fontsize=6.5)
        ax.xaxis.set_minor_formatter(NullFormatter())  # a 32x range: minor labels would overlap
    found = []
    for a in sorted(sizes["alpha"].unique()):
        r, f = _row(exponents, a, "params"), _row(exponents, a, "frontier")
        if r is not None:
            found.append(f"α = {a:g}: α_N {fmt_interval(r['fitted'], r['ci_low'], r['ci_high'])} ({r['verdict']})")
        if f is not None:
            found.append(f"frontier {fmt_interval(f['fitted'], f['ci_low'], f['ci_high'])} ({f['verdict']})")
    suptitle(fig, f"{_WHAT}, every size for the same steps: " + "; ".join(found))
    return fig


def fig_infogain(curves: pd.DataFrame, roles: pd.DataFrame):
    """Figure 3 on the family (first alpha): I(y_T; f)/d and its increment against T for every size, trained (solid)
    and untrained (step 0, dashed); the increment at each role of an example, largest size, beside its nulls."""
    a = sorted(curves["alpha"].unique())[0]
    c = curves[curves["alpha"] == a]
    every = list(dict.fromkeys(c.sort_values("params_nonembedding")["size"]))
    sizes = [every[i] for i in sorted({0, len(every) // 2, len(every) - 1})]  # three sizes: the lines stay legible
    fig, axes = figure(3, width=4.4, height=3.7)
    for i, size in enumerate(sizes):
        col = CYCLE[i]
        for variant, ls in (("trained", "-"), ("step 0", "--")):
            g = c[(c["size"] == size) & (c["variant"] == variant)]
            kw = {"color": col, "ls": ls, "lw": 1.2, "label": f"{size}" if variant == "trained" else None}
            axes[0, 0].plot(g["t"], g["gain_norm"], **kw)
            axes[0, 1].plot(g["t"], g["increment"], **kw)
    largest = every[-1]
    r = roles[(roles["alpha"] == a) & (roles["size"] == largest)]
    names = ["n_a", "n_b", "x", "sep", "answer"]
    width = 0.2
    for j, (variant, layer, col) in enumerate((("trained", "last", COLORS["black"]), ("step 0", "last", CYCLE[3]),
                                               ("shuffled tokens", "last", CYCLE[4]),
                                               ("trained", "embedding", COLORS["grey"]))):
        row = r[(r["variant"] == variant) & (r["layer"] == layer)].iloc[0]
        axes[0, 2].bar(np.arange(5) + (j - 1.5) * width, [row[n] for n in names], width, color=col,
                       label=f"{variant}, {layer} layer")
    rep = float(r["repeat_value"].iloc[0])
    axes[0, 2].axhline(rep, label=f"exact repeat of a token: {rep:.3f}", **THEORY)
    axes[0, 2].set_xticks(np.arange(5), ["n_a", "n_b", "x", "= (0 nats)", "a"])
    axes[0, 2].set_ylim(0, 1.45 * float(r[names].to_numpy().max()))
    for ax, yl, t in ((axes[0, 0], "I(y_T; f) / d", "normalized information gain (last layer)"),
                      (axes[0, 1], "I(y_T; f) − I(y_{T−1}; f)  (nats)", "its increment (last layer)"),
                      (axes[0, 2], "mean increment (nats), examples 2–8", f"increment by token, {largest}")):
        ax.set_ylabel(yl)
        ax.set_title(t, fontsize=10)
        ax.legend(fontsize=6.5, ncol=2 if ax is axes[0, 2] else 1, loc="upper center" if ax is axes[0, 2] else "best")
    axes[0, 0].set_xlabel("T (tokens; 5 per example)")
    axes[0, 1].set_xlabel("T (tokens; 5 per example)")
    last = c[c["t"] == c["t"].max()].set_index(["size", "variant"])["gain_norm"]
    suptitle(fig, f"{_WHAT}, α = {a:g}: information gain (Section 4.1, σ = 0.01), solid trained, dashed step 0 "
                  f"(untrained). I(y_T; f)/d at T = {int(c['t'].max())} falls with size in both: "
                  + ", ".join(f"{s} {last[s, 'trained']:.2f} vs {last[s, 'step 0']:.2f}" for s in sizes))
    return fig
