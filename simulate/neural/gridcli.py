"""Section 3 (Assumption 3.5): ``python -m simulate neural --tier full``, the robustness grid from the command line.

    python -m simulate neural --tier full --out reports/neural_full               # every run, then the tables
    python -m simulate neural --tier full --out DIR --shard 3/8                    # one job of a SLURM array
    python -m simulate neural --tier full --merge DIR                              # after all n shards finished
"""
from __future__ import annotations

import json
import os
import platform
import time

from infogeo.runner import output_dir
from infogeo.validation import check_memory

from . import grid as G
from .experiment import git_commit
from .robust import robustness_tables
from .training import train_many

__all__ = ["main_grid", "grid_tables", "EXAMPLE_TASKS"]

EXAMPLE_TASKS = 64  # the examples table keeps tasks 1..64 (every fitted window is inside)


def grid_tables(results, tier: str):
    """Tables of a finished grid: robustness, robustness_seeds, examples (tasks 1..64), explanations, grid_runs."""
    import pandas as pd

    desc = {n: d for n, (d, _) in G.variants(tier).items()}
    tabs = robustness_tables(results, desc)
    tabs["examples"] = tabs["examples"][tabs["examples"]["task"] <= EXAMPLE_TASKS].reset_index(drop=True)
    tabs["grid_runs"] = pd.DataFrame([{"variant": v, **vars(r.config), "params": r.params,
                                       "cpu_s": round(r.wall_s, 1)} for v, r in results])
    return tabs


def _manifest(results, tier, args, elapsed):
    cost = G.cost_table(results)
    return {"tier": tier, "git_commit": git_commit(), "code_version": G.code_version(),
            "grid": G.grid_identity(G.grid_configs(tier, args.variants, args.seeds)),
            "cpu_s_total": round(float(cost["cpu_s"].sum()), 1),
            "cpu_s_per_variant": {r.variant: round(float(r.cpu_s), 1) for r in cost.itertuples()},
            "elapsed_s": round(elapsed, 1), "processes": args.processes,
            "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
            "note": "cpu_s: each run's wall seconds on one torch thread, summed (a loaded machine inflates them); "
                    "elapsed_s: this command's wall time (finished runs are loaded, not retrained)"}


def main_grid(args, argv) -> int:
    from .experiment import write_tables

    tier = {"full": "full", "grid-ci": "ci"}[args.tier]
    grid = G.grid_configs(tier, args.variants, args.seeds)
    refuse_oversized([c for _, c in grid], args.processes)
    t0 = time.perf_counter()
    if args.merge is not None:
        out = args.merge
        results = G.merge(out, grid)
    elif args.out is None:
        results = list(zip([n for n, _ in grid], train_many([c for _, c in grid], processes=args.processes,
                                                            progress=not args.no_progress)))
        out = None
    else:
        out = output_dir(args.out, "--out")
        results, _ = G.run_grid(grid, out, shard=args.shard, processes=args.processes,
                                progress=not args.no_progress)
        if args.shard is not None:
            k, n = G.parse_shard(args.shard)
            print(json.dumps({"shard": f"{k}/{n}", "runs": len(results), "out": str(out)}) if args.json else
                  f"shard {k}/{n}: {len(results)} run(s) finished in {out}; --merge {out} once all {n} have")
            return 0
    tables = grid_tables(results, tier)
    elapsed = time.perf_counter() - t0
    if out is not None:
        write_tables(tables, out, meta=_manifest(results, tier, args, elapsed),
                     command="python -m simulate neural " + " ".join(argv))
    r = tables["robustness"]
    if args.json:
        print(json.dumps({"tier": args.tier, "robustness": json.loads(r.to_json(orient="records")),
                          "explanations": json.loads(tables["explanations"].to_json(orient="records"))}, indent=2))
    else:
        cols = ["variant", "seeds", "window_hi", "slope", "ci_low", "ci_high", "seed_sd", "within_half_median",
                "predicted_sequential", "predicted_parallel", "verdict"]
        print(r[cols].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        print(tables["explanations"].to_string(index=False))
    return 0

def refuse_oversized(cfgs, processes: int) -> None:
    """The memory estimate of the runs side by side, refused before any allocation, named as the options."""
    from .training import RunConfig, check_run_memory

    if not cfgs:
        return
    w = max(cfgs, key=RunConfig.memory_bytes)
    check_run_memory(cfgs, processes, what=f"--batch {w.batch} --width {w.width} --depth {w.depth} --tasks "
                                           f"{w.tasks} --bits {w.bits} --eval-per-task {w.eval_per_task}")
    # the per-task curves every run keeps (loss and accuracy, float64, at every evaluation), all runs together
    curves = sum(16.0 * c.tasks * (c.steps / c.eval_every + 64) for c in cfgs)
    e = max(cfgs, key=lambda c: c.tasks * c.steps / c.eval_every)
    check_memory(curves, f"--steps {e.steps} --eval-every {e.eval_every} --tasks {e.tasks} ({len(cfgs)} run(s))",
                 detail="per-task loss and accuracy at every evaluation, float64, every run",
                 hint="use fewer --steps, a larger --eval-every or fewer --tasks")
