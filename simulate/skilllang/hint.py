"""Section 3.2 (Definitions 3.12-3.13, Lemma 3.14, Theorem 3.15) with the truth known: a hint token trained into the
skill language.

:class:`HintLanguage` is the skill language (:class:`~simulate.skilllang.language.SkillLanguage`, unchanged) whose
examples may carry a **hint** in the separator's slot::

    n_a n_b x h a        h = "=" (no hint), "?" (irrelevant), or "h<j>" ("the answer is a<j>")

Each example draws its hint kind independently of everything else, with stated rates: *good* (``hint_good``:
``h<a>``, the example's own answer, noise included), *misleading* (``hint_misleading``: ``h<j>`` for a ``j != a``
drawn uniformly), *irrelevant* (``hint_irrelevant``: the token ``?``) and none (the rest: the separator, so a
no-hint example is exactly the default language's). A model sees the hint token, never its kind: ``h<j>`` is right
with probability ``hint_good / (hint_good + hint_misleading)`` (the hint's *reliability*).

The example keeps five tokens, so the family's training and evaluation code (:mod:`.family`) runs unchanged; the
held-out per-skill losses it records are the no-hint ones (:meth:`heldout` is inherited). The default
``SkillLanguage`` and its recipes are untouched: the hint fields live here, and a hint family is cached under its
own label (``hint-v1-<hash>``).

The truth is exact. Given the skill and input (answer distribution ``q``), the Bayes-optimal answer distribution
after hint ``h`` is ``p(a | h) ∝ q(a) P(h | a)`` (:meth:`HintLanguage.posterior`) with ``P(h<j> | a) = hint_good``
if ``j = a``, ``hint_misleading / (V-1)`` otherwise, ``P(? | a) = hint_irrelevant``, ``P(= | a) = 1 - sum``.
:func:`hint_expectations` averages a model's (or the Bayes) answer entropy and cross-entropy over the hints each
kind draws: the quantities of Theorem 3.15 per kind. Two references: a model that knows the skill (``q`` = the
true answer distribution) and one that does not (``q`` uniform: a skill's table is a uniform random draw).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.stats import entropy as shannon

from infogeo.validation import ValidationError, as_generator, probability

from .family import FamilyConfig
from .language import SEP, SkillLanguage
from .model import SizeSpec

__all__ = ["HintLanguage", "KINDS", "IRRELEVANT", "hint_expectations", "hint_config", "HINT_RATES",
           "null_hint_rates"]

IRRELEVANT = "?"
KINDS = ("none", "irrelevant", "good", "misleading")
#: The report's hint rates: good 0.3, misleading 0.1 (reliability 0.75), irrelevant 0.1, none 0.5.
HINT_RATES = {"hint_good": 0.3, "hint_misleading": 0.1, "hint_irrelevant": 0.1}


def null_hint_rates(answers: int) -> dict:
    """The null of :data:`HINT_RATES`: the same rates of ``h<j>`` (0.4) and ``?`` (0.1), but ``h<j>`` independent of
    the answer: ``P(h<j> | a) = 0.4 / V`` for every j and a (good 0.4/V, misleading 0.4 (V-1)/V; reliability 1/V)."""
    total = HINT_RATES["hint_good"] + HINT_RATES["hint_misleading"]
    return {"hint_good": round(total / answers, 12), "hint_misleading": round(total * (answers - 1) / answers, 12),
            "hint_irrelevant": HINT_RATES["hint_irrelevant"]}


@dataclasses.dataclass(frozen=True)
class HintLanguage(SkillLanguage):
    """The skill language with a hint token in the separator's slot, at the stated rates (the rest: no hint)."""

    hint_good: float = 0.3
    hint_misleading: float = 0.1
    hint_irrelevant: float = 0.1

    def __post_init__(self):
        super().__post_init__()
        for f in ("hint_good", "hint_misleading", "hint_irrelevant"):
            probability(getattr(self, f), f)
        if self.hint_rates.sum() > 1 + 1e-12:
            raise ValidationError(f"hint_good + hint_misleading + hint_irrelevant must be <= 1, got "
                                  f"{self.hint_rates.sum():g}")

    @property
    def hint_rates(self) -> np.ndarray:
        """Rates of the kinds in :data:`KINDS` order (none, irrelevant, good, misleading)."""
        g, m, i = self.hint_good, self.hint_misleading, self.hint_irrelevant
        return np.array([max(0.0, 1.0 - g - m - i), i, g, m])

    # --- vocabulary: the base vocabulary, then "?", then h0..h(V-1) ------------------------------------------------
    @property
    def vocab(self) -> list[str]:
        return super().vocab + [IRRELEVANT] + [f"h{j}" for j in range(self.answers)]

    @property
    def irrelevant_id(self) -> int:
        return super().vocab_size

    @property
    def hint0(self) -> int:
        return super().vocab_size + 1

    @property
    def vocab_size(self) -> int:
        return super().vocab_size + 1 + self.answers

    @property
    def hint_ids(self) -> np.ndarray:
        """Token ids of every hint value, in the order of :meth:`hint_channel`'s columns: =, ?, h0..h(V-1)."""
        return np.concatenate([[self.vocab.index(SEP), self.irrelevant_id], self.hint0 + np.arange(self.answers)])

    # --- the truth ----------------------------------------------------------------------------------------------
    def hint_channel(self) -> np.ndarray:
        """(kinds, V, V+2): P(hint | answer a, kind) for the hint columns of :attr:`hint_ids`; each [c, a] sums to 1."""
        V = self.answers
        P = np.zeros((len(KINDS), V, V + 2))
        P[0, :, 0] = 1
        P[1, :, 1] = 1
        P[2, :, 2:] = np.eye(V)
        P[3, :, 2:] = (1 - np.eye(V)) / (V - 1)
        return P

    def posterior(self, q) -> np.ndarray:
        """(..., V+2, V): the Bayes-optimal answer distribution after each hint, from the answer distribution q
        (..., V) given the skill and input (or uniform for a skill not known). A hint the rates never draw leaves
        the answer distribution at ``q`` (nothing to update on)."""
        q = np.asarray(q, dtype=np.float64)
        lik = np.einsum("c,cah->ha", self.hint_rates, self.hint_channel())  # P(hint | a), (V+2, V)
        lik[~(lik > 0).any(axis=1)] = 1.0
        joint = q[..., None, :] * lik
        return joint / joint.sum(axis=-1, keepdims=True)

    def sample(self, n_seq: int, rng) -> np.ndarray:
        """Training sequences as the base language draws them, then each example's hint kind and hint (in the
        separator's slot)."""
        rng = as_generator(rng, "rng")
        seqs = super().sample(n_seq, rng)
        ex = seqs.reshape(-1, 5)
        a = ex[:, 4] - self.answer0
        kind = rng.choice(len(KINDS), size=a.size, p=self.hint_rates)
        wrong = (a + 1 + rng.integers(0, self.answers - 1, size=a.size)) % self.answers
        hint = np.select([kind == 1, kind == 2, kind == 3], [self.irrelevant_id, self.hint0 + a, self.hint0 + wrong],
                         ex[:, 3])
        ex[:, 3] = hint
        return ex.reshape(seqs.shape)


