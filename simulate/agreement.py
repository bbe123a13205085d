"""Section 3 (Theorems 3.7 and 3.8): when a simulated exponent is evidence that the dynamics agree with theory.

A row of the exponents table (:func:`simulate.exponents`) can only be evidence
if a wrong dynamics would move it. Three questions decide it:

1. **Does the row depend on the dynamics?** (column ``evidence``)

   - ``"dynamics"``: the curve depends on when skills are hit: the flops and
     frontier axes, and the skills axis when partly learned skills contribute
     (a parallel learner);
   - ``"tail sum"``: the curve is the static tail mass ``(B-C) sum_{k>n} p_k`` in
     learning order, whatever the cost or the start schedule: the params axis
     always, the skills axis of a one-skill-at-a-time order. A wrong dynamics
     leaves it unchanged, so it is shown but never counted;
   - ``"no prediction"`` / ``"no fit"``: nothing to compare.

2. **Does it match theory's exact finite-M curve?** (expected mode, columns
   ``reference``, ``reference_rel_error``, ``reference_tolerance``). Where
   :mod:`theory.skills` has the exact expected curve (orders sequential and
   parallel, costs 1/p and constant, no capacity limit, no noise on delta), the
   same estimator is fitted to theory's curve on the same grid and the same
   window in skills; ``reference`` is that exponent. The simulation equals the
   closed form to round-off, so the two exponents agree to ~1e-9 unless the
   dynamics differ from what the labels say: a cost of 1/p^1.03 moves the flops
   exponents by about 2%, a parallel learner labelled sequential by 60%. The
   tolerance is :data:`REFERENCE_TOLERANCE` = 1e-3 (relative).

3. **Does it match the asymptotic prediction?** (``rel_error``, ``tolerance``):
   the finite-M fit against theory's M = infinity exponent, within
   :data:`TOLERANCE` = 1% (the largest finite-M deviation of a correct dynamics at
   M = 10^6 in the report is 0.46%, parallel at alpha = 0.3). For stochastic rows
   the tolerance adds two Monte Carlo standard errors of the replicate mean.

``agrees`` = (3), and (2) where a reference exists. :func:`agreement_summary` counts
only ``"dynamics"`` rows with a prediction, and counts a row that repeats the
fitted value of an earlier counted row (same alpha, law, M and mode) once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError, nonnegative
from theory import skills as th

from . import dynamics as dyn
from .fitting import fit_exponent

__all__ = ["TOLERANCE", "REFERENCE_TOLERANCE", "EVIDENCE", "evidence", "reference_exponent", "verdict",
           "agreement_summary"]

TOLERANCE = 0.01
REFERENCE_TOLERANCE = 1e-3
EVIDENCE = ("dynamics", "tail sum", "no prediction", "no fit")


def fit_on_window(x, y, n, win, estimator, n_boot, seed):
    """The exponent of (x, y) restricted to the points with win[0] <= n <= win[1] skills comprehended."""
    k = (n >= win[0]) & (n <= win[1])
    if k.sum() < 6:
        raise ValidationError(f"only {int(k.sum())} grid points have {win[0]} <= n <= {win[1]}")
    # distinct x only: several skills can finish at the same flop
    xs, first = np.unique(x[k], return_index=True)
    return fit_exponent(xs, y[k][first], estimator=estimator, n_boot=n_boot, seed=seed)


def _is_tail_sum(traj: dyn.Trajectory) -> bool:
    """True when H - C at each comprehension point of the skills axis is the mass of the skills not yet done."""
    a = traj.assumptions
    p = a.probabilities()
    order = np.argsort(traj.done, kind="stable")
    done_sorted = traj.done[order]
    suffix = np.concatenate([np.cumsum(p[order][::-1])[::-1], [0.0]])
    count = np.searchsorted(done_sorted, traj.S_at_n, side="right")
    static = (a.B - a.C) * suffix[count]
    return bool(np.allclose(traj.H_minus_C_at_n, static, rtol=1e-9, atol=1e-15 * (a.B - a.C)))


def evidence(traj: dyn.Trajectory, axis: str, has_prediction: bool, has_fit: bool) -> str:
    """The ``evidence`` label of one row (see the module docstring)."""
    if not has_fit:
        return "no fit"
    if not has_prediction:
        return "no prediction"
    if axis == "params" or (axis == "skills" and _is_tail_sum(traj)):
        return "tail sum"
    return "dynamics"


def _theory_labels(a):
    """(order, cost) as theory names them, or None when theory has no exact finite-M expected curve for ``a``."""
    t_order = getattr(a.order, "theory_order", None)
    t_cost = getattr(a.cost, "theory_cost", None)
    if t_order not in th.ORDERS or t_cost not in th.COST_MODELS or a.capacity is not None or a.delta_noise > 0:
        return None
    return t_order, t_cost


def reference_exponent(traj: dyn.Trajectory, axis: str, win, estimator: str, seed: int) -> tuple[float, str]:
    """(exponent of theory's exact finite-M expected curve on the run's grid and window, note).

    NaN with a reason where theory has no such curve (stochastic mode, random or
    batched orders, user costs, a capacity limit, noise on delta, the params and
    frontier axes).
    """
    a = traj.assumptions
    labels = _theory_labels(a)
    if traj.mode != "expected" or labels is None or axis not in ("flops", "skills"):
        return float("nan"), ""
    order, cost = labels
    p = a.probabilities()
    if np.any(p[1:] > p[:-1]):  # a law need be descending only to 1e-15 (check_probabilities): sort it exactly
        p = np.sort(p)[::-1]
    done = th.completion_flops(p, a.B, a.C, a.delta, order=order, cost=cost)
    if np.any(done[1:] < done[:-1]):  # sorted already for both orders; a sort is O(M log M)
        done = np.sort(done)
    if axis == "flops":
        x = traj.S
        n = np.searchsorted(done, x, side="right")
        y = th.expected_conditional_entropy(x, p, a.B, a.C, a.delta, order=order, cost=cost) - a.C
    else:
        n = traj.n
        x = n.astype(float)
        y = th.expected_conditional_entropy(done[n - 1], p, a.B, a.C, a.delta, order=order, cost=cost) - a.C
    try:
        return fit_on_window(x, y, n, win, estimator, 0, seed).exponent, ""
    except ValidationError as exc:  # the window cannot support a fit; a bug propagates
        return float("nan"), f"no reference fit: {exc}"


def verdict(fitted: float, predicted: float, reference: float, tolerance: float) -> bool:
    """The agreement rule: within ``tolerance`` of the prediction, and within REFERENCE_TOLERANCE of the
    reference where there is one."""
    tolerance = nonnegative(tolerance, "tolerance")  # a negative or NaN tolerance would make every row disagree
    if not (np.isfinite(fitted) and np.isfinite(predicted)):
        return False
    ok = abs(fitted / predicted - 1.0) <= tolerance
    if np.isfinite(reference):
        ok = ok and abs(fitted / reference - 1.0) <= REFERENCE_TOLERANCE
    return bool(ok)


def agreement_summary(df: pd.DataFrame) -> dict:
    """Summary of an exponents table (one or many runs): which rows count as evidence, and do they agree.

    Returns ``rows``, ``counted`` (``"dynamics"`` rows, repeats removed), ``agree`` (counted rows that agree),
    ``all_agree`` (False when nothing is counted), ``repeats`` (dynamics rows dropped as repeats) and
    ``not_counted`` (rows by ``evidence`` label).
    """
    dyn_rows = df[df["evidence"] == "dynamics"].reset_index(drop=True)
    keep, seen = [], {}
    for i, row in dyn_rows.iterrows():
        key = (row["alpha"], row["law"], row["M"], row["mode"])
        vals = seen.setdefault(key, [])
        if any(np.isclose(row["fitted"], v, rtol=1e-9, atol=0.0) for v in vals):
            continue
        vals.append(row["fitted"])
        keep.append(i)
    counted = dyn_rows.iloc[keep]
    n_agree = int(counted["agrees"].astype(bool).sum())
    others = df[df["evidence"] != "dynamics"]["evidence"].value_counts()
    return {"rows": len(df), "counted": len(counted), "agree": n_agree,
            "all_agree": bool(len(counted) and n_agree == len(counted)),
            "repeats": len(dyn_rows) - len(counted), "not_counted": {k: int(v) for k, v in others.items()}}
