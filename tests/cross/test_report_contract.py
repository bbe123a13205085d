"""The contract between the theory/simulate layers and the report: tables and Figures, no import of reports."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def test_layers_and_their_plots_import_neither_reports_nor_pyplot():
    code = ("import sys, theory, simulate, theory.plots, simulate.plots, simulate.examples, infogeo.plotstyle; "
            "bad = [m for m in ('reports', 'matplotlib.pyplot') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_theory_figure_functions_draw_the_report_tables():
    from theory import plots, tables

    tabs = {"lemma36_local_exponent": tables.lemma36_local_exponent(Ms=(10**3, None), points=20),
            "js_small_gamma": tables.js_small_gamma(0, points=5),
            "equation1_curve": tables.equation1_curve(eps_values=(0.1,), d=100),
            "theorem41_increments": tables.theorem41_increments(0, T=8, d=4)}
    for name, df in tabs.items():
        assert isinstance(df, pd.DataFrame) and len(df)
        fig = getattr(plots, name)(df)
        assert isinstance(fig, Figure) and len(fig.axes) == 1 and fig.axes[0].lines


def test_simulate_figure_functions_draw_their_tables(small_trajectories):
    from simulate import plots

    traj, exps = small_trajectories
    fig = plots.trajectories(traj, exps, 0.5)
    assert isinstance(fig, Figure) and sum(ax.get_visible() for ax in fig.axes) == 4
    fig = plots.agreement(exps)
    assert isinstance(fig, Figure) and fig.axes[0].get_xlabel()
    assert isinstance(plots.assumption_flops(traj, exps), Figure)
    assert np.isfinite(exps["fitted"]).any()
