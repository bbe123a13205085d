"""Section 3 (Theorems 3.7, 3.8) on published data: load Pythia's results, fit the laws, test the exponents.

``pythia`` loads and validates the shipped measurements, ``fitter`` fits
L = E + A·X^-a and L = E + A/N^α + B/D^β, ``analyses`` runs the four analyses
(params, steps, frontier, joint), ``verdicts`` turns fits into verdicts,
``plots`` draws them (functions returning Figures) and ``cli`` is
``python -m empirical fit``. :func:`report_tables` is the report's contract.
"""
from .analyses import report_tables, run_analyses
from .fitter import FitResult, fit_joint_law, fit_power_law
from .pythia import load_params, load_pythia, read_loss_csv, validate_loss_table

__all__ = [
    "report_tables", "run_analyses", "FitResult", "fit_power_law", "fit_joint_law",
    "load_pythia", "load_params", "read_loss_csv", "validate_loss_table",
]
