"""The measurement engine end to end on a tiny random GPT-NeoX family: tables, laws on its own outputs, shards, CLI."""
from __future__ import annotations

import json
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("torch")
pytest.importorskip("transformers")

from empirical.io import read_table  # noqa: E402
from empirical.measure import engine as E  # noqa: E402
from empirical.measure import jobs as J  # noqa: E402
from empirical.measure.cli import main as cli_main  # noqa: E402
from empirical.measure.config import MeasureConfig  # noqa: E402
from empirical.measure.models import forward_states, load_model, tokenize_texts  # noqa: E402
from empirical.measure.prompts import COUNTRIES  # noqa: E402
from theory.gp import posterior_variance  # noqa: E402

pytestmark = pytest.mark.models

TEXTS = [
    "the quick brown fox jumps over the lazy dog",
    "Human: can you help me? Assistant: yes, here is what I would suggest.",
    "He is the king of Spain. She is the queen of Denmark.",
    "numbers 0 1 2 3 4 5 6 7 8 9 and the fox",
    "Is Paris the capital of France? Yes.",
]
COMMON = dict(device="cpu", dtype="float64", progress=False, batch_size=2)


@pytest.fixture(scope="module")
def family(tiny_family):
    return tiny_family


@pytest.fixture(scope="module")
def lm(family):
    return load_model(family, revision="step1", device="cpu", dtype="float64", attn_implementation="eager")


@pytest.fixture(scope="module")
def full_run(family, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    paths = E.run_measurements(family, MeasureConfig(layers="1,-1"), revision="step1", texts=TEXTS, out_dir=out,
                               **COMMON)
    return out, paths


def _read(path):
    return read_table(path, keep_default_na=False, na_values=[""])


def test_every_table_has_its_documented_columns(full_run):
    out, paths = full_run
    assert set(paths) == {"entropy", "infogain", "lasso", "lasso_sweep", "embeddings", "embeddings_separation",
                          "distances", "distances_null"}
    want = {
        "entropy": ["model", "revision", "text_id", "layer", "n_tokens", "d", "eps", "L_eps", "L_eps_normalized",
                    "matrix_entropy"],
        "infogain": ["model", "revision", "text_id", "layer", "t", "sigma", "info_gain", "increment",
                     "info_gain_normalized"],
    }
    for name, cols in want.items():
        assert list(_read(paths[name]).columns) == cols
    for path in paths.values():
        df = _read(path)
        assert len(df) > 0 and {"model", "revision", "layer"} <= set(df.columns)
        assert set(df["layer"]) == {1, 2}
        assert set(df["revision"]) == {"step1"}


def test_entropy_table_agrees_with_direct_float64_recomputation(full_run, lm):
    out, paths = full_run
    ent = _read(paths["entropy"]).set_index(["text_id", "layer"])
    ids = tokenize_texts(lm, TEXTS)
    for tid, rec in enumerate(forward_states(lm, ids, [1, 2], batch_size=1)):
        for k in (1, 2):
            U = rec["states"][k] / np.linalg.norm(rec["states"][k], axis=1, keepdims=True)
            n, d = U.shape
            L = 0.5 * (d + n) * np.linalg.slogdet(np.eye(d) + d / 0.01 * U.T @ U / n)[1]
            row = ent.loc[(tid, k)]
            assert row["n_tokens"] == len(ids[tid]) and row["d"] == lm.d
            # batch_size differs from the engine's (2): tolerance covers the padding round-off of test_models.
            np.testing.assert_allclose(row["L_eps"], L, rtol=1e-6)


def test_engine_increments_obey_the_schur_identity(full_run, lm):
    out, paths = full_run
    ig = _read(paths["infogain"])
    ids = tokenize_texts(lm, TEXTS)
    recs = list(forward_states(lm, ids, [2], batch_size=2))  # the engine's own batching: identical states
    for tid in (0, 2):
        Z = recs[tid]["states"][2]
        rows = ig[(ig.text_id == tid) & (ig.layer == 2)].sort_values("t")
        assert list(rows["t"]) == list(range(1, len(Z) + 1))
        for t in range(1, len(Z)):
            var = posterior_variance(Z[:t], Z[t], 0.01)
            assert rows["increment"].iloc[t] == pytest.approx(0.5 * np.log1p(var / 0.01**2), rel=1e-7, abs=1e-10)
        np.testing.assert_allclose(rows["info_gain"].to_numpy(), np.cumsum(rows["increment"].to_numpy()), rtol=1e-12)
        np.testing.assert_allclose(rows["info_gain_normalized"], rows["info_gain"] / lm.d, rtol=1e-15)


_WORDS = ["the", "king", "queen", "of", "Spain.", "Is", "capital", "?", "Yes.", "No", "fox", "7", "Human:", "help"]


@settings(max_examples=12)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=30))
def test_engine_tables_obey_direct_recomputation_and_schur(lm, words):
    """Property on the engine's own output files: float64 entropy = direct slogdet; increments = Schur form."""
    text = " ".join(words)
    with tempfile.TemporaryDirectory() as tmp:
        paths = E.run_measurements(lm, MeasureConfig(layers="all", measurements=("entropy", "infogain")),
                                   texts=[text], out_dir=tmp, progress=False, batch_size=1)
        ent, ig = _read(paths["entropy"]), _read(paths["infogain"])
    ids = tokenize_texts(lm, [text])
    rec = next(forward_states(lm, ids, [0, 1, 2], batch_size=1))  # batch_size=1: bit-identical states
    sigma, eps = 0.01, 0.1
    for k in (0, 1, 2):
        Z = rec["states"][k]
        n, d = Z.shape
        U = Z / np.linalg.norm(Z, axis=1, keepdims=True)
        row = ent[ent.layer == k].iloc[0]
        L = 0.5 * (d + n) * np.linalg.slogdet(np.eye(d) + d / eps**2 * U.T @ U / n)[1]
        assert row["n_tokens"] == n == len(ids[0])
        np.testing.assert_allclose(row["L_eps"], L, rtol=1e-9)
        inc = ig[ig.layer == k].sort_values("t")["increment"].to_numpy()
        assert len(inc) == n
        assert inc[0] == pytest.approx(0.5 * np.log1p(1 / sigma**2), rel=1e-12)
        for t in range(1, n):
            var = posterior_variance(Z[:t], Z[t], sigma)
            assert inc[t] == pytest.approx(0.5 * np.log1p(var / sigma**2), rel=1e-7, abs=1e-10)


