"""Training loop for one mini-Pythia size (Sections 3-4 measure trained checkpoints).

Pythia's recipe on CPU: GPT-NeoX (rotary on 25% of head dims, parallel
attention + MLP, untied embeddings), AdamW, linear warmup then cosine decay,
gradient clipping. Checkpoints ``step<k>/`` are ``save_pretrained``
directories with the tokenizer beside the weights; the newest also holds
``training_state.pt`` (optimizer, scheduler, RNG, step) so training resumes
exactly where it stopped.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infogeo.validation import ValidationError, positive_int

from .config import FamilyConfig, SizeSpec
from .corpus import batch_indices

__all__ = [
    "model_config", "build_model", "count_parameters", "lr_multiplier", "evaluate_loss",
    "train_size", "completed_steps", "STATE_FILE", "METRICS_FILE", "COMPLETE_FILE",
]

STATE_FILE = "training_state.pt"
METRICS_FILE = "metrics.json"
COMPLETE_FILE = "complete.json"


def model_config(size: SizeSpec, config: FamilyConfig):
    """The ``GPTNeoXConfig`` of ``size`` under ``config`` (Pythia's settings, scaled)."""
    from transformers import GPTNeoXConfig

    return GPTNeoXConfig(
        vocab_size=config.vocab_size,
        hidden_size=size.d_model,
        num_hidden_layers=size.n_layers,
        num_attention_heads=size.n_heads,
        intermediate_size=4 * size.d_model,
        hidden_act="gelu",
        rotary_pct=0.25,
        rotary_emb_base=10000,
        max_position_embeddings=config.context_length,
        initializer_range=0.02,
        layer_norm_eps=1e-5,
        use_parallel_residual=True,
        tie_word_embeddings=False,
        attention_dropout=0.0,
        hidden_dropout=0.0,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
    )


def build_model(size: SizeSpec, config: FamilyConfig, seed: int):
    """A freshly initialised ``GPTNeoXForCausalLM``; the same seed gives the same weights."""
    import torch
    from transformers import GPTNeoXForCausalLM

    torch.manual_seed(seed)
    model = GPTNeoXForCausalLM(model_config(size, config))
    return model.float()


def count_parameters(model) -> tuple[int, int]:
    """(total, non-embedding) parameter counts.

    Non-embedding excludes both the input embedding and the (untied) output
    projection, as the Pythia paper's "non-embedding params" column does.
    """
    total = sum(p.numel() for p in model.parameters())
    emb = model.get_input_embeddings().weight.numel() + model.get_output_embeddings().weight.numel()
    return total, total - emb


def lr_multiplier(step: int, total_steps: int, warmup_steps: int, min_lr_ratio: float) -> float:
    """Learning-rate factor for the update made at ``step`` (0-based): linear warmup, cosine to ``min_lr_ratio``."""
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    decay = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay)
    return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def evaluate_loss(model, sequences: np.ndarray, batch_size: int = 32) -> float:
    """Mean next-token cross-entropy in nats over every predicted position of ``sequences``.

    ``sequences`` is an integer array (n, context); position t predicts token
    t+1 within its row. Sums in float64 so the number does not depend on
    ``batch_size``'s rounding beyond float32 logits.
    """
    import torch
    import torch.nn.functional as F

    seqs = np.asarray(sequences)
    if seqs.ndim != 2 or seqs.shape[1] < 2 or seqs.shape[0] < 1:
        raise ValidationError(f"sequences must have shape (n>=1, context>=2), got {seqs.shape}")
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(seqs), batch_size):
            ids = torch.as_tensor(seqs[i: i + batch_size], dtype=torch.long)
            logits = model(input_ids=ids).logits[:, :-1].float()
            nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
            total += nll.double().sum().item()
            count += nll.numel()
    model.train(was_training)
    return total / count


def max_threads() -> int:
    """The most torch threads a family may train with: 4 threads per core of this machine, and at least 256.

    More threads than cores only oversubscribes them; the thread count is part of a recipe, so a family trained
    on a larger machine must still be reproducible here (slowly), hence the floor. Each thread reserves a stack
    (8 MiB by default) and torch's per-thread buffers: 256 threads stay within ~2 GB of address space, while
    10^6 would reserve ~8 TB and fail far into the work.
    """
    return max(256, 4 * (os.cpu_count() or 1))


