"""theory.validation: every check returns the canonical value or raises naming the argument."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infogeo import validation as V


@pytest.mark.parametrize("call, exc", [
    (lambda: V.finite(float("nan"), "arg"), ValueError),
    (lambda: V.finite("1.0", "arg"), TypeError),
    (lambda: V.finite(True, "arg"), TypeError),
    (lambda: V.positive(0.0, "arg"), ValueError),
    (lambda: V.nonnegative(-1e-300, "arg"), ValueError),
    (lambda: V.in_range(1.5, "arg", 0.0, 1.0), ValueError),
    (lambda: V.in_range(0.0, "arg", 0.0, 1.0, low_open=True), ValueError),
    (lambda: V.probability(1.0, "arg", open_interval=True), ValueError),
    (lambda: V.probability(-0.1, "arg"), ValueError),
    (lambda: V.positive_int(2.5, "arg"), TypeError),
    (lambda: V.positive_int(0, "arg"), ValueError),
    (lambda: V.nonnegative_int(-1, "arg"), ValueError),
    (lambda: V.choice("c", "arg", ("a", "b")), ValueError),
    (lambda: V.choice(1, "arg", ("a", "b")), ValueError),
    (lambda: V.as_generator(True, "arg"), TypeError),
    (lambda: V.as_generator(-1, "arg"), ValueError),
    (lambda: V.as_generator(1.5, "arg"), TypeError),
    (lambda: V.as_float_array([1.0, np.inf], "arg"), ValueError),
    (lambda: V.as_float_array([0.0, 1.0], "arg", low=0.0, low_open=True), ValueError),
    (lambda: V.as_float_array([-1.0], "arg", low=0.0), ValueError),
    (lambda: V.as_int_array([1.0, 1.5], "arg"), ValueError),
    (lambda: V.as_int_array([1, -1], "arg", minimum=0), ValueError),
    (lambda: V.increasing(np.array([1.0, 1.0]), "arg"), ValueError),
    (lambda: V.probability_vector([0.5, 0.6], "arg"), ValueError),
])
def test_bad_values_raise_and_name_the_argument(call, exc):
    with pytest.raises(exc, match="arg"):
        call()


def test_same_shape_names_both_arguments():
    with pytest.raises(ValueError, match="left and right"):
        V.same_shape(np.zeros(2), np.zeros(3), "left", "right")


@given(st.floats(0.0, 1.0))
def test_probability_accepts_the_closed_interval(p):
    assert V.probability(p, "p") == p


def test_canonical_types_and_boundaries():
    assert V.positive_int(3.0, "n") == 3 and isinstance(V.positive_int(np.int64(3), "n"), int)
    assert V.in_range(1.0, "x", 0.0, 1.0) == 1.0  # closed ends by default
    assert V.choice("b", "x", ("a", "b")) == "b"
    assert V.increasing(np.array([1.0, 1.0]), "x", strict=False).size == 2
    assert V.as_float_array([], "x", allow_empty=True).size == 0


def test_as_generator_reuses_a_generator_and_seeds_reproducibly():
    g = np.random.default_rng(5)
    assert V.as_generator(g) is g
    assert V.as_generator(7).random() == np.random.default_rng(7).random()
    seq = np.random.SeedSequence(3)
    assert V.as_generator(seq).random() == np.random.default_rng(np.random.SeedSequence(3)).random()
