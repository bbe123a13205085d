"""Report section 6: a worked example of checking a new assumption, run by the build itself."""
from __future__ import annotations

from ..blocks import Code, Para, Table
from . import section


@section("assumption", "How to check a new assumption", order=60)
def build(ctx):
    from simulate import agreement_summary, examples, plots

    tabs = examples.report_tables(seed=ctx.seed, progress=ctx.progress)
    exps, traj = tabs["exponents"], tabs["trajectories"]
    rel = ctx.table("assumption_sqrt_cost_exponents", exps)
    ctx.table("assumption_sqrt_cost_trajectories", traj)
    ag = agreement_summary(exps)
    fig_block = ctx.save_figure(plots.assumption_flops(traj, exps), "assumption_sqrt_cost",
                                "The simulated curves (solid) and the slopes the new assumption predicts (dashed).")
    cols = [c for c in ("order", "axis", "fitted", "ci_low", "ci_high", "predicted", "prediction_source", "rel_error",
                        "evidence", "agrees") if c in exps.columns]
    return [
        Para("A researcher who doubts Theorem 3.8's cost of 1/p flops per skill can state another cost as a small "
             "Python class and a TOML file, without editing the package. This example (shipped in "
             "`simulate/examples/`) makes a skill cost ∝ 1/√p; the class also states the exponents its author "
             "derives (skill k costs ∝ k^c with c = (α+1)/2, so α/(c+1) sequentially and α/c in parallel). The "
             "report build runs it exactly as a user would:"),
        Code("python -m simulate --assumptions simulate/examples/sqrt_cost.toml --json\n"
             "python -m simulate --assumptions simulate/examples/sqrt_cost.toml --order parallel --json", "bash"),
        Code(examples.SQRT_COST_TOML.read_text(), "toml"),
        Para("The class it names, with the exponents its author derives, is "
             "[simulate/examples/sqrt_cost.py](../../simulate/examples/sqrt_cost.py) "
             f"({len(examples.SQRT_COST_PY.read_text().splitlines())} lines: the cost of a skill of probability p "
             "and the two exponents its author predicts)."),
        Table(rel, f"Fitted exponents against the class's own predictions ({ag['agree']} of {ag['counted']} rows "
                   f"a wrong dynamics could move agree within {exps['tolerance'].iloc[0]:.0%}; the intervals are "
                   "misfit intervals)", columns=cols),
        fig_block,
    ]
