"""Figure titles state the finding of the numbers they are given: change the numbers, the words follow.

Each case builds a small table whose answer is known by construction (a remainder that is exactly γ³, a
printed formula equal to the exact one, an interval that contains a prediction) and reads the title.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from infogeo import plotstyle


def _title(fig) -> str:
    return fig._suptitle.get_text().replace("\n", " ")


@pytest.mark.parametrize("k_distance, expected", [(3, "both remainders are O(γ³)"),
                                                  (2, "holds for d_JS² only"),
                                                  (1, "neither remainder")])
def test_js_title_follows_the_remainder_slopes(k_distance, expected):
    from theory import plots

    g = np.logspace(-4, 0, 9)
    k_squared = 3 if k_distance >= 2 else 2
    df = pd.DataFrame({"gamma": g, "gamma_rel": g, "d_js": g, "frobenius_limit": g,
                       "remainder_distance": 0.3 * g**k_distance, "remainder_squared": 0.1 * g**k_squared})
    title = _title(plots.js_small_gamma(df))
    assert expected in title
    assert f"{float(k_distance):.2f} for d_JS " in title


def test_theorem41_title_agrees_when_printed_equals_exact_and_names_the_direction_otherwise():
    from theory import plots

    t = np.arange(1, 11)
    exact = 1.0 / t
    same = pd.DataFrame({"t": t, "sigma": 1.0, "exact_increment": exact, "printed_increment": exact, "info_gain": 0})
    assert "agrees" in _title(plots.theorem41_increments(same))
    low = same.assign(printed_increment=exact / 4)
    title = _title(plots.theorem41_increments(low))
    assert "understates" in title and "0.25×" in title


def test_simulation_agreement_counts_the_rows_that_agree():
    from simulate import plots

    rows = [dict(alpha=0.5, order="sequential", cost="inverse_p", axis=ax, fitted=f, ci_low=f, ci_high=f,
                 predicted=p, rel_error=(f - p) / p, agrees=abs(f - p) / p < 0.01, evidence="dynamics")
            for ax, f, p in (("flops", 0.2, 0.2), ("skills", 0.5, 0.5), ("frontier", 0.3, 0.2))]
    title = _title(plots.agreement(pd.DataFrame(rows)))
    assert "2 of 3 fitted exponents agree" in title and "50.0%" in title and "sequential vs frontier" in title


@pytest.mark.parametrize("lo, hi, expected", [(2.2, 2.4, "consistent with sequential (paper)"),
                                              (1.4, 2.4, "sequential (paper) and parallel"),
                                              (0.5, 0.9, "below both"), (3.0, 3.5, "above both"),
                                              (1.7, 2.0, "between")])
def test_neural_position_against_the_two_learners(lo, hi, expected):
    from simulate.neural.plots import _position

    r = {"ci_low": lo, "ci_high": hi, "predicted_sequential": 2.3, "predicted_parallel": 1.5}
    assert expected in _position(r)


def test_fit_title_gives_the_ratio_to_the_prediction_and_the_verdict():
    from empirical.fit.plots import _against

    r = pd.Series({"estimate": 0.5, "predicted": 0.25, "verdict": "inconsistent"})
    assert _against(r, "α/(α+2)") == "vs α/(α+2) = 0.25 (2.0×): inconsistent"
    near = r.copy()
    near["estimate"], near["verdict"] = 0.26, "consistent"
    assert _against(near, "α/(α+2)") == "vs α/(α+2) = 0.25: consistent"


def test_suptitle_wraps_to_the_figure_width_and_keeps_every_word():
    fig, _ = plotstyle.figure(width=4.0)
    text = " ".join(f"word{i}" for i in range(60))
    plotstyle.suptitle(fig, text, fontsize=10)
    lines = fig._suptitle.get_text().split("\n")
    assert len(lines) > 1
    assert max(len(s) for s in lines) <= int(4.0 * 72 / (0.52 * 10))
    assert " ".join(lines).split() == text.split()


def test_palette_is_okabe_ito_and_the_theory_is_black_dashed():
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(plotstyle.CYCLE) - {plotstyle.COLORS["grey"]} <= okabe_ito
    assert plotstyle.THEORY["color"] == "#000000" and plotstyle.THEORY["ls"] == "--"
    assert plotstyle.THEORY["color"] not in plotstyle.CYCLE  # black is kept for the theory


@pytest.mark.parametrize("verdict", ["rejected", "consistent", "neither rejected (uninformative)"])
def test_width_title_states_what_is_plotted_not_the_verdict(verdict):
    """The networks of the width figure are still learning at the step budget: the title gives the fitted α_N with
    its interval, and the verdict (with that caveat) is left to the report text (issue 22)."""
    from simulate.neural.plots import fig_width

    params = np.array([1e4, 2e4, 4e4, 8e4])
    width = pd.DataFrame({"alpha": 0.5, "seed": 0, "width": [32, 64, 128, 256], "params": params,
                          "final_loss": params**-0.5, "tasks_learned": [2, 4, 8, 16]})
    exps = pd.DataFrame([{"alpha": 0.5, "axis": "width", "fitted": 0.5, "ci_low": 0.3, "ci_high": 0.7,
                          "verdict": verdict}])
    title = _title(fig_width(width, exps))
    assert "fitted α_N = 0.50 [0.30, 0.70]" in title and "final loss against N" in title
    assert "rejected" not in title and "consistent" not in title and "uninformative" not in title
