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
    with pytest.raises(ValueError, match="seed"):
        B.build_report(tmp_path, seed=-1)
    with pytest.raises(ValueError, match="no such folder"):
        B.build_report(tmp_path, model=str(tmp_path / "nope"))


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


def _fail_if_built(*args, **kwargs):
    raise AssertionError("a section started although an option was bad")


@pytest.mark.parametrize("argv, named", [(["--only", "assumption", "--seed", "-1"], "--seed"),
                                         (["--only", "measure", "--model", "/nonexistent/m"], "--model"),
                                         (["--only", "measure", "--model", ""], "--model"),
                                         (["--only", "measure", "--model", "./no/such/model"], "--model"),
                                         (["--jobs", "0"], "--jobs")])
def test_bad_options_are_refused_before_any_section_and_leave_the_report_alone(tmp_path, monkeypatch, capsys, argv,
                                                                              named):
    """issue 24: a bad option of `python -m reports` (a negative seed, a model folder that does not exist, an empty
    model name) is a usage error (exit 2) before any section runs, and an existing report keeps every byte."""
    B.build_report(tmp_path, only="assumption", progress=False)
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    monkeypatch.setattr(B, "build_section", _fail_if_built)
    capsys.readouterr()
    assert reports_main(["--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and len(err.strip().splitlines()) <= 2, err
    assert {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()} == before


def test_a_failed_rebuild_keeps_the_previous_good_build_and_says_so(tmp_path, monkeypatch):
    """issue 24: a section whose rebuild fails does not replace its good build with "This section failed to
    build": its tables, figures and content stay (with a note naming the failure), the manifest says
    kept_previous, the command exits 1; a rebuild that works replaces the note."""
    B.build_report(tmp_path, only="assumption", progress=False)
    tables, figs = _tables(tmp_path), sorted((tmp_path / "figures").glob("*.png"))
    real = B._sections

    def boom(ctx):
        ctx.table("assumption_sqrt_cost_exponents", pd.DataFrame({"half": [1]}))  # written, then the build fails
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(B, "_sections", lambda: real() | {"assumption": (real()["assumption"][0], boom)})
    assert reports_main(["--out", str(tmp_path), "--only", "assumption", "--quiet"]) == 1
    assert _tables(tmp_path) == tables and figs and all(f.exists() for f in figs)
    md = (tmp_path / "report.md").read_text()
    assert "failed to build" not in md and "checking an assumption of your own" in md
    assert md.count("last rebuild of this section failed") == 1 and "simulated failure" in md
    meta = json.loads((tmp_path / "manifest.json").read_text())["sections"]["assumption"]
    assert meta["kept_previous"] and meta["ok"] is False and "simulated failure" in meta["error"]
    assert reports_main(["--out", str(tmp_path), "--only", "assumption", "--quiet"]) == 1  # fails again: one note
    assert (tmp_path / "report.md").read_text().count("last rebuild of this section failed") == 1
    monkeypatch.setattr(B, "_sections", real)
    assert reports_main(["--out", str(tmp_path), "--only", "assumption", "--quiet"]) == 0
    assert "last rebuild" not in (tmp_path / "report.md").read_text() and _tables(tmp_path) == tables


def test_sections_built_in_parallel_processes_give_the_serial_tables_byte_for_byte(tmp_path):
    """--jobs 2 builds each section in a fresh spawned process; the tables, figures and report.md are those of the
    build one after another in one process."""
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    B.build_report(serial, only=["theory", "assumption"], progress=False, jobs=1)
    m = B.build_report(parallel, only=["theory", "assumption"], progress=False, jobs=2)
    assert m["jobs"] == 2 and not m["failed"] and set(m["sections"]) == {"theory", "assumption"}
    assert _tables(serial) == _tables(parallel) and len(_tables(serial)) > 5
    figs = sorted(p.relative_to(serial) for p in (serial / "figures").rglob("*.png"))
    assert figs and all((serial / f).read_bytes() == (parallel / f).read_bytes() for f in figs)
    assert (serial / "report.md").read_text() == (parallel / "report.md").read_text()
    assert (parallel / "logs" / "theory.log").exists() and not (parallel / ".stage").exists()


def test_sections_are_discovered_in_their_stated_order():
    """A section registers itself (reports.sections.section); the build's order and numbering come from it."""
    from reports.sections import discover

    found = discover()
    assert list(found) == list(B.SECTION_NAMES) and len(found) >= 6
    orders = [s.order for s in found.values()]
    assert orders == sorted(orders)
    numbered = [n for n in found if not found[n].appendix]
    assert all(B.SECTION_TITLES[n].startswith(f"{i}. ") for i, n in enumerate(numbered, start=1))
    assert all(B.SECTION_TITLES[n] == f"Appendix: {found[n].title}" for n in found if found[n].appendix)
    assert [found[n].appendix for n in found] == sorted(found[n].appendix for n in found)  # appendices last
