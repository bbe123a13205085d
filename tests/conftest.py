"""Shared test configuration.

Hypothesis profiles: ``ci`` (default; bounded, derandomized so CI is
reproducible), ``thorough`` (many more examples). Select with
``INFOGEO_HYPOTHESIS_PROFILE=thorough``.

Tests marked ``slow`` run everywhere, in a bounded form unless
``INFOGEO_FULL=1``; the ``full_scale`` fixture tells them which.

torch runs on the kernels the report runs on (``infogeo.pin_torch_cpu_kernels``,
set here before any test loads torch), so a determinism test checks the
configuration that ships, and the mini-Pythia cache names agree within a session.
"""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from infogeo import pin_torch_cpu_kernels

pin_torch_cpu_kernels()

settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("INFOGEO_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def full_scale() -> bool:
    """True when INFOGEO_FULL=1: slow tests then run at the sizes the issues name."""
    return os.environ.get("INFOGEO_FULL", "0") == "1"


_EXTRA_TEXTS = [
    "the quick brown fox jumps over the lazy dog while a small model reads numbers 0 1 2 3 4 5 6 7 8 9",
    "Human: can you help me? Assistant: yes, here is what I would suggest for that question.",
]


def build_tiny_family(root: Path, *, hidden: int = 64, layers: int = 2, steps=(0, 1)) -> Path:
    """A Pythia-like family: root/tokenizer files + root/step<k>/ (save_pretrained GPT-NeoX, seed k)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM, PreTrainedTokenizerFast

    from empirical.measure.prompts import CAPITALS_SENTENCE, CONTEXTS, COUNTRIES

    corpus = [CAPITALS_SENTENCE] * 3 + [f"{c} {n}" for c in CONTEXTS.values() for n in COUNTRIES] + _EXTRA_TEXTS

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>"], show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    root.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(root)
    for k in steps:
        cfg = GPTNeoXConfig(vocab_size=tok.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
                            num_attention_heads=4, intermediate_size=2 * hidden, max_position_embeddings=128,
                            rotary_pct=0.25, use_parallel_residual=True)
        torch.manual_seed(k)
        GPTNeoXForCausalLM(cfg).save_pretrained(root / f"step{k}")
    return root


@pytest.fixture(scope="session")
def tiny_family(tmp_path_factory) -> Path:
    """A tiny random GPT-NeoX family saved locally, built once per session (needs torch and transformers)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return build_tiny_family(tmp_path_factory.mktemp("tiny_neox"))


@pytest.fixture(scope="session")
def small_trajectories():
    """(trajectory table, exponents table) of a sequential and a parallel learner at M = 5000, α = 0.5, the parallel
    one with its frontier: the inputs of simulate.plots' trajectory figures, small enough to draw in a test."""
    import pandas as pd

    import simulate

    exps, trajs = [], []
    for order in ("sequential", "parallel"):
        a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=5000, order=order)
        df, runs = simulate.exponents(a, n_boot=0, return_runs=True, points=60)
        exps.append(df)
        fr = simulate.frontier(a, points=60, caps=50) if order == "parallel" else None
        trajs.append(simulate.trajectory_table(runs[0], frontier=fr, max_points=40))
    return pd.concat(trajs, ignore_index=True), pd.concat(exps, ignore_index=True)
