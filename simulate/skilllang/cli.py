"""Section 3 on transformers: ``python -m simulate neural --learner transformer --task skill-language`` command line.

    python -m simulate neural --learner transformer --task skill-language --alpha 0.5 --json
    python -m simulate neural --learner transformer --task skill-language --tier ci --json
    python -m simulate neural --learner transformer --task skill-language --law exponential --alpha 0.5

The family is cached (``$INFOGEO_CACHE``, see docs/skilllang.md): a second run with the same settings trains nothing.
The calibration of the fitting pipeline on this family needs ``empirical`` and is in the report (Section 5).
"""
from __future__ import annotations

import json
import time

from infogeo.runner import ArgumentParser, json_records

__all__ = ["main", "add_arguments"]


def add_arguments(p) -> None:
    """The skill-language options (on the neural parser; the MLP options do not apply to this learner)."""
    g = p.add_argument_group("transformer on the skill language (--learner transformer --task skill-language)")
    g.add_argument("--skills", type=int, default=None, help="number of skills M")
    g.add_argument("--noise", type=float, default=None, help="fraction of answers replaced by a uniform draw")
    g.add_argument("--law", choices=("power", "exponential"), default=None,
                   help="skill frequencies: power (p_k ∝ k^-(alpha+1)) or the exponential control")
    g.add_argument("--layers", type=int, default=None, help="transformer layers of every size")
    g.add_argument("--batch-seqs", type=int, default=None, help="sequences per step (8 examples each)")
    g.add_argument("--cache", default=None, help="cache root (default $INFOGEO_CACHE, else ~/.cache/infogeo)")


def parser():
    p = ArgumentParser(prog="python -m simulate neural --learner transformer --task skill-language",
                       description="Train GPT-NeoX transformers on a synthetic skill language (p_k ∝ k^-(alpha+1)) "
                                   "and test Assumption 3.5 and Theorems 3.7 and 3.8 where the truth is known.")
    p.add_argument("--learner", choices=("transformer",), default="transformer")
    p.add_argument("--task", choices=("skill-language",), default="skill-language")
    p.add_argument("--alpha", type=float, nargs="+", default=None, help="the paper's alpha; default: the tier's")
    p.add_argument("--widths", type=int, nargs="+", default=None, help="model widths (default: the tier's ladder)")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--lr", type=float, default=None, help="AdamW learning rate at width 16 (scaled by (16/d)^0.5)")
    p.add_argument("--seeds", type=int, nargs=1, default=None, help="initial-weight seed (one)")
    p.add_argument("--tier", choices=("ci", "report", "full"), default="report")
    p.add_argument("--processes", type=int, default=2, help="sizes trained side by side (one torch thread each)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", default=None, help="write tables/skilllang_<name>.csv and manifest.json here "
                                               "(the full tier's home: reports/skilllang_full)")
    p.add_argument("--no-progress", action="store_true")
    add_arguments(p)
    return p



def main(argv: list[str]) -> int:
    """Parse, train (or load), analyse, print; called through :func:`infogeo.runner.run` by the neural CLI."""
    from infogeo import pin_torch_cpu_kernels

    pin_torch_cpu_kernels()  # the cache key holds the kernel settings: the same family as the report's
    from .experiment import configs, run_experiment

    a = parser().parse_args(argv)
    cfgs = configs(a.tier, a.alpha, widths=a.widths, layers=a.layers, steps=a.steps, lr=a.lr,
                   seed=a.seeds[0] if a.seeds else None, skills=a.skills, noise=a.noise, law=a.law,
                   batch_seqs=a.batch_seqs)
    t0 = time.perf_counter()
    tables, meta = run_experiment(cfgs, processes=a.processes, root=a.cache, progress=not a.no_progress)
    meta["elapsed_s"] = round(time.perf_counter() - t0, 2)
    if a.out:
        from .experiment import write_tables

        write_tables(tables, a.out, meta={**meta, "command": "python -m simulate neural " + " ".join(argv)})
    if a.json:
        print(json.dumps({"tier": a.tier, "learner": "transformer", "task": "skill-language",
                          "exponents": json_records(tables["exponents"]), "order": json_records(tables["order"]),
                          "sizes": json_records(tables["sizes"]), "languages": json_records(tables["languages"]),
                          "timing": meta}, indent=2, default=str))
    else:
        cols = ["alpha", "axis", "threshold", "fitted", "ci_low", "ci_high", "predicted_sequential",
                "predicted_parallel", "verdict"]
        print(tables["exponents"][cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(tables["sizes"].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"\n({meta['elapsed_s']:.1f} s)")
    return 0
