"""Training and held-out token streams for the mini-Pythia family (Sections 3-4 measure on hh-rlhf).

The corpus is the shipped hh-rlhf harmless-base test transcripts (field
"chosen"; MIT; offensive content: never print them). Documents are split into
train and held-out by a seeded permutation of document indices, so no dialogue
appears in both. Each split is tokenized, every document followed by
``<|endoftext|>`` (GPT-NeoX's document separator), concatenated, and cut into
packed sequences of ``context_length`` tokens.
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import ValidationError

__all__ = ["load_documents", "split_documents", "pack", "batch_indices"]


def load_documents(limit: int | None = None) -> list[str]:
    """The "chosen" transcripts of the shipped hh-rlhf sample (the first ``limit``), the family's one corpus."""
    from empirical.measure.texts import load_hh_rlhf

    return load_hh_rlhf("chosen", limit=limit)


def split_documents(n_docs: int, heldout_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, heldout) of a deterministic document-level split; each sorted, disjoint, covering all."""
    if not isinstance(n_docs, int) or n_docs < 2:
        raise ValidationError(f"n_docs must be an integer >= 2, got {n_docs!r}")
    if not 0 < heldout_fraction < 1:
        raise ValidationError(f"heldout_fraction must be in (0, 1), got {heldout_fraction!r}")
    perm = np.random.default_rng([seed, 0x5EED]).permutation(n_docs)
    n_held = min(n_docs - 1, max(1, round(heldout_fraction * n_docs)))
    return np.sort(perm[n_held:]), np.sort(perm[:n_held])


def pack(token_lists, eot_id: int, context_length: int) -> np.ndarray:
    """Concatenate documents (each followed by ``eot_id``) and cut into rows of ``context_length``.

    Returns an int64 array of shape (n_sequences, context_length); the tail
    shorter than one sequence is dropped.
    """
    if context_length < 2:
        raise ValidationError(f"context_length must be >= 2, got {context_length!r}")
    parts = []
    for ids in token_lists:
        parts.append(np.asarray(ids, dtype=np.int64))
        parts.append(np.array([eot_id], dtype=np.int64))
    stream = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    n = len(stream) // context_length
    if n == 0:
        raise ValidationError(f"corpus too small: {len(stream)} tokens < one sequence of {context_length}")
    return stream[: n * context_length].reshape(n, context_length)


def batch_indices(step: int, batch_size: int, n_sequences: int, seed: int) -> np.ndarray:
    """Row indices of the training batch at optimizer step ``step`` (0-based).

    A pure function of (step, seed): sequence ``g = step*batch_size + j`` of the
    run is row ``perm_e[g mod n]`` with ``perm_e`` a seeded permutation for
    epoch ``e = g // n``. Every size therefore sees the same data in the same
    order, and a resumed run needs only the step count.
    """
    if step < 0 or batch_size < 1 or n_sequences < 1:
        raise ValidationError(
            f"need step >= 0, batch_size >= 1, n_sequences >= 1; got {step}, {batch_size}, {n_sequences}")
    g = np.arange(step * batch_size, (step + 1) * batch_size)
    epochs, pos = np.divmod(g, n_sequences)
    out = np.empty(batch_size, dtype=np.int64)
    for e in np.unique(epochs):
        perm = np.random.default_rng([seed, 0xDA7A, int(e)]).permutation(n_sequences)
        mask = epochs == e
        out[mask] = perm[pos[mask]]
    return out
