"""Figures of the simulated skill model against theory (Section 3, Theorems 3.7 and 3.8), drawn from the tables of
:func:`simulate.report_tables` and :func:`simulate.examples.report_tables` only. Each function returns a
matplotlib Figure; saving is the caller's business (``reports`` saves them)."""
from __future__ import annotations

import numpy as np

from infogeo.plotstyle import figure

__all__ = ["AXIS_LABEL", "trajectories", "agreement", "assumption_flops"]

AXIS_LABEL = {"flops": "compute S (flops)", "skills": "skills comprehended n", "params": "parameters N = r·n",
              "frontier": "compute S on the compute-optimal frontier (flops)"}


def _curve_label(order, cost):
    return f"{order}, cost {'1/p' if cost == 'inverse_p' else cost}"


def _prediction_line(ax, g, e):
    """Theory's slope over the fit window, from the window's first point (black dashed)."""
    w = g[g["in_fit_window"].astype(bool)]
    if len(e) and len(w) > 1 and np.isfinite(e["predicted"].iloc[0]):
        x0, y0 = w["x"].iloc[0], w["H_minus_C"].iloc[0]
        xs = np.array([x0, w["x"].iloc[-1]])
        ax.loglog(xs, y0 * (xs / x0) ** (-e["predicted"].iloc[0]), "--", color="k", lw=1.2)


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
    for ax, axis in zip(flat, axes_order):
        for (order, cost), g in sub[sub["axis"] == axis].groupby(["order", "cost"], sort=False):
            g = g[g["H_minus_C"] > 0]
            ax.loglog(g["x"], g["H_minus_C"], lw=1.6, label=_curve_label(order, cost))
            e = exps[(exps["axis"] == axis) & (exps["order"] == order) & (exps["cost"] == cost)
                     & np.isclose(exps["alpha"], alpha)]
            _prediction_line(ax, g, e)
        ax.set_xlabel(AXIS_LABEL[axis])
        ax.set_ylabel("H(X|Y) − C (nats)")
        ax.set_title(f"against {axis}")
    axes[0, 0].legend(loc="lower left", fontsize=7.5)
    fig.suptitle(f"Skill model, α = {alpha}: simulated curves (solid) and theory's slopes (black dashed, over the fit "
                 "window)")
    return fig


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
    ax.plot([0, m], [0, m], "k--", lw=1, label="fitted = predicted")
    ax.set_xlabel("exponent predicted by theory")
    ax.set_ylabel("exponent fitted to the simulation (misfit interval)")
    ax.set_title("Simulation against theory (counted rows)")
    ax.legend()
    return fig


def assumption_flops(traj, exps):
    """The worked example's flops curves per order with the slope its cost class predicts (same colour, dashed)."""
    fig, axes = figure(width=5.4, height=4.0)
    ax = axes[0, 0]
    for order, g in traj[traj["axis"] == "flops"].groupby("order", sort=False):
        g = g[g["H_minus_C"] > 0]
        line, = ax.loglog(g["x"], g["H_minus_C"], label=f"{order}: simulated")
        e = exps[(exps["order"] == order) & (exps["axis"] == "flops")].iloc[0]
        w = g[g["in_fit_window"].astype(bool)]
        xs = np.array([w["x"].iloc[0], w["x"].iloc[-1]])
        ax.loglog(xs, w["H_minus_C"].iloc[0] * (xs / xs[0]) ** (-e["predicted"]), "--", color=line.get_color(),
                  label=f"{order}: the class's prediction, slope −{e['predicted']:.3f}")
    ax.set_xlabel("compute S (flops)")
    ax.set_ylabel("H(X|Y) − C (nats)")
    ax.set_title("A user's assumption: cost ∝ 1/√p (α = 0.5)")
    ax.legend(fontsize=7.5)
    return fig
