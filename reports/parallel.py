"""The report's sections built at once, each in a fresh process (``python -m reports --jobs N``).

A section is independent of the others given its inputs, so the build scales with cores: a pool of ``jobs``
spawned processes, one fresh process per section (``max_tasks_per_child=1``: no state carries from one section to
the next, so each builds as it would alone and the tables are the serial build's, byte for byte), the longest
sections (by the previous build's times, else in report order) first. Each worker's output goes to
``<out>/logs/<name>.log``; the terminal gets the plan, one line per section finished, and every
:data:`HEARTBEAT_S` the sections still running. Ctrl-C reaches the parent alone (the workers ignore SIGINT): it
ends every worker at once, with the processes it started (each worker leads its own process group;
:func:`infogeo.pool.worker_init` and :func:`infogeo.pool.stop_pool`), and the interrupt goes on to the runner
(exit 130), keeping the sections already built.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from infogeo.pool import stop_pool, worker_init

HEARTBEAT_S = 60.0


def _order(names: list[str], previous: dict) -> list[str]:
    """Longest first by the previous build's seconds (sections without one first, in report order): the pool's
    last task is a short one, so the build ends soon after its longest section."""
    known = {n: previous[n]["seconds"] for n in names if isinstance(previous.get(n, {}).get("seconds"), (int, float))}
    return [n for n in names if n not in known] + sorted(known, key=lambda n: -known[n])


def _failure(name: str, title: str, exc: BaseException, task: dict) -> dict:
    error = f"{type(exc).__name__}: {exc} (the worker building it ended; see logs/{name}.log)"
    return {"name": name, "title": title, "seed": task["seed"], "seconds": 0.0, "blocks": [],
            "error": error, "traceback": None, "tables": [], "figures": [], "table_resolution": {}}


def build_parallel(names: list[str], task: dict, jobs: int, done, *, build_section, titles: dict, log_dir: str,
                   progress: bool = True, previous: dict | None = None) -> None:
    """Build ``names`` in a pool of ``jobs`` processes, each calling ``build_section(name, **task, log=...)``
    (:func:`reports.build.build_section`, passed in so this module does not import the build), and call
    ``done(result)`` in this process as each section finishes. ``titles``: name -> heading; ``log_dir``: the
    report's folder of worker logs."""
    logs = Path(task["out_dir"]) / log_dir
    order = _order(names, previous or {})
    jobs = min(jobs, len(order))
    say = (lambda msg: print(f"[report] {msg}", file=sys.stderr, flush=True)) if progress else (lambda msg: None)
    say(f"{len(order)} sections in {jobs} processes, longest first: {', '.join(order)} (each one's output: {logs}/)")
    # numpy/scipy's OpenBLAS would start a thread per core in every worker, and its threads spin while they wait:
    # jobs x cores spinning threads on `cores` cores. Each worker gets its share of the cores instead (the tables do
    # not depend on OpenBLAS's thread count: docs/report.md, "Other BLAS kernels"); torch's threads are fixed by
    # the sections themselves. The workers inherit the variable at spawn; the user's own setting is kept.
    user_blas = os.environ.get("OPENBLAS_NUM_THREADS")
    # A worker ended by Ctrl-C cannot unregister the locks it made (tqdm's); multiprocessing's resource tracker, which
    # starts with the pool and inherits this environment, removes them and would warn that it did.
    warn = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [warn, "ignore:resource_tracker:UserWarning"]))
    os.environ["OPENBLAS_NUM_THREADS"] = user_blas or str(max(1, (os.cpu_count() or 1) // jobs))
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_init, max_tasks_per_child=1)
    try:
        pending = {pool.submit(build_section, name, **task, log=str(logs / f"{name}.log")): name for name in order}
        t0 = time.monotonic()
        while pending:
            finished, _ = wait(pending, timeout=HEARTBEAT_S, return_when=FIRST_COMPLETED)
            for fut in finished:
                name = pending.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:  # the worker died (killed, out of memory): that section failed
                    result = _failure(name, titles[name], exc, task)
                done(result)
            running = [n for f, n in pending.items() if f.running()]
            if running and not finished:
                say(f"still building ({time.monotonic() - t0:.0f} s): {', '.join(running)}")
    except BaseException:
        stop_pool(pool)
        raise
    finally:
        for name, value in (("OPENBLAS_NUM_THREADS", user_blas), ("PYTHONWARNINGS", warn)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    pool.shutdown(wait=True)
