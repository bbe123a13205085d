"""The verdict rules of docs/statistics.md ("Verdict rules"), each on synthetic inputs whose answer is known.

Each test would fail if its rule were removed: the width rule (width < gap, not 2·gap), hi/lo ≤ 3 for
params, the α gate, usable-only summaries, fragile across windows, and 'no power law' for a flat or rising loss.
"""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from empirical.fit import laws
from empirical.fit.analyses import run_analyses
from empirical.fit.methods import ANALYSIS_METHODS, study_table
from empirical.fit.verdicts import (
    VERDICTS,
    WINDOW_COLUMNS,
    compare,
    fit_problem,
    params_verdict,
    with_summaries,
    with_window_agreement,
)
from theory.skills import predicted_exponent

ALPHA = 0.4
SEQ, PAR = predicted_exponent(ALPHA, "flops", order="sequential"), predicted_exponent(ALPHA, "flops", order="parallel")
GAP = abs(PAR - SEQ)


def _compare(center, sd, alpha_verdict="consistent", alpha_sd=1e-4):
    rng = np.random.default_rng(0)
    draws = center + sd * rng.standard_normal(4000)
    alpha_draws = ALPHA + alpha_sd * rng.standard_normal(4000)
    return compare(center, draws, alpha_draws, "flops", "sequential", ALPHA, np.random.default_rng(1), GAP, "",
                   alpha_verdict=alpha_verdict)


def test_width_rule_interval_at_least_the_gap_is_uninformative():
    # a 95% interval of width ~1.5·gap around the sequential prediction contains both predictions' neighbourhood
    # of 0: the old rule (width < 2·gap) called it consistent; the rule is width < gap
    wide = _compare(SEQ, 1.5 * GAP / (2 * 1.96))
    assert wide["diff_low"] < 0 < wide["diff_high"] and wide["diff_high"] - wide["diff_low"] > GAP
    assert wide["verdict"] == "uninformative" and "uninformative interval" in wide["reason"]
    narrow = _compare(SEQ, 0.5 * GAP / (2 * 1.96))
    assert narrow["diff_high"] - narrow["diff_low"] < GAP and narrow["verdict"] == "consistent"


def test_interval_excluding_zero_is_inconsistent_whatever_its_width():
    far = _compare(SEQ + 3 * GAP, 1.2 * GAP / (2 * 1.96))
    assert far["diff_low"] > 0 and far["verdict"] == "inconsistent"
    # directional: a fitted exponent above the prediction is a loss that falls faster, below it slower
    assert far["direction"] == "faster" and far["outcome"] == "faster than predicted"
    slow = _compare(SEQ - 3 * GAP, 0.5 * GAP / (2 * 1.96))
    assert slow["verdict"] == "inconsistent" and slow["outcome"] == "slower than predicted"


@pytest.mark.parametrize("alpha_verdict", ["inconsistent", "uninformative", "unusable", "fragile"])
def test_prediction_from_an_unsupported_alpha_has_its_own_word(alpha_verdict):
    ok = _compare(SEQ, 0.2 * GAP / (2 * 1.96))
    assert ok["verdict"] == "consistent"
    gated = _compare(SEQ, 0.2 * GAP / (2 * 1.96), alpha_verdict=alpha_verdict)
    assert gated["verdict"] == "alpha-unsupported" and "α not supported" in gated["reason"]
    assert alpha_verdict in gated["reason"]
    # an α that fits only with extra run-to-run noise is accepted: its interval already carries the scatter
    assert _compare(SEQ, 0.2 * GAP / (2 * 1.96), alpha_verdict="needs-extra-noise")["verdict"] == "consistent"


def _power_law_fit(noise=0.002, seed=0):
    N = np.geomspace(2e7, 1.2e10, 8)
    y = (1.0 + 600.0 * N ** -ALPHA) * np.exp(noise * np.random.default_rng(seed).standard_normal(N.size))
    sub = pd.DataFrame({"params": N, "loss": y})
    return laws.fit_power_law(N, y, n_boot=200, seed=seed), sub


