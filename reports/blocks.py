"""The report's building blocks, rendered to Markdown and to a self-contained HTML page.

A section is a list of blocks; each block serializes to JSON so that
``python -m reports --only X`` can rebuild one section and reassemble the rest.
"""
from __future__ import annotations

import base64
import html
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from empirical.io import read_table


@dataclass
class Heading:
    text: str
    level: int = 2
    kind: str = "heading"


@dataclass
class Para:
    text: str  # Markdown inline: `code`, **bold**, *italic*, [text](url)
    kind: str = "para"


@dataclass
class Table:
    csv: str  # path relative to the report folder
    caption: str = ""
    max_rows: int = 40
    columns: list[str] | None = None
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


KINDS = {"heading": Heading, "para": Para, "table": Table, "figure": Figure, "code": Code}


def to_json(blocks) -> list[dict]:
    return [asdict(b) for b in blocks]


def from_json(items) -> list:
    return [KINDS[it["kind"]](**it) for it in items]


def _fmt(v) -> str:
    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:.4g}"
    return str(v)


def _frame(block: Table, root: Path) -> tuple[pd.DataFrame, int]:
    df = read_table(root / block.csv, keep_default_na=False, na_values=[""])
    if block.columns:
        df = df[block.columns]
    return df.head(block.max_rows), len(df)


def render_markdown(blocks, root: Path) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + b.text)
        elif isinstance(b, Para):
            out.append(b.text)
        elif isinstance(b, Code):
            out.append(f"```{b.lang}\n{b.text.rstrip()}\n```")
        elif isinstance(b, Figure):
            out.append(f"![{b.caption}]({b.png})\n\n*{b.caption}*" if b.caption else f"![]({b.png})")
        elif isinstance(b, Table):
            df, n = _frame(b, root)
            cols = list(df.columns)
            lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            for row in df.itertuples(index=False):
                lines.append("| " + " | ".join(_fmt(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
            more = f" (first {len(df)} of {n} rows; full table: [{b.csv}]({b.csv}))" if n > len(df) else \
                f" ([{b.csv}]({b.csv}))"
            head = "*" + b.caption + "*" + more + "\n\n" if b.caption else more.strip() + "\n\n"
            out.append(head + "\n".join(lines))
        out.append("")
    return "\n".join(out)


def _inline(text: str) -> str:
    t = html.escape(text, quote=False)
    t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
    t = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", t)
    # Emphasis only when the asterisks hug the text ("a * b * c" is arithmetic, as in CommonMark).
    t = re.sub(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)", r"<em>\1</em>", t)
    t = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', t)
    return t


def _para_html(text: str) -> str:
    parts = []
    for chunk in text.split("\n\n"):
        lines = chunk.splitlines()
        if lines and all(ln.lstrip().startswith(("- ", "* ")) for ln in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(ln.lstrip()[2:])}</li>" for ln in lines) + "</ul>")
        else:
            parts.append(f"<p>{_inline(chunk)}</p>")
    return "\n".join(parts)


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#f3f3f3}
code{background:#f5f5f5;padding:0 3px}pre{background:#f5f5f5;padding:0.8em;overflow-x:auto}
figure{margin:1em 0}figure img{max-width:100%}figcaption{font-style:italic;font-size:0.9em}
.caption{font-style:italic;font-size:0.9em}
"""


def render_html(blocks, root: Path, title: str) -> str:
    body = []
    for b in blocks:
        if isinstance(b, Heading):
            body.append(f"<h{b.level}>{_inline(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            body.append(_para_html(b.text))
        elif isinstance(b, Code):
            body.append(f"<pre><code>{html.escape(b.text)}</code></pre>")
        elif isinstance(b, Figure):
            data = base64.b64encode((root / b.png).read_bytes()).decode()
            body.append(f'<figure><img alt="{html.escape(b.caption)}" src="data:image/png;base64,{data}">'
                        f"<figcaption>{_inline(b.caption)}</figcaption></figure>")
        elif isinstance(b, Table):
            df, n = _frame(b, root)
            cap = _inline(b.caption) + (f" (first {len(df)} of {n} rows; full table in {b.csv})" if n > len(df)
                                        else f" ({b.csv})")
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
                           for row in df.itertuples(index=False))
            body.append(f'<div class="caption">{cap}</div><table><thead><tr>{head}</tr></thead><tbody>{rows}'
                        "</tbody></table>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
