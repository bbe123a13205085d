"""Section 3 (Theorems 3.7 and 3.8) against data: fitted Pythia exponents and the theory's verdicts.

Four analyses on one loss table (default: LAMBADA per-word NLL of the Pythia
suite, 0-shot, ``run == "standard"``, ``primary == 1``):

``params``   α_N from the final checkpoint of each model: L = E + A·N^-α, per
             family (standard / deduped) and parameter count (non-embedding /
             total). Theorem 3.7 predicts this form.
``steps``    at each fixed size, L = E + A·step^-a over the training run. At
             fixed N, flops ∝ steps, so a is also the flops exponent.
``frontier`` the compute frontier: the lower envelope of loss over all
             checkpoints of all sizes against C = 6·N·D, fitted as E + A·C^-a.
``joint``    L = E + A/N^α + B/D^β over all checkpoints of a family (D = tokens).

Theory tests (predictions from :func:`theory.skills.predicted_exponent`, with
the α interval propagated by pairing bootstrap draws):

``params_power_law``  is L − E ∝ N^-α supported (α > 0, residuals within
                      evaluation noise, better than a log-linear law)?
``steps_exponent``    a_steps vs α/(α+2) (sequential learner, Theorem 3.8) and
                      α/(α+1) (parallel learner), per size: at fixed size the
                      steps axis is the one that tells the learning order apart.
``frontier_exponent`` a_frontier vs α/(α+2) (the compute frontier of any
                      capacity-limited learner, sequential or parallel: claim
                      ``thm-3.8-frontier``) and α/(α+1) (a learner without a
                      capacity limit). It cannot tell the learning order apart.
``joint_*``           the joint law's α against α_N, its β against α/(α+1)
                      (tokens exponent of a capacity-limited learner), its
                      compute-optimal exponent αβ/(α+β) against the envelope's
                      and α/(α+2), and the envelope's N_opt(C) slope against
                      β/(α+β); intervals from a bootstrap over whole models.

Every fit row carries a χ² goodness-of-fit test against the stated
evaluation noise (:func:`empirical.fit.verdicts.goodness_of_fit`).

Each verdict is re-derived over a set of fit windows (``window_sensitivity``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from infogeo.validation import ValidationError, nonnegative_int
from theory.skills import predicted_exponent

from .joint import JOINT_COLUMNS, joint_table
from .laws import FitResult, fit_joint_law, fit_power_law
from .methods import ANALYSIS_METHODS
from .pythia import DEFAULT_LOSS, load_pythia, validate_loss_table
from .verdicts import (
    VERDICTS,
    WINDOW_COLUMNS,
    approximate_note,
    compare,
    fit_problem,
    fragility,
    goodness_of_fit,
    headline,
    pair_rng,
    params_verdict,
    seed_for,
    verdict_row,
    window_row,
    with_summaries,
    with_test_outcomes,
    with_window_agreement,
)

__all__ = [
    "run_analyses", "report_tables", "select_rows", "steps_windows", "TABLES",
    "VERDICTS", "PARAM_COUNTS", "CAVEATS", "PYTHIA_ONLY", "FRONTIER_HYPOTHESES", "STEPS_HYPOTHESES",
]

PARAM_COUNTS = {"nonembedding": "params_nonembedding", "total": "params_total"}
FLOPS_COLUMNS = {"nonembedding": "flops_6ND_nonemb", "total": "flops_6ND_total"}
TABLES = ("fits", "verdicts", "window_sensitivity", "curves", "joint", "caveats")

#: Steps windows as fractions of each model's final step: (low, high, label).
#: The default drops the LR warmup (1% of training in Pythia) and its aftermath.
STEPS_WINDOWS = (
    (0.005, 1.0, "from 0.5% (incl. end of warmup)"),
    (0.02, 1.0, "from 2% (default)"),
    (0.09, 1.0, "from 9%"),
    (0.2, 1.0, "from 20%"),
    (0.02, 0.72, "2%-72% (before the LR tail)"),
)
DEFAULT_STEPS_WINDOW = 1
#: Params windows: number of smallest / largest sizes left out.
PARAMS_WINDOWS = ((0, 0, "all sizes (default)"), (1, 0, "without smallest"),
                  (2, 0, "without 2 smallest"), (0, 1, "without largest"))
#: Frontier windows: checkpoints from this fraction of the final step; smallest models dropped.
FRONTIER_WINDOWS = ((0.02, 0, "from 2% (default)"), (0.005, 0, "from 0.5%"),
                    (0.09, 0, "from 9%"), (0.02, 1, "from 2%, without smallest model"))

CAVEATS = (
    ("per-word loss", "LAMBADA ppl is exp of the mean NLL of the last word (possibly several tokens): "
     "a per-word loss on one narrow task, not the per-token Pile loss of the theory's H(X|Y). "
     "The fitted E absorbs its irreducible part (the theory's C)."),
    ("learning-rate schedule", "Pythia decays the LR by cosine to 10% over 143000 steps. Intermediate "
     "checkpoints are not compute-optimal short runs, so the steps curve and the compute frontier are "
     "shaped by the schedule; the window '2%-72%' shows how much."),
    ("warmup", "Steps below ~1% of training (1430 of 143000 in Pythia) are LR warmup; the default "
     "steps and frontier windows start at 2% of the final step."),
    ("few sizes", "8 sizes constrain a 3-parameter law loosely: E and α trade off. The params intervals are "
     "profile-t intervals, calibrated on an 8-size design by the coverage study (docs/statistics.md)."),
    ("frontier", "The frontier is the lower envelope of noisy evaluations of one training run per "
     "size with a fixed 300B-token budget, not a set of compute-optimal runs; taking minima biases "
     "it low, and neighbouring points share a model."),
    ("paired intervals", "Prediction intervals pair draws of α (final checkpoints) with draws of the "
     "tested exponent that carry each fit's calibrated interval; the final checkpoint enters both fits, so "
     "the pairing ignores a small positive correlation."),
    ("interval methods", "Each analysis uses the interval method the coverage study chose for a design shaped "
     "like it (empirical.fit.methods.ANALYSIS_METHODS): profile-t for params, frontier and joint, an "
     "AR(1)-calibrated profile-t widened ×1.15 for steps. Steps and frontier verdicts are flagged approximate."),
    ("drifting exponent", "The intervals cover the pseudo-true exponent of the fit window (what the law fits to the "
     "noiseless curve there). When the exponent drifts across the window, the coverage study measures how often they "
     "cover the generating exponent: "
     + ", ".join(f"{k} {m['drift_coverage']}" for k, m in ANALYSIS_METHODS.items())
     + " (column drift_coverage of the verdicts)."),
    ("evaluation noise", "The χ² test of every fit uses the stated evaluation noise of the loss (LAMBADA's "
     "bootstrap stderr of ln ppl, by the delta method; median over the fitted rows). It does not hold run-to-run "
     "(seed) variation, which one run per size cannot measure: sigma_extra is the extra noise a fit would need."),
    ("learning order", "α/(α+2) is the compute frontier of any capacity-limited learner, sequential or parallel "
     "(claim thm-3.8-frontier); α/(α+1) is the frontier only of a learner without a capacity limit. The frontier "
     "therefore cannot tell the learning order apart; only the steps axis at fixed size can."),
    ("joint law", "The joint test resamples whole models (runs), not points, because the checkpoints of a run share "
     "its noise. With 8 models its 95% intervals cover α 98.5–99% and β 91–92% of the time on data drawn from the "
     "law (docs/statistics.md): approximate."),
)


#: Caveats about Pythia's LAMBADA evaluations and training recipe: left out for another loss table (e.g. the
#: mini-Pythia family's held-out loss), where they would be false.
PYTHIA_ONLY = ("per-word loss", "learning-rate schedule", "warmup", "few sizes", "frontier", "evaluation noise")


def select_rows(df: pd.DataFrame, loss_column: str = DEFAULT_LOSS) -> pd.DataFrame:
    """Validated rows used by the analyses: primary, standard run, fewest shots, regular checkpoints.

    Adds ``family`` (``standard``/``deduped``) and ``loss`` (a copy of
    ``loss_column``). Pythia's ``baseline`` folders (dense extra checkpoints
    near the end of three runs) are left out so every size has the same grid.
    """
    where = str(df.attrs.get("source", "table")) if isinstance(df, pd.DataFrame) else "table"
    d = validate_loss_table(df, loss_column, where=where)
    d = d[(d["primary"] == 1) & (d["run"] == "standard")]
    if len(d) == 0:
        raise ValidationError("no rows with primary == 1 and run == 'standard' in column 'run'")
    d = d[d["shots"] == d["shots"].min()]
    d = d[~d["source_dir"].str.endswith("baseline")]
    d = d.assign(family=np.where(d["deduped"] == 1, "deduped", "standard"), loss=d[loss_column])
    d = d.sort_values(["family", "params_nonembedding", "model", "step"], kind="stable")
    # One checkpoint, one row: two selected rows of one (model, step) (e.g. differing in deduped or
    # source_dir) would silently drop one of them; refuse and name them.
    clash = d[d.duplicated(["model", "step"], keep=False)]
    if len(clash):
        r = clash.iloc[0]
        same = clash[(clash["model"] == r["model"]) & (clash["step"] == r["step"])]
        raise ValidationError(f"{where}: {len(same)} selected rows for model {r['model']!r}, step {r['step']:g} "
                         f"(deduped {same['deduped'].tolist()}, source_dir {same['source_dir'].tolist()}, "
                         f"{loss_column} {same[loss_column].tolist()}); keep one row per checkpoint")
    return d.reset_index(drop=True)


def steps_windows(final_step: int) -> list[tuple[int, int, str, bool]]:
    """Concrete (low, high, label, is_default) step windows for a run ending at ``final_step``."""
    return [(max(1, int(math.ceil(lo * final_step))), int(hi * final_step), lab, i == DEFAULT_STEPS_WINDOW)
            for i, (lo, hi, lab) in enumerate(STEPS_WINDOWS)]


def pareto_frontier(g: pd.DataFrame, xcol: str) -> pd.DataFrame:
    """Checkpoints no other checkpoint beats with less or equal compute (the empirical lower envelope)."""
    g = g.sort_values([xcol, "loss"], kind="stable")
    best, keep = np.inf, []
    for idx, L in zip(g.index, g["loss"].to_numpy()):
        if L < best:
            best = L
            keep.append(idx)
    return g.loc[keep]


#: Goodness-of-fit columns every fit row carries (:func:`empirical.fit.verdicts.goodness_of_fit`).
GOF_COLUMNS = ("eval_noise_log", "chi2", "dof", "chi2_p", "sigma_extra", "sigma_extra_95")


def _fit_rows(fit: FitResult, gof: dict, **keys) -> pd.DataFrame:
    t = fit.to_frame()
    for i, (k, v) in enumerate(keys.items()):
        t.insert(i, k, v)
    return t.assign(**{c: gof[c] for c in GOF_COLUMNS})


def _curve_rows(fit: FitResult, x_all: np.ndarray, y_all: np.ndarray, in_win: np.ndarray,
                preds: dict, keys: dict, x_name: str, n_grid: int = 60) -> list[pd.DataFrame]:
    """Data, fitted line with bootstrap band, and theory lines anchored on the fit at the window's midpoint."""
    E = fit.params["E"]
    rows = [pd.DataFrame({**keys, "x_name": x_name, "kind": "data", "x": x_all, "y": y_all,
                          "y_low": np.nan, "y_high": np.nan, "E_hat": E, "in_window": in_win})]
    xw = x_all[in_win]
    grid = np.geomspace(xw.min(), xw.max(), n_grid)
    lo, hi = fit.band(grid)
    rows.append(pd.DataFrame({**keys, "x_name": x_name, "kind": "fit", "x": grid, "y": fit.predict(grid),
                              "y_low": lo, "y_high": hi, "E_hat": E, "in_window": True}))
    x_mid = math.exp(np.mean(np.log(xw)))
    red_mid = float(fit.predict([x_mid])[0]) - E
    for kind, (p, p_lo, p_hi) in preds.items():
        line = E + red_mid * (grid / x_mid) ** (-p)
        if np.isfinite(p_lo) and np.isfinite(p_hi):
            ends = np.stack([E + red_mid * (grid / x_mid) ** (-q) for q in (p_lo, p_hi)])
            ylo, yhi = ends.min(axis=0), ends.max(axis=0)
        else:
            ylo = yhi = np.full(grid.size, np.nan)
        rows.append(pd.DataFrame({**keys, "x_name": x_name, "kind": kind, "x": grid, "y": line,
                                  "y_low": ylo, "y_high": yhi, "E_hat": E, "in_window": True}))
    return rows


