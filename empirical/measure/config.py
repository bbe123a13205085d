"""Sections 3-4: the paper's measurement parameters in one frozen record, built once and stored with every run.

The CLI (``python -m empirical measure``) and the report build a
:class:`MeasureConfig` once and hand it to the engine, which stores it whole
(``to_dict``) in each run's ``_done.json`` marker: a finished run is reused
only for the same configuration. Defaults are the paper's constants.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from infogeo.validation import ValidationError, ValidationTypeError, nonnegative, positive, positive_int

from . import measurements as _registry
from .measurements import MEASUREMENTS
from .metrics import (
    DEFAULT_RIDGE,
    PAPER_EPS,
    PAPER_JS_GAMMA,
    PAPER_LASSO_LAMBDA,
    PAPER_SELECTION_THRESHOLD,
    PAPER_SIGMA,
)

__all__ = ["SQUARED_RANGE", "MeasureConfig"]

#: eps and sigma are squared (log(1 + 1/eps^2), I + K/sigma^2): outside this range the square is not a normal float.
SQUARED_RANGE = (1e-150, 1e150)


@dataclass(frozen=True)
class MeasureConfig:
    """What to measure, on which tokens, with which constants (the paper's by default).

    Attributes
    ----------
    measurements : non-empty subset of the registry's names (:data:`~empirical.measure.measurements.MEASUREMENTS`),
        in the order given.
    layers : None (the last layer), an int, a sequence of ints, ``"all"`` or
        ``"0,2,-1"``: hidden-state indices (see :mod:`empirical.measure.models`),
        resolved against the model when it is loaded.
    max_tokens : texts are truncated to their first ``max_tokens`` tokens;
        None = ``min(DEFAULT_MAX_TOKENS, context)``.
    text_limit : measure only the first ``text_limit`` texts (None: all).
    text_field : the JSONL key holding a text (a user's texts file).
    eps : distortion ε of the rate-distortion entropy (Definition 3.1; paper 0.1), in ``SQUARED_RANGE``.
    sigma : GP noise σ of the information gain (Section 4.1; paper 0.01), in ``SQUARED_RANGE``.
    lasso_lambda : λ of the Lasso ``||z - Zᵀβ||² + λ||β||₁`` (Section 4.2; paper 1e-4).
    threshold : selection threshold on Lasso and attention weights (Section 4.2; paper 0.01).
    gamma : γ of the JS distance (Section 4.3; paper 100).
    ridge : ridge added to token covariances for the Logdet, Riemannian and
        log-Euclidean distances (the paper does not state one; 1e-4).
    seed : UMAP's random state, the only random step.
    """

    measurements: tuple[str, ...] = MEASUREMENTS
    layers: object = None
    max_tokens: int | None = None
    text_limit: int | None = None
    text_field: str = "text"
    eps: float = PAPER_EPS
    sigma: float = PAPER_SIGMA
    lasso_lambda: float = PAPER_LASSO_LAMBDA
    threshold: float = PAPER_SELECTION_THRESHOLD
    gamma: float = PAPER_JS_GAMMA
    ridge: float = DEFAULT_RIDGE
    seed: int = 0

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise through the back door, once
        if isinstance(self.measurements, str):
            raise ValidationTypeError(f"measurements must be a sequence of names, got the string {self.measurements!r}")
        measurements = tuple(self.measurements)
        unknown = [m for m in measurements if m not in _registry.REGISTRY]
        if unknown or not measurements:
            raise ValidationError(f"measurements must be a non-empty subset of {list(_registry.REGISTRY)}, "
                             f"got {list(measurements)}")
        set_(self, "measurements", measurements)
        if isinstance(self.layers, (list, tuple)):
            set_(self, "layers", tuple(self.layers))
        for name in ("max_tokens", "text_limit"):
            if getattr(self, name) is not None:
                set_(self, name, positive_int(getattr(self, name), name))
        if not isinstance(self.text_field, str) or not self.text_field:
            raise ValidationTypeError(f"text_field must be a non-empty string, got {self.text_field!r}")
        for name in ("eps", "sigma", "lasso_lambda", "gamma"):
            set_(self, name, positive(getattr(self, name), name))
        lo, hi = SQUARED_RANGE
        for name in ("eps", "sigma"):  # the formulas use 1/eps^2 and K/sigma^2: squares must stay normal floats
            if not lo <= getattr(self, name) <= hi:
                raise ValidationError(f"{name} must lie in [{lo:g}, {hi:g}] (its square enters the formula and must "
                                 f"neither overflow nor underflow), got {getattr(self, name)!r}")
        for name in ("threshold", "ridge"):
            set_(self, name, nonnegative(getattr(self, name), name))
        set_(self, "seed", positive_int(self.seed, "seed", minimum=0))

    def replace(self, **changes) -> MeasureConfig:
        """A copy with ``changes`` (validated like a new config)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-ready fields (tuples as lists), as stored in the run marker."""
        d = dataclasses.asdict(self)
        d["measurements"] = list(self.measurements)
        if isinstance(self.layers, tuple):
            d["layers"] = list(self.layers)
        return d

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))
