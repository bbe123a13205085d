"""Texts to measure (Sections 3 and 4): the shipped hh-rlhf sample the paper used, or a user's JSONL/TXT.

The hh-rlhf harmless-base test split (Anthropic, MIT; provenance in
``empirical/data/hh_rlhf/SOURCES.md``) contains offensive red-team dialogue:
never print its texts in logs, tests or reports.
"""
from __future__ import annotations

import codecs
import gzip
import io
import json
import zlib
from pathlib import Path

from infogeo.validation import ValidationError, positive_int

from ..io import DATA_DIR, read_checked_bytes, verify_checksums

HH_RLHF_FILE = DATA_DIR / "hh_rlhf" / "harmless-base_test.jsonl.gz"

__all__ = ["HH_RLHF_FILE", "verify_checksums", "load_hh_rlhf", "load_texts"]


def load_hh_rlhf(field: str = "chosen", limit: int | None = None) -> list[str]:
    """The ``field`` ("chosen" or "rejected") transcripts of the shipped sample, in file order."""
    if field not in ("chosen", "rejected"):
        raise ValidationError(f"field must be 'chosen' or 'rejected', got {field!r}")
    limit = None if limit is None else positive_int(limit, "limit")
    texts = []
    with gzip.open(io.BytesIO(read_checked_bytes(HH_RLHF_FILE)), "rt", encoding="utf-8") as fh:
        for line in fh:
            texts.append(json.loads(line)[field])
            if limit is not None and len(texts) >= limit:
                break
    return texts


def load_texts(path, field: str = "text", limit: int | None = None) -> list[str]:
    """Texts from a user's file: ``.jsonl`` (one object per line, key ``field``; gzip allowed) or
    ``.txt`` (one text per non-empty line; gzip allowed), UTF-8 (a leading byte-order mark is skipped).

    Every problem is a ``ValueError`` naming the file (and the line where there is one): bytes that are
    not UTF-8, a ``.gz`` that is not gzip, invalid JSON, a missing key, a value that is not a string
    (``{"text": 3}`` is "a number, expected a string"), an empty text. Blank lines are skipped.
    """
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"--texts file not found: {path}")
    if path.is_dir():
        raise ValidationError(f"--texts file {path} is a folder; give a .jsonl or .txt file")
    gz = path.suffix == ".gz"
    kind = Path(path.stem).suffix if gz else path.suffix
    if kind not in (".jsonl", ".txt"):
        raise ValidationError(f"--texts file must end in .jsonl, .jsonl.gz, .txt or .txt.gz, got {path.name}")
    limit = None if limit is None else positive_int(limit, "limit")
    texts: list[str] = []
    try:
        with gzip.open(path, "rb") if gz else open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):  # bytes, decoded line by line: an error knows its line
                if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValidationError(f"{path}:{lineno}: not UTF-8 text (byte {raw[exc.start:exc.start + 1]!r} at "
                                     f"column {exc.start + 1}); save the file as UTF-8") from None
                text = _parse_line(path, lineno, line, kind, field)
                if text is None:
                    continue
                texts.append(text)
                if limit is not None and len(texts) >= limit:
                    break
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValidationError(
            f"{path}: not a valid gzip file ({exc}); a .gz name needs gzip-compressed content") from None
    if not texts:
        raise ValidationError(f"{path} holds no texts")
    return texts


def _parse_line(path: Path, lineno: int, line: str, kind: str, field: str) -> str | None:
    """The text on one line (None for a blank line); errors name ``path:lineno``."""
    if not line.strip():
        return None
    if kind == ".txt":
        return line.rstrip("\r\n")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ValidationError(f"{path}:{lineno}: expected a JSON object with key {field!r}, got a {_json_kind(obj)}")
    if field not in obj:
        raise ValidationError(f"{path}:{lineno}: missing key {field!r} (keys: {sorted(obj)[:5]}; see --text-field)")
    text = obj[field]
    if not isinstance(text, str):
        raise ValidationError(f"{path}:{lineno}: field {field!r} is a {_json_kind(text)}, expected a string")
    if not text.strip():
        raise ValidationError(f"{path}:{lineno}: field {field!r} is an empty text")
    return text


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "list", str: "string"}.get(type(value), type(value).__name__)
