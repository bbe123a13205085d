"""Learning times, order and concurrency from per-task curves: exact on synthetic curves whose answers are known."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulate.neural import measure as M

LN2 = math.log(2.0)


def _grid(draw_steps):
    return np.unique(np.concatenate([[0], np.asarray(draw_steps, dtype=np.int64)]))


def _step_curves(steps, drops, low=0.01):
    """loss = ln 2 before each task's drop step, ``low`` from it on (a quantum at a known step)."""
    return np.where(steps[:, None] >= np.asarray(drops)[None, :], low, LN2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5000), min_size=3, max_size=40, unique=True),
       st.lists(st.integers(1, 6000), min_size=2, max_size=30))
def test_t_k_is_exact_on_step_function_curves(grid_steps, drops):
    steps = _grid(grid_steps)
    drops = np.asarray(drops)
    lt = M.learning_times(steps, _step_curves(steps, drops), np.full(drops.size, 1 / drops.size))
    for _, g in lt.groupby("threshold"):
        g = g.sort_values("task")
        after = [steps[steps >= d] for d in drops]
        expect_cens = np.array([a.size == 0 for a in after])
        expect_t = np.array([a[0] if a.size else steps[-1] for a in after])
        assert np.array_equal(g["censored"].to_numpy(), expect_cens)
        assert np.array_equal(g["t_k"].to_numpy(), expect_t)
        # a quantum's transition is one grid gap wide: from the last evaluation above 0.9 ln 2 to t_k
        learned = ~expect_cens
        prev = np.array([steps[steps < t][-1] if (steps < t).any() else steps[0] for t in expect_t])
        np.testing.assert_array_equal(g["transition_start"].to_numpy()[learned], prev[learned])
        np.testing.assert_array_equal(g["transition_end"].to_numpy()[learned], expect_t[learned])
        assert not g["relapsed"].any()


def test_both_thresholds_on_a_ramp_and_the_transition_width():
    steps = np.concatenate([[0], np.arange(5, 1001, 10)])  # grid points never sit on a threshold crossing
    # one task whose loss falls linearly from ln 2 at step 200 to 0 at step 600
    loss = np.clip(LN2 * (600 - steps) / 400, 0, LN2)[:, None]
    lt = M.learning_times(steps, loss, [1.0]).set_index("threshold")
    # crossings: 0.5 ln 2 at 400, 0.1 ln 2 at 560, 0.9 ln 2 at 240; each read at the next grid point
    assert lt.loc[0.5, "t_k"] == 405 and lt.loc[0.1, "t_k"] == 565
    assert lt.loc[0.5, "transition_start"] == 235 and lt.loc[0.5, "transition_end"] == 565
    assert lt.loc[0.5, "transition_rel"] == pytest.approx((565 - 235) / 405)
    assert lt.loc[0.5, "resolution_rel"] == pytest.approx(10 / 405)


def test_a_task_that_comes_back_above_the_threshold_is_marked_relapsed():
    steps = np.array([0, 10, 20, 30])
    loss = np.array([[LN2], [0.1], [0.2], [0.6]])
    lt = M.learning_times(steps, loss, [1.0]).set_index("threshold")
    assert lt.loc[0.5, "t_k"] == 10 and lt.loc[0.5, "relapsed"] and not lt.loc[0.5, "censored"]


@given(st.integers(2, 12), st.integers(5, 40))
def test_sequential_ramps_are_never_concurrent_and_parallel_ones_are(T, width):
    steps = np.arange(0, T * width * 2 + 1)
    starts = np.arange(T) * width  # task k falls from ln 2 to 0 during [k w, (k+1) w): one at a time
    seq = np.clip(LN2 * ((starts[None, :] + width) - steps[:, None]) / width, 0, LN2)
    assert M.concurrency(steps, seq).max() == 1
    par = np.clip(LN2 * (width - steps[:, None]) / width, 0, LN2) * np.ones((1, T))  # all at once
    assert M.concurrency(steps, par).max() == T


def test_order_summary_counts_prefix_and_inversions():
    steps = np.arange(0, 101)
    drops = np.array([10, 20, 50, 30, 200, 60])  # task 4 before task 3; task 5 never; task 6 learned although 5 not
    loss = _step_curves(steps, drops)
    lt = M.learning_times(steps, loss, np.full(6, 1 / 6), thresholds=(0.5,))
    od = M.order_summary(lt, steps, loss).iloc[0]
    assert od["tasks_learned"] == 5 and od["in_order_prefix"] == 3
    # inversions: (3,4) and (5,6) -- a rarer task learned first, or learned while the more frequent never is
    assert od["inversions"] == 2
    assert od["max_concurrent"] == 0  # quanta: never between 0.1 and 0.9 ln 2


@given(st.integers(1, 30), st.integers(2, 20), st.integers(0, 10**6))
def test_mean_loss_is_the_frequency_weighted_sum(E, T, seed):
    rng = np.random.default_rng(seed)
    loss = rng.uniform(0, 1, (E, T))
    p = rng.dirichlet(np.ones(T))
    ml = M.mean_loss(np.arange(E), loss, p)
    np.testing.assert_allclose(ml["loss"], [sum(p[k] * loss[e, k] for k in range(T)) for e in range(E)], rtol=1e-12)


def test_bad_curves_are_refused():
    with pytest.raises(ValueError, match="steps"):
        M.learning_times([0, 5, 5], np.zeros((3, 2)), [0.5, 0.5])
    with pytest.raises(ValueError, match="one row per step"):
        M.learning_times([0, 5], np.zeros((3, 2)), [0.5, 0.5])
    with pytest.raises(ValueError, match="p must have"):
        M.learning_times([0, 5], np.zeros((2, 2)), [1.0])
    with pytest.raises(ValueError, match="non-finite"):
        M.learning_times([0, 5], np.array([[np.nan, 0], [0, 0]]), [0.5, 0.5])


def test_columns_are_documented():
    lt = M.learning_times([0, 1], np.zeros((2, 3)), np.full(3, 1 / 3))
    assert list(lt.columns) == M.LEARNING_TIME_COLUMNS
    od = M.order_summary(lt, [0, 1], np.zeros((2, 3)))
    assert list(od.columns) == M.ORDER_COLUMNS
    assert isinstance(od, pd.DataFrame)
