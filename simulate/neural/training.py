"""Section 3 (Theorems 3.7 and 3.8 asked of a real network): an MLP trained online on multitask sparse parity.

One hidden layer of width w (ReLU; ``depth`` > 1 adds w x w layers), one logit,
binary cross-entropy in nats, Adam, a fresh batch every step (online: no
example is seen twice). The first layer acts on [one-hot task id, n bits]; the
one-hot part is a row lookup of the first layer's task columns (an embedding),
the same maths as the dense product at a fraction of the cost. Every first-layer
weight starts uniform in ±1/sqrt(n + 1) (each input has n bits and one active
task column), so the initial scale does not depend on T.

Per-task loss and accuracy are measured every few hundred steps (plus a log
grid early on) on a fixed held-out set of ``eval_per_task`` draws of every task.
Runs are seeded and deterministic on CPU (one torch thread, float32): the same
config gives the same arrays, byte for byte. :func:`train_many` runs
independent configs in side-by-side processes (spawn, one thread each) and
keeps one ``.npz`` shard per run, so an interrupted sweep resumes.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import pathlib
import time

import numpy as np

from infogeo.validation import ValidationError, ValidationTypeError, check_memory, choice, positive, positive_int

from .task import check_task_shape

__all__ = ["RunConfig", "RunResult", "eval_steps", "train", "train_many", "OPTIMIZERS", "check_run_memory"]

OPTIMIZERS = ("adam", "sgd", "sgd-momentum")  # sgd-momentum: SGD with momentum 0.9 (torch's heavy ball)
MOMENTUM = 0.9


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """One training run. ``seed`` fixes the task subsets and the data stream (shared by every width of a seed);
    the initial weights are drawn from (seed, width, depth)."""

    alpha: float
    tasks: int = 500
    bits: int = 32
    k_bits: int = 3
    width: int = 256
    depth: int = 1
    steps: int = 8000
    batch: int = 2000
    lr: float = 3e-3
    seed: int = 0
    eval_every: int = 250
    eval_per_task: int = 64
    optimizer: str = "adam"
    subsets: str = "random"

    def __post_init__(self):
        positive(self.alpha, "alpha")
        positive(self.lr, "lr")
        choice(self.optimizer, "optimizer", OPTIMIZERS)
        for f in ("tasks", "bits", "k_bits", "width", "depth", "steps", "batch", "eval_every", "eval_per_task"):
            positive_int(getattr(self, f), f, minimum=2 if f == "tasks" else 1)
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or self.seed < 0:
            raise ValidationError(f"seed must be a nonnegative integer, got {self.seed!r}")
        check_task_shape(self.tasks, self.bits, self.k_bits, self.subsets)

    def memory_bytes(self) -> int:
        """An upper estimate of one run's peak memory: parameters with gradients and optimizer state, a training
        batch's activations (forward and backward) and the held-out set's forward pass, float32."""
        n_params = self.tasks * self.width + (self.bits + 2) * self.width + (self.depth - 1) * (self.width + 1) * \
            self.width + 1
        held = self.tasks * self.eval_per_task
        act = lambda rows: rows * (self.bits * 2 + self.width * 3 * self.depth + 8)  # noqa: E731
        return 4 * (4 * n_params + 2 * act(self.batch) + act(held)) + 8 * 2 * held

    def key(self) -> str:
        """A stable file name for this run's shard."""
        blob = json.dumps(dataclasses.asdict(self), sort_keys=True).encode()
        return (f"a{self.alpha:g}_T{self.tasks}_w{self.width}_d{self.depth}_s{self.seed}_"
                f"{hashlib.sha256(blob).hexdigest()[:10]}")


@dataclasses.dataclass
class RunResult:
    """Per-task curves of one run. ``loss``/``acc``: (E, T) float64 at ``steps`` (E,) int64; ``params``: int."""

    config: RunConfig
    steps: np.ndarray
    loss: np.ndarray
    acc: np.ndarray
    p: np.ndarray
    params: int
    wall_s: float

    def save(self, path) -> None:
        np.savez(path, steps=self.steps, loss=self.loss, acc=self.acc, p=self.p, params=self.params,
                 wall_s=self.wall_s, config=json.dumps(dataclasses.asdict(self.config), sort_keys=True))

    @classmethod
    def load(cls, path) -> RunResult:
        with np.load(path) as z:
            cfg = RunConfig(**json.loads(str(z["config"])))
            return cls(cfg, z["steps"], z["loss"], z["acc"], z["p"], int(z["params"]), float(z["wall_s"]))


