"""Issue 24 (round two) for theory/ and simulate/: our own cases of each class of fault, more than the issue's.

- silent: a kernel that is not positive semi-definite (negative diagonal, indefinite, or negative beyond
  round-off against sigma^2) gave negative information; complex input was cast to real with a numpy warning at
  every theory entry point; a plug-in's learning order 0.5, 1.5, ... was cast to the permutation 0, 1, ...;
  a plug-in's complex flops were cast to real. Now each is refused by name.
- tracebacks: a plug-in missing a method (an AttributeError shown as a bug) is one line naming every method it
  lacks; a user's prediction hook returning garbage is named.
- the runner hides bugs: a plain ValueError inside a fit or a prediction became a "no fit" row or "none"; now
  it propagates (an internal error with its traceback), while a ValidationError still gives the row its reason.
- wrong names in messages: ``--B -1e300`` read as a missing argument; a TOML value reported as ``--skills``;
  ``--assumptions -`` or a pipe called "not found".
- runaway: a sweep's grid (``--seeds`` lists of any length) gets a memory estimate; a value listed twice is
  refused (it would duplicate rows).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import simulate
from infogeo.validation import ValidationError, ValidationTypeError
from simulate import dynamics as dyn
from simulate.__main__ import main as simulate_main
from simulate.assumptions import Order
from theory import attention, discrete, distances, entropy, gp, skills
from theory.__main__ import main as theory_main

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--n-boot", "0", "--points", "60", "--no-progress"]
RNG = np.random.default_rng(24)


def _gram(T, d, scale=1.0):
    Z = RNG.standard_normal((T, d))
    return scale * (Z @ Z.T)


# ------------------------------------------------------------------------------------------- kernels (silent)
@pytest.mark.parametrize("K, sigma, needle", [
    ([[-0.5]], 1.0, r"K\[0, 0\] = -0.5"),                          # a negative variance
    ([[1.0, 0.0], [0.0, -1e-3]], 1.0, r"K\[1, 1\]"),                # negative diagonal, small
    ([[1.0, 2.0], [2.0, 1.0]], 10.0, "smallest eigenvalue -1"),     # indefinite; I + K/sigma^2 is still PD
    ([[1.0, 2.0], [2.0, 1.0]], 1e3, "smallest eigenvalue -1"),
    ([[0.0, 1.0], [1.0, 0.0]], 1.0, "diagonal is zero"),            # zero diagonal, nonzero off-diagonal
    ([[1.0, 1.0 + 1e-3], [1.0 + 1e-3, 1.0]], 1.0, "smallest eigenvalue"),  # just indefinite
])
def test_a_kernel_that_is_not_psd_is_refused_by_every_information_gain_route(K, sigma, needle):
    for f in (gp.information_gain, gp.information_gain_curve):
        with pytest.raises(ValidationError, match="K must be positive semi-definite"):
            f(K, sigma)
        with pytest.raises(ValidationError, match=needle):
            f(K, sigma)


def test_a_negative_eigenvalue_is_judged_against_sigma_squared_not_only_the_kernel_scale():
    """-1e-9 is round-off beside max k(z,z) = 1 (1e-8 relative) but not beside sigma^2 = 1e-6: there it would move
    the gain by 1e-3 nats, so it is refused; at sigma = 1 the same kernel is accepted."""
    U = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
    K = U @ np.diag([1.0, 0.5, -1e-9]) @ U.T
    with pytest.raises(ValidationError, match="positive semi-definite"):
        gp.information_gain(K, 1e-3)
    assert gp.information_gain(K, 1.0) > 0


@pytest.mark.parametrize("T, d, scale, sigma", [(8, 3, 1.0, 0.01), (40, 5, 1.0, 0.01), (30, 30, 1e-6, 1e-4),
                                                (64, 2, 1e3, 1.0), (5, 5, 1.0, 1e3), (200, 4, 1.0, 0.1)])
def test_the_gain_of_a_gram_kernel_is_nonnegative_and_increasing(T, d, scale, sigma):
    """Law: a Gram matrix (rank-deficient when T > d) is PSD, so every increment is >= 0 up to the stated
    tolerance (1e-6 nats) and the total equals 1/2 log det(I + K/sigma^2)."""
    K = _gram(T, d, scale)
    gains, inc = gp.information_gain_curve(K, sigma)
    assert inc.min() >= -1e-6
    s, logdet = np.linalg.slogdet(np.eye(T) + K / sigma**2)
    assert s > 0 and gains[-1] == pytest.approx(0.5 * logdet, rel=1e-9, abs=1e-9)


def test_logdet_spd_of_a_matrix_that_is_not_positive_definite_is_named():
    for A in ([[1.0, 2.0], [2.0, 1.0]], [[0.0]], [[-1.0]]):
        with pytest.raises(ValidationError, match="A must be positive definite"):
            entropy.logdet_spd(A)


# ----------------------------------------------------------------------------- complex input (silent)
def _entry_points():
    """(label, call(x), the argument name) for every theory entry point whose array argument x may be complex."""
    Z, z, A = RNG.standard_normal((5, 3)), RNG.standard_normal(3), np.eye(3) + 0.1
    L = np.tril(np.full((3, 3), 0.2)) + np.eye(3)
    p = np.full(4, 0.25)
    return [
        ("information_gain", lambda x: gp.information_gain(x, 1.0), "K", A),
        ("information_gain_curve", lambda x: gp.information_gain_curve(x, 1.0), "K", A),
        ("linear_kernel", gp.linear_kernel, "Z", Z),
        ("stable_rank", gp.stable_rank, "A", Z),
        ("posterior_variance Z_prev", lambda x: gp.posterior_variance(x, z, 0.1), "Z_prev", Z),
        ("posterior_variance z", lambda x: gp.posterior_variance(Z, x, 0.1), "z", z),
        ("gp_posterior y", lambda x: gp.gp_posterior(Z, x, z, 0.1), "y", np.ones(5)),
        ("ridge_coefficients", lambda x: gp.ridge_coefficients(x, z, 0.1), "Z_prev", Z),
        ("increment", lambda x: gp.information_gain_increment(x, z, 0.1), "Z_prev", Z),
        ("rate_distortion_entropy", entropy.rate_distortion_entropy, "Z", Z),
        ("normalized_rate_distortion_entropy", entropy.normalized_rate_distortion_entropy, "Z", Z),
        ("matrix_entropy", entropy.matrix_entropy, "Z", Z),
        ("logdet_spd", entropy.logdet_spd, "A", A),
        ("discrete entropy", discrete.entropy, "p", p),
        ("conditional_entropy", discrete.conditional_entropy, "p_xy", np.full((2, 2), 0.25)),
        ("mutual_information", discrete.mutual_information, "p_xy", np.full((2, 2), 0.25)),
        ("kl_divergence", lambda x: discrete.kl_divergence(x, p), "P", p),
        ("distance js", lambda x: distances.distance(x, A, "js"), "A", A),
        ("distance logdet", lambda x: distances.distance(A, x, "logdet"), "B", A),
        ("token_covariance", distances.token_covariance, "Z", Z),
        ("regularize_covariance", lambda x: distances.regularize_covariance(x, 0.1), "C", A),
        ("skill_tail_mass", lambda x: skills.skill_tail_mass(x, 0.5), "n", np.array([1.0, 10.0])),
        ("comprehension_cost", lambda x: skills.comprehension_cost(x, 2.0, 1.0, 0.1), "p", p),
        ("expected_conditional_entropy", lambda x: skills.expected_conditional_entropy(x, p, 2.0, 1.0, 0.1), "S",
         np.array([1.0, 100.0])),
        ("equation4_values", lambda x: attention.equation4_values(x, Z[:3], Z[:3]), "A", L),
        ("approximation_5", lambda x: attention.approximation_5(L, x), "V", Z[:3]),
    ]


@pytest.mark.parametrize("label, call, name, x", _entry_points(), ids=lambda v: v if isinstance(v, str) else "")
def test_complex_input_is_refused_by_name_at_every_theory_entry_point(label, call, name, x):
    call(x)  # the real input is accepted ...
    with pytest.raises(ValidationTypeError, match=rf"{name} must be .*real|{name}.*complex"):
        call(np.asarray(x) + 1e-3j)  # ... and the same input with an imaginary part is refused, naming it


@pytest.mark.parametrize("call", [lambda: gp.information_gain(np.eye(2), 1 + 0j),
                                  lambda: entropy.rate_distortion_entropy(np.eye(2), 0.1j),
                                  lambda: skills.skill_tail_mass(3, 0.5 + 0j),
                                  lambda: skills.skill_law(1j, 10)])
def test_a_complex_scalar_is_refused(call):
    with pytest.raises(ValidationTypeError, match="real number"):
        call()


# ------------------------------------------------------------------------- plug-in outputs (silent)
class _Order(Order):
    name = "returns"

    def __init__(self, value):
        self.value = value

    def learning_order(self, p, rng):
        return self.value(p.size) if callable(self.value) else self.value

    def starts(self, durations):
        return np.concatenate([[0.0], np.cumsum(durations[:-1])])


M = 200


@pytest.mark.parametrize("value, needle", [
    (lambda m: np.arange(m) + 0.5, "permutation"),                  # the 0.5, 1.5, ...
    (lambda m: np.arange(m) * 1.0000001, "permutation"),            # almost integers
    (lambda m: np.r_[np.arange(m - 1), 0], "permutation"),          # a repeat
    (lambda m: np.arange(1, m + 1), "permutation"),                 # 1..M
    (lambda m: np.arange(m)[::-1][: m - 1], "permutation"),         # too short
    (lambda m: np.arange(m) + 0j, "complex"),                       # complex with zero imaginary part
    (lambda m: np.r_[np.nan, np.arange(1, m)], "permutation"),
    (lambda m: [str(i) for i in range(m)], "numbers"),
    (lambda m: "0123", "numbers"),
    (lambda m: None, "numbers"),
])
def test_a_learning_order_that_is_not_a_permutation_of_the_skills_is_refused(value, needle):
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, order=_Order(value))
    with pytest.raises(ValidationError, match=rf"order 'returns': learning_order.*{needle}"):
        dyn.run(a, points=20)


def test_an_exact_float_permutation_is_a_permutation():
    ref = dyn.run(simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M), points=20)
    got = dyn.run(simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, order=_Order(lambda m: np.arange(m) * 1.0)),
                  points=20)
    np.testing.assert_array_equal(got.H_minus_C, ref.H_minus_C)


class _Cost(simulate.Cost):
    name = "returns"

    def __init__(self, value):
        self.value = value

    def expected_flops(self, p, B, C, delta):
        return self.value(p) if callable(self.value) else self.value


@pytest.mark.parametrize("value, needle", [
    (lambda p: (1.0 / p) * 10 + 0j, "complex"),
    (lambda p: (1.0 / p) * 10 + 1j, "complex"),
    (lambda p: np.full(p.shape, np.nan), "finite positive"),
    (lambda p: -1.0 / p, "finite positive"),
    (lambda p: np.zeros(p.shape), "finite positive"),
    (lambda p: np.full(p.shape, np.inf), "finite positive"),
    (lambda p: (1.0 / p)[:-1], "finite positive"),
    (lambda p: [None] * p.size, "numbers"),
    (lambda p: "many", "numbers"),
])
def test_a_cost_returning_bad_flops_is_refused_naming_it(value, needle):
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, cost=_Cost(value))
    with pytest.raises(ValidationError, match=rf"cost 'returns'.*{needle}"):
        dyn.run(a, points=20)


@pytest.mark.parametrize("fn", [lambda p: p ** -0.5 + 0j, lambda p: p ** -0.5 * 1j, lambda p: -p, lambda p: np.nan * p])
def test_a_function_cost_returning_complex_or_bad_flops_is_refused_naming_it(fn):
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, cost=simulate.FunctionCost(fn, name="mine"))
    with pytest.raises(ValidationError, match="cost function 'mine'"):
        dyn.run(a, points=20)


def test_starts_returning_complex_and_a_law_returning_complex_are_refused():
    class Starts(Order):
        name = "cstarts"

        def starts(self, durations):
            return np.zeros(durations.shape, complex)

    class Law:
        name, alpha = "claw", 0.5

        def probabilities(self, M):
            return simulate.PowerLaw(0.5).probabilities(M) + 0j

    with pytest.raises(ValidationError, match="order 'cstarts': starts must return real"):
        dyn.run(simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, order=Starts()), points=20)
    with pytest.raises(ValidationError, match="law 'claw'.*real"):
        dyn.run(simulate.Assumptions(law=Law(), M=M), points=20)
    with pytest.raises(ValidationError, match="law 'claw'.*real"):
        simulate.skill_graph(Law(), M, 1000)


# ------------------------------------------------------------------ plug-ins missing a method (tracebacks)
class _NoLearningOrder:
    name = "half"

    def starts(self, durations):
        return np.zeros_like(durations)


class _NotCallable(_NoLearningOrder):
    learning_order = 3


@pytest.mark.parametrize("kind, plugin, missing", [
    ("order", _NoLearningOrder(), "learning_order"),
    ("order", _NotCallable(), "learning_order"),
    ("order", object(), "learning_order, starts, name"),
    ("cost", type("C", (), {"name": "c"})(), "expected_flops"),
    ("law", type("L", (), {"name": "l"})(), "probabilities"),
])
def test_a_plugin_missing_a_method_is_named_with_every_method_it_lacks(kind, plugin, missing):
    kw = {"law": simulate.PowerLaw(0.5), kind: plugin}
    with pytest.raises(ValidationTypeError, match=rf"{kind} plug-in \w+ must define {missing} "):
        simulate.Assumptions(M=M, **kw)


def test_a_toml_python_plugin_missing_a_method_is_one_line_naming_it(tmp_path, capsys):
    (tmp_path / "p.py").write_text("class P:\n    name = 'nolo'\n    def starts(self, d):\n        return 0 * d\n")
    (tmp_path / "a.toml").write_text('[law]\nname = "power"\nalpha = 0.5\n[order]\npython = "p.py:P"\n')
    assert simulate_main(["--assumptions", str(tmp_path / "a.toml"), "--skills", "1000"] + FAST) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "python plug-in 'p.py:P'" in err[0] and "learning_order" in err[0], err


def test_a_duck_typed_plugin_called_past_make_names_the_missing_method():
    from simulate.laws import call_plugin

    with pytest.raises(ValidationTypeError, match="order plug-in 'half' .*must define a method 'learning_order'"):
        call_plugin(_NoLearningOrder(), "learning_order", np.ones(3), None, kind="order")


@pytest.mark.parametrize("value, needle", [(0.5 + 1j, "real"), ([0.1, 0.2], "one number"), ("x", "numbers")])
def test_a_prediction_hook_returning_garbage_is_named(value, needle):
    from simulate.compare import predicted

    class Hook(simulate.InverseP):
        name = "hook"

        def predicted_exponent(self, alpha, axis, order):
            return value

    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=M, order=_Order(lambda m: np.arange(m)), cost=Hook())
    with pytest.raises(ValidationError, match=f"plug-in 'hook': predicted_exponent.*{needle}"):
        predicted(a, "flops")


# --------------------------------------------------------------------------- the runner hides no bug
def test_a_bug_inside_a_fit_is_not_a_no_fit_row(monkeypatch):
    """A plain ValueError (a bug, not bad input) inside the fit propagates; a ValidationError is the row's reason."""
    import simulate.compare as compare

    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=1000)

    def bug(*args, **kwargs):
        raise ValueError("cannot convert float NaN to integer")

    monkeypatch.setattr(compare, "fit_on_window", bug)
    monkeypatch.setattr(compare, "_fit_axis", bug)
    with pytest.raises(ValueError, match="NaN to integer") as info:
        compare.exponents(a, n_boot=0, points=60)
    assert not isinstance(info.value, ValidationError)

    def refused(*args, **kwargs):
        raise ValidationError("too few points in the window")

    monkeypatch.setattr(compare, "_fit_axis", refused)
    with pytest.raises(ValidationError, match="no axis could be fitted.*too few points in the window"):
        compare.exponents(a, n_boot=0, points=60)


