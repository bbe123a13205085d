"""Open a report in headless Chromium and check what a reader sees; optionally save the first screen.

    python -m reports.browser reports/latest/report.html --screenshot reports/latest/screenshot.png

The browser is driven through its command line only (no Python dependency): a temporary copy of the page gets
a small script that, once every image has loaded or failed, measures the page and writes the results as JSON
into the DOM; ``--headless --dump-dom`` prints that DOM and the results are read back. A second run with
``--screenshot --window-size=W,H`` saves the first screen. The checks, at a ``width x height`` viewport
(default 1280 x 800):

* images: every ``<img>`` decodes (``naturalWidth > 0``) and is visible (non-zero rendered box, not
  ``visibility:hidden``);
* overflow: the document is no wider than the viewport (``scrollWidth <= clientWidth``); otherwise the
  outermost elements sticking out on the right are named (elements inside a scrolling or clipping box, such as
  a ``div.table-wrap`` with ``overflow-x:auto``, do not count: they do not widen the page);
* summary: an element ``id="summary"`` exists, comes right after the ``<h1>`` title, and lies wholly within
  the first screen (``top + its height <= viewport height``: it fits one screen);
* verdicts: verdicts are marked with CSS classes ``verdict-<slug>`` (at least one such element).

These follow the report's HTML contract: summary first after the title, a class per verdict, wide tables in
``<div class="table-wrap">`` (``overflow-x:auto``), images ``max-width:100%``.

Exit status of the command (through :func:`infogeo.runner.run`, like every command): 0 when every check passes,
1 when one fails, 2 on a usage error (no such page, no Chromium found), 130 on Ctrl-C.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from infogeo.validation import ValidationError, ValidationTypeError, positive_int

__all__ = ["BrowserChecks", "BrowserNotFound", "CHROMIUM_NAMES", "check_page", "find_chromium", "screenshot",
           "screenshot_report"]

#: Executables looked up on PATH, in this order (Debian's headless shell first). ``INFOGEO_CHROMIUM`` overrides.
CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "chrome-headless-shell",
                  "google-chrome", "google-chrome-stable", "headless_shell")
_EXTRA_PATHS = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium")
_MARK = "infogeo-browser-checks"

# Runs at the end of <body>: waits for every image to load or fail, then measures and writes JSON into the DOM.
_SCRIPT = r"""
<script>
(function () {
  function describe(el) {
    var s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).join('.');
    var prev = el.previousElementSibling;  // a report table follows its caption, which names its CSV
    if (prev && typeof prev.className === 'string' && prev.className.indexOf('caption') >= 0) {
      var csv = (prev.textContent || '').match(/tables\/[\w.\-]+\.csv/g);
      s += ' [' + (csv ? csv[csv.length - 1] : (prev.textContent || '').trim().slice(0, 50)) + ']';
    }
    var t = (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 70);
    return t ? s + ' "' + t + '"' : s;
  }
  function clipped(el) {  // inside a box that scrolls or clips horizontally: cannot widen the page
    for (var a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      var o = getComputedStyle(a).overflowX;
      if (o !== 'visible') return true;
    }
    return false;
  }
  function measure() {
    var de = document.documentElement, cw = de.clientWidth, out = {};
    out.viewport = [window.innerWidth, window.innerHeight];
    out.client_width = cw;
    out.scroll_width = Math.max(de.scrollWidth, document.body ? document.body.scrollWidth : 0);
    out.images = Array.prototype.map.call(document.images, function (img, i) {
      var r = img.getBoundingClientRect(), cs = getComputedStyle(img);
      var src = img.getAttribute('src') || '';
      if (src.indexOf('data:') === 0) src = src.slice(0, 30) + '...';
      return {index: i, src: src, alt: img.getAttribute('alt') || '', natural_width: img.naturalWidth,
              width: r.width, height: r.height, display: cs.display, visibility: cs.visibility};
    });
    var over = [];
    var all = document.body ? document.body.getElementsByTagName('*') : [];
    for (var i = 0; i < all.length; i++) {
      var el = all[i], r = el.getBoundingClientRect();
      if (r.right <= cw + 0.5 || clipped(el)) continue;
      var p = el.parentElement, pr = p ? p.getBoundingClientRect() : null;
      if (p && p !== document.body && pr.right > cw + 0.5) continue;  // report the outermost only
      over.push({element: describe(el), right: Math.round(r.right), width: Math.round(r.width)});
    }
    out.overflow = over;
    var s = document.getElementById('summary');
    var prev = s ? s.previousElementSibling : null;
    out.summary = s ? {top: s.getBoundingClientRect().top + window.scrollY,
                       height: s.getBoundingClientRect().height,
                       after: prev ? prev.tagName.toLowerCase() : null} : null;
    var verdicts = {};
    Array.prototype.forEach.call(document.querySelectorAll('[class*="verdict-"]'), function (el) {
      el.classList.forEach(function (c) {
        if (c.indexOf('verdict-') === 0) verdicts[c] = (verdicts[c] || 0) + 1;
      });
    });
    out.verdicts = verdicts;
    var pre = document.createElement('script');
    pre.type = 'application/json';
    pre.id = '__MARK__';
    pre.textContent = JSON.stringify(out).replace(/</g, '\\u003c');
    document.body.appendChild(pre);
  }
  function run() {  // 'load' fires once every image has loaded or failed: naturalWidth is final
    try { measure(); } catch (e) { document.body.setAttribute('data-infogeo-error', String(e)); }
  }
  Array.prototype.forEach.call(document.images, function (img) { img.loading = 'eager'; });
  if (document.readyState === 'complete') run(); else window.addEventListener('load', run);
})();
</script>
""".replace("__MARK__", _MARK)


class BrowserNotFound(RuntimeError):
    """No Chromium executable was found."""


@dataclass
class BrowserChecks:
    """What the browser measured on one page, and the verdict of each check."""

    viewport: tuple[int, int]
    client_width: int
    scroll_width: int
    images: list[dict] = field(default_factory=list)
    overflow: list[dict] = field(default_factory=list)
    summary: dict | None = None
    verdicts: dict = field(default_factory=dict)

    @property
    def bad_images(self) -> list[dict]:
        """Images that did not decode or are not visible."""
        return [i for i in self.images if i["natural_width"] <= 0 or i["width"] <= 0 or i["height"] <= 0
                or i["visibility"] != "visible" or i["display"] == "none"]

    def image_problem(self) -> str | None:
        if not self.bad_images:
            return None
        parts = [f"img #{i['index']} ({i['src']!r}, alt {i['alt']!r}): natural width {i['natural_width']}, "
                 f"box {i['width']:.0f}x{i['height']:.0f}, display {i['display']}, visibility {i['visibility']}"
                 for i in self.bad_images]
        return f"{len(self.bad_images)} of {len(self.images)} images do not decode or are not visible: " + \
            "; ".join(parts)

    def overflow_problem(self) -> str | None:
        if self.scroll_width <= self.client_width and not self.overflow:
            return None
        names = "; ".join(f"{o['element']} (right edge {o['right']} px, width {o['width']} px)"
                          for o in self.overflow[:12])
        more = f" and {len(self.overflow) - 12} more" if len(self.overflow) > 12 else ""
        return (f"the page is {self.scroll_width} px wide at a {self.viewport[0]} px viewport (layout width "
                f"{self.client_width} px); sticking out: {names or 'no single element found'}{more}")

    def summary_problem(self) -> str | None:
        if self.summary is None:
            return 'no element with id="summary": the answer is not on the page where a reader starts'
        top, h = self.summary["top"], self.viewport[1]
        if self.summary["height"] <= 0:
            return 'the element id="summary" has no height (hidden or empty)'
        if top >= h:
            return f'the summary (id="summary") starts at {top:.0f} px, below the first screen ({h} px high)'
        if top + self.summary["height"] > h:  # the "fits one screen": a reader who stops there has it all
            return (f'the summary (id="summary") ends at {top + self.summary["height"]:.0f} px, past the first '
                    f"screen ({h} px high): it does not fit one screen")
        if self.summary.get("after") != "h1":
            return (f'the summary (id="summary") follows a <{self.summary.get("after")}>, not the <h1> title '
                    "(the report's contract: summary first, right after the title)")
        return None

    def verdict_problem(self) -> str | None:
        if not self.verdicts:
            return 'no element carries a "verdict-<slug>" class: verdicts are not visually distinct'
        return None

    def problems(self) -> dict[str, str | None]:
        """Check name -> failure message, or None when it passes."""
        return {"images": self.image_problem(), "overflow": self.overflow_problem(), "summary": self.summary_problem(),
                "verdicts": self.verdict_problem()}

    @property
    def ok(self) -> bool:
        return not any(self.problems().values())


def find_chromium() -> str | None:
    """The Chromium executable to drive: ``$INFOGEO_CHROMIUM``, else the first of :data:`CHROMIUM_NAMES` on PATH."""
    env = os.environ.get("INFOGEO_CHROMIUM")
    if env:
        return env if (Path(env).is_file() or shutil.which(env)) else None
    for name in CHROMIUM_NAMES:
        hit = shutil.which(name)
        if hit:
            return hit
    return next((p for p in _EXTRA_PATHS if os.access(p, os.X_OK)), None)


def _run(chromium: str, args: list[str], profile: Path, timeout: float) -> subprocess.CompletedProcess:
    # --no-sandbox: the page is our own local file, and the sandbox cannot start as root or in many containers.
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def _viewport(width: int, height: int) -> None:
    for name, v in (("width", width), ("height", height)):
        if type(v) is not int:  # a pixel count goes into Chromium's command line as written: 1280.0 would not do
            raise ValidationTypeError(f"{name} must be an int, got {type(v).__name__}")
        positive_int(v, name, minimum=100)


def _page(html: Path) -> Path:
    html = Path(html)
    if not html.is_file():
        raise ValidationError(f"html: no such file {html}")
    return html.resolve()


def check_page(html, *, width: int = 1280, height: int = 800, chromium: str | None = None,
               timeout: float = 120.0, budget_ms: int = 10000) -> BrowserChecks:
    """Open ``html`` at a ``width x height`` viewport and measure images, overflow and the summary's position.

    The page itself is not modified: a copy with the measuring script (and a ``<base>`` pointing at the page's
    folder, so relative image paths resolve) is opened from a temporary folder.
    """
    _viewport(width, height)
    page = _page(html)
    chromium = chromium or find_chromium()
    if chromium is None:
        raise BrowserNotFound("no Chromium found; looked for $INFOGEO_CHROMIUM and " + ", ".join(CHROMIUM_NAMES))
    text = page.read_text(encoding="utf-8")
    base = f'<base href="{page.parent.as_uri()}/">'
    text, n = re.subn(r"<head[^>]*>", lambda m: m.group(0) + base, text, count=1, flags=re.I)
    if n == 0:
        text = base + text
    text, n = re.subn(r"</body\s*>", lambda m: _SCRIPT + m.group(0), text, count=1, flags=re.I)
    if n == 0:
        text += _SCRIPT
    with tempfile.TemporaryDirectory(prefix="infogeo-browser-") as tmp:
        copy = Path(tmp) / "page.html"
        copy.write_text(text, encoding="utf-8")
        res = _run(chromium, [f"--window-size={width},{height}", f"--virtual-time-budget={budget_ms}",
                              "--dump-dom", copy.as_uri()], Path(tmp) / "profile", timeout)
    m = re.search(rf'<script type="application/json" id="{_MARK}">(.*?)</script>', res.stdout, flags=re.S)
    if m is None:
        err = re.search(r'data-infogeo-error="([^"]*)"', res.stdout)
        raise RuntimeError(f"Chromium returned no measurements (exit {res.returncode}); script error: "
                           f"{err.group(1) if err else 'none'}; stderr tail: {res.stderr[-800:]}")
    d = json.loads(m.group(1))
    return BrowserChecks(viewport=tuple(d["viewport"]), client_width=d["client_width"],
                         scroll_width=d["scroll_width"], images=d["images"], overflow=d["overflow"],
                         summary=d["summary"], verdicts=d.get("verdicts") or {})


def screenshot(html, out, *, width: int = 1280, height: int = 800, chromium: str | None = None,
               timeout: float = 120.0) -> Path:
    """Save the first ``width x height`` screen of ``html`` as the PNG ``out`` (scrollbars hidden); return ``out``."""
    _viewport(width, height)
    page = _page(html)
    chromium = chromium or find_chromium()
    if chromium is None:
        raise BrowserNotFound("no Chromium found; looked for $INFOGEO_CHROMIUM and " + ", ".join(CHROMIUM_NAMES))
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    with tempfile.TemporaryDirectory(prefix="infogeo-shot-") as tmp:
        res = _run(chromium, [f"--window-size={width},{height}", "--hide-scrollbars", f"--screenshot={out}",
                              page.as_uri()], Path(tmp) / "profile", timeout)
    if not out.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot (exit {res.returncode}); stderr tail: {res.stderr[-800:]}")
    return out


def screenshot_report(out_dir, *, name: str = "screenshot.png") -> Path | None:
    """Save the first screen of ``out_dir/report.html`` as ``out_dir/<name>``; None (nothing written) when no
    Chromium is found. For a report build to call once the page is written."""
    if find_chromium() is None:
        return None
    out_dir = Path(out_dir)
    return screenshot(out_dir / "report.html", out_dir / name)


def main(argv: list[str] | None = None) -> int:
    from infogeo.runner import run

    return run("python -m reports.browser", _main, argv)


def _main(argv: list[str]) -> int:
    from infogeo.runner import ArgumentParser, UsageError, input_file, integer, output_file

    ap = ArgumentParser(prog="python -m reports.browser", description=__doc__.splitlines()[0])
    ap.add_argument("html", type=Path, help="the report page, e.g. reports/latest/report.html")
    ap.add_argument("--screenshot", type=Path, help="save the first screen here as PNG")
    ap.add_argument("--width", type=integer(1), default=1280)
    ap.add_argument("--height", type=integer(1), default=800)
    args = ap.parse_args(argv)
    input_file(args.html, "html")
    if args.screenshot:
        output_file(args.screenshot, "--screenshot")
    if find_chromium() is None:
        raise UsageError("no Chromium found (install chromium-headless-shell, or set INFOGEO_CHROMIUM)")
    c = check_page(args.html, width=args.width, height=args.height)
    marks = ", ".join(f"{k} {v}" for k, v in sorted(c.verdicts.items())) or "none"
    print(f"viewport {c.viewport[0]}x{c.viewport[1]}, layout width {c.client_width} px, "
          f"document scrollWidth {c.scroll_width} px, {len(c.images)} images, verdict classes: {marks}")
    for name, msg in c.problems().items():
        print(f"{'FAIL' if msg else 'ok  '} {name}" + (f": {msg}" if msg else ""))
    if args.screenshot:
        print(f"screenshot: {screenshot(args.html, args.screenshot, width=args.width, height=args.height)}")
    return 0 if c.ok else 1


if __name__ == "__main__":
    from infogeo.runner import exit_process

    exit_process(main())