def _noise_log(g: pd.DataFrame, loss_column: str) -> float:
    """Median evaluation noise of log(loss), from a ppl stderr column when the table has one."""
    if loss_column == DEFAULT_LOSS and "lambada_openai:ppl_stderr" in g and "lambada_openai:ppl" in g:
        # stderr of ln(ppl) by the delta method, then of ln(ln ppl)
        s = g["lambada_openai:ppl_stderr"] / g["lambada_openai:ppl"] / g["loss"]
        return float(np.median(s))
    col = loss_column + "_stderr"
    if col in g:
        return float(np.median(g[col] / g["loss"]))
    return float("nan")


def _fit_kind(fitter, kind: str, n_boot: int, seed: int, *args, **kw) -> FitResult:
    """``fitter`` with ``ANALYSIS_METHODS[kind]``'s options and calibration note (bootstrap methods need ≥ 20)."""
    m = ANALYSIS_METHODS[kind]
    opts = dict(m["fit"])
    if n_boot == 0:
        opts["interval"] = "profile"
    elif opts["interval"] != "profile":
        n_boot = max(n_boot, 20)
    return fitter(*args, n_boot=n_boot, seed=seed, calibration=m["calibration"], **opts, **kw)


@dataclass
class _Run:
    """What the four analyses of one :func:`run_analyses` call share: options, progress, and the growing tables."""

    seed: int
    n_boot: int
    n_boot_windows: int
    windows: bool
    loss_column: str
    bar: tqdm
    fits: list = field(default_factory=list)
    verdicts: list = field(default_factory=list)
    sens: list = field(default_factory=list)
    curves: list = field(default_factory=list)
    alpha: dict = field(default_factory=dict)  # (family, param count) -> (alpha_hat, draws, params verdict)
    joint: list = field(default_factory=list)

    def window_set(self, windows: tuple) -> tuple:
        return windows if self.windows else windows[:1]

    def fit(self, kind: str, key: str, x: np.ndarray, y: np.ndarray, is_default: bool, x_name: str) -> FitResult:
        """L = E + A·x^-a by analysis ``kind``'s calibrated method, with the seed of ``key``; default windows get
        n_boot refits, the others n_boot_windows (bootstrap-calibrated methods at least 20; 0 gives profile-t
        limits without refits, and no verdict)."""
        self.bar.update(1)
        return _fit_kind(fit_power_law, kind, self.n_boot if is_default else self.n_boot_windows,
                         seed_for(self.seed, key), x, y, x_name=x_name, y_name=self.loss_column)

    def record(self, row: dict, window: str, is_default: bool, n_points: int) -> None:
        """A verdict row goes to the window-sensitivity table, and to the verdicts when its window is the default."""
        self.sens.append(window_row(row, window, is_default, n_points))
        if is_default:
            self.verdicts.append(row)