def test_params_consistent_needs_an_interval_ratio_at_most_3():
    fit, sub = _power_law_fit()
    assert params_verdict(fit, sub, "params", np.nan)["verdict"] == "consistent"
    lo = fit.params["a"] / 2.5
    wide = dataclasses.replace(fit, intervals={**fit.intervals, "a": (lo, 4 * lo)})  # hi/lo = 4, inside bounds
    assert laws.usable(wide, "a")[0]
    v = params_verdict(wide, sub, "params", np.nan)
    assert v["verdict"] == "uninformative" and "hi/lo" in v["reason"]


@pytest.mark.parametrize("shape", ["constant", "rising"])
def test_flat_or_rising_loss_is_no_power_law_never_consistent(shape):
    N = np.geomspace(2e7, 1.2e10, 8)
    y = np.full(N.size, 2.5) if shape == "constant" else 2.0 + 0.05 * np.log(N / N[0])
    fit = laws.fit_power_law(N, y, n_boot=200, seed=0)
    v = params_verdict(fit, pd.DataFrame({"params": N, "loss": y}), "params", np.nan)
    assert v["verdict"] == "inconsistent" and v["reason"].startswith("no power law")
    assert fit_problem(fit, "a")  # and no downstream comparison can use it


def _sens(verdicts):
    rows = [{"test": "steps_exponent", "family": "f", "subject": "m", "hypothesis": "h", "alpha_source": "s",
             "window": f"w{i}", "is_default": i == 0, "n_points": 10, "estimate": 0.3, "ci_low": 0.2,
             "ci_high": 0.4, "predicted": 0.3, "verdict": v, "direction": "", "usable": v != "unusable"}
            for i, v in enumerate(verdicts)]
    return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


def _ver(verdict="consistent"):
    return pd.DataFrame([{"test": "steps_exponent", "family": "f", "subject": "m", "hypothesis": "h",
                          "alpha_source": "s", "verdict": verdict, "direction": "", "outcome": verdict,
                          "reason": "default reason"}])


def test_windows_that_disagree_make_a_fragile_verdict():
    assert "fragile" in VERDICTS
    out = with_window_agreement(_ver(), _sens(["consistent", "inconsistent", "consistent"]))
    assert out["verdict"].iloc[0] == "fragile"
    assert "w1: inconsistent" in out["reason"].iloc[0] and "default window: default reason" in out["reason"].iloc[0]
    assert out["outcome"].iloc[0] == "fragile: consistent in 2 of 3 windows"  # fragile carries its count
    # uninformative windows are reported, not counted against the default
    calm = with_window_agreement(_ver(), _sens(["consistent", "uninformative", "consistent"]))
    assert calm["verdict"].iloc[0] == "consistent" and calm["window_agreement"].iloc[0] == pytest.approx(2 / 3)
    # a window whose fit is unusable cannot confirm a decisive default: not robust
    lost = with_window_agreement(_ver("inconsistent"), _sens(["inconsistent", "unusable", "inconsistent", "unusable"]))
    assert lost["verdict"].iloc[0] == "fragile" and lost["outcome"].iloc[0] == "fragile: inconsistent in 2 of 4 windows"


def _steps_rows(estimates, usable, verdicts):
    return pd.DataFrame([{"test": "steps_exponent", "family": "f", "subject": f"m{i}", "hypothesis": "h",
                          "alpha_source": "s", "estimate": e, "predicted": 0.3, "pred_low": 0.28, "pred_high": 0.32,
                          "verdict": v, "direction": "", "outcome": v, "reason": "r", "usable": u,
                          "interval_kind": "k", "approximate": True,
                          "window_agreement": 1.0, "n_windows": 1}
                         for i, (e, u, v) in enumerate(zip(estimates, usable, verdicts))])


