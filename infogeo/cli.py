"""The ``infogeo`` console script: one subcommand per layer, the same as ``python -m <layer>``.

    infogeo theory [...]      == python -m theory [...]
    infogeo simulate [...]    == python -m simulate [...]
    infogeo empirical [...]   == python -m empirical [...]   (fit, measure)
    infogeo fit [...]         == python -m empirical fit [...]
    infogeo measure [...]     == python -m empirical measure [...]
    infogeo minipythia [...]  == python -m empirical.minipythia [...]
    infogeo report [...]      == python -m reports [...]
"""
from __future__ import annotations

import importlib

_COMMANDS = {
    "theory": ("theory.__main__", []),
    "simulate": ("simulate.__main__", []),
    "empirical": ("empirical.__main__", []),
    "fit": ("empirical.__main__", ["fit"]),
    "measure": ("empirical.__main__", ["measure"]),
    "minipythia": ("empirical.minipythia.__main__", []),
    "report": ("reports.__main__", []),
}


def main(argv: list[str] | None = None) -> int:
    from .runner import run

    return run("infogeo", _main, argv)


def _main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd not in _COMMANDS:
        from .runner import UsageError

        raise UsageError(f"unknown command {cmd!r}; choose one of {', '.join(_COMMANDS)}")
    module, prefix = _COMMANDS[cmd]
    return int(importlib.import_module(module).main(prefix + rest) or 0)


def console() -> None:
    """The console script's entry point (pyproject.toml): :func:`main`, and the process ends as every ``python -m``
    command's does (:func:`infogeo.runner.exit_process`: promptly after Ctrl-C)."""
    from .runner import exit_process

    exit_process(main())


if __name__ == "__main__":
    console()