def _params_analysis(run: _Run, fam: str, final: pd.DataFrame) -> None:
    """α_N: L = E + A·N^-α on the final checkpoints, per parameter count; sets ``run.alpha`` for the others.

    The verdict passed on with α is the default window's, or ``fragile`` when it is not robust across the params
    windows (:func:`empirical.fit.verdicts.fragility`, the rule :func:`with_window_agreement` applies to the table).
    """
    for pc, col in PARAM_COUNTS.items():
        if len(final) < 4:
            raise ValidationError(f"family {fam!r} has {len(final)} sizes in column 'model'; "
                             f"fitting L = E + A·N^-α needs at least 4")
        seen = []
        for w_i, (drop_lo, drop_hi, lab) in enumerate(run.window_set(PARAMS_WINDOWS)):
            sub = final.iloc[drop_lo:len(final) - drop_hi]
            if len(sub) < 4:
                continue
            fit = run.fit("params", f"params|{fam}|{pc}|{lab}", sub[col].to_numpy(float), sub["loss"].to_numpy(),
                          w_i == 0, col)
            noise = _noise_log(sub, run.loss_column)
            run.fits.append(_fit_rows(fit, goodness_of_fit(fit, noise), analysis="params", family=fam, subject=pc,
                                      x_column=col, window=lab, is_default=w_i == 0))
            row = verdict_row("params_power_law", fam, pc, "L = E + A·N^-α", pc, fit,
                              params_verdict(fit, sub, col, noise), "params")
            run.record(row, lab, w_i == 0, len(sub))
            seen.append(row["verdict"])
            if w_i == 0:
                run.alpha[(fam, pc)] = (fit.params["a"], fit.boot_frame()["a"].to_numpy(), row["verdict"])
                run.curves += _curve_rows(fit, final[col].to_numpy(float), final["loss"].to_numpy(),
                                          np.ones(len(final), bool), {},
                                          {"analysis": "params", "family": fam, "subject": pc}, col)
        if fragility(seen[0], seen):
            run.alpha[(fam, pc)] = (*run.alpha[(fam, pc)][:2], "fragile")


