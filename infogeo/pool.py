"""Independent runs in parallel processes (one torch thread each), the way the trained families and the MLP grid
run them: jobs in the order given (callers put the longest first, so they finish together), a progress bar, and
no pool for a single job or a single process."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

__all__ = ["run_jobs"]


def run_jobs(jobs: Sequence[tuple[Hashable, object]], worker: Callable, *, processes: int, total: int,
             desc: str, progress: bool = True) -> dict:
    """``{key: worker(args)}`` for each ``(key, args)`` of ``jobs``, in ``processes`` spawned processes (``worker``
    must be a module-level function). ``total``: the whole task's count, of which ``total - len(jobs)`` were
    already done (the bar starts there)."""
    import concurrent.futures as cf
    import multiprocessing as mp

    from tqdm.auto import tqdm

    out = {}
    bar = tqdm(total=total, initial=total - len(jobs), desc=desc, disable=not progress)
    if processes == 1 or len(jobs) <= 1:
        for key, args in jobs:
            out[key] = worker(args)
            bar.update()
    else:
        with cf.ProcessPoolExecutor(max_workers=min(processes, len(jobs)), mp_context=mp.get_context("spawn")) as ex:
            futs = {ex.submit(worker, args): key for key, args in jobs}
            for f in cf.as_completed(futs):
                out[futs[f]] = f.result()
                bar.update()
    bar.close()
    return out