def check_threads(threads, name: str = "--threads") -> int:
    """A training thread count in 1..:func:`max_threads`, or an error naming ``name``."""
    threads = positive_int(threads, name)
    if threads > max_threads():
        raise ValidationError(f"{name} {threads}: at most {max_threads()} threads (4 per core of this "
                              f"{os.cpu_count()}-core machine, at least 256); more only oversubscribe the cores")
    return threads


def resolve_threads(threads: int | None, config: FamilyConfig) -> int:
    """The training thread count: the recipe's ``train_threads``; an explicit ``threads`` must equal it.

    The count changes the order of torch's and MKL's sums, hence the weights, so it is part of the recipe (and of
    the cache's name): train another count with ``config.replace(train_threads=N)``, which is another family.
    """
    if threads is None:
        return check_threads(config.train_threads, "train_threads")
    threads = check_threads(threads, "threads")
    if threads != config.train_threads:
        raise ValidationError(f"threads={threads} differs from the recipe's train_threads={config.train_threads}; the "
                         f"thread count changes the weights, so train it as its own family: "
                         f"config.replace(train_threads={threads})")
    return threads


@contextlib.contextmanager
def fixed_threads(n: int):
    """Set torch's thread count and deterministic mode for the block, then restore both."""
    import torch

    before = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(n)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(before)
        torch.use_deterministic_algorithms(det)


def completed_steps(size_dir: Path) -> list[int]:
    """Steps whose checkpoint directory is complete (written atomically), ascending."""
    out = []
    if size_dir.is_dir():
        for p in size_dir.iterdir():
            if p.is_dir() and p.name.startswith("step") and p.name[4:].isdigit() and (p / METRICS_FILE).exists():
                out.append(int(p.name[4:]))
    return sorted(out)


@contextlib.contextmanager
def _quiet_saves():
    """Hide transformers' per-save "Writing model shards" bar; ours already shows progress."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()


def _save_checkpoint(size_dir: Path, step: int, model, fast_tokenizer, metrics: dict, state: dict | None) -> Path:
    import torch

    final = size_dir / f"step{step}"
    tmp = size_dir / f".step{step}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with _quiet_saves():
        model.save_pretrained(str(tmp))
        fast_tokenizer.save_pretrained(str(tmp))
    if state is not None:
        torch.save(state, tmp / STATE_FILE)
    # metrics.json last: its presence marks the checkpoint as complete
    (tmp / METRICS_FILE).write_text(json.dumps(metrics, indent=1))
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    return final


def _resume_or_build(size_dir: Path, size: SizeSpec, config: FamilyConfig):
    """(start step, saved training state or None, model): the newest checkpoint holding its state, else step 0."""
    import torch
    from transformers import GPTNeoXForCausalLM

    resumable = [s for s in completed_steps(size_dir) if (size_dir / f"step{s}" / STATE_FILE).exists()]
    if not resumable:
        return 0, None, build_model(size, config, config.seed)
    start = resumable[-1]
    ck = size_dir / f"step{start}"
    model = GPTNeoXForCausalLM.from_pretrained(str(ck), dtype=torch.float32)
    state = torch.load(ck / STATE_FILE, weights_only=False)
    if state["step"] != start:
        raise RuntimeError(f"{ck}: training state is for step {state['step']}, not {start}")
    return start, state, model


def _optimizer(model, size: SizeSpec, config: FamilyConfig, state: dict | None):
    """AdamW with warmup and cosine decay, restored (with torch's RNG) from ``state``; and the seconds trained."""
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=size.lr, betas=tuple(config.betas), eps=config.eps,
                            weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_multiplier(s, config.total_steps, config.warmup_steps, config.min_lr_ratio))
    if state is None:
        return opt, sched, 0.0
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    return opt, sched, state["train_seconds"]


