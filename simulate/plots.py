"""Figures of the simulated skill model against theory (Section 3, Theorems 3.7 and 3.8), drawn from the tables of
:func:`simulate.report_tables` and :func:`simulate.examples.report_tables` only. Each function returns a
matplotlib Figure; saving is the caller's business (``reports`` saves them)."""
from __future__ import annotations

import numpy as np

from infogeo.plotstyle import CYCLE, THEORY, figure, suptitle

__all__ = ["AXIS_LABEL", "trajectories", "agreement", "assumption_flops"]

AXIS_LABEL = {"flops": "compute S (FLOPs)", "skills": "skills comprehended n (count)",
              "params": "parameters N = r·n (count)",
              "frontier": "compute S on the compute-optimal frontier (FLOPs)"}
_COST = {"inverse_p": "1/p", "sqrt_p": "1/√p", "constant": "constant"}


def _curve_label(order, cost):
    return f"{order}, cost {_COST.get(cost, cost)}"


def _agreement_text(e) -> str:
    """``"14 of 15 fitted exponents agree with theory (largest miss: ...)"`` for rows with a prediction."""
    e = e[np.isfinite(e["predicted"]) & np.isfinite(e["fitted"])]
    if not len(e):
        return "no exponent with a prediction"
    ok = e["agrees"].astype(bool)
    worst = e.loc[e["rel_error"].abs().idxmax()]
    text = f"{int(ok.sum())} of {len(e)} fitted exponents agree with theory"
    if (~ok).any():
        text += f"; misses: {', '.join(sorted({f'{r.order} vs {r.axis}' for r in e[~ok].itertuples()}))}"
    return text + (f" (largest relative error {abs(worst['rel_error']):.1%}: {worst['order']}, "
                   f"{_COST.get(worst['cost'], worst['cost'])} cost, {worst['axis']})")


def _prediction_line(ax, g, e):
    """Theory's slope over the fit window, from the window's first point (black dashed)."""
    w = g[g["in_fit_window"].astype(bool)]
    if len(e) and len(w) > 1 and np.isfinite(e["predicted"].iloc[0]):
        x0, y0 = w["x"].iloc[0], w["H_minus_C"].iloc[0]
        xs = np.array([x0, w["x"].iloc[-1]])
        ax.loglog(xs, y0 * (xs / x0) ** (-e["predicted"].iloc[0]), **THEORY)