def test_lasso_table_follows_the_protocol(full_run, lm):
    df = _read(full_run[1]["lasso"])
    assert set(df["target"]) == {"No", "?", "China"}
    assert np.allclose(df["sklearn_alpha"], 1e-4 / (2 * lm.d))
    for _, g in df.groupby(["layer", "target"]):
        j = g["target_position"].iloc[0]
        assert list(g["position"]) == list(range(j))  # every earlier token, nothing else
        assert (g["selected_attention"] == (g["attention"] > 0.01)).all()
        assert (g["selected_lasso"] == (g["lasso_coef"] > 0.01)).all()
        np.testing.assert_allclose(g["attention"].sum() + g["target_self_attention"].iloc[0], 1.0, atol=1e-10)
    china = df[df.target == "China"]
    assert "Beijing" in "".join(china["token"])  # the context holds the whole protocol sentence


def test_embeddings_and_distances_tables(full_run):
    emb = _read(full_run[1]["embeddings"])
    assert set(emb["representation"]) == {"mean", "last"} and "pca" in set(emb["method"])
    pca = emb[(emb.method == "pca") & (emb.layer == 2) & (emb.representation == "mean")]
    assert len(pca) == 3 * len(COUNTRIES) and set(pca["context"]) == {"king", "queen", "none"}
    sep = _read(full_run[1]["embeddings_separation"])
    assert sep["silhouette_king_vs_queen"].between(-1, 1).all()
    dist = _read(full_run[1]["distances"])
    n = 2 * len(COUNTRIES)
    assert len(dist) == 2 * 4 * n * (n - 1) // 2
    assert (dist["distance"] >= 0).all()
    np.testing.assert_allclose(dist["pyriemann_distance"], dist["distance"], rtol=1e-6)
    assert (dist.loc[dist.metric == "js", "ridge"] == 0).all()
    assert (dist.loc[dist.metric != "js", "ridge"] == 1e-4).all()


def test_same_seed_gives_byte_identical_tables_and_finished_runs_are_not_recomputed(family, tmp_path):
    cfg = MeasureConfig(measurements=("entropy", "infogain", "embeddings"))
    kw = dict(revision="step0", texts=TEXTS[:3], config=cfg, **COMMON)
    a = E.run_measurements(family, out_dir=tmp_path / "a", **kw)
    b = E.run_measurements(family, out_dir=tmp_path / "b", **kw)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes()
    stamp = {n: p.stat().st_mtime_ns for n, p in a.items()}
    again = E.run_measurements(family, out_dir=tmp_path / "a", **kw)
    assert {n: p.stat().st_mtime_ns for n, p in again.items()} == stamp
    with pytest.raises(ValueError, match="different configuration"):
        E.run_measurements(family, out_dir=tmp_path / "a", **{**kw, "texts": TEXTS[:2]})


