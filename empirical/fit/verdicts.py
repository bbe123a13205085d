"""Section 3 (Theorems 3.7, 3.8): from fitted exponents to verdicts against the theory's predictions.

A verdict is ``consistent``, ``inconsistent``, ``inconclusive`` or
``fragile``; the rules are stated in docs/statistics.md ("Verdict rules") and
implemented here: a fit that :func:`empirical.fit.laws.usable` refuses is
``inconclusive`` with the reason; ``consistent`` needs an informative interval
(narrower than the gap between the competing predictions; for
``params_power_law`` hi/lo ≤ 3); a prediction from an α whose own verdict is
not ``consistent`` is ``inconclusive``; a verdict that flips between
``consistent`` and ``inconsistent`` across windows is ``fragile``. The
predictions come from :func:`theory.skills.predicted_exponent`, with the
interval of α propagated by pairing draws of α with draws of the tested
exponent (``fit.boot``: draws that carry the calibrated interval). Every
verdict row is built by :func:`verdict_row`, and its window-sensitivity twin by
:func:`window_row`.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd

from theory.skills import predicted_exponent

from .laws import FitResult, usable
from .methods import ANALYSIS_METHODS

__all__ = [
    "VERDICTS", "VERDICT_COLUMNS", "WINDOW_COLUMNS", "PARAMS_MAX_RATIO", "seed_for", "pair_rng", "fit_problem",
    "approximate_note", "compare",
    "params_verdict", "verdict_row", "window_row", "with_window_agreement", "with_summaries", "headline",
]

VERDICTS = ("consistent", "inconsistent", "inconclusive", "fragile")
#: Columns of the verdicts table, in order (``window_agreement`` and ``n_windows`` are added last).
#: ``usable``: the fit passed :func:`empirical.fit.laws.usable`; ``interval_kind``: how the fit's interval
#: was computed; ``approximate``: the analysis's interval method is flagged approximate by the coverage study.
VERDICT_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "estimate", "ci_low", "ci_high",
                   "predicted", "pred_low", "pred_high", "diff", "diff_low", "diff_high", "verdict", "reason",
                   "usable", "interval_kind", "approximate")
#: Columns of the window-sensitivity table, in order.
WINDOW_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "window", "is_default", "n_points",
                  "estimate", "ci_low", "ci_high", "predicted", "verdict", "usable")
#: Largest hi/lo of α's interval for a ``consistent`` params_power_law verdict (informative interval).
PARAMS_MAX_RATIO = 3.0
_NO_PREDICTION = {"predicted": np.nan, "pred_low": np.nan, "pred_high": np.nan, "diff": np.nan, "diff_low": np.nan,
                  "diff_high": np.nan}


def seed_for(seed: int, key: str) -> int:
    """A per-fit seed that depends on the key, not on the order the fits run in."""
    return int(np.random.SeedSequence([int(seed), zlib.crc32(key.encode())]).generate_state(1)[0])


def pair_rng(seed: int, key: str, hypothesis: str, alpha_source: str) -> np.random.Generator:
    """The generator that pairs bootstrap draws for one comparison.

    One per comparison, keyed like the fits, so a verdict's interval does not
    depend on which other comparisons ran before it (e.g. the window refits).
    """
    return np.random.default_rng(seed_for(seed, f"{key}|{hypothesis}|{alpha_source}"))


def _ci(v: np.ndarray, conf: float = 0.95) -> tuple[float, float]:
    if v.size < 10:
        return (np.nan, np.nan)
    q = (1 - conf) / 2
    return float(np.quantile(v, q)), float(np.quantile(v, 1 - q))


def _paired(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair two sets of independent bootstrap draws (equal length, random pairing)."""
    m = min(a.size, b.size)
    if m == 0:
        return a[:0], b[:0]
    return rng.permutation(a)[:m], rng.permutation(b)[:m]


