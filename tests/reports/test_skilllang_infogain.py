"""Section 5's information-gain measurement (Section 4.1, Figure 3) on states whose answer is known.

Laws, each of which fails on a wrong implementation:
- the first token's increment is ½ log(1 + σ⁻²) (all of it new); an exact repeat of a token, once per example,
  has the increment ½ log(1 + 1/(m + σ²)) after m copies: the role
  whose states repeat gets exactly that, the roles whose states are new get far more;
- shuffling the positions of each sequence's states erases the position pattern (the gap between roles goes to ~0);
- the role attribution follows the example's layout: a repeat placed at the answer's slot shows up there, not at
  the separator's.
"""
from __future__ import annotations

import numpy as np
import pytest

from empirical.measure.metrics import PAPER_SIGMA
from reports.sections._skilllang_section4 import ROLES, repeat_value, role_increments

PER_SEQ = 8


def _states(repeat_role: int, n: int = 6, d: int = 96, seed: int = 0) -> np.ndarray:
    """n sequences of PER_SEQ examples of 5 states in R^d: the ``repeat_role`` state is one fixed vector in every
    example of a sequence (a token known from the position), every other state a fresh Gaussian draw."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, PER_SEQ, 5, d))
    Z[:, :, repeat_role] = rng.standard_normal((n, 1, d))
    return Z.reshape(n, PER_SEQ * 5, d)


def test_repeat_value_is_the_closed_form():
    m = np.arange(1, PER_SEQ)
    want = np.mean(0.5 * np.log1p(1 / (m + PAPER_SIGMA ** 2)))
    assert repeat_value(PER_SEQ) == pytest.approx(want, rel=1e-9)
    assert want == pytest.approx(0.5 * np.log(PER_SEQ) / (PER_SEQ - 1), rel=1e-3)


def test_a_repeated_token_gets_the_repeat_value_and_new_tokens_far_more():
    sep = ROLES.index("sep")
    roles, inc, gain = role_increments(_states(sep))
    assert roles[sep] == pytest.approx(repeat_value(PER_SEQ), abs=2e-4)
    assert (np.delete(roles, sep) > 1.0).all()
    assert inc[0] == pytest.approx(0.5 * np.log1p(PAPER_SIGMA ** -2), rel=1e-12)  # the first token: all new
    assert inc.shape == gain.shape == (PER_SEQ * 5,) and (np.diff(gain) > 0).all()


def test_shuffled_positions_erase_the_pattern_and_roles_follow_the_layout():
    sep, ans = ROLES.index("sep"), ROLES.index("answer")
    Z = _states(sep)
    roles, _, _ = role_increments(Z)
    rng = np.random.default_rng(1)
    shuffled, _, _ = role_increments(np.stack([z[rng.permutation(len(z))] for z in Z]))
    gap = roles[:3].mean() - roles[sep]
    assert gap > 1.0
    assert abs(shuffled[:3].mean() - shuffled[sep]) < 0.15 * gap
    moved, _, _ = role_increments(_states(ans))
    assert moved[ans] == pytest.approx(repeat_value(PER_SEQ), abs=2e-3) and moved[sep] > 1.0
