"""Section 3 (Theorems 3.7, 3.8): from fitted exponents to verdicts against the theory's predictions.

A verdict is ``consistent``, ``inconsistent`` or ``inconclusive``; a fit that
cannot carry one (not converged, exponent on its optimizer bound, too few
converged bootstrap refits) is always ``inconclusive`` with the reason. The
predictions come from :func:`theory.skills.predicted_exponent`, with the
interval of α propagated by pairing bootstrap draws of α with draws of the
tested exponent. Every verdict row is built by :func:`verdict_row`, and its
window-sensitivity twin by :func:`window_row`.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd

from theory.skills import predicted_exponent

from .fitter import A_MAX, A_MIN, FitResult

__all__ = [
    "VERDICTS", "VERDICT_COLUMNS", "WINDOW_COLUMNS", "seed_for", "pair_rng", "fit_problem", "compare",
    "params_verdict", "verdict_row", "window_row", "with_window_agreement", "with_summaries", "headline",
]

VERDICTS = ("consistent", "inconsistent", "inconclusive")
#: Columns of the verdicts table, in order (``window_agreement`` and ``n_windows`` are added last).
VERDICT_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "estimate", "ci_low", "ci_high",
                   "predicted", "pred_low", "pred_high", "diff", "diff_low", "diff_high", "verdict", "reason")
#: Columns of the window-sensitivity table, in order.
WINDOW_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "window", "is_default", "n_points",
                  "estimate", "ci_low", "ci_high", "predicted", "verdict")
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
    """Empty string if the fit can carry a verdict, else the reason it cannot."""
    d = fit.diagnostics
    if not d["converged"]:
        return f"fit did not converge (gradient norm {d['grad_norm']:.1e})"
    if exponent in d["at_bound"].split(","):
        return f"exponent {exponent} on its optimizer bound"
    if d["n_boot"] == 0:
        return "no bootstrap refits were requested (n_boot = 0 for this fit); a verdict needs bootstrap intervals"
    if not (d["boot_converged_frac"] >= 0.8):
        return f"only {d['boot_converged_frac']:.0%} of bootstrap refits converged"
    lo, hi = fit.intervals.get(exponent, (np.nan, np.nan))
    if hi >= 0.99 * A_MAX or lo <= 1.01 * A_MIN:
        return (f"the interval of {exponent} [{lo:.3g}, {hi:.3g}] reaches an optimizer bound: the curve is not "
                f"a power law in this window (e.g. the loss rises late in training)")
    return ""


def compare(est: float, draws: np.ndarray, alpha_draws: np.ndarray, axis: str, order: str,
            alpha_hat: float, rng: np.random.Generator, gap: float, fit_reason: str) -> dict:
    """Verdict for 'exponent = predicted_exponent(alpha, axis, order)' with paired bootstrap draws.

    Returns ``predicted, pred_low, pred_high, diff, diff_low, diff_high,
    verdict, reason``: inconsistent when the 95% interval of the difference
    excludes 0, inconclusive when it is wider than twice ``gap`` (the distance
    between the competing predictions) or the fit cannot carry a verdict.
    """
    pred = predicted_exponent(alpha_hat, axis, order=order)
    a_d, e_d = _paired(alpha_draws, draws, rng)
    pred_d = np.array([predicted_exponent(float(x), axis, order=order) for x in a_d])
    p_lo, p_hi = _ci(pred_d)
    d_lo, d_hi = _ci(e_d - pred_d)
    out = {"predicted": pred, "pred_low": p_lo, "pred_high": p_hi, "diff": est - pred,
           "diff_low": d_lo, "diff_high": d_hi}
    if fit_reason:
        out.update(verdict="inconclusive", reason=fit_reason)
    elif not np.isfinite(d_lo):
        out.update(verdict="inconclusive", reason="too few converged bootstrap draws for an interval")
    elif d_lo > 0 or d_hi < 0:
        side = "above" if d_lo > 0 else "below"
        out.update(verdict="inconsistent",
                   reason=f"fitted exponent {side} the prediction: 95% CI of the difference "
                          f"[{d_lo:+.3f}, {d_hi:+.3f}] excludes 0")
    elif d_hi - d_lo > 2 * gap:
        out.update(verdict="inconclusive",
                   reason=f"interval of the difference [{d_lo:+.3f}, {d_hi:+.3f}] contains 0 but is wider "
                          f"than twice the gap ({gap:.3f}) between the sequential and parallel predictions")
    else:
        out.update(verdict="consistent",
                   reason=f"95% CI of the difference [{d_lo:+.3f}, {d_hi:+.3f}] contains 0")
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
    """Is L = E + A·N^-α supported: α > 0, residuals within eval noise, and better than L = c0 − c1·ln N?"""
    reason = fit_problem(fit, "a")
    lo, hi = fit.intervals["a"]
    rmse = fit.diagnostics["rmse_log"]
    d_aic = fit.diagnostics["aic"] - _aic_log_linear(np.log(sub[col].to_numpy(float)),
                                                     np.log(sub["loss"].to_numpy()))
    detail = (f"α = {fit.params['a']:.3f} [{lo:.3f}, {hi:.3f}], RMSE of log residuals {rmse:.4f}"
              + (f" vs eval noise {noise:.4f}" if np.isfinite(noise) else " (eval noise unknown)")
              + f", ΔAIC vs log-linear {d_aic:+.1f}")
    if reason:
        return {"verdict": "inconclusive", "reason": f"{reason}; {detail}"}
    if not np.isfinite(lo):
        return {"verdict": "inconclusive", "reason": f"no bootstrap interval; {detail}"}
    if lo <= 1.01 * A_MIN:
        return {"verdict": "inconclusive", "reason": f"α interval reaches 0; {detail}"}
    if np.isfinite(noise) and rmse > 3 * noise:
        return {"verdict": "inconsistent", "reason": f"residuals exceed 3× evaluation noise (the noise estimate "
                                                   f"holds eval noise only, not run-to-run variation); {detail}"}
    if d_aic > 2:
        return {"verdict": "inconsistent", "reason": f"a log-linear law fits better; {detail}"}
    note = "" if np.isfinite(noise) else " (no noise estimate: residual check skipped)"
    return {"verdict": "consistent", "reason": f"power law with offset fits{note}; {detail}"}


def verdict_row(test: str, family: str, subject: str, hypothesis: str, alpha_source: str, fit: FitResult,
                outcome: dict, exponent: str = "a") -> dict:
    """One row of the verdicts table (columns :data:`VERDICT_COLUMNS`).

    ``outcome`` is what :func:`compare` or :func:`params_verdict` returned; a
    test without a predicted value (params) leaves the prediction columns NaN.
    """
    lo, hi = fit.intervals[exponent]
    row = {"test": test, "family": family, "subject": subject, "hypothesis": hypothesis,
           "alpha_source": alpha_source, "estimate": fit.params[exponent], "ci_low": lo, "ci_high": hi,
           **_NO_PREDICTION, **outcome}
    return {c: row[c] for c in VERDICT_COLUMNS}


def window_row(row: dict, window: str, is_default: bool, n_points: int) -> dict:
    """The window-sensitivity twin of a verdict row (columns :data:`WINDOW_COLUMNS`)."""
    extra = {"window": window, "is_default": is_default, "n_points": n_points}
    return {c: extra[c] if c in extra else row[c] for c in WINDOW_COLUMNS}


def with_window_agreement(ver: pd.DataFrame, sens: pd.DataFrame) -> pd.DataFrame:
    """Add ``window_agreement`` (share of windows with the default's verdict) and ``n_windows`` to ``ver``."""
    agree, nwin = [], []
    for _, r in ver.iterrows():
        s = sens[(sens["test"] == r["test"]) & (sens["family"] == r["family"])
                 & (sens["subject"] == r["subject"]) & (sens["hypothesis"] == r["hypothesis"])
                 & (sens["alpha_source"] == r["alpha_source"])]
        nwin.append(len(s))
        agree.append(float((s["verdict"] == r["verdict"]).mean()) if len(s) else np.nan)
    return ver.assign(window_agreement=agree, n_windows=nwin)


def with_summaries(ver: pd.DataFrame) -> pd.DataFrame:
    """Append one summary row per (family, hypothesis, alpha_source) of the per-size steps verdicts."""
    rows = []
    st = ver[ver["test"] == "steps_exponent"]
    for (fam, hyp, src), s in st.groupby(["family", "hypothesis", "alpha_source"], sort=False):
        counts = s["verdict"].value_counts()
        n = len(s)
        top = counts.index[0]
        verdict = top if counts.iloc[0] > n / 2 else "inconclusive"
        reason = ", ".join(f"{counts.get(v, 0)}/{n} {v}" for v in VERDICTS) + " over sizes"
        if verdict == "inconclusive" and top != "inconclusive":
            reason = "no majority: " + reason
        rows.append({"test": "steps_exponent", "family": fam, "subject": "all sizes", "hypothesis": hyp,
                     "alpha_source": src, "estimate": float(s["estimate"].median()), "ci_low": np.nan,
                     "ci_high": np.nan, "predicted": float(s["predicted"].iloc[0]),
                     "pred_low": float(s["pred_low"].iloc[0]), "pred_high": float(s["pred_high"].iloc[0]),
                     "diff": np.nan, "diff_low": np.nan, "diff_high": np.nan, "verdict": verdict,
                     "reason": reason + " (estimate = median over sizes)",
                     "window_agreement": float(s["window_agreement"].mean()), "n_windows": int(s["n_windows"].sum())})
    return pd.concat([ver, pd.DataFrame(rows)], ignore_index=True) if rows else ver


def headline(ver: pd.DataFrame) -> pd.DataFrame:
    """One row per prediction: the params and frontier verdicts, and the steps verdicts summarised over sizes."""
    return ver[(ver["test"] != "steps_exponent") | (ver["subject"] == "all sizes")]