def test_a_bug_inside_a_theory_prediction_is_not_no_prediction(monkeypatch):
    import simulate.compare as compare

    def bug(*args, **kwargs):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(compare.th, "predicted_exponent", bug)
    with pytest.raises(TypeError, match="unsupported operand"):
        compare.predicted(simulate.Assumptions(law=simulate.PowerLaw(0.5), M=1000), "flops")


def test_a_bug_in_the_cli_is_an_internal_error_with_its_traceback(monkeypatch, capsys):
    import simulate.compare as compare

    monkeypatch.setattr(compare, "_fit_axis", lambda *a, **k: (_ for _ in ()).throw(ValueError("a bug")))
    assert simulate_main(["--alpha", "0.5", "--skills", "1000"] + FAST) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error" in err


# ----------------------------------------------------------------- messages name what the user gave
@pytest.mark.parametrize("main, argv, needle", [
    (simulate_main, ["--alpha", "0.5", "--skills", "1000", "--B", "-1e300"], "B must exceed C, got B=-1e+300"),
    (simulate_main, ["--alpha", "0.5", "--skills", "1000", "--C", "-1E+3", "--B", "-2e3"], "B must exceed C"),
    (simulate_main, ["--alpha", "-5e-1"], "argument --alpha: must be a finite number > 0, got '-5e-1'"),
    (simulate_main, ["--alpha", "0.5", "--delta", "-1e-3"], "argument --delta: must be a finite number > 0"),
    (simulate_main, ["--alpha", "0.5", "--B", "-inf"], "argument --B: must be a finite number, got '-inf'"),
    (simulate_main, ["--alpha", "0.5", "--skills", "-1e6"], "argument --skills/-M: must be an integer >= 2"),
    (simulate_main, ["sweep", "--alphas", "0.5", "-1e-1"], "argument --alphas: must be a finite number > 0"),
    (simulate_main, ["graph", "--alpha", "-2e0"], "argument --alpha: must be a finite number > 0"),
    (theory_main, ["--seed", "-1e3"], "argument --seed: must be an integer, got '-1e3'"),
])
def test_a_negative_number_in_e_notation_is_a_value_not_an_option(main, argv, needle, capsys):
    assert main(argv + (FAST if main is simulate_main and argv[0] != "graph" else [])) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle.replace("B must exceed C,", "B must exceed C (Definition 3.4),") in err[0] \
        or needle in err[0], err
    assert "expected one argument" not in err[0]


