"""Independent runs in parallel processes (one torch thread each), the way the trained families and the MLP grid
run them: jobs in the order given (callers put the longest first, so they finish together), a progress bar, and
no pool for a single job or a single process. Ctrl-C reaches the parent alone (:func:`worker_init`), which ends
every worker at once (:func:`stop_pool`) and lets the interrupt go on to the runner: a pool left to itself would
finish every job submitted before it let the command end (measured: 8 jobs of 4 s on 2 processes answered Ctrl-C
after 15.4 s)."""
from __future__ import annotations

import os
import signal
from collections.abc import Callable, Hashable, Sequence

__all__ = ["run_jobs", "worker_init", "stop_pool"]


def worker_init() -> None:
    """A worker ignores Ctrl-C (the parent answers it and ends the workers) and leads its own process group, so
    that ending it ends what it started too (a pool of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)


def stop_pool(pool) -> None:
    """End every worker of the ProcessPoolExecutor ``pool`` now, with the processes each started (a job may be deep
    in a C loop: SIGTERM does not wait for Python), and drop the jobs not started."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the worker and every process it started
        except (AttributeError, ProcessLookupError, PermissionError):
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)  # the ended workers' queues are closed: no leaked semaphores


def run_jobs(jobs: Sequence[tuple[Hashable, object]], worker: Callable, *, processes: int, total: int,
             desc: str, progress: bool = True) -> dict:
    """``{key: worker(args)}`` for each ``(key, args)`` of ``jobs``, in ``processes`` spawned processes (``worker``
    must be a module-level function). ``total``: the whole task's count, of which ``total - len(jobs)`` were
    already done (the bar starts there)."""
    import concurrent.futures as cf
    import multiprocessing as mp

    from tqdm.auto import tqdm

    out = {}
    with tqdm(total=total, initial=total - len(jobs), desc=desc, disable=not progress) as bar:
        if processes == 1 or len(jobs) <= 1:
            for key, args in jobs:
                out[key] = worker(args)
                bar.update()
            return out
        pool = cf.ProcessPoolExecutor(max_workers=min(processes, len(jobs)), mp_context=mp.get_context("spawn"),
                                      initializer=worker_init)
        try:
            futs = {pool.submit(worker, args): key for key, args in jobs}
            for f in cf.as_completed(futs):
                out[futs[f]] = f.result()
                bar.update()
        except BaseException:  # Ctrl-C, or a job that failed: the other jobs end now too
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    return out
