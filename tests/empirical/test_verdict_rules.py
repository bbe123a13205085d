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
from empirical.fit.coverage import study_table
from empirical.fit.methods import ANALYSIS_METHODS
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
    assert wide["verdict"] == "inconclusive" and "uninformative interval" in wide["reason"]
    narrow = _compare(SEQ, 0.5 * GAP / (2 * 1.96))
    assert narrow["diff_high"] - narrow["diff_low"] < GAP and narrow["verdict"] == "consistent"


def test_interval_excluding_zero_is_inconsistent_whatever_its_width():
    far = _compare(SEQ + 3 * GAP, 1.2 * GAP / (2 * 1.96))
    assert far["diff_low"] > 0 and far["verdict"] == "inconsistent"


@pytest.mark.parametrize("alpha_verdict", ["inconsistent", "inconclusive", "fragile"])
def test_prediction_from_a_rejected_alpha_is_inconclusive(alpha_verdict):
    ok = _compare(SEQ, 0.2 * GAP / (2 * 1.96))
    assert ok["verdict"] == "consistent"
    gated = _compare(SEQ, 0.2 * GAP / (2 * 1.96), alpha_verdict=alpha_verdict)
    assert gated["verdict"] == "inconclusive" and "α rejected/unusable" in gated["reason"]
    assert alpha_verdict in gated["reason"]


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
    assert v["verdict"] == "inconclusive" and "hi/lo" in v["reason"]


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
             "ci_high": 0.4, "predicted": 0.3, "verdict": v, "usable": v != "inconclusive"}
            for i, v in enumerate(verdicts)]
    return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


def _ver(verdict="consistent"):
    return pd.DataFrame([{"test": "steps_exponent", "family": "f", "subject": "m", "hypothesis": "h",
                          "alpha_source": "s", "verdict": verdict, "reason": "default reason"}])


def test_windows_that_disagree_make_a_fragile_verdict():
    assert "fragile" in VERDICTS
    out = with_window_agreement(_ver(), _sens(["consistent", "inconsistent", "consistent"]))
    assert out["verdict"].iloc[0] == "fragile"
    assert "w1: inconsistent" in out["reason"].iloc[0] and "default window: default reason" in out["reason"].iloc[0]
    # inconclusive windows are reported, not counted as flips
    calm = with_window_agreement(_ver(), _sens(["consistent", "inconclusive", "consistent"]))
    assert calm["verdict"].iloc[0] == "consistent" and calm["window_agreement"].iloc[0] == pytest.approx(2 / 3)


def _steps_rows(estimates, usable, verdicts):
    return pd.DataFrame([{"test": "steps_exponent", "family": "f", "subject": f"m{i}", "hypothesis": "h",
                          "alpha_source": "s", "estimate": e, "predicted": 0.3, "pred_low": 0.28, "pred_high": 0.32,
                          "verdict": v, "reason": "r", "usable": u, "interval_kind": "k", "approximate": True,
                          "window_agreement": 1.0, "n_windows": 1}
                         for i, (e, u, v) in enumerate(zip(estimates, usable, verdicts))])


def test_summaries_count_and_take_medians_over_usable_fits_only():
    s = _steps_rows([0.30, 0.31, 0.32, 0.90, 0.95], [True, True, True, False, False],
                    ["consistent"] * 3 + ["inconclusive"] * 2)
    row = with_summaries(s).iloc[-1]
    assert row["subject"] == "all sizes"
    assert row["estimate"] == pytest.approx(0.31)  # the median of all five would be 0.32
    assert row["verdict"] == "consistent" and "3 of 5 usable" in row["reason"]
    few = _steps_rows([0.30, 0.31, 0.9, 0.9, 0.9], [True, True, False, False, False],
                      ["consistent"] * 2 + ["inconclusive"] * 3)
    row = with_summaries(few).iloc[-1]
    assert row["verdict"] == "inconclusive" and "2 of 5 usable" in row["reason"]


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
    assert len(down) and (down["verdict"] == "inconclusive").all()
    per = down[down["subject"] != "all sizes"]
    assert per["reason"].str.contains("α rejected/unusable|fit not usable").all()
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
