"""Laws that tie the three layers together: theory <-> simulate, theory <-> empirical, simulate <-> empirical."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import simulate
from empirical import fit as fitting
from empirical.fit.methods import ANALYSIS_METHODS
from empirical.measure import metrics
from theory import distances as DI
from theory import entropy as E
from theory import gp as G
from theory import skills as SK

seeds = st.integers(0, 2**32 - 1)

# --- theory <-> simulate ------------------------------------------------------------------------------

#: Relative tolerance on a simulated exponent against theory: the fit window keeps n well below M, and the
#: finite-M offset is modelled, so the remaining error is discretization of the sums (a few tenths of a percent).
SIM_TOL = 0.03

#: the exponents of H(X|Y) - C, derived by hand: skill k costs k^c flops (c = alpha + 1 for cost 1/p, 0 for a constant
#: cost); sequential learning spends S ~ n^(c+1), so S^-alpha/(c+1); skills and parameters (N = r n) give n^-alpha.
HAND_DERIVED = {
    ("sequential", "inverse_p", "flops"): lambda a: a / (a + 2),
    ("parallel", "inverse_p", "flops"): lambda a: a / (a + 1),
    ("sequential", "constant", "flops"): lambda a: a,
    ("sequential", "inverse_p", "skills"): lambda a: a,
    ("sequential", "inverse_p", "params"): lambda a: a,
}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(0.3, 1.5), st.sampled_from([("sequential", "inverse_p", "flops"), ("parallel", "inverse_p", "flops"),
                                              ("sequential", "constant", "flops"),
                                              ("sequential", "inverse_p", "skills"),
                                              ("sequential", "inverse_p", "params")]))
def test_simulated_exponent_matches_theory(alpha, combo):
    order, cost, axis = combo
    a = simulate.Assumptions(law=simulate.PowerLaw(alpha), M=200_000, order=order, cost=cost)
    df = simulate.exponents(a, axes=(axis,), n_boot=0, seed=0)
    row = df[df["axis"] == axis].iloc[0]
    predicted = HAND_DERIVED[combo](alpha)  # Lemma 3.6, Theorems 3.7 and 3.8, derived by hand (docs/simulate.md)
    assert row["predicted"] == pytest.approx(predicted, rel=1e-12)
    assert row["fitted"] == pytest.approx(predicted, rel=SIM_TOL)


@settings(max_examples=5, deadline=None)
@given(st.floats(0.3, 1.2))
def test_simulated_frontier_matches_theory(alpha):
    a = simulate.Assumptions(law=simulate.PowerLaw(alpha), M=200_000, order="parallel")
    row = simulate.exponents(a, axes=("frontier",), n_boot=0).iloc[0]
    assert row["fitted"] == pytest.approx(alpha / (alpha + 2), rel=SIM_TOL)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.2, 2.0), st.integers(50, 5000), st.sampled_from(["sequential", "parallel"]))
def test_expected_trajectory_is_theorys_closed_form(alpha, M, order):
    a = simulate.Assumptions(law=simulate.PowerLaw(alpha), M=M, order=order, B=2.0, C=1.0, delta=0.1)
    traj = simulate.run(a, mode="expected", points=50)
    closed = SK.expected_conditional_entropy(traj.S, SK.skill_law(alpha, M), 2.0, 1.0, 0.1, order=order)
    np.testing.assert_allclose(traj.H, closed, rtol=1e-9, atol=1e-12)


# --- theory <-> empirical ----------------------------------------------------------------------------------

@given(seeds, st.integers(2, 60), st.integers(1, 40), st.floats(1e-2, 2.0))
def test_engine_increments_are_the_schur_form(seed, T, d, sigma):
    Z = np.random.default_rng(seed).normal(size=(T, d))
    curve = metrics.info_gain_curve(Z, sigma)
    U = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    for t in range(1, T):
        assert curve["increment"][t] == pytest.approx(G.information_gain_increment(U[:t], U[t], sigma),
                                                      rel=1e-8, abs=1e-12)
    assert curve["info_gain"][-1] == pytest.approx(G.information_gain(U @ U.T, sigma), rel=1e-10)


@given(seeds, st.integers(2, 40), st.data(), st.floats(0.05, 1.0))
def test_engine_entropy_is_equation_1_on_r_subspaces(seed, d, data, eps):
    r = data.draw(st.integers(1, d))
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, r)))
    Z = np.repeat(Q.T, data.draw(st.integers(1, 3)), axis=0) * data.draw(st.floats(0.1, 10))  # engine normalizes rows
    got = metrics.entropy_measures(Z, eps)["L_eps_normalized"]
    assert got == pytest.approx(E.equal_singular_value_normalized_entropy(r, d, eps), rel=1e-9)


@given(seeds, st.integers(2, 12), st.integers(2, 12), st.integers(2, 8))
def test_engine_js_distance_reaches_the_frobenius_limit_at_theorys_order(seed, na, nb, d):
    rng = np.random.default_rng(seed)
    Za, Zb = rng.normal(size=(na, d)), rng.normal(size=(nb, d))
    U = [Z / np.linalg.norm(Z, axis=1, keepdims=True) for Z in (Za, Zb)]
    fro = np.linalg.norm(DI.token_covariance(U[0]) - DI.token_covariance(U[1]), "fro")
    assume(fro >= 1e-6)  # equal covariances have no first-order term to compare with
    # Corrected Theorem A.1: d_JS = gamma ||A - B||_F / sqrt 8 + O(gamma^2), so the relative error is O(gamma):
    # halving gamma must (asymptotically) halve it.
    g = 1e-3
    rel = [abs(metrics.sentence_distance(Za, Zb, "js", gamma=x) / (x * fro / np.sqrt(8)) - 1) for x in (g, g / 2)]
    assert rel[0] < 10 * g
    assert rel[1] == pytest.approx(rel[0] / 2, rel=0.05, abs=1e-9)


# --- simulate <-> empirical ----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("alpha, order", [(0.5, "sequential"), (0.8, "parallel")])
def test_fitter_recovers_the_simulated_exponent(alpha, order, full_scale):
    """Data simulated under a known assumption, with 0.05% multiplicative noise, passed through the fitter and
    interval method the steps analysis uses (``ANALYSIS_METHODS["steps"]``): the mean estimate is within three
    standard errors of the simulated exponent (no bias beyond sampling error), and the 95% intervals cover it in
    at least 75% of the draws (a loose floor for a 95% interval
    checked on few draws: 12 here, 60 with INFOGEO_FULL=1)."""
    draws = 60 if full_scale else 12
    est, covered = [], 0
    for s in range(draws):
        df = simulate.simulate_loss_curve(alpha, order, M=200_000, points=30, noise=5e-4, seed=s)
        truth = df.attrs["predicted_exponent"]
        fit = fitting.fit_power_law(df["x"], df["loss"], n_boot=200, seed=s, **ANALYSIS_METHODS["steps"]["fit"])
        lo, hi = fit.intervals["a"]
        covered += lo <= truth <= hi
        est.append(fit.params["a"])
    se = np.std(est, ddof=1) / np.sqrt(draws)
    assert abs(np.mean(est) - truth) <= 3 * se + 1e-3 * truth, (np.mean(est), truth, se)
    assert covered >= 0.75 * draws, f"coverage {covered}/{draws}"


def test_fitter_recovers_noise_free_simulation_exactly():
    df = simulate.simulate_loss_curve(0.5, "sequential", M=200_000, points=30, noise=0.0)
    fit = fitting.fit_power_law(df["x"], df["loss"], n_boot=0)
    assert fit.params["a"] == pytest.approx(df.attrs["predicted_exponent"], rel=1e-3)
