"""Laws of the solver and the intervals behind the fitter (empirical.fit.solver, .intervals, .laws): recovery,
optimality, invariances, status, interval methods."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import least_squares

from empirical.fit.intervals import ar1_confidence
from empirical.fit.laws import fit_joint_law, fit_power_law, usable

X = np.geomspace(1e6, 1e9, 12)
PYTHIA_N = np.array([18915328, 85056000, 302311424, 805736448, 1208602624, 2517652480, 6444163072, 11327027200.0])


def _law(E, a, ratio, x=X):
    """E + A x^-a with the reducible part equal to ratio·E at the geometric middle of x."""
    xm = np.exp(np.log(x).mean())
    A = ratio * E * xm ** a
    return A, E + A * x ** -a


def _scipy_best_ssr(x, y):
    """The smallest SSR of log residuals scipy's bounded least squares finds from many starts."""
    z = np.log(x) - np.log(x).mean()

    def res(t):
        return np.log(y) - np.log(t[0] + t[1] * np.exp(-t[2] * z))

    best = np.inf
    for a0 in (0.05, 0.3, 1.0, 3.0):
        u = np.exp(-a0 * z)
        A0 = max(np.polyfit(u, y, 1)[0], 1e-6)
        r = least_squares(res, [max(y.min() - A0 * u.min(), 1e-6), A0, a0], bounds=([0, 0, 1e-3], [np.inf, np.inf, 5]),
                          xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=5000)
        best = min(best, 2 * r.cost)
    return best


params = st.tuples(st.floats(0.5, 3.0), st.floats(0.2, 1.0), st.floats(0.5, 3.0))


@given(params)
def test_noiseless_data_recovered(p):
    E, a, ratio = p
    A, y = _law(E, a, ratio)
    f = fit_power_law(X, y, n_boot=0)
    assert f.status == "ok" and f.diagnostics["converged"]
    assert f.params["a"] == pytest.approx(a, rel=1e-5)
    assert f.params["E"] == pytest.approx(E, rel=1e-5)
    assert f.params["A"] == pytest.approx(A, rel=1e-4)


@settings(max_examples=8)
@given(params, st.integers(0, 2**31 - 1))
def test_estimate_is_the_minimiser_of_the_stated_objective(p, seed):
    """No start of scipy's bounded least squares on the same log residuals finds a lower SSR (1e-7 relative)."""
    E, a, ratio = p
    _, y = _law(E, a, ratio)
    y = y * np.exp(np.random.default_rng(seed).normal(0, 0.02, y.size))
    f = fit_power_law(X, y, n_boot=0)
    assert f.diagnostics["ssr"] <= _scipy_best_ssr(X, y) * (1 + 1e-7) + 1e-15
    assert f.diagnostics["ssr"] == pytest.approx(float(np.sum(np.log(y / f.predict(X)) ** 2)), rel=1e-12)


@settings(max_examples=10)
@given(params, st.floats(-12, 12))
def test_unit_of_x_and_row_order_do_not_matter(p, log10_c):
    E, a, ratio = p
    _, y = _law(E, a, ratio)
    y = y * np.exp(np.random.default_rng(1).normal(0, 0.01, y.size))
    c = 10.0 ** log10_c
    f1 = fit_power_law(X, y, n_boot=50, seed=3)
    perm = np.random.default_rng(2).permutation(X.size)
    f2 = fit_power_law(X[perm] * c, y[perm], n_boot=50, seed=3)
    assert f2.params["a"] == pytest.approx(f1.params["a"], rel=1e-6)
    assert f2.params["E"] == pytest.approx(f1.params["E"], rel=1e-6)
    assert f2.params["A"] == pytest.approx(f1.params["A"] * c ** f1.params["a"], rel=1e-5)  # A·x^-a is unit-free
    assert f2.intervals["a"] == pytest.approx(f1.intervals["a"], rel=1e-5)


def test_same_seed_same_bytes_and_seed_matters():
    _, y = _law(1.5, 0.4, 1.0)
    y = y * np.exp(np.random.default_rng(0).normal(0, 0.02, y.size))
    for interval, resample in (("profile", "residual"), ("profile-boot", "ar1"), ("percentile", "block")):
        f1 = fit_power_law(X, y, interval=interval, resample=resample, n_boot=100, seed=7)
        f2 = fit_power_law(X, y, interval=interval, resample=resample, n_boot=100, seed=7)
        f3 = fit_power_law(X, y, interval=interval, resample=resample, n_boot=100, seed=8)
        assert f1.boot.tobytes() == f2.boot.tobytes() and f1.refits.tobytes() == f2.refits.tobytes()
        assert f1.intervals == f2.intervals
        assert f1.refits.tobytes() != f3.refits.tobytes()


