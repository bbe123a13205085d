"""The report section lays out the neural experiment's tables and figures (built at the CI tier into a tmp dir)."""
import pandas as pd
import pytest

pytest.importorskip("torch")

from reports.blocks import Figure, Table, render_markdown  # noqa: E402
from reports.build import SectionContext  # noqa: E402
from reports.sections import neural as section  # noqa: E402


def test_section_writes_its_tables_and_figures(tmp_path):
    ctx = SectionContext("neural", tmp_path, progress=False, options={"neural": {"tier": "ci", "processes": 1}})
    blocks = section.build(ctx)
    figs = [b for b in blocks if isinstance(b, Figure)]
    tabs = [b for b in blocks if isinstance(b, Table)]
    from simulate.neural.experiment import FULL_OUT

    grid = (FULL_OUT / "tables" / "neural_robustness.csv").exists()
    names = ("task_curves", "learning_times", "loss_steps", "width") + (("robustness", "examples") if grid else ())
    assert {f.png for f in figs} == {f"figures/neural_{n}.png" for n in names}
    assert all((tmp_path / f.png).stat().st_size > 10_000 for f in figs)
    e = pd.read_csv(tmp_path / "tables" / "neural_exponents.csv")
    assert {"learning_time", "steps", "width", "tasks_vs_params"} == set(e["axis"]) and "verdict" in e
    assert any(t.csv == "tables/neural_exponents.csv" for t in tabs)
    md = render_markdown(blocks, tmp_path)
    assert "Assumption 3.5" in md and "verdict" in md
    if grid:  # the grid's tables are shown with their provenance, and copied into the report's tables
        rob = pd.read_csv(tmp_path / "tables" / "neural_robustness.csv")
        pd.testing.assert_frame_equal(rob, pd.read_csv(FULL_OUT / "tables" / "neural_robustness.csv"),
                                      check_dtype=False, rtol=1e-5)  # the report keeps 6 significant digits
        assert "Command: `python -m simulate neural --tier full" in md and "CPU-seconds" in md
        assert "Why below the parallel prediction?" in md
