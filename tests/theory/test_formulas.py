"""Property tests of the formulas in theory/: identities, bounds, limits and invariances."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.special import zeta
from scipy.stats import ortho_group

from theory import discrete as D
from theory import distances as DI
from theory import entropy as E
from theory import gp as G
from theory import skills as SK

seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 24)


def unit_rows(rng, n, d):
    Z = rng.normal(size=(n, d))
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def spd(rng, d, cond=100.0):
    Q = ortho_group.rvs(d, random_state=rng) if d > 1 else np.ones((1, 1))
    lam = np.exp(rng.uniform(0, np.log(cond), size=d))
    return (Q * lam) @ Q.T


# --- Definition 3.1 / Equation (1) -----------------------------------------------------------

@given(seeds, dims, dims, st.floats(0.05, 3.0))
def test_gram_and_covariance_routes_agree(seed, n, d, eps):
    Z = np.random.default_rng(seed).normal(size=(n, d))
    a = E.rate_distortion_entropy(Z, eps, method="gram")
    b = E.rate_distortion_entropy(Z, eps, method="covariance")
    assert a == pytest.approx(b, rel=1e-10, abs=1e-10)


@given(seeds, dims, dims, st.floats(0.05, 3.0))
def test_unit_rows_never_exceed_the_normalizer(seed, n, d, eps):
    Z = unit_rows(np.random.default_rng(seed), n, d)
    assert E.normalized_rate_distortion_entropy(Z, eps) <= 1 + 1e-12


@given(seeds, dims, dims)
def test_entropy_invariant_to_rotations_and_row_order(seed, n, d):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, d))
    Q = ortho_group.rvs(d, random_state=rng) if d > 1 else -np.ones((1, 1))
    base = E.rate_distortion_entropy(Z)
    assert E.rate_distortion_entropy(Z @ Q) == pytest.approx(base, rel=1e-10)
    assert E.rate_distortion_entropy(Z[rng.permutation(n)]) == pytest.approx(base, rel=1e-10)


@given(seeds, st.integers(2, 32), st.data(), st.floats(0.05, 1.0))
def test_equation_1_on_r_subspaces(seed, d, data, eps):
    r = data.draw(st.integers(1, d))
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, r)))
    Z = np.repeat(Q.T, data.draw(st.integers(1, 3)), axis=0)
    assert E.normalized_rate_distortion_entropy(Z, eps) == pytest.approx(
        E.equal_singular_value_normalized_entropy(r, d, eps), rel=1e-10)


@given(seeds, st.integers(2, 32), st.data())
def test_matrix_entropy_of_r_subspace_is_log_r_over_log_d(seed, d, data):
    r = data.draw(st.integers(1, d))
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, r)))
    Z = np.repeat(Q.T, 2, axis=0)
    assert E.matrix_entropy(Z) == pytest.approx(np.log(r) / np.log(d), abs=1e-10)


# --- Section 3: skills --------------------------------------------------------------------------

@given(st.floats(0.05, 3.0), st.integers(2, 5000))
def test_skill_law_is_a_decreasing_distribution(alpha, M):
    p = SK.skill_law(alpha, M)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(p) < 0)
    assert p[0] / p[1] == pytest.approx(2 ** (alpha + 1), rel=1e-12)


@given(st.floats(0.05, 3.0))
def test_zipf_conversion_round_trip(alpha):
    assert SK.alpha_from_zipf_exponent(SK.zipf_exponent_from_alpha(alpha)) == pytest.approx(alpha, rel=1e-15)


@given(st.floats(0.05, 3.0), st.integers(2, 3000), st.data())
def test_tail_mass_equals_the_direct_sum(alpha, M, data):
    n = data.draw(st.integers(0, M))
    p = SK.skill_law(alpha, M)
    assert SK.skill_tail_mass(n, alpha, M) == pytest.approx(p[n:].sum(), rel=1e-9, abs=1e-14)


@given(st.floats(0.1, 3.0), st.integers(10, 10**6))
def test_lemma_3_6_leading_term_within_euler_maclaurin_bound(alpha, n):
    ratio = SK.skill_tail_mass(n, alpha) / SK.lemma36_leading_term(n, alpha)
    assert abs(ratio - 1) <= (alpha + 1) / n


@given(st.floats(0.1, 2.0), st.integers(5, 400), seeds)
def test_expected_entropy_bounded_monotone_and_parallel_never_slower(alpha, M, seed):
    p = SK.skill_law(alpha, M)
    S = np.sort(np.random.default_rng(seed).uniform(0, SK.comprehension_cost(p, 2.0, 1.0, 0.5).sum() * 1.2, 50))
    seq = SK.expected_conditional_entropy(S, p, 2.0, 1.0, 0.5, order="sequential")
    par = SK.expected_conditional_entropy(S, p, 2.0, 1.0, 0.5, order="parallel")
    for H in (seq, par):
        assert np.all(H >= 1.0 - 1e-12) and np.all(H <= 2.0 + 1e-12)
        assert np.all(np.diff(H) <= 1e-12)
    assert np.all(par <= seq + 1e-12)


@given(st.integers(1, 300), st.sampled_from(["inverse_p", "constant"]), st.floats(0.0, 3.0), seeds)
def test_parallel_expected_entropy_is_the_direct_sum_over_skills(M, cost, C, seed):
    """The parallel curve is computed for every S at once (prefix sums over the skills done); it equals the
    definition, sum_y p_y max(C, B - S q_y Delta), summed directly per S, to 1e-12 relative, for any law (random p,
    ties included) and both costs, at S = 0, at the exact completion points and between them."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(M)) if M > 1 else np.ones(1)
    if M > 3:
        p[:2] = p[:2].mean()  # a tie
    B, delta = C + rng.uniform(0.1, 2.0), rng.uniform(0.05, 2.0)
    done = SK.completion_flops(p, B, C, delta, order="parallel", cost=cost)
    S = np.concatenate([[0.0], done, rng.uniform(0, done.max() * 1.5, 40)])
    q = np.sort(p)[::-1] if cost == "inverse_p" else np.ones(M)
    direct = np.array([np.sum(np.sort(p)[::-1] * np.maximum(C, B - s * q * delta)) for s in S])
    got = SK.expected_conditional_entropy(S, p, B, C, delta, order="parallel", cost=cost)
    np.testing.assert_allclose(got, direct, rtol=1e-12, atol=1e-14)
    assert got[0] == pytest.approx(B, rel=1e-13) and got[-1] <= B