def _steps_verdicts(run: _Run, fam: str, model: str, key: str, fit: FitResult, window: str, is_default: bool,
                    n_points: int, gof: dict) -> dict:
    """a_steps against α/(α+2) and α/(α+1), for α from both parameter counts; returns the theory lines (non-emb.)."""
    reason = fit_problem(fit, "a")
    draws = fit.boot_frame()["a"].to_numpy()
    lines = {}
    for src in ("nonembedding", "total"):
        ah, ad, av = run.alpha[(fam, src)]
        gap = abs(predicted_exponent(ah, "flops", order="parallel")
                  - predicted_exponent(ah, "flops", order="sequential"))
        for order in ("sequential", "parallel"):
            hyp = STEPS_HYPOTHESES[order]
            rng = pair_rng(run.seed, key, _RNG_KEYS[hyp], src)
            c = compare(fit.params["a"], draws, ad, "flops", order, ah, rng, gap, reason,
                        alpha_verdict=av, note=approximate_note("steps"))
            run.record(verdict_row("steps_exponent", fam, model, hyp, src, fit, c, "steps", gof=gof), window,
                       is_default, n_points)
            if src == "nonembedding":
                lines[f"theory_{order}"] = (c["predicted"], c["pred_low"], c["pred_high"])
    return lines


