"""Hypothesis properties for the claims the catalogue checks on fixed grids: the same laws on random instances."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.special import softmax, zeta

from theory import discrete as D
from theory.attention import approximation_5, causal_attention

seeds = st.integers(0, 2**32 - 1)


def _dist(rng, k, zeros=True):
    p = rng.dirichlet(np.ones(k))
    if zeros:
        p[rng.random(k) < 0.25] = 0
    if p.sum() == 0:
        p[0] = 1.0
    return p / p.sum()


@given(seeds, st.integers(2, 5), st.integers(2, 5))
def test_theorem_3_11_perfect_prompting_preserves_conditional_entropy(seed, k, nx):
    """Merge skills into prompts only where their conditionals agree (Bayesian sufficiency): H(X|Y) = H(X|Ybar)."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, k, size=k)  # f(y) = groups[y]
    cond = {g: _dist(rng, nx, zeros=False) for g in set(groups)}
    p_y = _dist(rng, k)
    joint_y = np.stack([cond[g] for g in groups], axis=1) * p_y
    joint_bar = np.zeros((nx, k))
    for y, g in enumerate(groups):
        joint_bar[:, g] += joint_y[:, y]
    assert D.conditional_entropy(joint_y) == pytest.approx(D.conditional_entropy(joint_bar), abs=1e-12)


@given(seeds, st.integers(2, 5), st.integers(2, 5))
def test_theorem_3_15_corrected_weak_inequality_and_strictness(seed, k, nx):
    """Irrelevant-or-good contexts: H(X|ctx, Y) <= H(X|Y), strict iff a good skill has positive mass."""
    rng = np.random.default_rng(seed)
    p_y = _dist(rng, k)
    h, h_ctx, good = [], [], []
    for _ in range(k):
        q = _dist(rng, nx, zeros=False)
        if rng.random() < 0.5:  # irrelevant: the context leaves p(x|y) unchanged
            h.append(D.entropy(q))
            h_ctx.append(D.entropy(q))
            good.append(False)
        else:  # good: a sharper conditional (tempered towards its mode)
            sharp = q**3 / np.sum(q**3)
            assume(D.entropy(sharp) < D.entropy(q) - 1e-9)
            h.append(D.entropy(q))
            h_ctx.append(D.entropy(sharp))
            good.append(True)
    # A good skill of tiny but positive mass lowers H by less than the tolerance below; keep masses resolvable.
    assume(all(p == 0 or p > 1e-6 for p in p_y))
    Hy, Hc = float(np.dot(p_y, h)), float(np.dot(p_y, h_ctx))
    assert Hc <= Hy + 1e-12
    active = any(g and p > 0 for g, p in zip(good, p_y))
    assert (Hc < Hy - 1e-12) == active


@given(seeds, st.integers(2, 6))
def test_section_3_1_squared_log_ratio_is_twice_the_kl(seed, k):
    """E[(log p' - log p)^2] / KL(p'||p) -> 2 as the step shrinks (the corrected Section 3.1 expansion)."""
    rng = np.random.default_rng(seed)
    theta, u = rng.normal(size=k), rng.normal(size=k)
    assume(np.ptp(u) > 1e-3)
    p = softmax(theta)
    q = softmax(theta + 1e-4 * u)
    ratio = np.sum(p * (np.log(q) - np.log(p)) ** 2) / D.kl_divergence(q, p)
    assert ratio == pytest.approx(2.0, rel=1e-2)


@given(st.floats(1e-4, 1e-2))
def test_section_3_1_collision_mass_is_pi2_over_6_alpha2(alpha):
    exact = zeta(2 * alpha + 2, 1) / zeta(alpha + 1, 1) ** 2
    assert exact / (np.pi**2 / 6 * alpha**2) == pytest.approx(1.0, abs=3 * alpha)
    assert exact / (alpha**2 / (2 * alpha + 1)) > 1.5  # the printed approximation misses by a constant factor


@given(seeds, st.integers(2, 30), st.floats(0.0, 4.0), st.sampled_from([None, 2, 4]))
def test_equation_5_error_is_exactly_the_dropped_term(seed, T, margin, keep):
    rng = np.random.default_rng(seed)
    A = causal_attention(rng, T, self_margin=margin, scale=1.0, keep=keep)
    assert np.allclose(A.sum(axis=1), 1) and np.allclose(A, np.tril(A))
    V = rng.normal(size=(T, 5))
    z, approx, dropped = approximation_5(A, V)
    np.testing.assert_allclose(z, approx - dropped, atol=1e-8 * max(1.0, np.abs(approx).max()))


@given(seeds, st.integers(2, 4), st.integers(2, 4), st.floats(0.1, 0.9))
def test_theorem_3_18_difference_is_constant_when_kl_is(seed, ka, ky, theta):
    """p(x|y) = q_y(a) r_theta(b): the KLs do not move with theta, so neither does H(X) - H(X|Y)."""
    rng = np.random.default_rng(seed)
    q = np.stack([_dist(rng, ka, zeros=False) for _ in range(ky)])
    p_y = _dist(rng, ky, zeros=False)

    def gap(t):
        joint = np.einsum("ya,b,y->aby", q, np.array([t, 1 - t]), p_y).reshape(-1, ky)
        return D.entropy(joint.sum(axis=1)) - D.conditional_entropy(joint)

    assert gap(theta) == pytest.approx(gap(0.5), abs=1e-12)
