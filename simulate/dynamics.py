"""Section 3 (Lemma 3.6, Theorems 3.7 and 3.8): event-driven learning dynamics of H(X|Y).

The model: ``H(X|Y) = sum_y p(y) H(X|y)``; every skill starts at B and is
comprehended when it reaches C (Definition 3.4). While skill y is being learned,
each flop hits it with probability q_y (the cost model; q = p for Theorem 3.8)
and a hit lowers H(X|y) by delta_y. The order decides when each skill starts.

Nothing is stepped flop by flop. Each skill's trajectory is a ramp (expected
mode) or a staircase (stochastic mode) between its start and its comprehension
flop, so H(S) at any set of evaluation points is a suffix sum over sorted events:

- ``mode="expected"``: skill y needs ``d_y = (B-C)/(q_y delta_y)`` flops and
  loses entropy linearly while active (the closed form of
  :func:`theory.skills.expected_conditional_entropy`).
- ``mode="stochastic"``: skill y needs ``m_y = ceil((B-C)/delta_y)`` hits; the
  flops between consecutive hits are Geometric(q_y), so the flops to its m-th
  hit are ``m + NegativeBinomial(m, q)``. Each hit is an event dropping H by
  ``p_y delta_y`` (the last one lands exactly on C). Skills draw independently:
  exact marginals; with a shared flop budget (parallel order) this is the
  Poisson-thinning approximation of the multinomial split of flops.

Suffix sums (from the end of the sorted event list) keep ``H - C`` accurate to
float64 round-off even when it is 1e-8 of B.

The flop-by-flop references it is checked against (the equivalence test and the
benchmark) live with the tests: ``tests/simulate/naive.py``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from infogeo.validation import (
    ValidationError,
    ValidationTypeError,
    as_float_array,
    as_generator,
    check_memory,
    choice,
    format_bytes,
    increasing,
    positive,
    positive_int,
)

from .assumptions import Assumptions
from .laws import call_plugin, plugin_output

__all__ = ["Trajectory", "run", "default_grid", "MODES", "run_memory",
           "frontier_memory", "check_terms"]

MODES = ("expected", "stochastic")

_CHUNK = 1 << 21  # events processed per chunk in stochastic mode (bounded memory)


# Peak memory of one run, in float64-sized words (8 bytes) per element, measured with tracemalloc (numpy 2,
# M = 1e5..1e6; tests/robustness/test_simulate_memory.py keeps the estimate within [1, 2] x the measured peak):
# expected mode 21.2 per skill; stochastic mode 13 per skill + 5 per hit; 12.4 per grid point (S and the
# comprehension flops evaluated together). The frontier holds 3.2 words per (grid point, capacity) pair + 8 per skill.
_WORDS_PER_SKILL = 22
_WORDS_PER_HIT = 6
_WORDS_PER_POINT = 13
_WORDS_PER_FRONTIER_CELL = 4
_WORDS_PER_FRONTIER_SKILL = 8


def _expected_hits(a: Assumptions) -> float:
    """Hit events a stochastic run draws: M ceil((B-C)/delta), or its mean under log-normal noise on delta."""
    n = a.M if a.capacity is None else a.capacity
    bc = a.B - a.C
    if a.delta_noise > 0:  # E[1/delta_y] = exp(s^2)/delta; each skill needs at least one hit
        return n * (bc / a.delta * float(np.exp(min(a.delta_noise**2, 700.0))) + 1.0)
    return n * float(np.ceil(bc / a.delta - 1e-9))


def run_memory(a: Assumptions, mode: str = "expected", points: int = 400) -> dict[str, float]:
    """Estimated peak bytes of :func:`run`, by what drives them: ``{"M": ..., "points": ..., "hits": ...}``.

    ``hits`` (stochastic mode only) is the number of hit events, ``M * ceil((B-C)/delta)``.
    """
    hits = _expected_hits(a) if mode == "stochastic" else 0.0
    return {"M": 8.0 * _WORDS_PER_SKILL * a.M, "points": 8.0 * _WORDS_PER_POINT * points,
            "hits": 8.0 * _WORDS_PER_HIT * hits}


def frontier_memory(a: Assumptions, points: int = 400, caps: int = 2000) -> dict[str, float]:
    """Estimated peak bytes of :func:`frontier`: the (points x caps) tables and the per-skill arrays."""
    return {"M": 8.0 * _WORDS_PER_FRONTIER_SKILL * a.M, "points": 8.0 * _WORDS_PER_FRONTIER_CELL * points * caps}


def check_terms(terms: dict[str, float], values: dict[str, float], names: dict[str, str] | None = None) -> None:
    """Refuse (:func:`infogeo.validation.check_memory`) when the summed estimate ``terms`` exceeds the memory available.

    The message names the argument with the largest term, as ``names`` spells it (``{"M": "--skills"}``;
    default the library's own name, ``M=...``), with its value from ``values``, and lists every term.
    """
    names = names or {}
    total = float(sum(terms.values()))
    top = max(terms, key=terms.get)
    label = names.get(top)
    v = values[top]
    v = f"{int(v)}" if float(v).is_integer() else f"{v:g}"
    what = f"{label} {v}" if label else f"{top}={v}"
    detail = ", ".join(f"{names.get(k, k)} {format_bytes(v)}" for k, v in terms.items() if v > 0)
    check_memory(total, what, detail=detail)


@dataclasses.dataclass
class Trajectory:
    """One learning run. All arrays float64 unless noted.

    Attributes
    ----------
    S : (G,) flops at which H was evaluated (log-spaced by default).
    H : (G,) H(X|Y) at S.
    H_minus_C : (G,) H(X|Y) - C at S, computed directly (no cancellation).
    n_at_S : (G,) int, skills comprehended by S.
    n : (K,) int, number of comprehended skills (skills axis, log-spaced).
    H_minus_C_at_n : (K,) H - C at the flop where the n-th skill is comprehended.
    S_at_n : (K,) that flop.
    n_cap : (P,) int, capacity in skills (params axis); N = r * n_cap.
    H_minus_C_at_cap : (P,) H - C of a learner of that capacity trained to convergence.
    done : (M,) comprehension flop of each skill, by rank (inf: never, capacity).
    """

    assumptions: Assumptions
    mode: str
    seed: int | None
    S: np.ndarray
    H_minus_C: np.ndarray
    n_at_S: np.ndarray
    n: np.ndarray
    H_minus_C_at_n: np.ndarray
    S_at_n: np.ndarray
    n_cap: np.ndarray
    H_minus_C_at_cap: np.ndarray
    done: np.ndarray

    @property
    def H(self) -> np.ndarray:
        return self.assumptions.C + self.H_minus_C

    @property
    def N(self) -> np.ndarray:
        return self.assumptions.r * self.n_cap

    @property
    def n_learned(self) -> int:
        return int(np.isfinite(self.done).sum())


def default_grid(lo: float, hi: float, points: int) -> np.ndarray:
    """Log-spaced grid from lo to hi inclusive (float64)."""
    return np.geomspace(lo, hi, int(points))


def _int_grid(hi: int, points: int) -> np.ndarray:
    return np.unique(np.round(np.geomspace(1, hi, points)).astype(np.int64))


def _prepare(a: Assumptions, rng: np.random.Generator):
    p = a.probabilities()
    what = f"order {a.order.name!r}: learning_order"
    perm = plugin_output(call_plugin(a.order, "learning_order", p, rng, kind="order"), what)
    # compared as returned: 0.5, 1.5, ... is no permutation (an int64 cast would have made it 0, 1, ...)
    if perm.shape != (a.M,) or not np.array_equal(np.sort(perm), np.arange(a.M)):
        raise ValidationError(f"{what} must return a permutation of the integers 0..M-1 (M={a.M})")
    perm = perm.astype(np.int64, copy=False)
    n_learn = a.M if a.capacity is None else a.capacity
    learn = perm[:n_learn]
    p_l = p[learn]
    # the cost sees the whole law (it may normalize by it); a capacity limit only drops skills afterwards
    flops = plugin_output(call_plugin(a.cost, "expected_flops", p, a.B, a.C, a.delta, kind="cost"),
                          f"cost {a.cost.name!r}: expected_flops").astype(np.float64, copy=False)
    if flops.shape != p.shape or not np.all(np.isfinite(flops)) or np.any(flops <= 0):
        raise ValidationError(
            f"cost {a.cost.name!r}: expected_flops must return finite positive values of shape {p.shape}")
    flops = flops[learn]
    q = (a.B - a.C) / (a.delta * flops)
    if np.any(q > 1.0 + 1e-12):
        raise ValidationError(f"cost {a.cost.name!r} gives fewer flops than hits needed for some skill "
                         "(hit probability > 1)")
    q = np.minimum(q, 1.0)
    if a.delta_noise > 0:
        s = a.delta_noise
        with np.errstate(over="ignore", under="ignore"):
            dy = a.delta * np.exp(s * rng.standard_normal(n_learn) - 0.5 * s * s)
        dy = np.minimum(dy, a.B - a.C)  # a hit cannot overshoot C
    else:
        dy = np.full(n_learn, a.delta)
    with np.errstate(over="ignore", divide="ignore"):
        worst = np.float64(a.B - a.C) / (np.min(q) * np.min(dy))
    if not np.isfinite(worst):  # durations would be inf and every later step blame the order
        raise ValidationError(f"the flops to comprehend a skill, (B-C)/(q delta), overflow float64 (B-C={a.B - a.C:g}, "
                         f"delta={a.delta:g}, delta_noise={a.delta_noise:g}, smallest hit probability "
                         f"{float(np.min(q)):.3g}, smallest delta drawn {float(np.min(dy)):.3g}): use a smaller B - C, "
                         "a larger delta or less delta_noise")
    return p, perm, learn, p_l, q, dy


def _starts(a: Assumptions, durations: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        st = plugin_output(call_plugin(a.order, "starts", durations, kind="order"),
                           f"order {a.order.name!r}: starts").astype(np.float64, copy=False)
        total = float(np.sum(durations))
    if not np.all(np.isfinite(st)) and not np.isfinite(total):
        raise ValidationError(
            f"the flops of a run overflow float64: the skills' durations (B-C)/(q delta) sum to more than "
                         f"1.8e308 (B-C={a.B - a.C:g}, delta={a.delta:g}); use a smaller B - C or a larger delta")
    if st.shape != durations.shape or np.any(~np.isfinite(st)) or np.any(st < 0):
        raise ValidationError(f"order {a.order.name!r}: starts must return finite nonnegative flops of shape "
                         f"{durations.shape}")
    return st


def _suffix(x: np.ndarray) -> np.ndarray:
    """out[i] = sum(x[i:]), out[len] = 0, summed from the small end."""
    out = np.zeros(x.size + 1)
    out[:-1] = np.cumsum(x[::-1])[::-1]
    return out


def _expected_remaining(start, dur, T, p_l, unlearned_mass, S):
    """sum_y p_y * (fraction of skill y still to learn at S): ramps from start to T = start + dur.

    Skills starting at flop 0 (all of them, for the parallel order) use suffix
    sums over completion flops: ``S * sum_{T > S} p/d``, exact. Skills starting
    later are summed explicitly over the (skill, grid point) pairs where they
    are active, with ``(S - start)/dur`` formed per pair: a prefix-sum form
    ``S*sum(w) - sum(w*start)`` would cancel catastrophically at S ~ 1e18 (random
    order). Sequential-type orders have at most ``M + G`` such pairs.
    """
    G = S.size
    oT = np.argsort(T, kind="stable")
    T_s = T[oT]
    iT = np.searchsorted(T_s, S, side="right")  # skills with T > S: iT..
    not_done = _suffix(p_l[oT])[iT]
    zero = start == 0.0
    w0 = np.where(zero, p_l / dur, 0.0)  # dur, not T - start: at S ~ 1e18 a short skill's T - start rounds to 0
    progress = S * _suffix(w0[oT])[iT]
    late = np.flatnonzero(~zero)
    if late.size:
        a_l, T_l = start[late], T[late]
        g_lo = np.searchsorted(S, a_l, side="left")  # first grid point with S >= start
        g_hi = np.searchsorted(S, T_l, side="left")  # first grid point with S >= T (done there)
        cnt = np.maximum(g_hi - g_lo, 0)
        total = int(cnt.sum())
        if total > 50_000_000:
            raise ValidationError(f"order {total} active (skill, grid point) pairs: too many overlapping late starts; "
                             "use fewer grid points")
        if total:
            rep = np.repeat(np.arange(late.size), cnt)
            g = np.repeat(g_lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)
            frac = np.clip((S[g] - a_l[rep]) / dur[late][rep], 0.0, 1.0)
            progress = progress + np.bincount(g, weights=p_l[late][rep] * frac, minlength=G)
    return unlearned_mass + np.maximum(not_done - progress, 0.0)


def _stochastic_remaining(start, gaps_cum, m, p_l, dy, BC, unlearned_mass, S):
    """sum_y p_y * (entropy still to lose)/(B-C) at S from the hit events."""
    G = S.size
    acc = np.zeros(G + 1)
    first = np.concatenate([[0], np.cumsum(m)[:-1]])
    last = first + m - 1
    drop = np.repeat(p_l * dy / BC, m)
    drop[last] = p_l * (BC - (m - 1) * dy) / BC
    st_rep = np.repeat(start, m)
    for lo in range(0, drop.size, _CHUNK):
        hi = min(lo + _CHUNK, drop.size)
        t = st_rep[lo:hi] + gaps_cum[lo:hi]
        # an event at t still counts for every S < t
        b = np.searchsorted(S, t, side="left")
        acc += np.bincount(b, weights=drop[lo:hi], minlength=G + 1)
    # an event in bin b is pending at S[g] iff g < b: suffix sum over bins > g
    suf = np.cumsum(acc[::-1])[::-1]
    return unlearned_mass + suf[1:]


def _geometric_draws(rng: np.random.Generator, q: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``m[y]`` geometric(q[y]) draws per skill, in order: drawn :data:`_CHUNK` at a time, so a
    run of 10^8 hits answers Ctrl-C within a chunk (~0.1 s) and holds one chunk of ``q`` repeated, not all of it.
    The values are those of one call: numpy's Generator draws an array element by element from one stream."""
    ends = np.cumsum(m)
    out = np.empty(int(ends[-1]) if ends.size else 0)
    total = 0.0
    for lo in range(0, out.size, _CHUNK):
        hi = min(lo + _CHUNK, out.size)
        first, last = np.searchsorted(ends, lo, side="right"), np.searchsorted(ends, hi - 1, side="right")
        reps = np.minimum(ends[first:last + 1], hi) - np.maximum(ends[first:last + 1] - m[first:last + 1], lo)
        chunk = np.cumsum(rng.geometric(np.repeat(q[first:last + 1], reps)).astype(np.float64))
        out[lo:hi] = chunk + total
        total = out[hi - 1]
    return out


def _hit_schedule(a: Assumptions, q, dy, BC, rng):
    """Stochastic mode: hits per skill m, flops from each skill's start to each of its hits, and its duration."""
    m = np.ceil(BC / dy - 1e-9).astype(np.int64)
    m = np.maximum(m, 1)
    gaps_cum = _geometric_draws(rng, q, m)
    ends = np.cumsum(m) - 1
    seg_before = np.concatenate([[0.0], gaps_cum[ends[:-1]]])
    dur = gaps_cum[ends] - seg_before
    gaps_cum -= np.repeat(seg_before, m)  # flops from the skill's start to each hit
    return m, gaps_cum, dur


def _grid(S, T_sorted, points):
    if S is None:
        return default_grid(max(T_sorted[0], 1.0), T_sorted[-1], points)
    S = as_float_array(S, "S", ndim=1, low=0.0, low_open=True)
    return increasing(S, "S")


def run(
    assumptions: Assumptions,
    *,
    mode: str = "expected",
    seed=0,
    points: int = 400,
    S: np.ndarray | None = None,
) -> Trajectory:
    """Simulate one learner; return H(X|Y) against flops, skills and capacity.

    Parameters
    ----------
    assumptions : :class:`simulate.Assumptions`.
    mode : ``"expected"`` (deterministic, the mean-field model theory analyses) or
        ``"stochastic"`` (hits drawn; cost grows with the number of hits ``M * (B-C)/delta``).
    seed : int or numpy Generator (random orders, delta noise and stochastic hits).
    points : size of each log-spaced output grid.
    S : optional flops at which to evaluate H (sorted ascending, > 0); default a
        log grid from the first to the last comprehension.
    """
    if not isinstance(assumptions, Assumptions):
        raise ValidationTypeError(f"assumptions must be simulate.Assumptions, got {type(assumptions).__name__}")
    mode = choice(mode, "mode", MODES)
    points = positive_int(points, "points", minimum=3)  # fewer grid points cannot carry a fit
    rng = as_generator(seed)
    a = assumptions
    check_terms(run_memory(a, mode, points if S is None else np.size(S)),
                 {"M": a.M, "points": points if S is None else np.size(S), "hits": _expected_hits(a)})
    BC = a.B - a.C
    p, perm, learn, p_l, q, dy = _prepare(a, rng)
    n_learn = learn.size
    unlearned_mass = float(_suffix(p[perm])[n_learn])
    if mode == "expected":
        dur = BC / (q * dy)
    else:
        m, gaps_cum, dur = _hit_schedule(a, q, dy, BC, rng)
    start = _starts(a, dur)
    T = start + dur
    done = np.full(a.M, np.inf)
    done[learn] = T
    T_sorted = np.sort(T)
    S = _grid(S, T_sorted, points)
    n_grid = _int_grid(n_learn, points)
    S_at_n = T_sorted[n_grid - 1]
    # evaluate at S and at the comprehension flops in one pass
    allS = np.concatenate([S, S_at_n])
    o = np.argsort(allS, kind="stable")
    sortedS = allS[o]
    if mode == "expected":
        rem_sorted = _expected_remaining(start, dur, T, p_l, unlearned_mass, sortedS)
    else:
        rem_sorted = _stochastic_remaining(start, gaps_cum, m, p_l, dy, BC, unlearned_mass, sortedS)
    rem = np.empty_like(rem_sorted)
    rem[o] = rem_sorted
    HmC = BC * rem[: S.size]
    HmC_n = BC * rem[S.size:]
    n_at_S = np.searchsorted(T_sorted, S, side="right")

    # params axis: a learner holding n_cap skills, trained to convergence,
    # has comprehended the first n_cap skills of its learning order.
    suf_order = _suffix(p[perm])
    n_cap = _int_grid(a.M, points)
    n_cap = n_cap[n_cap <= n_learn] if a.capacity is not None else n_cap
    HmC_cap = BC * suf_order[n_cap]
    return Trajectory(a, mode, seed if isinstance(seed, (int, np.integer)) else None, S, HmC, n_at_S,
                      n_grid, HmC_n, S_at_n, n_cap, HmC_cap, done)


@dataclasses.dataclass
class Frontier:
    """Compute-optimal frontier of a capacity-limited parallel learner.

    S : (G,) flops; H_minus_C : (G,) min over capacity of H - C at S;
    n_opt : (G,) int, the optimal capacity in skills; D_opt : (G,) tokens.
    """

    assumptions: Assumptions
    S: np.ndarray
    H_minus_C: np.ndarray
    n_opt: np.ndarray
    D_opt: np.ndarray
    kappa: float


def frontier(assumptions: Assumptions, *, points: int = 400, caps: int = 2000, kappa: float = 6.0, seed=0) -> Frontier:
    """The compute-optimal frontier (Theorems 3.7 + 3.8 combined; ``axis="frontier"`` in theory).

    A learner of N = r n parameters holds the n easiest skills (capacity N/r),
    reads D tokens, each of which hits skill y with probability q_y, and learns all
    n skills in parallel (expected mode); it spends S = kappa N D flops
    (kappa = 6 flops per parameter per token by convention; the exponent does not
    depend on it). For each S the capacity is chosen on a log grid of ``caps``
    values to minimize H(X|Y). The order in ``assumptions`` must be parallel.
    """
    a = assumptions
    if getattr(a.order, "theory_order", None) != "parallel":
        raise ValidationError(
            f"frontier needs order='parallel' (a capacity-limited parallel learner), got {a.order.name!r}")
    if a.capacity is not None:
        raise ValidationError("frontier chooses the capacity itself; leave capacity=None")
    points = positive_int(points, "points", minimum=3)
    caps = positive_int(caps, "caps", minimum=2)
    kappa = positive(kappa, "kappa")
    check_terms(frontier_memory(a, points, caps), {"M": a.M, "points": points})
    rng = as_generator(seed)
    BC = a.B - a.C
    p, perm, learn, p_l, q, dy = _prepare(a, rng)
    d = BC / (q * dy)  # tokens to comprehend, in learning order
    if np.any(np.diff(d) < 0):
        raise ValidationError("frontier needs tokens-to-comprehend nondecreasing in learning order (e.g. cost 1/p or "
                         "constant, no delta noise)")
    suf_p, suf_w = _suffix(p_l), _suffix(p_l / d)
    cap = _int_grid(a.M, caps)
    N = a.r * cap
    S = default_grid(kappa * N[0] * d[0], kappa * N[-1] * d[-1], points)
    D = S[:, None] / (kappa * N[None, :])  # (G, caps)
    nD = np.minimum(np.searchsorted(d, D, side="right"), cap[None, :])
    rem = suf_p[nD] - D * (suf_w[nD] - suf_w[cap][None, :])
    rem = np.maximum(rem, suf_p[cap][None, :])
    j = np.argmin(rem, axis=1)
    g = np.arange(S.size)
    return Frontier(a, S, BC * rem[g, j], cap[j], D[g, j], float(kappa))
