"""Section 3 (Theorems 3.7, 3.8) on published data: load Pythia's results, fit the laws, test the exponents.

``pythia`` loads and validates the shipped measurements; ``laws`` is the
public fitter (:func:`fit_power_law`, L = E + A·X^-a, and :func:`fit_joint_law`,
L = E + A/N^α + B/D^β, each returning a :class:`FitResult`), built on
``solver`` (least squares, convergence) and ``intervals`` (calibrated
intervals, bootstrap); ``methods`` names the interval method each analysis
uses, chosen by the ``coverage`` study; ``analyses`` runs the analyses
(params, steps, frontier, joint), ``verdicts`` turns fits into verdicts,
``plots`` draws them (functions returning Figures) and ``cli`` is
``python -m empirical fit``. :func:`report_tables` is the report's contract.
"""
from .analyses import report_tables, run_analyses
from .laws import FitResult, fit_joint_law, fit_power_law, usable
from .pythia import load_params, load_pythia, read_loss_csv, validate_loss_table

__all__ = [
    "report_tables", "run_analyses", "FitResult", "fit_power_law", "fit_joint_law", "usable",
    "load_pythia", "load_params", "read_loss_csv", "validate_loss_table",
]
