"""Bounded coverage study (empirical.fit.coverage): the chosen intervals hit 95% within a two-sided binomial band.

The band is the 99% acceptance region of Binomial(draws, 0.95), computed. It
is two-sided only from about 110 draws on (at 100 draws its upper end is 100),
so CI runs 400 draws of the cheap 8-size design (profile-t, no refits) and 150
of the steps design (200 refits each); INFOGEO_FULL=1 runs 400 draws with 1000
refits. The same draws, with the intervals narrowed as a known mistake would
narrow them, or widened, must fall outside the band.
"""
import numpy as np
import pytest
from scipy import stats

from empirical.fit.coverage import binomial_band, make_design, run_study, summarize


@pytest.fixture(scope="module")
def steps_sizes(full_scale):
    return (400, 1000) if full_scale else (150, 200)


def _covered(df, method, factor=None):
    """Covering draws of ``method``: read from the fitter's own limits, or (``factor``) from the smallest
    covering widening c of each draw (the interval widened or narrowed by ``factor`` covers iff c ≤ factor)."""
    g = df[df["method"] == method]
    assert g["ci_low"].notna().all() and g["ci_high"].notna().all(), "every draw must have an interval"
    if factor is None:
        hit = (g["ci_low"] <= g["pseudo_true"]) & (g["pseudo_true"] <= g["ci_high"])
        return int(hit.sum()), len(g)
    return int(np.sum(g["c_pseudo"].to_numpy(float) <= factor)), len(g)


def _factors_agree_with_limits(df, method):
    """The covering factors (computed in the study from R at the truth) tell the same story as the limits."""
    g = df[df["method"] == method]
    hit = (g["ci_low"] <= g["pseudo_true"]) & (g["pseudo_true"] <= g["ci_high"])
    assert np.array_equal(hit.to_numpy(), g["c_pseudo"].to_numpy() <= 1.0)


def test_binomial_band_is_the_99_percent_acceptance_region():
    for n in (100, 150, 400):
        lo, hi = binomial_band(n)
        assert stats.binom.cdf(lo - 1, n, 0.95) <= 0.005 < stats.binom.cdf(lo, n, 0.95)
        assert stats.binom.sf(hi, n, 0.95) <= 0.005 < stats.binom.sf(hi - 1, n, 0.95)
        assert (hi < n) == (n >= 110)  # two-sided only with enough draws


def test_pseudo_true_equals_generating_when_the_model_is_right():
    for name in ("params8", "steps15-r5", "joint250"):
        d = make_design(name, "well")
        for k, v in d.generating.items():
            assert d.pseudo[k] == pytest.approx(v, rel=1e-5)


@pytest.mark.slow
def test_profile_t_covers_on_the_8_size_design():
    """8 Pythia sizes, iid 2% log noise: the profile-t 95% interval of a covers the truth at 95% (band);
    the same intervals built with the normal quantile instead of t_5 (×1.96/2.571) fall below the band, and
    widened ×1.6 they fall above it. (With s² = SSR/n instead of SSR/(n−3), ×√(5/8), they sit on the band's
    lower edge at 400 draws: this bounded test cannot tell that mistake apart.)"""
    draws = 400
    df = run_study(["params8"], ["well"], draws=draws, n_boot=0, methods=(("profile", None),), progress=False)
    lo, hi = binomial_band(draws)
    k, n = _covered(df, "profile")
    assert lo <= k <= hi, (k, n, lo, hi)
    _factors_agree_with_limits(df, "profile")
    assert _covered(df, "profile", stats.norm.ppf(0.975) / stats.t.ppf(0.975, 5))[0] < lo
    assert _covered(df, "profile", 1.6)[0] > hi


@pytest.mark.slow
def test_ar1_bootstrap_covers_on_the_steps_design(steps_sizes):
    """15 Pythia checkpoints, AR(1) log errors with ρ = 0.5: the bootstrap-calibrated profile-t with AR(1)
    worlds covers at 95% (band), where the iid percentile bootstrap of the old route falls below the band."""
    draws, n_boot = steps_sizes
    methods = (("profile-boot", "ar1"), ("percentile", "residual"))
    df = run_study(["steps15-r5"], ["well"], draws=draws, n_boot=n_boot, methods=methods, progress=False)
    lo, hi = binomial_band(draws)
    k, n = _covered(df, "profile-boot/ar1")
    assert lo <= k <= hi, (k, n, lo, hi)
    _factors_agree_with_limits(df, "profile-boot/ar1")
    assert _covered(df, "percentile/residual")[0] < lo
    table = summarize(df)
    row = table[table["method"] == "profile-boot/ar1"].iloc[0]
    assert row["coverage"] == pytest.approx(k / n) and row["mc_se"] == pytest.approx(np.sqrt(k / n * (1 - k / n) / n))


def test_the_study_cli_goes_through_the_runner(tmp_path, capsys):
    """Bad options are one usage line (exit 2); a tiny run prints the table and writes both CSVs."""
    from empirical.fit.coverage import main

    assert main(["--draws", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m empirical.fit.coverage: error: ") and "--draws" in err and "\n" not in err
    (tmp_path / "f").write_text("")
    assert main(["--out", str(tmp_path / "f"), "--draws", "1"]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["--design", "params8", "--spec", "well", "--draws", "2", "--n-boot", "20", "--quiet",
                 "--out", str(tmp_path / "o")]) == 0
    assert "| params8 |" in capsys.readouterr().out
    assert (tmp_path / "o" / "coverage.csv").exists() and (tmp_path / "o" / "draws.csv").exists()