def _steps_analysis(run: _Run, fam: str, g: pd.DataFrame) -> None:
    """At each fixed size, L = E + A·step^-a over the training run (flops ∝ steps at fixed N)."""
    for m, gm in g.groupby("model", sort=False):
        gm = gm[gm["step"] > 0].sort_values("step")
        wins = steps_windows(int(gm["step"].max()))
        for lo, hi, lab, is_def in (wins if run.windows else [wins[DEFAULT_STEPS_WINDOW]]):
            sub = gm[(gm["step"] >= lo) & (gm["step"] <= hi)]
            if len(sub) < 4 or sub["step"].nunique() < 3:
                run.bar.update(1)
                continue
            key = f"steps|{fam}|{m}|{lab}"
            fit = run.fit("steps", key, sub["step"].to_numpy(float), sub["loss"].to_numpy(), is_def, "step")
            gof = goodness_of_fit(fit, _noise_log(sub, run.loss_column))
            run.fits.append(_fit_rows(fit, gof, analysis="steps", family=fam, subject=m, x_column="step",
                                      window=lab, is_default=is_def,
                                      model_params_nonembedding=float(gm["params_nonembedding"].iloc[0])))
            lines = _steps_verdicts(run, fam, m, key, fit, lab, is_def, len(sub), gof)
            if is_def:
                in_win = ((gm["step"] >= lo) & (gm["step"] <= hi)).to_numpy()
                run.curves += _curve_rows(fit, gm["step"].to_numpy(float), gm["loss"].to_numpy(), in_win, lines,
                                          {"analysis": "steps", "family": fam, "subject": m}, "step")


#: The frontier's two hypotheses, each labelled by the learner that produces it: (label, axis and order of
#: theory.skills.predicted_exponent). α/(α+2) is the compute frontier of a capacity-limited learner whatever its
#: learning order (claim thm-3.8-frontier); α/(α+1) is the frontier only of a learner without a capacity limit.
FRONTIER_HYPOTHESES = (("a = α/(α+2) (capacity-limited learner, any order)", "frontier", "sequential"),
                        ("a = α/(α+1) (learner without a capacity limit)", "flops", "parallel"))
