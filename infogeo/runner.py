"""The one command-line runner behind ``python -m theory|simulate|empirical|reports`` and ``infogeo``.

Every entry point's ``main(argv)`` is ``run(prog, impl, argv, resume=...)``:
``impl(argv)`` parses (with :class:`ArgumentParser`) and does the work, and
lets exceptions propagate. The runner turns them into what a user should see:

====================================  ========================================================  =====
what happened                         what is printed on stderr                                 exit
====================================  ========================================================  =====
success                               (the command's own output)                                0
a command that reports failed parts   (the command's own output)                                1
``--help``                            the help                                                  0
bad usage, :class:`UsageError`, a    ``prog: error: <message>`` (one line; the validators of     2
``ValidationError`` (bad input)       infogeo.validation name the argument, option or file)
a file that cannot be read/written    ``prog: error: <reason>: '<path>'``                        2
another ``OSError`` (disk full, ...)  ``prog: error: <message>``                                 1
a plug-in that raised                 ``prog: error: plug-in '<name>' failed: <Type>: <msg>``    2
out of memory                         ``prog: error: out of memory ...`` with a hint             1
Ctrl-C                                ``prog: interrupted; <how to resume>``                     130
anything else (a bug), including a    the traceback, then ``prog: internal error ...``           1
``ValueError`` no validator raised
====================================  ========================================================  =====

``INFOGEO_TRACEBACK=1`` in the environment shows the traceback of the handled
errors too (to debug a plug-in, or to report a message that looks wrong).

Every entry point ends its process with :func:`exit_process` (``exit_process(main())``): after Ctrl-C it leaves
without the interpreter's slow teardown, so the answer comes within the numpy call in progress.
"""
from __future__ import annotations

import argparse
import atexit
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from infogeo.validation import ValidationError

__all__ = ["ArgumentParser", "PluginError", "UsageError", "run", "exit_process", "output_dir", "output_file",
           "input_file", "integer", "number", "json_records", "json_value", "EXIT_USAGE", "EXIT_INTERRUPTED"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_PATH_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError)
DEFAULT_RESUME = "nothing partial was kept; run the command again to start over"


class UsageError(ValidationError):
    """A bad command line or a bad input that the user can fix (message without the program name)."""


class PluginError(Exception):
    """A user's plug-in (a registered order, cost, law or assumption) raised; names it and keeps its error."""

    def __init__(self, plugin: str, error: BaseException, *, where: str = ""):
        self.plugin = plugin
        self.error = error
        self.where = where
        at = f" {where}" if where else ""
        super().__init__(f"plug-in {plugin!r} failed{at}: {type(error).__name__}: {error}")


#: A negative number as a value, not an option: argparse's own pattern knows only ``-1`` and ``-1.5``, so
#: ``--B -1e300`` (or ``-1E-3``, ``-inf``, ``-nan``) was read as a missing argument followed by an unknown option.
NEGATIVE_NUMBER = re.compile(r"^-(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^-(?:inf|infinity|nan)$", re.IGNORECASE)


class ArgumentParser(argparse.ArgumentParser):
    """``argparse`` whose usage errors raise :class:`UsageError` (the runner prints them) instead of exiting,
    and which reads a negative number in any float notation as a value (see :data:`NEGATIVE_NUMBER`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def number(kind: str = "finite"):
    """An argparse ``type``: a float that must be finite (``"finite"``), > 0 (``"positive"``) or >= 0
    (``"nonnegative"``); NaN and inf are refused, and argparse names the option in the error."""
    if kind not in ("finite", "positive", "nonnegative"):
        raise ValidationError(f"kind must be 'finite', 'positive' or 'nonnegative', got {kind!r}")

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        ok = math.isfinite(v) and (kind == "finite" or v > 0 or (kind == "nonnegative" and v == 0))
        if not ok:
            want = {"finite": "a finite number", "positive": "a finite number > 0",
                    "nonnegative": "a finite number >= 0"}[kind]
            raise argparse.ArgumentTypeError(f"must be {want}, got {text!r}")
        return v
    parse.__name__ = kind
    return parse


def integer(minimum: int, *, scientific: bool = True):
    """An argparse ``type``: an integer >= ``minimum`` (``1e9`` is accepted when it is a whole number, unless
    ``scientific=False``: then only digits, e.g. for a seed)."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            if not scientific:
                raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
            try:
                f = float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
            if not (math.isfinite(f) and f.is_integer()):
                raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
            v = int(f)
        if v < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return v
    parse.__name__ = f"integer >= {minimum}"
    return parse


def _say(prog: str, text: str) -> None:
    print(f"{prog}: {text}", file=sys.stderr, flush=True)


