"""``python -m empirical {fit,measure} ...``: fit exponents to Pythia data, or measure a model."""
from __future__ import annotations

import importlib

from infogeo.runner import UsageError, exit_process, run

_SUBCOMMANDS = {
    "fit": "empirical.fit.cli",
    "measure": "empirical.measure.cli",
}


def main(argv: list[str] | None = None) -> int:
    return run("python -m empirical", _main, argv)


def _main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m empirical {fit,measure} [options]\n"
              "  fit      fit scaling-law exponents to Pythia (or your) measurements\n"
              "  measure  measure a Pythia-family model the way the paper does")
        return 0 if argv else 2
    if argv[0] not in _SUBCOMMANDS:
        raise UsageError(f"unknown subcommand {argv[0]!r}; choose fit or measure")
    return int(importlib.import_module(_SUBCOMMANDS[argv[0]]).main(argv[1:]) or 0)


if __name__ == "__main__":
    exit_process(main())
