"""The one figure style of infogeo: layers draw with it, ``reports`` saves what they draw.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no
backend chosen, no global figure registry), so importing a layer's plot module
never changes a user's matplotlib state. This module imports no layer.
"""
from __future__ import annotations

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = ["RC", "figure"]

RC = {
    "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10,
    "legend.fontsize": 8.5, "axes.grid": True, "grid.alpha": 0.3, "figure.constrained_layout.use": True,
}


def figure(ncols: int = 1, nrows: int = 1, width: float = 5.2, height: float = 3.8):
    """A report-style figure of ``nrows x ncols`` panels, each ``width x height`` inches; returns (fig, axes 2-D)."""
    with mpl.rc_context(RC):
        fig = Figure(figsize=(width * ncols, height * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes
