"""The layout of empirical/: two sub-packages, one reader, one memory budget, old module paths kept as aliases."""
from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import empirical

ROOT = Path(empirical.__file__).parent


@pytest.mark.parametrize("old, new", sorted(empirical.MOVED_MODULES.items()))
def test_an_old_module_path_imports_the_new_module_itself_with_a_deprecation_warning(old, new, monkeypatch):
    parent, _, child = old.rpartition(".")
    monkeypatch.delitem(sys.modules, old, raising=False)
    monkeypatch.delattr(sys.modules[parent], child, raising=False)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new and module.__spec__.name == new  # the real module is left untouched


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the warning itself is the test above
def test_old_public_names_still_import():
    from empirical.fit import pythia as new_pythia
    from empirical.measure import MARKER, run_measurements  # the engine's names, from the package as before
    from empirical.measure.metrics import info_gain_curve as new_gain
    from empirical.metrics import info_gain_curve
    from empirical.pythia import load_pythia

    assert load_pythia is new_pythia.load_pythia and info_gain_curve is new_gain
    assert callable(run_measurements) and MARKER == "_done.json"


def test_empirical_holds_two_sub_packages_and_one_reader():
    top = {p.name for p in ROOT.iterdir() if p.name != "__pycache__"}
    assert top == {"__init__.py", "__main__.py", "io.py", "data", "fit", "measure", "minipythia"}
    assert not any((ROOT / m.split(".")[1]).with_suffix(".py").exists() for m in empirical.MOVED_MODULES)


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
