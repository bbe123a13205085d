"""Tidy tables of the theory layer for the report: the claim catalogue and the tables behind the theory
figures (Sections 3, 4.1 and Appendix A).

Each function returns a pandas DataFrame computed from the formulas of this
package only; :func:`report_tables` bundles them for ``reports``, and
:mod:`theory.plots` draws them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from infogeo.validation import nonnegative_int

from . import distances as DI
from . import entropy as E
from . import gp as G
from . import skills as SK

__all__ = ["catalogue_table", "verdict_counts", "lemma36_local_exponent", "js_small_gamma", "equation1_curve",
           "theorem41_increments", "report_tables"]


def catalogue_table(records) -> pd.DataFrame:
    """One row per claim: id, origin (paper | derived), paper_ref, title, verdict, evidence, correction,
    correction_kind (see ``theory.catalogue.CORRECTION_KINDS``; empty without a correction), conditions,
    n_checks, n_printed_checks_failed, by_definition (why a claim is one of its definitions or assumptions
    restated; empty for a claim that says something)."""
    rows = []
    for r in records:
        printed = [c for c in r.checks if c["target"] == "printed"]
        rows.append({
            "id": r.id, "origin": r.origin, "paper_ref": r.paper_ref, "title": r.title, "verdict": r.verdict,
            "evidence": r.evidence, "correction": "" if r.correction is None else r.correction["statement"],
            "correction_kind": "" if r.correction is None else r.correction["kind"],
            "conditions": " | ".join(r.conditions), "n_checks": len(r.checks),
            "n_printed_checks_failed": sum(not c["passed"] for c in printed),
            "by_definition": r.by_definition,
        })
    return pd.DataFrame(rows)


def verdict_counts(records) -> pd.DataFrame:
    """Verdict counts by origin: one row per origin (paper, derived), one column per verdict, and a total."""
    from .catalogue import VERDICTS
    from .catalogue._core import ORIGINS

    rows = []
    for origin in ORIGINS:
        mine = [r for r in records if r.origin == origin]
        rows.append({"origin": origin, **{v: sum(r.verdict == v for r in mine) for v in VERDICTS},
                     "claims": len(mine)})
    return pd.DataFrame(rows)


def lemma36_local_exponent(alpha: float = 0.5, Ms=(10**3, 10**4, 10**5, None), points: int = 60) -> pd.DataFrame:
    """Local exponent -dlog(H-C)/dlog n of the exact tail (Lemma 3.6) against n, for several M.

    Columns: alpha, M (0 = infinite), n, tail_mass, local_exponent.
    """
    rows = []
    for M in Ms:
        hi = (M if M is not None else 10**7) / 2
        n = np.unique(np.logspace(0, np.log10(hi), points).round())
        tail = SK.skill_tail_mass(n, alpha, M)
        slope = -np.gradient(np.log(tail), np.log(n))
        rows.append(pd.DataFrame({"alpha": alpha, "M": 0 if M is None else M, "n": n, "tail_mass": tail,
                                  "local_exponent": slope}))
    return pd.concat(rows, ignore_index=True)


def js_small_gamma(seed: int = 0, d: int = 5, points: int = 13) -> pd.DataFrame:
    """Remainders of Theorem A.1 on one random SPD pair: columns gamma, gamma_rel (gamma * max norm),
    d_js, frobenius_limit, remainder_distance (|d_JS - gamma||A-B||/sqrt 8|), remainder_squared."""
    rng = np.random.default_rng(seed)
    mats = []
    for _ in range(2):
        Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        mats.append((Q * np.exp(rng.uniform(0, np.log(5.0), size=d))) @ Q.T)
    A, B = mats
    r = 1 / max(np.linalg.norm(A, 2), np.linalg.norm(B, 2))
    gammas = r * np.logspace(-4, 0, points)
    fro = np.linalg.norm(A - B, "fro")
    d_js = np.array([DI.distance_js(A, B, gamma=g) for g in gammas])
    lim = gammas * fro / np.sqrt(8)
    return pd.DataFrame({"gamma": gammas, "gamma_rel": gammas / r, "d_js": d_js, "frobenius_limit": lim,
                         "remainder_distance": np.abs(d_js - lim), "remainder_squared": np.abs(d_js**2 - lim**2)})


def equation1_curve(eps_values=(0.1, 0.5, 1.0), d: int = 1000) -> pd.DataFrame:
    """Equation (1) against r/d (the paper's Figure 1 uses eps = 0.1): columns eps, r_over_d, normalized_entropy."""
    r = np.unique(np.logspace(0, np.log10(d), 80).round())
    return pd.concat([pd.DataFrame({"eps": e, "r_over_d": r / d,
                                    "normalized_entropy": E.equal_singular_value_normalized_entropy(r, d, e)})
                      for e in eps_values], ignore_index=True)


def theorem41_increments(seed: int = 0, T: int = 64, d: int = 16, sigma: float = 0.01) -> pd.DataFrame:
    """Information-gain increments of a random unit-norm sequence: exact (difference of log dets, from one
    Cholesky) and Theorem 4.1 as printed. Columns: t, sigma, exact_increment, printed_increment, info_gain."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(T, d))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    gains, inc = G.information_gain_curve(Z @ Z.T, sigma)
    printed = [np.nan] + [G.information_gain_increment_as_printed(Z[:t], Z[t], sigma) for t in range(1, T)]
    return pd.DataFrame({"t": np.arange(1, T + 1), "sigma": sigma, "exact_increment": inc,
                         "printed_increment": printed, "info_gain": gains})


def report_tables(seed: int = 0, progress: bool = True, *, records=None) -> dict[str, pd.DataFrame]:
    """Every table of the theory layer, deterministic given ``seed``.

    ``"claims"``: :func:`catalogue_table` of the catalogue run at ``seed`` (pass
    ``records`` from :func:`theory.catalogue.run_all` to reuse a run); ``"verdict_counts"``:
    :func:`verdict_counts` of the same run;
    ``"lemma36_local_exponent"``, ``"js_small_gamma"``, ``"equation1_curve"``,
    ``"theorem41_increments"``: the tables of the four figures of
    :mod:`theory.plots`.
    """
    seed = nonnegative_int(seed, "seed")
    if records is None:
        from .catalogue import run_all

        records = run_all(seed, progress=progress)
    return {
        "claims": catalogue_table(records),
        "verdict_counts": verdict_counts(records),
        "lemma36_local_exponent": lemma36_local_exponent(),
        "js_small_gamma": js_small_gamma(seed),
        "equation1_curve": equation1_curve(),
        "theorem41_increments": theorem41_increments(seed),
    }
