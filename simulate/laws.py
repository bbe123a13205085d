"""Section 3 (skill distribution after Arora & Goyal): skill-law plug-ins.

A skill law turns a number of skills M into frequencies ``p_1 >= p_2 >= ... >= p_M``
(float64, summing to 1): skills are ranked easiest first, as the paper ranks them
by degree in the text-skill graph. The paper's law is :class:`PowerLaw`
(``p_k ∝ k^-(alpha+1)``, from :func:`theory.skills.skill_law`); the others let a
user ask what changes when the law is not a pure power law.

A user law is any object with ``name`` (str), ``alpha`` (float or None; the
power-law alpha that ``theory`` predicts exponents from, None when no
prediction applies) and ``probabilities(M) -> ndarray``. Subclass
:class:`SkillLaw` for input checks for free.
"""
from __future__ import annotations

import numpy as np

from infogeo.runner import PluginError
from infogeo.validation import (
    ValidationError,
    ValidationTypeError,
    as_float_array,
    positive,
    positive_int,
    probability_vector,
)
from theory import skills as th

__all__ = ["SkillLaw", "PowerLaw", "BrokenPowerLaw", "ExponentialLaw", "EmpiricalLaw", "check_probabilities",
           "call_plugin", "is_builtin", "plugin_output"]

_BUILTIN_MODULES = ("simulate.laws", "simulate.assumptions")


def is_builtin(plugin) -> bool:
    """True for this package's own laws, orders and costs (their errors are bugs, shown with a traceback)."""
    return type(plugin).__module__ in _BUILTIN_MODULES


def call_plugin(plugin, method: str, *args, kind: str = "plug-in"):
    """``plugin.method(*args)``; an exception raised by a user's plug-in becomes
    :class:`infogeo.runner.PluginError` naming it (the command line prints one line saying which plug-in
    failed and its error). Built-in plug-ins are called plainly: their exceptions are library bugs."""
    fn = getattr(plugin, method, None)
    if not callable(fn):  # a duck-typed plug-in without the method: the user's input, named in one line
        name = getattr(plugin, "name", type(plugin).__name__)
        raise ValidationTypeError(f"{kind} plug-in {str(name)!r} ({type(plugin).__name__}) must define a method "
                                  f"{method!r}")
    if is_builtin(plugin):
        return fn(*args)
    try:
        return fn(*args)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        name = getattr(plugin, "name", type(plugin).__name__)
        raise PluginError(str(name), exc, where=f"while running ({kind}.{method})") from exc


def plugin_output(value, name: str) -> np.ndarray:
    """What a plug-in method returned, as an array: integer arrays as they are, anything else as float64.

    Complex values, strings and objects are refused naming ``name`` (numpy would drop an imaginary part with only
    a warning, or cast 0.5 to 0 in an integer array); NaN, inf and the value range are left to the caller, which
    knows what the method promises."""
    if value is None or isinstance(value, (str, bytes)):  # None: a method that forgot its return
        raise ValidationTypeError(f"{name} must return numbers, got {type(value).__name__}")
    if np.iscomplexobj(value):
        raise ValidationTypeError(f"{name} must return real numbers, got complex values")
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        return arr
    if arr.dtype.kind in "USV" or (arr.dtype.kind == "O" and any(v is None or isinstance(v, (str, bytes))
                                                                 for v in arr.flat)):
        # "1" is no number, and None would become NaN
        raise ValidationTypeError(f"{name} must return numbers, got an array of {arr.dtype}")
    if arr.dtype.kind not in "fb":
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValidationTypeError(f"{name} must return numbers, got an array of {arr.dtype}") from None
    return arr.astype(np.float64, copy=False)


def check_probabilities(p, M: int, name: str = "law") -> np.ndarray:
    """Validate what a (possibly user-written) law returned: M nonnegative floats summing to 1, descending."""
    arr = probability_vector(p, f"{name}.probabilities(M)", atol=1e-8)
    if arr.shape != (M,):
        raise ValidationError(f"{name}.probabilities(M) must return shape ({M},), got {arr.shape}")
    if np.any(np.diff(arr) > 1e-15 * max(arr[0], 1e-300)):
        raise ValidationError(f"{name}.probabilities(M) must be sorted descending (skills ranked easiest first)")
    return arr


