"""Laws of the event-driven learning model (Section 3: Lemma 3.6, Theorem 3.8)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulate
from simulate import dynamics as dyn
from theory import skills as th

from .naive import naive_expected, naive_stochastic

alphas = st.floats(0.2, 2.0)
Ms = st.integers(2, 3000)
orders = st.sampled_from(["sequential", "parallel", "random", "k_at_a_time"])
costs = st.sampled_from(["inverse_p", "constant"])


def _a(alpha, M, order="sequential", cost="inverse_p", **kw):
    if order == "k_at_a_time":
        order = {"name": "k_at_a_time", "k": 3}
    return simulate.Assumptions(law=simulate.PowerLaw(alpha), M=M, order=order, cost=cost, **kw)


@given(alphas, Ms, orders, costs, st.sampled_from(["expected", "stochastic"]), st.integers(0, 2**16))
def test_entropy_stays_in_C_B_and_never_rises(alpha, M, order, cost, mode, seed):
    a = _a(alpha, min(M, 500) if mode == "stochastic" else M, order, cost, delta=0.25)
    t = dyn.run(a, mode=mode, seed=seed, points=120)
    H = t.H
    assert np.all(H >= a.C - 1e-12) and np.all(H <= a.B + 1e-12)
    assert np.all(np.diff(H) <= 1e-12 * a.B)
    assert np.all(np.diff(t.H_minus_C_at_n) <= 1e-12 * a.B)
    assert np.all(np.diff(t.H_minus_C_at_cap) <= 1e-12 * a.B)


@given(alphas, Ms, st.sampled_from(["sequential", "parallel"]), st.floats(0.05, 1.0), st.floats(0.1, 5.0))
def test_expected_trajectory_matches_theory_closed_form(alpha, M, order, delta, B_minus_C):
    a = _a(alpha, M, order, B=1.0 + B_minus_C, C=1.0, delta=min(delta, B_minus_C))
    t = dyn.run(a, points=150)
    closed = th.expected_conditional_entropy(t.S, a.probabilities(), a.B, a.C, a.delta, order=order)
    # both sides are computed in float64; compare H - C relative to B - C
    np.testing.assert_allclose(t.H_minus_C, closed - a.C, rtol=1e-9, atol=1e-12 * (a.B - a.C))


@given(alphas, st.integers(2, 200))
def test_sequential_comprehension_points_are_lemma_36(alpha, M):
    a = _a(alpha, M)
    t = dyn.run(a, points=80)
    exact = th.conditional_entropy_after_n_skills(t.n, alpha, a.B, a.C, M) - a.C
    np.testing.assert_allclose(t.H_minus_C_at_n, exact, rtol=1e-9, atol=1e-14)
    at_cap = th.conditional_entropy_after_n_skills(t.n_cap, alpha, a.B, a.C, M) - a.C
    np.testing.assert_allclose(t.H_minus_C_at_cap, at_cap, rtol=1e-9, atol=1e-14)


@settings(max_examples=10)
@given(alphas, st.integers(5, 60), st.sampled_from(["sequential", "parallel"]), st.integers(0, 1000))
def test_stochastic_runs_average_to_closed_form(alpha, M, order, seed):
    """With many hits per skill the stochastic model's mean tends to the closed form.

    m = 64 hits per skill: relative spread of a comprehension time 1/8. The
    mean of R runs is within 4 standard errors plus a Jensen allowance (the
    entropy is a convex function of the random completion time) of 3% of B - C.
    """
    a = _a(alpha, M, order, B=2.0, C=1.0, delta=1 / 64)
    ref = dyn.run(a, points=60)
    R = 40
    runs = np.array([dyn.run(a, mode="stochastic", seed=seed * 1000 + i, S=ref.S).H_minus_C for i in range(R)])
    mean, se = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(R)
    closed = th.expected_conditional_entropy(ref.S, a.probabilities(), a.B, a.C, a.delta, order=order) - a.C
    assert np.all(np.abs(mean - closed) <= 4 * se + 0.03 * (a.B - a.C))


def test_stochastic_mean_converges_as_hits_grow():
    """The gap between stochastic mean and closed form shrinks as hits per skill grow (no free tolerance)."""
    gaps = []
    for m in (4, 64):
        a = _a(0.5, 30, "parallel", B=2.0, C=1.0, delta=1 / m)
        ref = dyn.run(a, points=60)
        runs = np.array([dyn.run(a, mode="stochastic", seed=i, S=ref.S).H_minus_C for i in range(200)])
        closed = th.expected_conditional_entropy(ref.S, a.probabilities(), a.B, a.C, a.delta, order="parallel") - a.C
        gaps.append(np.max(np.abs(runs.mean(0) - closed)))
    assert gaps[1] < gaps[0] / 2


@pytest.mark.parametrize("order", ["sequential", "parallel", "random", "k_at_a_time"])
def test_event_driven_equals_naive_stepper(order):
    a = _a(0.7, 12, order, cost="inverse_p", delta=0.5)
    t = dyn.run(a, seed=3)
    S_max = int(np.ceil(t.S[-1]))
    naive = naive_expected(a, S_max, seed=3)
    S_int = np.arange(1, S_max + 1, dtype=float)
    ev = dyn.run(a, seed=3, S=S_int)
    np.testing.assert_allclose(ev.H_minus_C, naive[1:], rtol=1e-9, atol=1e-12)


def test_stochastic_event_driven_matches_naive_in_distribution():
    a = _a(0.5, 6, "sequential", delta=0.25)
    S = np.array([5.0, 20.0, 60.0, 150.0, 400.0])
    R = 400
    ev = np.array([dyn.run(a, mode="stochastic", seed=i, S=S).H_minus_C for i in range(R)])
    nv = np.array([naive_stochastic(a, int(S[-1]), seed=10_000 + i)[S.astype(int)] for i in range(R)])
    se = np.sqrt(ev.var(0, ddof=1) / R + nv.var(0, ddof=1) / R)
    assert np.all(np.abs(ev.mean(0) - nv.mean(0)) <= 4 * se + 1e-12)


@given(alphas, Ms, costs)
def test_parallel_never_slower_than_sequential(alpha, M, cost):
    seq = dyn.run(_a(alpha, M, "sequential", cost), points=100)
    S = np.geomspace(1.0, seq.S[-1] * 1.01, 200)
    H_seq = dyn.run(_a(alpha, M, "sequential", cost), S=S).H_minus_C
    par = dyn.run(_a(alpha, M, "parallel", cost), S=S)
    assert np.all(par.H_minus_C <= H_seq * (1 + 1e-12) + 1e-15)
    done_seq = np.sort(seq.done)
    assert np.all(np.sort(par.done) <= done_seq * (1 + 1e-12))


@given(alphas, st.integers(2, 400))
def test_k_at_a_time_interpolates_sequential_and_parallel(alpha, M):
    S = np.geomspace(1.0, 1e12, 50)
    seq = dyn.run(_a(alpha, M, "sequential"), S=S).H_minus_C
    par = dyn.run(_a(alpha, M, "parallel"), S=S).H_minus_C
    k1 = dyn.run(simulate.Assumptions(law=simulate.PowerLaw(alpha), M=M, order=simulate.KAtATime(1)), S=S).H_minus_C
    kM = dyn.run(simulate.Assumptions(law=simulate.PowerLaw(alpha), M=M, order=simulate.KAtATime(M)), S=S).H_minus_C
    np.testing.assert_allclose(k1, seq, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(kM, par, rtol=1e-10, atol=1e-15)


@given(alphas, st.integers(10, 2000), st.integers(1, 9))
def test_capacity_limit_learns_exactly_the_easiest_skills(alpha, M, frac):
    cap = max(1, M * frac // 10)
    t = dyn.run(_a(alpha, M, "sequential", capacity=cap), points=80)
    assert np.all(np.isfinite(t.done[:cap])) and np.all(np.isinf(t.done[cap:]))
    floor = th.conditional_entropy_after_n_skills(cap, alpha, 2.0, 1.0, M) - 1.0
    assert t.H_minus_C[-1] == pytest.approx(floor, rel=1e-9, abs=1e-15)


def test_delta_noise_keeps_laws_and_changes_times():
    a0 = _a(0.5, 2000)
    a1 = _a(0.5, 2000, delta_noise=0.5)
    t0, t1 = dyn.run(a0), dyn.run(a1, seed=1)
    assert not np.allclose(t0.done, t1.done)
    assert np.all(np.diff(t1.H) <= 1e-12) and np.all(t1.H >= a1.C - 1e-12)
    t1b = dyn.run(a1, seed=1)
    assert np.array_equal(t1.done, t1b.done)  # same seed, same run


def test_same_seed_same_stochastic_run_byte_for_byte():
    a = _a(0.5, 3000, "random", delta=0.2)
    r1 = dyn.run(a, mode="stochastic", seed=7)
    r2 = dyn.run(a, mode="stochastic", seed=7)
    assert r1.H_minus_C.tobytes() == r2.H_minus_C.tobytes()
    assert r1.done.tobytes() == r2.done.tobytes()
    r3 = dyn.run(a, mode="stochastic", seed=8)
    assert r1.done.tobytes() != r3.done.tobytes()


def test_frontier_needs_parallel():
    with pytest.raises(ValueError, match="parallel"):
        dyn.frontier(_a(0.5, 100, "sequential"))


def test_run_rejects_bad_mode_and_grid():
    a = _a(0.5, 100)
    with pytest.raises(ValueError, match="mode"):
        dyn.run(a, mode="exact")
    with pytest.raises(ValueError, match="S"):
        dyn.run(a, S=[3.0, 2.0])
    with pytest.raises(TypeError, match="assumptions"):
        dyn.run({"law": "power"})


@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 2**31 - 1))
def test_hit_draws_in_chunks_are_the_draws_of_one_call(M, chunk, seed):
    """Stochastic hits are drawn a chunk at a time (bounded memory, Ctrl-C answered between chunks); the flops
    to each hit are those one call for all hits gives, bit for bit, whatever the chunk size."""
    from simulate import dynamics as D

    rng = np.random.default_rng(seed)
    q, m = rng.uniform(0.001, 1.0, M), rng.integers(1, 7, M)
    one = np.cumsum(np.random.default_rng(seed + 1).geometric(np.repeat(q, m)).astype(np.float64))
    old, D._CHUNK = D._CHUNK, chunk
    try:
        chunked = D._geometric_draws(np.random.default_rng(seed + 1), q, m)
    finally:
        D._CHUNK = old
    assert np.array_equal(chunked, one)
