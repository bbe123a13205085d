"""The report builder: determinism, isolation of failing sections, --only, rendering."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from reports import build as B
from reports.__main__ import main as reports_main
from reports.blocks import Figure, Heading, Para, Table, from_json, render_html, render_markdown, to_json


def _tables(folder):
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))}


def test_same_seed_same_tables_byte_for_byte(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    B.build_report(a, only="assumption", progress=False)
    B.build_report(b, only="assumption", progress=False)
    ta, tb = _tables(a), _tables(b)
    assert ta and ta == tb
    figs = sorted(p.name for p in (a / "figures").glob("*.png"))
    assert figs and all((a / "figures" / f).read_bytes() == (b / "figures" / f).read_bytes() for f in figs)


def test_outputs_and_manifest(tmp_path):
    m = B.build_report(tmp_path, only="assumption", progress=False)
    assert (tmp_path / "report.md").exists()
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in html  # figures embedded: the page is self-contained
    disk = json.loads((tmp_path / "manifest.json").read_text())
    assert disk["sections"]["assumption"]["ok"] and disk["sections"]["assumption"]["seconds"] >= 0
    assert disk["versions"]["numpy"] and disk["seed"] == 0
    assert set(disk["data_sha256"]) >= {"pythia/lambada_v1.csv", "hh_rlhf/harmless-base_test.jsonl.gz"}
    assert m["sections"] == disk["sections"]


def test_a_failing_section_is_reported_and_the_others_kept(tmp_path, monkeypatch):
    B.build_report(tmp_path, only="assumption", progress=False)
    before = (tmp_path / "sections" / "assumption.json").read_text()

    def boom(ctx):
        raise RuntimeError("simulated failure")

    real = B._sections

    def patched():
        s = real()
        s["simulate"] = (s["simulate"][0], boom)
        return s

    monkeypatch.setattr(B, "_sections", patched)
    assert reports_main(["--out", str(tmp_path), "--only", "simulate", "--quiet"]) == 1
    md = (tmp_path / "report.md").read_text()
    assert "simulated failure" in md
    assert (tmp_path / "sections" / "assumption.json").read_text() == before  # --only kept the other section
    assert "Appendix: checking an assumption of your own" in md
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["sections"]["simulate"]["ok"] is False and man["sections"]["assumption"]["ok"] is True


def test_bad_arguments(tmp_path, capsys):
    assert reports_main(["--out", str(tmp_path), "--only", "nope"]) == 2
    with pytest.raises(ValueError, match="only"):
        B.build_report(tmp_path, only="nope")
    with pytest.raises(TypeError, match="seed"):
        B.build_report(tmp_path, seed="0")


def test_blocks_round_trip_and_render(tmp_path):
    pd.DataFrame({"a": [1.0, 2.5], "b": ["x|y", "z"]}).to_csv(tmp_path / "t.csv", index=False)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.savefig(tmp_path / "f.png")
    plt.close(fig)
    blocks = [Heading("H"), Para("some `code` and **bold**"), Table("t.csv", "cap"), Figure("f.png", "fig")]
    assert from_json(to_json(blocks)) == blocks
    md = render_markdown(blocks, tmp_path)
    assert "|a|b|" in md and "x\\|y" in md and "![f](f.png)\n\n*fig*" in md
    html = render_html(blocks, tmp_path, "T")
    assert "<code>code</code>" in html and "<strong>bold</strong>" in html and "<td>x|y</td>" in html


def test_arithmetic_asterisks_are_not_emphasis():
    from reports.blocks import markdown_html, md_escape

    assert "<em>" not in markdown_html("(d+n)/2 * d * log(1 + 1/eps^2)")
    assert "<em>" not in markdown_html(md_escape("(sigma - 1)*(sigma + 1)*(v - 1)"))  # data text is escaped
    assert markdown_html("an *emphasis*").strip() == "<p>an <em>emphasis</em></p>"
