"""Matplotlib defaults for report figures: the shared plot style of :mod:`infogeo.plotstyle`, re-exported."""
from infogeo.plotstyle import RC, figure, save

__all__ = ["RC", "figure", "save"]
