"""Worked examples of user assumptions (see docs/simulate.md, "Checking a new assumption").

:func:`report_tables` runs the 1/sqrt(p) cost example exactly as a user would (from its TOML file) and returns
the tables the report lays out; :data:`SQRT_COST_TOML` and :data:`SQRT_COST_PY` are the files it shows.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["SQRT_COST_TOML", "SQRT_COST_PY", "report_tables"]

HERE = Path(__file__).resolve().parent
SQRT_COST_TOML = HERE / "sqrt_cost.toml"
SQRT_COST_PY = HERE / "sqrt_cost.py"


def report_tables(seed: int = 0, progress: bool = True, *, n_boot: int = 100) -> dict[str, pd.DataFrame]:
    """The sqrt-cost example, sequential and parallel, at the TOML's M; deterministic given ``seed``.

    ``"exponents"``: :data:`simulate.EXPONENT_COLUMNS` (flops, skills, params; frontier for parallel), against
    the class's own predictions; ``"trajectories"``: :data:`simulate.TRAJECTORY_COLUMNS` of each run.
    ``progress`` is accepted for the common report signature (two runs need no bar).
    """
    from ..assumptions import load_toml
    from ..compare import exponents, trajectory_table

    frames, trajs = [], []
    for order in ("sequential", "parallel"):
        a = load_toml(SQRT_COST_TOML, order=order)
        axes = ("flops", "skills", "params") + (("frontier",) if order == "parallel" else ())
        df, runs = exponents(a, seed=seed, axes=axes, n_boot=n_boot, return_runs=True)
        frames.append(df)
        trajs.append(trajectory_table(runs[0]))
    return {"exponents": pd.concat(frames, ignore_index=True), "trajectories": pd.concat(trajs, ignore_index=True)}