def trajectories(traj, exps, alpha: float):
    """H(X|Y) - C against each axis for one alpha, every (order, cost) curve, with theory's slopes.

    ``traj``: the trajectories table; ``exps``: the exponents table (for the predicted slopes).
    """
    axes_order = [a for a in ("flops", "skills", "params", "frontier") if a in set(traj["axis"])]
    ncols = min(2, len(axes_order))
    fig, axes = figure(ncols=ncols, nrows=-(-len(axes_order) // ncols), width=5.4, height=4.2)
    flat = axes.ravel()
    for ax in flat[len(axes_order):]:
        ax.set_visible(False)
    sub = traj[np.isclose(traj["alpha"], alpha)]
    # One colour per (order, cost) in every panel, as the one legend (first panel) shows them: a panel with fewer
    # curves (the frontier: parallel only) must not restart the colour cycle.
    colours = {k: CYCLE[i % len(CYCLE)] for i, k in
               enumerate(dict.fromkeys(zip(sub["order"], sub["cost"])))}
    for ax, axis in zip(flat, axes_order):
        for (order, cost), g in sub[sub["axis"] == axis].groupby(["order", "cost"], sort=False):
            g = g[g["H_minus_C"] > 0]
            ax.loglog(g["x"], g["H_minus_C"], lw=1.6, color=colours[(order, cost)], label=_curve_label(order, cost))
            e = exps[(exps["axis"] == axis) & (exps["order"] == order) & (exps["cost"] == cost)
                     & np.isclose(exps["alpha"], alpha)]
            _prediction_line(ax, g, e)
        ax.set_xlabel(AXIS_LABEL[axis])
        ax.set_ylabel("H(X|Y) − C (nats)")
        ax.set_title(f"against {axis}" + _panel_finding(exps, axis, alpha), fontsize=9.5)
    axes[0, 0].plot([], [], label="theory's slope over the fit window", **THEORY)
    axes[0, 0].legend(loc="lower left", fontsize=7.5)
    sel = exps[np.isclose(exps["alpha"], alpha) & (exps["evidence"] == "dynamics")]
    suptitle(fig, f"Skill model, α = {alpha:g}, simulated: {_agreement_text(sel)}", fontsize=10.5)
    return fig


def _panel_finding(exps, axis: str, alpha: float) -> str:
    """``": sequential, 1/p: a = 0.200 (theory 0.200)"``: the paper's setting (sequential, cost 1/p) when that
    row has a fit and a prediction, else the first row of the panel that has both."""
    r = exps[(exps["axis"] == axis) & np.isclose(exps["alpha"], alpha) & np.isfinite(exps["fitted"])
             & np.isfinite(exps["predicted"])]
    if not len(r):
        return ""
    paper = r[(r["order"] == "sequential") & (r["cost"] == "inverse_p")]
    r = (paper if len(paper) else r).iloc[0]
    return f": {_curve_label(r['order'], r['cost'])}: a = {r['fitted']:.3f} (theory {r['predicted']:.3f})"


def agreement(exps):
    """Fitted against predicted exponent, one marker per row that is evidence about the dynamics
    (``evidence == "dynamics"``, see :mod:`simulate.agreement`), with its misfit interval."""
    e = exps[np.isfinite(exps["predicted"]) & np.isfinite(exps["fitted"]) & (exps["evidence"] == "dynamics")]
    fig, axes = figure(width=5.4, height=4.6)
    ax = axes[0, 0]
    style = {"flops": ("o", 5), "skills": ("s", 9), "params": ("^", 12), "frontier": ("D", 7)}
    for axis, g in e.groupby("axis"):
        lo = (g["fitted"] - g["ci_low"]).clip(lower=0)
        hi = (g["ci_high"] - g["fitted"]).clip(lower=0)
        marker, ms = style.get(axis, ("o", 6))
        # Open markers of different sizes: rows of different axes can share exponents and hide each other.
        ax.errorbar(g["predicted"], g["fitted"], yerr=[lo.fillna(0), hi.fillna(0)], fmt=marker, ms=ms, capsize=2,
                    mfc="none", mew=1.4, label=f"{axis} ({len(g)})")
    m = float(max(e["predicted"].max(), e["fitted"].max())) * 1.05
    ax.plot([0, m], [0, m], label="theory: fitted = predicted", **THEORY)
    ax.set_xlabel("exponent predicted by theory (dimensionless)")
    ax.set_ylabel("exponent fitted to the simulation (misfit interval)")
    ax.legend()
    suptitle(fig, f"Skill-model simulation, every α: {_agreement_text(e)}", fontsize=10)
    return fig


def assumption_flops(traj, exps):
    """The worked example's flops curves per order with the slope its cost class predicts (same colour, dashed)."""
    fig, axes = figure(width=5.4, height=4.0)
    ax = axes[0, 0]
    found = []
    for order, g in traj[traj["axis"] == "flops"].groupby("order", sort=False):
        g = g[g["H_minus_C"] > 0]
        line, = ax.loglog(g["x"], g["H_minus_C"], label=f"{order}: simulated")
        e = exps[(exps["order"] == order) & (exps["axis"] == "flops")].iloc[0]
        w = g[g["in_fit_window"].astype(bool)]
        xs = np.array([w["x"].iloc[0], w["x"].iloc[-1]])
        ax.loglog(xs, w["H_minus_C"].iloc[0] * (xs / xs[0]) ** (-e["predicted"]), "--", color=line.get_color(),
                  lw=1.5, label=f"{order}: the class's prediction, slope −{e['predicted']:.3f}")
        found.append(f"{order} a = {e['fitted']:.3f} vs {e['predicted']:.3f}"
                     + (" (agrees)" if bool(e["agrees"]) else " (does not agree)"))
    ax.set_xlabel("compute S (FLOPs)")
    ax.set_ylabel("H(X|Y) − C (nats)")
    ax.legend(fontsize=7.5)
    f = exps[exps["axis"] == "flops"]
    cost = _COST.get(f["cost"].iloc[0], f["cost"].iloc[0]) if len(f) else "?"
    alpha = f"{f['alpha'].iloc[0]:g}" if len(f) else "?"
    suptitle(fig, f"A user's assumption, cost ∝ {cost} (α = {alpha}): flops exponents {'; '.join(found)}",
             fontsize=10)
    return fig
