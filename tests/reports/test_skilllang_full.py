"""Section 5's full tier: the kept folder's calibration step and the section's table across seeds.

Laws: the comparison shows one row per alpha and axis, the steps row of the largest size, the report tier's value
beside the full tier's between-seed mean; the calibration summary counts over seeds; the calibration step reads
only the kept tables, so a rerun writes byte-identical CSVs.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reports.sections.skilllang import FULL_AXES, SEEDS_DIR, full_tier_comparison
from reports.skilllang_full import calibration_summary


def _summary():
    rows = []
    for a in (0.5, 1.0):
        for axis, width, m in [("learning_time", 900.0, 1.1), ("steps", 400.0, 0.4), ("steps", 900.0, 0.5),
                               ("params", 900.0, 0.3), ("tasks_vs_params", 900.0, 0.4), ("frontier", np.nan, 0.33)]:
            rows.append({"alpha": a, "axis": axis, "threshold": 0.5, "width": width, "seeds": "0 1 2",
                         "n_fitted": 3, "fitted_per_seed": f"{m - 0.1:.4g} {m:.4g} {m + 0.1:.4g}", "mean": m,
                         "seed_sd": 0.1, "ci_low": m - 0.25, "ci_high": m + 0.25,
                         "interval_kind": "between-seed-t(g=3)", "within_half_median": 0.05,
                         "within_interval_kind": "ols-jackknife-t", "predicted_sequential": 2.0,
                         "predicted_parallel": 1.5, "predicted_spread": 0.0, "verdict": "both rejected",
                         "verdict_counts": "both rejected 2/3; neither rejected (uninformative) 1/3"})
    return pd.DataFrame(rows)


def _exponents(summary, shift=0.0):
    """Per-seed exponent rows of seed 0 matching ``summary`` (own interval ± 0.1 around mean + shift)."""
    return summary.rename(columns={"mean": "fitted"}).assign(
        seed=0, fitted=lambda d: d["fitted"] + shift, ci_low=lambda d: d["fitted"] - 0.1,
        ci_high=lambda d: d["fitted"] + 0.1, interval_kind="ols-jackknife-t")


def test_comparison_has_one_row_per_alpha_and_axis_and_takes_the_largest_steps_row():
    s = _summary()
    one = s.assign(n_fitted=1, seeds="0", verdict_counts="both rejected 1/1")
    report = _exponents(s, 1.0).assign(predicted_sequential=3.0)  # seed 0's prediction differs from the seeds' mean
    got = full_tier_comparison(report, seeds=(s, _exponents(s)), full=(one, _exponents(s, 2.0)))
    assert list(zip(got["alpha"], got["axis"])) == [(a, x) for a in (0.5, 1.0) for x in FULL_AXES]
    st = got[got["axis"] == "steps"].iloc[0]
    assert st["report_fitted"] == 1.5 and st["seeds_mean"] == 0.5  # the 900-parameter row, not the 400 one
    assert st["seeds"] == "0.50 [0.25, 0.75]" and st["verdicts"] == "both rejected 2/3; uninformative 1/3"
    # one seed in the full tier: its own (within-run) interval, not a between-seed one
    assert st["full"] == "2.50 [2.40, 2.60]" and st["full_kind"] == "ols-jackknife-t"
    assert st["full_verdict"] == "both rejected 1/1"
    from reports.sections.skilllang import _full_sentence

    # α_N as a fraction of each tier's own prediction: the seeds' mean (0.3) over their mean prediction (2.0)
    got.loc[got["axis"] == "params", "full_pred_seq"] = 4.6
    assert ": 50% (" in _full_sentence(got) and ") vs 15% (" in _full_sentence(got)
    none = full_tier_comparison(_exponents(s), seeds=None, full=None)
    assert (none["seeds"] == "").all() and (none["full"] == "").all()


def test_calibration_summary_counts_over_seeds():
    cal = pd.DataFrame({"seed": [2, 0, 1], "alpha": 0.5, "quantity": "alpha_N", "subject": "nonembedding",
                        "hypothesis": "", "alpha_source": "nonembedding", "pipeline_estimate": [0.3, 0.1, 0.2],
                        "truth": 0.5, "covers": [True, False, True], "pipeline_verdict": ["unusable", "unusable",
                                                                                           "uninformative"],
                        "agrees": ""})
    r = calibration_summary(cal).iloc[0]
    assert r["seeds"] == "0 1 2" and r["pipeline_per_seed"] == "0.1 0.2 0.3" and r["covers"] == "2/3"
    assert r["pipeline_verdicts"] == "unusable 2/3; uninformative 1/3" and r["agrees"] == ""


@pytest.mark.models
@pytest.mark.slow
def test_kept_folder_gets_its_calibration_byte_identically_and_the_section_shows_it(tmp_path):
    pytest.importorskip("transformers")
    from reports.blocks import render_markdown
    from reports.build import SectionContext
    from reports.sections.skilllang import _full_tier
    from reports.skilllang_full import main as cal_main
    from simulate.__main__ import main as simulate_main
    from simulate.skilllang import configs, run_experiment

    out, cache = tmp_path / "full", tmp_path / "cache"
    args = ["neural", "--learner", "transformer", "--task", "skill-language", "--tier", "ci", "--widths", "8", "12",
            "16", "24", "--steps", "60", "--cache", str(cache), "--processes", "1", "--no-progress"]
    assert simulate_main(args + ["--seeds", "0", "1", "--out", str(out / SEEDS_DIR)]) == 0
    assert simulate_main(args + ["--seeds", "0", "--no-train", "--out", str(out)]) == 0
    for root in (out, out / SEEDS_DIR):
        assert cal_main(["--root", str(root)]) == 0
    first = json.loads((out / SEEDS_DIR / "manifest.json").read_text())["tables_sha256"]
    assert cal_main(["--root", str(out / SEEDS_DIR)]) == 0
    assert json.loads((out / SEEDS_DIR / "manifest.json").read_text())["tables_sha256"] == first
    cal = pd.read_csv(out / SEEDS_DIR / "tables" / "skilllang_calibration.csv")
    assert set(cal["seed"]) == {0, 1} and (cal.loc[cal["quantity"] == "alpha_N", "truth"] == 1.0).all()
    report, _ = run_experiment(configs("ci", widths=(8, 12, 16, 24), steps=60), processes=1, root=cache,
                               progress=False)
    ctx = SectionContext("skilllang", tmp_path / "rep", progress=False, options={"skilllang": {"full_root": out}})
    md = render_markdown(_full_tier(ctx, report), ctx.root)
    assert "### Several seeds and the full tier" in md and "report tier over seeds 0, 1" in md
    assert "one seed: its own interval" in md and "full vs report tier: α = 1" in md
    shown = pd.read_csv(tmp_path / "rep" / "tables" / "skilllang_full_comparison.csv")
    assert list(shown["axis"]) == FULL_AXES and md.count("\n|1|") == len(FULL_AXES)
    # the "full" folder here is the seeds run's seed 0 (the same family): its params value is that seed's
    e = pd.read_csv(out / SEEDS_DIR / "tables" / "skilllang_exponents.csv")
    s0 = e[(e["seed"] == 0) & (e["threshold"] == 0.5) & (e["axis"] == "params")]["fitted"].iloc[0]
    assert shown.loc[shown["axis"] == "params", "full_mean"].iloc[0] == pytest.approx(s0, rel=1e-5)  # 6 digits
