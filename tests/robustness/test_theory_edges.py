"""Issue 13, theory at the edges of float64: exact or refused naming the argument, never silently wrong.

Laws used (each checked at scales where the old code raised a raw error or returned inf/NaN/0):

- rank one: Z = v 1_{n x d} has Z^T Z = n v^2 1 1^T with the single eigenvalue n d v^2, so
  L_eps(Z) = (d+n)/2 log(1 + d/(eps^2 n) n d v^2);
- the distortion limits: L_eps -> 0 as eps -> inf; log(1 + 1/(eps^2 q)) = -log(eps^2 q) + log1p(eps^2 q);
  Equation (1)'s ratio tends to 1 as eps -> inf;
- scale invariance: srank(aA) = srank(A), matrix entropy and l2-normalized rows do not depend on the rows' scale;
- the skill tail sum_{k>n} p_k equals the direct sum of the law's frequencies.
"""
from __future__ import annotations

import numpy as np
import pytest

from theory import distances, entropy, gp, skills


@pytest.mark.parametrize("v", [1.0, 10.0, 1e3, 1e5])
def test_rank_one_entropy_is_exact_within_its_stated_round_off(v):
    """Accuracy stated in the docstring: (d+n)/2 * k * u * max diag(I + c Z^T Z) nats (k the factored size)."""
    n, d, eps = 3, 4, 0.1
    c = d / (eps**2 * n)
    exact = 0.5 * (d + n) * np.log1p(c * n * d * v**2)
    bound = 0.5 * (d + n) * n * np.finfo(float).eps * (1 + c * d * v**2)
    assert abs(entropy.rate_distortion_entropy(np.full((n, d), v), eps) - exact) <= bound


@pytest.mark.parametrize("v", [1e100, 1e50, 1e20])
def test_rank_deficient_entropy_beyond_round_off_is_refused_naming_z_and_eps(v):
    """The issue's case: entries of 1e100 raised a raw LinAlgError (a traceback in every caller)."""
    with pytest.raises(ValueError, match=r"Z \(entries up to .*eps=0.1.*round-off"):
        entropy.rate_distortion_entropy(np.full((3, 4), v), 0.1)


def test_full_rank_entropy_at_huge_scale_is_kept_and_follows_the_joint_scale_law():
    Z = np.random.default_rng(0).standard_normal((4, 6))
    assert entropy.rate_distortion_entropy(1e100 * Z, 1e100 * 0.1) == pytest.approx(
        entropy.rate_distortion_entropy(Z, 0.1), rel=1e-10)


def test_distortion_extremes():
    Z = np.random.default_rng(1).standard_normal((3, 5))
    assert entropy.rate_distortion_entropy(Z, 1e200) == 0.0  # true value ~1e-398: 0 is its float64 rounding
    with pytest.raises(ValueError, match="eps=1e-200 is too small"):
        entropy.rate_distortion_entropy(Z, 1e-200)  # was ZeroDivisionError
    n, d, eps = 3, 4, 1e-200
    assert entropy.rate_distortion_entropy_max(n, d, eps) == pytest.approx(0.5 * (d + n) * d * -2 * np.log(eps),
                                                                           rel=1e-14)
    q = np.array([0.25, 0.5, 1.0])
    want = q * (-2 * np.log(eps) - np.log(q)) / (-2 * np.log(eps))
    np.testing.assert_allclose(entropy.equal_singular_value_normalized_entropy(q * 4, 4, eps), want, rtol=1e-14)
    np.testing.assert_array_equal(entropy.equal_singular_value_normalized_entropy(q * 4, 4, 1e200), 1.0)  # was NaN


@pytest.mark.parametrize("a", [1e300, 1e-300, 1e-310])
def test_scale_free_quantities_do_not_depend_on_the_scale(a):
    Z = np.random.default_rng(2).standard_normal((5, 4))
    assert gp.stable_rank(a * Z) == pytest.approx(gp.stable_rank(Z), rel=1e-12)  # was NaN
    np.testing.assert_allclose(gp.l2_normalize_rows(a * Z), gp.l2_normalize_rows(Z), rtol=1e-12)  # was zeros
    assert entropy.matrix_entropy(a * Z) == pytest.approx(entropy.matrix_entropy(Z), rel=1e-10)  # was 0


