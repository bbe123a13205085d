"""Input checks live in infogeo.validation (issue 19): theory/ and simulate/'s own modules write no integer check
by hand (``isinstance(x, bool)`` to keep True out of an int), they call ``positive_int``, ``nonnegative_int``, ...

Scope: theory/ and the top-level modules of simulate/ (simulate/neural and empirical/ are being moved to the
validators on other branches this round; widen SCOPE when they land).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCOPE = sorted([*(ROOT / "theory").rglob("*.py"), *(ROOT / "simulate").glob("*.py")])
HAND_CHECK = re.compile(r"isinstance\(\s*[\w.\[\]]+\s*,\s*(?:\([^)]*\bbool\b[^)]*\)|bool)\s*\)")


def test_the_pattern_finds_hand_written_checks():
    for text in ("isinstance(n, bool)", "isinstance(self.k, (bool, float))", "isinstance( x ,bool )"):
        assert HAND_CHECK.search(text), text
    for text in ("isinstance(x, np.bool_)", "isinstance(x, booleans)", "positive_int(x, 'x')"):
        assert not HAND_CHECK.search(text), text


@pytest.mark.parametrize("path", SCOPE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_hand_written_integer_check(path):
    hits = [f"{path.relative_to(ROOT)}:{i}: {line.strip()}" for i, line in
            enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if HAND_CHECK.search(line)]
    assert not hits, "use infogeo.validation's validators:\n" + "\n".join(hits)
