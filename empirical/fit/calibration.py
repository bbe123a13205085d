"""Section 3 (Theorems 3.7, 3.8): the fitting pipeline run on a family whose truth is known, side by side with it.

:func:`calibrate` runs :func:`empirical.fit.run_analyses` *unchanged* (the
same selection, fitter, windows, interval methods and verdict rules as on
Pythia) on any loss table and lays every conclusion beside the truth:

- ``alpha_N`` (params fit, each parameter count): the estimate and its interval
  against the α the data were generated with; ``covers`` says whether the
  interval holds it.
- ``E`` (params fit): the fitted floor against the exact loss floor C.
- every steps and frontier verdict row: the pipeline's exponent, its
  prediction (from its own fitted α) and verdict, against the exponent measured
  on the same points with the floor known (``truth["exponents"]``) and the
  prediction from the true α; ``true_verdict`` is ``consistent`` when that
  prediction lies in the truth's interval, else ``inconsistent``, and
  ``agrees`` compares the two verdicts (``no call`` when the pipeline made no
  decided call: neither an accepting verdict nor ``inconsistent``). The
  pipeline's ``all sizes`` summary row is set against the median over sizes of
  the truth's estimate and interval ends.

The caller (the report's skill-language section) supplies the loss table and
the truth from :mod:`simulate.skilllang`; nothing here knows where they came from.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError, ValidationTypeError
from theory.skills import predicted_exponent

from .analyses import FRONTIER_HYPOTHESES, STEPS_HYPOTHESES, run_analyses
from .verdicts import ACCEPT

__all__ = ["calibrate", "CALIBRATION_COLUMNS", "TRUTH_EXPONENT_COLUMNS", "PARAMS_HYPOTHESIS"]

CALIBRATION_COLUMNS = ["quantity", "subject", "hypothesis", "alpha_source", "pipeline_estimate", "pipeline_ci_low",
                       "pipeline_ci_high", "pipeline_predicted", "pipeline_verdict", "truth", "truth_ci_low",
                       "truth_ci_high", "true_predicted", "true_verdict", "covers", "agrees", "truth_kind"]
TRUTH_EXPONENT_COLUMNS = ("test", "subject", "estimate", "ci_low", "ci_high")
#: The ``hypothesis`` of the alpha_N and E rows: the params fit's law (its verdict is the params_power_law test's).
PARAMS_HYPOTHESIS = "L = E + A·N^-a"
#: Each hypothesis label of the pipeline's verdicts -> (axis, learning order) of theory's predicted exponent.
_AXIS = {**{label: (axis, order) for label, axis, order in FRONTIER_HYPOTHESES},
         **{label: ("flops", order) for order, label in STEPS_HYPOTHESES.items()}}


def _check_truth(truth) -> tuple[float, float, pd.DataFrame]:
    if not isinstance(truth, dict):
        raise ValidationTypeError(f"truth must be a dict with keys alpha, E, exponents; got {type(truth).__name__}")
    missing = {"alpha", "E", "exponents"} - set(truth)
    if missing:
        raise ValidationError(f"truth is missing {sorted(missing)}")
    ex = truth["exponents"]
    if not isinstance(ex, pd.DataFrame) or not set(TRUTH_EXPONENT_COLUMNS) <= set(ex.columns):
        raise ValidationError(f"truth['exponents'] must be a DataFrame with columns {list(TRUTH_EXPONENT_COLUMNS)}")
    alpha = float(truth["alpha"])
    if not alpha > 0:
        raise ValidationError(f"truth['alpha'] must be > 0, got {alpha}")
    return alpha, float(truth["E"]), ex


def _params_rows(tabs, alpha, E):
    f = tabs["fits"]
    v = tabs["verdicts"]
    rows = []
    for r in f[(f["analysis"] == "params") & f["is_default"]].itertuples():
        if r.param not in ("a", "E"):
            continue
        true = alpha if r.param == "a" else E
        verdict = v[(v["test"] == "params_power_law") & (v["subject"] == r.subject)]["verdict"]
        rows.append({"quantity": "alpha_N" if r.param == "a" else "E", "subject": r.subject,
                     "hypothesis": PARAMS_HYPOTHESIS,
                     "alpha_source": r.subject, "pipeline_estimate": r.estimate, "pipeline_ci_low": r.ci_low,
                     "pipeline_ci_high": r.ci_high, "pipeline_predicted": np.nan,
                     "pipeline_verdict": verdict.iloc[0] if len(verdict) else "", "truth": true,
                     "truth_ci_low": np.nan, "truth_ci_high": np.nan, "true_predicted": np.nan, "true_verdict": "",
                     "covers": bool(r.ci_low <= true <= r.ci_high), "agrees": "",
                     "truth_kind": "set by the language" if r.param == "a" else "exact loss floor C"})
    return rows


def _exponent_rows(tabs, alpha, ex):
    v = tabs["verdicts"]
    rows = []
    for r in v[v["test"].isin(["steps_exponent", "frontier_exponent"])].itertuples():
        t = ex[(ex["test"] == r.test) & (ex["subject"] == r.subject)]
        if not len(t) and r.subject == "all sizes":  # the pipeline's summary row: the median over sizes
            t = ex[ex["test"] == r.test][["estimate", "ci_low", "ci_high"]].median().to_frame().T
        axis, order = _AXIS.get(r.hypothesis, (None, None))
        pred = predicted_exponent(alpha, axis, order=order) if axis else np.nan
        if len(t):
            lo, hi, est = float(t["ci_low"].iloc[0]), float(t["ci_high"].iloc[0]), float(t["estimate"].iloc[0])
            tv = "consistent" if lo <= pred <= hi else "inconsistent"
        else:
            lo = hi = est = np.nan
            tv = "no truth"
        decided = r.verdict in ACCEPT or r.verdict == "inconsistent"
        agrees = "no call" if not decided or tv == "no truth" else \
            ("yes" if (r.verdict in ACCEPT) == (tv == "consistent") else "no")
        rows.append({"quantity": r.test.replace("_exponent", ""), "subject": r.subject, "hypothesis": r.hypothesis,
                     "alpha_source": r.alpha_source, "pipeline_estimate": r.estimate, "pipeline_ci_low": r.ci_low,
                     "pipeline_ci_high": r.ci_high, "pipeline_predicted": r.predicted, "pipeline_verdict": r.verdict,
                     "truth": est, "truth_ci_low": lo, "truth_ci_high": hi, "true_predicted": pred,
                     "true_verdict": tv, "covers": bool(r.ci_low <= est <= r.ci_high) if np.isfinite(est) else False,
                     "agrees": agrees, "truth_kind": "exponent of (loss − C) on the same points, C known"})
    return rows


def calibrate(loss_table: pd.DataFrame, truth: dict, *, loss_column: str = "heldout_loss_nats", seed: int = 0,
              n_boot: int = 200, progress: bool = False) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """(calibration table, the pipeline's own tables) for ``loss_table`` against ``truth``.

    ``truth``: ``{"alpha": α the data were made with, "E": the exact loss floor, "exponents": DataFrame with
    columns test ("steps_exponent" / "frontier_exponent"), subject (as the pipeline names it: the model for
    steps, the parameter count for the frontier), estimate, ci_low, ci_high}``. ``n_boot``: the pipeline's
    bootstrap refits per default-window fit (windows get half). Columns: :data:`CALIBRATION_COLUMNS`.
    """
    if not isinstance(loss_table, pd.DataFrame):
        raise ValidationTypeError(f"loss_table must be a pandas DataFrame, got {type(loss_table).__name__}")
    alpha, E, ex = _check_truth(truth)
    tabs = run_analyses(loss_table, loss_column=loss_column, seed=seed, n_boot=n_boot, progress=progress)
    rows = _params_rows(tabs, alpha, E) + _exponent_rows(tabs, alpha, ex)
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS), tabs