def test_summaries_count_and_take_medians_over_usable_fits_only():
    s = _steps_rows([0.30, 0.31, 0.32, 0.90, 0.95], [True, True, True, False, False],
                    ["consistent"] * 3 + ["unusable"] * 2)
    row = with_summaries(s).iloc[-1]
    assert row["subject"] == "all sizes"
    assert row["estimate"] == pytest.approx(0.31)  # the median of all five would be 0.32
    assert row["verdict"] == "consistent" and "3 of 5 usable" in row["reason"]
    few = _steps_rows([0.30, 0.31, 0.9, 0.9, 0.9], [True, True, False, False, False],
                      ["consistent"] * 2 + ["unusable"] * 3)
    row = with_summaries(few).iloc[-1]
    assert row["verdict"] == "unusable" and "2 of 5 usable" in row["reason"]
    split = _steps_rows([0.30, 0.31, 0.5, 0.6], [True] * 4, ["consistent", "consistent", "inconsistent",
                                                             "inconsistent"])
    row = with_summaries(split).iloc[-1]
    assert row["verdict"] == "no-majority" and "no majority" in row["reason"]


def test_a_flat_size_law_makes_every_downstream_prediction_inconclusive():
    """End to end: the loss does not depend on N (α rejected), so no steps or frontier verdict may be decisive."""
    steps = np.array([1000, 3000, 13000, 23000, 33000, 53000, 73000, 93000, 113000, 133000, 143000])
    rng = np.random.default_rng(0)
    rows = [{"model": f"m{i}", "params_total": int(N * 1.3), "params_nonembedding": int(N), "step": int(s),
             "tokens": int(s) * 2_097_152, "loss": (1.0 + 6.0 * s ** -0.2) * np.exp(rng.normal(0, 0.003))}
            for i, N in enumerate(np.geomspace(2e7, 1.1e10, 6)) for s in steps]
    v = run_analyses(pd.DataFrame(rows), loss_column="loss", n_boot=20, windows=False, progress=False)["verdicts"]
    par = v[v["test"] == "params_power_law"]
    assert (par["verdict"] != "consistent").all()
    down = v[v["test"] != "params_power_law"]
    assert len(down) and down["verdict"].isin(["alpha-unsupported", "unusable"]).all()
    per = down[down["subject"] != "all sizes"]
    assert per["reason"].str.contains("α not supported|fit not usable").all()
    # every verdict carries its interval kind, and steps/frontier verdicts the approximate flag and note
    assert v["interval_kind"].str.len().gt(0).all()
    flagged = v["test"].isin(["steps_exponent", "frontier_exponent"])
    assert (v["approximate"] == flagged).all()
    assert per["reason"].str.contains("approximate: ", regex=False).all()
    assert not par["reason"].str.contains("approximate: ", regex=False).any()


def test_shipped_coverage_table_backs_every_analysis_method_or_flags_it():
    """Issue 11's 'done when': each analysis's method covers 93–97% on its design, or its verdicts say approximate;
    and the table's ``used_by`` rows are the methods ANALYSIS_METHODS actually uses."""
    t = study_table()
    used = t[t["used_by"] != ""]
    assert set(used["design"]) == {"params8", "steps15-r5", "steps15-r8", "frontier", "joint250"}
    assert (used["draws"] >= 400).all()
    for r in used.itertuples():
        kind = r.used_by.split()[0]
        fit = ANALYSIS_METHODS[kind]["fit"]
        want = fit["interval"] + ("" if fit["interval"] == "profile" else f"/{fit['resample']}")
        assert r.method == want, (r.design, r.method, want)
        assert 0.93 <= r.coverage <= 0.97 or ANALYSIS_METHODS[kind]["approximate"], (r.design, r.coverage)


def test_the_drift_coverage_each_verdict_quotes_is_the_studys():
    """``drift_coverage`` (how often an analysis's interval covers a drifting exponent) is read off the study's
    misspecified designs, not remembered: min–max of ``coverage_generating`` over the rows the analysis uses."""
    t = study_table()
    mis = t[(t["used_by"] != "") & (t["spec"] == "mis")]
    for kind, g in mis.groupby(mis["used_by"].str.split().str[0]):
        lo, hi = (f"{100 * v:.0f}" for v in (g["coverage_generating"].min(), g["coverage_generating"].max()))
        assert ANALYSIS_METHODS[kind]["drift_coverage"] == (f"{lo}%" if lo == hi else f"{lo}–{hi}%"), kind


