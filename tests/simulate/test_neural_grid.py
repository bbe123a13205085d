"""The robustness grid (simulate.neural.grid, .robust, .gridcli): laws of its variants, analysis and job contract.

- Disjoint subsets share no bit; random subsets share a bit as often as combinatorics says
  (1 - C(n-k, k)/C(n, k): 26% at 32 bits, 9% at 100 bits for k = 3).
- The per-variant analysis names the idealized learner that made the learning times, and a swapped order
  moves the verdict; examples before learning are p_k·t_k·B and their slope is the t_k slope minus (α+1).
- The explanation logic follows the controls' positions; a control moved across the parallel prediction flips it.
- Shard/merge: two shards merged give byte-identical tables to the unsharded run; a finished shard is not
  retrained; a damaged run file, a missing shard, or shards of another grid are refused.
"""
from __future__ import annotations

import math
import pathlib

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from infogeo.validation import ValidationError  # noqa: E402
from simulate.neural import grid as G  # noqa: E402
from simulate.neural import predict as P  # noqa: E402
from simulate.neural.cli import main  # noqa: E402
from simulate.neural.robust import explanations, robustness_tables  # noqa: E402
from simulate.neural.task import SparseParity, parity_labels, shared_bit_fraction  # noqa: E402
from simulate.neural.training import RunConfig, RunResult, eval_steps  # noqa: E402


def test_disjoint_subsets_share_no_bit_and_label_by_their_parity():
    import torch

    for seed in range(3):
        t = SparseParity(0.5, 100, 300, 3, seed=seed, subsets="disjoint")
        flat = t.subsets.ravel()
        assert flat.size == np.unique(flat).size == 300  # every bit used once
        assert shared_bit_fraction(t.subsets) == 0.0
        tasks, bits, y = t.sample(500, torch.Generator().manual_seed(seed))
        assert np.array_equal(y.numpy().astype(np.int64), parity_labels(bits.numpy().astype(int), tasks.numpy(),
                                                                         t.subsets))
    with pytest.raises(ValidationError, match="disjoint"):
        SparseParity(0.5, 100, 299, 3, subsets="disjoint")


@pytest.mark.parametrize("n", [32, 100])
def test_random_subsets_share_bits_as_combinatorics_says(n):
    expect = 1 - math.comb(n - 3, 3) / math.comb(n, 3)  # 0.263 at 32 bits, 0.088 at 100
    got = np.mean([shared_bit_fraction(SparseParity(0.5, 500, n, 3, seed=s).subsets) for s in range(3)])
    assert abs(got - expect) < 0.01, (got, expect)


