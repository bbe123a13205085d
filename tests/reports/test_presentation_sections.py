"""Sections 1 and 2 read their headline numbers from tables (issue 22): Figure 1's exponent from the Equation (1)
curve, the finite-M bias from the estimator-bias table."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import linregress

from infogeo.validation import ValidationError
from reports.sections.simulate import bias_lead
from reports.sections.theory import FIGURE1_EPS, FIGURE1_R_OVER_D, equation1_exponent
from theory import entropy as E
from theory import tables as T

LATEST = Path(__file__).resolve().parents[2] / "reports" / "latest"


@pytest.mark.parametrize("k", [0.37, 0.91, 1.6])
def test_equation1_exponent_recovers_a_pure_power_law(k):
    q = np.logspace(-4, 0, 50)
    curve = pd.DataFrame({"eps": FIGURE1_EPS, "r_over_d": q, "normalized_entropy": 3.0 * q**k})
    fit, lo, hi = equation1_exponent(curve)
    assert fit == pytest.approx(k, abs=1e-12) and lo == pytest.approx(k, abs=1e-9) and hi == pytest.approx(k, abs=1e-9)


def test_equation1_exponent_is_the_slope_of_equation_1_itself():
    """Against an independent route: Equation (1) evaluated at every integer r with r/d in Figure 1's range, and
    scipy's least squares; the theory table is coarser (80 log-spaced r), so 0.01 absolute."""
    d = 1000
    lo, hi = FIGURE1_R_OVER_D
    r = np.arange(int(np.ceil(lo * d)), int(hi * d) + 1)
    y = E.equal_singular_value_normalized_entropy(r, d, FIGURE1_EPS)
    ref = linregress(np.log(r / d), np.log(y)).slope
    fit, k_lo, k_hi = equation1_exponent(T.equation1_curve())
    assert fit == pytest.approx(ref, abs=0.01)
    # Equation (1) is concave in log-log: the local slope falls across the range, the fit lies between its ends.
    assert k_lo > fit > k_hi


def test_equation1_exponent_needs_points_in_the_range():
    curve = pd.DataFrame({"eps": [0.5, 0.5, 0.5], "r_over_d": [0.01, 0.02, 0.03], "normalized_entropy": [1, 2, 3]})
    with pytest.raises(ValidationError, match="eps = 0.1"):
        equation1_exponent(curve)


def test_bias_lead_states_the_largest_bias_of_a_pure_fit():
    bias = pd.DataFrame({"alpha": [0.3, 0.5, 0.5], "order": ["sequential", "parallel", "parallel"],
                         "estimator": ["pure", "pure", "offset"], "fitted": [0.2, 0.45, 0.9],
                         "predicted": [0.19, 0.3333, 0.3333], "rel_error": [0.0526, 0.3501, 1.7], "M": 1000})
    text = bias_lead(bias)
    assert "by up to 35%" in text and "0.45 where" in text and "α = 0.5, parallel" in text  # the offset row is no fit


def test_bias_lead_of_the_committed_table():
    path = LATEST / "tables" / "simulate_estimator_bias.csv"
    if not path.exists():
        pytest.skip("reports/latest/tables is not there")
    bias = pd.read_csv(path)
    worst = bias[bias["estimator"] == "pure"]["rel_error"].abs().max()
    assert f"by up to {worst:.0%}." in bias_lead(bias)


def _record(cid, verdict, **kw):
    from theory.catalogue import ClaimRecord

    base = dict(id=cid, origin="paper", paper_ref="Lemma 9.9", title="t", statement="s", latex="x = y", sympy=None,
                assumptions=["a"], verdict=verdict, evidence="fails 3 of 7 *times*", checks=[], counterexample=None,
                correction=None, conditions=[], seconds=0.0)
    return ClaimRecord(**(base | kw))


def test_one_line_per_claim_and_the_full_blocks_in_claims_md():
    from reports.sections.theory import _not_plain, _one_line, details_markdown

    failed = {"name": "n<d", "kind": "numeric", "target": "boundary", "passed": False, "detail": "ratio 0.1",
              "data": {}}
    cond = _record("lemma-9.9", "holds-under-conditions", checks=[failed], conditions=["n >= d: else smaller", "x"])
    refuted = _record("lemma-9.8", "refuted")
    holds = _record("lemma-9.7", "holds")
    assert _one_line(cond) == "- Lemma 9.9 (`lemma-9.9`): n >= d (ratio 0.1)"
    assert _one_line(refuted) == "- Lemma 9.9 (`lemma-9.8`): fails 3 of 7 \\*times\\*"
    # Under its verdict's heading, corrected first, each with its count.
    text = _not_plain([cond, refuted, holds])
    assert text.index("**refuted** (1;") < text.index("**holds-under-conditions** (1;") and "lemma-9.7" not in text
    md = details_markdown([cond, refuted, holds], "tables/a.csv", "tables/b.csv")
    assert "`lemma-9.9`" in md and "`lemma-9.8`" in md and "`lemma-9.7`" not in md
    assert "- Condition: n >= d: else smaller" in md and "- Condition: x" in md and "ratio 0.1" in md


def test_still_learning_reads_the_fall_of_the_largest_widths_loss():
    """The width figure's caveat: the loss of the largest width over the last quarter of the steps, per α, from a
    mean-loss table built so that it falls by exactly 10% (α = 0.5) and not at all (α = 1)."""
    from reports.sections.neural import still_learning

    rows = []
    for alpha, end in ((0.5, 0.9), (1.0, 1.0)):
        for width in (256, 32):  # the largest first: a mix-up of widths would then read the smaller one
            for step, loss, n in ((2000, 2.0, 1), (6000, 1.0, 4), (8000, end if width == 256 else 0.5, 7)):
                rows.append(dict(alpha=alpha, seed=0, width=width, step=step, loss=loss, tasks_learned=n))
    text = still_learning(pd.DataFrame(rows))
    assert text == ("over the last 25% of the steps the largest width's loss still falls 10% (α = 0.5; tasks learned "
                    "4 → 7), 0% (α = 1; tasks learned 4 → 7)")


def test_evidence_by_alpha_is_one_row_per_learner_and_axis_with_each_alphas_relative_error():
    """Section 2's table: the dynamics rows only, one column per α holding that row's rel_error, rows in the
    exponents table's order (a tail-sum row with a huge error must not appear)."""
    from reports.sections.simulate import evidence_by_alpha

    rows = [dict(alpha=a, order=o, cost="inverse_p", axis=ax, evidence=ev, rel_error=err)
            for a in (0.3, 1.0)
            for o, ax, ev, err in (("sequential", "flops", "dynamics", a * 1e-3), ("parallel", "skills", "dynamics",
                                                                                   -a * 1e-2),
                                   ("parallel", "params", "tail sum", 9.0))]
    got = evidence_by_alpha(pd.DataFrame(rows))
    assert list(got.columns) == ["order", "cost", "axis", "α = 0.3", "α = 1"]
    assert got[["order", "axis"]].values.tolist() == [["sequential", "flops"], ["parallel", "skills"]]
    np.testing.assert_allclose(got[["α = 0.3", "α = 1"]].to_numpy(), [[3e-4, 1e-3], [-3e-3, -1e-2]])
