"""The shipped Pythia measurements: provenance, checksums, units, and the loader's errors."""
import shutil

import numpy as np
import pandas as pd
import pytest

from empirical.fit import pythia
from empirical.io import read_checked_table, verify_checksums


def test_checksums_cover_every_shipped_file():
    sums = verify_checksums(pythia.PYTHIA_DIR)
    shipped = {p.name for p in pythia.PYTHIA_DIR.iterdir()} - {"SHA256SUMS"}
    assert shipped == set(sums)
    assert "SOURCES.md" in sums


def test_corrupted_copy_is_detected(tmp_path):
    d = tmp_path / "pythia"
    shutil.copytree(pythia.PYTHIA_DIR, d)
    with open(d / "lambada_v1.csv", "a") as fh:
        fh.write("\n")
    with pytest.raises(ValueError, match="checksum mismatch"):
        verify_checksums(d)


def test_a_tampered_table_is_refused_before_it_is_parsed(tmp_path):
    d = tmp_path / "pythia"
    shutil.copytree(pythia.PYTHIA_DIR, d)
    with open(d / "params.csv", "a") as fh:
        fh.write("\n")
    with pytest.raises(ValueError, match="checksum mismatch"):
        read_checked_table(d / "params.csv")
    assert read_checked_table(d / "params.csv", verify=False).equals(pythia.load_params())
    (d / "extra.csv").write_text("a\n1\n")
    with pytest.raises(ValueError, match="not listed"):
        read_checked_table(d / "extra.csv")


def test_loaded_table_units_and_coverage():
    df = pythia.load_pythia()
    assert set(pythia.LAMBADA_COLUMNS) <= set(df.columns)
    assert (df["primary"] == 1).all()
    std = df[(df["run"] == "standard") & (df["shots"] == 0)]
    assert std["model"].nunique() == 16 and std["size"].nunique() == 8
    assert (df["tokens"] == df["step"] * df["batch_tokens"]).all()
    np.testing.assert_allclose(df["flops_6ND_total"], 6.0 * df["params_total"] * df["tokens"], rtol=1e-5)
    np.testing.assert_allclose(np.exp(df[pythia.DEFAULT_LOSS]), df["lambada_openai:ppl"], rtol=1e-12)
    # one canonical row per (model, run, step, shots, source folder)
    assert not df.duplicated(["model", "run", "step", "shots", "source_dir"]).any()
    assert len(pythia.load_pythia(primary_only=False)) > len(df)


def test_params_table_matches_the_evaluations():
    p = pythia.load_params().set_index("size")
    df = pythia.load_pythia()
    for size, g in df.groupby("size"):
        assert (g["params_nonembedding"] == p.loc[size, "params_nonembedding"]).all()
        assert (g["params_total"] == p.loc[size, "params_total"]).all()


def _small():
    return pythia.load_pythia().head(30).copy()


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.drop(columns=["params_nonembedding"]), "params_nonembedding"),
    (lambda d: d.drop(columns=[pythia.DEFAULT_LOSS]), pythia.DEFAULT_LOSS),
    (lambda d: d.assign(params_total=-d["params_total"]), "params_total"),
    (lambda d: d.assign(**{pythia.DEFAULT_LOSS: 0.0}), pythia.DEFAULT_LOSS),
    (lambda d: d.assign(step="late"), "step"),
    (lambda d: d.assign(tokens=np.nan), "tokens"),
    (lambda d: d.iloc[:0], "no rows"),
])
def test_malformed_tables_name_the_column(mutate, match):
    with pytest.raises(ValueError, match=match):
        pythia.validate_loss_table(mutate(_small()))


def test_foreign_and_missing_files(tmp_path):
    foreign = tmp_path / "foreign.csv"
    pd.DataFrame({"city": ["a", "b"], "temp": [1, 2]}).to_csv(foreign, index=False)
    with pytest.raises(ValueError, match="missing column"):
        pythia.read_loss_csv(foreign)
    with pytest.raises(FileNotFoundError):
        pythia.read_loss_csv(tmp_path / "nope.csv")
    with pytest.raises(TypeError):
        pythia.validate_loss_table([1, 2, 3])


def test_minipythia_shaped_table_gets_defaults():
    d = pd.DataFrame({"model": ["m1"] * 3, "size": "s", "params_total": 10, "params_nonembedding": 5,
                      "step": [1, 2, 3], "tokens": [10, 20, 30], "heldout_loss_nats": [3.0, 2.5, 2.2]})
    v = pythia.validate_loss_table(d, "heldout_loss_nats")
    assert (v["run"] == "standard").all() and (v["primary"] == 1).all() and (v["deduped"] == 0).all()
    np.testing.assert_allclose(v["flops_6ND_nonemb"], 6 * 5 * d["tokens"])


def test_sizes_in_billions_are_kept_not_truncated():
    d = pd.DataFrame({"model": ["a", "a", "b", "b"], "params_total": [0.07, 0.07, 0.16, 0.16],
                      "params_nonembedding": [0.019, 0.019, 0.085, 0.085], "step": [0.5, 1.5, 0.5, 1.5],
                      "tokens": [1.05, 3.15, 1.05, 3.15], "heldout_loss_nats": [3.0, 2.8, 2.9, 2.6]})
    v = pythia.validate_loss_table(d, "heldout_loss_nats")
    for col in ("params_total", "params_nonembedding", "step", "tokens"):
        np.testing.assert_array_equal(v[col].to_numpy(), d[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(v["flops_6ND_total"], 6 * d["params_total"] * d["tokens"], rtol=1e-15)
