"""The report as a browser shows it: headless Chromium opens reports/latest/report.html at 1280 x 800.

Checks: every image decodes and is visible, nothing widens the page past the viewport, the summary fits in
the first screen; a screenshot of the first screen is saved. Skipped only where no Chromium binary exists
(.ci/run installs Debian's chromium-headless-shell). The fixture tests prove each check can fail.
"""
from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest

from reports import browser

pytestmark = pytest.mark.browser

REPORT = Path(__file__).resolve().parents[2] / "reports" / "latest" / "report.html"
# A 2x2 opaque PNG, written out byte for byte (no imaging library needed).
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGMwSJgARAwQCgAeDgSBHTXVHgAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = browser.find_chromium()
    if exe is None:
        pytest.skip("no Chromium binary found ($INFOGEO_CHROMIUM, " + ", ".join(browser.CHROMIUM_NAMES)
                    + "); install Debian's chromium-headless-shell to run the browser checks")
    return exe


@pytest.fixture(scope="module")
def report_checks(chromium) -> browser.BrowserChecks:
    assert REPORT.is_file(), f"{REPORT} is missing: build it with python -m reports"
    return browser.check_page(REPORT, chromium=chromium)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def _passes(problem: str | None) -> None:
    if problem is not None:
        pytest.fail(f"{REPORT.name}: {problem}", pytrace=False)


def test_report_images_decode_and_are_visible(report_checks):
    assert report_checks.images, "the report shows no image at all"
    _passes(report_checks.image_problem())


def test_report_fits_1280px(report_checks):
    assert report_checks.viewport == (1280, 800)
    _passes(report_checks.overflow_problem())


def test_report_summary_in_first_screen(report_checks):
    _passes(report_checks.summary_problem())


def test_report_verdicts_are_marked(report_checks):
    _passes(report_checks.verdict_problem())


def test_report_first_screen_screenshot(chromium, tmp_path):
    # The committed reports/latest/screenshot.png is made by `python -m reports.browser ... --screenshot`;
    # the test writes its own copy under tmp so a test run never rewrites a tracked file.
    out = browser.screenshot(REPORT, tmp_path / "screenshot.png", chromium=chromium)
    assert _png_size(out) == (1280, 800)


def _page(tmp_path: Path, body: str) -> Path:
    (tmp_path / "ok.png").write_bytes(_PNG)
    page = tmp_path / "page.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{{margin:0}}"
                    f".table-wrap{{overflow-x:auto}} img{{max-width:100%}}</style></head><body>{body}</body></html>")
    return page


def test_each_check_reports_a_broken_page(chromium, tmp_path):
    page = _page(tmp_path, "<h1>Report</h1><img id='good' src='ok.png' alt='good'>"
                           "<img src='missing.png' alt='broken'><img src='ok.png' alt='hidden' style='display:none'>"
                           "<div id='wide' style='width:3000px'><p style='width:2900px'>wide</p></div>"
                           "<div style='height:2000px'>filler</div><div id='summary'>late summary</div>")
    c = browser.check_page(page, chromium=chromium)
    bad = {i["alt"] for i in c.bad_images}
    assert bad == {"broken", "hidden"}, c.images
    msg = c.image_problem()
    assert "2 of 3 images" in msg and "missing.png" in msg
    assert c.scroll_width >= 3000
    assert [o["element"].split(" ")[0] for o in c.overflow] == ["div#wide"], c.overflow
    assert "div#wide" in c.overflow_problem()
    assert c.summary is not None and c.summary["top"] >= 2000
    assert "below the first screen" in c.summary_problem()
    assert "verdict-" in c.verdict_problem()
    assert not c.ok
    shot = browser.screenshot(page, tmp_path / "shots" / "first.png", chromium=chromium)
    assert _png_size(shot) == (1280, 800)


def test_summary_taller_than_a_screen_is_named(chromium, tmp_path):
    c = browser.check_page(_page(tmp_path, "<h1>Report</h1><div id='summary' style='height:1500px'>long</div>"),
                           chromium=chromium)
    assert c.summary["top"] < 800 and "does not fit one screen" in c.summary_problem()


def test_missing_or_misplaced_summary_is_named(chromium, tmp_path):
    c = browser.check_page(_page(tmp_path, "<h1>Report</h1><p>no summary here</p>"), chromium=chromium)
    assert 'no element with id="summary"' in c.summary_problem()
    c = browser.check_page(_page(tmp_path, "<h1>Report</h1><p>intro first</p><div id='summary'>answer</div>"),
                           chromium=chromium)
    assert "not the <h1> title" in c.summary_problem()


def test_a_clean_page_passes_and_scrolling_wrappers_do_not_count(chromium, tmp_path):
    # The contract with the report: summary right after the title, wide tables inside div.table-wrap.
    wide_table = "<table><tr>" + "<td>column_with_a_long_name</td>" * 80 + "</tr></table>"
    page = _page(tmp_path, "<h1>Report</h1><div id='summary'><p><span class='verdict-holds'>holds</span></p></div>"
                           f"<img src='ok.png' alt='good' width='400'><div class='table-wrap'>{wide_table}</div>")
    c = browser.check_page(page, chromium=chromium)
    assert c.problems() == {"images": None, "overflow": None, "summary": None, "verdicts": None}, c.problems()
    assert c.verdicts == {"verdict-holds": 1}
    assert c.ok and c.scroll_width <= c.client_width


def test_screenshot_report_writes_next_to_the_page_or_nothing_without_chromium(chromium, tmp_path, monkeypatch):
    _page(tmp_path, "<h1>Report</h1>").rename(tmp_path / "report.html")
    assert _png_size(browser.screenshot_report(tmp_path)) == (1280, 800)
    (tmp_path / "screenshot.png").unlink()
    monkeypatch.setenv("INFOGEO_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert browser.screenshot_report(tmp_path) is None and not (tmp_path / "screenshot.png").exists()


@pytest.mark.parametrize("width", [0, 99, 1280.0, True])
def test_bad_viewport_raises(tmp_path, width):
    page = _page(tmp_path, "<p>x</p>")
    with pytest.raises((ValueError, TypeError), match="width"):
        browser.check_page(page, width=width, chromium="/nonexistent")


def test_the_browser_command_goes_through_the_runner(tmp_path, monkeypatch, capsys):
    """python -m reports.browser: a page that does not exist, a bad size and a missing Chromium are one-line usage
    errors (exit 2) from infogeo.runner, as for every command."""
    monkeypatch.setenv("INFOGEO_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert browser.main([str(tmp_path / "missing.html")]) == 2
    assert "python -m reports.browser: error: html" in capsys.readouterr().err
    page = _page(tmp_path, "<p>x</p>")
    assert browser.main([str(page), "--width", "0"]) == 2
    assert "--width" in capsys.readouterr().err
    monkeypatch.setattr(browser, "find_chromium", lambda: None)
    assert browser.main([str(page)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no Chromium found" in err[0]
