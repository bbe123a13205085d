"""Every read of a table and every checksum check of the shipped data (Sections 3-4 rest on these files).

Tables are read back exactly (every layer writes CSV; fits and checks need the
same floats), and a shipped file is hashed from the very bytes that are then
parsed, so a file swapped between the check and the read cannot slip through.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd

from infogeo.validation import ValidationError

__all__ = ["DATA_DIR", "read_table", "read_checksums", "verify_checksums", "read_checked_bytes", "read_checked_table"]

#: pandas 3 parses floats exactly by default and deprecates the option; pandas 2 must be asked for it.
_EXACT = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
SUMS_FILE = "SHA256SUMS"
#: The shipped data: ``pythia/`` (Section 3 fits) and ``hh_rlhf/`` (Sections 3-4 texts), each with its SHA256SUMS.
DATA_DIR = Path(__file__).parent / "data"


def read_table(path, **kwargs) -> pd.DataFrame:
    """``pd.read_csv`` with exact (round-trip) float parsing on every pandas version we support."""
    return pd.read_csv(path, **_EXACT, **kwargs)


def read_checksums(folder) -> dict[str, str]:
    """The ``{file name: sha256}`` listing of ``folder/SHA256SUMS`` (``sha256sum`` format), not yet checked."""
    sums = Path(folder) / SUMS_FILE
    if not sums.exists():
        raise FileNotFoundError(f"no {SUMS_FILE} in {folder}")
    out = {}
    for lineno, raw in enumerate(sums.read_bytes().splitlines(), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"{sums}:{lineno}: not UTF-8 text") from None
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdef" for c in parts[0].lower()):
            raise ValidationError(f"{sums}:{lineno}: expected '<sha256 hex> <file name>' (sha256sum format)")
        digest, name = parts
        if name.lstrip("*") in out:
            raise ValidationError(f"{sums}:{lineno}: {name.lstrip('*')!r} is listed twice")
        out[name.lstrip("*")] = digest.lower()
    return out


def _check(path: Path, data: bytes, expected: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValidationError(f"checksum mismatch for {path}: expected {expected}, got {actual}")


def verify_checksums(folder) -> dict[str, str]:
    """Check every file listed in ``folder/SHA256SUMS``; return {name: sha256}. Raises on mismatch."""
    folder = Path(folder)
    listed = read_checksums(folder)
    for name, digest in listed.items():
        _check(folder / name, (folder / name).read_bytes(), digest)
    return listed


def read_checked_bytes(path, *, verify: bool = True) -> bytes:
    """The bytes of a shipped file, checked against the ``SHA256SUMS`` of its folder (unless ``verify=False``)."""
    path = Path(path)
    data = path.read_bytes()
    if verify:
        listed = read_checksums(path.parent)
        if path.name not in listed:
            raise ValidationError(f"{path.name} is not listed in {path.parent / SUMS_FILE}")
        _check(path, data, listed[path.name])
    return data


def read_checked_table(path, *, verify: bool = True, **kwargs) -> pd.DataFrame:
    """A shipped CSV parsed (exactly, as :func:`read_table`) from the very bytes that were checked."""
    return read_table(io.BytesIO(read_checked_bytes(path, verify=verify)), **kwargs)
