"""Plug-ins and their validation (Section 3 assumptions as swappable parts)."""
import pathlib

import numpy as np
import pytest

import simulate
from simulate import dynamics as dyn
from theory import skills as th

EXAMPLES = pathlib.Path(simulate.__file__).parent / "examples"


@pytest.mark.parametrize("alpha", [0.0, -1.0, float("nan")])
def test_alpha_must_be_positive(alpha):
    with pytest.raises(ValueError, match="alpha"):
        simulate.PowerLaw(alpha)


def test_M_must_be_at_least_2():
    with pytest.raises(ValueError, match="M"):
        simulate.Assumptions(law=simulate.PowerLaw(0.5), M=1)


def test_unknown_order_and_cost_are_named():
    with pytest.raises(ValueError, match="order.name"):
        simulate.Assumptions(law=simulate.PowerLaw(0.5), order="backwards")
    with pytest.raises(ValueError, match="cost.name"):
        simulate.Assumptions(law=simulate.PowerLaw(0.5), cost="free")


def test_B_C_delta_checks():
    with pytest.raises(ValueError, match="B must exceed C"):
        simulate.Assumptions(law=simulate.PowerLaw(0.5), B=1.0, C=1.0)
    with pytest.raises(ValueError, match="delta"):
        simulate.Assumptions(law=simulate.PowerLaw(0.5), delta=0.0)
    with pytest.raises(ValueError, match="delta_noise"):
        simulate.Assumptions(law=simulate.PowerLaw(0.5), delta_noise=-0.1)


class _Unnormalized(simulate.SkillLaw):
    name = "unnormalized"

    def probabilities(self, M):
        return np.arange(M, 0, -1, dtype=float)


def test_user_law_that_does_not_sum_to_one_is_rejected():
    a = simulate.Assumptions(law=_Unnormalized(), M=10)
    with pytest.raises(ValueError, match="sum to 1"):
        dyn.run(a)


def test_empirical_law_from_frequencies_and_graph():
    law = simulate.EmpiricalLaw([3, 0, 1, 6])
    np.testing.assert_allclose(law.probabilities(3), [0.6, 0.3, 0.1])
    g = simulate.skill_graph(0.5, 50, 5000, seed=1)
    law_g = simulate.EmpiricalLaw(g.adjacency)
    np.testing.assert_allclose(law_g.probabilities(), g.empirical_p())
    a = simulate.Assumptions(law=law_g, M=7)  # M follows the data
    assert a.M == law_g.M
    with pytest.raises(ValueError, match="weights"):
        simulate.EmpiricalLaw([-1, 2])


@pytest.mark.parametrize("law", [simulate.BrokenPowerLaw(1.5, 0.5, 30), simulate.ExponentialLaw(0.01)])
def test_other_laws_are_valid_distributions(law):
    p = law.probabilities(5000)
    assert p.shape == (5000,) and np.isclose(p.sum(), 1.0) and np.all(np.diff(p) <= 0)


def test_broken_power_law_tail_is_the_paper_law_shape():
    law = simulate.BrokenPowerLaw(1.5, 0.5, 30)
    p, q = law.probabilities(10_000), th.skill_law(0.5, 10_000)
    ratio = p[100:] / q[100:]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # same shape beyond the break


def test_toml_examples_load_and_run():
    a = simulate.load_toml(EXAMPLES / "sqrt_cost.toml", M=2000)
    assert a.cost.name == "sqrt_p" and a.M == 2000
    b = simulate.load_toml(EXAMPLES / "broken_law_batches.toml", M=2000)
    assert b.law.name == "broken_power" and b.order.k == 4 and b.delta_noise == 0.2
    for x in (a, b):
        t = dyn.run(x, seed=0, points=50)
        assert np.all(np.diff(t.H) <= 1e-12)


def test_malformed_toml_names_the_problem(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[law\nname = 'power'")
    with pytest.raises(ValueError, match="malformed TOML"):
        simulate.load_toml(f)
    f.write_text("[law]\nname = 'power'\nalpha = 0.5\n[model]\nskills = 10\n")
    with pytest.raises(ValueError, match=r"\[model\] has unknown key"):
        simulate.load_toml(f)
    f.write_text("[law]\nname = 'power'\nalpha = -0.5\n")
    with pytest.raises(ValueError, match="alpha"):
        simulate.load_toml(f)
    f.write_text("[law]\nalpha = 0.5\n")
    with pytest.raises(ValueError, match=r"\[law\] needs 'name'"):
        simulate.load_toml(f)
    f.write_text("[law]\nname = 'power'\nalpha = 0.5\n[order]\nname = 'sideways'\n")
    with pytest.raises(ValueError, match="order.name"):
        simulate.load_toml(f)
    f.write_text("[law]\nname = 'power'\nalpha = 0.5\n[cost]\npython = 'missing.py:X'\n")
    with pytest.raises(ValueError, match="not found"):
        simulate.load_toml(f)
    with pytest.raises(ValueError, match="not found"):
        simulate.load_toml(tmp_path / "nope.toml")


class HalfOrder(simulate.Order):
    """A user order: learn the easier half in parallel, then the rest sequentially."""

    name = "half"

    def starts(self, durations):
        h = durations.size // 2
        out = np.zeros_like(durations)
        if durations.size > h:
            tail = durations[h:]
            out[h:] = durations[:h].max(initial=0.0) + np.concatenate([[0.0], np.cumsum(tail[:-1])])
        return out


def test_user_class_registered_or_passed_gives_same_outputs():
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=500, order=HalfOrder())
    simulate.register("order", "half_test", HalfOrder)
    b = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=500, order="half_test")
    ta, tb = dyn.run(a), dyn.run(b)
    np.testing.assert_array_equal(ta.H_minus_C, tb.H_minus_C)
    df = simulate.exponents(simulate.Assumptions(law=simulate.PowerLaw(0.5), M=20_000, order=HalfOrder()), n_boot=0)
    assert set(df["axis"]) == {"flops", "skills", "params"}
    assert df["predicted"].isna().all()  # theory has nothing to say about this order


def test_user_object_missing_methods_is_a_type_error():
    with pytest.raises(TypeError, match="starts"):
        simulate.Assumptions(law=simulate.PowerLaw(0.5), order=object())


def test_function_cost_hit_probability_at_most_one():
    c = simulate.FunctionCost(lambda p: p ** -0.5, name="sqrt")
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=1000, cost=c)
    t = dyn.run(a)
    assert np.all(np.isfinite(t.done))
    with pytest.raises(ValueError, match="positive"):
        dyn.run(simulate.Assumptions(law=simulate.PowerLaw(0.5), M=10, cost=simulate.FunctionCost(lambda p: -p)))
