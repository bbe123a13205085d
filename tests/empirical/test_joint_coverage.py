"""Coverage of the joint law's bootstrap intervals (L = E + A/N^α + B/D^β) on synthetic data of known truth."""
import numpy as np
import pytest

from empirical.fit.fitter import fit_joint_law


@pytest.mark.slow
def test_joint_law_intervals_cover_the_truth(full_scale):
    """A 6 x 6 grid of (N, D), 1% multiplicative noise: the 95% intervals of α and β cover the true values in at
    least 75% of the draws (a loose floor for few draws: 16 here, 80 with INFOGEO_FULL=1), and the mean estimates
    sit within three standard errors of the truth."""
    draws = 80 if full_scale else 16
    N = np.repeat(np.logspace(7, 10, 6), 6)
    D = np.tile(np.logspace(9, 12, 6), 6)
    truth = {"alpha": 0.34, "beta": 0.28}
    L = 1.7 + 400.0 / N ** truth["alpha"] + 1800.0 / D ** truth["beta"]
    covered = {k: 0 for k in truth}
    est = {k: [] for k in truth}
    for s in range(draws):
        y = L * np.exp(0.01 * np.random.default_rng(s).standard_normal(L.size))
        fit = fit_joint_law(N, D, y, n_boot=100, seed=s)
        assert fit.diagnostics["converged"] and fit.diagnostics["boot_converged_frac"] >= 0.9
        for k, v in truth.items():
            lo, hi = fit.intervals[k]
            covered[k] += lo <= v <= hi
            est[k].append(fit.params[k])
    for k, v in truth.items():
        assert covered[k] >= 0.75 * draws, (k, covered[k], draws)
        se = np.std(est[k], ddof=1) / np.sqrt(draws)
        assert abs(np.mean(est[k]) - v) <= 3 * se + 1e-3, (k, np.mean(est[k]), v, se)
