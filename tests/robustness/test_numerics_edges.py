"""Issue 13, numerics at the edges: exact or refused, never silently wrong.

Laws used: det(I + s^-2 11^T) = 1 + T/s^2 (rank-one kernel), so the information gain of T identical unit
tokens is 1/2 log(1 + T/s^2); log det of a diagonal matrix is the sum of the logs of its diagonal;
L_eps(aZ) at distortion a*eps equals L_eps(Z) at eps (the same determinant).
"""
from __future__ import annotations

import numpy as np
import pytest

from empirical.measure.metrics import select_tokens, sentence_distance
from theory.entropy import logdet_spd, rate_distortion_entropy
from theory.gp import MAX_ROUNDOFF, information_gain_curve


@pytest.mark.parametrize("T", [2, 8, 64])
def test_information_gain_is_exact_above_the_conditioning_bound_and_refused_below(T):
    eps = np.finfo(np.float64).eps
    at_bound = np.sqrt(T * eps / MAX_ROUNDOFF)  # the smallest sigma accepted for unit-diagonal kernels
    for sigma in (1e-2, 1e-3, 1.01 * at_bound):
        gains, inc = information_gain_curve(np.ones((T, T)), sigma)
        exact = 0.5 * np.log1p(np.arange(1, T + 1) / sigma**2)
        np.testing.assert_allclose(gains, exact, rtol=0, atol=1e-6)
    for sigma in (0.99 * at_bound, 1e-10):
        with pytest.raises(ValueError, match="sigma=.*too small"):
            information_gain_curve(np.ones((T, T)), sigma)


def test_the_issue_case_is_refused_not_returned_wrong():
    with pytest.raises(ValueError, match="too small"):
        information_gain_curve(np.ones((2, 2)), 1e-10)


def test_logdet_spd_refuses_nan_and_non_symmetric_input_and_keeps_the_diagonal_law():
    d = np.array([0.5, 2.0, 7.0])
    assert logdet_spd(np.diag(d)) == pytest.approx(np.log(d).sum(), rel=1e-14)
    with pytest.raises(ValueError, match="A .*non-finite"):
        logdet_spd(np.array([[np.nan, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="A must be symmetric"):
        logdet_spd(np.array([[2.0, 1.0], [0.0, 2.0]]))  # its lower triangle alone would give a wrong value


def test_rate_distortion_entropy_refuses_overflow_and_is_scale_consistent_below_it():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((4, 6))
    with pytest.raises(ValueError, match="overflows"):
        rate_distortion_entropy(np.full((3, 4), 1e200))
    a = 1e50
    assert rate_distortion_entropy(a * Z, a * 0.1) == pytest.approx(rate_distortion_entropy(Z, 0.1), rel=1e-10)


@pytest.mark.parametrize("threshold", [np.nan, np.inf, -np.inf])
def test_select_tokens_refuses_a_non_finite_threshold(threshold):
    with pytest.raises(ValueError, match="threshold"):
        select_tokens(np.array([0.5, 0.2]), threshold)


def test_select_tokens_refuses_non_finite_weights():
    with pytest.raises(ValueError, match="weights"):
        select_tokens(np.array([0.5, np.nan]), 0.01)


@pytest.mark.parametrize("metric", ["js", "logdet"])
@pytest.mark.parametrize("ridge", [np.nan, -1e-4])
def test_a_nan_or_negative_ridge_is_refused_for_every_metric(metric, ridge):
    rng = np.random.default_rng(1)
    Za, Zb = rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    with pytest.raises(ValueError, match="ridge"):
        sentence_distance(Za, Zb, metric, ridge=ridge)