#: The steps axis at fixed size tells the learning order apart: (order -> label).
STEPS_HYPOTHESES = {"sequential": "a = α/(α+2) (sequential learner)", "parallel": "a = α/(α+1) (parallel learner)"}
#: The key of each hypothesis's pairing generator: the labels the hypotheses had when the tables were first
#: published, so relabelling them does not redraw the paired intervals.
_RNG_KEYS = {STEPS_HYPOTHESES["sequential"]: "a = α/(α+2) (sequential)",
             STEPS_HYPOTHESES["parallel"]: "a = α/(α+1) (parallel)",
             FRONTIER_HYPOTHESES[0][0]: "a = α/(α+2) (frontier)", FRONTIER_HYPOTHESES[1][0]: "a = α/(α+1) (parallel)"}
#: The learner behind each hypothesis, as ``test_outcome`` names it.
LEARNERS = {STEPS_HYPOTHESES["sequential"]: "sequential", STEPS_HYPOTHESES["parallel"]: "parallel",
            FRONTIER_HYPOTHESES[0][0]: "capacity-limited", FRONTIER_HYPOTHESES[1][0]: "no capacity limit"}


def _frontier_analysis(run: _Run, fam: str, g: pd.DataFrame) -> None:
    """The lower envelope of loss over every checkpoint against C = 6·N·D, fitted as E + A·C^-a."""
    final_step = g.groupby("model")["step"].transform("max")
    for pc, fcol in FLOPS_COLUMNS.items():
        ah, ad, av = run.alpha[(fam, pc)]
        gap = abs(predicted_exponent(ah, "flops", order="parallel") - predicted_exponent(ah, "frontier"))
        sizes = np.sort(g[PARAM_COUNTS[pc]].unique())
        for w_i, (frac, drop_small, lab) in enumerate(run.window_set(FRONTIER_WINDOWS)):
            pool = g[(g["step"] >= np.ceil(frac * final_step)) & (g["step"] > 0)
                     & (g[PARAM_COUNTS[pc]] >= sizes[min(drop_small, len(sizes) - 1)])]
            env = pareto_frontier(pool, fcol)
            if len(env) < 4 or env[fcol].nunique() < 3:
                run.bar.update(1)
                continue
            key = f"frontier|{fam}|{pc}|{lab}"
            fit = run.fit("frontier", key, env[fcol].to_numpy(float), env["loss"].to_numpy(), w_i == 0, fcol)
            gof = goodness_of_fit(fit, _noise_log(env, run.loss_column))
            run.fits.append(_fit_rows(fit, gof, analysis="frontier", family=fam, subject=pc, x_column=fcol,
                                      window=lab, is_default=w_i == 0))
            reason = fit_problem(fit, "a")
            draws = fit.boot_frame()["a"].to_numpy()
            lines = {}
            for (hyp, axis, order), kind in zip(FRONTIER_HYPOTHESES, ("theory_sequential", "theory_parallel")):
                rng = pair_rng(run.seed, key, _RNG_KEYS[hyp], pc)
                c = compare(fit.params["a"], draws, ad, axis, order, ah, rng, gap, reason, alpha_verdict=av,
                            note=approximate_note("frontier"))
                run.record(verdict_row("frontier_exponent", fam, pc, hyp, pc, fit, c, "frontier", gof=gof), lab,
                           w_i == 0, len(env))
                lines[kind] = (c["predicted"], c["pred_low"], c["pred_high"])
            if w_i == 0:
                keys = {"analysis": "frontier", "family": fam, "subject": pc}
                run.curves += _curve_rows(fit, env[fcol].to_numpy(float), env["loss"].to_numpy(),
                                          np.ones(len(env), bool), lines, keys, fcol)
                run.curves.append(pd.DataFrame({**keys, "x_name": fcol, "kind": "checkpoints",
                                                "x": pool[fcol].to_numpy(float), "y": pool["loss"].to_numpy(),
                                                "y_low": np.nan, "y_high": np.nan, "E_hat": fit.params["E"],
                                                "in_window": True, "model": pool["model"].to_numpy()}))


