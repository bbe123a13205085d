"""Mini-Pythia family recipe (Sections 3-4 measure trained LLMs): sizes, schedule, checkpoints, cache paths.

Everything that decides the trained weights lives in one frozen
:class:`FamilyConfig` together with what the machine contributes (torch's
version and kernel pins, :func:`infogeo.torch_kernel_settings`, and the training
thread count); their hash names the cache directory, so a changed recipe or a
family trained on other kernels never stands in for this one.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from infogeo.checkpoints import checkpoint_steps
from infogeo.validation import ValidationError, ValidationTypeError, nonnegative_int, positive_int

__all__ = [
    "SizeSpec", "FamilyConfig", "DEFAULT_CONFIG", "MINIMAL_CONFIG", "FAMILY_NAME",
]

FAMILY_NAME = "minipythia"
FORMAT_VERSION = "v1"


@dataclass(frozen=True)
class SizeSpec:
    """One rung of the ladder: a GPT-NeoX of width ``d_model`` and ``n_layers`` layers.

    ``lr`` is the peak AdamW learning rate; like Pythia's, it shrinks as the
    model grows (Pythia: 1e-3 at 70M down to 1.2e-4 at 12B).
    """
    name: str
    d_model: int
    n_layers: int
    n_heads: int
    lr: float

    def __post_init__(self):
        for arg in ("d_model", "n_layers", "n_heads"):
            v = getattr(self, arg)
            positive_int(v, arg)
        if self.d_model % self.n_heads:
            raise ValidationError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if (self.d_model // self.n_heads) % 8:
            # rotary acts on 25% of each head's dimensions, in pairs
            raise ValidationError(
                f"head size d_model/n_heads must be a multiple of 8, got {self.d_model // self.n_heads}")
        if not self.name or "/" in self.name or self.name.startswith("."):
            raise ValidationError(f"name must be a non-empty directory name, got {self.name!r}")
        if not (isinstance(self.lr, float) and 0 < self.lr < 1):
            raise ValidationError(f"lr must be a float in (0, 1), got {self.lr!r}")


@dataclass(frozen=True)
class FamilyConfig:
    """The recipe shared by every size: data, tokenizer, batch, schedule, checkpoints, seed.

    Pythia's recipe, scaled down: AdamW (beta 0.9/0.95, eps 1e-8, weight decay
    0.01), gradient clipping at 1.0, linear warmup then cosine decay to 10% of
    the peak rate, batch of packed ``context_length`` sequences, every size
    seeing the same batches in the same order.
    """
    sizes: tuple[SizeSpec, ...]
    seed: int = 0
    corpus_limit: int | None = None        # first N hh-rlhf documents only (minimal configs)
    heldout_fraction: float = 0.1
    vocab_size: int = 2048
    context_length: int = 128
    batch_size: int = 8                    # sequences per step
    total_steps: int = 512
    n_even_checkpoints: int = 8
    warmup_fraction: float = 0.04
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    grad_clip: float = 1.0
    eval_heldout_sequences: int = 96
    eval_train_sequences: int = 32
    eval_batch_size: int = 32
    train_threads: int = 2                 # torch threads while training: another count gives other weights
    label: str = "default"                 # names the cache directory; not part of the recipe

    def __post_init__(self):
        if not isinstance(self.sizes, tuple) or not self.sizes or not all(isinstance(s, SizeSpec) for s in self.sizes):
            raise ValidationTypeError("sizes must be a non-empty tuple of SizeSpec")
        names = [s.name for s in self.sizes]
        if len(set(names)) != len(names):
            raise ValidationError(f"sizes must have distinct names, got {names}")
        for arg in ("vocab_size", "context_length", "batch_size", "total_steps", "n_even_checkpoints",
                    "eval_heldout_sequences", "eval_train_sequences", "eval_batch_size", "train_threads"):
            v = getattr(self, arg)
            positive_int(v, arg)
        nonnegative_int(self.seed, "seed")
        if self.vocab_size < 258:
            raise ValidationError(f"vocab_size must be at least 258 (256 bytes + <|endoftext|> + one merge), "
                             f"got {self.vocab_size}")
        if self.context_length < 2:
            raise ValidationError(f"context_length must be at least 2, got {self.context_length}")
        if not 0 < self.heldout_fraction < 1:
            raise ValidationError(f"heldout_fraction must be in (0, 1), got {self.heldout_fraction!r}")
        if not 0 <= self.warmup_fraction < 1:
            raise ValidationError(f"warmup_fraction must be in [0, 1), got {self.warmup_fraction!r}")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValidationError(f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio!r}")
        if self.n_even_checkpoints > self.total_steps:
            raise ValidationError(f"n_even_checkpoints ({self.n_even_checkpoints}) must not exceed "
                             f"total_steps ({self.total_steps})")
        if self.corpus_limit is not None and (not isinstance(self.corpus_limit, int) or self.corpus_limit < 10):
            raise ValidationError(f"corpus_limit must be None or an integer >= 10, got {self.corpus_limit!r}")
        if not self.label or "/" in self.label or self.label.startswith("."):
            raise ValidationError(f"label must be a non-empty directory name, got {self.label!r}")

    # -- derived -----------------------------------------------------------
    @property
    def batch_tokens(self) -> int:
        """Tokens per optimizer step (sequences x context), Pythia's "batch size in tokens"."""
        return self.batch_size * self.context_length

    @property
    def total_tokens(self) -> int:
        return self.total_steps * self.batch_tokens

    @property
    def warmup_steps(self) -> int:
        return max(1, round(self.warmup_fraction * self.total_steps)) if self.warmup_fraction > 0 else 0

    @property
    def steps(self) -> tuple[int, ...]:
        return checkpoint_steps(self.total_steps, self.n_even_checkpoints)

    def size(self, name: str) -> SizeSpec:
        for s in self.sizes:
            if s.name == name:
                return s
        raise ValidationError(f"sizes: unknown size {name!r}; choose from {[s.name for s in self.sizes]}")

    def recipe(self) -> dict:
        """The JSON-able recipe that determines the weights: every field but ``label``, and the torch version and
        kernel settings of this process (``kernels``; pinned by ``infogeo minipythia`` and ``python -m reports``)."""
        from infogeo import torch_kernel_settings

        d = dataclasses.asdict(self)
        d.pop("label")
        d["format"] = FORMAT_VERSION
        d["kernels"] = torch_kernel_settings()
        return d

    @property
    def hash(self) -> str:
        blob = json.dumps(self.recipe(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:10]

    @property
    def dirname(self) -> str:
        return f"{self.label}-{FORMAT_VERSION}-{self.hash}"

    def replace(self, **changes) -> FamilyConfig:
        return dataclasses.replace(self, **changes)


# The default ladder: width and depth grow together as in Pythia (70M: 6 layers
# x 512, 1B: 16 x 2048). Names are non-embedding parameter counts, rounded, as
# Pythia names sizes by parameters. Peak learning rates were picked from short
# sweeps on this recipe (7k: 3e-3 -> 4.77 nats, 1e-2 -> 4.30, 2e-2 -> 4.24;
# 1.8m: 2e-3 -> 3.96, 4e-3 -> 3.95, at batch 16 x 256 steps); batch 8 x 512
# steps beat 16 x 256 by ~0.1 nats at equal tokens.
_DEFAULT_SIZES = (
    SizeSpec("7k", d_model=16, n_layers=2, n_heads=1, lr=2e-2),
    SizeSpec("26k", d_model=32, n_layers=2, n_heads=2, lr=1.2e-2),
    SizeSpec("150k", d_model=64, n_layers=3, n_heads=4, lr=6e-3),
    SizeSpec("450k", d_model=96, n_layers=4, n_heads=4, lr=4e-3),
    SizeSpec("800k", d_model=128, n_layers=4, n_heads=4, lr=3.5e-3),
    SizeSpec("1.8m", d_model=192, n_layers=4, n_heads=6, lr=3e-3),
)

DEFAULT_CONFIG = FamilyConfig(sizes=_DEFAULT_SIZES)

# For CI: two tiny rungs on the first documents, a dozen steps; trains in seconds.
MINIMAL_CONFIG = FamilyConfig(
    sizes=(SizeSpec("a", d_model=8, n_layers=1, n_heads=1, lr=3e-3),
           SizeSpec("b", d_model=16, n_layers=2, n_heads=2, lr=3e-3)),
    corpus_limit=120, vocab_size=300, context_length=32, batch_size=4, total_steps=12,
    n_even_checkpoints=3, eval_heldout_sequences=8, eval_train_sequences=4, eval_batch_size=8,
    train_threads=1, label="minimal",
)
