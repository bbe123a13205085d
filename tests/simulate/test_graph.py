"""Skill graph (Section 3, Figure 2): degrees follow the law; alpha comes back."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import simulate
from theory import skills as th


def test_graph_shape_degrees_and_sparsity():
    g = simulate.skill_graph(0.5, 1000, 20_000, n_texts=3000, seed=2)
    A = g.adjacency
    assert A.shape == (3000, 1000) and A.nnz == 20_000
    assert g.degrees.sum() == 20_000
    assert np.array_equal(g.degrees, np.asarray(A.sum(axis=0)).ravel())


def test_degrees_follow_the_law_on_average():
    M, E = 200, 2_000_000
    p = th.skill_law(0.7, M)
    g = simulate.skill_graph(0.7, M, E, seed=5)
    z = (g.degrees - E * p) / np.sqrt(E * p * (1 - p))
    assert abs(z.mean()) < 4 / np.sqrt(M) and 0.7 < z.std() < 1.3


@given(st.floats(0.1, 3.0))
def test_degree_exponent_conversion_round_trips(alpha):
    g = simulate.degree_exponent_from_alpha(alpha)
    assert 1 < g < 2
    assert simulate.alpha_from_degree_exponent(g) == pytest.approx(alpha, rel=1e-12)
    # the conversion goes through theory's Zipf exponent s = alpha + 1
    assert g == pytest.approx(1 + 1 / th.zipf_exponent_from_alpha(alpha), rel=1e-15)


@pytest.mark.parametrize("alpha", [0.3, 0.5, 1.0])
def test_alpha_recovered_within_its_interval(alpha, full_scale):
    M, E = (10**6, 10**7) if full_scale else (10**5, 2 * 10**6)
    g = simulate.skill_graph(alpha, M, E, seed=11)
    f = simulate.fit_alpha(g.degrees)
    assert f.ci_low <= alpha <= f.ci_high
    assert f.ci_high - f.ci_low < 0.3 * alpha  # informative, not vacuous
    # our pure discrete power-law MLE agrees with the powerlaw package on the same tail
    assert f.gamma_power == pytest.approx(f.powerlaw_gamma, abs=2e-3)


def test_fit_alpha_validates():
    with pytest.raises(ValueError, match="integers"):
        simulate.fit_alpha([1.5, 2, 3] * 30)
    with pytest.raises(ValueError, match="min_tail"):
        simulate.fit_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="model"):
        simulate.fit_alpha(np.arange(1, 100), model="lognormal")