def _joint_analysis(run: _Run, fam: str, g: pd.DataFrame) -> None:
    """L = E + A/N^α + B/D^β over every checkpoint from 2% of training (D = tokens): the fit's row (profile-t
    intervals, which treat the rows as iid), and the joint test with a bootstrap over whole models
    (:func:`empirical.fit.joint.joint_table`, ``n_boot_windows`` worlds)."""
    final_step = g.groupby("model")["step"].transform("max")
    pool = g[(g["step"] >= np.ceil(0.02 * final_step)) & (g["step"] > 0)]
    run.bar.update(1)
    if len(pool) >= 6 and pool["params_nonembedding"].nunique() >= 3 and pool["tokens"].nunique() >= 3:
        jf = _fit_kind(fit_joint_law, "joint", run.n_boot_windows, seed_for(run.seed, f"joint|{fam}"),
                       pool["params_nonembedding"].to_numpy(float), pool["tokens"].to_numpy(float),
                       pool["loss"].to_numpy(), names=("params_nonembedding", "tokens", run.loss_column))
        run.fits.append(_fit_rows(jf, goodness_of_fit(jf, _noise_log(pool, run.loss_column)), analysis="joint",
                                  family=fam, subject="nonembedding", x_column="params_nonembedding,tokens",
                                  window="from 2% (default)", is_default=True))
        if run.n_boot_windows:
            run.joint.append(joint_table(fam, pool, n_boot=run.n_boot_windows,
                                         seed=seed_for(run.seed, f"joint-models|{fam}")))


def _n_fits(d: pd.DataFrame, families: list[str], windows: bool) -> int:
    """How many fits :func:`run_analyses` will attempt, so the progress bar is honest."""
    def n(w):
        return len(w) if windows else 1

    total = 0
    for fam in families:
        total += len(PARAM_COUNTS) * (n(PARAMS_WINDOWS) + n(FRONTIER_WINDOWS)) + 1
        total += d.loc[d["family"] == fam, "model"].nunique() * n(STEPS_WINDOWS)
    return total


def run_analyses(df: pd.DataFrame, *, loss_column: str = DEFAULT_LOSS, seed: int = 0, n_boot: int = 1000,
                 n_boot_windows: int | None = None, windows: bool = True,
                 progress: bool = True) -> dict[str, pd.DataFrame]:
    """Fit every analysis on ``df`` and test the theory; return tidy tables.

    Parameters
    ----------
    df : loss table with the columns of ``lambada_v1.csv`` (at least ``model,
        params_total, params_nonembedding, step, tokens`` and ``loss_column``;
        see :func:`empirical.fit.pythia.validate_loss_table`).
    loss_column : the loss to fit, in nats (e.g. ``heldout_loss_nats`` for
        the mini-Pythia table).
    seed : base seed; each fit gets a seed derived from it and its own key, so
        the tables are byte-identical for a given seed.
    n_boot : bootstrap refits for default-window fits; ``n_boot_windows``
        (default n_boot // 2) for the window-sensitivity refits. 0 fits
        without intervals: every verdict is then ``inconclusive``, its reason
        saying that no bootstrap was requested.
    windows : also compute the window-sensitivity table.

    Returns
    -------
    dict with tables

    ``fits``: one row per (fit, parameter): ``analysis, family, subject,
      x_column, window, is_default, model_params_nonembedding`` (N of the
      model for steps fits, else NaN) + :meth:`FitResult.to_frame` columns +
      the goodness of fit :data:`GOF_COLUMNS` (``eval_noise_log, chi2, dof,
      chi2_p, sigma_extra, sigma_extra_95``).
    ``verdicts``: one row per (test, family, subject, hypothesis): the
      columns of :data:`empirical.fit.verdicts.VERDICT_COLUMNS` (``verdict``,
      ``direction``, ``outcome``, χ² columns, ...), ``window_agreement,
      n_windows``, ``learner`` (the model behind the hypothesis),
      ``test_outcome`` (the test's two hypotheses read together) and
      ``drift_coverage`` (how often the analysis's interval covers a drifting
      exponent, from the coverage study).
    ``window_sensitivity``: the same verdicts re-derived per window:
      ``test, family, subject, hypothesis, alpha_source, window, is_default,
      n_points, estimate, ci_low, ci_high, predicted, verdict, direction,
      usable``.
    ``joint``: the joint test of :func:`empirical.fit.joint.joint_table`
      (bootstrap over whole models, ``n_boot_windows`` worlds).
    ``curves``: for plotting (default windows): ``analysis, family, subject,
      x_name, kind, x, y, y_low, y_high, E_hat, in_window``; ``kind`` is
      ``data`` (all points, ``in_window`` marks the fitted ones), ``fit``
      (bootstrap band in ``y_low/y_high``), ``theory_sequential``,
      ``theory_parallel`` (predicted slope anchored on the fit at the window's
      geometric midpoint, band from the α interval) or, for the frontier,
      ``checkpoints`` (every checkpoint, grey in the figure).
    ``caveats``: ``caveat, detail``.
    """
    n_boot = nonnegative_int(n_boot, "n_boot")
    nbw = n_boot // 2 if n_boot_windows is None else nonnegative_int(n_boot_windows, "n_boot_windows")
    d = select_rows(df, loss_column)
    families = [f for f in ("standard", "deduped") if (d["family"] == f).any()]
    bar = tqdm(total=_n_fits(d, families, windows), desc="empirical fit", disable=not progress, file=None)
    run = _Run(seed=seed, n_boot=n_boot, n_boot_windows=nbw, windows=windows, loss_column=loss_column, bar=bar)
    for fam in families:
        g = d[d["family"] == fam]
        final = g[g["step"] == g.groupby("model")["step"].transform("max")].sort_values("params_nonembedding")
        _params_analysis(run, fam, final)
        _steps_analysis(run, fam, g)
        _frontier_analysis(run, fam, g)
        _joint_analysis(run, fam, g)
    bar.close()
    return _tables(run)


