"""Report section 5 lays out the skill-language family's tables, figures and calibration (a small family, tmp dirs)."""
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from reports.blocks import Figure, Table, render_markdown  # noqa: E402
from reports.build import SectionContext  # noqa: E402
from reports.sections import skilllang as section  # noqa: E402

pytestmark = [pytest.mark.models, pytest.mark.slow]


def test_section_writes_its_tables_figures_and_calibration(tmp_path):
    opts = {"tier": "ci", "alphas": (1.0,), "widths": (8, 12, 16, 24), "steps": 60, "processes": 1,
            "root": tmp_path / "cache"}
    ctx = SectionContext("skilllang", tmp_path / "out", progress=False, options={"skilllang": opts})
    blocks = section.build(ctx)
    figs = [b for b in blocks if isinstance(b, Figure)]
    assert {f.png for f in figs} == {f"figures/skilllang_{n}.png" for n in ("skill_curves", "learning_times",
                                                                              "scaling", "infogain")}
    assert all((tmp_path / "out" / f.png).stat().st_size > 10_000 for f in figs)
    cal = pd.read_csv(tmp_path / "out" / "tables" / "skilllang_calibration.csv")
    assert {"alpha_N", "E", "steps", "frontier"} <= set(cal["quantity"]) and (cal["alpha"] == 1.0).all()
    assert (cal.loc[cal["quantity"] == "alpha_N", "truth"] == 1.0).all()
    s4 = pd.read_csv(tmp_path / "out" / "tables" / "skilllang_section4.csv")
    assert len(s4) == 4 and (s4["null_auc"] == 0.5).all()
    ig = pd.read_csv(tmp_path / "out" / "tables" / "skilllang_infogain.csv")
    assert len(ig) == 4 * 3 * 2 and set(ig["variant"]) == {"trained", "step 0", "shuffled tokens"}
    hint = pd.read_csv(tmp_path / "out" / "tables" / "skilllang_hint.csv")  # 32 skills: the frequent group only
    assert len(hint) == 2 * 4 and set(hint["size"]) == {"d24l1"}
    assert (hint.loc[hint["model"] != "hint", ["H_known", "CE_known"]].nunique() == 1).all()  # the null: no gap
    assert any(isinstance(t, Table) and t.csv == "tables/skilllang_calibration.csv" for t in blocks)
    md = render_markdown(blocks, tmp_path / "out")
    assert "Definition 3.4" in md and "Calibration" in md
    # The report shows the calibration's summary rows (alpha_N, E, steps over all sizes, frontier; non-embedding N;
    # against α/(α+2)) and says how many of the CSV's rows that is; the CSV keeps every row.
    shown = cal[(cal["alpha_source"] == "nonembedding") & cal["subject"].isin(["nonembedding", "all sizes"])
                & cal["hypothesis"].astype(str).str.startswith(("a = α/(α+2)", "L = E"))]
    assert set(shown["quantity"]) == {"alpha_N", "E", "steps", "frontier"}
    assert f"({len(shown)} of {len(cal)} rows; full table: [tables/skilllang_calibration.csv]" in md
    assert "window_lo" not in md and "attention_picks" not in md
