"""theory: every claim of Tan, Li, Huang (2024) encoded as printed and checked; the one home of each formula.

Public numeric functions (float64, validated):

- :mod:`theory.entropy`   Definition 3.1, Equation (1), matrix entropy of [25]
- :mod:`theory.skills`    skill law, Lemma 3.6, Theorems 3.7/3.8, predicted exponents
- :mod:`theory.gp`        Section 4.1: information gain, posterior variance, ridge, stable rank
- :mod:`theory.attention` Section 4.2: equations (4) and (5), values from causal attention outputs
- :mod:`theory.distances` Section 4.3 / Appendix A: Logdet, JS, Riemannian, log-Euclidean
- :mod:`theory.discrete`  Section 2.1: entropy, conditional entropy, KL

The claim catalogue lives in :mod:`theory.catalogue`; run it with ``python -m theory``.
For the report: :func:`report_tables` (:mod:`theory.tables`) and the figure functions of
:mod:`theory.plots`.
"""
import importlib

__all__ = ["attention", "discrete", "distances", "entropy", "gp", "skills", "report_tables"]
_SUBMODULES = {"attention", "discrete", "distances", "entropy", "gp", "skills"}


def __getattr__(name: str):
    """Import a formula module (or :func:`report_tables`) on first use: ``import theory`` stays cheap (scipy.linalg,
    sympy and pandas load only with the module that needs them)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "report_tables":
        from .tables import report_tables

        return report_tables
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
