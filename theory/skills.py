"""Section 3 (Lemma 3.6, Theorems 3.7 and 3.8): the skill law and its scaling exponents.

Skills are ranked k = 1..M by degree in the text-skill graph and
``p_k = k^-(alpha+1) / Z_alpha`` with ``Z_alpha = sum_{k<=M} k^-(alpha+1)``.
A skill is comprehended when its conditional entropy falls from B to C
(Definition 3.4). Each flop hits skill y with probability p(y) and a hit lowers
its entropy by ``delta`` (Theorem 3.8), so skill k alone needs
``(B - C) / (p_k * delta)`` flops in expectation.

This module is the single home of these formulas; ``simulate`` and
``empirical`` import them.
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import (
    ValidationError,
    as_float_array,
    as_int_array,
    check_memory,
    choice,
    finite,
    positive,
    positive_int,
    probability_vector,
)

__all__ = [
    "skill_law",
    "zipf_exponent_from_alpha",
    "alpha_from_zipf_exponent",
    "skill_tail_mass",
    "conditional_entropy_after_n_skills",
    "lemma36_leading_term",
    "comprehension_cost",
    "completion_flops",
    "expected_conditional_entropy",
    "expected_conditional_entropy_infinite",
    "predicted_exponent",
    "COST_MODELS",
    "ORDERS",
    "AXES",
]

ORDERS = ("sequential", "parallel")
COST_MODELS = ("inverse_p", "constant")
AXES = ("skills", "params", "flops", "frontier")


def _levels(B, C) -> tuple[float, float]:
    """The entropies of Definition 3.4: finite, B > C."""
    B, C = finite(B, "B"), finite(C, "C")
    if not B > C:
        raise ValidationError(f"B must exceed C (Definition 3.4), got B={B}, C={C}")
    return B, C


def _flops(S) -> np.ndarray:
    return as_float_array(S, "S", low=0.0)


def skill_law(alpha: float, M: int) -> np.ndarray:
    """The paper's skill distribution ``p_k = k^-(alpha+1) / Z_alpha``, k = 1..M (float64)."""
    alpha = positive(alpha, "alpha")
    M = positive_int(M, "M", minimum=2)
    check_memory(26.0 * M, f"M={M}", detail="3 float64 arrays of M: k, k^-(alpha+1), p")  # measured peak: 24.01 B/skill
    k = np.arange(1, M + 1, dtype=np.float64)
    w = k ** (-(alpha + 1.0))
    return w / w.sum()


def zipf_exponent_from_alpha(alpha: float) -> float:
    """Zipf exponent s of ``p_k ∝ k^-s`` used by peers (quantization model): s = alpha + 1."""
    return positive(alpha, "alpha") + 1.0


def alpha_from_zipf_exponent(s: float) -> float:
    """Inverse of :func:`zipf_exponent_from_alpha`; requires s > 1."""
    s = positive(s, "s")
    if s <= 1:
        raise ValidationError(f"s must be > 1 for a normalizable infinite Zipf law (alpha = s - 1 > 0), got {s}")
    return s - 1.0


def zeta(s, q):
    """scipy.special.zeta (Hurwitz zeta), imported on first use: scipy.special costs ~0.3 s to import and the
    simulate command's single run (issue 23) never calls it."""
    from scipy.special import zeta as scipy_zeta

    return scipy_zeta(s, q)


def _hurwitz_partial(s: float, lo, hi) -> np.ndarray:
    """sum_{k=lo}^{hi} k^-s for integer arrays lo <= hi+1 (hi may be inf)."""
    lo = np.asarray(lo, dtype=np.float64)
    out = _zeta(s, lo)
    if np.isfinite(hi):
        out = out - _zeta(s, hi + 1.0)
    return out


def _zeta(s: float, q) -> np.ndarray:
    """Hurwitz zeta(s, q) for q >= 1; 0 where every term k^-s (k >= q >= 2) underflows float64: scipy returns NaN
    there at s near 1e308 (alpha = 1e308 gave a NaN tail mass), while the sum is below the smallest subnormal."""
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(over="ignore"):
        underflow = s * np.log(q) > 746.0  # q^-s < 2^-1075: rounds to 0, and so does the whole tail sum
    return np.where(underflow, 0.0, zeta(s, np.where(underflow, 1.0, q)))


