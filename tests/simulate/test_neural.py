"""The neural experiment end to end at the CI tier (seconds): qualitative laws only, plus CLI, determinism, resume."""
import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import simulate  # noqa: E402
from simulate import neural  # noqa: E402
from simulate.__main__ import main  # noqa: E402
from simulate.neural import training as train_mod  # noqa: E402

LN2 = float(np.log(2))


@pytest.fixture(scope="module")
def ci():
    results = neural.train_many(neural.configs("ci"), processes=1, progress=False)
    return results, neural.analyze(results)


def test_the_most_frequent_tasks_are_learned_and_the_loss_falls(ci):
    results, tabs = ci
    big = max(results, key=lambda r: r.config.width)
    lt = tabs["learning_times"]
    first = lt[(lt["width"] == big.config.width) & (lt["threshold"] == 0.5) & (lt["task"] <= 2)]
    assert not first["censored"].any()
    ml = tabs["mean_loss"]
    m = ml[ml["width"] == big.config.width]
    assert m["loss"].iloc[0] > 0.9 * LN2  # untrained: a fair coin on every task
    assert m["loss"].iloc[-1] < 0.6 * m["loss"].iloc[0]


def test_the_first_few_tasks_are_learned_in_order_of_frequency(ci):
    _, tabs = ci
    o = tabs["order"]
    big = o[(o["width"] == o["width"].max()) & (o["threshold"] == 0.5)].iloc[0]
    assert big["in_order_prefix"] >= 3


def test_exponents_table_has_the_three_axes_with_predictions_and_verdicts(ci):
    _, tabs = ci
    e = tabs["exponents"]
    assert list(e.columns) == neural.EXPONENT_COLUMNS
    assert {"learning_time", "steps", "width", "tasks_vs_params"} == set(e["axis"])
    assert set(e["verdict"]) <= set(neural.slopes.VERDICTS)
    lt = e[(e["axis"] == "learning_time") & np.isfinite(e["fitted"])]
    assert len(lt) >= 1
    # the parallel learner's t_k = 1/p_k is an exact power law, so any window gives theory's alpha + 1; the
    # sequential learner's cumulative cost approaches alpha + 2 from below
    np.testing.assert_allclose(lt["predicted_parallel"], lt["asymptotic_parallel"], atol=1e-9)
    assert (lt["predicted_sequential"] < lt["asymptotic_sequential"]).all()
    assert (lt["predicted_sequential"] > lt["predicted_parallel"]).all()


def test_same_config_same_bytes(tmp_path):
    cfg = neural.RunConfig(alpha=1.0, tasks=10, bits=8, k_bits=2, width=8, steps=30, batch=64, eval_every=10,
                           eval_per_task=8)
    a, b = neural.train(cfg), neural.train(cfg)
    assert np.array_equal(a.loss, b.loss) and np.array_equal(a.acc, b.acc)
    ta, tb = neural.analyze([a]), neural.analyze([b])
    for name in ta:
        ta[name].to_csv(tmp_path / "a.csv", index=False)
        tb[name].to_csv(tmp_path / "b.csv", index=False)
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes(), name
    c = neural.train(neural.RunConfig(**{**vars(cfg), "seed": 1}))
    assert not np.array_equal(a.loss, c.loss)


def test_cli_json_and_resume_from_shards(tmp_path, capsys, monkeypatch):
    argv = ["neural", "--tier", "ci", "--tasks", "12", "--steps", "60", "--widths", "8", "16", "32",
            "--processes", "1", "--no-progress", "--json", "--out", str(tmp_path)]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["axis"]: r for r in out["exponents"]}
    assert set(rows) == {"learning_time", "steps", "width", "tasks_vs_params"}
    for r in out["exponents"]:
        assert {"fitted", "ci_low", "ci_high", "predicted_sequential", "predicted_parallel", "verdict",
                "interval_kind"} <= set(r)
    first = (tmp_path / "tables" / "neural_exponents.csv").read_bytes()
    assert len(list((tmp_path / "runs").glob("*.npz"))) == 3
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "neural" in manifest["command"] and manifest["tables_sha256"]

    def refuse(*a, **k):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(train_mod, "train", refuse)  # resume: every run has a shard
    assert main(argv) == 0
    capsys.readouterr()
    assert (tmp_path / "tables" / "neural_exponents.csv").read_bytes() == first
    # the written TOML feeds the measured order back to python -m simulate
    a = simulate.load_toml(tmp_path / "measured_order.toml")
    assert a.order.name == "measured" and a.M == 12


@pytest.mark.parametrize("argv,name", [(["--alpha", "-1"], "alpha"), (["--bits", "4", "--k-bits", "5"], "k_bits"),
                                       (["--widths", "0"], "width"), (["--tier", "huge"], "tier")])
def test_bad_input_exits_2_naming_the_argument(argv, name, capsys):
    assert main(["neural", "--tier", "ci", *argv] if "--tier" not in argv else ["neural", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m simulate neural: error: ") and name in err  # the shared runner's one line


def test_width_ladder_halves_down_to_four():
    assert neural.width_ladder(256) == (16, 32, 64, 128, 256)
    assert neural.width_ladder(8) == (4, 8)


def test_eval_grid_resolves_every_step_within_the_ratio_and_the_gap():
    g = neural.eval_steps(8000, 250)
    assert g[0] == 0 and g[-1] == 8000 and np.all(np.diff(g) > 0)
    gaps = np.diff(g)[1:]
    assert np.all((gaps <= 250) & ((gaps / g[1:-1] <= 0.2) | (gaps <= 250)))
    assert np.all(gaps[g[1:-1] >= 1000] <= 250)


def test_measured_order_in_frequency_order_is_the_sequential_learner():
    """Fed back to simulate: a measured order equal to the frequency order, with sequential timing, is
    Assumption 3.5 itself -- the same comprehension flops as simulate's Sequential order."""
    T = 60
    mo = neural.MeasuredOrder(np.arange(1, T + 1) * 10.0, timing="sequential")
    a = simulate.Assumptions(law=simulate.PowerLaw(0.7), M=T, order=mo)
    b = simulate.Assumptions(law=simulate.PowerLaw(0.7), M=T, order="sequential")
    np.testing.assert_allclose(simulate.run(a).done, simulate.run(b).done, rtol=1e-12)


def test_measured_times_put_each_quantum_at_its_step_and_the_loop_is_exact_on_quanta():
    """A network whose mean loss is exactly the quantized curve at its t_k is reproduced by the measured learner."""
    T, alpha = 30, 1.0
    t = np.array([15.0, 40, 90, 200, 420] + [0] * (T - 5))
    cens = np.arange(T) >= 5
    t[cens] = 500.0
    p = simulate.PowerLaw(alpha).probabilities(T)
    steps = np.arange(1, 501, dtype=float)
    net = np.array([LN2 * p[~((~cens) & (t <= s))].sum() for s in steps])
    curves, summary = neural.loop_table(steps, net, t, cens, alpha, T)
    row = summary.set_index("learner").loc["measured order, measured times"]
    assert row["max_abs_log_miss"] < 1e-9
    assert set(summary["learner"]) == set(neural.feedback.LOOP_LEARNERS)
    df = pd.DataFrame({"task": np.arange(1, T + 1), "t_k": t, "censored": cens})
    assert np.array_equal(neural.MeasuredOrder(table=df).perm, neural.MeasuredOrder(t, cens).perm)
    with pytest.raises(ValueError, match="one row per task"):
        neural.MeasuredOrder(table=df.iloc[:-1].iloc[1:])
