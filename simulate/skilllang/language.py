"""Section 3 (Definition 3.4, Lemma 3.6) with the truth known: a synthetic skill language.

M skills drawn with ``p_k ∝ k^-(alpha+1)`` (:func:`theory.skills.skill_law`,
the paper's convention). A skill is *named* by ``name_len`` tokens from an
alphabet of ``letters`` tokens (e.g. two of 32), never by one token of its own:
what a model knows of skill k then lives in its transformer weights, not in an
embedding row. An example is five tokens::

    n_a n_b x = a        name (2 tokens), input x (one of ``inputs``), separator, answer

and the answer is skill k's own fixed random function of the input (a lookup
table f_k: inputs -> answers, drawn once from ``seed``): one "quantum" of
``inputs * log2(answers)`` bits per skill, so the family is capacity-limited.
With probability ``noise`` the answer is replaced by a uniform draw from the
``answers`` answer tokens. Hence the two levels of Definition 3.4 are exact:

- C (skill comprehended): the entropy of (1 - noise) δ_f + noise·uniform,
  ``C = -(1-η+η/V) ln(1-η+η/V) - (V-1) (η/V) ln(η/V)`` (:meth:`loss_floor`);
- B (skill unknown): ``ln V``, the loss of the uniform answer (:meth:`loss_unlearned`).
  A model can sit above B on a skill it confuses with a frequent one; the
  tables show it, B is only the reference level.

Loss is the answer token's cross-entropy (nats); a sequence packs
``per_seq`` independent examples. Held-out per-skill loss is the exact
expectation over the inputs and the noise (:meth:`heldout` and
:func:`expected_skill_loss`), not a sample.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from infogeo.validation import ValidationError, as_generator, positive, positive_int, probability
from theory.skills import skill_law

__all__ = ["SkillLanguage", "EXAMPLE_LEN", "SEP", "EOT", "expected_skill_loss", "FREQUENCY_LAWS"]

EOT = "<|endoftext|>"
SEP = "="
EXAMPLE_LEN = 5  # name (2), input, separator, answer
FREQUENCY_LAWS = ("power", "exponential")


@dataclasses.dataclass(frozen=True)
class SkillLanguage:
    """The language: skills, names, lookup tables, frequencies. The same fields give the same language.

    ``law="exponential"`` (``p_k ∝ exp(-k / (M/8))``) is the control that is *not* a power law: Lemma 3.6's
    n^-alpha then fails, and a fitted alpha_N must move.
    """

    alpha: float = 0.5
    skills: int = 256
    letters: int = 32
    inputs: int = 8
    answers: int = 8
    noise: float = 0.1
    per_seq: int = 8
    seed: int = 0
    law: str = "power"
    name_len: int = 2

    def __post_init__(self):
        positive(self.alpha, "alpha")
        for f, lo in (("skills", 2), ("letters", 2), ("inputs", 1), ("answers", 2), ("per_seq", 1),
                      ("name_len", 2)):
            positive_int(getattr(self, f), f, minimum=lo)
        probability(self.noise, "noise")
        if self.noise >= 1:
            raise ValidationError(f"noise must be < 1 (some answers must be the skill's), got {self.noise}")
        if self.law not in FREQUENCY_LAWS:
            raise ValidationError(f"law must be one of {FREQUENCY_LAWS}, got {self.law!r}")
        if self.skills > self.letters ** self.name_len:
            raise ValidationError(f"skills must be <= letters**name_len = {self.letters ** self.name_len} "
                                  f"(distinct names), got {self.skills}")

    # --- vocabulary -------------------------------------------------------------------------------------------
    @property
    def vocab(self) -> list[str]:
        """Token strings by id: EOT, separator, name letters, inputs, answers."""
        return ([EOT, SEP] + [f"n{i}" for i in range(self.letters)] + [f"x{i}" for i in range(self.inputs)]
                + [f"a{i}" for i in range(self.answers)])

    @property
    def letter0(self) -> int:
        return 2

    @property
    def input0(self) -> int:
        return 2 + self.letters

    @property
    def answer0(self) -> int:
        return 2 + self.letters + self.inputs

    @property
    def vocab_size(self) -> int:
        return 2 + self.letters + self.inputs + self.answers

    # --- the truth ----------------------------------------------------------------------------------------------
    @functools.cached_property
    def p(self) -> np.ndarray:
        """Skill frequencies p_k, k = 1..M (float64, sums to 1)."""
        if self.law == "power":
            return skill_law(self.alpha, self.skills)
        w = np.exp(-np.arange(self.skills) / (self.skills / 8))
        return w / w.sum()

    @functools.cached_property
    def _tables(self):
        rng = np.random.default_rng([self.seed, 0x5C1])
        names = rng.choice(self.letters ** self.name_len, size=self.skills, replace=False)
        digits = np.stack([(names // self.letters ** j) % self.letters for j in range(self.name_len)][::-1], axis=1)
        f = rng.integers(0, self.answers, size=(self.skills, self.inputs))
        return digits.astype(np.int64), f.astype(np.int64)

    @property
    def names(self) -> np.ndarray:
        """(M, name_len) letter indices of each skill's name (distinct rows)."""
        return self._tables[0]

    @property
    def table(self) -> np.ndarray:
        """(M, inputs) the answer index f_k(x) of every skill and input."""
        return self._tables[1]

    def loss_floor(self) -> float:
        """C of Definition 3.4 (nats): the entropy of the answer of a comprehended skill (closed form)."""
        V, eta = self.answers, self.noise
        top = 1 - eta + eta / V
        rest = eta / V
        return float(-top * math.log(top) - ((V - 1) * rest * math.log(rest) if rest > 0 else 0.0))

    def loss_unlearned(self) -> float:
        """B of Definition 3.4 (nats): ln V, the loss of the uniform answer."""
        return math.log(self.answers)

    def answer_distribution(self) -> np.ndarray:
        """(M, inputs, V) the true answer distribution q(a | k, x)."""
        q = np.full((self.skills, self.inputs, self.answers), self.noise / self.answers)
        np.put_along_axis(q, self.table[..., None], 1 - self.noise + self.noise / self.answers, axis=2)
        return q

    # --- data ---------------------------------------------------------------------------------------------------
    def _pack(self, k, x, a) -> np.ndarray:
        names = self.names[k] + self.letter0
        ex = np.concatenate([names, (x + self.input0)[:, None], np.full((k.size, 1), 1),
                             (a + self.answer0)[:, None]], axis=1)
        return ex.reshape(-1, self.per_seq * EXAMPLE_LEN)

    def sample(self, n_seq: int, rng) -> np.ndarray:
        """``n_seq`` packed training sequences (int64, (n_seq, per_seq * 5)): fresh draws of skill, input, noise."""
        rng = as_generator(rng, "rng")
        n = positive_int(n_seq, "n_seq") * self.per_seq
        k = rng.choice(self.skills, size=n, p=self.p)
        x = rng.integers(0, self.inputs, size=n)
        a = self.table[k, x]
        flip = rng.random(n) < self.noise
        a = np.where(flip, rng.integers(0, self.answers, size=n), a)
        return self._pack(k, x, a)

    def heldout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (skill, input) once, packed: (sequences (R, per_seq*5), skill (M*inputs,), input (M*inputs,)).

        Contexts carry the noise-free answer; pad rows repeat the first pairs (their losses are dropped).
        """
        k = np.repeat(np.arange(self.skills), self.inputs)
        x = np.tile(np.arange(self.inputs), self.skills)
        pad = (-k.size) % self.per_seq
        kk, xx = np.concatenate([k, k[:pad]]), np.concatenate([x, x[:pad]])
        return self._pack(kk, xx, self.table[kk, xx]), k, x

    def answer_positions(self) -> np.ndarray:
        """Positions (within a sequence) whose *next* token is an answer: where the model predicts it."""
        return np.arange(self.per_seq) * EXAMPLE_LEN + EXAMPLE_LEN - 2

    def text(self, seq) -> str:
        """A packed sequence as whitespace-separated token strings (what the saved tokenizer reads back)."""
        v = self.vocab
        return " ".join(v[int(t)] for t in np.asarray(seq).ravel())


def expected_skill_loss(lang: SkillLanguage, log_probs: np.ndarray) -> np.ndarray:
    """Exact held-out loss of every skill (nats, (M,)): the mean over inputs of sum_a q(a|k,x) (-log p(a|k,x)).

    ``log_probs``: (M, inputs, V) the model's log-probabilities of the V answer tokens (normalised over the whole
    vocabulary) after each (skill, input) context.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    want = (lang.skills, lang.inputs, lang.answers)
    if lp.shape != want:
        raise ValidationError(f"log_probs must have shape {want}, got {lp.shape}")
    return -(lang.answer_distribution() * lp).sum(axis=2).mean(axis=1)
