"""The layout of empirical/: two sub-packages, one reader, old module paths gone."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import empirical

ROOT = Path(empirical.__file__).parent


#: The flat modules of earlier versions: moved, with no alias left behind.
OLD_PATHS = ("empirical.pythia", "empirical.fitting", "empirical.analysis", "empirical.plots_fit", "empirical.fit_cli",
             "empirical.models", "empirical.metrics", "empirical.texts", "empirical.prompts", "empirical.plots_measure",
             "empirical.measure_cli")


@pytest.mark.parametrize("old", OLD_PATHS)
def test_an_old_module_path_no_longer_imports(old):
    code = f"import {old}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent)
    assert out.returncode == 1 and f"ModuleNotFoundError: No module named '{old}'" in out.stderr, out.stderr


def test_no_import_hook_rewrites_module_paths():
    import empirical.fit  # noqa: F401  (importing the layers installs nothing)
    import empirical.measure  # noqa: F401

    assert not any("Moved" in type(f).__name__ for f in sys.meta_path)


def test_empirical_holds_two_sub_packages_and_one_reader():
    top = {p.name for p in ROOT.iterdir() if p.name != "__pycache__"}
    assert top == {"__init__.py", "__main__.py", "io.py", "data", "fit", "measure", "minipythia"}
    assert not any((ROOT / m.split(".")[1]).with_suffix(".py").exists() for m in OLD_PATHS)


def test_every_csv_read_goes_through_empirical_io():
    for folder in (ROOT, ROOT.parent / "reports"):
        for path in folder.rglob("*.py"):
            if path.name != "io.py":
                assert "read_csv(" not in path.read_text(), path


def test_empirical_and_its_plot_modules_import_neither_reports_nor_pyplot():
    code = ("import sys, empirical.fit, empirical.fit.plots, empirical.fit.cli, empirical.measure, "
            "empirical.measure.plots, empirical.measure.cli, empirical.minipythia; "
            "print([m for m in ('reports', 'matplotlib.pyplot') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
