"""empirical.fit.calibration: the pipeline's conclusions set beside a known truth, every row.

Laws: on a table made as L = E + A·N^-α + B·step^-β (small lognormal noise) the α_N row covers the α it was made with
and stops covering a wrong one; the E row covers the floor; every steps and frontier verdict row of the pipeline
appears once, with the prediction from the true α; bad truth is refused naming the key.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from empirical.fit.calibration import CALIBRATION_COLUMNS, calibrate
from infogeo.validation import ValidationError

ALPHA, E, BETA = 0.6, 0.4, 0.5


def _table(seed=0):
    rng = np.random.default_rng(seed)
    steps = np.array([0, 1, 2, 4, 8, 16, 32, 64, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
    rows = []
    for i, N in enumerate(np.geomspace(1e3, 5e4, 6)):
        for s in steps:
            loss = E + 30 * N ** -ALPHA + 2.0 * max(s, 1) ** -BETA
            rows.append({"model": f"m{i}", "params_total": N * 1.1, "params_nonembedding": N, "step": s,
                         "tokens": s * 1000, "heldout_loss_nats": loss * np.exp(0.002 * rng.standard_normal())})
    return pd.DataFrame(rows)


def _truth(alpha):
    ex = pd.DataFrame({"test": ["steps_exponent"], "subject": ["m5"], "estimate": [BETA], "ci_low": [BETA - 0.05],
                       "ci_high": [BETA + 0.05]})
    return {"alpha": alpha, "E": E + 2.0 * 1000 ** -BETA, "exponents": ex}


@pytest.fixture(scope="module")
def both():
    t = _table()
    return calibrate(t, _truth(ALPHA), n_boot=60)[0], calibrate(t, _truth(ALPHA + 1.0), n_boot=60)[0]


def test_alpha_row_covers_the_true_alpha_and_not_a_wrong_one(both):
    good, bad = both
    assert list(good.columns) == CALIBRATION_COLUMNS
    a = good[(good["quantity"] == "alpha_N") & (good["subject"] == "nonembedding")].iloc[0]
    assert a["truth"] == ALPHA and a["covers"], a
    b = bad[(bad["quantity"] == "alpha_N") & (bad["subject"] == "nonembedding")].iloc[0]
    assert not b["covers"], b
    e = good[(good["quantity"] == "E") & (good["subject"] == "nonembedding")].iloc[0]
    assert e["covers"], e


def test_every_verdict_row_is_set_beside_the_true_prediction(both):
    good, _ = both
    st = good[good["quantity"] == "steps"]
    assert len(st) > 0 and st["subject"].nunique() >= 6  # every size, and the summary row
    seq = st[st["hypothesis"].str.contains(r"\+2")]
    assert np.allclose(seq["true_predicted"], ALPHA / (ALPHA + 2))
    m5 = st[st["subject"] == "m5"]
    assert set(m5["true_verdict"]) <= {"consistent", "inconsistent"}


def test_bad_truth_is_refused():
    with pytest.raises(ValidationError, match="exponents"):
        calibrate(_table(), {"alpha": 0.5, "E": 0.1})
