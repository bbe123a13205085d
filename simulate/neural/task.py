"""Section 3 (Definition 3.4, Assumption 3.5): multitask sparse parity, a task whose skills we set ourselves.

Michaud et al. (2023), "The Quantization Model of Neural Scaling": T tasks; an
input is a one-hot task id followed by n random bits; task k's label is the
parity of its own fixed subset of ``k_bits`` of the n bits. Task k is drawn
with probability ``p_k ∝ k^-(alpha+1)`` -- the paper's convention, from
:func:`theory.skills.skill_law`. Michaud's code calls the Zipf exponent
``alpha + 1`` "alpha"; :func:`alpha_from_michaud` converts (one home:
:func:`theory.skills.alpha_from_zipf_exponent`).

Each task is a skill in the sense of Definition 3.4: its conditional entropy
(the per-task cross-entropy, in nats) is ln 2 before the skill is learned
(the label is a fair coin given anything but the right k bits) and about 0
after.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from infogeo.validation import ValidationError, choice, positive, positive_int
from theory import skills as th

if TYPE_CHECKING:  # torch is imported where it is used: validation and the analysis do not need it
    import torch

__all__ = ["SparseParity", "alpha_from_michaud", "michaud_from_alpha", "parity_labels", "check_task_shape", "SUBSETS",
           "shared_bit_fraction"]


def alpha_from_michaud(zipf_alpha: float) -> float:
    """The paper's alpha from Michaud's ``alpha`` (his p_k ∝ k^-alpha is our k^-(alpha+1))."""
    return th.alpha_from_zipf_exponent(zipf_alpha)


def michaud_from_alpha(alpha: float) -> float:
    """Michaud's ``alpha`` (the Zipf exponent) from the paper's alpha."""
    return th.zipf_exponent_from_alpha(alpha)


SUBSETS = ("random", "disjoint")


def check_task_shape(tasks: int, bits: int, k_bits: int, subsets: str = "random") -> tuple[int, int, int]:
    """Validate (T, n, k_bits): T >= 2, 1 <= k_bits <= n, and C(n, k_bits) >= T distinct subsets
    (``subsets="disjoint"``: n >= T * k_bits, so that no two tasks share a bit)."""
    T = positive_int(tasks, "tasks", minimum=2)
    n = positive_int(bits, "bits")
    k = positive_int(k_bits, "k_bits")
    choice(subsets, "subsets", SUBSETS)
    if k > n:
        raise ValidationError(f"k_bits must be <= bits={n}, got {k}")
    if subsets == "disjoint" and n < T * k:
        raise ValidationError(f"subsets='disjoint' needs bits >= tasks * k_bits = {T * k}, got bits={n}")
    if math.comb(n, k) < T:
        raise ValidationError(
            f"tasks={T} needs that many distinct subsets, but C(bits={n}, k_bits={k}) = {math.comb(n, k)}")
    return T, n, k


def parity_labels(bits, tasks, subsets) -> np.ndarray:
    """Reference labels, computed one example at a time: parity of ``bits[i, subsets[tasks[i]]]`` (int64 0/1)."""
    bits, tasks, subsets = np.asarray(bits), np.asarray(tasks), np.asarray(subsets)
    return np.array([int(sum(int(bits[i, j]) for j in subsets[t]) % 2) for i, t in enumerate(tasks)], dtype=np.int64)


class SparseParity:
    """The task distribution: subsets, frequencies, and batches drawn from a ``torch.Generator``.

    Parameters
    ----------
    alpha : the paper's alpha > 0; ``p_k ∝ k^-(alpha+1)`` for k = 1..T (task index k-1 in arrays).
    tasks : T >= 2.
    bits : n, the number of random bits.
    k_bits : size of each task's parity subset (1 <= k_bits <= n; C(n, k_bits) >= T distinct subsets).
    seed : seed of the subsets (drawn with numpy, distinct, each sorted).
    subsets : ``"random"`` (each task's subset drawn independently, distinct; two tasks may share bits) or
        ``"disjoint"`` (a random permutation of the bits cut into T blocks: no two tasks share a bit; needs
        n >= T * k_bits).

    Attributes: ``p`` (T,) float64; ``subsets`` (T, k_bits) int64.
    """

    def __init__(self, alpha: float, tasks: int, bits: int, k_bits: int, *, seed: int = 0, subsets: str = "random"):
        import torch

        self.alpha = positive(alpha, "alpha")
        self.T, self.n, self.k_bits = check_task_shape(tasks, bits, k_bits, subsets)
        self.p = th.skill_law(self.alpha, self.T)
        self.subsets = self._disjoint(int(seed)) if subsets == "disjoint" else self._draw_subsets(int(seed))
        self._cdf = torch.tensor(np.cumsum(self.p), dtype=torch.float64)
        self._subsets_t = torch.from_numpy(self.subsets)

    def _draw_subsets(self, seed: int) -> np.ndarray:
        rng = np.random.default_rng([seed, 0x5EED])
        seen, out = set(), []
        while len(out) < self.T:  # rejection: C(n, k) >= T, and for the sizes used C(n, k) >> T
            s = tuple(sorted(int(v) for v in rng.choice(self.n, self.k_bits, replace=False)))
            if s not in seen:
                seen.add(s)
                out.append(s)
        return np.array(out, dtype=np.int64).reshape(self.T, self.k_bits)

    def _disjoint(self, seed: int) -> np.ndarray:
        perm = np.random.default_rng([seed, 0xD15]).permutation(self.n)[: self.T * self.k_bits]
        return np.sort(perm.reshape(self.T, self.k_bits), axis=1).astype(np.int64)

    def labels(self, bits: torch.Tensor, tasks: torch.Tensor) -> torch.Tensor:
        """Parity of each row's task subset: (B, n) int8 bits, (B,) int64 tasks -> (B,) float32 in {0, 1}."""
        import torch

        return bits.gather(1, self._subsets_t[tasks]).sum(1).remainder(2).to(torch.float32)

    def sample(self, batch: int, gen: torch.Generator):
        """A fresh batch: tasks drawn from p (inverse CDF), bits uniform. Returns (tasks, bits float32, labels)."""
        import torch

        u = torch.rand(batch, generator=gen, dtype=torch.float64)
        tasks = torch.searchsorted(self._cdf, u, right=True).clamp_(max=self.T - 1)
        bits = torch.randint(0, 2, (batch, self.n), generator=gen, dtype=torch.int8)
        return tasks, bits.to(torch.float32), self.labels(bits, tasks)

    def heldout(self, per_task: int, gen: torch.Generator):
        """``per_task`` fresh draws of every task (task-major order), for per-task losses."""
        import torch

        per_task = positive_int(per_task, "per_task")
        tasks = torch.arange(self.T).repeat_interleave(per_task)
        bits = torch.randint(0, 2, (tasks.numel(), self.n), generator=gen, dtype=torch.int8)
        return tasks, bits.to(torch.float32), self.labels(bits, tasks)

    def describe(self) -> dict:
        return {"alpha": self.alpha, "michaud_alpha": michaud_from_alpha(self.alpha), "tasks": self.T,
                "bits": self.n, "k_bits": self.k_bits}


def shared_bit_fraction(subsets) -> float:
    """The fraction of task pairs whose subsets share at least one bit (0 for disjoint subsets)."""
    s = np.asarray(subsets)
    T = s.shape[0]
    member = np.zeros((T, int(s.max()) + 1), dtype=np.int64)
    np.put_along_axis(member, s, 1, axis=1)
    overlap = member @ member.T
    iu = np.triu_indices(T, 1)
    return float((overlap[iu] > 0).mean())
