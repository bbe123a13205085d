"""Texts to measure (Sections 3 and 4): the shipped hh-rlhf sample the paper used, or a user's JSONL/TXT.

The hh-rlhf harmless-base test split (Anthropic, MIT; provenance in
``empirical/data/hh_rlhf/SOURCES.md``) contains offensive red-team dialogue:
never print its texts in logs, tests or reports.
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from ..io import DATA_DIR, read_checked_bytes, verify_checksums

HH_RLHF_FILE = DATA_DIR / "hh_rlhf" / "harmless-base_test.jsonl.gz"

__all__ = ["HH_RLHF_FILE", "verify_checksums", "load_hh_rlhf", "load_texts"]


def load_hh_rlhf(field: str = "chosen", limit: int | None = None) -> list[str]:
    """The ``field`` ("chosen" or "rejected") transcripts of the shipped sample, in file order."""
    if field not in ("chosen", "rejected"):
        raise ValueError(f"field must be 'chosen' or 'rejected', got {field!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive integer or None, got {limit!r}")
    texts = []
    with gzip.open(io.BytesIO(read_checked_bytes(HH_RLHF_FILE)), "rt", encoding="utf-8") as fh:
        for line in fh:
            texts.append(json.loads(line)[field])
            if limit is not None and len(texts) >= limit:
                break
    return texts


def load_texts(path, field: str = "text", limit: int | None = None) -> list[str]:
    """Texts from a user's file: ``.jsonl`` (one object per line, key ``field``; gzip allowed) or
    ``.txt`` (one text per non-empty line). Empty texts are an error naming the line."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"texts file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    stem_suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    texts: list[str] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if stem_suffix == ".jsonl":
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
                if not isinstance(obj, dict) or field not in obj:
                    raise ValueError(f"{path}:{lineno}: missing key {field!r}")
                text = obj[field]
            elif stem_suffix == ".txt":
                text = line.rstrip("\n")
                if not text.strip():
                    continue
            else:
                raise ValueError(f"texts file must end in .jsonl, .jsonl.gz or .txt, got {path.name}")
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}:{lineno}: empty text")
            texts.append(text)
            if limit is not None and len(texts) >= limit:
                break
    if not texts:
        raise ValueError(f"{path} holds no texts")
    return texts
