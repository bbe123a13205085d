"""Section 3 (Definition 3.4, Assumption 3.5): what the network did, measured from its per-task curves.

Every function takes per-task loss curves (``steps`` (E,), ``loss`` (E, T) in
nats) and returns tidy tables. Losses are in units of ln 2 where thresholds
are concerned: a task is *learned* (comprehended, Definition 3.4) at the
first evaluated step at which its held-out loss is at most ``theta * ln 2``
(default theta = 0.5, halfway from B = ln 2 to C = 0; the second threshold
0.1 asks for the skill to be nearly finished). A task never below the
threshold is right-censored at the last step (``censored``), never dropped.
``t_k`` is exact on the evaluation grid: if the true drop happens between two
evaluations, t_k is the later one (``resolution_rel`` gives the grid gap there).

The shape of a task's drop (measurement 5): the transition starts at the last
evaluation before the task reaches 0.1 ln 2 at which its loss was still above
0.9 ln 2, and ends when it reaches 0.1 ln 2; ``transition_rel`` = (end -
start) / t_k. An abrupt drop (a quantum) has a width of about one grid gap.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError, as_float_array

__all__ = ["LN2", "THRESHOLDS", "learning_times", "first_below", "concurrency", "order_summary", "mean_loss",
           "LEARNING_TIME_COLUMNS", "ORDER_COLUMNS"]

LN2 = math.log(2.0)  # B: the loss of a task not yet learned (a fair coin), nats
THRESHOLDS = (0.5, 0.1)  # primary first: fractions of ln 2
_HI, _LO = 0.9, 0.1  # the transition band, fractions of ln 2

LEARNING_TIME_COLUMNS = ["task", "p_task", "threshold", "t_k", "censored", "relapsed", "transition_start",
                         "transition_end", "transition_rel", "resolution_rel", "final_loss"]
ORDER_COLUMNS = ["threshold", "tasks_learned", "in_order_prefix", "inversions", "pairs", "kendall_tau",
                 "max_concurrent", "mean_concurrent", "evals_with_concurrent_gt1", "relapsed",
                 "median_transition_rel", "median_resolution_rel", "shape"]
ABRUPT = 0.25  # a drop from 0.9 to 0.1 ln 2 within a quarter of the time before it counts as abrupt (a quantum)


def first_below(steps, loss, level: float) -> np.ndarray:
    """For each column of ``loss`` (E, T): the first of ``steps`` with loss <= level, or -1 if none."""
    steps = np.asarray(steps)
    below = np.asarray(loss) <= level
    hit = below.any(axis=0)
    return np.where(hit, steps[np.argmax(below, axis=0)], -1)


def _check(steps, loss):
    steps = as_float_array(steps, "steps", ndim=1)
    loss = as_float_array(loss, "loss", ndim=2)
    if loss.shape[0] != steps.size:
        raise ValidationError(f"loss must have one row per step: {steps.size} steps, loss shape {loss.shape}")
    if np.any(np.diff(steps) <= 0) or steps[0] < 0:
        raise ValidationError("steps must be nonnegative and strictly increasing")
    return steps.astype(np.int64), loss


def learning_times(steps, loss, p, *, thresholds=THRESHOLDS) -> pd.DataFrame:
    """One row per (task, threshold): :data:`LEARNING_TIME_COLUMNS`.

    ``t_k`` is the learning step, or the last step when ``censored``; ``relapsed``: learned, but above the
    threshold again at the last step; ``transition_*`` as in the module docstring (NaN if the task never
    reaches 0.1 ln 2); ``task`` is the frequency rank k = 1..T.
    """
    steps, loss = _check(steps, loss)
    p = as_float_array(p, "p", ndim=1)
    if p.size != loss.shape[1]:
        raise ValidationError(f"p must have one entry per task ({loss.shape[1]}), got {p.size}")
    T = p.size
    end = first_below(steps, loss, _LO * LN2)
    start = np.full(T, np.nan)
    for k in np.flatnonzero(end >= 0):
        above = np.flatnonzero((steps < end[k]) & (loss[:, k] > _HI * LN2))
        start[k] = steps[above[-1]] if above.size else steps[0]
    rows = []
    for th in thresholds:
        t = first_below(steps, loss, th * LN2)
        cens = t < 0
        tk = np.where(cens, steps[-1], t)
        idx = np.searchsorted(steps, tk)
        gap = (tk - steps[np.maximum(idx - 1, 0)]) / np.maximum(tk, 1)
        trans = np.where(end >= 0, (end - start) / np.maximum(tk, 1), np.nan)
        rows.append(pd.DataFrame({
            "task": np.arange(1, T + 1), "p_task": p, "threshold": float(th), "t_k": tk.astype(np.int64),
            "censored": cens, "relapsed": ~cens & (loss[-1] > th * LN2),
            "transition_start": start, "transition_end": np.where(end >= 0, end, np.nan).astype(np.float64),
            "transition_rel": np.where(cens, np.nan, trans), "resolution_rel": np.where(cens, np.nan, gap),
            "final_loss": loss[-1]}))
    return pd.concat(rows, ignore_index=True)[LEARNING_TIME_COLUMNS]


def concurrency(steps, loss) -> np.ndarray:
    """Tasks in the middle of being learned at each step: loss strictly between 0.1 ln 2 and 0.9 ln 2."""
    steps, loss = _check(steps, loss)
    return ((loss > _LO * LN2) & (loss < _HI * LN2)).sum(axis=1)


def order_summary(lt: pd.DataFrame, steps, loss) -> pd.DataFrame:
    """Is t_k ordered by frequency? One row per threshold: :data:`ORDER_COLUMNS`.

    ``in_order_prefix``: the largest m with tasks 1..m all learned and t_1 <= ... <= t_m (ties: same
    evaluation). ``inversions`` among ``pairs`` (j < k, at least one learned): a rarer task learned strictly
    first, or learned while the more frequent one never is. ``kendall_tau``: between k and t_k with
    censored tasks tied at the last step. Concurrency: from :func:`concurrency`, over evaluations after step 0.
    """
    from scipy import stats

    conc = concurrency(steps, loss)[1:]
    rows = []
    for th, g in lt.groupby("threshold", sort=False):
        g = g.sort_values("task")
        t = g["t_k"].to_numpy(np.float64)
        t[g["censored"].to_numpy()] = np.inf
        learned = np.isfinite(t)
        with np.errstate(invalid="ignore"):
            mono = np.cumprod(learned & (np.concatenate([[0.0], np.diff(t)]) >= 0))
        jj, kk = np.triu_indices(t.size, 1)
        some = learned[jj] | learned[kk]
        inv = some & (t[kk] < t[jj])
        tau = stats.kendalltau(g["task"], g["t_k"]).statistic if learned.sum() >= 2 else np.nan
        rows.append({"threshold": float(th), "tasks_learned": int(learned.sum()), "in_order_prefix": int(mono.sum()),
                     "inversions": int(inv.sum()), "pairs": int(some.sum()), "kendall_tau": float(tau),
                     "max_concurrent": int(conc.max()), "mean_concurrent": float(conc.mean()),
                     "evals_with_concurrent_gt1": int((conc > 1).sum()), "relapsed": int(g["relapsed"].sum()),
                     **_shape(g)})
    return pd.DataFrame(rows, columns=ORDER_COLUMNS)


def _shape(g):
    tr = g["transition_rel"].to_numpy(np.float64)
    ok = np.isfinite(tr)
    if not ok.any():
        return {"median_transition_rel": np.nan, "median_resolution_rel": np.nan, "shape": "none learned"}
    med = float(np.median(tr[ok]))
    return {"median_transition_rel": med, "median_resolution_rel": float(np.median(g["resolution_rel"][ok])),
            "shape": "abrupt" if med <= ABRUPT else "gradual"}


def mean_loss(steps, loss, p, *, threshold: float = THRESHOLDS[0]) -> pd.DataFrame:
    """The population loss ``sum_k p_k loss_k`` (nats) and tasks learned at each step: step, loss, tasks_learned."""
    steps, loss = _check(steps, loss)
    p = as_float_array(p, "p", ndim=1)
    return pd.DataFrame({"step": steps, "loss": loss @ p,
                         "tasks_learned": (loss <= threshold * LN2).sum(axis=1).astype(np.int64)})
