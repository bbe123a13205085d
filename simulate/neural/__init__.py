"""Section 3 (Assumption 3.5, Theorems 3.7 and 3.8) asked of real networks: multitask sparse parity on CPU.

Trains MLPs online on multitask sparse parity (Michaud et al. 2023) with task
frequencies ``p_k ∝ k^-(alpha+1)`` and measures what the paper assumes: when
each task (skill) is learned, in which order, how many at once, whether
learning times grow like the sequential cumulative cost (Assumption 3.5) or
like 1/p_k, and the loss exponents against steps and width, each against the
suite's idealized learners on the same finite T and window. See docs/neural.md.

    from simulate import neural
    tabs = neural.report_tables(seed=0)                  # the report tier (~3 min on 2 cores)
    cfgs = neural.configs("ci", alphas=(0.5,))
    tables, meta = neural.run_experiment(cfgs)

Command line: ``python -m simulate neural --alpha 1.0 --tasks 500 --width 256 --steps 8000 --json``.
"""
from ..assumptions import register
from .analysis import EXPONENT_COLUMNS, analyze, learning_time_exponents, learning_time_window
from .experiment import TIERS, configs, report_tables, run_experiment, width_ladder, write_tables
from .feedback import MeasuredOrder, loop_table
from .measure import THRESHOLDS, concurrency, first_below, learning_times, mean_loss, order_summary
from .slopes import SlopeFit, fit_slope, verdict
from .training import RunConfig, RunResult, eval_steps, train, train_many

register("order", "measured", MeasuredOrder)

__all__ = [
    "RunConfig", "RunResult", "train", "train_many", "eval_steps",
    "learning_times", "first_below", "concurrency", "order_summary", "mean_loss", "THRESHOLDS",
    "fit_slope", "SlopeFit", "verdict", "MeasuredOrder", "loop_table",
    "analyze", "learning_time_window", "learning_time_exponents", "EXPONENT_COLUMNS",
    "TIERS", "configs", "run_experiment", "report_tables", "write_tables", "width_ladder",
]
