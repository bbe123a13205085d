"""Figures of four theory findings (Lemma 3.6, Theorem A.1, Equation (1), Theorem 4.1), drawn from the tables
of :mod:`theory.tables` only. Each function takes its table and returns a matplotlib Figure; saving is the
caller's business (``reports`` saves them)."""
from __future__ import annotations

from infogeo.plotstyle import figure

__all__ = ["lemma36_local_exponent", "js_small_gamma", "equation1_curve", "theorem41_increments"]


def lemma36_local_exponent(df):
    """Local exponent of H(X|Y) - C against n for each M (table :func:`theory.tables.lemma36_local_exponent`)."""
    fig, axes = figure()
    ax = axes[0, 0]
    alpha = df["alpha"].iloc[0]
    for M, g in df.groupby("M", sort=True):
        ax.plot(g["n"], g["local_exponent"], label="M = ∞" if M == 0 else f"M = {M:.0e}")
    ax.axhline(alpha, color="k", ls="--", lw=1, label=f"pure power law: α = {alpha}")
    ax.set_xscale("log")
    ax.set_xlabel("skills comprehended n")
    ax.set_ylabel("local exponent  −d log(H−C) / d log n")
    ax.set_title("Lemma 3.6: the tail is a power law only for n ≪ M")
    ax.legend()
    return fig


def js_small_gamma(df):
    """Remainders of the small-gamma expansion with slope-2 and slope-3 guides (table
    :func:`theory.tables.js_small_gamma`)."""
    fig, axes = figure()
    ax = axes[0, 0]
    ax.loglog(df["gamma_rel"], df["remainder_distance"], "o-", label="|d_JS − γ‖A−B‖_F/√8|")
    ax.loglog(df["gamma_rel"], df["remainder_squared"], "s-", label="|d_JS² − γ²‖A−B‖_F²/8|")
    g = df["gamma_rel"].to_numpy()
    for k, ls, ref in ((2, ":", df["remainder_distance"]), (3, "--", df["remainder_squared"])):
        c = ref.iloc[0] / g[0] ** k
        ax.loglog(g, c * g**k, "k" + ls, lw=1, label=f"slope {k} (γ^{k})")
    ax.set_xlabel("γ · max(‖A‖, ‖B‖)")
    ax.set_ylabel("remainder")
    ax.set_title("Theorem A.1 remainders:\nd_JS is O(γ²), only d_JS² is O(γ³)")
    ax.legend()
    return fig


def equation1_curve(df):
    """Equation (1) against r/d for each eps (table :func:`theory.tables.equation1_curve`)."""
    fig, axes = figure()
    ax = axes[0, 0]
    for eps, g in df.groupby("eps"):
        ax.plot(g["r_over_d"], g["normalized_entropy"], label=f"ε = {eps}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("r / d (fraction of equal singular values)")
    ax.set_ylabel("normalized entropy, Equation (1)")
    ax.set_title("Equation (1) (Figure 1 uses ε = 0.1)")
    ax.legend()
    return fig


def theorem41_increments(df):
    """Exact against printed information-gain increments (table :func:`theory.tables.theorem41_increments`)."""
    fig, axes = figure()
    ax = axes[0, 0]
    ax.plot(df["t"], df["exact_increment"], "o-", ms=3, label="exact: ½ log(1 + σ⁻² · posterior variance of z_t)")
    ax.plot(df["t"], df["printed_increment"], "s-", ms=3, label="Theorem 4.1 as printed")
    ax.set_xlabel("token position t")
    ax.set_ylabel("information-gain increment (nats)")
    ax.set_title(f"Theorem 4.1 at σ = {df['sigma'].iloc[0]}: printed vs exact")
    ax.legend()
    return fig