def skill_tail_mass(n, alpha: float, M: int | None = None):
    r"""Exact mass of the skills not yet comprehended, :math:`\sum_{k=n+1}^{M} p_k`.

    Uses the Hurwitz zeta function, so M = None (infinite) and M = 10^9 cost the
    same. ``n`` may be an integer array with 0 <= n <= M.
    """
    alpha = positive(alpha, "alpha")
    n_arr = as_int_array(n, "n", minimum=0)
    s = alpha + 1.0
    if M is None:
        hi = np.inf
    else:
        M = positive_int(M, "M", minimum=2)
        if np.any(n_arr > M):
            raise ValidationError(f"n must be <= M={M}")
        hi = float(M)
    with np.errstate(invalid="ignore"):
        Z = _hurwitz_partial(s, 1.0, hi)
        part = np.where(n_arr >= hi, 0.0, _hurwitz_partial(s, n_arr + 1.0, hi))
    _zeta_cancellation(alpha, np.append(part, Z) if np.isfinite(hi) else None)
    tail = part / Z
    return float(tail) if tail.ndim == 0 else tail


def _zeta_cancellation(alpha: float, partial_sums=None, name: str = "alpha") -> None:
    """Refuse an alpha whose zeta(1 + alpha, .) forms float64 cannot hold (the other results are exact).

    Two bounds, each 1e-6 relative: ``s = 1 + alpha`` keeps alpha to a relative error
    ``|fl(1 + alpha) - 1 - alpha| / alpha`` (all of it below alpha ~ 1e-16, where s = 1 and zeta is inf); and a
    finite sum ``zeta(s, lo) - zeta(s, hi + 1)`` of two terms ~ 1/alpha carries an absolute error ~ eps/alpha,
    compared with the sums themselves (``partial_sums``).
    """
    eps = np.finfo(np.float64).eps
    rep = abs((1.0 + alpha) - 1.0 - alpha) / alpha
    worst = rep
    if partial_sums is not None:
        v = np.abs(np.asarray(partial_sums, dtype=np.float64))
        v = v[v > 0]
        if not np.all(np.isfinite(v)):
            worst = np.inf
        elif v.size:
            worst = max(worst, eps / alpha / float(v.min()))
    if not worst <= 1e-6:
        raise ValidationError(f"{name}={alpha:g} is too small for float64: the zeta(1 + {name}, .) forms keep it only "
                         f"to a relative error of {worst:.2g} (> 1e-6; s = 1 + {name} rounds it, and finite sums "
                         f"of two terms ~ 1/{name} cancel); use {name} >= ~1e-9, or sum a finite law directly")


def conditional_entropy_after_n_skills(n, alpha: float, B: float, C: float, M: int | None = None):
    r"""Lemma 3.6, exact: :math:`H(X|Y) = C + (B - C)\sum_{k>n} p_k` after the n easiest skills."""
    B, C = _levels(B, C)
    return C + (B - C) * skill_tail_mass(n, alpha, M)


def lemma36_leading_term(n, alpha: float, M: int | None = None):
    r"""The integral approximation in the proof of Lemma 3.6 of the tail mass:

    .. math:: \frac{1}{Z_\alpha}\int_n^M y^{-\alpha-1}dy = \frac{n^{-\alpha} - M^{-\alpha}}{\alpha Z_\alpha}.

    With M = None it is the pure power law :math:`n^{-\alpha}/(\alpha\zeta(\alpha+1))`.
    """
    alpha = positive(alpha, "alpha")
    n_arr = as_float_array(n, "n", low=0.0, low_open=True)
    s = alpha + 1.0
    if M is None:
        Z, tailM = zeta(s, 1.0), 0.0
    else:
        M = positive_int(M, "M", minimum=2)
        if np.any(n_arr > M):
            raise ValidationError(f"n must be <= M={M}")
        Z, tailM = _hurwitz_partial(s, 1.0, float(M)), float(M) ** (-alpha)
    out = (n_arr ** (-alpha) - tailM) / (alpha * Z)
    return float(out) if out.ndim == 0 else out


def comprehension_cost(p, B: float, C: float, delta: float, cost: str = "inverse_p") -> np.ndarray:
    r"""Expected flops to comprehend each skill when it is the one being learned.

    ``cost="inverse_p"`` (Theorem 3.8): a flop hits skill y with probability p(y)
    and lowers its entropy by delta, so it needs :math:`(B-C)/(p(y)\Delta)` flops.
    ``cost="constant"``: every skill needs :math:`(B-C)/\Delta` flops.
    """
    p = probability_vector(p, "p", atol=1e-8)
    delta = positive(delta, "delta")
    B, C = _levels(B, C)
    cost = choice(cost, "cost", COST_MODELS)
    if cost == "inverse_p":
        if np.any(p <= 0):
            raise ValidationError("p must be > 0 for cost='inverse_p' (a skill that never occurs is never learned)")
        return (B - C) / (p * delta)
    return np.full(p.shape, (B - C) / delta)


def _hit_probability(p: np.ndarray, cost: str) -> np.ndarray:
    """Per-flop hit probability q of each skill while it is learned: p for cost 1/p, 1 for constant cost."""
    return p if cost == "inverse_p" else np.ones_like(p)