def fit_problem(fit: FitResult, exponent: str) -> str:
    """Empty string if the fit can carry a verdict (:func:`empirical.fit.laws.usable`), else the reason."""
    if fit.diagnostics["n_boot"] == 0:
        return "no bootstrap refits were requested (n_boot = 0 for this fit); a verdict needs bootstrap refits"
    ok, why = usable(fit, exponent)
    return "" if ok else f"fit not usable: {why}"


def approximate_note(kind: str) -> str:
    """The note a verdict of analysis ``kind`` carries when its interval method is flagged approximate."""
    m = ANALYSIS_METHODS[kind]
    return f"approximate: {m['calibration']}" if m["approximate"] else ""


def _decide(d_lo: float, d_hi: float, gap: float) -> tuple[str, str]:
    """The width rule: inconsistent if the interval excludes 0; consistent only if it also is narrower than gap."""
    ci = f"95% CI of the difference [{d_lo:+.3f}, {d_hi:+.3f}]"
    if d_lo > 0 or d_hi < 0:
        side = "above" if d_lo > 0 else "below"
        return "inconsistent", f"fitted exponent {side} the prediction: {ci} excludes 0"
    if not d_hi - d_lo < gap:
        return "inconclusive", (f"inconclusive (uninformative interval): {ci} contains 0 but its width "
                                f"{d_hi - d_lo:.3f} is not below the gap {gap:.3f} between the competing predictions")
    return "consistent", f"{ci} contains 0 and is narrower than the gap {gap:.3f} to the competing prediction"


def compare(est: float, draws: np.ndarray, alpha_draws: np.ndarray, axis: str, order: str,
            alpha_hat: float, rng: np.random.Generator, gap: float, fit_reason: str,
            alpha_verdict: str = "consistent", note: str = "") -> dict:
    """Verdict for 'exponent = predicted_exponent(alpha, axis, order)' with paired draws.

    Returns ``predicted, pred_low, pred_high, diff, diff_low, diff_high,
    verdict, reason``. Rules (docs/statistics.md): inconclusive when the fit
    cannot carry a verdict (``fit_reason``) or α's own verdict
    (``alpha_verdict``) is not consistent; inconsistent when the 95% interval
    of the difference excludes 0; consistent when it contains 0 and is
    narrower than ``gap`` (the distance between the competing predictions),
    else inconclusive (uninformative interval). ``note`` (the approximate
    flag) is appended to the reason.
    """
    pred = predicted_exponent(alpha_hat, axis, order=order)
    a_d, e_d = _paired(alpha_draws, draws, rng)
    pred_d = np.array([predicted_exponent(float(x), axis, order=order) for x in a_d])
    p_lo, p_hi = _ci(pred_d)
    d_lo, d_hi = _ci(e_d - pred_d)
    out = {"predicted": pred, "pred_low": p_lo, "pred_high": p_hi, "diff": est - pred,
           "diff_low": d_lo, "diff_high": d_hi}
    if fit_reason:
        verdict, reason = "inconclusive", fit_reason
    elif alpha_verdict != "consistent":
        verdict, reason = "inconclusive", (f"inconclusive (α rejected/unusable): α from a power law the suite "
                                           f"does not support (params_power_law verdict {alpha_verdict})")
    elif not np.isfinite(d_lo):
        verdict, reason = "inconclusive", "too few draws for an interval of the difference"
    else:
        verdict, reason = _decide(d_lo, d_hi, gap)
    out.update(verdict=verdict, reason=reason + (f"; {note}" if note else ""))
    return out


def _aic_log_linear(x_log: np.ndarray, y_log: np.ndarray) -> float:
    """Gaussian AIC of the 2-parameter alternative L = c0 + c1·ln N, on the log-loss scale (inf if it goes <= 0)."""
    X = np.column_stack([np.ones_like(x_log), x_log])
    coef, *_ = np.linalg.lstsq(X, np.exp(y_log), rcond=None)
    pred = X @ coef
    if not np.all(pred > 0):
        return np.inf
    r_alt = y_log - np.log(pred)
    return len(y_log) * math.log(max(float(r_alt @ r_alt), 1e-300) / len(y_log)) + 4