def eval_steps(steps: int, every: int, ratio: float = 1.15) -> np.ndarray:
    """Evaluation steps: 0, a log grid from step 10 (points ``ratio`` apart) until the gaps reach ``every``, then
    every ``every`` steps, and the last step.

    Every t_k is then resolved to within a factor ``ratio`` and within ``every`` steps (what a log-log fit needs).
    """
    steps, every = positive_int(steps, "steps"), positive_int(every, "every")
    if not ratio > 1:
        raise ValidationError(f"ratio must be > 1, got {ratio}")
    switch = min(max(every / (ratio - 1), 10.0), float(steps))
    n_geo = max(2, int(np.ceil(math.log(max(switch, 10.0) / 10) / math.log(ratio))) + 1)
    geo = np.round(np.geomspace(10, max(switch, 10.0), n_geo))
    lin = np.arange(every * np.ceil(switch / every), steps + 1, every)
    grid = np.concatenate([[0], geo[geo <= steps], lin, [steps]])
    return np.unique(grid.astype(np.int64))


def _model(cfg: RunConfig, seed: int):
    """Parameters (dict) and forward(tasks, bits) -> logits of the MLP, initial weights drawn from ``seed``."""
    import torch

    bound = 1.0 / math.sqrt(cfg.bits + 1)
    g = torch.Generator().manual_seed(int(seed))

    def uni(*shape):
        return torch.nn.Parameter((torch.rand(*shape, generator=g) * 2 - 1) * bound)

    params = {"emb": uni(cfg.tasks, cfg.width), "w_bits": uni(cfg.bits, cfg.width), "b0": uni(cfg.width)}
    for i in range(1, cfg.depth):
        b = 1.0 / math.sqrt(cfg.width)
        params[f"w{i}"] = torch.nn.Parameter((torch.rand(cfg.width, cfg.width, generator=g) * 2 - 1) * b)
        params[f"b{i}"] = torch.nn.Parameter((torch.rand(cfg.width, generator=g) * 2 - 1) * b)
    b = 1.0 / math.sqrt(cfg.width)
    params["w_out"] = torch.nn.Parameter((torch.rand(cfg.width, generator=g) * 2 - 1) * b)
    params["b_out"] = torch.nn.Parameter((torch.rand(1, generator=g) * 2 - 1) * b)

    def forward(tasks, bits):
        h = torch.relu(torch.addmm(params["b0"], bits, params["w_bits"]) + params["emb"][tasks])
        for i in range(1, cfg.depth):
            h = torch.relu(torch.addmm(params[f"b{i}"], h, params[f"w{i}"]))
        return h @ params["w_out"] + params["b_out"]

    return params, forward


def _optimizer(cfg: RunConfig, params):
    import torch

    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=MOMENTUM if cfg.optimizer == "sgd-momentum" else 0.0)


def check_run_memory(configs, processes: int, what: str = "") -> None:
    """Refuse (ValidationError, before any allocation) runs whose ``processes`` largest memory estimates together
    exceed the memory available now (:func:`infogeo.validation.check_memory`)."""
    configs = list(configs)
    if not configs:
        return
    worst = max(configs, key=RunConfig.memory_bytes)
    need = sum(sorted((c.memory_bytes() for c in configs), reverse=True)[:processes])
    check_memory(need, what or (f"batch={worst.batch}, width={worst.width}, tasks={worst.tasks}, "
                                f"eval_per_task={worst.eval_per_task}"),
                 detail=f"{min(processes, len(configs))} run(s) side by side: parameters, optimizer state, a batch's "
                        "and the held-out set's activations, float32",
                 hint="use a smaller --batch, --width, --tasks or --eval-per-task, or fewer --processes")


