"""Report section 5: a worked example of checking a new assumption, run by the build itself."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..blocks import Code, Para, Table
from ..style import figure


def build(ctx):
    import simulate

    ex = Path(simulate.__file__).parent / "examples"
    toml_path, py_path = ex / "sqrt_cost.toml", ex / "sqrt_cost.py"
    frames, trajs = [], []
    for order in ("sequential", "parallel"):
        a = simulate.load_toml(toml_path, order=order)
        axes = ("flops", "skills", "params") + (("frontier",) if order == "parallel" else ())
        df, runs = simulate.exponents(a, seed=ctx.seed, axes=axes, n_boot=100, return_runs=True)
        frames.append(df)
        trajs.append(simulate.trajectory_table(runs[0]))
    exps = pd.concat(frames, ignore_index=True)
    traj = pd.concat(trajs, ignore_index=True)
    rel = ctx.table("assumption_sqrt_cost_exponents", exps)
    ctx.table("assumption_sqrt_cost_trajectories", traj)
    ok = exps[np.isfinite(exps["predicted"])]
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
    fig_block = ctx.save_figure(fig, "assumption_sqrt_cost",
                                "The simulated curves (solid) and the slopes the new assumption predicts (dashed).")
    cols = [c for c in ("order", "axis", "fitted", "ci_low", "ci_high", "predicted", "prediction_source", "rel_error",
                        "agrees") if c in exps.columns]
    return [
        Para("A researcher who doubts Theorem 3.8's cost of 1/p flops per skill can state another cost as a small "
             "Python class and a TOML file, without editing the package. This example (shipped in "
             "`simulate/examples/`) makes a skill cost ∝ 1/√p; the class also states the exponents its author "
             "derives (skill k costs ∝ k^c with c = (α+1)/2, so α/(c+1) sequentially and α/c in parallel). The "
             "report build runs it exactly as a user would:"),
        Code("python -m simulate --assumptions simulate/examples/sqrt_cost.toml --json\n"
             "python -m simulate --assumptions simulate/examples/sqrt_cost.toml --order parallel --json", "bash"),
        Code(toml_path.read_text(), "toml"),
        Code(py_path.read_text(), "python"),
        Table(rel, f"Fitted exponents against the class's own predictions ({int(ok['agrees'].astype(bool).sum())} of "
                   f"{len(ok)} agree within {exps['tolerance'].iloc[0]:.0%})", columns=cols),
        fig_block,
    ]
