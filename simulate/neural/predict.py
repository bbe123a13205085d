"""Section 3 (Assumption 3.5, Theorems 3.7 and 3.8): what the suite's idealized learners predict for the same task.

The idealized learners are :func:`simulate.run` on the same finite skill law
(M = T tasks, ``p_k ∝ k^-(alpha+1)``) with B = ln 2, C = 0 (a task's loss before
and after it is learned) and delta = B - C, in expected mode, cost 1/p
(Theorem 3.8): skill k alone needs 1/p_k flops. Under the **sequential** order
(Assumption 3.5) t_k = sum_{j<=k} 1/p_j, slope alpha + 2 in k for large k;
under the **parallel** order t_k = 1/p_k, slope alpha + 1. With finite T and
a window of a few tasks the slopes differ from the asymptotes, so every
prediction is the same fit on the same window applied to the idealized
learner's curve.

Asymptotic slopes come from :func:`theory.skills.predicted_exponent`: if
H - C ∝ n^-alpha (Lemma 3.6) and H - C ∝ S^-a, then t_k ∝ k^(alpha / a).
"""
from __future__ import annotations

import functools

import numpy as np

from infogeo.validation import ValidationError
from theory import skills as th

from ..assumptions import Assumptions
from ..dynamics import run
from ..laws import PowerLaw
from .measure import LN2
from .slopes import fit_slope

__all__ = ["ideal", "ideal_learning_times", "ideal_loss", "asymptotic_slope", "predicted_learning_time_slope",
           "predicted_steps_exponent", "predicted_width_exponent", "ORDERS"]

ORDERS = ("sequential", "parallel")


def ideal(alpha: float, tasks: int, order, cost="inverse_p") -> Assumptions:
    """The idealized learner of the neural task: M = tasks, B = ln 2, C = 0, one hit comprehends (delta = B - C)."""
    return Assumptions(law=PowerLaw(alpha), M=tasks, order=order, cost=cost, B=LN2, C=0.0, delta=LN2)


@functools.lru_cache(maxsize=64)
def _done(alpha: float, tasks: int, order: str) -> np.ndarray:
    return run(ideal(alpha, tasks, order), mode="expected", points=8).done


def ideal_learning_times(alpha: float, tasks: int, order: str) -> np.ndarray:
    """t_k (flops) of the idealized learner for k = 1..tasks (expected mode)."""
    if order not in ORDERS:
        raise ValidationError(f"order must be one of {ORDERS}, got {order!r}")
    return _done(float(alpha), int(tasks), order).copy()


def ideal_loss(alpha: float, tasks: int, order, S, cost="inverse_p") -> np.ndarray:
    """Mean loss H(X|Y) (nats) of the idealized learner at flops ``S`` (increasing, > 0)."""
    return run(ideal(alpha, tasks, order, cost), mode="expected", S=np.asarray(S, dtype=np.float64)).H


def asymptotic_slope(alpha: float, order: str) -> float:
    """Slope of log t_k in log k as k -> infinity: alpha / a with a theory's flops exponent (alpha+2 or alpha+1)."""
    return alpha / th.predicted_exponent(alpha, "flops", order=order)


def predicted_learning_time_slope(alpha: float, tasks: int, order: str, k_hi: int) -> float:
    """Slope of log t_k against log k over k = 1..k_hi for the idealized learner (the fit the network gets)."""
    if not 3 <= int(k_hi) <= tasks:
        raise ValidationError(f"k_hi must be in [3, tasks={tasks}], got {k_hi}")
    t = ideal_learning_times(alpha, tasks, order)[: int(k_hi)]
    return fit_slope(np.arange(1, int(k_hi) + 1), t, interval=False).slope


def _log_grid(lo, hi, points=40):
    return np.geomspace(lo, hi, points)


def predicted_steps_exponent(alpha: float, tasks: int, order: str, n_hi: int, points: int = 40) -> float:
    """Exponent a of H - C ∝ S^-a fitted between the 1st and the n_hi-th comprehension of the idealized learner."""
    if not 2 <= int(n_hi) <= tasks:
        raise ValidationError(f"n_hi must be in [2, tasks={tasks}], got {n_hi}")
    done = np.sort(ideal_learning_times(alpha, tasks, order))
    S = _log_grid(done[0], done[int(n_hi) - 1], points)
    return -fit_slope(S, ideal_loss(alpha, tasks, order, S), interval=False).slope


def predicted_width_exponent(alpha: float, tasks: int, n_lo: int, n_hi: int) -> float:
    """Exponent of H - C ∝ N^-a for learners holding n = n_lo..n_hi skills (Theorem 3.7, N = r n; Lemma 3.6)."""
    n_lo, n_hi = int(n_lo), int(n_hi)
    if not 1 <= n_lo < n_hi < tasks:
        raise ValidationError(f"need 1 <= n_lo < n_hi < tasks={tasks}, got n_lo={n_lo}, n_hi={n_hi}")
    n = np.arange(n_lo, n_hi + 1)
    return -fit_slope(n, th.skill_tail_mass(n, alpha, tasks), interval=False).slope
