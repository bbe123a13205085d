"""The claim record, the registry and the verdict rule of the catalogue.

A claim is registered with :func:`claim` on a function that runs its checks and
returns a :class:`Finding`; every module of :mod:`theory.catalogue.claims` is
imported on first use of the registry, so a new module registers its claims
without being listed anywhere.

Claim ids follow one scheme, ``<kind>-<number>[-<slug>]``: ``kind`` is the
paper's own word for the reference (``def`` Definition, ``eq`` Equation,
``lemma`` Lemma, ``thm`` Theorem, ``sec`` Section), ``number`` is printed as
the paper prints it (``3.6``, ``A.1``, ``4``), and a lowercase ``slug`` names
the claim when one reference holds several (``sec-3.1-kl-fisher``) or a variant
the suite derives (``thm-3.8-parallel``). ``paper_ref`` must start with the
same word and number. A claim's random instances are keyed by its id, or by an
explicit ``stream`` key where a claim was renamed after its numbers were
published (the key is the id it was first registered under), so a rename never
changes its numbers. A stream key is only a seed: it is not an id and never
resolves to the claim.

Each claim says where it comes from (``origin``): ``"paper"`` for a statement the
paper prints, ``"derived"`` for a variant the suite derives to explain a finding
(e.g. the parallel learner of Theorem 3.8); counts keep the two apart. Each
correction says what kind of fault it repairs (``Correction.kind``, one or more
of :data:`CORRECTION_KINDS`), so a reader can tell a slip from an error.

A claim that is one of its own definitions or assumptions restated (Lemma 3.10
is Definition 3.9 read off for entropies) says ``by_definition`` why: it holds
whatever the model, so its **holds** says nothing about language models, and
counts keep it apart from the claims that say something.

The verdict is computed from the checks, never written by hand:

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
import importlib
import pkgutil
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from infogeo.validation import ValidationError, choice

VERDICTS = ("holds", "holds-under-conditions", "corrected", "refuted")
TARGETS = ("printed", "boundary", "correction")
KINDS = ("symbolic", "numeric", "exhaustive")
ORIGINS = ("paper", "derived")
#: what a correction repairs: a constant factor (a slip: the law is right up to a constant), the order of the
#: remainder of an expansion, a degenerate case the statement forgets (equality, zero-probability skills), or a
#: wrong formula (the printed expression is not the quantity, not even up to a constant).
CORRECTION_KINDS = ("constant factor", "order of the remainder", "degenerate case", "wrong formula")


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
        choice(self.kind, "kind", KINDS)
        choice(self.target, "target", TARGETS)
        self.passed = bool(self.passed)


@dataclass
class Correction:
    """A corrected statement, verified by the claim's ``correction`` checks; ``kind``: one of
    :data:`CORRECTION_KINDS` or a tuple of them (most important first)."""

    statement: str
    latex: str
    kind: str | tuple[str, ...]

    def __post_init__(self):
        kinds = (self.kind,) if isinstance(self.kind, str) else tuple(self.kind)
        if not kinds:
            raise ValidationError(f"kind must name at least one of {CORRECTION_KINDS}")
        for k in kinds:
            choice(k, "kind", CORRECTION_KINDS)
        self.kind = "; ".join(kinds)


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
    stream: str | None = None
    origin: str = "paper"
    by_definition: str = ""

    @property
    def rng_key(self) -> str:
        """The key that seeds this claim's random instances: its explicit ``stream`` key, else its id."""
        return self.stream or self.id


@dataclass
class ClaimRecord:
    id: str
    origin: str
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
    by_definition: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class Context:
    """What a claim's checks get: a seeded generator, so the catalogue is reproducible."""

    def __init__(self, rng_key: str, seed: int):
        digest = hashlib.sha256(f"{rng_key}:{seed}".encode()).digest()
        self.rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        self.seed = seed


_REGISTRY: dict[str, ClaimSpec] = {}

ID_KINDS = {"def": "Definition", "eq": "Equation", "lemma": "Lemma", "thm": "Theorem", "sec": "Section"}
ID_PATTERN = re.compile(r"^(?P<kind>def|eq|lemma|thm|sec)-(?P<number>[0-9A-Z]+(?:\.[0-9]+)*)(?P<slug>(?:-[a-z0-9]+)*)$")


