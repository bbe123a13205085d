"""Section 3 (Assumption 3.5, Theorems 3.7 and 3.8): the model's assumptions as plug-ins.

An :class:`Assumptions` bundles everything the learning model of Section 3
assumes: the skill law, the number of skills M, the learning order, the cost
of a skill, the entropies B > C and the per-hit drop delta (Definition 3.4,
Theorem 3.8), optional multiplicative noise on delta, and an optional capacity
limit of N/r skills (Theorem 3.7).

Plug-in protocols (duck-typed; subclass the bases below for validation):

- **law**: ``name``, ``alpha`` (float or None), ``probabilities(M)`` (see :mod:`simulate.laws`).
- **order**: ``name``; ``learning_order(p, rng) -> int array`` (a permutation of
  the ranks 0..M-1, the order skills are taken in; default easiest first);
  ``starts(durations) -> float array``: given each skill's flops-to-comprehend in
  learning order, the flop at which it starts receiving hits. Skill j is
  comprehended at ``starts[j] + durations[j]``.
- **cost**: ``name``; ``expected_flops(p, B, C, delta) -> array``: flops that skill
  y needs when it is learned, in expectation. The engine turns it into a per-flop
  hit probability ``q = (B-C) / (delta * flops)`` (which must be <= 1), so every
  cost model shares one stochastic model: each flop hits the skill with
  probability q and a hit lowers its entropy by delta.

Any plug-in may define ``predicted_exponent(alpha, axis, order)`` to state its
own prediction; the comparison table then shows it with source ``"user"``.

Users add assumptions without editing this package: pass objects directly,
call :func:`register`, or write a TOML file (:func:`load_toml`) whose sections
name a registered plug-in or a Python file (``python = "file.py:ClassName"``).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import pathlib
from typing import Any

import numpy as np
import tomllib

from infogeo.runner import PluginError
from infogeo.validation import ValidationError, ValidationTypeError, choice, finite, nonnegative, positive, positive_int
from theory import skills as th

from .laws import (
    BrokenPowerLaw,
    EmpiricalLaw,
    ExponentialLaw,
    PowerLaw,
    call_plugin,
    check_probabilities,
    plugin_output,
)

__all__ = [
    "Order", "Sequential", "Parallel", "RandomOrder", "KAtATime",
    "Cost", "InverseP", "ConstantCost", "FunctionCost",
    "Assumptions", "register", "REGISTRY", "make", "load_toml", "from_dict",
]


# --------------------------------------------------------------------- orders
class Order:
    """Base class of learning orders: easiest first, one skill at a time unless overridden."""

    name = "order"
    theory_order: str | None = None  # the order theory.skills.predicted_exponent knows it as

    def learning_order(self, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.arange(p.size)

    def starts(self, durations: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        return {"name": self.name}


class Sequential(Order):
    """Assumption 3.5: a skill starts only when the previous one is comprehended."""

    name = "sequential"
    theory_order = "sequential"

    def starts(self, durations):
        out = np.empty_like(durations)
        out[0] = 0.0
        np.cumsum(durations[:-1], out=out[1:])
        return out


class Parallel(Order):
    """Every skill learns from its own hits from the first flop on."""

    name = "parallel"
    theory_order = "parallel"

    def starts(self, durations):
        return np.zeros_like(durations)


class RandomOrder(Sequential):
    """Sequential, but skills are taken in a uniformly random order (hardness ignored)."""

    name = "random"
    theory_order = None

    def learning_order(self, p, rng):
        return rng.permutation(p.size)


class KAtATime(Order):
    """Skills in batches of k (easiest first): a batch starts when the previous batch is all comprehended.

    k = 1 is :class:`Sequential`; k >= M is :class:`Parallel`.
    """

    name = "k_at_a_time"
    theory_order = None

    def __init__(self, k: int = 4):
        self.k = positive_int(k, "k")

    def starts(self, durations):
        M = durations.size
        first = np.arange(0, M, self.k)
        batch_len = np.maximum.reduceat(durations, first)
        batch_start = np.concatenate([[0.0], np.cumsum(batch_len[:-1])])
        return np.repeat(batch_start, np.diff(np.append(first, M)))

    def describe(self):
        return {"name": self.name, "k": self.k}


# ---------------------------------------------------------------------- costs
class Cost:
    """Base class of cost models: ``expected_flops(p, B, C, delta)`` per skill."""

    name = "cost"
    theory_cost: str | None = None

    def expected_flops(self, p, B, C, delta):  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        return {"name": self.name}


class InverseP(Cost):
    """Theorem 3.8: each flop hits skill y with probability p(y): (B-C)/(p Δ) flops."""

    name = "inverse_p"
    theory_cost = "inverse_p"

    def expected_flops(self, p, B, C, delta):
        return th.comprehension_cost(p, B, C, delta, "inverse_p")


class ConstantCost(Cost):
    """Every flop spent on a skill counts: (B-C)/Δ flops whatever its frequency."""

    name = "constant"
    theory_cost = "constant"

    def expected_flops(self, p, B, C, delta):
        return th.comprehension_cost(p, B, C, delta, "constant")


class FunctionCost(Cost):
    """A user cost: ``fn(p) -> relative flops``, scaled so the cheapest skill costs (B-C)/Δ flops.

    Example: ``FunctionCost(lambda p: p ** -0.5, name="sqrt")``. The scaling keeps
    the per-flop hit probability <= 1 (a skill cannot take fewer flops than hits).
    """

    def __init__(self, fn, name: str = "function"):
        if not callable(fn):
            raise ValidationTypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn, self.name = fn, str(name)

    def expected_flops(self, p, B, C, delta):
        try:  # fn is the user's: its errors are reported as a plug-in's (see simulate.laws.call_plugin)
            rel = self.fn(np.asarray(p, dtype=np.float64))
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:
            raise PluginError(self.name, exc, where="while running (cost function)") from exc
        rel = plugin_output(rel, f"cost function {self.name!r}").astype(np.float64, copy=False)
        if rel.shape != np.shape(p) or not np.all(np.isfinite(rel)) or np.any(rel <= 0):
            raise ValidationError(
                f"cost function {self.name!r} must return finite positive flops of shape {np.shape(p)}")
        return rel / rel.min() * (B - C) / delta


# ------------------------------------------------------------------- registry
REGISTRY: dict[str, dict[str, Any]] = {
    "law": {"power": PowerLaw, "broken_power": BrokenPowerLaw, "exponential": ExponentialLaw,
            "empirical": EmpiricalLaw},
    "order": {"sequential": Sequential, "parallel": Parallel, "random": RandomOrder, "k_at_a_time": KAtATime},
    "cost": {"inverse_p": InverseP, "constant": ConstantCost},
}


def register(kind: str, name: str, factory) -> None:
    """Make ``factory`` (a class or callable returning a plug-in) available by ``name`` in CLI and TOML."""
    choice(kind, "kind", sorted(REGISTRY))
    if not callable(factory):
        raise ValidationTypeError("factory must be callable")
    REGISTRY[kind][str(name)] = factory


def make(kind: str, spec) -> Any:
    """A plug-in from a name, a ``{"name": ..., **kwargs}`` dict, or the object itself."""
    choice(kind, "kind", sorted(REGISTRY))
    if isinstance(spec, str):
        spec = {"name": spec}
    if isinstance(spec, dict):
        spec = dict(spec)
        name = spec.pop("name", None)
        if not isinstance(name, str) or name not in REGISTRY[kind]:
            raise ValidationError(f"{kind}.name must be one of {sorted(REGISTRY[kind])}, got {name!r}")
        factory = REGISTRY[kind][name]
        if factory in _BUILTINS:
            try:
                return factory(**spec)
            except TypeError as exc:
                raise ValidationError(f"{kind} {name!r}: bad parameters {sorted(spec)}: {exc}") from None
        return make(kind, construct(factory, spec, name))
    missing = [m for m in PLUGIN_METHODS[kind] if not callable(getattr(spec, m, None))]
    missing += [] if hasattr(spec, "name") else ["name (an attribute)"]
    if missing:
        raise ValidationTypeError(f"{kind} plug-in {type(spec).__name__} must define {', '.join(missing)} "
                                  f"(every {kind} plug-in needs {', '.join(PLUGIN_METHODS[kind])} and a name)")
    return spec


#: The methods a plug-in of each kind must have (``name`` too); the simulation calls each of them.
PLUGIN_METHODS = {"law": ("probabilities",), "order": ("learning_order", "starts"), "cost": ("expected_flops",)}
_BUILTINS = frozenset(f for table in REGISTRY.values() for f in table.values())


def construct(factory, params: dict, name: str):
    """``factory(**params)`` for a user's plug-in: whatever it raises becomes
    :class:`infogeo.runner.PluginError` naming it (``where="in its constructor"``)."""
    try:
        return factory(**params)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        raise PluginError(name, exc, where="in its constructor") from exc


# ---------------------------------------------------------------- assumptions
@dataclasses.dataclass
class Assumptions:
    """Everything the Section 3 learning model assumes, validated.

    Units: B, C, delta in nats (any entropy unit, consistently); flops count
    hits-or-misses of single skill contributions (Theorem 3.8); ``capacity`` in
    skills (N/r of Theorem 3.7) and ``r`` in parameters per skill.
    """

    law: Any = None
    M: int = 100_000
    order: Any = "sequential"
    cost: Any = "inverse_p"
    B: float = 2.0
    C: float = 1.0
    delta: float = 0.1
    delta_noise: float = 0.0
    capacity: int | None = None
    r: float = 100.0

    def __post_init__(self):
        if self.law is None:
            raise ValidationError("law is required (e.g. simulate.PowerLaw(0.5) or {'name': 'power', 'alpha': 0.5})")
        self.law = make("law", self.law)
        if isinstance(self.law, EmpiricalLaw):
            self.M = self.law.M
        self.M = positive_int(self.M, "M", minimum=2)
        self.order = make("order", self.order)
        self.cost = make("cost", self.cost)
        self.B, self.C = finite(self.B, "B"), finite(self.C, "C")
        if not self.B > self.C:
            raise ValidationError(f"B must exceed C (Definition 3.4), got B={self.B}, C={self.C}")
        self.delta = positive(self.delta, "delta")
        if self.delta > (self.B - self.C) * (1 + 1e-9):
            raise ValidationError(f"delta must be <= B - C = {self.B - self.C} (one hit cannot overshoot C), got "
                             f"{self.delta}")
        self.delta = min(self.delta, self.B - self.C)  # round-off only
        self.delta_noise = nonnegative(self.delta_noise, "delta_noise")
        if self.capacity is not None:
            self.capacity = positive_int(self.capacity, "capacity")
            if self.capacity > self.M:  # refused, not clipped: the user asked for something else
                raise ValidationError(f"capacity must be <= M={self.M} skills, got {self.capacity}")
        k = getattr(self.order, "k", None)
        if isinstance(self.order, KAtATime) and k > self.M:
            raise ValidationError(f"order k_at_a_time: k={k} exceeds M={self.M} (a batch of all skills is the parallel "
                             "order)")
        self.r = positive(self.r, "r")

    @property
    def alpha(self) -> float | None:
        return getattr(self.law, "alpha", None)

    def probabilities(self) -> np.ndarray:
        p = call_plugin(self.law, "probabilities", self.M, kind="law")
        return check_probabilities(p, self.M, f"law {self.law.name!r}")

    def replace(self, **changes) -> Assumptions:
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict:
        def d(x):
            return x.describe() if hasattr(x, "describe") else {"name": getattr(x, "name", type(x).__name__)}
        return {
            "law": d(self.law), "M": self.M, "order": d(self.order), "cost": d(self.cost),
            "B": self.B, "C": self.C, "delta": self.delta, "delta_noise": self.delta_noise,
            "capacity": self.capacity, "r": self.r,
        }


_MODEL_KEYS = {"M", "B", "C", "delta", "delta_noise", "capacity", "r"}


def _load_python(ref: str, base: pathlib.Path, field: str):
    if not isinstance(ref, str) or ":" not in ref:
        raise ValidationError(f"{field}.python must look like 'file.py:ClassName', got {ref!r}")
    file, _, attr = ref.rpartition(":")
    path = (base / file).resolve()
    if not path.is_file():
        raise ValidationError(f"{field}.python: file {str(path)!r} not found")
    spec = importlib.util.spec_from_file_location(f"_simulate_user_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # a user's file: report, never crash the CLI with a traceback
        raise ValidationError(f"{field}.python: importing {file!r} failed: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, attr):
        raise ValidationError(f"{field}.python: {file!r} has no attribute {attr!r}")
    return getattr(module, attr)


def from_dict(data: dict, *, base_dir: str | pathlib.Path = ".", **overrides) -> Assumptions:
    """Assumptions from a dict shaped like the TOML file (see :func:`load_toml`)."""
    if not isinstance(data, dict):
        raise ValidationTypeError("assumptions must be a table/dict")
    base = pathlib.Path(base_dir)
    unknown = set(data) - {"law", "order", "cost", "model"}
    if unknown:
        raise ValidationError(f"unknown section(s) {sorted(unknown)}; expected law, order, cost, model")
    kw: dict[str, Any] = {}
    for kind in ("law", "order", "cost"):
        if kind not in data:
            continue
        sec = data[kind]
        if not isinstance(sec, dict):
            raise ValidationError(f"[{kind}] must be a table")
        sec = dict(sec)
        if "python" in sec:
            ref = sec.pop("python")
            factory = _load_python(ref, base, kind)
            sec.pop("name", None)
            try:
                kw[kind] = make(kind, construct(factory, sec, str(ref)))
            except ValidationError as exc:  # the object lacks what a plug-in of this kind must define
                raise type(exc)(f"[{kind}] python plug-in {ref!r}: {exc}") from None
        else:
            if "name" not in sec:
                raise ValidationError(f"[{kind}] needs 'name' (one of {sorted(REGISTRY[kind])}) or 'python'")
            kw[kind] = sec
    model = data.get("model", {})
    if not isinstance(model, dict):
        raise ValidationError("[model] must be a table")
    bad = set(model) - _MODEL_KEYS
    if bad:
        raise ValidationError(f"[model] has unknown key(s) {sorted(bad)}; allowed: {sorted(_MODEL_KEYS)}")
    kw.update(model)
    kw.update({k: v for k, v in overrides.items() if v is not None})
    return Assumptions(**kw)


def _read_assumptions(path) -> tuple[str, bytes, pathlib.Path]:
    """(the name messages give the file, its bytes, the folder relative plug-in paths start from), read once."""
    if str(path) == "-":
        import sys

        return "<stdin>", sys.stdin.buffer.read(), pathlib.Path.cwd()
    p = pathlib.Path(path)
    if p.is_dir():
        raise ValidationError(f"assumptions file {str(p)!r} is a folder; give a .toml file")
    if not p.exists():
        raise ValidationError(f"assumptions file {str(p)!r} not found")
    if not (p.is_file() or p.is_fifo() or p.is_char_device()):
        raise ValidationError(f"assumptions file {str(p)!r} is neither a file nor a pipe")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ValidationError(f"assumptions file {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    return str(p), raw, (p.parent if p.is_file() else pathlib.Path.cwd())


def load_toml(path, **overrides) -> Assumptions:
    """Read an assumptions TOML file (Python 3.11 tomllib). Example::

        [law]
        name = "broken_power"      # or: python = "my_law.py:MyLaw"
        alpha_head = 0.3
        alpha = 0.8
        break_rank = 1000
        [order]
        name = "k_at_a_time"
        k = 8
        [cost]
        python = "sqrt_cost.py:SqrtCost"   # path relative to this file
        [model]
        M = 100000
        delta_noise = 0.2

    ``overrides`` (e.g. ``M=10**6``) win over the file. ``"-"`` reads standard input; a pipe (``/dev/stdin``,
    a named pipe) is read once. Relative plug-in paths are taken from the file's folder, or from the current
    folder for standard input and pipes.
    """
    path, raw, base = _read_assumptions(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError(f"assumptions file {str(path)!r} is not UTF-8 text (TOML must be): byte "
                         f"{raw[exc.start]:#04x} at line {line}, offset {exc.start}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line L, column C)"
        raise ValidationError(f"malformed TOML in {str(path)!r}: {exc}") from None
    try:
        return from_dict(data, base_dir=base, **overrides)
    except ValidationError as exc:  # a key or value the model refuses: say which file it came from (a bug propagates)
        kind = ValidationTypeError if isinstance(exc, TypeError) else ValidationError
        raise kind(f"assumptions file {str(path)!r}: {exc}") from None
