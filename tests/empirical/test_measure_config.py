"""MeasureConfig: the paper's measurement parameters, validated once, stored whole."""
from __future__ import annotations

import dataclasses

import pytest

from empirical.measure import metrics as M
from empirical.measure.config import MeasureConfig
from empirical.measure.measurements import MEASUREMENTS


def test_defaults_are_the_papers_constants_and_the_config_round_trips():
    c = MeasureConfig()
    assert (c.eps, c.sigma, c.lasso_lambda, c.threshold, c.gamma) == (
        M.PAPER_EPS, M.PAPER_SIGMA, M.PAPER_LASSO_LAMBDA, M.PAPER_SELECTION_THRESHOLD, M.PAPER_JS_GAMMA)
    assert c.measurements == MEASUREMENTS
    odd = MeasureConfig(measurements=["lasso", "entropy"], layers=[0, -1], max_tokens=64, seed=3)
    assert odd.measurements == ("lasso", "entropy") and odd.layers == (0, -1)  # lists become tuples: hashable
    assert MeasureConfig(**odd.to_dict()) == odd and hash(odd) == hash(MeasureConfig(**odd.to_dict()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        odd.eps = 1.0
    assert odd.replace(eps=0.5).eps == 0.5 and odd.eps == M.PAPER_EPS


@pytest.mark.parametrize("field, value, error", [
    ("eps", 0.0, ValueError), ("sigma", -1.0, ValueError), ("gamma", float("nan"), ValueError),
    ("lasso_lambda", "1e-4", TypeError), ("ridge", -1e-4, ValueError), ("threshold", -0.5, ValueError),
    ("max_tokens", 0, ValueError), ("text_limit", 2.5, TypeError), ("seed", True, TypeError),
    ("measurements", ("entropy", "vibes"), ValueError), ("measurements", (), ValueError),
    ("measurements", "entropy", TypeError), ("text_field", "", TypeError),
])
def test_bad_parameters_are_refused_naming_the_field(field, value, error):
    with pytest.raises(error, match=field):
        MeasureConfig(**{field: value})
