"""simulate <-> simulate.neural: the sequential/parallel discriminator names the idealized learner it is shown.

The suite's own stochastic learners (Theorem 3.8's hits, 20 per skill, so a skill's comprehension time has a
coefficient of variation of about 0.22 -- the size of the networks' scatter) are read exactly as a network is:
on a log grid of evaluation steps, censored where training would stop (about a dozen skills in), and passed
through the same window rule, censored fit and verdict as the networks' learning times.
"""
import numpy as np
import pandas as pd
import pytest

import simulate
from simulate.neural import learning_time_exponents
from simulate.neural.measure import LN2

T = 500


def _as_network(alpha, order, seed, n_learned=12, ratio=1.15):
    a = simulate.Assumptions(law=simulate.PowerLaw(alpha), M=T, order=order, B=LN2, C=0.0, delta=LN2 / 20)
    done = simulate.run(a, mode="stochastic", seed=seed, points=8).done  # comprehension flop by rank
    unit = np.min(done) / 8
    grid = unit * ratio ** np.arange(0, 200)  # a log grid of "evaluation steps" starting well before t_1
    stop = np.sort(done)[n_learned - 1] * 1.2
    grid = grid[grid <= stop]
    idx = np.searchsorted(grid, done, side="left")
    cens = idx >= grid.size
    t = np.where(cens, grid[-1], grid[np.minimum(idx, grid.size - 1)])
    return pd.DataFrame({"seed": seed, "task": np.arange(1, T + 1), "threshold": 0.5, "t_k": t, "censored": cens})


@pytest.mark.parametrize("alpha", [0.5, 1.0])
@pytest.mark.parametrize("order", ["sequential", "parallel"])
def test_discriminator_names_the_idealized_learner(alpha, order):
    supports = []
    for seed in range(6):
        row = learning_time_exponents(_as_network(alpha, order, seed), alpha, T).iloc[0]
        supports.append(row["supports"])
    other = {"sequential": "parallel", "parallel": "sequential"}[order]
    assert supports.count(order) >= 5, supports  # right in (nearly) every replicate
    assert other not in supports, supports  # never the wrong learner


def test_three_seeds_of_one_learner_give_a_between_seed_verdict():
    lt = pd.concat([_as_network(1.0, "sequential", s) for s in range(3)], ignore_index=True)
    row = learning_time_exponents(lt, 1.0, T).iloc[0]
    assert row["interval_kind"].startswith("between-seed-t") and row["n_seeds"] == 3
    assert row["supports"] in ("sequential", "undecided")
