"""Report section 4: measurements of language models (Figures 1, 3 to 6 of the paper)."""
from __future__ import annotations


def build(ctx):
    raise NotImplementedError("the measurement section is not wired yet")