def test_profile_limits_are_where_the_profile_crosses_the_t_level():
    """At each profile-t limit, min over (E, A) of SSR with a held there (scipy, independently) exceeds the
    minimum by t²_{n-3}·s², s² = SSR/(n−3)."""
    x = PYTHIA_N
    y = (0.95 + 1814.4 * x ** -0.3626) * np.exp(np.random.default_rng(4).normal(0, 0.02, x.size))
    f = fit_power_law(x, y, n_boot=0)
    n = x.size
    s2 = f.diagnostics["ssr"] / (n - 3)
    t = stats.t.ppf(0.975, n - 3)
    for a_lim in f.intervals["a"]:
        def res(t2, a_lim=a_lim):
            return np.log(y) - np.log(t2[0] + t2[1] * x ** -a_lim)
        best = min(2 * least_squares(res, [E0, (y.max() - E0) * x.min() ** a_lim], bounds=([0, 0], [np.inf, np.inf]),
                                     xtol=1e-15, ftol=1e-15, gtol=1e-15).cost
                   for E0 in (0.0, 0.5 * y.min(), 0.9 * y.min()))
        assert (best - f.diagnostics["ssr"]) / s2 == pytest.approx(t ** 2, rel=1e-4)


@pytest.mark.parametrize("interval", ["profile", "profile-boot", "studentized", "percentile"])
def test_draws_reproduce_the_intervals(interval):
    """The percentile interval of each exponent's draws is the reported interval (so paired draws carry it)."""
    x = PYTHIA_N
    y = (0.95 + 1814.4 * x ** -0.3626) * np.exp(np.random.default_rng(5).normal(0, 0.02, x.size))
    f = fit_power_law(x, y, interval=interval, n_boot=400, seed=1)
    lo, hi = f.intervals["a"]
    q = np.quantile(f.boot_frame()["a"], [0.025, 0.975])
    assert q == pytest.approx([lo, hi], abs=0.02 * (hi - lo))
    band_lo, band_hi = f.band(x)
    assert np.all(band_lo <= f.predict(x) + 1e-12) and np.all(f.predict(x) <= band_hi + 1e-12)


def test_constant_loss_is_no_power_law():
    for y in (np.full(X.size, 2.5), 2.5 * np.exp(np.random.default_rng(0).normal(0, 0.01, X.size))):
        f = fit_power_law(X, y, n_boot=200)
        assert f.status == "no_power_law" and not f.diagnostics["converged"]
        assert np.isnan(f.intervals["a"][0])
        assert not usable(f, "a")[0]


def test_rising_loss_is_no_power_law():
    """A rising loss, and a loss that drops once and then rises for the rest of the range (least-squares slope
    of log L on log x > 0; the fit would put a steep term on the first point), are no power law."""
    x = np.geomspace(1.0, 100.0, 10)
    for y in (2.0 + 1e-3 * np.log(X), np.r_[2.6, 2.0, np.linspace(2.05, 2.4, 8)]):
        xx = X if y.size == X.size else x
        assert np.polyfit(np.log(xx), np.log(y), 1)[0] > 0
        f = fit_power_law(xx, y, n_boot=0)
        assert f.status == "no_power_law" and not f.diagnostics["converged"]


def test_exponent_on_its_bound_is_not_converged():
    """A truth steeper than the upper bound (a = 8) pins a at 5: status at_bound, never converged."""
    x = np.geomspace(1.0, 20.0, 10)
    y = 2.0 + 50.0 * x ** -8.0
    f = fit_power_law(x, y, n_boot=100)
    assert f.params["a"] == pytest.approx(5.0)
    assert f.status == "at_bound" and not f.diagnostics["converged"]
    assert "a" in f.diagnostics["at_bound"].split(",")
    assert not usable(f, "a")[0]


def test_E_at_zero_is_at_bound():
    """A pure power law (E = 0) with noise drives E to its bound 0 in most draws; those fits are not converged."""
    y0 = 3.0 * X ** -0.1
    hits = 0
    for s in range(5):
        f = fit_power_law(X, y0 * np.exp(np.random.default_rng(s).normal(0, 0.01, X.size)), n_boot=0)
        if f.params["E"] == 0.0:
            hits += 1
            assert f.status == "at_bound" and not f.diagnostics["converged"] and "E" in f.diagnostics["at_bound"]
    assert hits >= 1


