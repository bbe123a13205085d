"""Matplotlib defaults for report figures: readable at the size shown, deterministic PNG bytes.

The style itself (``RC``, :func:`figure`) lives in :mod:`infogeo.plotstyle`, where the layers' plot modules
import it; this module re-exports it and saves figures.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from infogeo.plotstyle import RC, figure  # noqa: E402

__all__ = ["RC", "figure", "save"]


def save(fig, path) -> None:
    with plt.rc_context(RC):
        # No timestamp or software metadata: the same data give the same bytes.
        fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
