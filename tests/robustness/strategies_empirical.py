"""Hypothesis strategies for malformed inputs of the empirical readers (issue 13).

Each strategy draws a file's bytes together with what a correct reader must do with them, so tests can
check "a valid result or a named error, never silently wrong":

* :func:`loss_csvs` -> ``LossCase(data, expect_error, error_hint, n_rows)``: a small loss table in the format
  of ``lambada_v1.csv`` (CSV bytes), then one defect: a missing column, NaN / inf / 1e300 / negative / text
  in a numeric column, a negative step, an exact or a conflicting duplicate row, a BOM, random bytes,
  an empty file or a header alone. ``expect_error`` is True/False where the outcome is fixed by the
  defect, None where either outcome is acceptable (random bytes); ``error_hint`` is a word the message must hold.
* :func:`text_files` -> ``TextCase(suffix, data, texts, bad_line)``: JSONL or TXT lines (valid texts, blank
  lines, wrong JSON types, invalid JSON, a missing key, non-UTF-8 bytes), possibly gzip-compressed, or a
  ``.gz`` of garbage. ``texts`` is what the reader must return when ``bad_line`` is None; otherwise the
  first bad line (0: the file as a whole, e.g. not gzip) that the error must name.
"""
from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass

import pandas as pd
from hypothesis import strategies as st

LOSS = "lambada_openai:nll_per_word_nats"
NUMERIC = ("params_total", "params_nonembedding", "step", "tokens", LOSS)
REQUIRED = ("model", *NUMERIC)


@dataclass
class LossCase:
    data: bytes
    expect_error: bool | None
    error_hint: str
    n_rows: int  # rows a successful read returns


@dataclass
class TextCase:
    suffix: str
    data: bytes
    texts: list[str]
    bad_line: int | None


@st.composite
def _loss_frame(draw) -> pd.DataFrame:
    n_models = draw(st.integers(1, 3))
    steps = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=4, unique=True))
    rows = []
    for m in range(n_models):
        params = 1e6 * (m + 1)
        for s in steps:
            rows.append({"model": f"m{m}", "params_total": params * 1.2, "params_nonembedding": params,
                         "step": s, "tokens": 2048.0 * s,
                         LOSS: draw(st.floats(0.5, 12.0, allow_nan=False, allow_infinity=False))})
    return pd.DataFrame(rows)


_DEFECTS = ("none", "drop_column", "bad_value", "negative_step", "exact_dup", "conflict_dup", "bom",
            "random_bytes", "empty", "header_only")


@st.composite
def loss_csvs(draw) -> LossCase:
    df = draw(_loss_frame())
    defect = draw(st.sampled_from(_DEFECTS))
    csv = lambda d: d.to_csv(index=False).encode()  # noqa: E731
    if defect == "none":
        return LossCase(csv(df), False, "", len(df))
    if defect == "drop_column":
        col = draw(st.sampled_from(REQUIRED))
        return LossCase(csv(df.drop(columns=col)), True, col, 0)
    if defect == "bad_value":
        col = draw(st.sampled_from(NUMERIC))
        value = draw(st.sampled_from(["nan", "inf", "-inf", "abc", "-1", "1e300", ""]))
        i = draw(st.integers(0, len(df) - 1))
        d = df.astype({col: object})
        d.loc[i, col] = value
        # 1e300 is a finite, positive number: accepted as a step, refused as a loss (outside the fitter's
        # LOSS_RANGE) and as the size of one row of a model with other rows (its size then differs within the
        # model); -1 is refused where the column must be >= 0 or > 0 (every numeric column here).
        shares_model = (df["model"] == df.loc[i, "model"]).sum() > 1
        ok = value == "1e300" and col != LOSS and not (col.startswith("params_") and shares_model)
        return LossCase(csv(d), not ok, "" if ok else col, len(df))
    if defect == "negative_step":
        d = df.copy()
        d.loc[0, "step"] = -draw(st.integers(1, 1000))
        return LossCase(csv(d), True, "step", 0)
    if defect == "exact_dup":
        i = draw(st.integers(0, len(df) - 1))
        return LossCase(csv(pd.concat([df, df.iloc[[i]]])), False, "", len(df))
    if defect == "conflict_dup":
        i = draw(st.integers(0, len(df) - 1))
        twin = df.iloc[[i]].assign(**{LOSS: df.iloc[i][LOSS] + draw(st.floats(0.01, 1.0))})
        return LossCase(csv(pd.concat([df, twin])), True, LOSS, 0)
    if defect == "bom":
        return LossCase(b"\xef\xbb\xbf" + csv(df), False, "", len(df))
    if defect == "random_bytes":
        return LossCase(draw(st.binary(min_size=1, max_size=300)), None, "", 0)
    if defect == "empty":
        return LossCase(b"", True, "", 0)
    return LossCase(",".join(df.columns).encode() + b"\n", True, "no rows", 0)


# --------------------------------------------------------------------------- text files
_WORD = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_categories=("Cs", "Zl", "Zp")),
                min_size=1, max_size=12)


@st.composite
def _jsonl_line(draw) -> tuple[bytes, str | None, bool]:
    """(line bytes, the text it holds or None for a skipped blank line, is_bad)."""
    kind = draw(st.sampled_from(["ok", "ok", "ok", "blank", "number", "null", "list", "empty", "missing",
                                 "invalid", "array", "latin1"]))
    word = draw(_WORD)
    if kind == "ok":
        return json.dumps({"text": word, "extra": 1}).encode(), word, False
    if kind == "blank":
        return draw(st.sampled_from([b"", b"   ", b"\t"])), None, False
    if kind == "latin1":
        return b'{"text": "caf\xe9"}', None, True
    bad = {"number": {"text": draw(st.integers() | st.floats(allow_nan=False))}, "null": {"text": None},
           "list": {"text": [word]}, "empty": {"text": " "}, "missing": {"other": word}, "array": [word]}
    if kind == "invalid":
        return b'{"text": ' + word.encode() + b"", None, True
    return json.dumps(bad[kind]).encode(), None, True


@st.composite
def _txt_line(draw) -> tuple[bytes, str | None, bool]:
    kind = draw(st.sampled_from(["ok", "ok", "ok", "blank", "latin1"]))
    if kind == "ok":
        word = draw(_WORD)
        return word.encode(), word, False
    if kind == "blank":
        return b"  ", None, False
    return b"na\xefve \xff", None, True


@st.composite
def text_files(draw) -> TextCase:
    suffix = draw(st.sampled_from([".jsonl", ".txt"]))
    lines = draw(st.lists(_jsonl_line() if suffix == ".jsonl" else _txt_line(), min_size=0, max_size=8))
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = eol.join(b for b, _, _ in lines) + (eol if lines and draw(st.booleans()) else b"")
    bad = next((i + 1 for i, (_, _, is_bad) in enumerate(lines) if is_bad), None)
    texts = [t for _, t, _ in lines if t is not None]
    if bad is None and not texts:
        bad = 0  # "holds no texts": the file as a whole
    gz = draw(st.sampled_from(["no", "no", "gzip", "garbage"]))
    if gz == "gzip":
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as fh:
            fh.write(data)
        return TextCase(suffix + ".gz", buf.getvalue(), texts, bad)
    if gz == "garbage":
        return TextCase(suffix + ".gz", draw(st.binary(min_size=0, max_size=40)).replace(b"\x1f\x8b", b"xx"), [], 0)
    return TextCase(suffix, data, texts, bad)
