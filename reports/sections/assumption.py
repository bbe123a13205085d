"""Report section 5: a worked example of checking a new assumption with simulate."""
from __future__ import annotations


def build(ctx):
    raise NotImplementedError("the worked example is not wired yet")
