"""Multitask sparse parity: frequencies (statistical), labels (exact), subsets, and the alpha convention."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from simulate.neural.task import SparseParity, alpha_from_michaud, michaud_from_alpha, parity_labels  # noqa: E402
from theory import skills as SK  # noqa: E402


@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_sampled_task_frequencies_follow_the_paper_law(alpha):
    """Chi-square goodness of fit of 400k draws to p_k ∝ k^-(alpha+1); bins with expected count < 20 are pooled."""
    from scipy import stats

    task = SparseParity(alpha, 300, 32, 3, seed=1)
    N = 400_000
    tasks, _, _ = task.sample(N, torch.Generator().manual_seed(7))
    counts = np.bincount(tasks.numpy(), minlength=task.T).astype(float)
    expected = N * SK.skill_law(alpha, 300)
    big = expected >= 20

    def pooled(e):
        return np.append(e[big], e[~big].sum()) if (~big).any() else e

    obs, exp = pooled(counts), pooled(expected)
    assert stats.chisquare(obs, exp).pvalue > 1e-3
    # the other convention (p ∝ k^-alpha: Michaud's "alpha" read as ours) is rejected by the same test
    k = np.arange(1, 301)
    wrong = N * k**-alpha / np.sum(k**-alpha)
    assert stats.chisquare(obs, pooled(wrong)).pvalue < 1e-6


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(4, 24), st.integers(1, 4), st.integers(2, 30))
def test_labels_are_the_parity_of_each_tasks_subset(seed, n, k, T):
    if k > n or math.comb(n, k) < T:
        with pytest.raises(ValueError):
            SparseParity(1.0, T, n, k, seed=seed)
        return
    task = SparseParity(1.0, T, n, k, seed=seed)
    tasks, bits, y = task.sample(300, torch.Generator().manual_seed(seed))
    ref = parity_labels(bits.numpy().astype(np.int64), tasks.numpy(), task.subsets)
    assert np.array_equal(y.numpy().astype(np.int64), ref)
    # subsets: k distinct sorted bits each, T distinct subsets
    assert task.subsets.shape == (T, k)
    assert np.all(np.diff(task.subsets, axis=1) > 0) and task.subsets.min() >= 0 and task.subsets.max() < n
    assert len({tuple(s) for s in task.subsets}) == T


def test_flipping_a_subset_bit_flips_the_label():
    task = SparseParity(1.0, 20, 16, 3, seed=0)
    tasks, bits, y = task.sample(200, torch.Generator().manual_seed(1))
    j = torch.from_numpy(task.subsets)[tasks, 0]
    flipped = bits.clone().to(torch.int8)
    flipped[torch.arange(200), j] ^= 1
    assert torch.all(task.labels(flipped, tasks) == 1 - y)


def test_heldout_draws_every_task_equally_and_labels_are_fair_coins():
    task = SparseParity(0.5, 50, 32, 3, seed=3)
    tasks, _, y = task.heldout(400, torch.Generator().manual_seed(0))
    assert np.array_equal(np.bincount(tasks.numpy()), np.full(50, 400))
    # the parity of uniform bits is Bernoulli(1/2) whatever the subset: 20k labels, 5 sd band
    assert abs(float(y.mean()) - 0.5) < 5 * 0.5 / math.sqrt(y.numel())


@given(st.floats(0.05, 5.0))
def test_michaud_convention_round_trips_and_is_alpha_plus_one(alpha):
    assert michaud_from_alpha(alpha) == pytest.approx(alpha + 1.0)
    assert alpha_from_michaud(michaud_from_alpha(alpha)) == pytest.approx(alpha)
    p = SparseParity(alpha, 10, 8, 2).p
    k = np.arange(1, 11)
    # p_k / p_1 = k^-(Michaud's alpha)
    np.testing.assert_allclose(p / p[0], k ** -michaud_from_alpha(alpha), rtol=1e-12)


def test_bad_arguments_are_named():
    for kw, name in (({"alpha": 0.0}, "alpha"), ({"tasks": 1}, "tasks"), ({"k_bits": 0}, "k_bits"),
                     ({"bits": 4, "k_bits": 5}, "k_bits")):
        args = {"alpha": 1.0, "tasks": 10, "bits": 8, "k_bits": 2, **kw}
        with pytest.raises(ValueError, match=name):
            SparseParity(args["alpha"], args["tasks"], args["bits"], args["k_bits"])
    with pytest.raises(ValueError, match="s must be > 1"):
        alpha_from_michaud(0.9)


def test_same_seed_same_subsets_and_batches():
    a, b = SparseParity(1.0, 100, 32, 3, seed=5), SparseParity(1.0, 100, 32, 3, seed=5)
    assert np.array_equal(a.subsets, b.subsets)
    ba = a.sample(64, torch.Generator().manual_seed(2))
    bb = b.sample(64, torch.Generator().manual_seed(2))
    assert all(torch.equal(x, y) for x, y in zip(ba, bb))
    assert not np.array_equal(a.subsets, SparseParity(1.0, 100, 32, 3, seed=6).subsets)
