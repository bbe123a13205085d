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

from infogeo.checkpoints import cache_root
from infogeo.validation import ValidationError, nonnegative_int

from .analysis import analyze_family
from .family import FamilyConfig, ensure_families, family_path
from .language import SkillLanguage
from .model import SizeSpec

__all__ = ["TIERS", "configs", "run_experiment", "run_seeds", "missing_sizes", "code_identity", "report_tables",
           "FULL_OUT", "full_tier_tables"]


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
    and the language's draws (names, lookup tables: :func:`configs` passes it to both); the data stream's generator
    keeps ``data_seed``. Cached: a second call loads the family."""
    seed = nonnegative_int(seed, "seed")
    tables, _ = run_experiment(configs(tier, seed=seed, **overrides), processes=processes, root=root,
                               progress=progress)
    return tables


def missing_sizes(cfgs, root=None) -> list[str]:
    """``"seed s, α a: size"`` for every size of ``cfgs`` whose family in the cache lacks its ``losses.npz``."""
    return [f"seed {c.seed}, α {c.language.alpha:g}: {s.name}" for c in cfgs for s in c.sizes
            if not (family_path(c, root) / s.name / "losses.npz").exists()]


def run_seeds(tier: str, seeds, *, train: bool = True, processes: int = 2, root=None, progress: bool = True,
              alphas=None, **overrides):
    """Every seed's family of ``tier`` (trained where missing, in one pool; ``train=False``: refused, naming each
    missing seed and size), each analysed alone (:func:`run_experiment`), then stacked and summarised across
    seeds (:func:`simulate.skilllang.seeds.seed_tables`). Returns (tables, meta); meta has per-size wall times,
    the recipe folder of every (seed, alpha) and the code identity."""
    from .seeds import seed_tables

    seeds = [nonnegative_int(s, "seeds") for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValidationError(f"seeds: each seed once and at least one, got {seeds}")
    per_cfgs = {s: configs(tier, alphas, seed=s, **overrides) for s in seeds}
    if not train:
        gone = missing_sizes([c for cs in per_cfgs.values() for c in cs], root)
        if gone:
            raise ValidationError(f"--no-train: {len(gone)} size(s) not in the cache {cache_root(root)}: "
                                  f"{', '.join(gone[:8])}{' ...' if len(gone) > 8 else ''}; train them (drop "
                                  "--no-train) or leave those seeds out")
    t0 = time.perf_counter()
    ensure_families([c for cs in per_cfgs.values() for c in cs], root=root, processes=processes, progress=progress)
    per, metas = {}, {}
    for s, cfgs in per_cfgs.items():  # every size is cached now: this loads and analyses
        per[s], metas[s] = run_experiment(cfgs, processes=1, root=root, progress=False)
    meta = {"tier": tier, "seeds": seeds, "train_and_analysis_wall_s": round(time.perf_counter() - t0, 2),
            "processes": processes, "code": code_identity(),
            "families": {f"seed {s}, alpha {c.language.alpha:g}": c.dirname for s, cs in per_cfgs.items() for c in cs},
            "sizes": [{"seed": s, **row} for s in seeds for row in metas[s]["sizes"]]}
    return seed_tables(per), meta


def code_identity() -> dict[str, str]:
    """sha256 of the code that decides the weights (``training``: language, model, family; the cache key holds the
    recipe, not the code) and of the code that turns losses into tables (``analysis``)."""
    from theory import skills

    from ..neural import analysis as NA
    from ..neural import measure, predict, slopes
    from ..neural.experiment import modules_sha256
    from . import analysis, family, language, model, seeds

    return {"training": modules_sha256([language, model, family]),
            "analysis": modules_sha256([analysis, seeds, NA, measure, predict, slopes, skills])}


def full_tier_tables(root: pathlib.Path = FULL_OUT) -> dict[str, pd.DataFrame]:
    """The full tier's tables kept under ``reports/skilllang_full/tables/`` (empty when never run)."""
    folder = pathlib.Path(root) / "tables"
    return {p.stem: pd.read_csv(p) for p in sorted(folder.glob("skilllang_*.csv"))} if folder.is_dir() else {}
