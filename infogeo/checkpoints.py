"""Where trained model families are cached and at which steps they are checkpointed (Pythia's spacing).

Shared by the mini-Pythia family (``empirical.minipythia``) and the skill-language
family (``simulate.skilllang``): one cache root, one checkpoint schedule.
"""
from __future__ import annotations

import os
from pathlib import Path

from infogeo.validation import ValidationError, ValidationTypeError

__all__ = ["cache_root", "checkpoint_steps"]


def checkpoint_steps(total_steps: int, n_even: int) -> tuple[int, ...]:
    """Pythia's checkpoint spacing scaled to ``total_steps``.

    Pythia saves steps 0, 1, 2, 4, ..., 512 and then every 1000 steps to
    143000 (143 evenly spaced). Here the even interval is
    ``total_steps / n_even`` (rounded), and the log-spaced steps are the
    powers of two below that interval.
    """
    if not isinstance(total_steps, int) or total_steps < 1:
        raise ValidationError(f"total_steps must be a positive integer, got {total_steps!r}")
    if not isinstance(n_even, int) or not 1 <= n_even <= total_steps:
        raise ValidationError(f"n_even must be an integer in [1, total_steps], got {n_even!r}")
    interval = total_steps / n_even
    steps = {0, total_steps}
    steps.update(round(interval * i) for i in range(1, n_even + 1))
    k = 1
    while k < interval:
        steps.add(k)
        k *= 2
    return tuple(sorted(steps))


def cache_root(root: str | os.PathLike | None = None) -> Path:
    """``root`` if given, else ``$INFOGEO_CACHE``, else ``$XDG_CACHE_HOME/infogeo``, else ``~/.cache/infogeo``."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise ValidationTypeError(f"root must be a path or None, got {type(root).__name__}")
        return Path(root).expanduser()
    if os.environ.get("INFOGEO_CACHE"):
        return Path(os.environ["INFOGEO_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "infogeo"
    return Path.home() / ".cache" / "infogeo"