@given(st.floats(0.2, 2.0), st.sampled_from(["sequential", "parallel"]))
def test_finite_M_closed_form_is_the_infinite_one_on_a_rescaled_clock(alpha, order):
    """Truncating the law at M multiplies every p_k (k <= M) by 1/r, r = Z_M / zeta(s) = 1 - tail_oo(M), so costs
    shrink by r: the finite learner at S is the infinite one at S / r, rescaled, minus what the skills beyond M
    hold. Exactly (while no skill beyond M is done):
    r (H_M(S) - C) = H_oo(S/r) - C - (B - C) tail_oo(M) [+ (S/r) Delta zeta(2s, M+1) / zeta(s)^2 in parallel]."""
    M, B, C, delta = 200_000, 2.0, 1.0, 1.0
    s = alpha + 1.0
    S = np.logspace(3, 6, 7)
    tail = SK.skill_tail_mass(M, alpha)
    r = 1.0 - tail
    finite = SK.expected_conditional_entropy(S, SK.skill_law(alpha, M), B, C, delta, order=order) - C
    rhs = SK.expected_conditional_entropy_infinite(S / r, alpha, B, C, delta, order=order) - C - (B - C) * tail
    if order == "parallel":
        p_next = (M + 1.0) ** -s / zeta(s, 1)
        assert S[-1] / r * p_next * delta < B - C  # no skill beyond M is done, so the identity is exact
        rhs = rhs + (S / r) * delta * zeta(2 * s, M + 1) / zeta(s, 1) ** 2
    np.testing.assert_allclose(r * finite, rhs, rtol=1e-9, atol=1e-13)


def test_predicted_exponents_are_the_derived_ones():
    a = 0.7
    assert SK.predicted_exponent(a, "flops", order="sequential") == pytest.approx(a / (a + 2))
    assert SK.predicted_exponent(a, "flops", order="parallel") == pytest.approx(a / (a + 1))
    assert SK.predicted_exponent(a, "flops", order="sequential", cost="constant") == pytest.approx(a)
    assert SK.predicted_exponent(a, "frontier", order="parallel") == pytest.approx(a / (a + 2))
    assert SK.predicted_exponent(a, "params") == SK.predicted_exponent(a, "skills") == a
    with pytest.raises(ValueError, match="parallel"):
        SK.predicted_exponent(a, "flops", order="parallel", cost="constant")


