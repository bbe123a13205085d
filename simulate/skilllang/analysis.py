"""Section 3 (Assumption 3.5, Lemma 3.6, Theorems 3.7, 3.8) measured on the skill-language family, truth known.

Every per-skill loss is first put on the neural experiment's scale,
``ln 2 · (loss − C) / (B − C)`` with the language's exact C and B
(Definition 3.4), so that a skill is *learned* at the first evaluation where
it is halfway from B to C (0.5 ln 2; second threshold 0.1 ln 2) and every
measurement and prediction of :mod:`simulate.neural` applies unchanged: the
learning times, order and concurrency (:mod:`simulate.neural.measure`), the
slopes and their verdicts (:mod:`simulate.neural.slopes`) and the idealized
learners' finite-M predictions (:mod:`simulate.neural.predict`).

Axes of the ``exponents`` table (:data:`simulate.neural.EXPONENT_COLUMNS`):

- ``learning_time`` (largest size): slope of t_k in k against the sequential
  and parallel learners on the same window: Assumption 3.5 asked of transformers.
- ``steps`` (each of the two largest sizes): exponent of the mean excess loss
  in steps, against α/(α+2)-like and α/(α+1)-like finite-M predictions.
- ``params``: exponent of the final mean excess loss in the non-embedding
  parameter count (Theorem 3.7: α), predicted for capacity learners holding the
  measured n_lo..n_hi skills (Lemma 3.6's finite-M bend).
- ``tasks_vs_params``: skills learned against parameters (slope 1 if N = r·n).
- ``frontier``: the lower envelope over sizes of the mean excess loss against
  6·N·D (N non-embedding, D tokens), asymptotic predictions α/(α+2)
  (sequential learner, and a capacity-limited parallel one: theory's
  ``thm-3.8-frontier``) and α/(α+1) (parallel, unlimited capacity).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError
from theory import skills as SK

from ..neural import measure as M
from ..neural.analysis import (
    EXPONENT_COLUMNS,
    exponent_row,
    learning_time_exponents,
    steps_exponent_row,
    tasks_exponent_row,
    width_exponent_row,
)
from ..neural.slopes import fit_slope

__all__ = ["normalized_loss", "analyze_family", "loss_table", "truth_exponents", "LOSS_TABLE_COLUMNS", "SHOW_SKILLS"]

SHOW_SKILLS = 24
LOSS_TABLE_COLUMNS = ["model", "params_total", "params_nonembedding", "step", "tokens", "heldout_loss_nats"]


def normalized_loss(loss, C: float, B: float) -> np.ndarray:
    """``ln 2 · (loss − C) / (B − C)``: 0 at a comprehended skill, ln 2 at an unknown one (Definition 3.4)."""
    if not B > C:
        raise ValidationError(f"B must exceed C, got B={B}, C={C}")
    return M.LN2 * (np.asarray(loss, dtype=np.float64) - C) / (B - C)


def loss_table(runs, lang, config) -> pd.DataFrame:
    """The family's loss table in the fit layer's format (one row per size and checkpoint; mean loss in nats)."""
    ck = np.array(config.checkpoints)
    rows = []
    for r in runs:
        keep = np.isin(r.steps, ck)
        for s, lvec in zip(r.steps[keep], r.loss[keep]):
            rows.append({"model": r.name, "params_total": r.params_total, "params_nonembedding": r.params_nonembedding,
                         "step": int(s), "tokens": int(s) * config.tokens_per_step,
                         "heldout_loss_nats": float(lvec @ lang.p)})
    return pd.DataFrame(rows, columns=LOSS_TABLE_COLUMNS)


def _per_size(r, lang, alpha, th0):
    C, B = lang.loss_floor(), lang.loss_unlearned()
    z = normalized_loss(r.loss, C, B)
    tag = {"alpha": alpha, "seed": 0, "size": r.name, "width": r.params_nonembedding}
    lt = M.learning_times(r.steps, z, lang.p).assign(**tag)
    od = M.order_summary(lt, r.steps, z).assign(**tag)
    ml = M.mean_loss(r.steps, z, lang.p).assign(**tag)
    ml["loss_nats"] = r.loss @ lang.p
    final = z[-1]
    n = int((final <= th0 * M.LN2).sum())
    size = {"alpha": alpha, "size": r.name, "d_model": r.size.d_model, "n_layers": r.size.n_layers,
            "params_total": r.params_total, "params_nonembedding": r.params_nonembedding,
            "final_loss_nats": float(r.loss[-1] @ lang.p), "final_excess_norm": float(final @ lang.p),
            "skills_learned": n, "lemma36_excess_norm": float(M.LN2 * SK.skill_tail_mass(n, alpha, lang.skills))
            if lang.law == "power" else np.nan}  # training time is a measurement of the machine: in the run's meta
    return lt, od, ml, size


def _frontier_row(alpha, ml, tokens_per_step, tasks):
    """Lower envelope of mean excess loss over every evaluation of every size against 6·N·D."""
    d = ml[ml["step"] > 0].assign(compute=lambda t: 6.0 * t["width"] * t["step"] * tokens_per_step)
    d = d[d["tasks_learned"] > 0].sort_values("compute")
    env = d[d["loss"] < d["loss"].cummin().shift(fill_value=np.inf)]
    asym = (SK.predicted_exponent(alpha, "frontier"), SK.predicted_exponent(alpha, "flops", order="parallel"))
    if len(env) < 4:
        return exponent_row(alpha, "frontier", M.THRESHOLDS[0], None, (np.nan, np.nan), asym, (np.nan, np.nan),
                            "6ND", tasks, None, f"no fit: {len(env)} frontier points (need 4)"), env
    fit = fit_slope(env["compute"], env["loss"], ordered=True)
    fit.slope, fit.ci_low, fit.ci_high = -fit.slope, -fit.ci_high, -fit.ci_low
    note = (f"{len(env)} frontier points from {env['size'].nunique()} sizes; asymptotic predictions: α/(α+2) "
            "(sequential, or parallel with capacity N/r: thm-3.8-frontier), α/(α+1) (parallel, unlimited capacity)")
    return exponent_row(alpha, "frontier", M.THRESHOLDS[0], fit, asym, asym,
                        (env["compute"].min(), env["compute"].max()), "6ND", tasks, None, note), env


def analyze_family(runs, lang, config) -> dict[str, pd.DataFrame]:
    """Every table of one alpha's family (see the module docstring for ``exponents``).

    Returns ``sizes``, ``learning_times``, ``order``, ``mean_loss``, ``skill_curves`` (skills 1..24 at the
    largest size), ``exponents``, ``frontier`` (the envelope's points) and ``loss_table`` (:func:`loss_table`).
    """
    runs = sorted(runs, key=lambda r: r.params_nonembedding)
    if len(runs) < 1:
        raise ValidationError("runs must not be empty")
    alpha, T, th0 = float(lang.alpha), lang.skills, M.THRESHOLDS[0]
    per = [_per_size(r, lang, alpha, th0) for r in runs]
    lt, od, ml = (pd.concat([p[i] for p in per], ignore_index=True) for i in range(3))
    sizes = pd.DataFrame([p[3] for p in per])
    big = runs[-1]
    wt = sizes.rename(columns={"params_nonembedding": "params", "final_excess_norm": "final_loss",
                               "skills_learned": "tasks_learned"}).assign(seed=0, width=sizes["params_nonembedding"])
    rows = [learning_time_exponents(lt[lt["size"] == big.name], alpha, T, big.params_nonembedding)]
    for r in runs[-2:]:
        rows.append(pd.DataFrame([steps_exponent_row(alpha, ml[ml["size"] == r.name], lt[lt["size"] == r.name], T,
                                                     r.params_nonembedding, th0)], columns=EXPONENT_COLUMNS))
    p_row = width_exponent_row(alpha, wt, T, th0)
    p_row["axis"] = "params"
    f_row, env = _frontier_row(alpha, ml, config.tokens_per_step, T)
    rows.append(pd.DataFrame([p_row, tasks_exponent_row(alpha, wt, T, th0), f_row], columns=EXPONENT_COLUMNS))
    k = min(SHOW_SKILLS, T)
    z = normalized_loss(big.loss[:, :k], lang.loss_floor(), lang.loss_unlearned())
    curves = pd.DataFrame({"alpha": alpha, "size": big.name, "step": np.repeat(big.steps, k),
                           "skill": np.tile(np.arange(1, k + 1), big.steps.size), "p_skill": np.tile(lang.p[:k],
                                                                                                 big.steps.size),
                           "loss_nats": big.loss[:, :k].ravel(), "loss_norm": z.ravel()})
    return {"sizes": sizes, "learning_times": lt, "order": od, "mean_loss": ml, "skill_curves": curves,
            "exponents": pd.concat(rows, ignore_index=True), "frontier": env.assign(alpha=alpha),
            "loss_table": loss_table(runs, lang, config).assign(alpha=alpha)}


def _excess_exponent(x, y):
    fit = fit_slope(x, y, ordered=True)
    return {"estimate": -fit.slope, "ci_low": -fit.ci_high, "ci_high": -fit.ci_low, "n_points": fit.n_points,
            "interval_kind": fit.interval_kind}


def truth_exponents(table: pd.DataFrame, C: float, *, start_frac: float = 0.02) -> pd.DataFrame:
    """The steps and frontier exponents of ``loss − C`` with the floor C known, on the points a fit of ``table``
    (:func:`loss_table`'s columns) uses: checkpoints from ``start_frac`` of each size's last step (the fit layer's
    default window; the caller passes it), per size for steps and on the lower envelope over 6·N·D for the frontier
    (N non-embedding and total). Columns: test, subject, estimate, ci_low, ci_high, n_points, interval_kind."""
    rows = []
    last = table.groupby("model")["step"].transform("max")
    pool = table[(table["step"] >= np.ceil(start_frac * last)) & (table["step"] > 0)]
    for m, g in pool.groupby("model", sort=False):
        g = g.sort_values("step")
        if len(g) >= 4:
            rows.append({"test": "steps_exponent", "subject": m,
                         **_excess_exponent(g["step"].to_numpy(float), g["heldout_loss_nats"].to_numpy() - C)})
    for pc in ("nonembedding", "total"):
        d = pool.assign(compute=6.0 * pool[f"params_{pc}"] * pool["tokens"]).sort_values("compute")
        env = d[d["heldout_loss_nats"] < d["heldout_loss_nats"].cummin().shift(fill_value=np.inf)]
        if len(env) >= 4:
            rows.append({"test": "frontier_exponent", "subject": pc,
                         **_excess_exponent(env["compute"].to_numpy(), env["heldout_loss_nats"].to_numpy() - C)})
    return pd.DataFrame(rows, columns=["test", "subject", "estimate", "ci_low", "ci_high", "n_points",
                                       "interval_kind"])
