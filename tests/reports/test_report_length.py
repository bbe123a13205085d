"""report.md stays short enough to read (issue 22): at most 34,000 bytes in all (49,434 when the issue was filed):
Section 5 at most 7,000 and every other section together at most 27,000 (30,312 on 2026-12-07, 26,557 in a scratch
build after the trim); within that, Sections 1, 2 and the appendix at most 8,900 bytes together (22,399 when filed,
10,751 before the trim, 8,862 after), Section 3 at most 4,800 (4,748) and Section 4 at most 5,850 (17,164 when
bounded, 5,816 after): the long per-claim blocks in claims.md and the full tables linked instead.

Both read the committed ``reports/latest/report.md``: they hold once the report is rebuilt after the change they
guard, and fail when a section grows past its budget.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports.build import SECTION_TITLES

LATEST = Path(__file__).resolve().parents[2] / "reports" / "latest"
#: Issue 22's bound on the whole report.md (bytes).
REPORT_BUDGET = 34_000
#: Sections 1 (the claims), 2 (the simulator) and the appendix (an assumption of your own), together (bytes).
PRESENTATION_SECTIONS = ("theory", "simulate", "assumption")
PRESENTATION_BUDGET = 8_900
#: Section 4 (Pythia, 17,164 bytes when trimmed): its verdicts, joint law and figures, the rest linked (bytes).
EMPIRICAL_BUDGET = 5_850
#: Section 5 (the skill-language family): its summary rows and compact columns shown, every row in its CSVs.
SKILLLANG_BUDGET = 7_000
#: Every section but Section 5, with the title, the summary and the preamble: REPORT_BUDGET less Section 5's budget.
OTHERS_BUDGET = REPORT_BUDGET - SKILLLANG_BUDGET


def section_bytes(md: bytes) -> dict[str, int]:
    """Bytes of each ``## `` section of a report.md (its heading to the next ``## `` heading), by heading text."""
    starts = [m.start() for m in re.finditer(rb"^## ", md, flags=re.M)] + [len(md)]
    return {md[a:b].split(b"\n", 1)[0][3:].decode(): b - a for a, b in zip(starts, starts[1:])}


def _committed() -> bytes:
    md = LATEST / "report.md"
    if not md.exists():
        pytest.skip("reports/latest/report.md is not there")
    return md.read_bytes()


def test_section_bytes_partitions_the_report():
    md = b"# T\n\n## Summary\n\nab\n\n## 1. X\n\ncd\n## Appendix: Y\n\ne\n"
    got = section_bytes(md)
    assert got == {"Summary": 16, "1. X": 12, "Appendix: Y": 18}
    assert sum(got.values()) == len(md) - len(b"# T\n\n")


def test_sections_1_2_and_the_appendix_stay_within_their_budget():
    sizes = section_bytes(_committed())
    mine = {SECTION_TITLES[s]: sizes.get(SECTION_TITLES[s]) for s in PRESENTATION_SECTIONS}
    assert None not in mine.values(), f"a section is missing from report.md (rebuild it): {mine}"
    assert sum(mine.values()) <= PRESENTATION_BUDGET, f"{mine}: {sum(mine.values())} bytes > {PRESENTATION_BUDGET}"


def test_section_4_stays_within_its_budget():
    sizes = section_bytes(_committed())
    title = SECTION_TITLES["empirical"]
    assert title in sizes, f"section {title!r} is missing from report.md (rebuild it): {sorted(sizes)}"
    assert sizes[title] <= EMPIRICAL_BUDGET, f"{title}: {sizes[title]} bytes > {EMPIRICAL_BUDGET}"


# Issue 22's "done when" (37,104 bytes on 2026-12-07 before the trim; 33,349 in a scratch build after it).
def test_report_md_stays_within_issue_22s_budget():
    size = len(_committed())
    assert size <= REPORT_BUDGET, (f"report.md is {size} bytes > {REPORT_BUDGET} (issue 22); by section: "
                                   f"{section_bytes(_committed())}")


def test_everything_but_section_5_stays_within_its_budget():
    """Section 5 has its own budget (its owners'); the rest of report.md (title, summary, preamble, the other
    sections) shares what is left of the 34,000."""
    md = _committed()
    size = len(md) - section_bytes(md).get(SECTION_TITLES["skilllang"], 0)
    assert size <= OTHERS_BUDGET, f"report.md less section 5 is {size} bytes > {OTHERS_BUDGET}: {section_bytes(md)}"


def test_section_5_skill_language_stays_within_its_budget():
    size = section_bytes(_committed()).get(SECTION_TITLES["skilllang"])
    assert size is not None, "section 5 is missing from report.md (rebuild it)"
    assert size <= SKILLLANG_BUDGET, f"section 5 is {size} bytes > {SKILLLANG_BUDGET}"


#: Section 3 (the neural networks) on its own (bytes; 11,864 when trimmed, issue 22; 5,360 before the second trim).
NEURAL_BUDGET = 4_800


def test_section_3_stays_within_its_budget():
    """Read from the committed report.md: holds once reports/latest is rebuilt with the trimmed section."""
    size = section_bytes(_committed()).get(SECTION_TITLES["neural"])
    assert size is not None, "section 3 is missing from report.md (rebuild it)"
    assert size <= NEURAL_BUDGET, f"section 3 is {size} bytes > {NEURAL_BUDGET}"


def test_section_3_built_from_the_committed_tables_stays_within_its_budget(tmp_path, monkeypatch):
    """The section's Markdown rebuilt from the committed tables (no training: its tables stand in for the runs),
    measured as assemble() writes it: holds before reports/latest is rebuilt."""
    pytest.importorskip("torch")
    import pandas as pd

    import simulate.neural as sn
    from reports.blocks import Heading, render_markdown
    from reports.build import SectionContext
    from reports.sections import neural

    names = ("runs", "exponents", "order", "learning_times", "task_curves", "mean_loss", "loop", "loop_summary",
             "width")
    paths = {n: LATEST / "tables" / f"neural_{n}.csv" for n in names}
    if not all(p.exists() for p in paths.values()):
        pytest.skip("reports/latest/tables lacks the neural tables")
    tabs = {n: pd.read_csv(p) for n, p in paths.items()}
    monkeypatch.setattr(sn, "report_tables", lambda **kw: tabs)
    ctx = SectionContext("neural", tmp_path, progress=False)
    md = render_markdown([Heading(SECTION_TITLES["neural"], 2)] + list(neural.build(ctx)), tmp_path)
    assert len(md.encode()) <= NEURAL_BUDGET, f"section 3 is {len(md.encode())} bytes > {NEURAL_BUDGET}"
    assert section_bytes(md.encode()) == {SECTION_TITLES["neural"]: len(md.encode())}
