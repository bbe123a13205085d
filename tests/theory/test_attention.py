"""Section 4.2, equations (4) and (5): laws of theory.attention on random causal attention."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.attention import approximation_5, causal_attention, equation4_values

seeds = st.integers(0, 2**32 - 1)


@given(seeds, st.integers(1, 30), st.floats(-2.0, 4.0), st.sampled_from([None, 1, 3]))
def test_attention_is_causal_and_row_stochastic(seed, T, margin, keep):
    A = causal_attention(np.random.default_rng(seed), T, self_margin=margin, scale=1.0, keep=keep)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.triu(A, 1) == 0) and np.all(np.diag(A) > 0)
    if keep is not None:
        assert np.all((A > 0).sum(axis=1) <= keep + 1)  # the kept weights plus the diagonal


@given(seeds, st.integers(1, 30), st.integers(1, 6))
def test_equation_4_returns_the_values_that_produced_the_outputs(seed, T, d):
    rng = np.random.default_rng(seed)
    A = causal_attention(rng, T, self_margin=1.0, scale=1.0, keep=None)
    V = rng.normal(size=(T, d))
    got = equation4_values(A, A @ V, V)
    scale = np.abs(A @ V).max(axis=1, keepdims=True) / np.diag(A)[:, None]
    assert np.all(np.abs(got - V) <= 1e-12 * np.maximum(scale, 1.0))


def test_equation_5_is_exact_when_no_earlier_token_attends_back():
    """With lambda_k^j = 0 for k < j < T (earlier rows attend only to themselves) the dropped term vanishes."""
    rng = np.random.default_rng(0)
    T = 6
    A = np.eye(T)
    A[-1] = rng.dirichlet(np.ones(T))
    V = rng.normal(size=(T, 3))
    z, approx, dropped = approximation_5(A, V)
    assert np.all(dropped == 0)
    np.testing.assert_allclose(approx, z, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("call, name", [
    (lambda: equation4_values(np.triu(np.ones((3, 3))), np.ones((3, 2)), np.ones((3, 2))), "A"),
    (lambda: approximation_5(np.tril(np.ones((3, 3))) - np.eye(3), np.ones((3, 2))), "A"),
    (lambda: approximation_5(np.eye(3), np.ones((2, 2))), "V"),
    (lambda: causal_attention(0, 0, self_margin=0.0, scale=1.0, keep=None), "T"),
    (lambda: causal_attention(0, 3, self_margin=0.0, scale=0.0, keep=None), "scale"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