def check_id(claim_id: str, paper_ref: str) -> None:
    """Raise ValueError unless ``claim_id`` follows the id scheme and agrees with ``paper_ref``."""
    m = ID_PATTERN.match(claim_id)
    if m is None:
        raise ValidationError(f"claim id {claim_id!r} does not follow <kind>-<number>[-<slug>] with kind in "
                         f"{', '.join(ID_KINDS)} (e.g. 'lemma-3.6', 'sec-3.1-kl-fisher')")
    word, number = ID_KINDS[m["kind"]], re.escape(m["number"])
    if not re.match(rf"{word} \(?{number}\)?(?![0-9.])", paper_ref):
        raise ValidationError(f"claim id {claim_id!r} needs a paper_ref starting with '{word} {m['number']}', "
                         f"got {paper_ref!r}")


def claim(*, id: str, paper_ref: str, title: str, statement: str, latex: str,
          assumptions: list[str], sympy: str | None = None, stream: str | None = None, origin: str = "paper",
          by_definition: str = ""):
    """Register a claim; the decorated function runs its checks. ``stream``: the key of its random instances
    when it is not the id (a renamed claim keeps its numbers); ``origin``: ``"paper"`` (printed in the paper) or
    ``"derived"`` (a variant the suite derives); ``by_definition``: for a claim that is one of its assumptions or
    definitions restated (true whatever the model, so it says nothing about language models), why, naming that
    assumption; empty for a claim that says something."""

    def deco(fn):
        check_id(id, paper_ref)
        choice(origin, "origin", ORIGINS)
        if id in _REGISTRY:
            raise ValidationError(f"duplicate claim id {id!r}")
        key = stream or id
        if any(s.rng_key == key for s in _REGISTRY.values()):
            raise ValidationError(f"claim {id!r}: random-stream key {key!r} is already used by another claim")
        _REGISTRY[id] = ClaimSpec(id, paper_ref, title, statement, latex, list(assumptions), sympy, fn,
                                  stream, origin, by_definition)
        return fn

    return deco


def verdict_of(finding: Finding) -> str:
    printed = [c for c in finding.checks if c.target == "printed"]
    boundary = [c for c in finding.checks if c.target == "boundary"]
    correction = [c for c in finding.checks if c.target == "correction"]
    if not printed:
        raise ValidationError("a claim needs at least one check of the printed statement")
    if all(c.passed for c in printed):
        return "holds" if all(c.passed for c in boundary) else "holds-under-conditions"
    if finding.correction is not None and correction and all(c.passed for c in correction):
        return "corrected"
    return "refuted"


def _discover() -> None:
    """Import every claim module (``claims/*.py`` not starting with ``_``), in name order; each registers itself."""
    from . import claims

    for mod in pkgutil.iter_modules(claims.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{claims.__name__}.{mod.name}")


def registry() -> dict[str, ClaimSpec]:
    """Every registered claim by id, in discovery order (module name, then order in the module)."""
    _discover()
    return dict(_REGISTRY)


def resolve(claim_id: str) -> str:
    """``claim_id`` itself if it is a registered claim id; otherwise a ValidationError listing the known ids."""
    specs = registry()
    if claim_id in specs:
        return claim_id
    raise ValidationError(f"unknown claim id {claim_id!r}; known: {', '.join(specs)}")


def run_claim(claim_id: str, seed: int = 0) -> ClaimRecord:
    """Run one claim by id."""
    spec = registry()[resolve(claim_id)]
    t0 = time.perf_counter()
    try:
        finding = spec.run(Context(spec.rng_key, seed))
        verdict, error = verdict_of(finding), None
    except Exception:  # a crash is reported, not hidden: the CLI exits non-zero
        finding, verdict, error = Finding([], "check crashed"), None, traceback.format_exc()
    return ClaimRecord(
        id=spec.id,
        origin=spec.origin,
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
        by_definition=spec.by_definition,
    )


def run_all(seed: int = 0, progress: bool = False) -> list[ClaimRecord]:
    ids = list(registry())
    it = ids
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(ids, desc="claims", unit="claim")
    return [run_claim(i, seed) for i in it]
