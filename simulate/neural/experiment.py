"""Section 3 (Assumption 3.5, Theorems 3.7 and 3.8): the neural experiment's tiers, one call from config to tables.

Tiers (every field can be overridden):

- ``ci``: seconds; T = 40 tasks, parities of 2 of 12 bits, three small widths,
  600 steps at lr 1e-2. Only qualitative assertions are made of it.
- ``report``: what ``python -m reports`` runs: alpha in {0.5, 1.0}, T = 500,
  n = 32, k_bits = 3, widths 32..256, 8000 steps of batch 2000, one seed;
  ~265 CPU-seconds estimated (two processes side by side on 2 cores; docs/neural.md).
- ``full`` (and its seconds-long twin ``grid-ci``): the robustness grid of
  :mod:`simulate.neural.grid` (named variants x 3 seeds, one width each),
  shardable and resumable; its tables are kept under ``reports/neural_full/``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import platform
import subprocess
import sys
import time
from importlib import metadata

import pandas as pd

from infogeo.validation import ValidationError, nonnegative_int, positive_int

from .analysis import analyze
from .training import RunConfig, train_many

__all__ = ["TIERS", "configs", "run_experiment", "report_tables", "write_table", "write_tables", "width_ladder",
           "git_commit", "modules_sha256"]

TIERS = {
    "ci": {"alphas": (1.0,), "tasks": 40, "bits": 12, "k_bits": 2, "widths": (16, 32, 64), "steps": 600,
           "batch": 500, "lr": 1e-2, "seeds": (0,), "eval_every": 50, "eval_per_task": 32},
    "report": {"alphas": (0.5, 1.0), "tasks": 500, "bits": 32, "k_bits": 3, "widths": (32, 64, 128, 256),
               "steps": 8000, "batch": 2000, "lr": 3e-3, "seeds": (0,), "eval_every": 250, "eval_per_task": 64},
}
FULL_OUT = pathlib.Path(__file__).resolve().parents[2] / "reports" / "neural_full"


def width_ladder(width: int, rungs: int = 5) -> tuple[int, ...]:
    """``width`` and the halvings below it (at least 4 units): the widths of the width axis for ``--width``."""
    width = positive_int(width, "width")
    return tuple(sorted({max(width >> i, 1) for i in range(rungs) if (width >> i) >= 4} | {width}))


def configs(tier: str = "report", **overrides) -> list[RunConfig]:
    """The runs of a tier: alphas x seeds x widths, with any tier field overridden (None means the tier's)."""
    if tier not in TIERS:
        raise ValidationError(f"tier must be one of {sorted(TIERS)}, got {tier!r}")
    extra = {"depth": 1, "optimizer": "adam", "subsets": "random"}
    unknown = set(overrides) - set(TIERS[tier]) - set(extra)
    if unknown:
        raise ValidationError(f"unknown setting(s) {sorted(unknown)}; allowed: {sorted(TIERS[tier])} and "
                              f"{sorted(extra)}")
    s = dict(TIERS[tier], **extra)
    s.update({k: v for k, v in overrides.items() if v is not None})
    for f in ("alphas", "widths", "seeds"):
        s[f] = tuple(s[f]) if not isinstance(s[f], (int, float)) else (s[f],)
        if not s[f]:
            raise ValidationError(f"{f} must not be empty")
        if len(set(s[f])) != len(s[f]):
            raise ValidationError(f"{f}: each value once, got {list(s[f])}")
    fixed = {k: s[k] for k in ("tasks", "bits", "k_bits", "steps", "batch", "lr", "eval_every", "eval_per_task",
                               "depth", "optimizer", "subsets")}
    return [RunConfig(alpha=float(a), width=int(w), seed=int(sd), **fixed)
            for a in s["alphas"] for sd in s["seeds"] for w in s["widths"]]


def run_experiment(cfgs, *, processes: int = 2, out=None, progress: bool = True):
    """Train (or resume) every config and analyse: returns (tables, meta). ``out``: shards under ``out/runs``."""
    t0 = time.perf_counter()
    shard = None if out is None else pathlib.Path(out) / "runs"
    results = train_many(cfgs, processes=processes, shard_dir=shard, progress=progress)
    t1 = time.perf_counter()
    tables = analyze(results)
    meta = {"runs": [{"config": dataclasses.asdict(r.config), "params": r.params, "wall_s": round(r.wall_s, 2),
                      "steps_per_s": round(r.config.steps / r.wall_s, 1) if r.wall_s > 0 else None}
                     for r in results],
            "train_wall_s": round(t1 - t0, 2), "analysis_wall_s": round(time.perf_counter() - t1, 2),
            "processes": processes}
    return tables, meta


def report_tables(seed: int = 0, progress: bool = True, tier: str = "report", processes: int = 2, **overrides):
    """Every table the report draws (``tier="report"``: alpha 0.5 and 1.0, one seed). Deterministic given seed.

    ``overrides``: any tier setting (e.g. ``alphas=(1.0,)``); see :data:`TIERS`. Tables: see :func:`analyze`.
    """
    seed = nonnegative_int(seed, "seed")
    overrides.setdefault("seeds", (seed,))
    tables, _ = run_experiment(configs(tier, **overrides), processes=processes, progress=progress)
    return tables


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("torch", "numpy", "scipy", "pandas"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def modules_sha256(modules) -> str:
    """sha256 of the source files of ``modules``, in the order given: the identity of the code behind kept numbers
    (a cache key holds settings, not code)."""
    h = hashlib.sha256()
    for m in modules:
        h.update(pathlib.Path(m.__file__).read_bytes())
    return h.hexdigest()


def git_commit() -> str | None:
    """The checkout's commit, ``+local-changes`` when ``simulate/`` differs from it; None outside git."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", ".."], cwd=here, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() + ("+local-changes" if dirty.stdout.strip() else "")) if out.returncode == 0 else None


def write_table(df: pd.DataFrame, path) -> str:
    """One kept table as CSV (10 significant digits, ``\\n`` line ends: byte-identical on a rebuild); its sha256."""
    path = pathlib.Path(path)
    df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_tables(tables, out, *, meta=None, command=None, prefix: str = "neural") -> pathlib.Path:
    """Write ``<prefix>_<name>.csv`` for every table and ``manifest.json`` (settings, versions, checksums, times).

    The CSVs hold results only (byte-identical across rebuilds); wall times and the like go in ``meta``."""
    out = pathlib.Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    sums = {}
    for name, df in tables.items():
        rel = f"tables/{prefix}_{name}.csv"
        sums[rel] = write_table(df, out / rel)
    manifest = {"command": command or " ".join(["python -m simulate neural"] + sys.argv[2:]),
                "versions": _versions(), "tables_sha256": sums, "generated_unix": int(time.time()), **(meta or {})}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return out / "manifest.json"


def full_tier_tables(root: pathlib.Path = FULL_OUT) -> dict[str, pd.DataFrame]:
    """The full tier's tables kept under ``reports/neural_full/tables/`` (empty when the tier was never run)."""
    folder = pathlib.Path(root) / "tables"
    return {p.stem: pd.read_csv(p) for p in sorted(folder.glob("neural_*.csv"))} if folder.is_dir() else {}
