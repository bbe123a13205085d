"""Section 3 (Theorem 3.7's N): the GPT-NeoX models of the skill-language family, their tokenizer and sizes.

Models are Hugging Face ``GPTNeoXForCausalLM`` (Pythia's architecture: parallel
residual, rotary positions, untied output layer), so the measurement engine
loads a checkpoint exactly as it loads Pythia or mini-Pythia. The tokenizer is a
word-level ``PreTrainedTokenizerFast`` over the language's vocabulary (split on
whitespace), so ``"n3 n17 x2 = a5"`` is five tokens.

Which N is Theorem 3.7's: the **non-embedding** count (attention, MLP, layer
norms). A skill is named by two letters from a small alphabet, so no embedding
row belongs to one skill; the embedding and output layers (vocab x d, ~50
rows) hold the alphabet, and what distinguishes skill k from skill j must be
stored in the blocks. Both counts are reported (``params_total``,
``params_nonembedding``, as Pythia's tables do).
"""
from __future__ import annotations

import dataclasses

from infogeo.validation import ValidationError, positive_int

from .language import EOT, SkillLanguage

__all__ = ["SizeSpec", "model_config", "build_model", "count_parameters", "make_tokenizer"]


@dataclasses.dataclass(frozen=True)
class SizeSpec:
    """One size: ``d_model`` (width), ``n_layers``, ``n_heads`` (d_model % n_heads == 0, head dim even)."""

    d_model: int
    n_layers: int = 2
    n_heads: int = 2

    def __post_init__(self):
        for f in ("d_model", "n_layers", "n_heads"):
            positive_int(getattr(self, f), f)
        if self.d_model % self.n_heads or (self.d_model // self.n_heads) % 2:
            raise ValidationError(f"d_model={self.d_model} must split into n_heads={self.n_heads} heads of even "
                                  "dimension (rotary)")

    @property
    def name(self) -> str:
        return f"d{self.d_model}l{self.n_layers}"


def model_config(size: SizeSpec, lang: SkillLanguage):
    """The ``GPTNeoXConfig``: Pythia's settings, rotary on half of each head, context = one packed sequence."""
    from transformers import GPTNeoXConfig

    return GPTNeoXConfig(
        vocab_size=lang.vocab_size, hidden_size=size.d_model, num_hidden_layers=size.n_layers,
        num_attention_heads=size.n_heads, intermediate_size=4 * size.d_model, hidden_act="gelu",
        rotary_pct=0.5, rotary_emb_base=10000, max_position_embeddings=lang.per_seq * 5,
        initializer_range=0.02, layer_norm_eps=1e-5, use_parallel_residual=True, tie_word_embeddings=False,
        attention_dropout=0.0, hidden_dropout=0.0, bos_token_id=0, eos_token_id=0, pad_token_id=0,
    )


def build_model(size: SizeSpec, lang: SkillLanguage, seed: int):
    """A freshly initialised float32 ``GPTNeoXForCausalLM`` (SDPA attention); the same seed gives the same weights."""
    import torch
    from transformers import GPTNeoXForCausalLM

    torch.manual_seed(int(seed))
    cfg = model_config(size, lang)
    cfg._attn_implementation = "sdpa"
    return GPTNeoXForCausalLM(cfg).float()


def count_parameters(model) -> tuple[int, int]:
    """(total, non-embedding): non-embedding leaves out the input embedding and the untied output layer."""
    total = sum(p.numel() for p in model.parameters())
    emb = model.get_input_embeddings().weight.numel() + model.get_output_embeddings().weight.numel()
    return int(total), int(total - emb)


def make_tokenizer(lang: SkillLanguage):
    """A word-level ``PreTrainedTokenizerFast`` whose ids are the language's token ids."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({t: i for i, t in enumerate(lang.vocab)}, unk_token=EOT))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT,
                                   pad_token=EOT, model_max_length=lang.per_seq * 5,
                                   clean_up_tokenization_spaces=False)
