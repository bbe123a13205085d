"""python -m simulate: JSON output, sweep CSV, graph, and clean errors."""
import json
import pathlib

import pandas as pd
import pytest

import simulate
from simulate.__main__ import main

EXAMPLES = pathlib.Path(simulate.__file__).parent / "examples"


def test_json_output_has_exponents_predictions_and_assumptions(capsys):
    rc = main(["--alpha", "0.5", "--skills", "50000", "--order", "parallel", "--n-boot", "10", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    axes = {r["axis"]: r for r in out["exponents"]}
    assert {"flops", "skills", "params", "frontier"} == set(axes)
    assert axes["flops"]["predicted"] == pytest.approx(0.5 / 1.5)
    assert out["assumptions"]["order"]["name"] == "parallel"
    assert tuple(out["estimator"]["window_skills"]) == simulate.default_window(50000)
    assert all(k in axes["flops"] for k in ("ci_low", "ci_high", "fit_window_lo", "fit_window_hi"))


def test_assumptions_file_and_overrides(capsys):
    rc = main(["--assumptions", str(EXAMPLES / "sqrt_cost.toml"), "--skills", "50000", "--n-boot", "0", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["assumptions"]["cost"]["name"] == "sqrt_p" and out["assumptions"]["M"] == 50000
    assert out["exponents"][0]["prediction_source"] == "user"


def test_sweep_writes_tidy_csv(tmp_path, capsys):
    f = tmp_path / "s.csv"
    rc = main(["sweep", "--alphas", "0.5", "1.0", "--orders", "sequential", "k_at_a_time", "--seeds", "0", "1",
               "--skills", "5000", "--n-boot", "0", "--out", str(f), "--no-progress"])
    assert rc == 0
    df = pd.read_csv(f)
    assert list(df.columns) == simulate.EXPONENT_COLUMNS
    assert len(df) == 2 * 2 * 2 * 3  # alphas x orders x seeds x axes


def test_graph_subcommand(capsys):
    rc = main(["graph", "--alpha", "0.5", "--skills", "20000", "--edges", "300000", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["alpha_true"] == 0.5
    assert out["ci_low"] < out["alpha_hat"] < out["ci_high"]
    assert out["within_ci"] == (out["ci_low"] <= 0.5 <= out["ci_high"])


@pytest.mark.parametrize("argv, field", [
    (["--alpha", "0", "--skills", "100"], "alpha"),
    (["--alpha", "-1"], "alpha"),
    (["--alpha", "0.5", "--skills", "1"], "M"),
    (["--alpha", "0.5", "--skills", "100", "--order", "backwards"], "order"),
    (["--alpha", "0.5", "--skills", "100", "--mode", "exact"], "mode"),
    (["--skills", "100"], "alpha"),
    (["sweep", "--alphas", "0.5", "--orders", "nope", "--skills", "100", "--no-progress"], "order"),
    (["graph", "--alpha", "0.5", "--edges", "0"], "--edges"),
])
def test_bad_input_exits_2_with_named_field(argv, field, capsys):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2 and field in err and "Traceback" not in err


def test_malformed_toml_exits_2(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text("[law\n")
    assert main(["--assumptions", str(f)]) == 2
    assert "malformed TOML" in capsys.readouterr().err


def test_frequencies_that_do_not_sum_to_one_exit_2(tmp_path, capsys):
    f = tmp_path / "emp.toml"
    f.write_text("[law]\nname = 'empirical'\nprobabilities = [0.5, 0.3, 0.1]\n")
    assert main(["--assumptions", str(f)]) == 2
    err = capsys.readouterr().err
    assert "probabilities" in err and "sum to 1" in err
    f.write_text("[law]\nname = 'empirical'\nprobabilities = [0.5, 0.3, 0.2]\n[model]\nM = 3\n")
    # too few skills for any fit: refused with the window's size, not an all-NaN table (issue 13)
    assert main(["--assumptions", str(f), "--window", "1", "3", "--n-boot", "0"]) == 2
    assert "--window 1 3 holds 3 skill counts" in capsys.readouterr().err


def test_bad_bootstrap_and_grid_sizes_exit_2(capsys):
    from simulate.__main__ import main

    assert main(["--alpha", "0.5", "--skills", "1000", "--n-boot", "-1"]) == 2
    assert "--n-boot" in capsys.readouterr().err
    assert main(["--alpha", "0.5", "--skills", "1000", "--points", "1"]) == 2
    assert "--points" in capsys.readouterr().err


def test_importing_simulate_or_theory_loads_no_heavy_library():
    """`import simulate` and `import theory` load their modules on first use (issue 23: `python -m simulate` paid
    2 s of imports it did not need): neither scipy, pandas, sympy nor matplotlib comes with the package itself, and
    every public name still resolves."""
    import subprocess
    import sys

    code = ("import sys, simulate, theory; heavy = {'scipy', 'pandas', 'sympy', 'matplotlib', 'torch'}; "
            "print(sorted(heavy & set(sys.modules))); "
            "[getattr(simulate, n) for n in simulate.__all__]; [getattr(theory, n) for n in theory.__all__]")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.stdout.strip() == "[]", out.stdout


def test_a_single_expected_run_loads_neither_scipy_nor_tqdm():
    """`python -m simulate --alpha 0.3 --skills 1000000 --order parallel --json` (issue 23: at most 1.5 s with its
    imports) needs neither: its fits use the suite's own Levenberg-Marquardt (scipy.optimize and the scipy.special
    it pulls in cost ~0.6 s to import), theory's Hurwitz zeta is imported where it is called, and an expected run
    shows no progress bar."""
    import subprocess
    import sys

    code = ("import sys; from simulate.__main__ import main; "
            "rc = main(['--alpha', '0.3', '--skills', '20000', '--order', 'parallel', '--json']); "
            "print(rc, sorted(m for m in ('scipy', 'tqdm') if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.stderr.strip().splitlines()[-1] == "0 []", out.stderr
