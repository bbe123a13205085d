"""Input checks live in infogeo.validation (issue 19): theory/ and simulate/'s own modules write no integer check
by hand (``isinstance(x, bool)`` to keep True out of an int), they call ``positive_int``, ``nonnegative_int``, ...

Scope: every package module but infogeo/validation.py itself, the validators' one home, and
simulate/neural/training.py, whose seed check is stricter than ``nonnegative_int`` (it refuses 3.0, which the
validator would accept as 3) and is kept as strict; a strict-integer validator in infogeo.validation would let it go.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCOPE = sorted(p for layer in ("theory", "simulate", "empirical", "reports", "infogeo")
               for p in (ROOT / layer).rglob("*.py")
               if p not in (ROOT / "infogeo" / "validation.py", ROOT / "simulate" / "neural" / "training.py"))
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
