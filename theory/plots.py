"""Figures of four theory findings (Lemma 3.6, Theorem A.1, Equation (1), Theorem 4.1), drawn from the tables
of :mod:`theory.tables` only. Each function takes its table and returns a matplotlib Figure; saving is the
caller's business (``reports`` saves them). Titles state what the table shows, computed from it; the paper's
statement is drawn black dashed (:data:`infogeo.plotstyle.THEORY`)."""
from __future__ import annotations

import numpy as np

from infogeo.plotstyle import ALTERNATIVE, THEORY, figure, suptitle

__all__ = ["lemma36_local_exponent", "js_small_gamma", "equation1_curve", "theorem41_increments"]


def _loglog_slope(x, y) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def lemma36_local_exponent(df):
    """Local exponent of H(X|Y) - C against n for each M (table :func:`theory.tables.lemma36_local_exponent`)."""
    fig, axes = figure(width=5.6, height=4.2)
    ax = axes[0, 0]
    alpha = float(df["alpha"].iloc[0])
    for M, g in df.groupby("M", sort=True):
        ax.plot(g["n"], g["local_exponent"], label="M = ∞ skills" if M == 0 else f"M = {M:,.0f} skills")
    ax.axhline(alpha, label=f"Lemma 3.6: pure power law, exponent α = {alpha:g}", **THEORY)
    ax.set_xscale("log")
    ax.set_xlabel("skills comprehended n (count)")
    ax.set_ylabel("local exponent  −d log(H−C) / d log n")
    ax.legend(fontsize=8)
    finite = df[df["M"] > 0]
    inf = df[df["M"] == 0]
    worst = finite.loc[finite["local_exponent"].idxmax()] if len(finite) else None
    text = "Lemma 3.6: H − C ∝ n^−α only for n ≪ M"
    if worst is not None:
        text += (f". With M = {worst['M']:,.0f} the local exponent climbs to {worst['local_exponent']:.2f} "
                 f"(α = {alpha:g})")
    if len(inf):
        big = inf[inf["n"] >= 100]
        if len(big):
            text += f"; with M = ∞ it stays within {np.abs(big['local_exponent'] - alpha).max():.1g} of α for n ≥ 100"
    suptitle(fig, text, fontsize=10)
    return fig


def js_small_gamma(df):
    """Remainders of the small-gamma expansion with slope-2 and slope-3 guides (table
    :func:`theory.tables.js_small_gamma`). The title reports the log-log slopes of both remainders over the
    smaller half of γ."""
    fig, axes = figure(width=5.6, height=4.4)
    ax = axes[0, 0]
    ax.loglog(df["gamma_rel"], df["remainder_distance"], "o-", label="|d_JS − γ‖A−B‖_F/√8|")
    ax.loglog(df["gamma_rel"], df["remainder_squared"], "s-", label="|d_JS² − γ²‖A−B‖_F²/8|")
    g = df["gamma_rel"].to_numpy()
    for k, style, ref, name in ((3, THEORY, df["remainder_squared"], "paper: O(γ³) remainder"),
                                (2, ALTERNATIVE, df["remainder_distance"], "O(γ²) guide")):
        c = ref.iloc[0] / g[0] ** k
        ax.loglog(g, c * g**k, label=f"{name} (slope {k})", **style)
    ax.set_xlabel("γ · max(‖A‖, ‖B‖)  (dimensionless)")
    ax.set_ylabel("remainder of the expansion (dimensionless)")
    ax.legend(fontsize=8)
    small = df.nsmallest(max(2, len(df) // 2), "gamma_rel")
    s_d = _loglog_slope(small["gamma_rel"], small["remainder_distance"])
    s_s = _loglog_slope(small["gamma_rel"], small["remainder_squared"])
    if s_s > 2.5 and s_d < 2.5:
        verdict = "the O(γ³) expansion holds for d_JS² only; d_JS itself is off by O(γ²)"
    elif s_s > 2.5:
        verdict = "both remainders are O(γ³)"
    else:
        verdict = "neither remainder is O(γ³)"
    suptitle(fig, f"Theorem A.1: remainder slopes {s_d:.2f} for d_JS and {s_s:.2f} for d_JS² — {verdict}",
             fontsize=10)
    return fig


def equation1_curve(df):
    """Equation (1) against r/d for each eps (table :func:`theory.tables.equation1_curve`); the title gives the
    small-r/d log-log slope of each curve."""
    fig, axes = figure(width=5.6, height=4.2)
    ax = axes[0, 0]
    slopes = []
    for i, (eps, g) in enumerate(df.groupby("eps")):
        style = THEORY if i == 0 else {}
        ax.plot(g["r_over_d"], g["normalized_entropy"], label=f"Equation (1), ε = {eps:g}", **style)
        small = g.nsmallest(max(2, len(g) // 10), "r_over_d")
        slopes.append(f"{_loglog_slope(small['r_over_d'], small['normalized_entropy']):.2f} (ε = {eps:g})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("r / d (fraction of equal singular values)")
    ax.set_ylabel("normalized entropy L_ε / max (dimensionless)")
    ax.legend(fontsize=8)
    suptitle(fig, "Equation (1): the normalized entropy of an r-subspace reaches 1 only at r = d; for r ≪ d it "
                  f"grows as (r/d)^k with k = {', '.join(slopes)}. Figure 1 uses ε = 0.1 (dashed)", fontsize=10)
    return fig


def theorem41_increments(df):
    """Exact against printed information-gain increments (table :func:`theory.tables.theorem41_increments`)."""
    fig, axes = figure(width=5.6, height=4.2)
    ax = axes[0, 0]
    sigma = float(df["sigma"].iloc[0])
    ax.plot(df["t"], df["exact_increment"], "o-", ms=3, label="exact: ½ log(1 + σ⁻² · posterior variance of z_t)")
    ax.plot(df["t"], df["printed_increment"], label="Theorem 4.1 as printed", **THEORY)
    ax.set_xlabel("token position t (tokens)")
    ax.set_ylabel("information-gain increment (nats)")
    ax.legend(fontsize=8)
    d = df.dropna(subset=["printed_increment"])
    ratio = (d["printed_increment"] / d["exact_increment"]).to_numpy()
    gap = float((d["printed_increment"] - d["exact_increment"]).sum())
    if np.allclose(ratio, 1.0, rtol=1e-6):
        text = f"Theorem 4.1 as printed agrees with the exact increment at σ = {sigma:g}"
    else:
        far = ratio[np.argmax(np.abs(np.log(ratio)))]
        word = "overstates" if gap > 0 else "understates"
        text = (f"Theorem 4.1 as printed {word} the increment at σ = {sigma:g}: by up to {far:.3g}× (median "
                f"{np.median(ratio):.3g}×), {abs(gap):.3g} nats in total over t ≤ {int(df['t'].max())}")
    suptitle(fig, text, fontsize=10)
    return fig
