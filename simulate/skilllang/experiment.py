"""Section 3 on transformers: the skill-language experiment's tiers, one call from settings to tables.

Tiers (any field can be overridden):

- ``ci``: seconds; 32 skills, 3 tiny sizes, 150 steps. Qualitative use only.
- ``report``: what ``python -m reports`` runs: α ∈ {0.5, 1.0}, M = 256 skills
  named by 2 of 32 letters, 4 inputs, 8 answers, 10% noise; six 2-layer sizes of
  width 8..48 (1.8k..57k non-embedding parameters, 32x), 1200 steps of 32
  sequences x 8 examples; budget 5 minutes on 2 idle cores, cached.
- ``full``: the same language with 512 skills, eight sizes (width 8..96),
  4000 steps. Run once into ``reports/skilllang_full/`` (``--out``).
"""
from __future__ import annotations

import dataclasses
import pathlib
import time

import pandas as pd

from infogeo.validation import ValidationError, nonnegative_int

from .analysis import analyze_family
from .family import FamilyConfig, ensure_families
from .language import SkillLanguage
from .model import SizeSpec

__all__ = ["TIERS", "configs", "run_experiment", "report_tables", "write_tables", "FULL_OUT", "full_tier_tables"]


def _sizes(widths, layers=2):
    return tuple(SizeSpec(w, layers, 1 if w < 16 else (2 if w < 32 else 4)) for w in widths)


TIERS = {
    "ci": {"alphas": (1.0,), "language": {"skills": 32, "letters": 8, "inputs": 2, "answers": 4, "per_seq": 4},
           "sizes": _sizes((8, 16, 24), 1), "steps": 150, "batch_seqs": 16, "n_even": 5, "eval_every": 15,
           "warmup": 10},
    "report": {"alphas": (0.5, 1.0), "language": {"skills": 256, "letters": 32, "inputs": 4, "answers": 8},
               "sizes": _sizes((8, 12, 16, 24, 32, 48)), "steps": 1200, "batch_seqs": 32, "n_even": 12,
               "eval_every": 40, "warmup": 50},
    "full": {"alphas": (0.5, 1.0), "language": {"skills": 512, "letters": 32, "inputs": 4, "answers": 8},
             "sizes": _sizes((8, 12, 16, 24, 32, 48, 64, 96)), "steps": 4000, "batch_seqs": 32, "n_even": 20,
             "eval_every": 80, "warmup": 50},
}
FULL_OUT = pathlib.Path(__file__).resolve().parents[2] / "reports" / "skilllang_full"
_FIELDS = {f.name for f in dataclasses.fields(FamilyConfig)} - {"language", "label"}
_LANG_FIELDS = {f.name for f in dataclasses.fields(SkillLanguage)} - {"alpha"}


def configs(tier: str = "report", alphas=None, *, widths=None, layers=None, **overrides) -> list[FamilyConfig]:
    """One :class:`FamilyConfig` per alpha of the tier; ``overrides``: FamilyConfig fields (steps, lr, ...) or
    SkillLanguage fields (skills, noise, law, ...); ``widths``/``layers`` replace the size ladder."""
    if tier not in TIERS:
        raise ValidationError(f"tier must be one of {sorted(TIERS)}, got {tier!r}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(overrides) - _FIELDS - _LANG_FIELDS
    if unknown:
        raise ValidationError(f"unknown setting(s) {sorted(unknown)}; allowed: {sorted(_FIELDS | _LANG_FIELDS)}")
    t = TIERS[tier]
    alphas = t["alphas"] if alphas is None else tuple(alphas)
    if not alphas:
        raise ValidationError("alphas must not be empty")
    sizes = t["sizes"]
    if widths is not None or layers is not None:
        sizes = _sizes(widths or [s.d_model for s in sizes], layers or sizes[0].n_layers)
    lang = {**t["language"], **{k: v for k, v in overrides.items() if k in _LANG_FIELDS}}
    fam = {k: t[k] for k in ("steps", "batch_seqs", "n_even", "eval_every", "warmup")}
    fam.update({k: v for k, v in overrides.items() if k in _FIELDS})
    return [FamilyConfig(SkillLanguage(alpha=float(a), **lang), sizes, label=tier, **fam) for a in alphas]


def run_experiment(cfgs, *, processes: int = 2, root=None, progress: bool = True):
    """Train (or load from the cache) and analyse every config; returns (tables, meta).

    Tables: those of :func:`simulate.skilllang.analysis.analyze_family`, concatenated over alphas (column
    ``alpha``); meta: per-size wall time and parameter counts, training and analysis wall time."""
    t0 = time.perf_counter()
    fams = ensure_families(cfgs, root=root, processes=processes, progress=progress)
    t1 = time.perf_counter()
    per = [analyze_family(runs, c.language, c) for runs, c in zip(fams, cfgs)]
    tables = {k: pd.concat([p[k] for p in per], ignore_index=True) for k in per[0]}
    tables["languages"] = pd.DataFrame([{**dataclasses.asdict(c.language), "C_nats": c.language.loss_floor(),
                                         "B_nats": c.language.loss_unlearned(), "steps": c.steps,
                                         "batch_seqs": c.batch_seqs, "tokens_per_step": c.tokens_per_step,
                                         "lr": c.lr, "warmup": c.warmup, "cache": c.dirname} for c in cfgs])
    meta = {"train_wall_s": round(t1 - t0, 2), "analysis_wall_s": round(time.perf_counter() - t1, 2),
            "processes": processes,
            "sizes": [{"alpha": c.language.alpha, "size": r.name, "params_nonembedding": r.params_nonembedding,
                       "params_total": r.params_total, "wall_s": round(r.wall_s, 1)}
                      for runs, c in zip(fams, cfgs) for r in runs]}
    return tables, meta


def report_tables(seed: int = 0, progress: bool = True, tier: str = "report", processes: int = 2, root=None,
                  **overrides) -> dict[str, pd.DataFrame]:
    """Every table the report draws (``tier="report"``: α 0.5 and 1.0). ``seed`` seeds the models' initial weights
    (the language and the data stream keep their own seeds). Cached: a second call loads the family."""
    seed = nonnegative_int(seed, "seed")
    tables, _ = run_experiment(configs(tier, seed=seed, **overrides), processes=processes, root=root,
                               progress=progress)
    return tables


def write_tables(tables: dict, out, *, meta: dict | None = None) -> pathlib.Path:
    """``out/tables/skilllang_<name>.csv`` for every table and ``out/manifest.json`` (meta, torch kernels)."""
    import json

    from infogeo import torch_kernel_settings

    out = pathlib.Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(out / "tables" / f"skilllang_{name}.csv", index=False, float_format="%.10g", lineterminator="\n")
    path = out / "manifest.json"
    path.write_text(json.dumps({**(meta or {}), "kernels": torch_kernel_settings()}, indent=2, default=str))
    return path


def full_tier_tables(root: pathlib.Path = FULL_OUT) -> dict[str, pd.DataFrame]:
    """The full tier's tables kept under ``reports/skilllang_full/tables/`` (empty when never run)."""
    folder = pathlib.Path(root) / "tables"
    return {p.stem: pd.read_csv(p) for p in sorted(folder.glob("skilllang_*.csv"))} if folder.is_dir() else {}