def test_the_marker_holds_the_whole_config_and_only_an_identical_run_counts_as_finished(family, tmp_path):
    cfg = MeasureConfig(measurements=("entropy",), layers="1", eps=0.2, text_limit=2)
    E.run_measurements(family, cfg, revision="step0", texts=TEXTS, out_dir=tmp_path, recipe="r1", **COMMON)
    stored = json.loads((tmp_path / J.MARKER).read_text())["config"]
    assert MeasureConfig(**stored["measure_config"]) == cfg and stored["recipe"] == "r1"
    same = dict(model=str(family), revision="step0", config=cfg, recipe="r1")
    assert set(J.finished(tmp_path, **same)) == {"entropy"}
    for change in (dict(config=cfg.replace(eps=0.1)), dict(recipe="r2"), dict(revision="step1"),
                   dict(model=str(family) + "-other")):
        assert J.finished(tmp_path, **{**same, **change}) is None, change


def test_shards_merge_into_the_unsharded_tables(family, tmp_path):
    kw = dict(revision="step1", texts=TEXTS, config=MeasureConfig(measurements=("entropy", "infogain", "lasso")),
              **{**COMMON, "batch_size": 1})
    whole = E.run_measurements(family, out_dir=tmp_path / "whole", **kw)
    for k in (2, 0):
        E.run_measurements(family, out_dir=tmp_path / "sharded", shard=f"{k}/3", **kw)
    with pytest.raises(ValueError, match="1/3 are not finished"):
        J.merge_shards(tmp_path / "sharded")
    shard1 = E.run_measurements(family, out_dir=tmp_path / "sharded", shard=(1, 3), **kw)
    assert set(shard1) == {"entropy", "infogain"}  # the fixed prompts run in shard 0 only
    merged = J.merge_shards(tmp_path / "sharded")
    for name in ("entropy", "infogain", "lasso"):
        pd.testing.assert_frame_equal(_read(merged[name]), _read(whole[name]))


def test_a_shard_without_texts_is_an_empty_finished_shard_that_merges(family, tmp_path):
    kw = dict(revision="step1", texts=TEXTS[:2], config=MeasureConfig(measurements=("entropy", "infogain"), layers="1"),
              **COMMON)
    whole = E.run_measurements(family, out_dir=tmp_path / "whole", **kw)
    empty = E.run_measurements(family, out_dir=tmp_path / "sharded", shard="3/4", **kw)
    assert set(empty) == {"entropy", "infogain"}
    for name, path in empty.items():
        df = _read(path)
        assert len(df) == 0 and list(df.columns) == list(_read(whole[name]).columns)
    assert (tmp_path / "sharded" / "shard-3-of-4" / J.MARKER).exists()
    for k in range(3):
        E.run_measurements(family, out_dir=tmp_path / "sharded", shard=(k, 4), **kw)
    merged = J.merge_shards(tmp_path / "sharded")
    for name in ("entropy", "infogain"):
        pd.testing.assert_frame_equal(_read(merged[name]), _read(whole[name]))


def test_shard_arithmetic():
    assert J.parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "-1/3", "1of3", (3, 0)):
        with pytest.raises(ValueError, match="shard"):
            J.parse_shard(bad)
    parts = [J.shard_indices(11, (k, 4)) for k in range(4)]
    assert sorted(sum(parts, [])) == list(range(11))
    assert len(J.pythia_jobs()) == 8 * 154 and len(set(J.pythia_jobs())) == 8 * 154
    assert J.PYTHIA_STEPS[0] == 0 and J.PYTHIA_STEPS[-1] == 143000


def test_hh_rlhf_content_never_reaches_tables_or_logs(family, tmp_path, capfd):
    from empirical.measure.texts import load_hh_rlhf

    cfg = MeasureConfig(text_limit=2, max_tokens=64, measurements=("entropy", "infogain"))
    paths = E.run_measurements(family, cfg, revision="step0", texts=None, out_dir=tmp_path,
                               **{**COMMON, "progress": True})
    captured = capfd.readouterr()
    blob = captured.out + captured.err + "".join(p.read_text() for p in paths.values())
    blob += (tmp_path / J.MARKER).read_text()
    snippets = [t.strip()[:40] for t in load_hh_rlhf("chosen", limit=2)]
    leaked = any(s in blob for s in snippets)
    assert not leaked  # (no snippet is shown on failure, on purpose)
    assert set(_read(paths["entropy"])["text_id"]) == {0, 1}