def _toml(tmp_path, model: str) -> str:
    path = tmp_path / "a.toml"
    path.write_text(f'[law]\nname = "power"\nalpha = 0.5\n[model]\n{model}\n')
    return str(path)


@pytest.mark.parametrize("model, extra, needle", [
    ("M = 50", [], "'{f}': M = 50: the default fit window"),
    ("M = 1000000000000", [], "'{f}': M = 1000000000000 needs"),
    ("M = 1000\ncapacity = 50", [], "'{f}': capacity = 50: the default fit window"),
    ("M = 1000\ncapacity = 50", ["--window", "10", "900"], "(\'{f}\': capacity = 50)"),
    ("M = 100000\ndelta = 1e-7", ["--mode", "stochastic"], "M in '{f}' x (B - C)/delta hit events"),
])
def test_a_toml_value_is_named_by_its_file_and_key_not_as_an_option(tmp_path, capsys, model, extra, needle):
    f = _toml(tmp_path, model)
    assert simulate_main(["--assumptions", f] + FAST + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle.format(f=f) in err[0], err
    assert "--skills" not in err[0] and "--capacity" not in err[0]


def test_the_same_value_given_as_an_option_is_named_as_the_option(tmp_path, capsys):
    f = _toml(tmp_path, "M = 100000")
    assert simulate_main(["--assumptions", f, "--skills", "50"] + FAST) == 2
    assert "--skills 50: the default fit window" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["-", "/dev/stdin"])
