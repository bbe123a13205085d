"""Issue 13: random command lines built from edge values (``strategies.simulate_argv``) never end in a
traceback, a silent all-NaN result or a runaway.

Law: ``python -m simulate`` exits 0 with a valid JSON result (every exponent fitted or explained, the window
inside 1..M) or exits 2 with one line ``python -m simulate: error: ...``; each command finishes within a
20 s guard (sizes are small, or far beyond any memory and refused by the estimate). ``--alpha 0.5``,
``--skills 1000`` and the fast settings come first, so a drawn option overrides them.
"""
from __future__ import annotations

import signal

from hypothesis import HealthCheck, given, settings

from simulate.__main__ import main

from .strategies import simulate_argv
from .test_sweep_simulate import _Runaway, _valid_simulate_output

BASE = ["--alpha", "0.5", "--skills", "1000", "--n-boot", "0", "--points", "60", "--no-progress", "--json"]


def _alarm(signum, frame):
    raise _Runaway


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(simulate_argv())
def test_random_command_lines_are_valid_or_one_line_errors(capsys, argv):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)
    try:
        rc = main(BASE + argv)
    except _Runaway:
        raise AssertionError(f"runaway: {argv}") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err, (argv, cap.err)
    if rc == 2:
        lines = cap.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("python -m simulate: error: "), (argv, cap.err)
    else:
        assert rc == 0 and _valid_simulate_output(cap.out, BASE + argv), (argv, rc, cap.err[-300:])
