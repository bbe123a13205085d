"""Section 3 (Assumption 3.5, Theorems 3.7 and 3.8): ``python -m simulate neural`` command line.

    python -m simulate neural --alpha 1.0 --tasks 500 --width 256 --steps 8000 --seeds 0 --json
    python -m simulate neural --tier ci --json
    python -m simulate neural --tier full --out reports/neural_full          # ~45 min, resumable
"""
from __future__ import annotations

import json
import sys
import time

from infogeo.runner import ArgumentParser, integer, json_records, number, output_dir, run
from infogeo.validation import ValidationError

from .task import SUBSETS
from .training import OPTIMIZERS

__all__ = ["main"]


_Parser = ArgumentParser  # usage errors raise UsageError; infogeo.runner prints one line and exits 2


def _parser():
    p = _Parser(prog="python -m simulate neural",
                description="Train MLPs on multitask sparse parity (p_k ∝ k^-(alpha+1)) and test whether they learn "
                            "skills one after another (Assumption 3.5) or all at once.")
    p.add_argument("--learner", choices=("mlp", "transformer"), default="mlp",
                   help="mlp (this experiment) or transformer: GPT-NeoX on the skill language, its own options "
                        "(python -m simulate neural --learner transformer --help; docs/skilllang.md)")
    p.add_argument("--task", choices=("sparse-parity", "skill-language"), default="sparse-parity",
                   help="the MLP's task is sparse-parity; the transformer's is skill-language")
    p.add_argument("--alpha", type=number("positive"), nargs="+", default=None,
                   help="the paper's alpha (Michaud's code calls alpha+1 'alpha'); default: the tier's")
    p.add_argument("--tasks", type=integer(2), default=None, help="number of tasks T")
    p.add_argument("--bits", type=integer(1), default=None, help="random bits n per input")
    p.add_argument("--k-bits", type=integer(1), default=None, help="bits in each task's parity subset")
    p.add_argument("--subsets", choices=SUBSETS, default=None,
                   help="task subsets: random (tasks may share bits; default) or disjoint (no shared bit)")
    w = p.add_mutually_exclusive_group()
    w.add_argument("--width", type=integer(1), default=None,
                   help="largest width; the width axis also trains w/2, w/4, w/8, w/16 (>= 4)")
    w.add_argument("--widths", type=integer(1), nargs="+", default=None, help="explicit widths, each once")
    p.add_argument("--depth", type=integer(1), default=None, help="hidden layers (default 1)")
    p.add_argument("--steps", type=integer(1), default=None, help="training steps (fresh batch each)")
    p.add_argument("--batch", type=integer(1), default=None)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="adam (default), sgd, sgd-momentum (0.9)")
    p.add_argument("--lr", type=number("positive"), default=None, help="learning rate")
    p.add_argument("--seeds", type=integer(0, scientific=False), nargs="+", default=None, help="seeds, each once")
    p.add_argument("--eval-every", type=integer(1), default=None,
                   help="evaluation every this many steps (after a log grid)")
    p.add_argument("--eval-per-task", type=integer(1), default=None, help="held-out draws of each task per evaluation")
    p.add_argument("--tier", choices=("ci", "report", "full", "grid-ci"), default="report",
                   help="defaults for every setting; full (and grid-ci, seconds) run the robustness grid")
    p.add_argument("--variants", nargs="+", default=None, help="grid tiers: the variants to run (default all)")
    p.add_argument("--shard", default=None, help="grid tiers: run shard k/n (runs i with i %% n == k, k 0-based)")
    p.add_argument("--merge", default=None, metavar="DIR",
                   help="grid tiers: join DIR/shard-k-of-n folders (checked) and write DIR/tables")
    p.add_argument("--processes", type=integer(1), default=2, help="runs trained side by side (one torch thread each)")
    p.add_argument("--out", default=None, help="write tables, manifest.json and per-run shards (resume) here")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-progress", action="store_true")
    return p


