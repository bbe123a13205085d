"""Section 3 (Theorems 3.7, 3.8): the Epoch-style joint test, L(N, D) = E + A/N^α + B/D^β with a bootstrap over models.

Hoffmann et al. (2022, approach 3) and Besiroglu et al. (2024) fit the joint
law to every (model, checkpoint) and read the compute-optimal allocation off
it. Checkpoints of one training run share its noise, so the unit of
resampling is the **model** (a run), not the point: each bootstrap world
draws the family's models with replacement and refits, in that world,

* the joint law over every checkpoint of the drawn models (D = tokens seen),
* the power law in N over their final checkpoints (α_N, Theorem 3.7),
* the lower envelope of all their checkpoints against C = 6·N·D, its
  exponent (E + A·C^-a) and its N_opt(C) slope (least squares of ln N on
  ln C over the envelope's points).

Worlds with fewer than 3 distinct sizes, or whose joint fit is not an interior
optimum, are dropped and counted (``boot_ok_frac``). Percentile intervals over
the worlds; every comparison pairs quantities of the same world, so their
correlation is carried. What the law implies (Hoffmann et al., Eq. 4): on the
frontier N_opt ∝ C^{β/(α+β)} and L − E ∝ C^{−αβ/(α+β)}.

Rows of :func:`joint_table` (``quantity`` against ``compared_with``):

=====================  ===================================================================
``alpha``              α of the joint law against α_N of the final checkpoints (Theorem 3.7)
``beta``               β against α/(α+2) (sequential learner) and α/(α+1) (capacity-limited
                       parallel learner: skill k needs D ∝ k^(α+1) tokens), α = α_N
``compute_optimal``    αβ/(α+β) against the envelope's fitted exponent, and against α/(α+2)
``nopt_slope``         β/(α+β) against the envelope's N_opt(C) slope
=====================  ===================================================================

The interval's coverage on data drawn from the law with known parameters is
tested in tests/empirical/test_joint_bootstrap.py (figures in docs/statistics.md).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.validation import nonnegative_int

from .solver import _OK, _make_design, _names, _point_fit, _report

__all__ = ["model_bootstrap", "joint_table", "JOINT_COLUMNS", "MIN_OK_FRAC"]

#: Columns of the joint table, in order.
JOINT_COLUMNS = ("family", "quantity", "estimate", "ci_low", "ci_high", "compared_with", "learner", "predicted",
                 "pred_low", "pred_high", "diff_low", "diff_high", "verdict", "direction", "outcome", "reason",
                 "n_models", "n_points", "n_boot", "boot_ok_frac", "interval_kind")
#: A joint verdict needs at least this share of bootstrap worlds with an interior joint optimum.
MIN_OK_FRAC = 0.9
_DRAWS = ("alpha", "beta", "alpha_N", "a_env", "nopt_slope", "ok")


def _point(X: np.ndarray, y: np.ndarray) -> tuple[dict, bool]:
    """Point fit (no intervals) of E + A·x^-a or the joint law; reported parameters and 'status is ok'."""
    dz, _ = _make_design(X, y)
    theta, _, status = _point_fit(dz)
    names, _ = _names(dz.K)
    return dict(zip(names, _report(theta[None], dz.log_ref)[0])), status == _OK


def _envelope(pool: pd.DataFrame, ccol: str) -> pd.DataFrame:
    """Checkpoints no other checkpoint beats with less or equal compute (the lower envelope)."""
    g = pool.sort_values([ccol, "loss"], kind="stable")
    keep = g["loss"].to_numpy() < np.minimum.accumulate(np.r_[np.inf, g["loss"].to_numpy()[:-1]])
    return g[keep]


def _world(pool: pd.DataFrame, final: pd.DataFrame, ncol: str, ccol: str) -> dict:
    """Every quantity of the joint test on one data set (the observed one or a bootstrap world)."""
    nan = dict.fromkeys(_DRAWS, np.nan)
    if pool[ncol].nunique() < 3 or pool["tokens"].nunique() < 3 or final[ncol].nunique() < 3:
        return {**nan, "ok": False}
    j, ok = _point(pool[[ncol, "tokens"]].to_numpy(float), pool["loss"].to_numpy())
    p, _ = _point(final[[ncol]].to_numpy(float), final["loss"].to_numpy())
    env = _envelope(pool, ccol)
    out = {"alpha": j["alpha"], "beta": j["beta"], "alpha_N": p["a"], "a_env": np.nan, "nopt_slope": np.nan, "ok": ok}
    if len(env) >= 4 and env[ccol].nunique() >= 3:
        e, _ = _point(env[[ccol]].to_numpy(float), env["loss"].to_numpy())
        out["a_env"] = e["a"]
        out["nopt_slope"] = float(np.polyfit(np.log(env[ccol].to_numpy(float)), np.log(env[ncol].to_numpy(float)),
                                             1)[0])
    return out


def model_bootstrap(pool: pd.DataFrame, *, n_boot: int, seed: int, ncol: str = "params_nonembedding",
                    ccol: str = "flops_6ND_nonemb") -> tuple[dict, pd.DataFrame]:
    """The observed quantities and ``n_boot`` worlds that resample whole models (columns of ``_DRAWS``).

    ``pool``: one family's checkpoints (columns ``model``, ``ncol``, ``tokens``, ``ccol``, ``step``, ``loss``).
    A model drawn twice enters twice (its rows repeated), as the bootstrap over models prescribes.
    """
    n_boot = nonnegative_int(n_boot, "n_boot")
    final = pool[pool["step"] == pool.groupby("model")["step"].transform("max")]
    observed = _world(pool, final, ncol, ccol)
    models = np.array(sorted(pool["model"].unique()))
    by_model = {m: pool[pool["model"] == m] for m in models}
    fin_model = {m: final[final["model"] == m] for m in models}
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_boot):
        pick = rng.choice(models, size=models.size, replace=True)
        rows.append(_world(pd.concat([by_model[m] for m in pick]), pd.concat([fin_model[m] for m in pick]),
                           ncol, ccol))
    return observed, pd.DataFrame(rows, columns=list(_DRAWS))


def _ci(v: np.ndarray) -> tuple[float, float]:
    v = v[np.isfinite(v)]
    return (float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))) if v.size >= 10 else (np.nan, np.nan)


def _derived(d) -> dict:
    """The quantities the comparisons need, from one world's (or the draws') alpha, beta, alpha_N, a_env."""
    a, b, aN = d["alpha"], d["beta"], d["alpha_N"]
    return {"alpha": a, "beta": b, "compute_optimal": a * b / (a + b), "nopt_joint": b / (a + b),
            "alpha_N": aN, "seq": aN / (aN + 2), "par": aN / (aN + 1), "a_env": d["a_env"],
            "nopt_env": d["nopt_slope"]}


#: (quantity, its key, compared with, the key of the comparison, learner, gap partner)
_COMPARISONS = (
    ("alpha", "alpha", "α_N of the final checkpoints (Theorem 3.7)", "alpha_N", "", None),
    ("beta", "beta", "α/(α+2), α = α_N", "seq", "sequential", "par"),
    ("beta", "beta", "α/(α+1), α = α_N", "par", "parallel", "seq"),
    ("compute_optimal", "compute_optimal", "the envelope's exponent (fitted)", "a_env", "", None),
    ("compute_optimal", "compute_optimal", "α/(α+2), α = α_N (capacity-limited frontier)", "seq",
     "capacity-limited", None),
    ("nopt_slope", "nopt_joint", "the envelope's N_opt(C) slope", "nopt_env", "", None),
)


def _verdict(d_lo: float, d_hi: float, gap: float | None, usable: str) -> tuple[str, str, str, str]:
    """(verdict, direction, outcome, reason) by the width rule of empirical.fit.verdicts (gap None: a check of
    one quantity measured two ways, consistent when the interval of the difference contains 0)."""
    from .verdicts import outcome_words

    if usable:
        return "unusable", "", outcome_words("unusable"), usable
    ci = f"95% interval of the difference [{d_lo:+.3f}, {d_hi:+.3f}] (bootstrap over models)"
    if d_lo > 0 or d_hi < 0:
        direction = "faster" if d_lo > 0 else "slower"
        return "inconsistent", direction, outcome_words("inconsistent", direction), f"{ci} excludes 0"
    if gap is not None and not d_hi - d_lo < gap:
        return "uninformative", "", outcome_words("uninformative"), (f"{ci} contains 0 but its width "
                                                                     f"{d_hi - d_lo:.3f} is not below the gap "
                                                                     f"{gap:.3f} between the competing predictions")
    return "consistent", "", "consistent", f"{ci} contains 0"


def joint_table(family: str, pool: pd.DataFrame, *, n_boot: int, seed: int, ncol: str = "params_nonembedding",
                ccol: str = "flops_6ND_nonemb") -> pd.DataFrame:
    """The rows of the joint test for one family (columns :data:`JOINT_COLUMNS`; see the module docstring)."""
    observed, draws = model_bootstrap(pool, n_boot=n_boot, seed=seed, ncol=ncol, ccol=ccol)
    ok = draws["ok"].astype(bool).to_numpy()
    ok_frac = float(ok.mean()) if len(draws) else np.nan
    usable = ""
    if not observed["ok"]:
        usable = "the joint fit to the observed data is not an interior optimum"
    elif not ok_frac >= MIN_OK_FRAC:
        usable = f"only {ok_frac:.0%} of bootstrap worlds give an interior joint optimum (need {MIN_OK_FRAC:.0%})"
    est = _derived(observed)
    world = _derived({k: draws[k].to_numpy(float)[ok] for k in ("alpha", "beta", "alpha_N", "a_env", "nopt_slope")})
    rows = []
    for quantity, key, against, other, learner, partner in _COMPARISONS:
        # an unusable test shows its point estimates only: intervals from the few good worlds would mislead
        lo, hi = _ci(world[key]) if not usable else (np.nan, np.nan)
        p_lo, p_hi = _ci(world[other]) if not usable else (np.nan, np.nan)
        d_lo, d_hi = _ci(world[key] - world[other]) if not usable else (np.nan, np.nan)
        gap = abs(est[other] - est[partner]) if partner else None
        verdict, direction, outcome, reason = _verdict(d_lo, d_hi, gap, usable)
        rows.append({"family": family, "quantity": quantity, "estimate": est[key], "ci_low": lo, "ci_high": hi,
                     "compared_with": against, "learner": learner, "predicted": est[other], "pred_low": p_lo,
                     "pred_high": p_hi, "diff_low": d_lo, "diff_high": d_hi, "verdict": verdict,
                     "direction": direction, "outcome": outcome, "reason": reason,
                     "n_models": int(pool["model"].nunique()), "n_points": len(pool), "n_boot": len(draws),
                     "boot_ok_frac": ok_frac,
                     "interval_kind": f"percentile bootstrap over models 95% ({len(draws)} worlds, each model "
                                      "drawn with all its checkpoints)"})
    return pd.DataFrame(rows, columns=list(JOINT_COLUMNS))