def test_refits_on_a_bound_are_counted_and_make_the_fit_unusable():
    """A steep term that only the first points see (a = 3, amplitude 0.5 on a loss of 2, 2% noise): a share of
    the refits lands on a = 5; they are counted (the status fractions add up to 1) and the usability rule
    refuses the fit when they exceed 10%."""
    x = np.geomspace(1.0, 30.0, 10)
    y = (2.0 + 0.5 * x ** -3.0) * np.exp(np.random.default_rng(2).normal(0, 0.02, x.size))
    f = fit_power_law(x, y, n_boot=300)
    d = f.diagnostics
    assert d["boot_at_bound_frac"] > 0.1
    fr = d["boot_ok_frac"] + d["boot_at_bound_frac"] + d["boot_no_power_law_frac"] + (1 - d["boot_converged_frac"])
    assert fr == pytest.approx(1.0)
    assert np.mean(f.refit_status == "at_bound") == pytest.approx(d["boot_at_bound_frac"])
    ok, reason = usable(f, "a")
    assert not ok and "refits" in reason


def test_joint_law_recovered_and_profile_interval_covers():
    N = np.repeat(np.geomspace(7e7, 1.6e10, 6), 8)
    D = np.tile(np.geomspace(5e9, 5e11, 8), 6)
    truth = {"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28}
    L = truth["E"] + truth["A"] / N ** truth["alpha"] + truth["B"] / D ** truth["beta"]
    f = fit_joint_law(N, D, L, n_boot=0)
    assert f.status == "ok"
    for k, v in truth.items():
        assert f.params[k] == pytest.approx(v, rel=1e-4)
    fn = fit_joint_law(N, D, L * np.exp(np.random.default_rng(0).normal(0, 0.01, L.size)), n_boot=0)
    for k in ("alpha", "beta"):
        lo, hi = fn.intervals[k]
        assert lo < fn.params[k] < hi


def test_ar1_confidence_median_is_median_unbiased():
    """For AR(1) errors (ρ = 0.6) behind residuals of a 3-column fit on 15 points, the median of the confidence
    distribution falls below the true ρ in about half of 120 draws (binomial 99% region), whereas the raw lag-1
    autocorrelation of the residuals falls below it almost always."""
    n, rho = 15, 0.6
    t = np.linspace(-1, 1, n)
    J = np.column_stack([np.ones(n), np.exp(-0.5 * t), t * np.exp(-0.5 * t)])
    M = np.eye(n) - J @ np.linalg.pinv(J.T @ J) @ J.T
    L = np.linalg.cholesky(rho ** np.abs(np.subtract.outer(np.arange(n), np.arange(n))))
    rng = np.random.default_rng(0)
    below = raw_below = 0
    draws = 120
    for _ in range(draws):
        r = M @ (L @ rng.standard_normal(n))
        grid, C = ar1_confidence(r, J, sims=200)
        below += np.interp(0.5, C + np.arange(C.size) * 1e-12, grid) < rho
        raw_below += (r[1:] @ r[:-1]) / (r @ r) < rho
    lo, hi = stats.binom.ppf([0.005, 0.995], draws, 0.5)
    assert lo <= below <= hi
    assert raw_below > hi


@pytest.mark.parametrize("kwargs, match", [
    ({"interval": "bca"}, "interval"), ({"resample": "pairs"}, "resample"), ({"n_boot": -1}, "n_boot"),
    ({"interval": "percentile", "n_boot": 5}, "n_boot"), ({"conf": 95}, "conf"), ({"seed": 1.5}, "seed"),
    ({"block": 0}, "block"), ({"widen": 0.5}, "widen"),
])
def test_bad_options_name_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fit_power_law(X, _law(1.0, 0.5, 1.0)[1], **kwargs)


def test_bad_data_name_the_argument():
    y = _law(1.0, 0.5, 1.0)[1]
    with pytest.raises(ValueError, match="steps"):
        fit_power_law(-X, y, x_name="steps")
    with pytest.raises(ValueError, match="loss"):
        fit_power_law(X, np.r_[y[:-1], np.nan], y_name="loss")
    with pytest.raises(ValueError, match="same length"):
        fit_power_law(X[:-1], y)
    with pytest.raises(ValueError, match="distinct"):
        fit_power_law(np.r_[X[:2], X[:2]], y[:4])
    with pytest.raises(ValueError, match="tokens"):
        fit_joint_law(np.r_[X[:6]], np.ones(6), y[:6], names=("params", "tokens", "loss"))