def _fake_run(alpha, T, times, seed, steps, batch=2000):
    """A run whose task k drops from ln 2 to 0 at step times[k] (read on the evaluation grid)."""
    from theory.skills import skill_law

    cfg = RunConfig(alpha=alpha, tasks=T, bits=32, k_bits=3, width=8, steps=steps, batch=batch, seed=seed)
    at = eval_steps(steps, max(steps // 20000, 1), ratio=1.01)  # fine: the grid reading adds no slope bias
    loss = np.where(at[:, None] >= times[None, :], 0.0, np.log(2.0))
    return RunResult(cfg, at, loss, 1 - loss, skill_law(alpha, T), 0, 0.0)


def _variant(alpha, T, order, seeds=(0, 1, 2), reverse=False, learned=15):
    times = []
    for s in seeds:
        t = P.ideal_learning_times(alpha, T, order)
        t = t / t[0] * 200 * np.exp(np.random.default_rng(s).normal(0, 0.1, T))
        if reverse:
            t = t[::-1].copy()
        t[np.argsort(t)[learned:]] = np.inf  # only the first few are learned: the rest censored
        times.append(t)
    steps = int(3 * max(t[np.isfinite(t)].max() for t in times))
    return [_fake_run(alpha, T, t, s, steps) for s, t in zip(seeds, times)]


@pytest.mark.parametrize("order, want", [("parallel", ("holds", "below")), ("sequential", ("above", "holds"))])
def test_the_variant_verdict_names_the_learner_that_made_the_times(order, want):
    runs = _variant(0.5, 200, order)
    tabs = robustness_tables([("v", r) for r in runs], {"v": "test"})
    row = tabs["robustness"].iloc[0]
    assert (row["vs_parallel"], row["vs_sequential"]) == want, row.to_dict()
    assert row["interval_kind"] == "between-seed-t(g=3)" and row["seeds"] == 3
    assert row["seed_sd"] > 0 and row["within_half_median"] > 0
    # examples before learning: p_k·t_k·B, and their slope is the t_k slope minus (α + 1)
    ex = tabs["examples"]
    assert np.allclose(ex["examples"], ex["p_task"] * ex["t_k"] * 2000)
    assert row["examples_slope"] == pytest.approx(row["slope"] - 1.5)


def test_a_swapped_order_moves_the_verdict():
    fwd = robustness_tables([("v", r) for r in _variant(0.5, 200, "parallel")], {})["robustness"].iloc[0]
    rev = robustness_tables([("v", r) for r in _variant(0.5, 200, "parallel", reverse=True)], {})["robustness"]
    rev = rev.iloc[0]
    assert fwd["vs_parallel"] == "holds" and fwd["slope"] > 1
    assert rev["vs_parallel"] != "holds" and rev["verdict"] != fwd["verdict"]


def _rob(**pos):
    rows = [{"variant": v, "vs_parallel": p, "slope": s, "seed_sd": 0.05, "seeds": 3}
            for v, (p, s) in pos.items()]
    return pd.DataFrame(rows)


def test_the_explanations_follow_the_controls():
    r = _rob(adam=("below", 1.2), disjoint=("below", 1.25), bits100=("below", 1.2), sgd=("holds", 1.5),
             **{"sgd-momentum": ("above", 1.7)}, batch64=("below", 1.1))
    e = explanations(r).set_index("explanation")["conclusion"]
    assert e["transfer through shared bits"] == "ruled out as the cause"
    assert e["Adam's per-parameter normalisation"] == "supported"
    assert e["batches containing nearly every task"] == "ruled out as the cause"
    r.loc[r["variant"] == "disjoint", "vs_parallel"] = "holds"  # one control reaches parallel: no longer ruled out
    assert explanations(r).set_index("explanation").loc["transfer through shared bits", "conclusion"] == "mixed"
    r.loc[r["variant"] == "adam", "vs_parallel"] = "holds"  # no effect in the base: what removing it changes
    e = explanations(r).set_index("explanation")["conclusion"]
    assert e["Adam's per-parameter normalisation"] == "no effect in the base; removing it raises the slope"
    assert e["transfer through shared bits"] == "no effect in the base; removing it changes nothing detectable"
    assert set(explanations(r[r["variant"] != "adam"])["conclusion"]) == {"no base to compare with"}  # a subset
    r.loc[r["variant"] == "batch64", "slope"] = 0.8  # -0.4 against the base, well outside its Welch interval
    e = explanations(r).set_index("explanation")["conclusion"]
    assert e["batches containing nearly every task"] == "no effect in the base; removing it lowers the slope"


def _tables(folder: pathlib.Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))
            if p.name != "neural_grid_runs.csv"}  # grid_runs holds the wall seconds: not deterministic


def test_shard_merge_round_trip_equals_the_unsharded_run(tmp_path, capsys):
    common = ["--tier", "grid-ci", "--variants", "adam", "disjoint", "--processes", "1", "--no-progress"]
    assert main(common + ["--out", str(tmp_path / "whole")]) == 0
    for k in (0, 1):
        assert main(common + ["--out", str(tmp_path / "sh"), "--shard", f"{k}/2"]) == 0
    # a finished shard is not retrained
    shard0 = tmp_path / "sh" / "shard-0-of-2" / "runs"
    before = {p.name: p.stat().st_mtime_ns for p in shard0.glob("*.npz")}
    assert main(common + ["--out", str(tmp_path / "sh"), "--shard", "0/2"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in shard0.glob("*.npz")} == before
    assert main(common[:-3] + ["--processes", "1", "--merge", str(tmp_path / "sh")]) == 0
    whole, merged = _tables(tmp_path / "whole"), _tables(tmp_path / "sh")
    assert set(whole) >= {"neural_robustness.csv", "neural_examples.csv"} and whole == merged
    capsys.readouterr()
    # shards of another grid (other seeds) are refused at merge
    grid = G.grid_configs("ci", ["adam", "disjoint"], (0, 1, 5))
    with pytest.raises(ValidationError, match="another grid"):
        G.merge(tmp_path / "sh", grid)
    # a damaged run file is refused, naming it
    victim = sorted(shard0.glob("*.npz"))[0]
    victim.write_bytes(victim.read_bytes()[:-10])
    assert main(common[:-3] + ["--processes", "1", "--merge", str(tmp_path / "sh")]) == 2
    assert victim.name in capsys.readouterr().err
    # a missing shard is refused
    import shutil

    shutil.rmtree(tmp_path / "sh" / "shard-1-of-2")
    with pytest.raises(ValidationError, match="missing"):
        G.merge(tmp_path / "sh", G.grid_configs("ci", ["adam", "disjoint"]))
