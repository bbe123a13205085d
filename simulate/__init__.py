"""Section 3 of Tan, Li, Huang (2024): skill-graph learning with synthetic power-law skills.

Runs the paper's skill model at scale (event-driven, M = 10^6 skills in well
under a second), lets every assumption be swapped for a plug-in, fits the
exponents of H(X|Y) - C against flops, skills and parameters with honest
intervals, and compares them with the predictions of :mod:`theory.skills`.

Quick start::

    import simulate
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=10**6, order="sequential")
    simulate.exponents(a)                 # tidy table: fitted vs predicted exponents
    simulate.agreement_summary(df)        # which rows are evidence about the dynamics, and do they agree
    traj = simulate.run(a)                # H(X|Y) against S, n and N
    simulate.report_tables(seed=0)        # every table the report draws

See docs/simulate.md for the CLI (``python -m simulate``), the estimator and
how to add an assumption.
"""
import importlib

#: public name -> the submodule that defines it; imported on first use, so ``import simulate`` loads neither scipy
#: nor pandas (``python -m simulate`` pays only for what its command runs).
_HOMES = {
    "agreement": ("REFERENCE_TOLERANCE", "agreement_summary"),
    "assumptions": ("REGISTRY", "Assumptions", "ConstantCost", "Cost", "FunctionCost", "InverseP", "KAtATime", "Order",
                    "Parallel", "RandomOrder", "Sequential", "from_dict", "load_toml", "make", "register"),
    "compare": ("EXPONENT_COLUMNS", "TOLERANCE", "TRAJECTORY_COLUMNS", "exponents", "predicted", "report_tables",
                "simulate_loss_curve", "sweep", "trajectory_table"),
    "dynamics": ("Frontier", "Trajectory", "frontier", "run"),
    "fitting": ("ExponentFit", "default_window", "fit_exponent", "replicate_interval"),
    "graph": ("AlphaFit", "SkillGraph", "alpha_from_degree_exponent", "degree_exponent_from_alpha", "fit_alpha",
              "skill_graph"),
    "laws": ("BrokenPowerLaw", "EmpiricalLaw", "ExponentialLaw", "PowerLaw", "SkillLaw"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Assumptions", "REGISTRY", "register", "make", "load_toml", "from_dict",
    "Order", "Sequential", "Parallel", "RandomOrder", "KAtATime",
    "Cost", "InverseP", "ConstantCost", "FunctionCost",
    "SkillLaw", "PowerLaw", "BrokenPowerLaw", "ExponentialLaw", "EmpiricalLaw",
    "run", "Trajectory", "frontier", "Frontier",
    "fit_exponent", "ExponentFit", "default_window", "replicate_interval",
    "skill_graph", "SkillGraph", "fit_alpha", "AlphaFit", "alpha_from_degree_exponent", "degree_exponent_from_alpha",
    "exponents", "predicted", "sweep", "report_tables", "simulate_loss_curve", "trajectory_table",
    "EXPONENT_COLUMNS", "TRAJECTORY_COLUMNS", "TOLERANCE", "REFERENCE_TOLERANCE", "agreement_summary",
]
