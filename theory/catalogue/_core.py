"""The claim record, the registry and the verdict rule of the catalogue.

A claim is registered with :func:`claim` on a function that runs its checks and
returns a :class:`Finding`. The verdict is computed from the checks, never
written by hand:

- every check of the printed statement passes and no boundary check found a
  regime where it breaks: ``holds``;
- the printed checks pass but a boundary check found a regime (outside what
  the paper states) where it breaks: ``holds-under-conditions``;
- a printed check fails, and a correction is stated whose own checks all
  pass: ``corrected``;
- a printed check fails and no verified correction exists: ``refuted``.
"""
from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

VERDICTS = ("holds", "holds-under-conditions", "corrected", "refuted")
TARGETS = ("printed", "boundary", "correction")
KINDS = ("symbolic", "numeric", "exhaustive")


@dataclass
class Check:
    """One check. ``target`` says what it tests: the printed statement, a
    boundary regime (``passed`` = the printed statement still holds there), or
    the correction."""

    name: str
    kind: str
    target: str
    passed: bool
    detail: str
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")
        self.passed = bool(self.passed)


@dataclass
class Correction:
    statement: str
    latex: str


@dataclass
class Finding:
    checks: list[Check]
    evidence: str
    counterexample: dict | None = None
    correction: Correction | None = None
    conditions: list[str] = field(default_factory=list)


@dataclass
class ClaimSpec:
    id: str
    paper_ref: str
    title: str
    statement: str
    latex: str
    assumptions: list[str]
    sympy: str | None
    run: Callable[[Context], Finding]


@dataclass
class ClaimRecord:
    id: str
    paper_ref: str
    title: str
    statement: str
    latex: str
    sympy: str | None
    assumptions: list[str]
    verdict: str | None
    evidence: str
    checks: list[dict]
    counterexample: dict | None
    correction: dict | None
    conditions: list[str]
    seconds: float
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class Context:
    """What a claim's checks get: a seeded generator, so the catalogue is reproducible."""

    def __init__(self, claim_id: str, seed: int):
        digest = hashlib.sha256(f"{claim_id}:{seed}".encode()).digest()
        self.rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        self.seed = seed


_REGISTRY: dict[str, ClaimSpec] = {}


def claim(*, id: str, paper_ref: str, title: str, statement: str, latex: str,
          assumptions: list[str], sympy: str | None = None):
    """Register a claim; the decorated function runs its checks."""

    def deco(fn):
        if id in _REGISTRY:
            raise ValueError(f"duplicate claim id {id!r}")
        _REGISTRY[id] = ClaimSpec(id, paper_ref, title, statement, latex, list(assumptions), sympy, fn)
        return fn

    return deco


def verdict_of(finding: Finding) -> str:
    printed = [c for c in finding.checks if c.target == "printed"]
    boundary = [c for c in finding.checks if c.target == "boundary"]
    correction = [c for c in finding.checks if c.target == "correction"]
    if not printed:
        raise ValueError("a claim needs at least one check of the printed statement")
    if all(c.passed for c in printed):
        return "holds" if all(c.passed for c in boundary) else "holds-under-conditions"
    if finding.correction is not None and correction and all(c.passed for c in correction):
        return "corrected"
    return "refuted"


def registry() -> dict[str, ClaimSpec]:
    from . import claims  # noqa: F401  (registers every claim on import)

    return dict(_REGISTRY)


def run_claim(claim_id: str, seed: int = 0) -> ClaimRecord:
    specs = registry()
    if claim_id not in specs:
        raise ValueError(f"unknown claim id {claim_id!r}; known: {', '.join(specs)}")
    spec = specs[claim_id]
    t0 = time.perf_counter()
    try:
        finding = spec.run(Context(spec.id, seed))
        verdict, error = verdict_of(finding), None
    except Exception:  # a crash is reported, not hidden: the CLI exits non-zero
        finding, verdict, error = Finding([], "check crashed"), None, traceback.format_exc()
    return ClaimRecord(
        id=spec.id,
        paper_ref=spec.paper_ref,
        title=spec.title,
        statement=spec.statement,
        latex=spec.latex,
        sympy=spec.sympy,
        assumptions=spec.assumptions,
        verdict=verdict,
        evidence=finding.evidence,
        checks=[asdict(c) for c in finding.checks],
        counterexample=finding.counterexample,
        correction=None if finding.correction is None else asdict(finding.correction),
        conditions=finding.conditions,
        seconds=time.perf_counter() - t0,
        error=error,
    )


def run_all(seed: int = 0, progress: bool = False) -> list[ClaimRecord]:
    ids = list(registry())
    it = ids
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(ids, desc="claims", unit="claim")
    return [run_claim(i, seed) for i in it]
