"""The report's building blocks, rendered to Markdown and to a self-contained HTML page.

A section is a list of blocks; each block serializes to JSON so that
``python -m reports --only X`` can rebuild one section and reassemble the rest.
Markdown is the source: the HTML of a paragraph or table is its Markdown rendered
by markdown-it-py (CommonMark with tables), with ``$...$`` maths turned into
MathML by latex2mathml (no JavaScript, no network), verdicts tagged with a CSS
class each, and wide tables in a horizontally scrollable box.
"""
from __future__ import annotations

import base64
import html
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import latex2mathml.converter
import pandas as pd
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from empirical.io import read_table
from infogeo.validation import ValidationTypeError


@dataclass
class Heading:
    text: str
    level: int = 2
    kind: str = "heading"


@dataclass
class Para:
    text: str  # Markdown: `code`, **bold**, *italic*, [text](url), $latex$, "- " lists
    kind: str = "para"


@dataclass
class Table:
    """A CSV shown as a table. ``where``: keep rows whose column equals the value, or one of the values of a list
    (compared as text), e.g. ``{"is_default": "True"}``; ``nonempty``: keep rows where these columns have a value;
    ``columns``: the columns shown; ``clip``: column -> the characters a cell is shown up to (its first
    occurrence of any; e.g. ``":;"`` gives a long reason's gist; the caption says so and the CSV has it whole);
    ``max_rows``: rows shown at most. The
    caption says how many rows the full table (linked) has. ``ci_low``/``ci_high`` (and
    ``pred_low``/``pred_high``, ``pipeline_ci_low``/``pipeline_ci_high``) are shown inside the estimate's
    (prediction's, ``pipeline_estimate``'s) cell as ``x [lo, hi]``."""

    csv: str  # path relative to the report folder
    caption: str = ""
    max_rows: int = 40
    columns: list[str] | None = None
    where: dict = field(default_factory=dict)
    nonempty: list[str] = field(default_factory=list)
    clip: dict = field(default_factory=dict)
    kind: str = "table"


@dataclass
class Figure:
    png: str  # path relative to the report folder
    caption: str = ""
    kind: str = "figure"


@dataclass
class Code:
    text: str
    lang: str = ""
    kind: str = "code"


@dataclass
class Summary:
    """The report's answer-first summary: Markdown, shown in ``<section id="summary">`` in the HTML."""

    text: str
    kind: str = "summary"


KINDS = {"heading": Heading, "para": Para, "table": Table, "figure": Figure, "code": Code, "summary": Summary}

#: Estimate columns that take the interval ``[ci_low, ci_high]`` into their cell, in order of preference.
ESTIMATE_COLUMNS = ("estimate", "fitted", "alpha_hat", "coverage")
#: Number of significant digits of a number shown in a table or the summary.
SHOWN_DIGITS = 4


def to_json(blocks) -> list[dict]:
    return [asdict(b) for b in blocks]


def from_json(items) -> list:
    return [KINDS[it["kind"]](**it) for it in items]


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens (used by the HTML ids too)."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def fmt(v) -> str:
    """A table cell as shown: floats to :data:`SHOWN_DIGITS` significant digits, NaN empty."""
    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:.{SHOWN_DIGITS}g}"
    return str(v)


def md_escape(text: str, cell: bool = False) -> str:
    """Data text made literal in Markdown: ``*`` (arithmetic, not emphasis) escaped, and ``|`` in a table cell."""
    text = text.replace("\\", "\\\\").replace("*", "\\*")
    return text.replace("|", "\\|") if cell else text


def interval(est, lo, hi) -> str:
    """``est [lo, hi]`` as shown; the bare estimate when the interval is missing."""
    if not (isinstance(lo, float) and isinstance(hi, float)) or lo != lo or hi != hi:
        return fmt(est)
    return f"{fmt(est)} [{fmt(lo)}, {fmt(hi)}]"