#: The analysis (a key of ANALYSIS_METHODS) behind each test.
_KIND = {"params_power_law": "params", "steps_exponent": "steps", "frontier_exponent": "frontier"}


def _tables(run: _Run) -> dict[str, pd.DataFrame]:
    """The tables of :func:`run_analyses` from what the analyses recorded."""
    sens = pd.DataFrame(run.sens, columns=list(WINDOW_COLUMNS))
    ver = with_summaries(with_window_agreement(pd.DataFrame(run.verdicts), sens))
    ver = with_test_outcomes(ver, LEARNERS)
    ver["drift_coverage"] = ver["test"].map(lambda t: ANALYSIS_METHODS[_KIND[t]]["drift_coverage"])
    fits = pd.concat(run.fits, ignore_index=True)
    cols = list(fits.columns)
    cols.insert(6, cols.pop(cols.index("model_params_nonembedding")))
    joint = pd.concat(run.joint, ignore_index=True) if run.joint else pd.DataFrame(columns=list(JOINT_COLUMNS))
    return {
        "fits": fits[cols],
        "verdicts": ver.reset_index(drop=True),
        "window_sensitivity": sens,
        "curves": pd.concat(run.curves, ignore_index=True),
        "joint": joint,
        "caveats": pd.DataFrame([c for c in CAVEATS if run.loss_column == DEFAULT_LOSS or c[0] not in PYTHIA_ONLY],
                                columns=["caveat", "detail"]),
    }


def report_tables(seed: int = 0, progress: bool = True, n_boot: int = 1000) -> dict[str, pd.DataFrame]:
    """The report's section 3: every table of :func:`run_analyses` on the shipped Pythia data, the headline and
    the coverage study.

    ``verdicts_headline`` is :func:`empirical.fit.verdicts.headline` of the
    verdicts; ``coverage`` is :func:`empirical.fit.methods.study_table` (the
    400-draw study behind the interval methods, shipped as a CSV). n_boot
    refits per default-window fit (half for the other windows).
    """
    from .methods import study_table

    tabs = run_analyses(load_pythia(), seed=seed, n_boot=n_boot, n_boot_windows=n_boot // 2, progress=progress)
    return {**tabs, "verdicts_headline": headline(tabs["verdicts"]), "coverage": study_table()}
