"""Section 3 on transformers, several seeds: each seed's family analysed alone, then the exponents across seeds.

A seed (:func:`simulate.skilllang.configs`' ``seed``) sets the models' initial
weights and the language's own random draws (which letters name which skill,
each skill's lookup table); M, α, the law, the noise, the schedule and the data
stream's generator are the same for every seed. The seeds are independent
replicates of one recipe, over initialisations and language draws alike.
Each seed is analysed by :func:`simulate.skilllang.analysis.analyze_family`
exactly as the report tier is; :func:`seed_tables` stacks the per-seed tables
(column ``seed``) and :func:`seed_summary` sets, for every exponent row (one
alpha, axis, threshold and size), the per-seed values beside

- their mean, seed-to-seed sd and the **between-seed 95% interval**
  (:func:`simulate.neural.slopes.between_seed_interval`: a Student-t interval
  over the g fitted seeds, wide with g = 3 since t_{2, 0.975} = 4.30; none with
  one fitted seed);
- the median half-width of the per-seed **within-run** intervals (each seed's own
  interval of ``interval_kind``: jackknife, block bootstrap), which measure misfit
  within one run, not run-to-run randomness;
- the learners' predictions (mean over seeds: they depend on each seed's window
  and skills learned; ``predicted_spread`` is their range), the verdict of the
  between-seed interval, and the count of each per-seed verdict
  (``"both rejected 3/3"``).
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError, ValidationTypeError, nonnegative_int

from ..neural.slopes import between_seed_interval, verdict

__all__ = ["seed_tables", "seed_summary", "count_phrase", "SUMMARY_COLUMNS", "SEED_TABLES"]

#: The per-seed tables kept (learning times and skill curves stay in the cache: 50k rows at the full tier).
SEED_TABLES = ("exponents", "sizes", "order", "frontier", "mean_loss", "loss_table", "languages")
#: One exponent row of every seed: the same alpha, axis, threshold and size (``width``: its parameter count).
KEY = ["alpha", "axis", "threshold", "width"]
#: The analysis's axes in the order its exponents table lists them.
AXES = ("learning_time", "steps", "params", "tasks_vs_params", "frontier")
SUMMARY_COLUMNS = KEY + ["seeds", "n_fitted", "fitted_per_seed", "mean", "seed_sd", "ci_low", "ci_high",
                         "interval_kind", "within_half_median", "within_interval_kind", "predicted_sequential",
                         "predicted_parallel", "predicted_spread", "verdict", "verdict_counts"]
#: SkillLanguage and schedule fields every seed must share (``cache`` and the language's ``seed`` differ).
_SAME = ["alpha", "skills", "letters", "name_len", "inputs", "answers", "noise", "per_seq", "law", "steps",
         "batch_seqs", "lr", "warmup"]


def count_phrase(values) -> str:
    """``"both rejected 2/3; sequential rejected 1/3"``: each distinct value (as text) with its count over all,
    most frequent first, ties in text order."""
    c = Counter(map(str, values))
    n = sum(c.values())
    return "; ".join(f"{v} {k}/{n}" for v, k in sorted(c.items(), key=lambda vk: (-vk[1], vk[0])))


def _summary_row(key, g: pd.DataFrame) -> dict:
    b = g["fitted"].to_numpy(float)
    ok = np.isfinite(b)
    if ok.sum() >= 2:
        m, sd, lo, hi, kind = between_seed_interval(b[ok])
    else:
        m = float(b[ok][0]) if ok.any() else np.nan
        sd = lo = hi = np.nan
        kind = f"none ({int(ok.sum())} seed fitted)"
    ps, pp = (g[c].to_numpy(float) for c in ("predicted_sequential", "predicted_parallel"))
    p_seq, p_par = (float(np.mean(p[np.isfinite(p)])) if np.isfinite(p).any() else np.nan for p in (ps, pp))
    both = np.concatenate([ps[np.isfinite(ps)], pp[np.isfinite(pp)]])
    spread = max(float(np.ptp(ps[np.isfinite(ps)])) if np.isfinite(ps).any() else 0.0,
                 float(np.ptp(pp[np.isfinite(pp)])) if np.isfinite(pp).any() else 0.0) if both.size else np.nan
    half = (g["ci_high"] - g["ci_low"]).to_numpy(float) / 2
    return {**dict(zip(KEY, key)), "seeds": " ".join(str(int(s)) for s in g["seed"]), "n_fitted": int(ok.sum()),
            "fitted_per_seed": " ".join(f"{v:.4g}" for v in b), "mean": m, "seed_sd": sd, "ci_low": lo,
            "ci_high": hi, "interval_kind": kind,
            "within_half_median": float(np.median(half[np.isfinite(half)])) if np.isfinite(half).any() else np.nan,
            "within_interval_kind": " / ".join(dict.fromkeys(g["interval_kind"].astype(str))),
            "predicted_sequential": p_seq, "predicted_parallel": p_par, "predicted_spread": spread,
            "verdict": verdict(lo, hi, p_seq, p_par)[0], "verdict_counts": count_phrase(g["verdict"])}


def seed_summary(exponents: pd.DataFrame) -> pd.DataFrame:
    """One row per exponent row across seeds (:data:`SUMMARY_COLUMNS`; see the module docstring).

    ``exponents``: per-seed ``exponents`` tables stacked, with a ``seed`` column (each seed once per row key).
    Rows: by alpha, axis (:data:`AXES` order), threshold (0.5 first) and size; the result does not depend on the
    order of the rows or seeds in the input.
    """
    need = set(KEY) | {"seed", "fitted", "ci_low", "ci_high", "interval_kind", "predicted_sequential",
                       "predicted_parallel", "verdict"}
    if not isinstance(exponents, pd.DataFrame) or not need <= set(exponents.columns):
        raise ValidationError(f"exponents must be a DataFrame with columns {sorted(need)}")
    e = exponents.sort_values("seed", kind="stable")
    if e.duplicated(KEY + ["seed"]).any():
        raise ValidationError("exponents: a seed appears twice for one (alpha, axis, threshold, width)")
    rows = pd.DataFrame([_summary_row(k, g) for k, g in e.groupby(KEY, dropna=False, sort=False)],
                        columns=SUMMARY_COLUMNS)
    rank = rows["axis"].map({a: i for i, a in enumerate(AXES)}).fillna(len(AXES))
    order = rows.assign(_r=rank, _t=-rows["threshold"]).sort_values(["alpha", "_r", "axis", "_t", "width"],
                                                                    kind="stable", na_position="last").index
    return rows.loc[order].reset_index(drop=True)


def seed_tables(per_seed) -> dict[str, pd.DataFrame]:
    """``{seed: tables of one seed}`` (each :func:`simulate.skilllang.run_experiment`'s tables) -> the tables of
    :data:`SEED_TABLES` stacked with a leading ``seed`` column (seeds ascending) and ``exponents_summary``
    (:func:`seed_summary`). Refused when the seeds' languages or schedules differ in more than the seed."""
    if not isinstance(per_seed, dict) or not per_seed:
        raise ValidationTypeError("per_seed must be a non-empty dict {seed: tables}")
    seeds = sorted(nonnegative_int(s, "per_seed's seed") for s in per_seed)
    ref = per_seed[seeds[0]]["languages"][_SAME].reset_index(drop=True)
    for s in seeds[1:]:
        other = per_seed[s]["languages"][_SAME].reset_index(drop=True)
        if not ref.equals(other):
            raise ValidationError(f"seed {s}: its language or schedule differs from seed {seeds[0]}'s in more than "
                                  "the seed; a summary over seeds needs replicates of one family")
    out = {}
    for name in SEED_TABLES:  # the languages table's own ``seed`` is the language's: kept as language_seed
        df = pd.concat([per_seed[s][name].rename(columns={"seed": "language_seed"} if name == "languages" else {})
                        .assign(seed=int(s)) for s in seeds], ignore_index=True)
        out[name] = df[["seed"] + [c for c in df.columns if c != "seed"]]
    out["exponents_summary"] = seed_summary(out["exponents"])
    return out
