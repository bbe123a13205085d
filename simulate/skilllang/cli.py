"""Section 3 on transformers: ``python -m simulate neural --learner transformer --task skill-language`` command line.

    python -m simulate neural --learner transformer --task skill-language --alpha 0.5 --json
    python -m simulate neural --learner transformer --task skill-language --tier ci --json
    python -m simulate neural --learner transformer --task skill-language --law exponential --alpha 0.5
    python -m simulate neural --learner transformer --task skill-language --tier full --seeds 0 1 2 \\
        --out reports/skilllang_full                  # several seeds: per-seed tables and a between-seed summary

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
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="initial-weight seeds (default 0); several: each analysed alone, then summarised across seeds")
    p.add_argument("--no-train", action="store_true",
                   help="use only families already in the cache; refuse, naming them, if any seed's size is missing")
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
    from infogeo import torch_kernel_settings

    from ..neural.experiment import git_commit, write_tables
    from .experiment import run_seeds

    a = parser().parse_args(argv)
    t0 = time.perf_counter()
    tables, meta = run_seeds(a.tier, a.seeds or [0], train=not a.no_train, processes=a.processes, root=a.cache,
                             progress=not a.no_progress, alphas=a.alpha, widths=a.widths, layers=a.layers,
                             steps=a.steps, lr=a.lr, skills=a.skills, noise=a.noise, law=a.law,
                             batch_seqs=a.batch_seqs)
    meta["elapsed_s"] = round(time.perf_counter() - t0, 2)
    if a.out:
        meta.update(git_commit=git_commit(), kernels=torch_kernel_settings(),
                    note="wall_s: each size's training on one torch thread (a loaded machine inflates it), read "
                         "from the cache; elapsed_s: this command (cached sizes are loaded, not retrained)")
        write_tables(tables, a.out, meta=meta, command="python -m simulate neural " + " ".join(argv),
                     prefix="skilllang")
    if a.json:
        print(json.dumps({"tier": a.tier, "learner": "transformer", "task": "skill-language", "seeds": meta["seeds"],
                          **{k: json_records(tables[k]) for k in ("exponents", "exponents_summary", "order", "sizes",
                                                                  "languages")},
                          "timing": meta}, indent=2, default=str))
    else:
        cols = ["seed", "alpha", "axis", "threshold", "fitted", "ci_low", "ci_high", "predicted_sequential",
                "predicted_parallel", "verdict"]
        print(tables["exponents"][cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if len(meta["seeds"]) > 1:
            cols = ["alpha", "axis", "threshold", "fitted_per_seed", "mean", "ci_low", "ci_high", "interval_kind",
                    "verdict_counts"]
            print(tables["exponents_summary"][cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(tables["sizes"].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"\n({meta['elapsed_s']:.1f} s)")
    return 0