def _file_message(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.filename2 is not None:
        return f"{reason}: {str(exc.filename)!r} -> {str(exc.filename2)!r}"
    return f"{reason}: {str(exc.filename)!r}"


def run(prog: str, impl: Callable[[list[str]], int | None], argv: Sequence[str] | None = None, *,
        resume: str | Callable[[], str] = DEFAULT_RESUME) -> int:
    """Run ``impl(argv)`` and map its outcome to a message and an exit status (see the module table).

    ``resume``: the sentence printed after an interrupt (a string, or a function
    called then, so it may name the folder a run was writing).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    show_tb = os.environ.get("INFOGEO_TRACEBACK", "") not in ("", "0")
    try:
        return int(impl(argv) or 0)
    except SystemExit as exc:  # --help / --version, or a deliberate sys.exit inside the command
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        hint = resume() if callable(resume) else resume
        _say(prog, f"interrupted; {hint}")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `... | head`: the reader left; not an error worth a traceback
        try:
            sys.stdout = open(os.devnull, "w")  # silence the flush at exit
        except OSError:
            pass
        return 1
    except (ValidationError, PluginError) as exc:
        if show_tb:
            traceback.print_exc()
        _say(prog, f"error: {exc}")
        return EXIT_USAGE
    except OSError as exc:  # a file named wrongly, unreadable, a disk full, a model folder without weights ...
        if show_tb:
            traceback.print_exc()
        path_error = exc.filename is not None or isinstance(exc, _PATH_ERRORS)
        _say(prog, f"error: {_file_message(exc) if exc.filename is not None else exc}")
        return EXIT_USAGE if path_error else 1
    except MemoryError as exc:
        if show_tb:
            traceback.print_exc()
        _say(prog, f"error: out of memory{': ' + str(exc) if str(exc) else ''}; use smaller sizes (the commands "
                   "estimate memory before they allocate: this one was not caught by an estimate, please report it)")
        return 1
    except Exception:  # a bug: keep the traceback, it is what a report needs
        return _internal(prog)


def exit_process(status: int) -> NoReturn:
    """End a command's process with ``status`` (every entry point's ``if __name__ == "__main__"``).

    After Ctrl-C (:data:`EXIT_INTERRUPTED`, the line already printed and the work's ``finally`` blocks run) the
    process leaves at once: the atexit handlers run (multiprocessing ending its children, temporary folders,
    logging) and stdout/stderr are flushed, then ``os._exit`` skips the interpreter's teardown of every loaded
    module, object by object. With numpy and pandas loaded that teardown took 0.24-0.34 s of an interrupted
    ``python -m simulate --mode stochastic`` on 2 cores at load average 6 (10 ms with ``os._exit``), the larger
    part of its answer to Ctrl-C, and a multiple of that on a busier machine (issue 23). Any other status exits
    normally (a finished command may hold files that only the teardown closes).
    """
    if status == EXIT_INTERRUPTED:
        atexit._run_exitfuncs()  # what a normal exit would run, in the same order
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said on it
                pass
        os._exit(status)
    sys.exit(status)


def _internal(prog: str) -> int:
    traceback.print_exc()
    _say(prog, "internal error (a bug, not a problem with your input): please report it with the traceback above")
    return 1


def output_dir(path, option: str = "--out"):
    """Check, before any work, that ``path`` can be an output folder (existing folder or creatable); return a Path.

    Raises :class:`UsageError` naming ``option`` and the path: a file in the way,
    a parent that is a file, or a folder that cannot be written.
    """
    from pathlib import Path

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option} {str(p)!r} is a file, not a folder")
    probe = p
    while not probe.exists():  # the nearest existing ancestor decides whether the folder can be made
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{option} {str(p)!r}: {str(probe)!r} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {str(p)!r} is not writable (no write permission on {str(probe)!r})")
    return p


def output_file(path, option: str = "--out"):
    """Check, before any work, that ``path`` can be written as a file (its folder exists and is writable)."""
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option} {str(p)!r} is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {str(p)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"{option} {str(p)!r} is not writable")
    return p


def input_file(path, option: str):
    """Check that ``path`` is a readable file; return a Path (a folder or a missing file is named)."""
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise UsageError(f"{option} {str(p)!r} does not exist")
    if p.is_dir():
        raise UsageError(f"{option} {str(p)!r} is a folder; give a file")
    if not os.access(p, os.R_OK):
        raise UsageError(f"{option} {str(p)!r} is not readable")
    return p


def json_value(v):
    """``v`` ready for JSON: a numpy scalar as its Python value, NaN and infinities as None (JSON has neither)."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def json_records(df) -> list[dict]:
    """The rows of the DataFrame ``df`` as JSON-ready dicts (:func:`json_value`), for every command's ``--json``."""
    return [{k: json_value(v) for k, v in r.items()} for r in df.to_dict(orient="records")]
