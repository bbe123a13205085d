"""Sections 3-4: ``python -m empirical measure``, measure a Pythia-family model the way the paper does.

Examples::

    python -m empirical measure --model EleutherAI/pythia-1.4b --revision step143000 --out runs/p1.4b
    python -m empirical measure --model ./family --revision step1000 --texts my.jsonl --shard 0/8 --out runs/x
    python -m empirical measure --merge runs/x
    python -m empirical measure --jobs pythia_jobs.txt --shard $SLURM_ARRAY_TASK_ID/64 --out runs/suite
    python -m empirical measure --write-pythia-jobs pythia_jobs.txt
"""
from __future__ import annotations

import argparse
import logging
import sys

from infogeo.runner import ArgumentParser, UsageError, exit_process, integer, run
from infogeo.validation import ValidationError

__all__ = ["main", "build_parser", "measure_config_from_args", "DEFAULT_MODEL"]

# Without --model the engine measures the mini-Pythia family (trained on CPU and
# cached on first use): "minipythia" is its largest size, "minipythia:<size>" any size.
DEFAULT_MODEL = "minipythia"


def resolve_default_model(model: str, revision: str | None, *, progress: bool = True) -> tuple[str, str | None]:
    """Map ``minipythia[:<size>]`` to the family's local directory (building what is missing)."""
    from ..minipythia import DEFAULT_CONFIG, ensure_family

    size = model.partition(":")[2] or DEFAULT_CONFIG.sizes[-1].name
    DEFAULT_CONFIG.size(size)  # unknown size: a ValueError naming it
    info = ensure_family([size], progress=progress)
    return str(info.sizes[size]), revision if revision is not None else f"step{info.steps[-1]}"


def build_parser() -> argparse.ArgumentParser:
    from .config import MeasureConfig
    from .engine import DEFAULT_MAX_TOKENS
    from .measurements import MEASUREMENTS

    paper = MeasureConfig()

    p = ArgumentParser(
        prog="python -m empirical measure",
        description="Measure entropy, information gain, Lasso vs attention, embeddings and sentence distances "
                    "(Sections 3-4) on a Hugging Face causal LM; writes tidy CSV tables.",
    )
    src = p.add_argument_group("what to measure")
    src.add_argument("--model", default=DEFAULT_MODEL,
                     help="hub id (e.g. EleutherAI/pythia-1.4b) or local directory (a save_pretrained "
                          "directory, or a family directory holding step<k>/ checkpoints); default "
                          "'minipythia' = the largest mini-Pythia model ('minipythia:<size>' for another size), "
                          "trained on CPU and cached on first use")
    src.add_argument("--revision", default=None,
                     help="checkpoint, e.g. step143000 (hub) or a step<k>/ subdirectory; 'all' measures every "
                          "step<k>/ of a local family (one job each; --shard then splits the checkpoints)")
    src.add_argument("--jobs", default=None, metavar="FILE",
                     help="measure a list of 'MODEL [REVISION]' lines instead of --model; --shard splits the jobs")
    src.add_argument("--texts", default=None, metavar="FILE",
                     help="JSONL (key --text-field) or TXT (one text per line); default: the shipped hh-rlhf sample")
    src.add_argument("--text-field", default="text", help="JSONL key holding the text (default: text)")
    src.add_argument("--limit", type=integer(1), default=None, help="measure only the first N texts")
    src.add_argument("--measurements", default=",".join(MEASUREMENTS),
                     help=f"comma-separated subset of {','.join(MEASUREMENTS)} (default: all)")
    src.add_argument("--layers", default=None,
                     help="hidden-state indices: 'all', or e.g. '0,6,-1' (0 = embeddings, -1 = last, after the "
                          "final layer norm); default: last")
    src.add_argument("--max-tokens", type=integer(1), default=None,
                     help=f"truncate texts to their first N tokens (logged; default min({DEFAULT_MAX_TOKENS}, "
                          "context))")
    run = p.add_argument_group("how to run")
    run.add_argument("--out", default="measurements", help="output directory (default: ./measurements)")
    run.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:N")
    run.add_argument("--dtype", default="float32", help="float32, bfloat16, float16 or float64 (model weights; "
                                                        "all log-determinants and regressions run in float64)")
    run.add_argument("--batch-size", type=integer(1), default=8)
    run.add_argument("--attn-implementation", default=None,
                     help="transformers attention; 'eager' is used automatically when lasso is measured")
    run.add_argument("--shard", default=None, metavar="K/N",
                     help="0-based shard K of N: texts i with i %% N == K (or jobs, with --jobs)")
    run.add_argument("--merge", default=None, metavar="DIR",
                     help="join the finished shards/jobs under DIR and exit; refuses mismatched or missing parts")
    run.add_argument("--allow-partial", action="store_true",
                     help="with --merge: merge an incomplete set on purpose (recorded in DIR/_merged.json)")
    run.add_argument("--write-pythia-jobs", default=None, metavar="FILE",
                     help="write the 1,232-line Pythia suite job list (8 sizes x 154 checkpoints) and exit")
    run.add_argument("--allow-download", action="store_true", help="let transformers download from the hub")
    run.add_argument("--overwrite", action="store_true", help="recompute even if a finished marker exists")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.add_argument("--seed", type=integer(0), default=0, help="UMAP random state (the only random step)")
    par = p.add_argument_group("paper parameters (defaults are the paper's)")
    par.add_argument("--eps", type=float, default=paper.eps, help="rate-distortion eps (Definition 3.1)")
    par.add_argument("--sigma", type=float, default=paper.sigma, help="GP noise sigma (Section 4.1)")
    par.add_argument("--lasso-lambda", type=float, default=paper.lasso_lambda,
                     help="Lasso lambda of ||z - Z b||^2 + lambda ||b||_1 (sklearn alpha = lambda / (2 d))")
    par.add_argument("--threshold", type=float, default=paper.threshold, help="selection threshold")
    par.add_argument("--gamma", type=float, default=paper.gamma, help="JS distance gamma")
    par.add_argument("--ridge", type=float, default=paper.ridge,
                     help="ridge added to token covariances for the Logdet/Riemann/log-Euclidean distances")
    return p


