"""The one figure style of infogeo: layers draw with it, ``reports`` saves what they draw.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no
backend chosen, no global figure registry), so importing a layer's plot module
never changes a user's matplotlib state. This module imports no layer.

Colours: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), readable with every common
colour-vision deficiency. It is the colour cycle of :data:`RC` and, by name, :data:`COLORS`; plot modules
use these names instead of ``"C3"`` or ``"tab:red"`` (a ``"CN"`` string resolves against the *global*
rcParams at draw time, which this module never touches). The theory's prediction is always drawn in
:data:`THEORY` (black dashed); a competing prediction the suite derives in :data:`ALTERNATIVE` (vermillion
dotted); data in colour, with solid lines or markers.
"""
from __future__ import annotations

import matplotlib as mpl
from cycler import cycler
from matplotlib.figure import Figure

__all__ = ["RC", "COLORS", "CYCLE", "THEORY", "ALTERNATIVE", "figure", "fmt_interval", "suptitle", "wrap",
           "minipythia_label"]

#: Okabe–Ito colours by name.
COLORS = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
}
#: The colour cycle for data series (black is kept for the theory; yellow, faint on white, comes last).
CYCLE = [COLORS[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "grey", "yellow")]
#: Line style of the theory's prediction (the paper's formula): black dashed.
THEORY = {"color": COLORS["black"], "ls": "--", "lw": 1.5}
#: Line style of a competing prediction the suite derives (e.g. the parallel learner's α/(α+1)).
ALTERNATIVE = {"color": COLORS["vermillion"], "ls": ":", "lw": 1.6}

RC = {
    "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10,
    "legend.fontsize": 8.5, "axes.grid": True, "grid.alpha": 0.3, "figure.constrained_layout.use": True,
    "axes.prop_cycle": cycler(color=CYCLE), "image.cmap": "viridis",
}


def figure(ncols: int = 1, nrows: int = 1, width: float = 5.2, height: float = 3.8):
    """A report-style figure of ``nrows x ncols`` panels, each ``width x height`` inches; returns (fig, axes 2-D)."""
    with mpl.rc_context(RC):
        fig = Figure(figsize=(width * ncols, height * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def fmt_interval(est: float, lo: float, hi: float, digits: int = 2) -> str:
    """``"0.36 [0.30, 0.44]"``; an estimate without a finite interval is written alone."""
    import math

    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{est:.{digits}f}"
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def wrap(text: str, width_inches: float, fontsize: float) -> str:
    """``text`` with each line wrapped to about ``width_inches`` at ``fontsize`` points (no word is cut)."""
    import textwrap

    width = max(30, int(width_inches * 72 / (0.52 * fontsize)))
    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in str(text).split("\n"))


def suptitle(fig, text: str, fontsize: float = 10.5) -> None:
    """Set ``fig``'s title, each line wrapped to the figure's width (a finding-stating title can be long)."""
    fig.suptitle(wrap(text, fig.get_figwidth(), fontsize), fontsize=fontsize)


def minipythia_label(n_min: float | None = None, n_max: float | None = None) -> str:
    """How every figure names the mini-Pythia family (with its non-embedding size range when known)."""
    size = ""
    if n_min is not None and n_max is not None:
        size = f"{_short(n_min)}–{_short(n_max)}-parameter "
    return f"mini-Pythia: {size}GPT-NeoX models trained here on an hh-rlhf sample (not Pythia)"


def _short(n: float) -> str:
    for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.3g}{suf}"
    return f"{n:.0f}"
