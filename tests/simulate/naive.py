"""Flop-by-flop references for the event-driven simulation (test oracles; also timed by benchmarks/bench_simulate.py).

They step one flop at a time, with no event algebra, so they share nothing with ``simulate.dynamics.run`` but its
set-up (the skill order and the per-skill rates, ``_prepare``/``_starts``/``_suffix``).
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import as_generator, nonnegative_int
from simulate import dynamics as dyn
from simulate.assumptions import Assumptions


def naive_expected(assumptions: Assumptions, S_max: int, *, seed=0) -> np.ndarray:
    """H(X|Y) - C after each whole flop 0..S_max, stepping flop by flop (reference only).

    Within a flop, work left over when a skill is comprehended passes to the
    next one, so the result equals the continuous-time event-driven model.
    """
    a = assumptions
    rng = as_generator(seed)
    S_max = nonnegative_int(S_max, "S_max")
    BC = a.B - a.C
    p, perm, learn, p_l, q, dy = dyn._prepare(a, rng)
    rate = q * dy  # entropy drop per flop while active
    dur = BC / rate
    start = dyn._starts(a, dur)
    ent = np.full(learn.size, a.B)
    out = np.empty(S_max + 1)
    unlearned = float(dyn._suffix(p[perm])[learn.size])
    out[0] = BC * unlearned + float(np.sum(p_l * (ent - a.C)))
    for s in range(1, S_max + 1):
        t0, t1 = s - 1.0, float(s)
        # time each skill is active within (t0, t1]
        lo = np.maximum(start, t0)
        hi = np.minimum(start + dur, t1)
        active = np.clip(hi - lo, 0.0, None)
        ent = np.maximum(ent - rate * active, a.C)
        out[s] = BC * unlearned + float(np.sum(p_l * (ent - a.C)))
    return out


def naive_stochastic(assumptions: Assumptions, S_max: int, *, seed=0) -> np.ndarray:
    """H(X|Y) - C after each flop 0..S_max with Bernoulli hits drawn flop by flop (sequential-type orders).

    Supports orders where at most one skill is active at a time (sequential,
    random): each flop hits the current skill with probability q.
    """
    a = assumptions
    rng = as_generator(seed)
    S_max = nonnegative_int(S_max, "S_max")
    BC = a.B - a.C
    p, perm, learn, p_l, q, dy = dyn._prepare(a, rng)
    unlearned = float(dyn._suffix(p[perm])[learn.size])
    ent = np.full(learn.size, a.B)
    cur = 0
    out = np.empty(S_max + 1)
    total = BC * unlearned + float(np.sum(p_l * (ent - a.C)))
    out[0] = total
    for s in range(1, S_max + 1):
        if cur < learn.size and rng.random() < q[cur]:
            new = max(ent[cur] - dy[cur], a.C)
            total -= p_l[cur] * (ent[cur] - new)
            ent[cur] = new
            if new <= a.C:
                cur += 1
        out[s] = total
    return out