def params_verdict(fit: FitResult, sub: pd.DataFrame, col: str, noise: float) -> dict:
    """Is L = E + A·N^-α supported: a power law, α's interval informative (hi/lo ≤ 3), residuals within eval
    noise, and better than L = c0 − c1·ln N? A flat or rising loss is 'no power law' (inconsistent)."""
    lo, hi = fit.intervals["a"]
    rmse = fit.diagnostics["rmse_log"]
    d_aic = fit.diagnostics["aic"] - _aic_log_linear(np.log(sub[col].to_numpy(float)),
                                                     np.log(sub["loss"].to_numpy()))
    detail = (f"α = {fit.params['a']:.3f} [{lo:.3f}, {hi:.3f}], RMSE of log residuals {rmse:.4f}"
              + (f" vs eval noise {noise:.4f}" if np.isfinite(noise) else " (eval noise unknown)")
              + f", ΔAIC vs log-linear {d_aic:+.1f}")
    if fit.status == "no_power_law":
        return {"verdict": "inconsistent", "reason": f"no power law (the loss does not decrease as a power law: "
                                                     f"fit status no_power_law); {detail}"}
    reason = fit_problem(fit, "a")
    if reason:
        return {"verdict": "inconclusive", "reason": f"{reason}; {detail}"}
    if np.isfinite(noise) and rmse > 3 * noise:
        return {"verdict": "inconsistent", "reason": f"residuals exceed 3× evaluation noise (the noise estimate "
                                                   f"holds eval noise only, not run-to-run variation); {detail}"}
    if d_aic > 2:
        return {"verdict": "inconsistent", "reason": f"a log-linear law fits better; {detail}"}
    if not hi / lo <= PARAMS_MAX_RATIO:
        return {"verdict": "inconclusive", "reason": f"inconclusive (uninformative interval): α's interval spans "
                                                     f"hi/lo = {hi / lo:.1f} > {PARAMS_MAX_RATIO:g}; {detail}"}
    note = "" if np.isfinite(noise) else " (no noise estimate: residual check skipped)"
    return {"verdict": "consistent", "reason": f"power law with offset fits{note}; {detail}"}


def verdict_row(test: str, family: str, subject: str, hypothesis: str, alpha_source: str, fit: FitResult,
                outcome: dict, kind: str, exponent: str = "a") -> dict:
    """One row of the verdicts table (columns :data:`VERDICT_COLUMNS`).

    ``outcome`` is what :func:`compare` or :func:`params_verdict` returned; a
    test without a predicted value (params) leaves the prediction columns NaN.
    ``kind`` is the analysis (a key of ``ANALYSIS_METHODS``): it sets ``approximate``.
    """
    lo, hi = fit.intervals[exponent]
    row = {"test": test, "family": family, "subject": subject, "hypothesis": hypothesis,
           "alpha_source": alpha_source, "estimate": fit.params[exponent], "ci_low": lo, "ci_high": hi,
           **_NO_PREDICTION, **outcome, "usable": not fit_problem(fit, exponent),
           "interval_kind": fit.interval_kind, "approximate": bool(ANALYSIS_METHODS[kind]["approximate"])}
    return {c: row[c] for c in VERDICT_COLUMNS}


def window_row(row: dict, window: str, is_default: bool, n_points: int) -> dict:
    """The window-sensitivity twin of a verdict row (columns :data:`WINDOW_COLUMNS`)."""
    extra = {"window": window, "is_default": is_default, "n_points": n_points}
    return {c: extra[c] if c in extra else row[c] for c in WINDOW_COLUMNS}


def _fragile(s: pd.DataFrame) -> str:
    """Reason text if the windows in ``s`` give both decisive verdicts (consistent and inconsistent), else ''."""
    decisive = set(s["verdict"]) & {"consistent", "inconsistent"}
    if len(decisive) < 2:
        return ""
    per = "; ".join(f"{w}: {v}" for w, v in zip(s["window"], s["verdict"]))
    return f"fragile: the verdict flips between consistent and inconsistent across fit windows ({per})"


