"""Issue 13 for ``python -m simulate``: nothing silent, nothing clipped, plug-in failures named.

Laws: a command either gives a valid result or exits 2 with one line ``prog: error:`` that names the option
(or the file, or the plug-in) at fault; an exit 0 never carries an all-NaN exponents table; a value beyond
what the model has (a window past M, a capacity or batch above M) is refused, never clipped; a user's
plug-in that raises is reported as ``plug-in '<name>' failed <where>: <Type>: <message>``, while an error in
this package's own code keeps its traceback (it is a bug to report).
"""
from __future__ import annotations

import pytest

import simulate
from infogeo.runner import PluginError
from simulate.__main__ import main
from simulate.agreement import verdict
from simulate.assumptions import REGISTRY, Assumptions, Order, Sequential, load_toml, register
from simulate.laws import PowerLaw

FAST = ["--n-boot", "0", "--points", "100", "--no-progress"]


def _one_line_error(argv, capsys, *needles):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, (rc, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and ": error: " in err, err
    for n in needles:
        assert n in err, (n, err)
    return err


@pytest.mark.parametrize("argv, needles", [
    # the silent cases: exit 0 with all-NaN exponents and a note blaming "max function evaluations"
    (["--alpha", "0.5", "--skills", "2"], ["--skills 2", "default fit window", "--skills >= 60", "--window"]),
    (["--alpha", "0.5", "--skills", "10"], ["--skills 10", "holds 2 skill counts"]),
    (["--alpha", "1e-9", "--skills", "10000"], ["no axis could be fitted", "alpha=1e-09", "logarithmic"]),
    # a window beyond M was clamped while the footer printed the unclamped one
    (["--alpha", "0.5", "--skills", "10000", "--window", "100", "100000"], ["--window N_HI=100000", "--skills 10000"]),
    (["--alpha", "0.5", "--skills", "1000", "--capacity", "500", "--window", "10", "800"], ["--capacity 500"]),
    (["--alpha", "0.5", "--skills", "1000", "--window", "50", "50"], ["--window", "N_LO < N_HI"]),
    (["--alpha", "0.5", "--skills", "1000", "--window", "50", "10"], ["--window", "N_LO < N_HI"]),
    (["--alpha", "0.5", "--skills", "1000", "--window", "3", "5"], ["--window 3 5", "holds 3 skill counts"]),
    (["--alpha", "0.5", "--skills", "1000", "--window", "0", "50"], ["--window", ">= 1"]),
    (["--alpha", "0.5", "--skills", "1000", "--order", "k_at_a_time", "--k", "5000"], ["--k 5000", "--skills 1000"]),
    (["--alpha", "0.5", "--skills", "1000", "--capacity", "2000"], ["--capacity 2000", "--skills 1000"]),
    (["--alpha", "nan"], ["--alpha", "'nan'"]),
    (["--alpha", "inf"], ["--alpha", "'inf'"]),
    (["--alpha", "0.5", "--B", "inf"], ["--B", "'inf'"]),
    (["--alpha", "0.5", "--C", "nan"], ["--C", "'nan'"]),
    (["--alpha", "0.5", "--delta", "-0.1"], ["--delta", "> 0"]),
    (["--alpha", "0.5", "--delta-noise", "nan"], ["--delta-noise"]),
    (["--alpha", "0.5", "--r", "0"], ["--r", "> 0"]),
    (["--alpha", "0.5", "--seed", "-1"], ["--seed", ">= 0"]),
    (["--alpha", "0.5", "--replicates", "0", "--mode", "stochastic"], ["--replicates", ">= 2"]),
    (["--alpha", "0.5", "--n-boot", "-5"], ["--n-boot", ">= 0"]),
    (["--alpha", "0.5", "--points", "2.5"], ["--points", "integer"]),
    (["--alpha", "0.5", "--skills", "1.5e3"], ["--skills"]),  # 1500: an integer, accepted ... see below
])
def test_bad_or_empty_inputs_are_one_line_errors_naming_the_option(argv, needles, capsys):
    if argv[-1] == "1.5e3":  # 1.5e3 is the integer 1500: it must run, not be refused
        assert main(argv + FAST) == 0
        return
    _one_line_error(argv + FAST, capsys, *needles)


def test_sweep_and_graph_name_their_options(capsys):
    _one_line_error(["sweep", "--alphas", "0.5", "nan", "--no-progress"], capsys, "--alphas")
    _one_line_error(["sweep", "--alphas", "0.5", "--skills", "10", "--no-progress"], capsys, "--skills 10")
    _one_line_error(["sweep", "--alphas", "0.5", "--orders", "k_at_a_time", "--k", "1000000", "--no-progress"],
                    capsys, "--k")
    _one_line_error(["graph", "--alpha", "0.5", "--texts", "0"], capsys, "--texts")
    _one_line_error(["graph", "--alpha", "-0.5"], capsys, "--alpha")


def test_the_library_refuses_what_it_used_to_clip_or_accept():
    with pytest.raises(ValueError, match="capacity must be <= M=1000"):
        Assumptions(law=PowerLaw(0.5), M=1000, capacity=2000)  # was clipped to 1000
    with pytest.raises(ValueError, match="k=5000 exceeds M=1000"):
        Assumptions(law=PowerLaw(0.5), M=1000, order={"name": "k_at_a_time", "k": 5000})
    a = Assumptions(law=PowerLaw(0.5), M=10_000)
    with pytest.raises(ValueError, match="window n_hi=100000 exceeds the 10000 skills"):
        simulate.exponents(a, window=(100, 100_000), n_boot=0, points=100)
    with pytest.raises(ValueError, match="default fit window 1..2 skills"):
        simulate.exponents(Assumptions(law=PowerLaw(0.5), M=20), n_boot=0)
    for tol in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="tolerance"):
            verdict(0.2, 0.2, float("nan"), tol)  # -1 was accepted: every row then "disagreed"
        with pytest.raises(ValueError, match="tolerance"):
            simulate.exponents(a, tolerance=tol, n_boot=0, points=100)