def measure_config_from_args(args: argparse.Namespace):
    """The one :class:`~empirical.measure.config.MeasureConfig` of a command line."""
    from .config import MeasureConfig

    try:
        return MeasureConfig(
            measurements=tuple(m.strip() for m in args.measurements.split(",") if m.strip()), layers=args.layers,
            max_tokens=args.max_tokens, text_limit=args.limit, text_field=args.text_field, eps=args.eps,
            sigma=args.sigma, lasso_lambda=args.lasso_lambda, threshold=args.threshold, gamma=args.gamma,
            ridge=args.ridge, seed=args.seed)
    except (ValueError, TypeError) as exc:  # name the option, not the config field
        field = str(exc).split(" ", 1)[0]
        option = {"text_limit": "--limit"}.get(field, "--" + field.replace("_", "-"))
        raise UsageError(f"{option}: {exc}") from None


def _check_device_options(args) -> None:
    """--layers (its syntax), --dtype, --device and --attn-implementation named before any work."""
    from .models import DTYPES, check_attn_implementation, resolve_device

    if args.layers is not None and args.layers.strip() != "all":
        parts = [x for x in args.layers.replace(" ", "").split(",") if x]
        if not parts or not all(x.lstrip("-").isdigit() for x in parts):
            raise UsageError(f"--layers {args.layers!r}: give 'all' or comma-separated integers such as '0,6,-1'")
    if args.dtype not in DTYPES:
        raise UsageError(f"--dtype {args.dtype!r}: choose from {', '.join(DTYPES)}")
    resolve_device(args.device)
    check_attn_implementation(args.attn_implementation)


def _check_default_layers(model: str, layers) -> None:
    """--layers against the mini-Pythia size's depth, known from its recipe, before the family is trained."""
    from ..minipythia import DEFAULT_CONFIG
    from .models import resolve_layers

    size = model.partition(":")[2] or DEFAULT_CONFIG.sizes[-1].name
    spec = DEFAULT_CONFIG.size(size)
    try:
        resolve_layers(layers, spec.n_layers)
    except ValidationError as exc:
        raise UsageError(f"--layers: {exc} (--model {model})") from None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--out"), "measurements")
    return run("python -m empirical measure", _main, argv,
               resume=f"finished models/shards under {out} are kept (each written atomically); run the same "
                      "command again to resume")


def _main(argv: list[str]) -> int:
    from . import engine as E
    from . import jobs as J
    from .measurements import TEXT_MEASUREMENTS
    from .outputs import check_writable

    parser = build_parser()
    args = parser.parse_args(argv)
    # force: bind to the sys.stderr of this call (a second main() in one process, e.g. under a test runner)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)
    if args.write_pythia_jobs:
        jobs = J.pythia_jobs()
        with open(args.write_pythia_jobs, "w") as fh:
            fh.writelines(f"{m} {r}\n" for m, r in jobs)
        print(f"wrote {len(jobs)} jobs to {args.write_pythia_jobs}")
        return 0
    if args.merge:
        paths = J.merge_shards(args.merge, allow_partial=args.allow_partial)
        for name, path in paths.items():
            print(f"{name}: {path}")
        return 0
    # Every option is checked before any work (a model loaded, the default family trained).
    config = measure_config_from_args(args)
    _check_device_options(args)
    J.parse_shard(args.shard)
    jobs = J.read_jobs(args.jobs) if args.jobs else None
    if jobs and ((args.model and args.model != DEFAULT_MODEL) or args.revision):
        raise ValidationError("give either --jobs or --model/--revision, not both")
    if not jobs and not args.model:
        raise ValidationError("--model is required (a hub id such as EleutherAI/pythia-1.4b or a local directory)")
    texts = (E.load_text_list(args.texts, config)
             if any(m in TEXT_MEASUREMENTS for m in config.measurements) else args.texts)
    default_family = not jobs and args.model.split(":")[0] == "minipythia"
    if default_family:
        _check_default_layers(args.model, config.layers)
    check_writable(args.out)  # before the mini-Pythia family is built or a model is loaded
    kwargs = dict(config=config, texts=texts, device=args.device, dtype=args.dtype,
                  progress=not args.no_progress, batch_size=args.batch_size,
                  attn_implementation=args.attn_implementation, allow_download=args.allow_download,
                  overwrite=args.overwrite)
    if jobs:
        results = E.run_jobs(jobs, out_dir=args.out, shard=args.shard, **kwargs)
        print(f"finished {len(results)} job(s) under {args.out}")
        return 0
    if default_family:
        from infogeo import pin_torch_cpu_kernels

        pin_torch_cpu_kernels()  # torch has not run yet: the family is the one `python -m reports` trains
        args.model, args.revision = resolve_default_model(args.model, args.revision,
                                                          progress=not args.no_progress)
    if args.revision == "all":
        from .models import local_revisions

        revs = local_revisions(args.model)
        if not revs:
            raise ValidationError(f"--revision all needs a local directory holding step<k>/ checkpoints; "
                                  f"--model {args.model!r} has none")
        results = E.run_jobs([(args.model, r) for r in revs], out_dir=args.out, shard=args.shard, **kwargs)
        print(f"finished {len(results)} checkpoint(s) under {args.out}")
        return 0
    paths = E.run_measurements(args.model, revision=args.revision, out_dir=args.out, shard=args.shard, **kwargs)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    exit_process(main())