@dataclass
class _Trainer:
    """One size being trained: what a checkpoint saves, and the optimizer steps between checkpoints."""

    size_dir: Path
    size: SizeSpec
    config: FamilyConfig
    model: object
    opt: object
    sched: object
    evals: tuple  # (train_eval, heldout_eval)
    fast_tokenizer: object
    keep_state: str

    def __post_init__(self):
        self.n_total, self.n_nonemb = count_parameters(self.model)

    def checkpoint(self, step: int, train_seconds: float) -> dict:
        """Evaluate both losses, save ``step<k>/`` with its training state, and return its metrics."""
        import torch

        config = self.config
        metrics = {
            "size": self.size.name, "step": step, "tokens": step * config.batch_tokens,
            "batch_tokens": config.batch_tokens, "params_total": self.n_total, "params_nonembedding": self.n_nonemb,
            "train_loss_nats": evaluate_loss(self.model, self.evals[0], config.eval_batch_size),
            "heldout_loss_nats": evaluate_loss(self.model, self.evals[1], config.eval_batch_size),
            "lr_next": self.opt.param_groups[0]["lr"], "train_seconds": train_seconds,
        }
        st = {"step": step, "optimizer": self.opt.state_dict(), "scheduler": self.sched.state_dict(),
              "torch_rng": torch.get_rng_state(), "train_seconds": train_seconds, "config_hash": config.hash}
        _save_checkpoint(self.size_dir, step, self.model, self.fast_tokenizer, metrics, st)
        if self.keep_state == "last":
            for s in completed_steps(self.size_dir):
                if s != step and (self.size_dir / f"step{s}" / STATE_FILE).exists():
                    (self.size_dir / f"step{s}" / STATE_FILE).unlink()
        return metrics

    def train(self, train_seqs: np.ndarray, start: int, end: int, elapsed: float, progress: bool) -> float:
        """Optimizer steps ``start..end-1``, checkpointing at the config's steps; returns the seconds trained."""
        import torch
        from tqdm.auto import tqdm

        config, ckpts = self.config, set(self.config.steps)
        bar = tqdm(total=config.total_steps, initial=start, desc=f"minipythia {self.size.name}", unit="step",
                   disable=not progress, leave=False)
        t0 = time.perf_counter()
        eval_time = 0.0
        for step in range(start, end):
            rows = batch_indices(step, config.batch_size, len(train_seqs), config.seed)
            ids = torch.as_tensor(train_seqs[rows], dtype=torch.long)
            logits = self.model(input_ids=ids).logits[:, :-1]
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
            self.opt.step()
            self.sched.step()
            self.opt.zero_grad(set_to_none=True)
            bar.update(1)
            if (step + 1) in ckpts:
                te = time.perf_counter()
                m = self.checkpoint(step + 1, elapsed + te - t0 - eval_time)
                eval_time += time.perf_counter() - te
                bar.set_postfix(heldout=f"{m['heldout_loss_nats']:.3f}")
        bar.close()
        return elapsed + time.perf_counter() - t0 - eval_time


def train_size(
    size_dir: Path,
    size: SizeSpec,
    config: FamilyConfig,
    train_seqs: np.ndarray,
    heldout_eval: np.ndarray,
    train_eval: np.ndarray,
    fast_tokenizer,
    *,
    progress: bool = True,
    stop_after_step: int | None = None,
    threads: int | None = None,
    keep_state: str = "last",
) -> dict:
    """Train (or resume) ``size`` to ``config.total_steps``, saving every checkpoint step.

    Returns the summary written to ``complete.json`` (or, when stopped early
    by ``stop_after_step``, the same keys for the part done). ``keep_state``:
    "last" keeps ``training_state.pt`` in the newest checkpoint only (saves
    disk), "all" in every checkpoint.
    """
    import torch

    if keep_state not in ("last", "all"):
        raise ValidationError(f"keep_state must be 'last' or 'all', got {keep_state!r}")
    size_dir = Path(size_dir)
    size_dir.mkdir(parents=True, exist_ok=True)
    if (size_dir / COMPLETE_FILE).exists():
        return json.loads((size_dir / COMPLETE_FILE).read_text())
    S = config.total_steps
    with fixed_threads(resolve_threads(threads, config)):
        start, state, model = _resume_or_build(size_dir, size, config)
        model.train()
        opt, sched, elapsed = _optimizer(model, size, config, state)
        trainer = _Trainer(size_dir, size, config, model, opt, sched, (train_eval, heldout_eval), fast_tokenizer,
                           keep_state)
        if start == 0 and 0 not in completed_steps(size_dir):
            trainer.checkpoint(0, 0.0)
        end = S if stop_after_step is None else min(S, stop_after_step)
        train_seconds = trainer.train(train_seqs, start, end, elapsed, progress)
        done = completed_steps(size_dir)
        summary = {
            "size": size.name, "steps_done": done[-1] if done else 0, "total_steps": S,
            "params_total": trainer.n_total, "params_nonembedding": trainer.n_nonemb,
            "tokens": (done[-1] if done else 0) * config.batch_tokens,
            "train_seconds": train_seconds,
            "tokens_per_second": end * config.batch_tokens / train_seconds if train_seconds > 0 else float("nan"),
            "threads": torch.get_num_threads(), "config_hash": config.hash,
            "cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
        }
        if end == S:
            (size_dir / COMPLETE_FILE).write_text(json.dumps(summary, indent=1))
    return summary