def _merge_intervals(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    pairs = [("predicted", "pred_low", "pred_high"), ("pipeline_estimate", "pipeline_ci_low", "pipeline_ci_high")]
    est = next((c for c in ESTIMATE_COLUMNS if c in df.columns), None)
    if est is not None:
        pairs.insert(0, (est, "ci_low", "ci_high"))
    for col, lo, hi in pairs:
        if {col, lo, hi} <= set(df.columns):
            df[col] = [interval(e, a, b) for e, a, b in zip(df[col], df[lo], df[hi])]
            df = df.drop(columns=[lo, hi]).rename(columns={col: f"{col} [{lo}, {hi}]"})
    return df


def _frame(block: Table, root: Path) -> tuple[pd.DataFrame, int]:
    """The rows and columns shown, and the number of rows of the full table."""
    df = read_table(root / block.csv, keep_default_na=False, na_values=[""])
    n = len(df)
    for col, value in block.where.items():
        values = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        df = df[df[col].astype(str).isin(values)]
    for col in block.nonempty:
        df = df[df[col].notna() & (df[col].astype(str) != "")]
    if block.columns:
        df = df[[c for c in block.columns if c in df.columns]]
    df = df.head(block.max_rows).copy()
    clip = block.clip if isinstance(block.clip, dict) else dict.fromkeys(block.clip, ":;")  # states saved with a list
    for col, stops in clip.items():
        if col in df.columns:
            df[col] = [re.split("|".join(map(re.escape, stops)), v, maxsplit=1)[0] if isinstance(v, str) else v
                       for v in df[col]]
    return _merge_intervals(df), n


def _table_markdown(b: Table, root: Path) -> str:
    df, n = _frame(b, root)
    cols = list(df.columns)
    # Rows written without padding around the pipes: the same table once rendered, fewer bytes to download.
    lines = ["|" + "|".join(cols) + "|", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("|" + "|".join(md_escape(fmt(v), cell=True).replace("\n", " ") for v in row) + "|")
    link = f"[{b.csv}]({b.csv})"
    if len(df) < n:
        more = f" ({len(df)} of {n} rows; full table: {link})"
    else:
        more = f" ({link})"
    head = "*" + b.caption + "*" + more if b.caption else more.strip()
    return head + "\n\n" + "\n".join(lines)


def _figure_markdown(b: Figure) -> str:
    if not b.caption:
        return f"![]({b.png})"
    return f"![{Path(b.png).stem}]({b.png})\n\n*{b.caption}*"  # the caption follows: a short alt


def _alt(caption: str) -> str:
    """A figure's alt text: its caption's first clause (the full caption follows the image)."""
    first = re.split(r"(?<=[.;:])\s", caption, maxsplit=1)[0]
    return first.replace("[", "(").replace("]", ")").rstrip(".;:")


def block_markdown(b, root: Path) -> str:
    if isinstance(b, Heading):
        return "#" * b.level + " " + b.text
    if isinstance(b, (Para, Summary)):
        return b.text
    if isinstance(b, Code):
        return f"```{b.lang}\n{b.text.rstrip()}\n```"
    if isinstance(b, Figure):
        return _figure_markdown(b)
    if isinstance(b, Table):
        return _table_markdown(b, root)
    raise ValidationTypeError(f"blocks must be Heading, Para, Table, Figure, Code or Summary, got {type(b).__name__}")


def render_markdown(blocks, root: Path) -> str:
    return "".join(block_markdown(b, root) + "\n\n" for b in blocks)


# -- HTML ---------------------------------------------------------------------------------------------------------

def latex_html(tex: str, display: bool = False) -> str:
    """``tex`` as MathML; where latex2mathml cannot convert it, the LaTeX itself as code (class ``latex``)."""
    try:
        return latex2mathml.converter.convert(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises its own exception types (and IndexError on some malformed input)
        return f'<code class="latex">{html.escape(tex)}</code>'


def verdict_class(text: str) -> str:
    """The CSS class of a verdict: ``verdict-`` + its slug (``holds-under-conditions``, ``both-rejected``)."""
    return "verdict-" + re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


#: Words that are verdicts when they stand alone in bold or in a ``verdict`` column.
VERDICT_WORDS = frozenset({"holds", "holds-under-conditions", "corrected", "refuted", "consistent", "inconsistent",
                           "inconclusive", "fragile", "rejected", "both rejected", "supported", "needs-extra-noise",
                           "uninformative", "unusable", "alpha-unsupported", "no-majority",
                           "neither rejected (uninformative)"})


def _tag_verdicts(state) -> None:
    """Core rule: a class per verdict on the cells of a verdict column (``verdict``, ``verdict vs ...``,
    ``..._verdict``) and on bold verdict words."""
    toks = state.tokens
    header: list[str] = []
    col = 0
    for i, t in enumerate(toks):
        if t.type == "thead_open":
            header = []
        elif t.type == "th_open":
            header.append(toks[i + 1].content.strip())
        elif t.type == "tr_open":
            col = 0
        elif t.type == "td_open":
            text = toks[i + 1].content.strip()
            name = header[col] if col < len(header) else ""
            if text and (name.startswith("verdict") or name.endswith("_verdict")):
                t.attrJoin("class", verdict_class(text))
            col += 1
        elif t.type == "inline" and t.children:
            kids = t.children
            for j, k in enumerate(kids[:-2]):
                if (k.type == "strong_open" and kids[j + 1].type == "text"
                        and kids[j + 1].content.strip() in VERDICT_WORDS and kids[j + 2].type == "strong_close"):
                    k.attrJoin("class", verdict_class(kids[j + 1].content))


def _markdown_it() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    dollarmath_plugin(md, allow_digits=False, renderer=lambda tex, opts: latex_html(tex, opts["display_mode"]))
    md.core.ruler.push("verdict_classes", _tag_verdicts)
    md.add_render_rule("table_open", lambda *a: '<div class="table-wrap"><table>\n')
    md.add_render_rule("table_close", lambda *a: "</table></div>\n")
    return md


_MD = _markdown_it()


def markdown_html(text: str) -> str:
    """Markdown (with ``$...$`` maths) to HTML, as the page renders it."""
    return _MD.render(text)


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;
line-height:1.45;color:#222}
h1{font-size:1.6em;margin:0.2em 0 0.4em}
.table-wrap{max-width:100%;overflow-x:auto;margin:0.3em 0 1.5em}
table{border-collapse:collapse;font-size:0.85em}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#f3f3f3}
code{background:#f5f5f5;padding:0 3px;overflow-wrap:anywhere}pre{background:#f5f5f5;padding:0.8em;overflow-x:auto}
figure{margin:1em 0}img{max-width:100%;height:auto}figcaption{font-style:italic;font-size:0.9em}
math{font-size:1.05em}
#summary{border:1px solid #bbb;border-radius:6px;background:#fafafa;padding:0.1em 1em 0.4em;margin-bottom:1.5em;
font-size:0.9em;line-height:1.35}#summary p{margin:0.45em 0}#summary td,#summary th{padding:1px 6px}
#summary h2{margin:0.3em 0 0.1em;font-size:1.25em}#summary ul{margin:0.2em 0;padding-left:1.3em}
[class*="verdict-"]{font-weight:600}
.verdict-holds,.verdict-consistent,.verdict-calibrated,.verdict-conservative{color:#1b6e3a;background:#e6f4ea}
.verdict-holds-under-conditions{color:#7a5300;background:#fdf3d7}
.verdict-corrected,.verdict-fragile,.verdict-under-covers{color:#8a4b00;background:#fde7d2}
.verdict-refuted,.verdict-inconsistent,.verdict-rejected,.verdict-both-rejected{color:#a11d1d;background:#fbe3e3}
.verdict-needs-extra-noise{color:#7a5300;background:#fdf3d7}
.verdict-inconclusive,.verdict-uninformative,.verdict-neither-rejected-uninformative,.verdict-unusable,
.verdict-alpha-unsupported,.verdict-no-majority{color:#555;background:#eee}
"""


def block_html(b, root: Path) -> str:
    if isinstance(b, Heading):
        return f'<h{b.level} id="{slug(b.text)}">{_MD.renderInline(b.text)}</h{b.level}>'
    if isinstance(b, Summary):
        return f'<section id="summary">\n{markdown_html(b.text)}</section>'
    if isinstance(b, Figure):
        data = base64.b64encode((root / b.png).read_bytes()).decode()
        return (f'<figure><img alt="{html.escape(_alt(b.caption))}" src="data:image/png;base64,{data}">'
                f"<figcaption>{_MD.renderInline(b.caption)}</figcaption></figure>")
    return markdown_html(block_markdown(b, root))


def render_html(blocks, root: Path, title: str) -> str:
    body = "\n".join(block_html(b, root) for b in blocks)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}"
            f"</title><style>{CSS}</style></head><body>\n{body}\n</body></html>\n")
