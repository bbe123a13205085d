"""Report appendix: a worked example of checking an assumption of your own, run by the build itself."""
from __future__ import annotations

from ..blocks import Code, Para, Table
from . import section


@section("assumption", "checking an assumption of your own", order=90, appendix=True)
def build(ctx):
    from simulate import agreement_summary, examples, plots

    tabs = examples.report_tables(seed=ctx.seed, progress=ctx.progress)
    exps, traj = tabs["exponents"], tabs["trajectories"]
    rel = ctx.table("assumption_sqrt_cost_exponents", exps)
    ctx.table("assumption_sqrt_cost_trajectories", traj)
    ag = agreement_summary(exps)
    fig_block = ctx.save_figure(plots.assumption_flops(traj, exps), "assumption_sqrt_cost",
                                "The simulated curves (solid) and the slopes the new assumption predicts (dashed).")
    cols = [c for c in ("order", "axis", "fitted", "predicted", "rel_error", "evidence") if c in exps.columns]
    toml = examples.SQRT_COST_TOML.relative_to(examples.SQRT_COST_TOML.parents[2])
    py = examples.SQRT_COST_PY.relative_to(examples.SQRT_COST_PY.parents[2])
    return [
        Para("Doubt Theorem 3.8's cost of 1/p flops per skill? State another as a Python class named in a TOML file, "
             f"without editing the package. The shipped example [{toml}](../../{toml}) (class: [{py}](../../{py}), "
             f"{len(examples.SQRT_COST_PY.read_text().splitlines())} lines) makes a skill cost ∝ 1/√p and states "
             "the exponents its author derives (skill k costs ∝ k^c, c = (α+1)/2: α/(c+1) sequentially, α/c in "
             "parallel). The build runs it as a user would:"),
        Code(f"python -m simulate --assumptions {toml} --json\n"
             f"python -m simulate --assumptions {toml} --order parallel --json", "bash"),
        Table(rel, f"Fitted exponents against the class's own predictions ({ag['agree']} of {ag['counted']} rows "
                   f"a wrong dynamics could move agree within {exps['tolerance'].iloc[0]:.0%}; misfit intervals: "
                   "the CSV)",
              columns=cols),
        fig_block,
    ]