def test_assumptions_from_a_pipe_are_read_once(how):
    toml = b'[law]\nname = "power"\nalpha = 0.5\n[model]\nM = 1000\n'
    p = subprocess.run([sys.executable, "-m", "simulate", "--assumptions", how, "--json"] + FAST, input=toml,
                       capture_output=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    assert b'"M": 1000' in p.stdout
    bad = subprocess.run([sys.executable, "-m", "simulate", "--assumptions", how] + FAST, input=b"[law\n",
                         capture_output=True, cwd=ROOT, timeout=120)
    err = bad.stderr.decode().strip().splitlines()
    assert bad.returncode == 2 and len(err) == 1 and "malformed TOML in" in err[0], err
    assert "not found" not in err[0]


@pytest.mark.parametrize("option, needle", [("--order", "order.name must be one of"),
                                            ("--cost", "cost.name must be one of")])
def test_an_empty_order_or_cost_is_refused_not_defaulted(option, needle, capsys):
    assert simulate_main(["--alpha", "0.5", "--skills", "1000", option, ""] + FAST) == 2
    assert needle in capsys.readouterr().err


def test_an_empty_claim_id_is_unknown_not_every_claim(capsys):
    assert theory_main(["--claim", ""]) == 2
    assert "unknown claim id ''" in capsys.readouterr().err


def test_a_missing_assumptions_file_is_still_not_found(tmp_path, capsys):
    assert simulate_main(["--assumptions", str(tmp_path / "none.toml")] + FAST) == 2
    assert "not found" in capsys.readouterr().err


# ---------------------------------------------------------------------------------- sweep grid (runaway)
def test_a_sweep_grid_too_large_for_memory_is_refused_before_work(capsys):
    seeds = [str(i) for i in range(3_000_000)]
    assert simulate_main(["sweep", "--alphas", "0.5", "--skills", "1000", "--seeds", *seeds, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--alphas x --orders x --costs x --seeds grid of 6000000 needs" in err


def test_every_alpha_of_a_sweep_is_checked_before_the_first_run(capsys, monkeypatch):
    import simulate.compare as compare

    monkeypatch.setattr(compare, "exponents", lambda *a, **k: pytest.fail("a run started before the check"))
    assert simulate_main(["sweep", "--alphas", "0.5", "150", "--skills", "10000", "--no-progress"]) == 2
    assert "--alphas 150: alpha=150 with M=10000: p_k = k^-(alpha+1)/Z underflows" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["--alphas", "0.5", "0.5"], "--alphas lists 0.5 twice"),
    (["--alphas", "0.5", "5e-1"], "--alphas lists 0.5 twice"),
    (["--alphas", "0.5", "--seeds", "3", "1", "3"], "--seeds lists 3 twice"),
    (["--alphas", "0.5", "--orders", "parallel", "random", "parallel"], "--orders lists parallel twice"),
    (["--alphas", "0.5", "--costs", "constant", "constant"], "--costs lists constant twice"),
])
def test_a_sweep_value_listed_twice_is_refused(argv, needle, capsys):
    assert simulate_main(["sweep", "--skills", "1000", "--no-progress"] + argv) == 2
    assert needle in capsys.readouterr().err


