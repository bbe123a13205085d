"""Claims that hold by definition are told apart from claims that say something (issue 22).

The law tested: a claim is marked ``by_definition`` exactly when it is an identity of its own definitions or
assumptions, i.e.

1. it holds, every check of it passes, and its printed statement is an equation: not a bound, a strict
   inequality, a rate or an approximation (``\\le``, ``<``, ``\\sim``, ``\\approx``, ``O(``);
2. every check of the printed statement is an identity check (symbolic, exhaustive, or numeric agreement at
   round-off), so no instance can move it;
3. its reason names the definition or assumption it unfolds, and that one is among the claim's stated
   assumptions (or is a definition of the paper's quantities: entropy, KL divergence, d_JS, the attention output);

and conversely every claim that holds and is *not* marked either states a bound, rate or approximation (it says
how a quantity behaves), or is an exact equation whose proof needs a computation beyond unfolding definitions,
named here with that computation (:data:`COMPUTED`).
"""
from __future__ import annotations

import re

import pytest

from theory import report_tables
from theory.catalogue import registry, run_all

#: Printed statements of this form say how a quantity behaves: they cannot be definitions restated.
NOT_AN_EQUATION = re.compile(r"\\le|\\ge|(?<![\\a-z])<|(?<![\\a-z])>|\\sim(?![a-z])|\\approx|O\(")
#: Exact equations that hold but need a computation, not an unfolding (the computation in the value).
COMPUTED = {
    "eq-1": "unit rows and r equal singular values force Sigma = P_r / r, then a log-determinant",
    "eq-2": "Gaussian conditioning (a Schur complement of the joint covariance)",
    "sec-4.1-ridge": "the push-through identity (K + s^2 I)^-1 Z = Z (Z^T Z + s^2 I)^-1",
}
#: The claims the catalogue marks as holding by definition (written by hand from the paper, not read from it).
EXPECTED = {"lemma-3.10", "thm-3.11", "lemma-3.14", "lemma-3.17", "thm-3.18", "eq-4", "sec-4.3-js-logdet"}
ROUND_OFF = 1e-8


@pytest.fixture(scope="module")
def records():
    return {r.id: r for r in run_all(seed=0)}


def _max_error(detail: str) -> float | None:
    """The largest error a numeric check reports in its detail (``max ... 3.9e-16``), None when it reports none."""
    nums = re.findall(r"(?:error|residual|spread of H\(X\) - H\(X\|Y\) over theta:)\s*([0-9.]+e[-+]?\d+)", detail)
    return max(map(float, nums)) if nums else None


def test_the_marked_claims_are_the_expected_ones(records):
    assert {i for i, r in records.items() if r.by_definition} == EXPECTED


def test_a_claim_marked_by_definition_is_an_identity_of_its_definitions(records):
    for cid in (i for i, r in records.items() if r.by_definition):
        r, spec = records[cid], registry()[cid]
        assert r.verdict == "holds" and all(c["passed"] for c in r.checks), cid
        assert not NOT_AN_EQUATION.search(r.latex), (cid, r.latex)
        for c in (c for c in r.checks if c["target"] == "printed"):
            if c["kind"] == "numeric":
                err = _max_error(c["detail"])
                assert err is not None and err < ROUND_OFF, (cid, c["detail"])
        named = re.findall(r"(Definition|Assumption) (\d+\.\d+)", r.by_definition)
        assert named or re.search(r"definitions? of", r.by_definition), (cid, r.by_definition)
        stated = " ".join(spec.assumptions)
        for word, number in named:
            assert f"{word} {number}" in stated, (cid, word, number, stated)


def test_a_claim_that_holds_unmarked_says_something(records):
    for cid, r in records.items():
        if r.verdict != "holds" or r.by_definition:
            continue
        assert NOT_AN_EQUATION.search(r.latex) or cid in COMPUTED, (
            f"{cid} holds as an exact equation: mark it by_definition or name the computation it needs in COMPUTED")
    assert all(records[i].verdict == "holds" and not records[i].by_definition for i in COMPUTED)


def test_the_catalogue_table_carries_the_mark(records):
    claims = report_tables(0, False, records=list(records.values()))["claims"]
    marked = claims[claims["by_definition"].astype(str).str.len() > 0]
    assert set(marked["id"]) == EXPECTED and (marked["verdict"] == "holds").all()