def test_revision_all_measures_every_local_checkpoint(family, tmp_path, capsys):
    (tmp_path / "t.txt").write_text(TEXTS[0] + "\n")
    argv = ["--model", str(family), "--revision", "all", "--texts", str(tmp_path / "t.txt"), "--measurements",
            "entropy", "--device", "cpu", "--no-progress", "--out", str(tmp_path / "all")]
    assert cli_main(argv) == 0
    assert cli_main(["--merge", str(tmp_path / "all")]) == 0
    assert set(_read(tmp_path / "all" / "entropy.csv")["revision"]) == {"step0", "step1"}
    capsys.readouterr()


def test_jobs_mode_and_cli(family, tmp_path, capsys):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text(f"# tiny family\n{family} step0\n{family} step1\n")
    base = ["--texts", str(tmp_path / "t.txt"), "--measurements", "entropy,infogain", "--device", "cpu",
            "--dtype", "float64", "--no-progress", "--out", str(tmp_path / "suite")]
    (tmp_path / "t.txt").write_text("\n".join(TEXTS[:2]) + "\n")
    assert cli_main(["--jobs", str(jobs), "--shard", "1/2", *base]) == 0
    assert cli_main(["--jobs", str(jobs), "--shard", "0/2", *base]) == 0
    assert cli_main(["--merge", str(tmp_path / "suite")]) == 0
    ent = _read(tmp_path / "suite" / "entropy.csv")
    assert set(ent["revision"]) == {"step0", "step1"} and len(ent) == 2 * 2
    assert cli_main(["--write-pythia-jobs", str(tmp_path / "pj.txt")]) == 0
    assert len((tmp_path / "pj.txt").read_text().splitlines()) == 1232
    capsys.readouterr()


