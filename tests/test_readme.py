"""The first page: README.md stays a first page (issue 19), and every local link in it and in docs/ resolves."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_BYTES = 6_000


def test_the_readme_is_at_most_6000_bytes():
    size = len(README.read_bytes())
    assert size <= MAX_BYTES, f"README.md is {size} bytes; move details to docs/ (limit {MAX_BYTES})"


def test_the_readme_starts_with_both_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block and text[:first_block.start()].strip() == "# infogeo", "the two commands come first"
    commands = first_block.group(1)
    assert "python -m reports" in commands and "python -m pytest" in commands


@pytest.mark.parametrize("page", [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "CONTRIBUTING.md"],
                         ids=lambda p: p.name)
def test_every_local_link_resolves(page):
    text = page.read_text(encoding="utf-8")
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        if not path.exists():
            missing.append(target)
    assert not missing, f"{page.name}: links to missing files: {missing}"
