"""Section 3 (Theorems 3.7, 3.8) on transformers: train, cache and checkpoint the skill-language family.

Every size sees the same data in the same order: the stream is seeded by
``data_seed`` alone (fresh draws every step, online: no example is seen
twice), the initial weights by (``seed``, size). Training: AdamW (weight decay
0), linear warmup over ``warmup`` steps then a constant learning rate
``lr * (16 / d_model) ** 0.5`` (no decay, so the loss against steps is not
shaped by a schedule), cross-entropy of the answer tokens only, one torch
thread per process, sizes in side-by-side processes.

Held-out per-skill loss (the exact expectation over inputs and noise,
:func:`simulate.skilllang.language.expected_skill_loss`) is measured on
:func:`simulate.neural.eval_steps`' grid (log-spaced, then every
``eval_every`` steps) joined with the checkpoint steps; checkpoints follow
Pythia's spacing (:func:`infogeo.checkpoints.checkpoint_steps`) and are
``save_pretrained`` folders with the tokenizer, loadable by path and
``revision="step<k>"`` as the measurement engine loads Pythia.

Cache layout (``infogeo.checkpoints.cache_root()``)::

    skilllang/<label>-v1-<recipe hash>/      the family; recipe.json
        <size>/step<k>/                      config.json, model.safetensors, tokenizer files
        <size>/losses.npz                    steps (E,), loss (E, M) nats, params; written last (= complete)

The hash covers the whole recipe plus the torch version and kernel settings
(:func:`infogeo.torch_kernel_settings`), so a second report build reuses the
family and a changed recipe or machine setting never stands in for it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import time

import numpy as np

from infogeo.checkpoints import cache_root, checkpoint_steps
from infogeo.validation import ValidationError, ValidationTypeError, positive, positive_int

from ..neural.training import eval_steps
from .language import SkillLanguage, expected_skill_loss
from .model import SizeSpec, build_model, count_parameters, make_tokenizer

__all__ = ["FamilyConfig", "SizeRun", "train_size", "ensure_families", "family_path", "FAMILY_NAME"]

FAMILY_NAME = "skilllang"
FORMAT_VERSION = "v1"  # bump when the training or evaluation code changes: the hash covers settings, not code


@dataclasses.dataclass(frozen=True)
class FamilyConfig:
    """Everything that decides the weights: the language, the sizes, the schedule, the seeds."""

    language: SkillLanguage
    sizes: tuple[SizeSpec, ...]
    steps: int = 800
    batch_seqs: int = 32
    lr: float = 1e-2
    warmup: int = 50
    n_even: int = 10
    eval_every: int = 40
    seed: int = 0
    data_seed: int = 0
    label: str = "report"

    def __post_init__(self):
        if not isinstance(self.language, SkillLanguage):
            raise ValidationTypeError("language must be a SkillLanguage")
        if not self.sizes or not all(isinstance(s, SizeSpec) for s in self.sizes):
            raise ValidationTypeError("sizes must be a non-empty tuple of SizeSpec")
        if len({s.name for s in self.sizes}) != len(self.sizes):
            raise ValidationError("sizes must be distinct")
        for f in ("steps", "batch_seqs", "n_even", "eval_every"):
            positive_int(getattr(self, f), f)
        positive(self.lr, "lr")
        if self.n_even > self.steps:
            raise ValidationError(f"n_even must be <= steps={self.steps}, got {self.n_even}")

    def recipe(self) -> dict:
        from infogeo import torch_kernel_settings

        d = dataclasses.asdict(self)
        d.pop("label")
        return {**d, "format": FORMAT_VERSION, "kernels": torch_kernel_settings()}

    @property
    def dirname(self) -> str:
        blob = json.dumps(self.recipe(), sort_keys=True).encode()
        return f"{self.label}-{FORMAT_VERSION}-{hashlib.sha256(blob).hexdigest()[:10]}"

    @property
    def checkpoints(self) -> tuple[int, ...]:
        return checkpoint_steps(self.steps, self.n_even)

    @property
    def evals(self) -> np.ndarray:
        return np.union1d(eval_steps(self.steps, self.eval_every), np.array(self.checkpoints))

    @property
    def tokens_per_step(self) -> int:
        return self.batch_seqs * self.language.per_seq * 5

    def lr_at(self, size: SizeSpec, step: int) -> float:
        return self.lr * (16 / size.d_model) ** 0.5 * min(1.0, (step + 1) / max(self.warmup, 1))


@dataclasses.dataclass
class SizeRun:
    """One trained size: per-skill held-out loss (E, M) nats at ``steps`` (E,), both parameter counts."""

    size: SizeSpec
    steps: np.ndarray
    loss: np.ndarray
    params_total: int
    params_nonembedding: int
    wall_s: float
    path: pathlib.Path

    @property
    def name(self) -> str:
        return self.size.name


def family_path(config: FamilyConfig, root=None) -> pathlib.Path:
    """``<cache root>/skilllang/<label>-v1-<hash>``; builds nothing."""
    return cache_root(root) / FAMILY_NAME / config.dirname


def _skill_losses(model, lang: SkillLanguage, held) -> np.ndarray:
    """Exact per-skill held-out loss (M,) of ``model``."""
    import torch

    seqs, k, x = held
    pos = torch.as_tensor(lang.answer_positions())
    with torch.no_grad():
        logits = model(torch.as_tensor(seqs)).logits[:, pos].double()
    lp = torch.log_softmax(logits, dim=-1)[..., lang.answer0:lang.answer0 + lang.answers]
    lp = lp.reshape(-1, lang.answers)[: k.size].numpy()
    grid = np.empty((lang.skills, lang.inputs, lang.answers))
    grid[k, x] = lp
    return expected_skill_loss(lang, grid)


def _save(model, tok, folder: pathlib.Path) -> None:
    from transformers.utils import logging as hf_logging

    tmp = folder.with_name("." + folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
    finally:
        if was:
            hf_logging.enable_progress_bar()
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)


def train_size(config: FamilyConfig, size: SizeSpec, out: pathlib.Path) -> SizeRun:
    """Train one size on one torch thread (deterministic); save its checkpoints and ``losses.npz`` under ``out``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(config, size, pathlib.Path(out))
    finally:
        torch.set_num_threads(threads)


