"""Byte-level BPE tokenizer for the mini-Pythia family (Sections 3-4 measure per-token entropies).

Trained with Hugging Face ``tokenizers`` on the training split only, in the
image of Pythia's GPT-NeoX tokenizer: byte-level pre-tokenizer without a prefix
space, one special token ``<|endoftext|>`` (id 0) used as BOS, EOS, PAD and
document separator.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from infogeo.validation import ValidationError

EOT = "<|endoftext|>"

__all__ = ["EOT", "train_tokenizer", "wrap_fast", "save_tokenizer", "load_tokenizer"]


def train_tokenizer(texts: Sequence[str], vocab_size: int):
    """A ``tokenizers.Tokenizer`` (byte-level BPE) of ``vocab_size`` entries trained on ``texts``.

    Deterministic: the same texts in the same order give the same merges.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if not isinstance(vocab_size, int) or vocab_size < 258:
        raise ValidationError(f"vocab_size must be an integer >= 258, got {vocab_size!r}")
    if not texts:
        raise ValidationError("texts must be a non-empty sequence of strings")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    return tok


def wrap_fast(tok):
    """``PreTrainedTokenizerFast`` around ``tok`` with Pythia's special-token roles."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT, pad_token=EOT,
        model_max_length=None, clean_up_tokenization_spaces=False,
    )


def save_tokenizer(fast, directory: str | Path) -> None:
    """Write the tokenizer files so ``AutoTokenizer.from_pretrained(directory)`` loads them."""
    fast.save_pretrained(str(directory))


def load_tokenizer(directory: str | Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(directory))