def _descending(p: np.ndarray) -> np.ndarray:
    """``p`` sorted in descending order (the easiest skill first); an array already in that order is returned as
    it is (a check of O(M) instead of a sort of O(M log M): the callers pass sorted laws)."""
    return p if np.all(p[:-1] >= p[1:]) else np.sort(p)[::-1]


def completion_flops(p, B: float, C: float, delta: float, *, order: str = "sequential",
                     cost: str = "inverse_p") -> np.ndarray:
    r"""Flops at which each skill is comprehended in the expected model, skills easiest first (descending p).

    ``order="sequential"`` (Assumption 3.5): :math:`T_k = \sum_{j \le k} c_j`;
    ``order="parallel"``: :math:`T_k = c_k`, with :math:`c_k` from :func:`comprehension_cost`.
    """
    p = _descending(probability_vector(p, "p", atol=1e-8))
    order = choice(order, "order", ORDERS)
    flops = comprehension_cost(p, B, C, delta, cost)
    return np.cumsum(flops) if order == "sequential" else flops


def expected_conditional_entropy(S, p, B: float, C: float, delta: float, *, order: str = "sequential",
                                 cost: str = "inverse_p") -> np.ndarray:
    r"""Closed-form expected H(X|Y) after S flops (Theorem 3.8's model; exact for finite M).

    Skills are taken easiest first (descending p, Assumption 3.5). While skill y is
    learned each flop hits it with probability q_y (``cost="inverse_p"``: q = p, so it
    needs (B-C)/(p Delta) flops, Theorem 3.8; ``cost="constant"``: q = 1) and a hit
    lowers H(X|y) by Delta.

    ``order="sequential"``: skill k starts only when k-1 is comprehended; while it
    is learned its entropy falls by :math:`q_k\Delta` per flop on average.
    ``order="parallel"``: all skills learn at once:
    :math:`H = \sum_y p_y \max(C, B - S q_y \Delta)`.

    Returns an array of the shape of S.
    """
    S_arr = _flops(S)
    p = _descending(probability_vector(p, "p", atol=1e-8))
    delta = positive(delta, "delta")
    B, C = _levels(B, C)
    order = choice(order, "order", ORDERS)
    cost = choice(cost, "cost", COST_MODELS)
    q = _hit_probability(p, cost)
    if order == "parallel":
        return _parallel_expected(S_arr, p, q, B, C, delta)
    done_at = completion_flops(p, B, C, delta, order="sequential", cost=cost)
    mass_after = np.concatenate([[1.0], 1.0 - np.cumsum(p)])  # mass of skills k+1.. (index k)
    mass_after = np.clip(mass_after, 0.0, None)  # round-off only; documented
    n = np.searchsorted(done_at, S_arr, side="right")  # skills finished
    M = p.size
    start = np.where(n > 0, done_at[np.minimum(n, M) - 1], 0.0)
    start = np.where(n == 0, 0.0, start)
    cur = np.minimum(n, M - 1)
    p_cur = np.where(n < M, p[cur], 0.0)
    progress = np.where(n < M, q[cur] * delta * (S_arr - start), 0.0)
    learned_mass = 1.0 - mass_after[n]
    rest_mass = np.where(n < M, mass_after[np.minimum(n + 1, M)], 0.0)
    return C * learned_mass + p_cur * (B - progress) + B * rest_mass


def _parallel_expected(S: np.ndarray, p: np.ndarray, q: np.ndarray, B: float, C: float, delta: float) -> np.ndarray:
    r""":math:`\sum_y p_y \max(C, B - S q_y \Delta)` for every S at once, in O((M + |S|) log M).

    ``p`` descending and ``q`` (p, or constant) non-increasing along it, so the skills done at S (those with
    :math:`S q_y \Delta \ge B - C`) are the first n of them: H = C·(mass of the first n) + B·(mass of the rest)
    − SΔ·Σ_{rest} p q. The tails are summed from the smallest term up (reverse cumulative sums), so each agrees
    with a direct sum to a few ulps of it (``tests/theory/test_formulas.py`` compares both to 1e-12).
    """
    head = np.concatenate([[0.0], np.cumsum(p)])                # mass of skills 0..n-1
    tail_p = np.concatenate([np.cumsum(p[::-1])[::-1], [0.0]])   # mass of skills n..M-1
    tail_pq = np.concatenate([np.cumsum((p * q)[::-1])[::-1], [0.0]])
    with np.errstate(divide="ignore"):
        threshold = (B - C) / (S * delta)                       # S = 0: nothing is done
    n = np.searchsorted(-q, -threshold, side="right")           # skills with q >= threshold
    return C * head[n] + B * tail_p[n] - S * delta * tail_pq[n]


