"""``python -m empirical.minipythia {train,path,losses}``: build and inspect the mini-Pythia family (Sections 3-4).

    infogeo minipythia train [--sizes 7k 1.8m] [--root DIR] [--threads N] [--minimal] [--json]
    infogeo minipythia path [SIZE] [--step K]        print the family / size / checkpoint directory
    infogeo minipythia losses                        print losses.csv (tidy; one row per size x step)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from infogeo import pin_torch_cpu_kernels
from infogeo.runner import ArgumentParser, UsageError, exit_process, integer, output_dir, run
from infogeo.validation import ValidationError

pin_torch_cpu_kernels()  # torch loads later (lazily): the family trains as `python -m reports` trains it

_Parser = ArgumentParser  # usage errors raise UsageError; infogeo.runner prints one line and exits 2


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="infogeo minipythia", description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd")

    def common(sp):
        sp.add_argument("--root",
                        help="cache root (default: $INFOGEO_CACHE, $XDG_CACHE_HOME/infogeo, ~/.cache/infogeo)")
        sp.add_argument("--minimal", action="store_true", help="the seconds-long CI configuration")
        sp.add_argument("--seed", type=integer(0), default=None,
                        help="training seed (default 0; another seed is another family)")

    t = sub.add_parser("train", help="train the family's missing sizes (resumes interrupted ones)")
    common(t)
    t.add_argument("--sizes", nargs="+", metavar="SIZE", help="size names (default: all)")
    t.add_argument("--threads", type=integer(1), default=None,
                   help="torch threads while training (default: the recipe's, 2; another count changes the "
                        "weights, so it trains another family)")
    t.add_argument("--no-progress", action="store_true")
    t.add_argument("--json", action="store_true", help="print a JSON summary")
    pp = sub.add_parser("path", help="print a directory of the family (builds nothing)")
    common(pp)
    pp.add_argument("size", nargs="?")
    pp.add_argument("--step", type=integer(0), default=None)
    lo = sub.add_parser("losses", help="print the losses table as CSV")
    common(lo)
    return p


def _check_args(args, config) -> None:
    """Sizes, step and --root named by their option, before anything is built."""
    names = [s.name for s in config.sizes]
    for opt, sizes in (("--sizes", getattr(args, "sizes", None)), ("SIZE", [getattr(args, "size", None)])):
        bad = [s for s in sizes or [] if s is not None and s not in names]
        if bad:
            raise UsageError(f"{opt}: unknown size(s) {bad}; choose from {names}")
    if getattr(args, "threads", None) is not None:
        from .train import check_threads

        check_threads(args.threads, "--threads")
    if getattr(args, "step", None) is not None and args.step not in config.steps:
        raise UsageError(f"--step {args.step} is not a checkpoint; choose from {list(config.steps)}")
    if args.root is not None:
        if args.cmd == "train":
            output_dir(args.root, "--root")
        elif Path(args.root).exists() and not Path(args.root).is_dir():
            raise UsageError(f"--root {args.root!r} is a file, not a folder")


def main(argv: list[str] | None = None) -> int:
    return run("infogeo minipythia", _main, argv,
               resume="finished sizes and checkpoints are kept in the cache; run the same command again to resume")


def _main(argv: list[str]) -> int:
    from . import DEFAULT_CONFIG, MINIMAL_CONFIG, checkpoint_path, ensure_family, family_path, losses_table

    parser = _parser()
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    args = parser.parse_args(argv)
    config = MINIMAL_CONFIG if args.minimal else DEFAULT_CONFIG
    if args.seed is not None:
        config = config.replace(seed=args.seed)
    _check_args(args, config)
    if getattr(args, "threads", None) is not None:
        config = config.replace(train_threads=args.threads)
    if args.cmd == "train":
        info = ensure_family(args.sizes, root=args.root, progress=not args.no_progress, config=config)
        if args.json:
            print(json.dumps({"family": str(info.root), "sizes": {k: str(v) for k, v in info.sizes.items()},
                              "steps": list(info.steps), "losses": str(info.losses_path),
                              "corpus": info.corpus, "training": info.training}, indent=1))
        else:
            df = losses_table(root=args.root, config=config)
            last = df[df.step == df.step.max()]
            print(f"family: {info.root}")
            print(f"corpus: {info.corpus['tokens_train']} train tokens, {info.corpus['tokens_heldout']} held-out "
                  f"tokens; {config.total_tokens} tokens trained per size")
            for _, r in last.iterrows():
                tr = info.training.get(r["size"], {})
                print(f"  {r['size']:>6}  non-emb params {int(r['params_nonembedding']):>9,}  "
                      f"held-out loss {r['heldout_loss_nats']:.4f} nats  "
                      f"{tr.get('train_seconds', float('nan')):7.1f} s  "
                      f"{tr.get('tokens_per_second', float('nan')):8.0f} tok/s")
            print(f"losses: {info.losses_path}")
    elif args.cmd == "path":
        if args.step is not None:
            if args.size is None:
                raise ValidationError("--step needs a SIZE")
            print(checkpoint_path(args.size, args.step, root=args.root, config=config))
        else:
            print(family_path(args.size, root=args.root, config=config))
    elif args.cmd == "losses":
        sys.stdout.write(losses_table(root=args.root, config=config).to_csv(index=False))
    else:
        raise ValidationError("choose a subcommand: train, path or losses")
    return 0


if __name__ == "__main__":
    exit_process(main())
