"""Issue 13, bounded resources: simulate estimates the memory of the arrays it will allocate before allocating
them, and refuses an impossible size at once with the estimate in a message that names the option.

Laws: the estimate bounds the measured peak (tracemalloc) from above and stays within a factor of 2 of it
(an estimate that is too low lets a run grow past memory; one far too high refuses runs that fit); a size
whose estimate exceeds the memory available is refused before any array of that size exists (in well under a
second, with no traceback).
"""
from __future__ import annotations

import time
import tracemalloc

import pytest

import infogeo.validation as validation
from simulate import dynamics as dyn
from simulate.__main__ import main
from simulate.assumptions import Assumptions
from simulate.compare import exponents, exponents_memory
from simulate.graph import graph_memory, skill_graph
from simulate.laws import PowerLaw

FACTOR = 2.0  # the stated bound: measured peak <= estimate <= FACTOR * measured peak


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("mode, order, delta, points", [
    ("expected", "sequential", 0.1, 400),
    ("expected", "parallel", 0.1, 400),
    ("expected", "random", 0.5, 400),
    ("expected", "sequential", 0.1, 20_000),  # the grid term dominates
    ("stochastic", "sequential", 0.1, 400),  # 10 hits per skill
    ("stochastic", "parallel", 0.05, 400),  # 20 hits per skill
])
def test_run_memory_estimate_bounds_the_measured_peak(mode, order, delta, points):
    a = Assumptions(law=PowerLaw(0.5), M=50_000, order=order, delta=delta)
    est = sum(dyn.run_memory(a, mode, points).values())
    peak = _peak(lambda: dyn.run(a, mode=mode, points=points))
    assert peak <= est <= FACTOR * peak, (est, peak, est / peak)


def test_frontier_memory_estimate_bounds_the_measured_peak():
    a = Assumptions(law=PowerLaw(0.5), M=50_000, order="parallel")
    est = sum(dyn.frontier_memory(a, 200, 1000).values())
    peak = _peak(lambda: dyn.frontier(a, points=200, caps=1000))
    assert peak <= est <= FACTOR * peak, (est, peak, est / peak)


def test_exponents_memory_estimate_bounds_the_measured_peak():
    a = Assumptions(law=PowerLaw(0.5), M=50_000, order="sequential")
    kw = dict(mode="stochastic", replicates=4, points=200, n_boot=0)
    est = sum(exponents_memory(a, **kw)[0].values())
    peak = _peak(lambda: exponents(a, axes=("flops",), **kw))
    assert peak <= est <= FACTOR * peak, (est, peak, est / peak)


@pytest.mark.parametrize("M, edges", [(50_000, 200_000), (5_000, 2_000_000)])
def test_skill_graph_memory_estimate_bounds_the_measured_peak(M, edges):
    est = sum(graph_memory(M, edges, fit=False)[0].values())
    peak = _peak(lambda: skill_graph(0.5, M, edges, seed=0))
    assert peak <= est <= FACTOR * peak, (est, peak, est / peak)


def _fast_exit_2(argv, capsys, *, limit_s=3.0):
    t0 = time.perf_counter()
    rc = main(argv)
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert rc == 2 and elapsed < limit_s, (rc, elapsed, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("argv, option", [
    (["--alpha", "0.5", "--skills", "1000000000"], "--skills 1000000000"),  # the runaway (grew past 10 GB)
    (["--alpha", "0.5", "--skills", "1e9"], "--skills 1000000000"),
    (["--alpha", "0.5", "--skills", "1000", "--points", "1e10"], "--points 10000000000"),
    (["--alpha", "0.5", "--skills", "1e6", "--mode", "stochastic", "--replicates", "1e6"], "--replicates 1000000"),
    (["--alpha", "0.5", "--skills", "1e6", "--mode", "stochastic", "--delta", "1e-6"], "hit events 1000000000000 needs"),  # noqa: E501
    (["--alpha", "0.5", "--skills", "1000", "--n-boot", "1e12"], "--n-boot 1000000000000"),
    (["graph", "--alpha", "0.5", "--edges", "1e12"], "--edges 1000000000000"),  # was a MemoryError traceback
    (["graph", "--alpha", "0.5", "--skills", "1e11"], "--skills 100000000000"),
    (["sweep", "--alphas", "0.5", "--skills", "1e10", "--no-progress"], "--skills 10000000000"),
])
def test_impossible_sizes_are_refused_at_once_with_the_estimate(argv, option, capsys):
    err = _fast_exit_2(argv, capsys)
    assert (option if "needs" in option else f"{option} needs ~") in err and "available" in err and "B " in err


def test_the_limit_is_the_memory_available_now(monkeypatch, capsys):
    """With 100 MB available, M = 2e6 (an estimated ~350 MB) is refused and M = 1e4 runs."""
    monkeypatch.setattr(validation, "available_memory", lambda: 100 * 10**6)
    err = _fast_exit_2(["--alpha", "0.5", "--skills", "2000000", "--n-boot", "0"], capsys)
    assert "--skills 2000000 needs ~" in err and "100 MB are available" in err
    a = Assumptions(law=PowerLaw(0.5), M=2_000_000)
    with pytest.raises(ValueError, match=r"M=2000000 needs ~.* but 100 MB are available"):
        dyn.run(a)
    with pytest.raises(ValueError, match=r"n_edges=100000000 needs"):
        skill_graph(0.5, 1000, 10**8)
    assert main(["--alpha", "0.5", "--skills", "10000", "--n-boot", "0", "--points", "100"]) == 0