def test_goodness_of_fit_against_the_stated_noise():
    """χ² = SSR/σ², p its upper tail, and σ_extra solves SSR/(σ² + σ_extra²) = dof (0 when the fit passes)."""
    from scipy import stats

    from empirical.fit.verdicts import goodness_of_fit

    fit, sub = _power_law_fit(noise=0.02, seed=3)
    ssr, dof = fit.diagnostics["ssr"], fit.diagnostics["n"] - fit.diagnostics["k"]
    g = goodness_of_fit(fit, 0.005)
    assert g["chi2"] == pytest.approx(ssr / 0.005 ** 2) and g["dof"] == dof == 5
    assert g["chi2_p"] == pytest.approx(stats.chi2.sf(g["chi2"], dof))
    assert ssr / (0.005 ** 2 + g["sigma_extra"] ** 2) == pytest.approx(dof)
    assert ssr / (0.005 ** 2 + g["sigma_extra_95"] ** 2) == pytest.approx(stats.chi2.ppf(0.95, dof))
    assert goodness_of_fit(fit, 1.0)["sigma_extra"] == 0.0  # a noise larger than the scatter needs nothing extra
    assert np.isnan(goodness_of_fit(fit, np.nan)["chi2"])
    # the params verdict says when the law fits only with extra noise, and how much
    v = params_verdict(fit, sub, "params", 0.005)
    assert v["verdict"] == "needs-extra-noise" and f"σ_extra = {g['sigma_extra']:.4f}" in v["reason"]
    assert params_verdict(fit, sub, "params", 0.03)["verdict"] == "consistent"


def test_the_issues_chi2_on_the_shipped_pythia_params_fits():
    """Issue 22 computed χ² ≈ 65 (standard) and ≈ 24 (deduped) on 5 dof against 0.0135; the suite agrees."""
    from empirical.fit.analyses import _noise_log, select_rows
    from empirical.fit.pythia import DEFAULT_LOSS, load_pythia
    from empirical.fit.verdicts import goodness_of_fit

    d = select_rows(load_pythia())
    for fam, lo, hi in (("standard", 60, 70), ("deduped", 20, 28)):
        g = d[d["family"] == fam]
        final = g[g["step"] == g["step"].max()].sort_values("params_nonembedding")
        noise = _noise_log(final, DEFAULT_LOSS)
        assert noise == pytest.approx(0.0135, abs=5e-4)
        fit = laws.fit_power_law(final["params_nonembedding"].to_numpy(float), final["loss"].to_numpy(), n_boot=0)
        gof = goodness_of_fit(fit, noise)
        assert lo < gof["chi2"] < hi and gof["dof"] == 5 and gof["chi2_p"] < 1e-3, (fam, gof)


def test_two_hypotheses_are_read_together_by_their_learners():
    from empirical.fit.verdicts import with_test_outcomes

    def pair(va, da, vb, db):
        rows = [{"test": "t", "family": "f", "subject": "s", "alpha_source": "n", "hypothesis": h, "verdict": v,
                 "direction": d, "outcome": v} for h, v, d in (("h1", va, da), ("h2", vb, db))]
        return with_test_outcomes(pd.DataFrame(rows), {"h1": "sequential", "h2": "parallel"})["test_outcome"].iloc[0]

    assert pair("inconsistent", "faster", "inconsistent", "faster") == "faster than both predictions"
    assert pair("inconsistent", "faster", "uninformative", "") == "excludes sequential (faster), cannot tell parallel"
    assert pair("inconsistent", "faster", "consistent", "") == "matches parallel, excludes sequential (faster)"
    assert pair("inconsistent", "faster", "inconsistent", "slower") == \
        "between the predictions: faster than sequential, slower than parallel"
