"""Sections 3-4 on real models: the measurement engine and everything it reads.

``models`` loads a causal LM and reads its hidden states, ``metrics`` adapts
token matrices to :mod:`theory`'s formulas, ``texts`` and ``prompts`` are
what gets measured, ``config`` holds the paper's parameters
(:class:`MeasureConfig`), ``engine`` runs it all and writes tidy tables,
``plots`` draws Figures 1 and 3 to 6, ``report`` is the report's contract
(:func:`report_tables`) and ``cli`` is ``python -m empirical measure``. The
engine's public names import from here, as they did when it was one module.
"""
from .config import MEASUREMENTS, MeasureConfig
from .engine import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEXT_LIMIT,
    MARKER,
    PYTHIA_SIZES,
    PYTHIA_STEPS,
    TABLE_KEYS,
    find_token_position,
    finished,
    measure_config,
    merge_shards,
    parse_shard,
    pythia_jobs,
    read_jobs,
    run_jobs,
    run_measurements,
    shard_indices,
)
from .report import report_tables

__all__ = [
    "MEASUREMENTS", "TABLE_KEYS", "DEFAULT_MAX_TOKENS", "DEFAULT_TEXT_LIMIT", "MARKER", "PYTHIA_SIZES",
    "PYTHIA_STEPS", "MeasureConfig", "measure_config", "finished", "pythia_jobs", "parse_shard", "shard_indices",
    "run_measurements", "run_jobs", "read_jobs", "merge_shards", "find_token_position", "report_tables",
]