def expected_conditional_entropy_infinite(S, alpha: float, B: float, C: float, delta: float, *,
                                          order: str = "sequential", max_skills: int = 10**8) -> np.ndarray:
    r"""The closed form of :func:`expected_conditional_entropy` for M = infinity (exact, no truncation).

    With :math:`s = \alpha + 1`, :math:`p_k = k^{-s}/\zeta(s)`, cost :math:`c_k = (B-C)/(p_k\Delta)`:

    - parallel: skills :math:`k \le n^*` with :math:`S p_k\Delta \ge B - C` are done and
      :math:`H - C = (B-C)\,\zeta(s, n^*+1)/\zeta(s) - S\Delta\,\zeta(2s, n^*+1)/\zeta(s)^2`;
    - sequential: n skills are done when :math:`S \ge \sum_{k\le n} c_k`; skill n+1 has
      progressed by :math:`p_{n+1}\Delta(S - S_n)`.

    ``max_skills`` bounds the cumulative sum the sequential form needs (an error names it).
    """
    S_arr = _flops(S)
    alpha = positive(alpha, "alpha")
    delta = positive(delta, "delta")
    B, C = _levels(B, C)
    order = choice(order, "order", ORDERS)
    max_skills = positive_int(max_skills, "max_skills")
    s = alpha + 1.0
    zs = float(zeta(s, 1.0))
    if order == "parallel":
        n_star = np.floor((S_arr * delta / ((B - C) * zs)) ** (1.0 / s) + 1e-12)
        with np.errstate(invalid="ignore"):
            out = C + (B - C) * zeta(s, n_star + 1.0) / zs - S_arr * delta * zeta(2 * s, n_star + 1.0) / zs**2
        _zeta_cancellation(alpha)
        return out
    K = (B - C) * zs / delta
    n_need = int(((s + 1.0) * float(S_arr.max()) / K) ** (1.0 / (s + 1.0))) + 2
    if n_need > max_skills:
        raise ValidationError(f"S up to {S_arr.max():.3g} needs {n_need:.3g} skills; raise max_skills={max_skills}")
    k = np.arange(1, n_need + 1, dtype=np.float64)
    done_at = np.cumsum(K * k**s)
    n = np.searchsorted(done_at, S_arr, side="right")
    start = np.where(n > 0, done_at[np.maximum(n - 1, 0)], 0.0)
    p_next = (n + 1.0) ** (-s) / zs
    with np.errstate(invalid="ignore"):
        out = C + (B - C) * zeta(s, n + 1.0) / zs - p_next * p_next * delta * (S_arr - start)
    _zeta_cancellation(alpha)
    return out


def predicted_exponent(alpha: float, axis: str, *, order: str = "sequential", cost: str = "inverse_p") -> float:
    r"""Exponent a in :math:`H(X|Y) - C \propto X^{-a}` (M = infinity) under the stated model.

    Let the k-th skill cost :math:`\propto k^{c}` flops: c = alpha + 1 for
    ``cost="inverse_p"`` (1/p_k, Theorem 3.8), c = 0 for ``cost="constant"``.

    - ``axis="skills"`` (Lemma 3.6) and ``axis="params"`` (Theorem 3.7, N = r n): alpha.
    - ``axis="flops"``, ``order="sequential"`` (Assumption 3.5): :math:`S \propto n^{c+1}`,
      exponent alpha/(c+1); the paper's alpha/(alpha+2).
    - ``axis="flops"``, ``order="parallel"``: skill k is done at :math:`S \propto k^c`,
      exponent alpha/c = alpha/(alpha+1); undefined for constant cost (every
      skill finishes at the same S).
    - ``axis="frontier"``: a parallel learner that holds at most N/r skills, learns
      from D tokens and spends S ∝ N D flops, on its compute-optimal frontier:
      exponent alpha/(c+1), i.e. alpha/(alpha+2) again.

    The derivations are checked symbolically in the catalogue (claim ``thm-3.8``).
    """
    alpha = positive(alpha, "alpha")
    c = alpha + 1.0 if choice(cost, "cost", COST_MODELS) == "inverse_p" else 0.0
    order = choice(order, "order", ORDERS)
    axis = choice(axis, "axis", AXES)
    if axis in ("skills", "params"):
        return alpha
    if axis == "flops":
        if order == "sequential":
            return alpha / (c + 1.0)
        if c == 0.0:
            raise ValidationError(
                "order='parallel' with cost='constant' has no power law: every skill finishes at once")
        return alpha / c
    if c == 0.0:  # axis == "frontier"
        raise ValidationError("axis='frontier' needs cost='inverse_p'")
    return alpha / (c + 1.0)