# --- Section 4.1: GP information gain -----------------------------------------------------------

@given(seeds, st.integers(1, 40), dims, st.floats(1e-2, 3.0))
def test_curve_from_one_cholesky_equals_logdets_and_schur_form(seed, T, d, sigma):
    Z = unit_rows(np.random.default_rng(seed), T, d)
    gains, inc = G.information_gain_curve(Z @ Z.T, sigma)
    assert gains[-1] == pytest.approx(G.information_gain(Z @ Z.T, sigma), rel=1e-10)
    assert np.all(inc >= -1e-15)  # information never decreases
    assert np.all(inc <= 0.5 * np.log1p(sigma**-2) + 1e-12)  # k(z, z) = 1 caps each increment
    for t in range(1, min(T, 6)):
        assert inc[t] == pytest.approx(G.information_gain_increment(Z[:t], Z[t], sigma), rel=1e-8, abs=1e-12)


@given(seeds, st.integers(1, 20), dims, st.floats(1e-2, 3.0))
def test_posterior_variance_is_ridge_residual_and_in_unit_interval(seed, T, d, sigma):
    rng = np.random.default_rng(seed)
    Z, z = unit_rows(rng, T, d), unit_rows(rng, 1, d)[0]
    var = G.posterior_variance(Z, z, sigma)
    assert -1e-12 <= var <= 1 + 1e-12
    zhat = G.ridge_coefficients(Z, z, sigma) @ Z
    assert var == pytest.approx(z @ (z - zhat), abs=1e-10)


@given(seeds, st.integers(1, 20), st.integers(2, 20), st.floats(1e-2, 0.99))
def test_theorem_4_1_printed_form_agrees_only_at_sigma_one(seed, T, d, sigma):
    rng = np.random.default_rng(seed)
    Z, z = unit_rows(rng, T, d), unit_rows(rng, 1, d)[0]
    var = G.posterior_variance(Z, z, sigma)
    assume(abs(var - 1) > 1e-3)
    printed = G.information_gain_increment_as_printed(Z, z, sigma)
    exact = G.information_gain(np.vstack([Z, z]) @ np.vstack([Z, z]).T, sigma) - G.information_gain(Z @ Z.T, sigma)
    assert G.information_gain_increment_as_printed(Z, z, 1.0) == pytest.approx(
        G.information_gain_increment(Z, z, 1.0), rel=1e-10)
    assume(abs(sigma - 1) > 1e-2)
    assert abs(printed - exact) > 1e-6


def test_theorem_4_1_printed_form_is_undefined_for_large_sigma():
    z = np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="sigma"):
        G.information_gain_increment_as_printed(np.tile(z, (10, 1)), z, 3.0)


@given(seeds, st.integers(1, 20), dims)
def test_stable_rank_between_one_and_rank(seed, T, d):
    Z = np.random.default_rng(seed).normal(size=(T, d))
    sr = G.stable_rank(Z)
    assert 1 - 1e-12 <= sr <= np.linalg.matrix_rank(Z) + 1e-9


# --- Section 4.3 / Appendix A: distances --------------------------------------------------------

@given(seeds, st.integers(1, 6), st.sampled_from(sorted(DI.METRICS)))
def test_distances_are_symmetric_zero_on_diagonal_and_triangular(seed, d, metric):
    rng = np.random.default_rng(seed)
    A, B, C = spd(rng, d), spd(rng, d), spd(rng, d)
    f = DI.METRICS[metric]
    assert f(A, B) == pytest.approx(f(B, A), rel=1e-9, abs=1e-12)
    assert f(A, A) == pytest.approx(0.0, abs=1e-6)
    assert f(A, C) <= f(A, B) + f(B, C) + 1e-9


@given(seeds, st.integers(1, 6))
def test_distances_agree_with_pyriemann(seed, d):
    pr = pytest.importorskip("pyriemann.geometry.distance")
    rng = np.random.default_rng(seed)
    A, B = spd(rng, d), spd(rng, d)
    assert DI.distance_riemann(A, B) == pytest.approx(pr.distance_riemann(A, B), rel=1e-8)
    assert DI.distance_logeuclid(A, B) == pytest.approx(pr.distance_logeuclid(A, B), rel=1e-8)
    assert DI.distance_logdet(A, B) == pytest.approx(pr.distance_logdet(A, B), rel=1e-7, abs=1e-9)


