"""The exponent estimator: recovery of known exponents, finite-M offset, intervals."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulate import default_window, fit_exponent, replicate_interval


@given(st.floats(0.05, 3.0), st.floats(0.0, 0.9), st.floats(0.1, 10.0))
def test_offset_form_recovers_exponent_exactly(a, frac, A):
    x = np.geomspace(1.0, 1e6, 150)
    # offset b chosen as a fraction of the smallest signal so y > 0 everywhere
    b = frac * A * x[-1] ** -a
    y = A * x ** -a - b
    fit = fit_exponent(x, y, n_boot=0)
    assert fit.exponent == pytest.approx(a, rel=1e-6)
    assert fit.b == pytest.approx(b, rel=1e-4, abs=1e-9 * A)


@given(st.floats(0.05, 3.0), st.floats(0.1, 0.9))
def test_pure_fit_is_biased_by_an_offset_and_offset_fit_is_not(a, frac):
    x = np.geomspace(1.0, 1e4, 100)
    y = x ** -a - frac * x[-1] ** -a
    pure = fit_exponent(x, y, estimator="pure", n_boot=0).exponent
    off = fit_exponent(x, y, n_boot=0).exponent
    assert pure > a  # an offset steepens the log-log curve
    assert abs(off - a) < abs(pure - a)


def test_block_bootstrap_interval_covers_truth_under_noise():
    rng = np.random.default_rng(0)
    x = np.geomspace(10, 1e5, 120)
    covered = 0
    for i in range(20):
        y = 2.0 * x ** -0.4 * np.exp(0.01 * rng.standard_normal(x.size))
        f = fit_exponent(x, y, n_boot=100, block=1, seed=i)
        covered += f.ci_low <= 0.4 <= f.ci_high
        assert f.ci_low <= f.exponent <= f.ci_high
    assert covered >= 16  # nominal 95%; binomial(20, 0.95) >= 16 w.p. > 0.99


def test_window_and_inputs_are_validated():
    x = np.geomspace(1, 100, 20)
    with pytest.raises(ValueError, match="usable points"):
        fit_exponent(x, x ** -0.5, window=(1, 2))
    with pytest.raises(ValueError, match="estimator"):
        fit_exponent(x, x ** -0.5, estimator="magic")
    with pytest.raises(ValueError, match="same shape"):
        fit_exponent(x, x[:-1])
    with pytest.raises(ValueError, match="x must be > 0"):
        fit_exponent(x - 5, x)
    with pytest.raises(ValueError, match="replicates"):
        replicate_interval([0.5])


def test_default_window_is_inside_the_skills():
    assert default_window(10**6) == (100, 100_000)
    lo, hi = default_window(50)
    assert 1 <= lo < hi <= 50


def test_a_fit_that_does_not_converge_is_refused(monkeypatch):
    import types

    import pytest
    from scipy import optimize

    from simulate import fitting as F

    x = np.geomspace(1, 1e4, 40)
    y = 3.0 * x**-0.4 - 0.01
    real = optimize.least_squares

    def exhausted(*args, **kwargs):
        sol = real(*args, **kwargs)
        return types.SimpleNamespace(x=sol.x, status=0, message="budget exhausted")

    monkeypatch.setattr(F.optimize, "least_squares", exhausted)
    with pytest.raises(ValueError, match="did not converge"):
        F.fit_exponent(x, y, n_boot=0)
    monkeypatch.setattr(F.optimize, "least_squares", real)
    assert F.fit_exponent(x, y, n_boot=0).exponent == pytest.approx(0.4, rel=1e-6)


@given(st.floats(0.1, 2.0), st.floats(0.0, 0.8), st.floats(0.002, 0.05), st.integers(0, 2**31 - 1),
       st.sampled_from(["offset", "pure"]))
def test_bootstrap_refits_at_once_reach_the_minimum_each_single_refit_reaches(a, frac, noise, seed, estimator):
    """The block bootstrap refits every resample at once (a batched Levenberg-Marquardt); each refit lands on the
    minimum scipy's least_squares (the single-fit solver, run once per resample from the same start) finds: a cost
    no higher (to 1e-12 relative) and the same exponent to 1e-8 (the minimum can be that flat along the exponent:
    seen, two solvers 1e-9 apart at costs equal to 1e-16)."""
    from simulate import fitting as F

    rng = np.random.default_rng(seed)
    x = np.geomspace(10, 1e5, 60)
    y = 2.0 * x ** -a - frac * 2.0 * x[-1] ** -a
    lx, ly = np.log(x), np.log(y * np.exp(noise * rng.standard_normal(x.size)))
    theta = F._fit_once(lx, ly, estimator)
    fitted = np.log(F._model(theta, lx))
    res = ly - fitted
    idx = np.stack([rng.permutation(x.size) for _ in range(30)])  # resamples of the residuals
    batched = F._refit_exponents(lx, fitted + res[idx], estimator, theta)
    single = np.array([F._fit_once(lx, fitted + res[i], estimator, start=theta)[1] for i in idx])
    np.testing.assert_allclose(batched, single, rtol=0, atol=1e-8)
    if estimator == "offset":
        scale = float(np.min(np.exp(fitted + res[idx])))
        full = F._batched_lm(lx, fitted + res[idx], np.array([theta[0], theta[1], theta[2] / scale]), scale)
        full[:, 2] *= scale
        for t, i in zip(full, idx):
            cost = [np.sum((np.log(F._model(u, lx)) - fitted - res[i]) ** 2)
                    for u in (t, F._fit_once(lx, fitted + res[i], estimator, start=theta))]
            assert cost[0] <= cost[1] * (1 + 1e-12)
