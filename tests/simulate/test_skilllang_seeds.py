"""Several seeds of the skill-language family: each analysed alone, then summarised across seeds.

Laws, each of which fails on a wrong implementation:
- the between-seed interval of identical seeds has zero width and sits on their value; over normal replicates
  it covers the mean in about 95% of draws (measured, g = 3);
- the summary of a table of seeds does not depend on the order of the seeds; its mean and interval are the
  t-interval of the per-seed values;
- the aggregation over seeds equals the per-seed analysis (each seed's rows are what the one-seed experiment
  gives) and a rebuild writes byte-identical tables;
- a seed missing from the cache is trained, or with ``train=False`` refused naming it and its sizes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from infogeo.validation import ValidationError
from simulate.neural.slopes import between_seed_interval
from simulate.skilllang.seeds import SUMMARY_COLUMNS, seed_summary

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(x=finite, g=st.integers(2, 8))
def test_between_seed_interval_of_identical_seeds_has_zero_width(x, g):
    m, sd, lo, hi, kind = between_seed_interval([x] * g)
    assert kind == f"between-seed-t(g={g})"
    tol = 1e-12 * max(1.0, abs(x))
    assert abs(m - x) <= tol and sd <= tol and hi - lo <= 10 * tol and lo <= m <= hi


def test_between_seed_interval_covers_the_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    n, hits = 4000, 0
    for _ in range(n):
        _, _, lo, hi, _ = between_seed_interval(rng.normal(1.3, 0.2, size=3))
        hits += lo <= 1.3 <= hi
    assert abs(hits / n - 0.95) < 0.012  # binomial sd 0.0034: 3.5 sd


def test_between_seed_interval_refuses_one_seed_and_non_finite_values():
    with pytest.raises(ValidationError, match="at least 2 seeds"):
        between_seed_interval([1.0])
    with pytest.raises(ValidationError, match="non-finite"):
        between_seed_interval([1.0, np.nan, 2.0])


def _exponents(values: dict[int, list[float]], verdicts=None) -> pd.DataFrame:
    """A stacked exponents table: rows learning_time and params of one alpha, per seed."""
    rows = []
    for s, vals in values.items():
        for (axis, width), v in zip([("learning_time", 5000.0), ("params", np.nan)], vals):
            rows.append({"seed": s, "alpha": 0.5, "axis": axis, "threshold": 0.5, "width": width, "fitted": v,
                         "ci_low": v - 0.1, "ci_high": v + 0.1, "interval_kind": "ols-jackknife-t",
                         "predicted_sequential": 2.4, "predicted_parallel": 1.5,
                         "verdict": (verdicts or {}).get(s, "both rejected")})
    return pd.DataFrame(rows)


@settings(max_examples=40, deadline=None)
@given(vals=st.lists(st.tuples(finite, finite), min_size=2, max_size=6, unique_by=lambda t: t[0]),
       perm_seed=st.integers(0, 2**16))
def test_summary_is_the_t_interval_of_the_seeds_and_does_not_depend_on_their_order(vals, perm_seed):
    table = _exponents({s: list(v) for s, v in enumerate(vals)})
    shuffled = table.sample(frac=1.0, random_state=perm_seed)
    got = seed_summary(table)
    pd.testing.assert_frame_equal(seed_summary(shuffled), got)
    assert list(got.columns) == SUMMARY_COLUMNS and list(got["axis"]) == ["learning_time", "params"]
    for j, axis in enumerate(["learning_time", "params"]):
        b = np.array([v[j] for v in vals])
        half = stats.t.ppf(0.975, b.size - 1) * b.std(ddof=1) / np.sqrt(b.size)
        r = got[got["axis"] == axis].iloc[0]
        assert r["mean"] == pytest.approx(b.mean(), abs=1e-9)
        assert r["ci_low"] == pytest.approx(b.mean() - half, abs=1e-9)
        assert r["ci_high"] == pytest.approx(b.mean() + half, abs=1e-9)
        assert r["n_fitted"] == b.size and r["seeds"] == " ".join(str(s) for s in range(b.size))
        assert r["within_half_median"] == pytest.approx(0.1)
        assert r["verdict_counts"] == f"both rejected {b.size}/{b.size}"


def test_identical_seeds_give_a_zero_width_summary_and_verdicts_are_counted():
    got = seed_summary(_exponents({0: [1.2, 0.3], 1: [1.2, 0.3], 2: [1.2, 0.3]},
                                  verdicts={2: "sequential rejected"}))
    r = got.iloc[0]
    assert r["ci_high"] - r["ci_low"] == pytest.approx(0.0, abs=1e-12) and r["mean"] == pytest.approx(1.2)
    assert r["verdict_counts"] == "both rejected 2/3; sequential rejected 1/3"
    assert r["interval_kind"] == "between-seed-t(g=3)"


def test_seeds_without_a_fit_are_counted_and_one_fitted_seed_gives_no_interval():
    got = seed_summary(_exponents({0: [np.nan, 0.3], 1: [1.1, 0.2]}, verdicts={0: "no fit"})).iloc[0]
    assert got["n_fitted"] == 1 and got["mean"] == 1.1 and np.isnan(got["ci_low"])
    assert got["interval_kind"] == "none (1 seed fitted)" and got["verdict"] == "no fit"
    assert got["verdict_counts"] == "both rejected 1/2; no fit 1/2"


def test_a_seed_twice_is_refused():
    t = _exponents({0: [1.0, 0.2], 1: [1.1, 0.3]})
    with pytest.raises(ValidationError, match="appears twice"):
        seed_summary(pd.concat([t, t.iloc[:1]]))


@pytest.mark.models
def test_aggregation_equals_the_per_seed_analysis_and_a_missing_seed_is_trained_or_refused(tmp_path):
    pytest.importorskip("transformers")
    from simulate.skilllang import configs, run_experiment
    from simulate.skilllang.experiment import run_seeds

    root = tmp_path / "cache"
    tabs, meta = run_seeds("ci", [0, 1], root=root, processes=1, progress=False)
    for s in (0, 1):
        alone, _ = run_experiment(configs("ci", seed=s), processes=1, root=root, progress=False)
        mine = tabs["exponents"][tabs["exponents"]["seed"] == s].drop(columns="seed").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone["exponents"])
        pd.testing.assert_frame_equal(
            tabs["sizes"][tabs["sizes"]["seed"] == s].drop(columns="seed").reset_index(drop=True), alone["sizes"])
    assert set(meta["families"].values()) == {c.dirname for s in (0, 1) for c in configs("ci", seed=s)}
    again, _ = run_seeds("ci", [1, 0], root=root, processes=1, progress=False, train=False)
    for name in tabs:
        pd.testing.assert_frame_equal(again[name], tabs[name])
    n_before = len(list(root.rglob("losses.npz")))
    with pytest.raises(ValidationError, match=r"seed 2, α 1: d8l1.*d24l1"):
        run_seeds("ci", [0, 2], root=root, processes=1, progress=False, train=False)
    assert len(list(root.rglob("losses.npz"))) == n_before  # the refusal trained nothing
    run_seeds("ci", [0, 2], root=root, processes=1, progress=False)
    assert len(list(root.rglob("losses.npz"))) == n_before + len(configs("ci")[0].sizes)


@pytest.mark.models
def test_cli_writes_byte_identical_tables_on_a_rebuild_and_refuses_a_missing_seed(tmp_path, capsys):
    pytest.importorskip("transformers")
    import json

    from simulate.__main__ import main as simulate_main

    base = ["neural", "--learner", "transformer", "--task", "skill-language", "--tier", "ci", "--cache",
            str(tmp_path / "cache"), "--processes", "1", "--no-progress"]
    assert simulate_main(base + ["--seeds", "0", "1", "--out", str(tmp_path / "a")]) == 0
    assert simulate_main(base + ["--seeds", "1", "0", "--no-train", "--out", str(tmp_path / "b")]) == 0
    ma, mb = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in "ab")
    assert ma["tables_sha256"] == mb["tables_sha256"] and "tables/skilllang_exponents_summary.csv" in ma[
        "tables_sha256"]
    assert {r["seed"] for r in ma["sizes"]} == {0, 1} and all("wall_s" in r for r in ma["sizes"])
    assert not any("wall" in c for p in (tmp_path / "a" / "tables").glob("*.csv")
                   for c in pd.read_csv(p, nrows=0).columns)
    capsys.readouterr()
    assert simulate_main(base + ["--seeds", "0", "5", "--no-train"]) == 2
    assert "seed 5" in capsys.readouterr().err


def test_width_row_with_skills_learned_spanning_two_values_has_no_prediction_rather_than_an_error():
    # seed 2 of the ci tier: its sizes learned 1..2 skills (a learners' slope over two points cannot be fitted)
    from simulate.neural.analysis import width_exponent_row

    wt = pd.DataFrame({"seed": 0, "width": [10, 20, 40], "params": [100.0, 200.0, 400.0],
                       "final_loss": [0.3, 0.25, 0.2], "tasks_learned": [1, 2, 2]})
    row = width_exponent_row(1.0, wt, 32, 0.5)
    assert np.isnan(row["predicted_sequential"]) and row["verdict"] == "no fit" and np.isfinite(row["fitted"])
    wt["tasks_learned"] = [1, 2, 3]
    assert np.isfinite(width_exponent_row(1.0, wt, 32, 0.5)["predicted_sequential"])
