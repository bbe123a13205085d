"""Issue 13: random command lines built from edge values (``strategies.simulate_argv`` and ``graph_argv``)
never end in a traceback, a silent all-NaN result or a runaway.

Law: ``python -m simulate`` and ``python -m simulate graph`` exit 0 with a valid JSON result (every exponent
fitted or explained, the window inside 1..M; a finite alpha inside its interval) or exit 2 with one line
``<prog>: error: ...``; each command finishes within a 20 s guard (sizes are small, or far beyond any memory
and refused by the estimate). A small valid command comes first, so a drawn option overrides it.
"""
from __future__ import annotations

import signal

from hypothesis import HealthCheck, given, settings

from simulate.__main__ import main

from .strategies import graph_argv, simulate_argv
from .test_sweep_simulate import _Runaway, _valid_simulate_output

BASE = ["--alpha", "0.5", "--skills", "1000", "--n-boot", "0", "--points", "60", "--no-progress", "--json"]


def _alarm(signum, frame):
    raise _Runaway


def _run_guarded(argv):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)
    try:
        return main(argv)
    except _Runaway:
        raise AssertionError(f"runaway: {argv}") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _check(rc, cap, argv, prog):
    assert "Traceback" not in cap.err, (argv, cap.err)
    if rc == 2:
        lines = cap.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), (argv, cap.err)
    else:
        assert rc == 0 and _valid_simulate_output(cap.out, argv), (argv, rc, cap.err[-300:])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(simulate_argv())
def test_random_command_lines_are_valid_or_one_line_errors(capsys, argv):
    rc = _run_guarded(BASE + argv)
    _check(rc, capsys.readouterr(), BASE + argv, "python -m simulate")


GRAPH_BASE = ["graph", "--alpha", "0.5", "--skills", "2000", "--edges", "100000", "--json"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph_argv())
def test_random_graph_command_lines_are_valid_or_one_line_errors(capsys, argv):
    rc = _run_guarded(GRAPH_BASE + argv)
    _check(rc, capsys.readouterr(), GRAPH_BASE + argv, "python -m simulate graph")