def hint_expectations(lang: HintLanguage, q, log_probs) -> dict[str, np.ndarray]:
    """Per kind, the answer entropy and cross-entropy (nats) averaged over the answers and the hints the kind draws.

    ``q`` (..., V): the true answer distribution given the skill and input; ``log_probs`` (..., V+2, V): a model's
    log-probabilities of the V answers after each hint of :attr:`HintLanguage.hint_ids` (normalised over its whole
    vocabulary; the entropy is taken of the answer distribution renormalised over the V answers). Returns
    ``{"entropy": (..., kinds), "cross_entropy": (..., kinds)}``:
    ``E_{a~q} E_{h~P(h|a,kind)} [H(p(.|h))]`` and ``E [-log p(a|h)]``.
    """
    q = np.asarray(q, dtype=np.float64)
    lp = np.asarray(log_probs, dtype=np.float64)
    V = lang.answers
    if q.shape[-1] != V or lp.shape[-2:] != (V + 2, V) or lp.shape[:-2] != q.shape[:-1]:
        raise ValidationError(f"q must have shape (..., {V}) and log_probs (..., {V + 2}, {V}) over the same skills, "
                              f"got {q.shape} and {lp.shape}")
    p = np.exp(lp - np.logaddexp.reduce(lp, axis=-1, keepdims=True))
    H = shannon(p, axis=-1)  # (..., V+2)
    w = np.einsum("...a,cah->...cah", q, lang.hint_channel())  # P(a, h | kind)
    ce = -np.einsum("...cah,...ha->...c", w, lp)
    return {"entropy": np.einsum("...cah,...h->...c", w, H), "cross_entropy": ce}


def hint_config(lang: SkillLanguage, size: SizeSpec, rates: dict, **schedule) -> FamilyConfig:
    """The hint family's recipe: ``lang``'s fields with the hint ``rates``, one size, the given schedule (FamilyConfig
    fields), label ``hint`` (cached apart from the family)."""
    base = {f.name: getattr(lang, f.name) for f in dataclasses.fields(SkillLanguage)}
    return FamilyConfig(HintLanguage(**base, **rates), (size,), label="hint", **schedule)
