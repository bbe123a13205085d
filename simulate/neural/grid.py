"""Section 3 (Assumption 3.5 asked of real networks): the robustness grid behind the verdict "not one after another".

A grid is a list of named variants of one base run, each trained for several
seeds and put through the same analysis and discriminator
(:func:`simulate.neural.learning_time_exponents`): the optimizer (Adam, SGD
with momentum, plain SGD), independent skills (Michaud's 100 bits; disjoint
bit subsets, no two tasks sharing a bit), depth, a batch small enough that
rare tasks are absent from most batches, the number of tasks T and the
learning rate. Only the largest-width analysis (learning times) is run: one
width per variant.

The grid is a list of independent runs with the measure engine's job contract
(``empirical.measure``): ``shard=(k, n)`` trains runs i with i % n == k into
``out/shard-k-of-n/``; a finished run (its ``.npz``) is skipped on a rerun;
:func:`merge` joins the shard folders after checking that they come from the
same grid and the same training code (checksums of every run file recorded in
each shard's marker) and that every run of the grid is there exactly once.
An unsharded run writes ``out/runs/`` and its tables directly. A folder holds
one kind of thing: an unsharded run's folder is refused as a merge root and
the other way round.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError

from .training import RunConfig, RunResult, train_many

__all__ = ["GRID_TIERS", "variants", "grid_configs", "grid_identity", "code_version", "run_grid", "merge",
           "load_results", "parse_shard"]

_BASE_FULL = dict(alpha=0.5, tasks=500, bits=32, k_bits=3, width=128, depth=1, steps=4000, batch=2000, lr=3e-3,
                  eval_every=250, eval_per_task=64, optimizer="adam", subsets="random")
_BASE_CI = dict(alpha=1.0, tasks=40, bits=12, k_bits=2, width=64, depth=1, steps=600, batch=500, lr=1e-2,
                eval_every=50, eval_per_task=32, optimizer="adam", subsets="random")

# name -> (what it changes, overrides of the base run). SGD learning rates: the lowest mean loss after 2000 steps
# (seed 0, width 128) on a x3 grid extended until the best is inside it (plain 0.3 / 1 / 3: 0.650 / 0.412 /
# 0.605; momentum 0.03 / 0.1 / 0.3 / 1 / 3: 0.656 / 0.413 / 0.291 / 0.199 / 0.678; Adam 3e-3: 0.232); plain SGD
# learns its first task ~3.5x later than Adam, so it gets 3x the steps. 4000 steps (half the report tier's): the
# grid had to fit a shared 2-core machine (docs/neural.md).
GRID_TIERS = {
    "full": {"base": _BASE_FULL, "seeds": (0, 1, 2), "variants": {
        "adam": ("base: Adam lr 3e-3, batch 2000, 32 bits, T = 500, one hidden layer of 128, 4000 steps", {}),
        "adam-lr1e-2": ("Adam at 3.3x the learning rate (1e-2)", {"lr": 1e-2}),
        "sgd-momentum": ("SGD, momentum 0.9, lr 1", {"optimizer": "sgd-momentum", "lr": 1.0}),
        "sgd": ("plain SGD, lr 1, 12000 steps", {"optimizer": "sgd", "lr": 1.0, "steps": 12000}),
        "bits100": ("100 input bits (Michaud et al.): fewer shared bits", {"bits": 100}),
        "disjoint": ("disjoint subsets, no two tasks share a bit (T = 10 on the same 32 bits)",
                     {"subsets": "disjoint", "tasks": 10}),
        "depth2": ("two hidden layers of 128", {"depth": 2}),
        "batch64": ("batch 64, 64000 steps (p_k·B < 1 from k = 9; 25 at k = 1)", {"batch": 64, "steps": 64000,
                                                                     "eval_every": 500}),
        "tasks1000": ("T = 1000 tasks", {"tasks": 1000}),
    }},
    "ci": {"base": _BASE_CI, "seeds": (0, 1, 2), "variants": {
        "adam": ("base", {}),
        "sgd": ("plain SGD", {"optimizer": "sgd", "lr": 0.5}),
        "disjoint": ("disjoint subsets", {"subsets": "disjoint", "tasks": 6}),
    }},
}


def variants(tier: str = "full") -> dict[str, tuple[str, RunConfig]]:
    """name -> (description, the variant's RunConfig at seed 0)."""
    if tier not in GRID_TIERS:
        raise ValidationError(f"tier must be one of {sorted(GRID_TIERS)}, got {tier!r}")
    g = GRID_TIERS[tier]
    return {name: (desc, RunConfig(**{**g["base"], **ov, "seed": 0})) for name, (desc, ov) in g["variants"].items()}


def grid_configs(tier: str = "full", names=None, seeds=None) -> list[tuple[str, RunConfig]]:
    """(variant, config) for every variant (``names``: a subset, in the tier's order) and seed."""
    table = variants(tier)
    names = list(table) if names is None else list(names)
    bad = [n for n in names if n not in table]
    if bad:
        raise ValidationError(f"variants: unknown {bad}; the {tier} tier has {list(table)}")
    if len(set(names)) != len(names):
        raise ValidationError(f"variants: each name once, got {names}")
    seeds = GRID_TIERS[tier]["seeds"] if seeds is None else tuple(seeds)
    if len(set(seeds)) != len(seeds) or not seeds:
        raise ValidationError(f"seeds: each seed once and at least one, got {list(seeds)}")
    return [(n, dataclasses.replace(table[n][1], seed=int(s))) for n in names for s in seeds]


def code_version() -> str:
    """sha256 of the code that determines a run's numbers (training, task, the skill law)."""
    from theory import skills

    from . import task, training
    from .experiment import modules_sha256

    return modules_sha256((training, task, skills))


def grid_identity(grid) -> str:
    """sha256 of the grid: every (variant, config) in order."""
    blob = json.dumps([[n, dataclasses.asdict(c)] for n, c in grid], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def parse_shard(shard) -> tuple[int, int] | None:
    """``"k/n"`` (0-based k) or (k, n) -> (k, n); None stays None."""
    if shard is None:
        return None
    try:
        k, n = (int(v) for v in (shard.split("/") if isinstance(shard, str) else shard))
    except (ValueError, TypeError):
        raise ValidationError(f"shard must look like 'k/n' with 0 <= k < n (k is 0-based), got {shard!r}") from None
    if not 0 <= k < n:
        raise ValidationError(f"shard must satisfy 0 <= k < n (k is 0-based), got {k}/{n}")
    return k, n


def _sha(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


MARKER, MERGED = "_done.json", "_merged.json"


def _check_kind(out: pathlib.Path, kind: str) -> None:
    """A folder holds one kind of thing: an unsharded run, shards of one grid, or a merge of them."""
    has_run = (out / MARKER).exists() or (out / "runs").exists()
    has_shards = any(out.glob("shard-*-of-*"))
    if kind == "run" and has_shards:
        raise ValidationError(f"--out {str(out)!r} holds shards of a grid (a --merge root); use another folder")
    if kind in ("shard", "merge") and has_run:
        raise ValidationError(f"--out {str(out)!r} holds an unsharded run; use another folder for shards and --merge")


def _check_identity(marker: pathlib.Path, ident: dict) -> None:
    """A folder's runs resume only under the same training code; a shard's also only for the same grid and shard
    (an unsharded folder may be filled by several ``--variants`` subsets: its runs are keyed by their config)."""
    if marker.exists():
        old = json.loads(marker.read_text())
        for f in ("code",) + (("grid", "shard") if ident.get("shard") else ()):
            if old.get(f) != ident.get(f):
                raise ValidationError(f"{marker.parent}: its runs were made with another {f} ({old.get(f)!r:.20} "
                                      f"!= {ident.get(f)!r:.20}); use another --out or delete it")


def run_grid(grid, out, *, shard=None, processes: int = 2, progress: bool = True):
    """Train the grid (or its shard ``k/n``: runs i with i % n == k) into ``out``; resumable. Returns
    ``(results, folder)``; ``results`` is [(variant, RunResult)] of the runs trained here."""
    out = pathlib.Path(out)
    shard = parse_shard(shard)
    _check_kind(out, "shard" if shard else "run")
    folder = out / f"shard-{shard[0]}-of-{shard[1]}" if shard else out
    mine = [g for i, g in enumerate(grid) if shard is None or i % shard[1] == shard[0]]
    ident = {"grid": grid_identity(grid), "code": code_version(), "shard": list(shard) if shard else None,
             "n_runs_grid": len(grid)}
    _check_identity(folder / "_identity.json", ident)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_identity.json").write_text(json.dumps(ident, indent=1, sort_keys=True))
    results = train_many([c for _, c in mine], processes=processes, shard_dir=folder / "runs", progress=progress)
    runs = {c.key(): {"variant": n, "sha256": _sha(folder / "runs" / f"{c.key()}.npz")} for n, c in mine}
    (folder / MARKER).write_text(json.dumps({**ident, "runs": runs}, indent=1, sort_keys=True))
    return [(n, r) for (n, _), r in zip(mine, results)], folder


def load_results(folder: pathlib.Path, grid_ident: str | None = None) -> list[tuple[str, RunResult]]:
    """The runs of one finished folder (unsharded run or shard), each checked against its marker's checksum."""
    folder = pathlib.Path(folder)
    if not (folder / MARKER).exists():
        raise ValidationError(f"{folder} is not finished (no {MARKER}); run its command again to resume it")
    marker = json.loads((folder / MARKER).read_text())
    if grid_ident is not None and marker["grid"] != grid_ident:
        raise ValidationError(f"{folder}: made for another grid ({marker['grid'][:12]} != {grid_ident[:12]})")
    out = []
    for key, rec in marker["runs"].items():
        path = folder / "runs" / f"{key}.npz"
        if not path.exists() or _sha(path) != rec["sha256"]:
            raise ValidationError(f"{path}: missing or changed since its run finished (checksum); delete it and "
                                  "run its command again")
        out.append((rec["variant"], RunResult.load(path)))
    return out


def merge(root, grid) -> list[tuple[str, RunResult]]:
    """Join every ``root/shard-k-of-n`` of ``grid``: refused unless all n shards are finished, were made for this
    grid by this code, and together hold every run of the grid exactly once."""
    root = pathlib.Path(root)
    if not root.is_dir():
        raise ValidationError(f"--merge {str(root)!r} is not a folder")
    _check_kind(root, "merge")
    shards = sorted(root.glob("shard-*-of-*"))
    if not shards:
        raise ValidationError(f"--merge {str(root)!r} holds no shard-k-of-n folders")
    ident, code = grid_identity(grid), code_version()
    ns = {int(p.name.rsplit("-", 1)[1]) for p in shards}
    if len(ns) != 1:
        raise ValidationError(f"--merge {str(root)!r}: shards of different counts {sorted(ns)}")
    n = ns.pop()
    names = {p.name for p in shards}
    missing = [f"shard-{k}-of-{n}" for k in range(n) if f"shard-{k}-of-{n}" not in names]
    if missing:
        raise ValidationError(f"--merge {str(root)!r}: missing {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    results, seen = [], {}
    for p in shards:
        marker = p / MARKER
        if marker.exists() and json.loads(marker.read_text()).get("code") != code:
            raise ValidationError(f"{p}: made by another version of the training code; rerun it")
        for v, r in load_results(p, ident):
            key = r.config.key()
            if key in seen:
                raise ValidationError(f"run {key} is in both {seen[key]} and {p.name}")
            seen[key] = p.name
            results.append((v, r))
    want = {c.key() for _, c in grid}
    if set(seen) != want:
        raise ValidationError(f"--merge {str(root)!r}: the shards hold {len(seen)} of the grid's {len(want)} runs")
    order = {c.key(): i for i, (_, c) in enumerate(grid)}
    results.sort(key=lambda vr: order[vr[1].config.key()])
    (root / MERGED).write_text(json.dumps({"grid": ident, "code": code, "shards": n, "runs": len(results)},
                                          indent=1, sort_keys=True))
    return results


def cost_table(results) -> pd.DataFrame:
    """Wall seconds of every run (one torch thread each: CPU-seconds), per variant."""
    rows = [{"variant": v, "seed": r.config.seed, "wall_s": r.wall_s, "steps": r.config.steps} for v, r in results]
    return pd.DataFrame(rows).groupby("variant", sort=False).agg(runs=("seed", "size"), cpu_s=("wall_s", "sum"),
                                                                steps=("steps", "first")).reset_index()


def _np_int(x):
    return int(x) if isinstance(x, (np.integer, int)) else x