class SkillLaw:
    """Base class of skill laws. Subclasses implement :meth:`_weights` (unnormalized, k = 1..M)."""

    name = "law"
    alpha: float | None = None

    def _weights(self, k: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def probabilities(self, M: int) -> np.ndarray:
        M = positive_int(M, "M", minimum=2)
        w = self._weights(np.arange(1, M + 1, dtype=np.float64))
        return w / w.sum()

    def describe(self) -> dict:
        return {"name": self.name}


class PowerLaw(SkillLaw):
    """The paper's law ``p_k = k^-(alpha+1) / Z_alpha`` (delegates to :func:`theory.skills.skill_law`)."""

    name = "power"

    def __init__(self, alpha: float):
        self.alpha = positive(alpha, "alpha")

    def probabilities(self, M: int) -> np.ndarray:
        p = th.skill_law(self.alpha, M)
        if p[-1] == 0:  # k^-(alpha+1) underflows: those skills would silently never occur
            last = int(np.argmax(p == 0))
            raise ValidationError(f"alpha={self.alpha:g} with M={M}: p_k = k^-(alpha+1)/Z underflows to 0 from rank "
                             f"{last + 1} on (float64); lower alpha or M")
        return p

    def describe(self) -> dict:
        return {"name": self.name, "alpha": self.alpha}


class BrokenPowerLaw(SkillLaw):
    """``p_k ∝ k^-(alpha_head+1)`` for k <= break_rank, continuous at the break, ``∝ k^-(alpha+1)`` after.

    ``alpha`` is the tail exponent; theory's predictions apply (asymptotically) to it,
    so the comparison table reports them with that caveat.
    """

    name = "broken_power"

    def __init__(self, alpha_head: float, alpha: float, break_rank: int):
        self.alpha_head = positive(alpha_head, "alpha_head")
        self.alpha = positive(alpha, "alpha")
        self.break_rank = positive_int(break_rank, "break_rank")

    def _weights(self, k):
        kb = float(self.break_rank)
        head = k ** (-(self.alpha_head + 1.0))
        tail = kb ** (self.alpha - self.alpha_head) * k ** (-(self.alpha + 1.0))
        return np.where(k <= kb, head, tail)

    def describe(self) -> dict:
        return {"name": self.name, "alpha_head": self.alpha_head, "alpha": self.alpha, "break_rank": self.break_rank}


class ExponentialLaw(SkillLaw):
    """``p_k ∝ exp(-rate k)``: a light tail, for which theory predicts no power law (alpha = None)."""

    name = "exponential"

    def __init__(self, rate: float):
        self.rate = positive(rate, "rate")

    def _weights(self, k):
        # Shift by the first term so exp never underflows at the head.
        return np.exp(-self.rate * (k - 1.0))

    def probabilities(self, M: int) -> np.ndarray:
        p = super().probabilities(M)
        if np.any(p <= 0):
            raise ValidationError(f"rate={self.rate} underflows: skills beyond rank ~{int(700 / self.rate)} get p = 0; "
                             "lower rate or M")
        return p

    def describe(self) -> dict:
        return {"name": self.name, "rate": self.rate}


class EmpiricalLaw(SkillLaw):
    """Frequencies estimated from data: skill degrees (or any nonnegative weights), or a skill graph.

    ``EmpiricalLaw(weights)`` sorts the weights descending and normalizes them:
    that is how the paper recovers ``p_skill`` from the degrees of the skill graph.
    ``EmpiricalLaw(probabilities=p)`` takes stated frequencies, which must sum to 1.
    Skills of weight 0 are dropped (they never occur, so no learner ever meets them).
    ``M`` passed to :meth:`probabilities` must equal the number of kept skills, or
    be larger, in which case it is an error (the data has no more skills).
    """

    name = "empirical"

    def __init__(self, weights=None, *, probabilities=None, alpha: float | None = None):
        if (weights is None) == (probabilities is None):
            raise ValidationError("give exactly one of weights (degrees, any scale) or probabilities (must sum to 1)")
        if probabilities is not None:
            # stated frequencies are taken at their word: they must already sum to 1
            weights = probability_vector(probabilities, "probabilities", atol=1e-8)
        if hasattr(weights, "tocsc") and hasattr(weights, "shape"):
            weights = np.asarray(weights.sum(axis=0)).ravel()
        w = as_float_array(weights, "weights", ndim=1, low=0.0)
        w = np.sort(w[w > 0])[::-1]
        if w.size < 2:
            raise ValidationError("weights must have at least 2 positive entries")
        self._p = w / w.sum()
        self.alpha = None if alpha is None else positive(alpha, "alpha")

    @property
    def M(self) -> int:
        return int(self._p.size)

    def probabilities(self, M: int | None = None) -> np.ndarray:
        if M is not None and positive_int(M, "M", minimum=2) != self._p.size:
            raise ValidationError(f"M must equal the number of skills in the data ({self._p.size}), got {M}")
        return self._p.copy()

    def describe(self) -> dict:
        return {"name": self.name, "M": self.M, "alpha": self.alpha}