# ------------------------------------------------------------- found by our own sweep of the theory functions
@pytest.mark.parametrize("call", [gp.linear_kernel, gp.stable_rank, entropy.matrix_entropy, entropy.logdet_spd,
                                  discrete.entropy, distances.token_covariance,
                                  lambda x: gp.information_gain(x, 1.0), lambda x: skills.skill_tail_mass(x, 0.5)])
def test_a_ragged_nested_list_is_a_named_type_error_not_a_numpy_traceback(call):
    with pytest.raises(ValidationTypeError, match="must be numeric array-like"):
        call([[1.0, 0.0], [0.0]])


def test_the_tail_mass_at_a_huge_alpha_is_exact_not_nan():
    """scipy's Hurwitz zeta returns NaN at s ~ 1e308 for q >= 2; the tail then underflows: exactly 1 for n = 0 and
    0 (below the smallest subnormal) for n >= 1, as the limit alpha -> inf says."""
    for M in (None, 10, 10**9):
        for alpha in (1e308, 1e20, 2000.0):
            np.testing.assert_array_equal(skills.skill_tail_mass(np.array([0.0, 1.0, 5.0]), alpha, M), [1.0, 0.0, 0.0])
    assert skills.skill_tail_mass(1, 1000.0) == pytest.approx(2.0**-1001, rel=1e-12)  # just above the underflow


def test_a_js_distance_whose_gamma_a_overflows_names_gamma_not_an_internal_matrix():
    with pytest.raises(ValidationError, match=r"gamma \* max\(\|A\|, \|B\|\)"):
        distances.distance_js(np.full((2, 2), 1e308), np.eye(2), 100.0)
    with pytest.raises(ValidationError, match="overflows"):
        distances.distance_js(np.eye(2), np.eye(2), 1e305)