def _print_text(tables, elapsed):
    cols = ["alpha", "axis", "threshold", "fitted", "ci_low", "ci_high", "predicted_sequential", "predicted_parallel",
            "verdict", "interval_kind"]
    e = tables["exponents"]
    print(e[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    o = tables["order"]
    print("\norder and concurrency (largest width):")
    big = o[o["width"] == o.groupby("alpha")["width"].transform("max")]
    print(big.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"\n({elapsed:.1f} s)")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--out"), None)
    resume = (f"finished runs are kept under {out}; run the same command again to resume" if out else
              "nothing was kept (no --out); run the command again with --out DIR to make a run resumable")
    return run("python -m simulate neural", _main, argv, resume=resume)


def _wants_transformer(argv: list[str]) -> bool:
    pairs = {(a, b) for a, b in zip(argv, argv[1:])} | {tuple(a.split("=", 1)) for a in argv if "=" in a}
    return ("--learner", "transformer") in pairs or ("--task", "skill-language") in pairs


_RUN_OPTIONS = ("alpha", "tasks", "bits", "k_bits", "subsets", "width", "widths", "depth", "steps", "batch",
                "optimizer", "lr", "eval_every", "eval_per_task")
_GRID_TIERS = {"full": "full", "grid-ci": "ci"}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_args(args) -> None:
    """Every option checked before any work: repeated values, options of the other mode."""
    for name in ("alpha", "widths", "seeds", "variants"):
        v = getattr(args, name)
        if v is not None and len(set(v)) != len(v):
            raise ValidationError(f"{_option(name)}: each value once, got {' '.join(map(str, v))}")
    grid = args.tier in _GRID_TIERS
    if grid:
        given = [_option(n) for n in _RUN_OPTIONS if getattr(args, n) is not None]
        if given:
            raise ValidationError(f"--tier {args.tier} runs the fixed robustness grid; {', '.join(given)} cannot be "
                                  "combined with it (choose runs with --variants and --seeds)")
        if args.merge is not None and (args.out is not None or args.shard is not None):
            raise ValidationError("--merge DIR writes into DIR; give neither --out nor --shard with it")
        if args.merge is None and args.out is None and args.shard is not None:
            raise ValidationError("--shard needs --out (the folder every shard writes into)")
    else:
        for name in ("variants", "shard", "merge"):
            if getattr(args, name) is not None:
                raise ValidationError(f"{_option(name)} is for the grid tiers (--tier full or grid-ci)")


def _main(argv: list[str]) -> int:
    from .experiment import configs, run_experiment, width_ladder, write_tables

    if _wants_transformer(argv):  # the transformer on the skill language has its own options
        from ..skilllang.cli import main as transformer_main

        return transformer_main(argv)
    args = _parser().parse_args(argv)
    _check_args(args)
    if args.tier in _GRID_TIERS:
        from .gridcli import main_grid

        return main_grid(args, argv)
    if args.out:
        output_dir(args.out, "--out")
    widths = width_ladder(args.width) if args.width is not None else args.widths
    cfgs = configs(args.tier, alphas=args.alpha, tasks=args.tasks, bits=args.bits, k_bits=args.k_bits,
                   widths=widths, depth=args.depth, steps=args.steps, batch=args.batch, lr=args.lr,
                   seeds=args.seeds, eval_every=args.eval_every, eval_per_task=args.eval_per_task,
                   optimizer=args.optimizer, subsets=args.subsets)
    from .gridcli import refuse_oversized

    refuse_oversized(cfgs, args.processes)
    t0 = time.perf_counter()
    tables, meta = run_experiment(cfgs, processes=args.processes, out=args.out, progress=not args.no_progress)
    elapsed = time.perf_counter() - t0
    meta["elapsed_s"] = round(elapsed, 2)
    if args.out:
        write_tables(tables, args.out, meta=meta, command="python -m simulate neural " + " ".join(argv))
        _write_toml(args.out)
    if args.json:
        print(json.dumps({"tier": args.tier, "exponents": json_records(tables["exponents"]),
                          "order": json_records(tables["order"]), "loop": json_records(tables["loop_summary"]),
                          "width": json_records(tables["width"]), "timing": meta}, indent=2, default=str))
    else:
        _print_text(tables, elapsed)
    return 0


_SHIM = """\"\"\"Loads the measured order for measured_order.toml (tables relative to this folder).\"\"\"
import pathlib

from simulate.neural.feedback import MeasuredOrder as _MeasuredOrder


def MeasuredOrder(table="tables/neural_learning_times.csv", **kw):
    path = pathlib.Path(table)
    return _MeasuredOrder(table=path if path.is_absolute() else pathlib.Path(__file__).parent / path, **kw)
"""


def _write_toml(out):
    """An assumptions file (and its loader) that feeds the measured order back to ``python -m simulate``."""
    import pathlib

    import pandas as pd

    out = pathlib.Path(out)
    lt = pd.read_csv(out / "tables" / "neural_learning_times.csv")
    big = lt[lt["width"] == lt["width"].max()]
    alpha = float(big["alpha"].min())
    big = big[big["alpha"] == alpha]
    (out / "measured_order.py").write_text(_SHIM)
    (out / "measured_order.toml").write_text(
        "# The network's measured learning order as a simulate assumption (see docs/neural.md):\n"
        "#   python -m simulate --assumptions measured_order.toml --json\n"
        f"[law]\nname = \"power\"\nalpha = {alpha}\n"
        "[order]\npython = \"measured_order.py:MeasuredOrder\"\ntable = \"tables/neural_learning_times.csv\"\n"
        f"alpha = {alpha}\nseed = {int(big['seed'].min())}\nwidth = {int(big['width'].iloc[0])}\nthreshold = 0.5\n"
        "timing = \"sequential\"\n"
        f"[model]\nM = {int(big['task'].max())}\n")