def _evaluate(forward, held, T, per_task):
    import torch
    import torch.nn.functional as F

    tasks, bits, y = held
    with torch.no_grad():
        z = forward(tasks, bits)
        loss = F.binary_cross_entropy_with_logits(z, y, reduction="none").view(T, per_task).double().mean(1)
        acc = ((z > 0).to(torch.float32) == y).view(T, per_task).double().mean(1)
    return loss.numpy(), acc.numpy()


def train(cfg: RunConfig, *, progress: bool = False) -> RunResult:
    """Train one MLP; return its per-task held-out loss (nats) and accuracy at :func:`eval_steps`.

    Runs on one torch thread with deterministic algorithms; both settings are restored afterwards.
    """
    import torch

    threads, determ = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(cfg, progress)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(determ)


def _train(cfg: RunConfig, progress: bool) -> RunResult:
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    from .task import SparseParity

    task = SparseParity(cfg.alpha, cfg.tasks, cfg.bits, cfg.k_bits, seed=cfg.seed, subsets=cfg.subsets)
    params, forward = _model(cfg, (cfg.seed * 1_000_003 + cfg.width * 101 + cfg.depth) % 2**63)
    data_gen = torch.Generator().manual_seed(cfg.seed * 2 + 1)  # the data stream depends on the seed only
    held = task.heldout(cfg.eval_per_task, torch.Generator().manual_seed(cfg.seed * 2 + 2))
    opt = _optimizer(cfg, list(params.values()))
    at = eval_steps(cfg.steps, cfg.eval_every)
    loss = np.empty((at.size, cfg.tasks))
    acc = np.empty((at.size, cfg.tasks))
    t0 = time.perf_counter()
    e = 0
    for step in tqdm(range(cfg.steps + 1), desc=f"w={cfg.width} seed={cfg.seed}", disable=not progress,
                     mininterval=2.0, leave=False):
        if step == at[e]:
            loss[e], acc[e] = _evaluate(forward, held, cfg.tasks, cfg.eval_per_task)
            e += 1
            if step == cfg.steps:
                break
        tasks, bits, y = task.sample(cfg.batch, data_gen)
        out = F.binary_cross_entropy_with_logits(forward(tasks, bits), y)
        opt.zero_grad(set_to_none=True)
        out.backward()
        opt.step()
    n_params = int(sum(p.numel() for p in params.values()))
    return RunResult(cfg, at, loss, acc, task.p.copy(), n_params, time.perf_counter() - t0)


def _worker(args):
    cfg, path = args
    res = train(cfg)
    if path is not None:
        tmp = pathlib.Path(str(path) + ".tmp.npz")
        res.save(tmp)
        tmp.replace(path)  # atomic: a killed sweep never leaves a half-written shard
    return res


def _cost(c: RunConfig) -> float:
    return c.steps * (c.batch * (c.bits + 3 * c.width * c.depth) + 8 * (c.tasks + c.bits + c.depth * c.width) * c.width)


def train_many(configs, *, processes: int = 2, shard_dir=None, progress: bool = True) -> list[RunResult]:
    """Train every config, ``processes`` at a time (spawned, one torch thread each); results in input order.

    With ``shard_dir`` each finished run is written as ``<key>.npz`` and a run whose shard exists is loaded
    instead of retrained (resume).
    """
    from infogeo.pool import run_jobs

    configs = list(configs)
    if not all(isinstance(c, RunConfig) for c in configs):
        raise ValidationTypeError("configs must be RunConfig objects")
    processes = positive_int(processes, "processes")
    check_run_memory(configs, processes)
    shard = None if shard_dir is None else pathlib.Path(shard_dir)
    if shard is not None:
        shard.mkdir(parents=True, exist_ok=True)
    out: list[RunResult | None] = [None] * len(configs)
    todo = []
    for i, c in enumerate(configs):
        path = None if shard is None else shard / f"{c.key()}.npz"
        if path is not None and path.exists():
            out[i] = RunResult.load(path)
        else:
            todo.append((i, (c, path)))
    # the longest runs first (cost ~ steps x (a batch's products + the optimizer's pass)), so they finish together
    todo.sort(key=lambda t: -_cost(t[1][0]))
    for i, result in run_jobs(todo, _worker, processes=processes, total=len(configs), desc="neural runs",
                              progress=progress).items():
        out[i] = result
    return out
