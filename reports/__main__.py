"""``python -m reports``: build the theory-vs-data report into reports/latest/.

    python -m reports                       # every section
    python -m reports --only theory         # rebuild one section, keep the others
    python -m reports --model PATH_OR_NAME  # measure this model (default: the mini-Pythia family)
    python -m reports --jobs 1              # one section after another in this process (default: one process
                                            # per core, each section in its own; the same tables byte for byte)

Exit status 0 when every section built, 1 when a section failed (the report is
still written, with the failure in it, or with the section's previous good build
kept), 2 on bad arguments (checked before any section starts).
"""
from __future__ import annotations

import os
from pathlib import Path

from infogeo import pin_torch_cpu_kernels
from infogeo.runner import ArgumentParser, exit_process, integer, output_dir, run

from .build import DEFAULT_OUT, SECTION_NAMES, build_report, check_options

pin_torch_cpu_kernels()  # none of the imports above loads torch; the sections load it later


def main(argv: list[str] | None = None) -> int:
    return run("python -m reports", _main, argv,
               resume="sections finished before the interrupt are kept; rebuild the missing ones with --only SECTION "
                      "(or run the command again)")


def _main(argv: list[str]) -> int:
    ap = ArgumentParser(prog="python -m reports", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--only", choices=SECTION_NAMES, help="rebuild one section and reassemble the report")
    ap.add_argument("--model", help="model for the measurements section: a local path (a family folder or one "
                                    "checkpoint) or a hub name; default: the mini-Pythia family, trained on first use")
    ap.add_argument("--seed", type=integer(0, scientific=False), default=0,
                    help="seed of every random step (default 0)")
    ap.add_argument("--jobs", type=integer(1), default=os.cpu_count() or 1,
                    help="sections built at once, each in its own process (default: the number of cores, "
                         f"{os.cpu_count()} here; 1: one after another in this process)")
    ap.add_argument("--quiet", action="store_true", help="no progress output")
    args = ap.parse_args(argv)
    output_dir(args.out, "--out")
    check_options(args.only, args.seed, args.model, args.jobs)  # before any work, as build_report does
    manifest = build_report(args.out, only=args.only, model=args.model, seed=args.seed, progress=not args.quiet,
                            jobs=args.jobs)
    failed = manifest["failed"]
    print(f"report written to {args.out / 'report.md'} and report.html "
          f"({manifest['wall_seconds']:.0f} s in {manifest['jobs']} processes; sections: "
          + ", ".join(f"{k} {v['seconds']:.0f} s{'' if v['ok'] else ' FAILED'}"
                      f"{' (previous build kept)' if v.get('kept_previous') else ''}"
                      for k, v in manifest["sections"].items())
          + ")")
    return 1 if failed else 0


if __name__ == "__main__":
    exit_process(main())