def test_overflowing_covariance_is_refused():
    with pytest.raises(ValueError, match="Z has entries up to 1e\\+300.*overflows"):
        distances.token_covariance(np.full((2, 3), 1e300))  # was a matrix of inf


def test_gp_sigma_extremes():
    K = gp.linear_kernel(np.random.default_rng(3).standard_normal((4, 3)))
    assert gp.information_gain(K, 1e200) == 0.0  # was OverflowError; the exact value is ~1e-400
    with pytest.raises(ValueError, match="sigma=1e-200 is too small"):
        gp.information_gain(K, 1e-200)  # was ZeroDivisionError
    Z = np.ones((2, 3))
    for f in (gp.posterior_variance, gp.ridge_coefficients, gp.information_gain_increment):
        with pytest.raises(ValueError, match="sigma=1e-200 is too small"):
            f(Z, np.ones(3), 1e-200)  # raw LinAlgError before
    # infinite noise: the posterior is the prior, k(z, z) = 1 for a unit z (was NaN from inf * 0)
    assert gp.posterior_variance(Z, np.ones(3), 1e200) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(ValueError, match="overflows float64 at sigma=1e\\+200"):
        gp.information_gain_increment_as_printed(Z, np.ones(3), 1e200)  # OverflowError before


@pytest.mark.parametrize("alpha", [1e-5, 1e-3, 0.5])
def test_skill_tail_equals_the_direct_sum_down_to_tiny_alpha(alpha):
    M, n = 1000, np.array([0, 5, 100, 999])
    p = skills.skill_law(alpha, M)
    direct = np.array([p[k:].sum() for k in n])
    np.testing.assert_allclose(skills.skill_tail_mass(n, alpha, M), direct, rtol=1e-6)


@pytest.mark.parametrize("alpha", [1e-300, 1e-16, 1e-12])
def test_an_alpha_float64_cannot_hold_is_refused_naming_alpha(alpha):
    with pytest.raises(ValueError, match="alpha=.* is too small for float64"):
        skills.skill_tail_mass(5, alpha, 1000)  # NaN before (1 + 1e-300 == 1)
    with pytest.raises(ValueError, match="alpha=1e-08 is too small for float64"):
        skills.skill_tail_mass(999, 1e-8, 1000)  # one term of 1e-3 from two zeta values of 1e8: 2e-5 off
    with pytest.raises(ValueError, match="alpha=.* is too small for float64"):
        skills.expected_conditional_entropy_infinite(np.array([1.0, 10.0]), alpha, 2.0, 1.0, 0.1)


def test_skill_law_memory_is_estimated_before_allocating():
    """M = 1e12 was a raw MemoryError; the estimate (26 bytes per skill) bounds the measured peak within 2x."""
    import time
    import tracemalloc

    M = 200_000
    tracemalloc.start()
    skills.skill_law(0.5, M)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= 26.0 * M <= 2 * peak
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"M=1000000000000 needs ~26 TB"):
        skills.skill_law(0.5, 10**12)
    assert time.perf_counter() - t0 < 1.0


def test_a_ridge_that_overflows_is_refused():
    with pytest.raises(ValueError, match="ridge=1e\\+308 overflows"):
        distances.regularize_covariance(1.5e308 * np.eye(2), 1e308)  # was a matrix of inf


def test_available_memory_respects_a_container_limit(monkeypatch):
    """Under a cgroup limit of 1 GB with 0.4 GB used, at most 0.6 GB is available whatever the host has."""
    import infogeo.validation as v

    files = {"/sys/fs/cgroup/memory.max": 10**9, "/sys/fs/cgroup/memory.current": 4 * 10**8}
    monkeypatch.setattr(v, "_read_int", files.get)
    assert v.available_memory() <= 6 * 10**8
    with pytest.raises(ValueError, match="M=100000000 needs ~2.6 GB .* but .* are available"):
        skills.skill_law(0.5, 10**8)
