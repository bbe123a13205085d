"""Figures 3-6 helpers draw from the engine's own tables."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from empirical.measure import engine as E  # noqa: E402
from empirical.measure import plots as P  # noqa: E402

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def tables(tiny_family, tmp_path_factory):
    family = tiny_family
    out = tmp_path_factory.mktemp("plots")
    return E.run_measurements(family, revision="step0", texts=["a small text about the fox", "Cuba. Spain. Japan."],
                              out_dir=out, device="cpu", progress=False)


@pytest.mark.parametrize("name, fn, table", [
    ("fig3", P.plot_infogain, "infogain"),
    ("entropy", P.plot_entropy, "entropy"),
    ("lasso", P.plot_lasso, "lasso"),
    ("lasso+sweep", lambda t: P.plot_lasso(t, t.with_name("lasso_sweep.csv")), "lasso"),
    ("fig4", P.plot_embeddings, "embeddings"),
    ("fig5-6", P.plot_distances, "distances"),
    ("fig5-6+null", lambda t: P.plot_distances(t, t.with_name("distances_null.csv")), "distances"),
])
def test_each_figure_is_labelled_and_saves(tables, tmp_path, name, fn, table):
    fig = fn(tables[table])  # a CSV path works as well as a DataFrame
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert axes
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is not None or table == "distances"
    fig.savefig(tmp_path / f"{name}.png", dpi=50)
    assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_bad_tables_are_named(tables):
    import pandas as pd

    with pytest.raises(ValueError, match="lacks columns"):
        P.plot_infogain(pd.DataFrame({"t": [1]}))
    with pytest.raises(ValueError, match="no rows for layer 7"):
        P.plot_embeddings(tables["embeddings"], layer=7)
    if not _has_umap():
        with pytest.raises(ValueError, match="umap"):
            P.plot_embeddings(tables["embeddings"], method="umap")


def _has_umap() -> bool:
    try:
        import umap  # noqa: F401
    except ImportError:
        return False
    return True
