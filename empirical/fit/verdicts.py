"""Section 3 (Theorems 3.7, 3.8): from fitted exponents to verdicts against the theory's predictions.

A verdict is one word of :data:`VERDICTS`; the rules are stated in
docs/statistics.md ("Verdict rules") and implemented here. Decisive:
``consistent``, ``inconsistent`` (with a ``direction``: the fitted exponent
is ``faster`` or ``slower`` than predicted) and, for the power law in N,
``needs-extra-noise`` (the law fits only if the run-to-run noise adds
``sigma_extra`` to the stated evaluation noise: a χ² test). Not robust:
``fragile`` (its ``outcome`` says in how many windows the default verdict
holds; a window whose fit is unusable counts against robustness). Not
decisive, each for one reason: ``unusable`` (the fit cannot carry a verdict,
:func:`empirical.fit.laws.usable`, or too few usable sizes), ``uninformative``
(the interval contains the prediction but is not narrower than the gap
between the competing predictions; for the power law in N, hi/lo > 3),
``alpha-unsupported`` (the prediction needs an α whose own verdict is not
accepted) and ``no-majority`` (per-size verdicts split). ``outcome`` is the
row's verdict in words, directional where it is; ``test_outcome`` reads the
two competing hypotheses of a test together ("faster than both
predictions", "excludes sequential, cannot tell parallel"). Predictions come
from :func:`theory.skills.predicted_exponent`, with the interval of α
propagated by pairing draws of α with draws of the tested exponent
(``fit.boot``: draws that carry the calibrated interval). Every verdict row is
built by :func:`verdict_row`, and its window-sensitivity twin by
:func:`window_row`.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd
from scipy import stats

from theory.skills import predicted_exponent

from .laws import FitResult, usable
from .methods import ANALYSIS_METHODS

__all__ = [
    "VERDICTS", "ACCEPT", "VERDICT_COLUMNS", "WINDOW_COLUMNS", "PARAMS_MAX_RATIO", "GOF_LEVEL", "seed_for",
    "pair_rng", "fit_problem", "approximate_note", "compare", "goodness_of_fit", "fragility", "with_test_outcomes",
    "params_verdict", "verdict_row", "window_row", "with_window_agreement", "with_summaries", "headline",
]

VERDICTS = ("consistent", "needs-extra-noise", "inconsistent", "fragile", "uninformative", "unusable",
            "alpha-unsupported", "no-majority")
#: Verdicts that accept a law (an α with one of these may carry predictions); ``inconsistent`` rejects it.
ACCEPT = ("consistent", "needs-extra-noise")
#: Level of the χ² goodness-of-fit test against the stated evaluation noise.
GOF_LEVEL = 0.05
#: Columns of the verdicts table, in order (``window_agreement`` and ``n_windows`` are added last).
#: ``usable``: the fit passed :func:`empirical.fit.laws.usable`; ``interval_kind``: how the fit's interval
#: was computed; ``approximate``: the analysis's interval method is flagged approximate by the coverage study.
VERDICT_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "estimate", "ci_low", "ci_high",
                   "predicted", "pred_low", "pred_high", "diff", "diff_low", "diff_high", "verdict", "direction",
                   "outcome", "reason", "usable", "chi2", "dof", "chi2_p", "sigma_extra", "interval_kind",
                   "approximate")
#: Columns of the window-sensitivity table, in order.
WINDOW_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "window", "is_default", "n_points",
                  "estimate", "ci_low", "ci_high", "predicted", "verdict", "direction", "usable")
#: Largest hi/lo of α's interval for a ``consistent`` params_power_law verdict (informative interval).
PARAMS_MAX_RATIO = 3.0
_NO_PREDICTION = {"predicted": np.nan, "pred_low": np.nan, "pred_high": np.nan, "diff": np.nan, "diff_low": np.nan,
                  "diff_high": np.nan, "direction": ""}


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


def _decide(d_lo: float, d_hi: float, gap: float) -> tuple[str, str, str]:
    """The width rule: inconsistent if the interval excludes 0 (direction: the fitted exponent is larger, the loss
    falls ``faster`` than predicted, or smaller, ``slower``); consistent only if it also is narrower than gap."""
    ci = f"95% CI of the difference [{d_lo:+.3f}, {d_hi:+.3f}]"
    if d_lo > 0 or d_hi < 0:
        direction = "faster" if d_lo > 0 else "slower"
        side = "above" if d_lo > 0 else "below"
        return "inconsistent", direction, (f"fitted exponent {side} the prediction (loss falls {direction}): {ci} "
                                           "excludes 0")
    if not d_hi - d_lo < gap:
        return "uninformative", "", (f"uninformative interval: {ci} contains 0 but its width {d_hi - d_lo:.3f} "
                                     f"is not below the gap {gap:.3f} between the competing predictions")
    return "consistent", "", f"{ci} contains 0 and is narrower than the gap {gap:.3f} to the competing prediction"


def outcome_words(verdict: str, direction: str = "") -> str:
    """A verdict in words: directional where it is (``faster than predicted``)."""
    if verdict == "inconsistent" and direction:
        return f"{direction} than predicted"
    return {"needs-extra-noise": "fits only with extra run-to-run noise", "uninformative": "cannot tell",
            "unusable": "fit not usable", "alpha-unsupported": "α not supported",
            "no-majority": "sizes disagree"}.get(verdict, verdict)


def compare(est: float, draws: np.ndarray, alpha_draws: np.ndarray, axis: str, order: str,
            alpha_hat: float, rng: np.random.Generator, gap: float, fit_reason: str,
            alpha_verdict: str = "consistent", note: str = "") -> dict:
    """Verdict for 'exponent = predicted_exponent(alpha, axis, order)' with paired draws.

    Returns ``predicted, pred_low, pred_high, diff, diff_low, diff_high,
    verdict, direction, outcome, reason``. Rules (docs/statistics.md):
    ``unusable`` when the fit cannot carry a verdict (``fit_reason``);
    ``alpha-unsupported`` when α's own verdict (``alpha_verdict``) is not in
    :data:`ACCEPT`; ``inconsistent`` when the 95% interval of the difference
    excludes 0 (``direction`` faster/slower); ``consistent`` when it contains
    0 and is narrower than ``gap`` (the distance between the competing
    predictions), else ``uninformative``. ``note`` (the approximate flag) is
    appended to the reason.
    """
    pred = predicted_exponent(alpha_hat, axis, order=order)
    a_d, e_d = _paired(alpha_draws, draws, rng)
    pred_d = np.array([predicted_exponent(float(x), axis, order=order) for x in a_d])
    p_lo, p_hi = _ci(pred_d)
    d_lo, d_hi = _ci(e_d - pred_d)
    out = {"predicted": pred, "pred_low": p_lo, "pred_high": p_hi, "diff": est - pred,
           "diff_low": d_lo, "diff_high": d_hi}
    direction = ""
    if fit_reason:
        verdict, reason = "unusable", fit_reason
    elif alpha_verdict not in ACCEPT:
        verdict, reason = "alpha-unsupported", (f"α not supported: α from a power law the suite does not accept "
                                                f"(params_power_law verdict {alpha_verdict})")
    elif not np.isfinite(d_lo):
        verdict, reason = "unusable", "too few draws for an interval of the difference"
    else:
        verdict, direction, reason = _decide(d_lo, d_hi, gap)
    out.update(verdict=verdict, direction=direction, outcome=outcome_words(verdict, direction),
               reason=reason + (f"; {note}" if note else ""))
    return out


def goodness_of_fit(fit: FitResult, noise: float) -> dict:
    """χ² of the fit's log residuals against the stated evaluation noise ``noise`` (sd of log loss).

    Returns ``eval_noise_log, chi2 = SSR/noise², dof = n − k, chi2_p`` (upper
    tail of χ²_dof), ``sigma_extra``: the extra iid noise s with
    SSR/(noise² + s²) = dof (χ² at its expectation; 0 when the fit already
    passes), and ``sigma_extra_95``: the smallest s at which the test passes at
    level :data:`GOF_LEVEL`, SSR/(noise² + s²) = χ²_dof(0.95). NaN where the
    noise is unknown.
    """
    d = fit.diagnostics
    dof = int(d["n"] - d["k"])
    out = {"eval_noise_log": noise, "chi2": np.nan, "dof": dof, "chi2_p": np.nan, "sigma_extra": np.nan,
           "sigma_extra_95": np.nan}
    if not (np.isfinite(noise) and noise > 0) or dof < 1:
        return out
    ssr = float(d["ssr"])
    chi2 = ssr / noise ** 2
    q95 = float(stats.chi2.ppf(1 - GOF_LEVEL, dof))
    out.update(chi2=chi2, chi2_p=float(stats.chi2.sf(chi2, dof)),
               sigma_extra=math.sqrt(max(ssr / dof - noise ** 2, 0.0)),
               sigma_extra_95=math.sqrt(max(ssr / q95 - noise ** 2, 0.0)))
    return out


def _gof_text(g: dict) -> str:
    if not np.isfinite(g["chi2"]):
        return "χ² not tested (evaluation noise unknown)"
    return (f"χ² = {g['chi2']:.1f} on {g['dof']} dof against eval noise {g['eval_noise_log']:.4f} "
            f"(p = {g['chi2_p']:.2g}); extra noise to pass: σ_extra = {g['sigma_extra']:.4f} (χ² = dof), "
            f"{g['sigma_extra_95']:.4f} (at the 95% quantile)")


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
    """Is L = E + A·N^-α supported? ``inconsistent`` for no power law (a flat or rising loss) or when a log-linear
    law fits better (ΔAIC > 2); ``unusable`` for a fit that cannot carry a verdict; ``uninformative`` when α's
    interval spans hi/lo > 3; ``needs-extra-noise`` when the residuals fail the χ² test against the evaluation
    noise (p < 0.05; the extra noise that would pass is stated); else ``consistent``."""
    lo, hi = fit.intervals["a"]
    gof = goodness_of_fit(fit, noise)
    d_aic = fit.diagnostics["aic"] - _aic_log_linear(np.log(sub[col].to_numpy(float)),
                                                     np.log(sub["loss"].to_numpy()))
    detail = (f"α = {fit.params['a']:.3f} [{lo:.3f}, {hi:.3f}], RMSE of log residuals "
              f"{fit.diagnostics['rmse_log']:.4f}; {_gof_text(gof)}; ΔAIC vs log-linear {d_aic:+.1f}")

    def out(verdict, why):
        return {"verdict": verdict, "outcome": outcome_words(verdict), "reason": f"{why}; {detail}",
                **{k: gof[k] for k in ("chi2", "dof", "chi2_p", "sigma_extra")}}

    if fit.status == "no_power_law":
        return out("inconsistent", "no power law (the loss does not decrease as a power law: fit status "
                                   "no_power_law)")
    reason = fit_problem(fit, "a")
    if reason:
        return out("unusable", reason)
    if d_aic > 2:
        return out("inconsistent", "a log-linear law fits better")
    if not hi / lo <= PARAMS_MAX_RATIO:
        return out("uninformative", f"uninformative interval: α's interval spans hi/lo = {hi / lo:.1f} > "
                                    f"{PARAMS_MAX_RATIO:g}")
    if np.isfinite(gof["chi2_p"]) and gof["chi2_p"] < GOF_LEVEL:
        return out("needs-extra-noise", f"power law with offset fits only if run-to-run noise adds σ_extra = "
                                        f"{gof['sigma_extra']:.4f} to the evaluation noise (χ² test fails, p = "
                                        f"{gof['chi2_p']:.2g})")
    note = "" if np.isfinite(gof["chi2"]) else " (no noise estimate: χ² test skipped)"
    return out("consistent", f"power law with offset fits{note}")


def verdict_row(test: str, family: str, subject: str, hypothesis: str, alpha_source: str, fit: FitResult,
                outcome: dict, kind: str, exponent: str = "a", gof: dict | None = None) -> dict:
    """One row of the verdicts table (columns :data:`VERDICT_COLUMNS`).

    ``outcome`` is what :func:`compare` or :func:`params_verdict` returned; a
    test without a predicted value (params) leaves the prediction columns NaN.
    ``kind`` is the analysis (a key of ``ANALYSIS_METHODS``): it sets
    ``approximate``. ``gof``: the fit's :func:`goodness_of_fit` (params
    verdicts carry their own).
    """
    lo, hi = fit.intervals[exponent]
    g = {k: (gof or {}).get(k, np.nan) for k in ("chi2", "dof", "chi2_p", "sigma_extra")}
    row = {"test": test, "family": family, "subject": subject, "hypothesis": hypothesis,
           "alpha_source": alpha_source, "estimate": fit.params[exponent], "ci_low": lo, "ci_high": hi,
           **_NO_PREDICTION, **g, **outcome, "usable": not fit_problem(fit, exponent),
           "interval_kind": fit.interval_kind, "approximate": bool(ANALYSIS_METHODS[kind]["approximate"])}
    return {c: row[c] for c in VERDICT_COLUMNS}


def window_row(row: dict, window: str, is_default: bool, n_points: int) -> dict:
    """The window-sensitivity twin of a verdict row (columns :data:`WINDOW_COLUMNS`)."""
    extra = {"window": window, "is_default": is_default, "n_points": n_points}
    return {c: extra[c] if c in extra else row[c] for c in WINDOW_COLUMNS}


def _side(verdict: str) -> str:
    return "accept" if verdict in ACCEPT else "reject" if verdict == "inconsistent" else ""


def fragility(default: str, windows: list[str], labels: list[str] | None = None) -> str:
    """Reason text if the verdict is not robust across fit windows, else ''.

    Not robust: the windows both accept and reject (consistent or
    needs-extra-noise vs inconsistent), or the default window is decisive and
    some window's fit is ``unusable`` (it cannot confirm the default). The text
    counts the windows in which the default's verdict holds ("k of n").
    """
    sides = {_side(v) for v in windows} - {""}
    flips = len(sides) == 2
    lost = _side(default) != "" and "unusable" in windows
    if not (flips or lost):
        return ""
    n = len(windows)
    k = sum(_side(v) == _side(default) and _side(v) != "" for v in windows)
    what = "flips between accepted and rejected" if flips else "is lost where the fit is unusable"
    per = "; ".join(f"{w}: {v}" for w, v in zip(labels or [f"window {i + 1}" for i in range(n)], windows))
    held = f"{default} in {k} of {n} windows" if _side(default) else "no verdict in the default window"
    return f"fragile ({held}): the verdict {what} across fit windows ({per})"


def _fragile_count(default: str, windows: list[str], direction: str = "") -> str:
    """``fragile: faster than predicted in 3 of 5 windows`` (the default's verdict, directional where it is)."""
    n = len(windows)
    k = sum(_side(v) == _side(default) and _side(v) != "" for v in windows)
    if _side(default):
        return f"fragile: {outcome_words(default, direction)} in {k} of {n} windows"
    counts = pd.Series(windows).value_counts()
    return "fragile: " + ", ".join(f"{c} in {m} of {n} windows" for c, m in counts.items())


def with_window_agreement(ver: pd.DataFrame, sens: pd.DataFrame) -> pd.DataFrame:
    """Add ``window_agreement`` (share of windows with the default's verdict) and ``n_windows`` to ``ver``;
    a verdict that is not robust across windows (:func:`fragility`) becomes ``fragile``, its ``outcome`` saying
    in how many windows the default's verdict holds."""
    agree, nwin, verdict, reason, outcome = [], [], [], [], []
    for _, r in ver.iterrows():
        s = sens[(sens["test"] == r["test"]) & (sens["family"] == r["family"])
                 & (sens["subject"] == r["subject"]) & (sens["hypothesis"] == r["hypothesis"])
                 & (sens["alpha_source"] == r["alpha_source"])]
        nwin.append(len(s))
        agree.append(float((s["verdict"] == r["verdict"]).mean()) if len(s) else np.nan)
        why = fragility(r["verdict"], list(s["verdict"]), list(s["window"]))
        verdict.append("fragile" if why else r["verdict"])
        reason.append(f"{why}; default window: {r['reason']}" if why else r["reason"])
        outcome.append(_fragile_count(r["verdict"], list(s["verdict"]), r.get("direction", "")) if why
                       else r["outcome"])
    if len(ver) == 0:
        return ver.assign(window_agreement=[], n_windows=[])
    return ver.assign(verdict=verdict, outcome=outcome, reason=reason, window_agreement=agree, n_windows=nwin)


def _summary_verdict(s: pd.DataFrame) -> tuple[str, str, str, str]:
    """Majority verdict over the usable rows of ``s``, only when more than half of all rows are usable.

    Returns (verdict, direction, outcome, reason)."""
    n = len(s)
    u = s[s["usable"].astype(bool)]
    k = len(u)
    counts = u["verdict"].value_counts()
    tally = ", ".join(f"{counts.get(v, 0)}/{k} {v}" for v in VERDICTS if counts.get(v, 0))
    head = f"{k} of {n} usable; {tally or 'none'} over usable sizes"
    if k <= n / 2:
        return "unusable", "", f"{k} of {n} sizes usable", f"too few usable fits: {head}"
    if counts.iloc[0] > k / 2:
        verdict = counts.index[0]
        m = u[u["verdict"] == verdict]
        dirs = m["direction"].value_counts() if "direction" in m else pd.Series(dtype=int)
        direction = dirs.index[0] if len(dirs) and dirs.iloc[0] == len(m) and dirs.index[0] else ""
        if verdict == "alpha-unsupported":
            head += f" ({u['reason'].iloc[0].split(';')[0]})"
        words = f"{outcome_words(verdict, direction)} in {counts.iloc[0]} of {k} usable sizes"
        if verdict == "fragile" and direction:
            words += f"; default window {direction} than predicted"
        return verdict, direction, words, head
    return "no-majority", "", f"sizes disagree ({tally})", f"no majority: {head}"


def with_summaries(ver: pd.DataFrame) -> pd.DataFrame:
    """Append one summary row per (family, hypothesis, alpha_source) of the per-size steps verdicts.

    Counts and the median estimate use usable fits only ("k of n usable").
    """
    rows = []
    st = ver[ver["test"] == "steps_exponent"]
    for (fam, hyp, src), s in st.groupby(["family", "hypothesis", "alpha_source"], sort=False):
        verdict, direction, outcome, reason = _summary_verdict(s)
        u = s[s["usable"].astype(bool)]
        rows.append({"test": "steps_exponent", "family": fam, "subject": "all sizes", "hypothesis": hyp,
                     "alpha_source": src, "estimate": float(u["estimate"].median()) if len(u) else np.nan,
                     "ci_low": np.nan, "ci_high": np.nan, "predicted": float(s["predicted"].iloc[0]),
                     "pred_low": float(s["pred_low"].iloc[0]), "pred_high": float(s["pred_high"].iloc[0]),
                     "diff": np.nan, "diff_low": np.nan, "diff_high": np.nan, "verdict": verdict,
                     "direction": direction, "outcome": outcome,
                     "reason": reason + " (estimate = median over usable sizes)", "usable": len(u) > len(s) / 2,
                     "chi2": np.nan, "dof": np.nan, "chi2_p": np.nan, "sigma_extra": np.nan,
                     "interval_kind": s["interval_kind"].iloc[0], "approximate": bool(s["approximate"].any()),
                     "window_agreement": float(s["window_agreement"].mean()), "n_windows": int(s["n_windows"].sum())})
    return pd.concat([ver, pd.DataFrame(rows)], ignore_index=True) if rows else ver


def _pair_outcome(a: pd.Series, b: pd.Series) -> str:
    """Two competing hypotheses of one test read together, each named by its ``learner``."""
    la, lb = a["learner"], b["learner"]
    va, vb = a["verdict"], b["verdict"]
    if va == vb == "inconsistent":
        if a["direction"] == b["direction"]:
            return f"{a['direction']} than both predictions"
        return f"between the predictions: {a['direction']} than {la}, {b['direction']} than {lb}"
    for x, y in ((a, b), (b, a)):
        if x["verdict"] == "inconsistent" and y["verdict"] == "consistent":
            return f"matches {y['learner']}, excludes {x['learner']} ({x['direction']})"
        if x["verdict"] == "inconsistent" and y["verdict"] == "uninformative":
            return f"excludes {x['learner']} ({x['direction']}), cannot tell {y['learner']}"
        if x["verdict"] == "inconsistent":
            return f"excludes {x['learner']} ({x['direction']}); {y['learner']}: {y['outcome']}"
        if x["verdict"] == "consistent" and y["verdict"] != "consistent":
            return f"matches {x['learner']}; {y['learner']}: {y['outcome']}"
    if va == vb == "fragile" and a["direction"] and a["direction"] == b["direction"]:
        return f"fragile: {a['direction']} than both predictions in the default window"
    if va == vb:
        return f"both: {a['outcome']}"
    return f"{la}: {a['outcome']}; {lb}: {b['outcome']}"


def with_test_outcomes(ver: pd.DataFrame, learners: dict) -> pd.DataFrame:
    """Add ``learner`` (the model behind each hypothesis, from ``learners``: hypothesis -> learner) and
    ``test_outcome`` (the test's two hypotheses read together, :func:`_pair_outcome`; empty for single tests)."""
    ver = ver.assign(learner=ver["hypothesis"].map(learners).fillna(""), test_outcome="")
    for _, g in ver.groupby(["test", "family", "subject", "alpha_source"], sort=False):
        if len(g) == 2:
            ver.loc[g.index, "test_outcome"] = _pair_outcome(g.iloc[0], g.iloc[1])
    return ver


def headline(ver: pd.DataFrame) -> pd.DataFrame:
    """One row per prediction: the params and frontier verdicts, and the steps verdicts summarised over sizes."""
    return ver[(ver["test"] != "steps_exponent") | (ver["subject"] == "all sizes")]