@given(seeds, st.integers(1, 5))
def test_js_small_gamma_limit_has_the_corrected_order(seed, d):
    rng = np.random.default_rng(seed)
    A, B = spd(rng, d, 5.0), spd(rng, d, 5.0)
    fro = np.linalg.norm(A - B, "fro")
    assume(fro > 1e-3)
    g0 = 1e-2 / max(np.linalg.norm(A, 2), np.linalg.norm(B, 2))
    # Squared form: remainder / gamma^3 stays bounded as gamma halves (O(gamma^3)).
    r = [abs(DI.distance_js(A, B, gamma=g, squared=True) - g**2 * fro**2 / 8) / g**3 for g in (g0, g0 / 2, g0 / 4)]
    assert r[2] <= 1.2 * r[0] + 1e-12
    # d_JS itself converges to the Frobenius limit, relative error O(gamma).
    rel = abs(DI.distance_js(A, B, gamma=g0) / (g0 * fro / np.sqrt(8)) - 1)
    assert rel <= 10 * g0 * max(np.linalg.norm(A, 2), np.linalg.norm(B, 2))


@given(seeds, st.integers(1, 6), st.integers(1, 6), st.floats(1e-2, 1e2))
def test_js_accepts_singular_psd_and_equals_shifted_logdet(seed, d, n, gamma):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    A, B = DI.token_covariance(X), DI.token_covariance(Y)
    lhs = DI.distance_js(A, B, gamma=gamma)
    rhs = DI.distance_logdet(np.eye(d) + gamma * A, np.eye(d) + gamma * B)
    assert lhs == pytest.approx(rhs, rel=1e-7, abs=1e-9)


def test_logdet_distances_refuse_singular_covariances_by_name():
    X = np.random.default_rng(0).normal(size=(2, 5))
    C = DI.token_covariance(X)
    for metric in ("logdet", "riemann", "logeuclid"):
        with pytest.raises(ValueError, match="numerically singular|positive definite"):
            DI.distance(C, C + np.eye(5), metric)
    assert DI.distance_logdet(DI.regularize_covariance(C, 1e-3), np.eye(5)) > 0


# --- Section 2.1 / Lemma 3.17 -------------------------------------------------------------------

@given(seeds, st.integers(1, 6), st.integers(1, 6))
def test_lemma_3_17_identity_on_random_joints(seed, nx, ny):
    rng = np.random.default_rng(seed)
    J = rng.dirichlet(np.ones(nx * ny)).reshape(nx, ny)
    J[rng.random(J.shape) < 0.3] = 0
    assume(J.sum() > 0)
    J /= J.sum()
    p_y, cond = D.conditional_distributions(J)
    rhs = sum(p_y[y] * D.kl_divergence(cond[:, y], J.sum(axis=1)) for y in range(ny) if p_y[y] > 0)
    assert D.entropy(J.sum(axis=1)) - D.conditional_entropy(J) == pytest.approx(rhs, abs=1e-12)
    assert D.mutual_information(J) >= -1e-12


# --- validation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda: E.rate_distortion_entropy(np.array([[np.nan, 1.0]])), "Z"),
    (lambda: E.rate_distortion_entropy(np.ones((2, 2)), eps=0.0), "eps"),
    (lambda: E.rate_distortion_entropy(np.ones(3)), "Z"),
    (lambda: SK.skill_law(-1.0, 10), "alpha"),
    (lambda: SK.skill_law(0.5, 1), "M"),
    (lambda: SK.comprehension_cost([0.5, 0.6], 2, 1, 1), "p"),
    (lambda: SK.lemma36_leading_term(20, 0.5, 10), "n"),
    (lambda: G.information_gain(np.eye(2), sigma=-1.0), "sigma"),
    (lambda: G.information_gain(np.array([[1.0, 2.0], [0.0, 1.0]]), 1.0), "K"),
    (lambda: DI.distance_js(np.eye(2), np.eye(2), gamma=0), "gamma"),
    (lambda: DI.distance_riemann(-np.eye(2), np.eye(2)), "A"),
    (lambda: DI.distance(np.eye(2), np.eye(2), metric="cosine"), "metric"),
    (lambda: D.kl_divergence([0.5, 0.6], [0.5, 0.5]), "P"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