def _train(config: FamilyConfig, size: SizeSpec, out: pathlib.Path) -> SizeRun:
    import torch
    import torch.nn.functional as F

    lang = config.language
    model = build_model(size, lang, config.seed * 1_000_003 + size.d_model * 101 + size.n_layers)
    tok = make_tokenizer(lang)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr_at(size, 0), weight_decay=0.0)
    rng = np.random.default_rng([config.data_seed, 0xDA7A])  # the data stream: the same for every size
    held = lang.heldout()
    pos = torch.as_tensor(lang.answer_positions())
    evals, ckpts = config.evals, set(config.checkpoints)
    loss = np.empty((evals.size, lang.skills))
    out.mkdir(parents=True, exist_ok=True)
    t0, e = time.perf_counter(), 0
    for step in range(config.steps + 1):
        if step == evals[e]:
            model.eval()
            loss[e] = _skill_losses(model, lang, held)
            model.train()
            if step in ckpts:
                _save(model, tok, out / f"step{step}")
            e += 1
        if step == config.steps:
            break
        seq = torch.as_tensor(lang.sample(config.batch_seqs, rng))
        logits = model(seq).logits[:, pos]
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seq[:, pos + 1].reshape(-1))
        for g in opt.param_groups:
            g["lr"] = config.lr_at(size, step)
        opt.zero_grad(set_to_none=True)
        ce.backward()
        opt.step()
    total, nonemb = count_parameters(model)
    run = SizeRun(size, evals.astype(np.int64), loss, total, nonemb, time.perf_counter() - t0, out)
    tmp = out / "losses.tmp.npz"
    np.savez(tmp, steps=run.steps, loss=loss, params_total=total, params_nonembedding=nonemb, wall_s=run.wall_s)
    os.replace(tmp, out / "losses.npz")  # last: its presence marks the size complete
    return run


def _load(size: SizeSpec, out: pathlib.Path) -> SizeRun:
    with np.load(out / "losses.npz") as z:
        return SizeRun(size, z["steps"], z["loss"], int(z["params_total"]), int(z["params_nonembedding"]),
                       float(z["wall_s"]), out)


def _worker(args):
    config, size, out = args
    return train_size(config, size, out)


def ensure_families(configs, *, root=None, processes: int = 2, progress: bool = True) -> list[list[SizeRun]]:
    """Every size of every config, trained where its ``losses.npz`` is missing (all missing sizes of all configs in
    one pool of ``processes`` spawned workers, the largest first), else loaded from the cache. Returns, per config,
    one :class:`SizeRun` per size in ``config.sizes`` order."""
    from infogeo.pool import run_jobs

    configs = list(configs)
    if not configs or not all(isinstance(c, FamilyConfig) for c in configs):
        raise ValidationTypeError("configs must be a non-empty list of FamilyConfig")
    processes = positive_int(processes, "processes")
    done: dict[tuple[int, str], SizeRun] = {}
    todo = []
    for i, config in enumerate(configs):
        fam = family_path(config, root)
        fam.mkdir(parents=True, exist_ok=True)
        (fam / "recipe.json").write_text(json.dumps(config.recipe(), indent=1, sort_keys=True, default=str))
        for s in config.sizes:
            if (fam / s.name / "losses.npz").exists():
                done[i, s.name] = _load(s, fam / s.name)
            else:
                todo.append(((i, s.name), (config, s, fam / s.name)))
    todo.sort(key=lambda t: -t[1][1].d_model ** 2 * t[1][1].n_layers * t[1][0].steps)
    total = sum(len(c.sizes) for c in configs)
    done.update(run_jobs(todo, _worker, processes=processes, total=total, desc="skill-language family",
                         progress=progress))
    return [[done[i, s.name] for s in c.sizes] for i, c in enumerate(configs)]