def with_window_agreement(ver: pd.DataFrame, sens: pd.DataFrame) -> pd.DataFrame:
    """Add ``window_agreement`` (share of windows with the default's verdict) and ``n_windows`` to ``ver``;
    a verdict whose windows flip between consistent and inconsistent becomes ``fragile``."""
    agree, nwin, verdict, reason = [], [], [], []
    for _, r in ver.iterrows():
        s = sens[(sens["test"] == r["test"]) & (sens["family"] == r["family"])
                 & (sens["subject"] == r["subject"]) & (sens["hypothesis"] == r["hypothesis"])
                 & (sens["alpha_source"] == r["alpha_source"])]
        nwin.append(len(s))
        agree.append(float((s["verdict"] == r["verdict"]).mean()) if len(s) else np.nan)
        why = _fragile(s)
        verdict.append("fragile" if why else r["verdict"])
        reason.append(f"{why}; default window: {r['reason']}" if why else r["reason"])
    if len(ver) == 0:
        return ver.assign(window_agreement=[], n_windows=[])
    return ver.assign(verdict=verdict, reason=reason, window_agreement=agree, n_windows=nwin)


def _summary_verdict(s: pd.DataFrame) -> tuple[str, str]:
    """Majority verdict over the usable rows of ``s``, only when more than half of all rows are usable."""
    n = len(s)
    u = s[s["usable"].astype(bool)]
    k = len(u)
    counts = u["verdict"].value_counts()
    tally = ", ".join(f"{counts.get(v, 0)}/{k} {v}" for v in VERDICTS)
    head = f"{k} of {n} usable; {tally} over usable sizes"
    if k <= n / 2:
        return "inconclusive", f"too few usable fits: {head}"
    if counts.iloc[0] > k / 2:
        verdict = counts.index[0]
        if verdict == "inconclusive" and u["reason"].str.contains("α rejected", regex=False).all():
            head += f" ({u['reason'].iloc[0].split(';')[0]})"
        return verdict, head
    return "inconclusive", f"no majority: {head}"


def with_summaries(ver: pd.DataFrame) -> pd.DataFrame:
    """Append one summary row per (family, hypothesis, alpha_source) of the per-size steps verdicts.

    Counts and the median estimate use usable fits only ("k of n usable").
    """
    rows = []
    st = ver[ver["test"] == "steps_exponent"]
    for (fam, hyp, src), s in st.groupby(["family", "hypothesis", "alpha_source"], sort=False):
        verdict, reason = _summary_verdict(s)
        u = s[s["usable"].astype(bool)]
        rows.append({"test": "steps_exponent", "family": fam, "subject": "all sizes", "hypothesis": hyp,
                     "alpha_source": src, "estimate": float(u["estimate"].median()) if len(u) else np.nan,
                     "ci_low": np.nan, "ci_high": np.nan, "predicted": float(s["predicted"].iloc[0]),
                     "pred_low": float(s["pred_low"].iloc[0]), "pred_high": float(s["pred_high"].iloc[0]),
                     "diff": np.nan, "diff_low": np.nan, "diff_high": np.nan, "verdict": verdict,
                     "reason": reason + " (estimate = median over usable sizes)", "usable": len(u) > len(s) / 2,
                     "interval_kind": s["interval_kind"].iloc[0], "approximate": bool(s["approximate"].any()),
                     "window_agreement": float(s["window_agreement"].mean()), "n_windows": int(s["n_windows"].sum())})
    return pd.concat([ver, pd.DataFrame(rows)], ignore_index=True) if rows else ver


def headline(ver: pd.DataFrame) -> pd.DataFrame:
    """One row per prediction: the params and frontier verdicts, and the steps verdicts summarised over sizes."""
    return ver[(ver["test"] != "steps_exponent") | (ver["subject"] == "all sizes")]
