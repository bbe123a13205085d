"""Sections 3-4 against data: ``fit/`` (scaling laws on published Pythia results), ``measure/`` (the engine),
``minipythia/`` (the CPU-trained model family measured by default).

``empirical.io`` reads every table and checks every checksum of the shipped
data. The flat modules of earlier versions (``empirical.pythia``,
``empirical.metrics``, ...) still import, as the very module objects of their
new homes, with a ``DeprecationWarning`` naming the new path.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: Old module path -> its new home. ``empirical.measure`` kept its name (now a package re-exporting the engine).
MOVED_MODULES = {
    "empirical.pythia": "empirical.fit.pythia",
    "empirical.analysis": "empirical.fit.analyses",
    "empirical.plots_fit": "empirical.fit.plots",
    "empirical.fit_cli": "empirical.fit.cli",
    "empirical.models": "empirical.measure.models",
    "empirical.metrics": "empirical.measure.metrics",
    "empirical.texts": "empirical.measure.texts",
    "empirical.prompts": "empirical.measure.prompts",
    "empirical.plots_measure": "empirical.measure.plots",
    "empirical.measure_cli": "empirical.measure.cli",
}


class _MovedModuleLoader(importlib.abc.Loader):
    """Puts the new module itself under the old name (one object, so state and identity are shared)."""

    def __init__(self, new: str):
        self.new = new

    def create_module(self, spec):
        return None  # a placeholder; exec_module swaps in the real module

    def exec_module(self, module):
        warnings.warn(f"{module.__name__} moved to {self.new}; import it from there", DeprecationWarning,
                      stacklevel=2)
        # The import system returns whatever sys.modules holds under the old name once this returns.
        sys.modules[module.__name__] = importlib.import_module(self.new)


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        new = MOVED_MODULES.get(fullname)
        return None if new is None else importlib.util.spec_from_loader(fullname, _MovedModuleLoader(new))


# First in line, so a stale copy of an old module (an old install, a leftover file) can never shadow the alias.
if not any(type(f).__name__ == "_MovedModuleFinder" for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModuleFinder())