def test_a_valid_small_window_still_fits():
    """The refusals above do not take away a small valid case: 6 skill counts are enough."""
    a = Assumptions(law=PowerLaw(0.5), M=60)
    df = simulate.exponents(a, n_boot=0, points=200)
    assert df["fitted"].notna().any()


# ------------------------------------------------------------------------------------------------ plug-ins
class _Explodes(Order):
    name = "explodes"

    def __init__(self, when="run"):
        if when == "init":
            raise RuntimeError("bad config")

    def starts(self, durations):
        return durations * (1 / 0)  # a user's bug at run time


@pytest.fixture
def user_order():
    register("order", "explodes", _Explodes)
    yield
    REGISTRY["order"].pop("explodes", None)


def test_a_registered_plugin_that_raises_is_named_with_where(user_order, capsys):
    with pytest.raises(PluginError) as info:
        Assumptions(law=PowerLaw(0.5), M=100, order={"name": "explodes", "when": "init"})
    assert info.value.plugin == "explodes" and info.value.where == "in its constructor"
    assert isinstance(info.value.error, RuntimeError)
    a = Assumptions(law=PowerLaw(0.5), M=100, order="explodes")
    with pytest.raises(PluginError, match=r"plug-in 'explodes' failed while running \(order.starts\): "
                                          r"ZeroDivisionError"):
        simulate.run(a)
    _one_line_error(["--alpha", "0.5", "--skills", "1000", "--order", "explodes"] + FAST, capsys,
                    "plug-in 'explodes' failed while running", "ZeroDivisionError")


def _toml(tmp_path, section, body):
    (tmp_path / "plug.py").write_text(body)
    f = tmp_path / "a.toml"
    f.write_text(f"[law]\nname = 'power'\nalpha = 0.5\n[{section}]\npython = 'plug.py:Plug'\n[model]\nM = 1000\n")
    return f


_CONSTRUCTOR_RAISES = "class Plug:\n    name = 'mycost'\n    def __init__(self):\n        raise KeyError('x')\n"
_RUN_RAISES = ("class Plug:\n    name = 'mycost'\n    def expected_flops(self, p, B, C, delta):\n"
               "        return {}['missing']\n")


@pytest.mark.parametrize("body, needles", [
    (_CONSTRUCTOR_RAISES, ["plug-in 'plug.py:Plug' failed in its constructor", "KeyError"]),
    (_RUN_RAISES, ["plug-in 'mycost' failed while running (cost.expected_flops)", "KeyError"]),
    ("class Plug(:\n", ["plug.py", "SyntaxError"]),
    ("class Other:\n    pass\n", ["plug.py", "no attribute 'Plug'"]),
    ("raise SystemExit(3)\n", ["plug.py", "SystemExit"]),  # a file that exits must not end the command silently
    ("Plug = 3\n", ["plug-in 'plug.py:Plug' failed in its constructor", "not callable"]),
    ("class Plug:\n    name = 'c'\n", ["[cost] python plug-in", "expected_flops"]),
])
def test_toml_python_plugins_that_fail_are_named(tmp_path, body, needles, capsys):
    f = _toml(tmp_path, "cost", body)
    _one_line_error(["--assumptions", str(f)] + FAST, capsys, *needles)


def test_a_missing_plugin_file_is_named(tmp_path, capsys):
    f = tmp_path / "a.toml"
    f.write_text("[law]\nname = 'power'\nalpha = 0.5\n[order]\npython = 'nowhere.py:X'\n")
    _one_line_error(["--assumptions", str(f)] + FAST, capsys, "nowhere.py", "not found")


def test_a_user_cost_function_that_raises_is_named():
    a = Assumptions(law=PowerLaw(0.5), M=100, cost=simulate.FunctionCost(lambda p: {}["k"], name="lookup"))
    with pytest.raises(PluginError, match="plug-in 'lookup' failed while running .*KeyError"):
        simulate.run(a)


def test_a_bug_in_a_builtin_keeps_its_traceback(monkeypatch, capsys):
    def broken(self, durations):
        raise ZeroDivisionError("a library bug")

    monkeypatch.setattr(Sequential, "starts", broken)
    rc = main(["--alpha", "0.5", "--skills", "1000"] + FAST)
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" in err and "internal error" in err


def test_load_toml_names_the_file_for_plugin_errors(tmp_path):
    f = _toml(tmp_path, "cost", _CONSTRUCTOR_RAISES)
    with pytest.raises(PluginError, match="plug.py:Plug"):
        load_toml(f)
