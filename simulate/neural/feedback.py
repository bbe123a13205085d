"""Section 3 (Assumption 3.5): the network's measured learning order fed back to ``simulate`` as an assumption.

:class:`MeasuredOrder` is an ``order`` plug-in (registered as ``"measured"``
when :mod:`simulate.neural` is imported) that reads a learning-times table
(the ``learning_times`` CSV that ``python -m simulate neural --out DIR`` writes):

- ``learning_order``: tasks by measured t_k; tasks never learned come last, by frequency.
- ``timing="measured"``: each skill is comprehended at its measured step times
  ``flops_per_step``; with ``cost="constant"`` and ``delta = B - C`` every skill
  needs one flop, so with the default ``flops_per_step = 1e6`` the idealized
  loss drops abruptly at the measured steps (quanta at the network's times).
  Tasks never learned start after the last step.
- ``timing="sequential"``: Assumption 3.5 in the network's order (one skill at a
  time, each after the previous is comprehended).

In TOML (paths relative to the working directory, or absolute)::

    [order]
    python = "/path/to/simulate/neural/feedback.py:MeasuredOrder"
    table = "out/neural_learning_times.csv"
    alpha = 1.0
    timing = "measured"

:func:`loop_table` compares the network's mean loss with the idealized
learners: the measured order at measured times, the sequential and the
parallel learners (cost 1/p) and the sequential learner in the measured order,
the last three with their one free constant (flops per step) fitted.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError

from ..assumptions import Order
from .predict import ideal

__all__ = ["MeasuredOrder", "loop_table", "LOOP_LEARNERS"]

TIMINGS = ("measured", "sequential")
LOOP_LEARNERS = ("measured order, measured times", "sequential", "parallel", "sequential in measured order")


class MeasuredOrder(Order):
    """Learning order (and optionally timing) measured on a network; see the module docstring.

    Parameters
    ----------
    t_k : learning step of task k = 1..T (for censored tasks: any value, they go last), or None with ``table``.
    censored : bool per task (default none).
    timing : ``"measured"`` or ``"sequential"``.
    flops_per_step : flops per training step for ``timing="measured"``.
    table : a learning-times table (DataFrame or CSV path); rows are selected by the filters below.
    alpha, seed, width, threshold : filters on the table's columns (each must leave one row per task).
    """

    name = "measured"
    theory_order = None

    def __init__(self, t_k=None, censored=None, *, timing: str = "measured", flops_per_step: float = 1e6,
                 table=None, alpha=None, seed=None, width=None, threshold: float = 0.5):
        if timing not in TIMINGS:
            raise ValidationError(f"timing must be one of {TIMINGS}, got {timing!r}")
        if (t_k is None) == (table is None):
            raise ValidationError("give exactly one of t_k and table")
        if table is not None:
            t_k, censored = self._from_table(table, alpha=alpha, seed=seed, width=width, threshold=threshold)
        t = np.asarray(t_k, dtype=np.float64)
        cens = np.zeros(t.shape, bool) if censored is None else np.asarray(censored, dtype=bool)
        if t.ndim != 1 or t.size < 2 or cens.shape != t.shape:
            raise ValidationError(f"t_k must be 1-D with >= 2 tasks and censored of the same shape, got {t.shape}, "
                             f"{cens.shape}")
        if np.any(~np.isfinite(t[~cens])) or np.any(t[~cens] <= 0):
            raise ValidationError("t_k of learned tasks must be finite and > 0")
        if not float(flops_per_step) > 0:
            raise ValidationError(f"flops_per_step must be > 0, got {flops_per_step}")
        self.timing, self.flops_per_step = timing, float(flops_per_step)
        key = np.where(cens, np.inf, t)
        self.perm = np.lexsort((np.arange(t.size), key))  # by time, ties and censored by frequency rank
        self.times = np.where(cens, np.nan, t)[self.perm]
        # tasks never learned start after the censoring step (the largest t_k given), so they stay unlearned there
        self.horizon = float(np.max(t[np.isfinite(t)])) if np.isfinite(t).any() else 0.0

    @staticmethod
    def _from_table(table, *, alpha, seed, width, threshold):
        df = pd.read_csv(table) if not isinstance(table, pd.DataFrame) else table
        need = {"task", "t_k", "censored"}
        if not need <= set(df.columns):
            raise ValidationError(f"table must have columns {sorted(need)}, got {sorted(df.columns)}")
        for col, val in (("alpha", alpha), ("seed", seed), ("width", width), ("threshold", threshold)):
            if val is not None and col in df.columns:
                df = df[np.isclose(df[col].astype(float), float(val))]
        df = df.sort_values("task")
        if df.empty or df["task"].duplicated().any() or not np.array_equal(df["task"], np.arange(1, len(df) + 1)):
            raise ValidationError(
                "table filters must leave exactly one row per task 1..T (filter by alpha, seed, width, "
                             "threshold)")
        return df["t_k"].to_numpy(np.float64), df["censored"].astype(bool).to_numpy()

    def learning_order(self, p, rng):
        if p.size != self.perm.size:
            raise ValidationError(f"the measured order has {self.perm.size} tasks but the law has M = {p.size}")
        return self.perm.copy()

    def starts(self, durations):
        if self.timing == "sequential":
            return np.concatenate([[0.0], np.cumsum(durations[:-1])])
        done = self.times * self.flops_per_step
        learned = np.isfinite(done)
        if np.any(done[learned] < durations[learned] * (1 - 1e-12)):
            raise ValidationError("flops_per_step too small: a skill would have to start before flop 0 "
                             f"(need >= {np.max(durations[learned] / self.times[learned]):.3g})")
        out = np.where(learned, done - durations, 0.0)
        last = max(np.nanmax(done) if learned.any() else 0.0, self.horizon * self.flops_per_step) + 1.0
        out[~learned] = last + np.concatenate([[0.0], np.cumsum(durations[~learned][:-1])])
        return np.maximum(out, 0.0)

    def describe(self):
        return {"name": self.name, "timing": self.timing, "flops_per_step": self.flops_per_step,
                "tasks": int(self.perm.size), "learned": int(np.isfinite(self.times).sum())}


def _fit_scale(curve_S, curve_H, steps, target):
    """Flops per step c minimising the rms of log(target) - log(H(c * steps)); H interpolated in log-log."""
    lS, lH, ls, lt = np.log(curve_S), np.log(curve_H), np.log(steps), np.log(target)

    def miss(lc):
        return float(np.sqrt(np.mean((lt - np.interp(ls + lc, lS, lH)) ** 2)))

    lo, hi = lS[0] - ls[0], lS[-1] - ls[-1]
    grid = np.linspace(lo, hi, 400)
    best = grid[np.argmin([miss(v) for v in grid])]
    fine = np.linspace(best - (hi - lo) / 200, best + (hi - lo) / 200, 201)
    best = fine[np.argmin([miss(v) for v in fine])]
    return float(np.exp(best))


def loop_table(steps, loss, t_k, censored, alpha: float, tasks: int):
    """(curves, summary): the network's mean loss against each idealized learner over ``steps`` (> 0).

    ``curves``: step, loss_network and one loss column per learner (nats). ``summary``: one row per learner:
    learner, flops_per_step (fitted, or fixed for the measured times), rms_log_miss (rms of log network/ideal
    over the steps given), max_abs_log_miss.
    """
    from ..dynamics import run

    steps = np.asarray(steps, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    if steps.ndim != 1 or steps.shape != loss.shape or np.any(steps <= 0) or np.any(np.diff(steps) <= 0):
        raise ValidationError("steps must be increasing and > 0, with one mean loss per step")
    curves = {"step": steps.astype(np.int64), "loss_network": loss}
    rows = []
    for name in LOOP_LEARNERS:
        if name == LOOP_LEARNERS[0]:
            mo = MeasuredOrder(t_k, censored, timing="measured")
            H = run(ideal(alpha, tasks, mo, cost="constant"), S=steps * mo.flops_per_step).H
            c = mo.flops_per_step
        else:
            order = MeasuredOrder(t_k, censored, timing="sequential") if name.endswith("order") else name
            a = ideal(alpha, tasks, order)
            done = np.sort(run(a, points=8).done)
            # from well before the first comprehension (H near B, as the network starts) to the last one
            grid = np.geomspace(done[0] * 1e-3, done[-1], 4000)
            H_grid = run(a, S=grid).H
            ok = H_grid > 0
            c = _fit_scale(grid[ok], H_grid[ok], steps, loss)
            H = run(a, S=steps * c).H
        miss = np.log(loss) - np.log(H)
        curves[f"loss_{name}"] = H
        rows.append({"learner": name, "flops_per_step": c, "rms_log_miss": float(np.sqrt(np.mean(miss**2))),
                     "max_abs_log_miss": float(np.max(np.abs(miss)))})
    return pd.DataFrame(curves), pd.DataFrame(rows)
