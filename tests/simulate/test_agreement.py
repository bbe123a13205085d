"""Simulation agreement that can fail: wrong dynamics under theory's labels must break the agreement check.

Each mutant behaves differently from what its labels (``theory_order``, ``theory_cost``) tell theory, so the
predictions and the finite-M reference are those of the labelled model. The agreement check
(:func:`simulate.agreement_summary`) must fail for every mutant and pass for the correct dynamics.
"""
import numpy as np
import pytest

import simulate

M = 50_000  # fit window [100, 5000] skills; each run well under a second


class CostPower103(simulate.InverseP):
    """Labelled 1/p (Theorem 3.8) but costs 1/p^1.03."""

    def expected_flops(self, p, B, C, delta):
        return (B - C) / (np.asarray(p) ** 1.03 * delta)


class ParallelLabelledSequential(simulate.Parallel):
    """A sequential learner whose skills all start at flop 0 (i.e. a parallel one)."""

    name = "sequential"
    theory_order = "sequential"


class SequentialLabelledParallel(simulate.Sequential):
    """A parallel learner started in sequence."""

    name = "parallel"
    theory_order = "parallel"


def _table(order, cost="inverse_p", alpha=0.5):
    a = simulate.Assumptions(law=simulate.PowerLaw(alpha), M=M, order=order, cost=cost)
    return simulate.exponents(a, n_boot=0)


@pytest.mark.parametrize("order, cost", [("sequential", "inverse_p"), ("parallel", "inverse_p"),
                                         ("sequential", "constant")])
def test_correct_dynamics_agree_and_match_the_finite_M_curve(order, cost):
    df = _table(order, cost)
    summary = simulate.agreement_summary(df)
    assert summary["all_agree"] and summary["counted"] >= 1
    ref = df[np.isfinite(df["reference"])]
    assert len(ref) and np.all(np.abs(ref["reference_rel_error"]) < 1e-8)  # the closed form, to round-off


@pytest.mark.parametrize("order, cost", [
    ("sequential", CostPower103()),
    ("parallel", CostPower103()),
    (ParallelLabelledSequential(), "inverse_p"),
    (SequentialLabelledParallel(), "inverse_p"),
])
def test_wrong_dynamics_break_the_agreement_check(order, cost):
    df = _table(order, cost)
    summary = simulate.agreement_summary(df)
    assert not summary["all_agree"], df[["axis", "fitted", "predicted", "reference", "evidence", "agrees"]]
    flops = df[df["axis"] == "flops"].iloc[0]
    assert flops["evidence"] == "dynamics" and not flops["agrees"]


def test_a_cost_of_p_to_the_1_03_passed_the_old_two_percent_rule():
    """Why the finite-M reference is needed: the sequential flops exponent moves by less than 2%."""
    flops = _table("sequential", CostPower103()).set_index("axis").loc["flops"]
    assert abs(flops["rel_error"]) < 0.02
    assert abs(flops["reference_rel_error"]) > 10 * simulate.REFERENCE_TOLERANCE


def test_rows_that_cannot_see_the_dynamics_are_not_counted():
    """The params axis is the tail sum whatever the dynamics; so is the skills axis of a sequential learner."""
    seq = _table("sequential").set_index("axis")
    assert seq.loc["params", "evidence"] == "tail sum" and seq.loc["skills", "evidence"] == "tail sum"
    par = _table("parallel").set_index("axis")
    assert par.loc["skills", "evidence"] == "dynamics" and par.loc["params", "evidence"] == "tail sum"
    wrong = _table(ParallelLabelledSequential()).set_index("axis")
    assert wrong.loc["params", "fitted"] == seq.loc["params", "fitted"]  # blind to the dynamics
    summary = simulate.agreement_summary(seq)
    assert summary["counted"] == 1 and summary["not_counted"] == {"tail sum": 2}


def test_a_repeated_number_is_counted_once():
    df = _table("sequential")
    twice = np.concatenate([df.index, df.index[df["evidence"] == "dynamics"]])
    assert simulate.agreement_summary(df.loc[twice])["counted"] == 1


def test_intervals_say_what_they_are():
    df = simulate.exponents(simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M), n_boot=20, axes=("flops",))
    assert df["ci_method"].iloc[0].startswith("misfit")
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=5000)
    few = simulate.exponents(a, mode="stochastic", replicates=3, axes=("flops",)).iloc[0]
    assert few["ci_method"] == "replicate range min-max (R=3)"
