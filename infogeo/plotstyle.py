"""The shared plot style of infogeo: matplotlib defaults readable at the size shown, deterministic PNG bytes."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RC = {
    "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10,
    "legend.fontsize": 8.5, "axes.grid": True, "grid.alpha": 0.3, "figure.constrained_layout.use": True,
}


def figure(ncols: int = 1, nrows: int = 1, width: float = 5.2, height: float = 3.8):
    with plt.rc_context(RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, axes


def save(fig, path) -> None:
    with plt.rc_context(RC):
        # No timestamp or software metadata: the same data give the same bytes.
        fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
