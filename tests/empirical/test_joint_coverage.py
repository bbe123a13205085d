"""Coverage of the joint law's profile-t intervals (L = E + A/N^α + B/D^β) on synthetic data of known truth."""
import numpy as np
import pytest

from empirical.fit import fit_joint_law
from empirical.fit.coverage import binomial_band


@pytest.mark.slow
def test_joint_law_intervals_cover_the_truth_two_sided(full_scale):
    """A 6 x 6 grid of (N, D), 1% multiplicative noise, a well-specified model: the 95% profile-t intervals of α
    and β cover the true values a number of times inside the 99% binomial acceptance band around 95% (too few is
    under-coverage, too many an interval wider than it claims), and the mean estimates sit within three standard
    errors of the truth. 200 draws (about 5 s); 1000 with INFOGEO_FULL=1."""
    draws = 1000 if full_scale else 200
    N = np.repeat(np.logspace(7, 10, 6), 6)
    D = np.tile(np.logspace(9, 12, 6), 6)
    truth = {"alpha": 0.34, "beta": 0.28}
    L = 1.7 + 400.0 / N ** truth["alpha"] + 1800.0 / D ** truth["beta"]
    covered = {k: 0 for k in truth}
    est = {k: [] for k in truth}
    for s in range(draws):
        y = L * np.exp(0.01 * np.random.default_rng(s).standard_normal(L.size))
        fit = fit_joint_law(N, D, y, n_boot=0, seed=s)
        assert fit.diagnostics["converged"], fit.status
        for k, v in truth.items():
            lo, hi = fit.intervals[k]
            covered[k] += lo <= v <= hi
            est[k].append(fit.params[k])
    lo_band, hi_band = binomial_band(draws)
    for k, v in truth.items():
        assert lo_band <= covered[k] <= hi_band, (k, covered[k], draws, (lo_band, hi_band))
        se = np.std(est[k], ddof=1) / np.sqrt(draws)
        assert abs(np.mean(est[k]) - v) <= 3 * se + 1e-3, (k, np.mean(est[k]), v, se)