@pytest.mark.parametrize("argv, needle", [
    (["--model", ""], "--model is required"),  # with no --model the mini-Pythia family is the default
    (["--model", "EleutherAI/pythia-infogeo-absent"], "--model DIR"),
    (["--model", "FAMILY", "--revision", "step0", "--layers", "9"], "unknown layer 9"),
    (["--model", "FAMILY", "--revision", "step0", "--max-tokens", "4096"], "exceeds the model's context"),
    (["--model", "FAMILY", "--revision", "step0", "--shard", "3/3"], "shard"),
    (["--model", "FAMILY", "--revision", "step0", "--measurements", "entropy,vibes"], "measurements must be"),
    (["--model", "FAMILY", "--revision", "step0", "--texts", "missing.jsonl"], "not found"),
    (["--merge", "nowhere"], "not found"),
])
def test_cli_bad_input_exits_2_with_a_message_not_a_traceback(family, tmp_path, capsys, argv, needle):
    argv = [str(family) if a == "FAMILY" else a for a in argv]
    rc = cli_main([*argv, "--out", str(tmp_path), "--device", "cpu", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err and "Traceback" not in err


# ------------------------------------------------------------- Section 4.2 sweep and 4.3 null (issue 22)
@pytest.mark.parametrize("T, n_a, n_b", [(6, 2, 3), (7, 3, 3), (8, 1, 5), (5, 5, 2)])
def test_chance_overlap_is_the_exact_random_selection_law(T, n_a, n_b):
    """Against enumeration of every selection of n_b of T tokens (attention's n_a fixed): mean and tail."""
    from itertools import combinations

    from empirical.measure.measurements import chance_overlap

    att = set(range(n_a))
    overlaps = [len(att & set(c)) for c in combinations(range(T), n_b)]
    for k in range(0, min(n_a, n_b) + 1):
        expected, p = chance_overlap(T, n_a, n_b, k)
        assert expected == pytest.approx(np.mean(overlaps), rel=1e-12)
        assert p == pytest.approx(np.mean([o >= k for o in overlaps]), rel=1e-9)


def test_lasso_lambda_max_is_where_the_lasso_selects_nothing():
    from empirical.measure import metrics as M

    rng = np.random.default_rng(3)
    for T, d in ((5, 40), (12, 30), (30, 16)):
        Z, z = rng.normal(size=(T, d)), rng.normal(size=d)
        lam = M.lasso_lambda_max(Z, z)
        assert 0 < lam <= 2
        assert np.count_nonzero(M.lasso_fit(Z, z, lam * 1.001)[0]) == 0
        assert np.count_nonzero(M.lasso_fit(Z, z, lam * 0.95)[0]) >= 1


def test_lasso_sweep_rows_agree_with_the_lasso_table(full_run):
    lasso = _read(full_run[1]["lasso"])
    sweep = _read(full_run[1]["lasso_sweep"])
    for (layer, target), g in sweep.groupby(["layer", "target"]):
        rows = lasso[(lasso.layer == layer) & (lasso.target == target)]
        paper = g[g["paper_lambda"]].iloc[0]
        assert paper["lambda"] == 1e-4 and paper["n_context"] == len(rows)
        assert paper["n_lasso"] == rows["selected_lasso"].sum()
        assert paper["n_attention"] == rows["selected_attention"].sum()
        assert paper["n_both"] == (rows["selected_lasso"] & rows["selected_attention"]).sum()
        np.testing.assert_allclose(g["chance_both"], g["n_attention"] * g["n_lasso"] / g["n_context"], rtol=1e-12)
        np.testing.assert_allclose(g["lambda"], g["lambda_ratio"] * g["lambda_max"], rtol=1e-5)
        assert (g.loc[~g["paper_lambda"], "n_nonzero"] >= 1).all()  # below λ_max something is selected


def test_distances_null_separates_structured_from_exchangeable_distances():
    from empirical.measure.measurements import distances_null

    ctx = ["king"] * 6 + ["queen"] * 6
    rows = [{"layer": 1, "metric": "m", "sentence_a": a, "sentence_b": b, "context_a": ctx[a], "context_b": ctx[b]}
            for a in range(12) for b in range(a + 1, 12)]
    df = pd.DataFrame(rows)
    df["distance"] = np.where(df["context_a"] == df["context_b"], 1.0, 2.0)
    out = distances_null(df, seed=0, n_permutations=500).iloc[0]
    assert out["ratio_across_within"] == 2.0 and out["p_value"] == pytest.approx(1 / 501)
    assert out["null_low"] < 1.2 and out["null_high"] < 1.5
    ps = []
    for seed in range(40):  # exchangeable distances: the permutation p-value is (super-)uniform
        df["distance"] = np.random.default_rng(seed).exponential(size=len(df))
        ps.append(distances_null(df, seed=seed, n_permutations=200).iloc[0]["p_value"])
    assert 0.02 <= np.mean(np.array(ps) <= 0.1) <= 0.3 and 0.3 < np.mean(ps) < 0.7


def test_the_documented_worked_example_adds_a_measurement(family, tmp_path, monkeypatch, lm):
    """docs/measure.md's example spec, run as written: registered, measured, sharded, merged, in the report."""
    from pathlib import Path

    from empirical.measure import measurements as R
    from empirical.measure.report import _measurement_tables

    doc = (Path(__file__).resolve().parents[2] / "docs" / "measure.md").read_text()
    block = doc.split("# --- worked example:", 1)[1].split("\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "docs/measure.md", "exec"), namespace)
    monkeypatch.setitem(R.REGISTRY, "stable_rank", namespace["STABLE_RANK"])
    cfg = MeasureConfig(measurements=("entropy", "stable_rank"), layers="1,2")
    kw = dict(revision="step1", texts=TEXTS, config=cfg, **COMMON)
    whole = E.run_measurements(family, out_dir=tmp_path / "whole", **kw)
    table = _read(whole["stable_rank"])
    assert list(table.columns) == ["model", "revision", "text_id", "layer", "n_tokens", "stable_rank"]
    ids = tokenize_texts(lm, TEXTS)
    for tid, rec in enumerate(forward_states(lm, ids, [1, 2], batch_size=2)):
        for k in (1, 2):
            U = rec["states"][k] / np.linalg.norm(rec["states"][k], axis=1, keepdims=True)
            s = np.linalg.svd(U, compute_uv=False)
            row = table[(table.text_id == tid) & (table.layer == k)].iloc[0]
            # the padding caveat of docs/measure.md bounds state differences at 1e-6 relative
            assert row["stable_rank"] == pytest.approx(np.sum(s**2) / s[0] ** 2, rel=1e-6)
    for k in range(2):
        E.run_measurements(family, out_dir=tmp_path / "sharded", shard=(k, 2), **kw)
    merged = J.merge_shards(tmp_path / "sharded")
    pd.testing.assert_frame_equal(_read(merged["stable_rank"]), table)
    tabs = _measurement_tables({"m": whole}, None)
    assert len(tabs["measure_stable_rank"]) == len(TEXTS) * 2
