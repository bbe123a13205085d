"""Section 3 (Theorems 3.7, 3.8): the interval method each analysis uses, as chosen by the coverage study.

:mod:`empirical.fit.coverage` measured the coverage of every interval method
on designs shaped like each analysis (docs/statistics.md); this table holds
its choice and (:func:`study_table`) its shipped table, so the analyses and
the report need not import the study.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import read_table

__all__ = ["ANALYSIS_METHODS", "STUDY_CSV", "study_table"]

#: The interval method each analysis of :mod:`empirical.fit.analyses` uses, chosen and measured by the study
#: (seed 0, 400 draws per design and truth, 1000 refits; docs/statistics.md). Pass ``fit`` to
#: ``fit_power_law`` / ``fit_joint_law``; a verdict built on such an interval carries ``calibration``,
#: and ``approximate`` says whether it must be flagged as approximate. ``drift_coverage``: how often the same
#: interval covers the *generating* exponent when the exponent drifts across the fit range (the study's
#: misspecified designs, ``coverage_generating``): the intervals cover the window's pseudo-true exponent, not the
#: drifting one (docs/statistics.md, "What is true").
ANALYSIS_METHODS = {
    "params": {"fit": {"interval": "profile", "resample": "residual", "widen": 1.0}, "approximate": False,
               "calibration": "profile-t; 8-size design: covers 95.8 ± 1.0% (well specified), 94.5 ± 1.1% "
                              "(running exponent), nominal 95%", "drift_coverage": "42%"},
    "steps": {"fit": {"interval": "profile-boot", "resample": "ar1", "widen": 1.15}, "approximate": True,
              "calibration": "profile-t calibrated by AR(1) worlds, widened ×1.15: 15-checkpoint design with AR(1) "
                             "errors covers 94.0–96.2% (ρ 0.5–0.8, well and misspecified; 94.5–98.5% on fresh "
                             "seeds); unwidened it covers 92% at ρ = 0.8: approximate (docs/statistics.md)",
              "drift_coverage": "36–51%"},
    "frontier": {"fit": {"interval": "profile", "resample": "residual", "widen": 1.0}, "approximate": True,
                 "calibration": "profile-t; conservative for the envelope's own exponent (97.5–100%), covers the "
                                "surface's compute-optimal exponent αβ/(α+β) in 85–96% of draws: approximate",
                 "drift_coverage": "85%"},
    "joint": {"fit": {"interval": "profile", "resample": "residual", "widen": 1.0}, "approximate": False,
              "calibration": "profile-t; 250-point grid, iid errors: α 93.2–93.8%, β 93.2–95.8%; rows that share a "
                             "training run are not iid (Pythia's joint fit): not calibrated there",
              "drift_coverage": "9–32%"},
}


#: The 400-draw study table of docs/statistics.md (``summarize`` output, seed 0, 1000 refits, 300 for joint250),
#: shipped because the study takes about 35 CPU-minutes. Regenerate with
#: ``python -m empirical.fit.coverage --draws 400 --out DIR`` (or ``python benchmarks/bench_coverage.py``) and
#: copy ``DIR/coverage.csv`` here.
STUDY_CSV = Path(__file__).with_name("coverage_study.csv")
#: (design prefix, method) -> the analysis whose verdicts rest on that interval method.
_USED_BY = {("params8", "profile"): "params", ("steps15", "profile-boot/ar1"): "steps (widened ×1.15)",
            ("frontier", "profile"): "frontier", ("joint250", "profile"): "joint"}


def study_table() -> pd.DataFrame:
    """The shipped coverage study (:data:`STUDY_CSV`) with a ``used_by`` column: the analysis that uses the
    row's method (empty for methods the study rejected). Rows of steps show the unwidened method."""
    t = read_table(STUDY_CSV)
    used = [_USED_BY.get((d.split("-")[0], m), "") for d, m in zip(t["design"], t["method"])]
    return t.assign(used_by=used)
