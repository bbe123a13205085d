"""Sections 3-4 on real models: the measurement engine. Point it at a model, get one tidy CSV table per measurement.

:func:`run_measurements` measures one model (hub id, local directory or a loaded model; any revision) on texts
and the paper's fixed prompts; :func:`run_jobs` a list of (model, revision) jobs. What is measured is the
registry of :mod:`empirical.measure.measurements` (each spec computes its tables; every formula is evaluated
by :mod:`theory` through :mod:`empirical.measure.metrics`); this module loads, runs the forward passes and
writes. Every table starts with ``model``, ``revision`` and ``layer`` (the hidden-state index of
:mod:`empirical.measure.models`); docs/measure.md lists every column.

Scale: ``shard=(k, n)`` measures texts i with i % n == k (k is 0-based) into ``out_dir/shard-k-of-n/``; the
model-scope measurements run in shard 0 only. A shard that holds no texts writes empty text tables with their
columns and counts as finished. A folder whose ``_done.json`` marker records the same configuration (the
resolved model, layers and token limit, the whole :class:`MeasureConfig`, the recipe) and whose tables still
match the marker's checksums is not recomputed; :func:`empirical.measure.jobs.merge_shards` joins the finished
folders under a root. Folder kinds, markers and merges: :mod:`empirical.measure.jobs`.
"""
from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path

import pandas as pd

from infogeo.validation import ValidationError, ValidationTypeError, choice, positive_int

from .config import MeasureConfig
from .jobs import (
    claim_folder,
    parse_shard,
    record_jobs,
    revision_label,
    run_tables,
    shard_indices,
    slug,
    write_marker,
    write_table,
)
from .measurements import REGISTRY, ModelRun
from .outputs import OutputLock, check_writable

log = logging.getLogger("empirical.measure")

__all__ = ["DEFAULT_MAX_TOKENS", "run_measurements", "run_jobs", "load_text_list"]

# Figure 3's prefixes are short conversations; 512 tokens covers most of the
# hh-rlhf sample (median ~130 tokens) while keeping the O(T^3) factorization
# cheap. Longer texts are truncated (logged); raise it up to the context.
DEFAULT_MAX_TOKENS = 512


def _texts_digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8")).digest())
    return h.hexdigest()


def _tqdm(iterable=None, **kw):
    from tqdm.auto import tqdm

    return tqdm(iterable, file=sys.stderr, mininterval=1.0, **kw)


def load_text_list(texts, config: MeasureConfig) -> list[str]:
    """The texts to measure: the shipped hh-rlhf sample (None), a user's file (a path) or a list of strings."""
    from .texts import load_hh_rlhf, load_texts

    if texts is None:
        return load_hh_rlhf("chosen", limit=config.text_limit)
    if isinstance(texts, (str, Path)):
        return load_texts(texts, field=config.text_field, limit=config.text_limit)
    text_list = list(texts)
    if not text_list:
        raise ValidationError("texts must hold at least one text")
    return text_list if config.text_limit is None else text_list[:config.text_limit]


def run_measurements(model, config: MeasureConfig | None = None, *, out_dir, revision: str | None = None,
                     texts=None, device: str = "auto", dtype: str = "float32", shard=None, progress: bool = True,
                     batch_size: int = 8, attn_implementation: str | None = None, allow_download: bool = False,
                     overwrite: bool = False, recipe: str | None = None) -> dict[str, Path]:
    """Measure one model (one revision) and write the tables; return {table name: CSV path}.

    Parameters
    ----------
    model : str, Path or :class:`empirical.measure.models.LoadedModel`
        Hub id, local directory, or an already loaded model (then
        ``revision``, ``device``, ``dtype``, ``attn_implementation`` are
        ignored; load it with ``attn_implementation="eager"`` for ``lasso``).
    config : MeasureConfig, optional
        What to measure and the paper's parameters (default: the paper's).
        The whole config is stored in the run marker.
    out_dir : path
        Tables go to ``out_dir`` (or ``out_dir/shard-k-of-n`` when sharded).
    texts : None, list of str, or a path
        None: the shipped hh-rlhf sample (``chosen`` transcripts, first
        ``config.text_limit``); a path: a JSONL (key ``config.text_field``) or TXT file.
    shard : None, "k/n" or (k, n)
        0-based. Texts i with i % n == k; the model-scope measurements run in shard 0 only.
    overwrite : bool
        Recompute even if a finished marker exists; without it a marker with
        a different configuration, or a table changed since its marker, is an error.
    recipe : str, optional
        Where the model came from (e.g. the mini-Pythia recipe hash), stored in
        the marker so that a reused run is one of the same model.

    ``config.max_tokens`` beyond the model's context is an error; None means
    ``min(DEFAULT_MAX_TOKENS, context)``. Texts longer than it are truncated (logged).
    """
    if config is None:
        config = MeasureConfig()
    elif not isinstance(config, MeasureConfig):
        raise ValidationTypeError(f"config must be a MeasureConfig or None, got {type(config).__name__}")
    batch_size = positive_int(batch_size, "--batch-size")
    shard = parse_shard(shard)
    out = Path(out_dir) / f"shard-{shard[0]}-of-{shard[1]}" if shard else Path(out_dir)
    claim_folder(out, "run")
    if shard:
        claim_folder(out_dir, "root")
    specs = [REGISTRY[m] for m in config.measurements]
    # Texts first: cheap, and a bad file should fail before a model loads.
    text_list = load_text_list(texts, config) if any(s.scope == "text" for s in specs) else []
    do_prompts = shard is None or shard[0] == 0
    active = [s for s in specs if s.scope == "text" or do_prompts]
    loaded = _is_loaded(model)
    if not loaded:
        choice(dtype, "--dtype", _dtypes())
    ident = {"model": model.name if loaded else str(model),
             "revision": revision_label(model.revision if loaded else revision),
             "dtype": model.dtype if loaded else dtype, "measure_config": config.to_dict(), "recipe": recipe,
             "texts_sha256": _texts_digest(text_list), "n_texts": len(text_list),
             "shard": list(shard) if shard else None}
    # The finished marker and the folder's writability are checked before any model is loaded.
    if not overwrite and (done := run_tables(out, ident)) is not None:
        return done
    check_writable(out)
    attentions = any(s.attentions for s in active)
    if not loaded:  # weights + one forward pass from the config alone: an impossible size is refused before loading
        from .models import preflight_memory

        preflight_memory(model, revision=revision, dtype=dtype, device=device,
                         batch_size=max(1, min(batch_size, len(text_list) or 1)), tokens=config.max_tokens,
                         default_tokens=DEFAULT_MAX_TOKENS, attentions=attentions, allow_download=allow_download,
                         layers=config.layers)
    with OutputLock(out):
        if not overwrite and (done := run_tables(out, ident)) is not None:  # finished while we waited
            return done
        lm = model if loaded else _load(model, revision, device, dtype, attn_implementation, attentions,
                                        allow_download)
        return _run_locked(lm, config, out, text_list, shard, active, ident, batch_size=batch_size,
                           progress=progress)


def _dtypes() -> tuple[str, ...]:
    from .models import DTYPES

    return DTYPES


def _is_loaded(model) -> bool:
    from .models import LoadedModel

    return isinstance(model, LoadedModel)


def _load(model, revision, device, dtype, attn_implementation, attentions, allow_download):
    from .models import load_model

    return load_model(model, revision=revision, device=device, dtype=dtype,
                      attn_implementation=attn_implementation or ("eager" if attentions else None),
                      allow_download=allow_download)


def _run_locked(lm, config, out, text_list, shard, active, ident, *, batch_size, progress) -> dict[str, Path]:
    from .models import resolve_layers

    layer_idx = resolve_layers(config.layers, lm.n_layers)
    max_tokens = min(DEFAULT_MAX_TOKENS, lm.max_context) if config.max_tokens is None else config.max_tokens
    if max_tokens > lm.max_context:
        raise ValidationError(f"--max-tokens {max_tokens} exceeds the model's context of {lm.max_context} tokens")
    run = {"model": lm.name, "revision": revision_label(lm.revision), "dtype": lm.dtype, "layers": list(layer_idx),
           "max_tokens": max_tokens, "measurements": [s.name for s in active],
           "measure_config": config.to_dict(), "recipe": ident["recipe"], "texts_sha256": ident["texts_sha256"],
           "n_texts": ident["n_texts"], "shard": list(shard) if shard else None}
    marker = out / "_done.json"
    if marker.exists():
        marker.unlink()
    # Temporary files of a crashed writer of this folder (we hold its lock, so none is live).
    for tmp in [*out.glob(".*.csv.*.tmp"), *out.glob(f".{marker.name}.*.tmp")]:
        tmp.unlink()
    frames = _measure_all(lm, config, text_list, shard, active, layer_idx, max_tokens=max_tokens,
                          batch_size=batch_size, progress=progress)
    written = {name: (write_table(df, out / f"{name}.csv"), len(df)) for name, df in frames.items()}
    write_marker(out, run, written)  # last: a folder without it is unfinished, whatever tables it holds
    log.info("wrote %s to %s", ", ".join(sorted(written)), out)
    return {t.name: written[t.name][0] for s in active for t in s.tables if t.name in written}


def _measure_all(lm, config: MeasureConfig, text_list: list[str], shard, active, layer_idx: list[int], *,
                 max_tokens: int, batch_size: int, progress: bool) -> dict[str, pd.DataFrame]:
    """Every active measurement's tables, each starting with ``model`` and ``revision``."""
    from .models import forward_states, tokenize_texts

    frames = {}
    text_specs = [s for s in active if s.scope == "text"]
    if text_specs:
        idx = shard_indices(len(text_list), shard)
        token_ids = tokenize_texts(lm, [text_list[i] for i in idx], max_tokens, ids=idx)
        _check_table_memory(token_ids, layer_idx, text_specs)
        frames.update(_measure_texts(lm, token_ids, idx, layer_idx, text_specs, config, batch_size=batch_size,
                                     progress=progress, forward=forward_states))
    run = ModelRun(lm, layer_idx, config, forward=forward_states, progress=progress)
    for spec in active:
        if spec.scope == "model":
            frames.update(spec.compute(run))
    common = {"model": lm.name, "revision": revision_label(lm.revision)}
    return {name: _with_common(df, common) for name, df in frames.items()}


def _check_table_memory(token_ids: list[list[int]], layers: list[int], specs) -> None:
    """The text tables' rows (at most one per token, layer and text: infogain's) held in memory, as float64
    columns twice (the parts and their concatenation) and as CSV text (~20 bytes a value), before any is made."""
    from infogeo.validation import check_memory

    tokens = sum(len(t) for t in token_ids)
    cells = sum(tokens * len(layers) * (len(s.tables[0].columns) + 2) for s in specs)
    check_memory(cells * (2 * 8 + 20), f"--limit {len(token_ids)} texts ({tokens:,} tokens) x {len(layers)} "
                                       "--layers of per-token table rows",
                 detail="float64 columns twice and their CSV text",
                 hint="measure fewer texts (--limit, or --shard), fewer --layers, or a smaller --max-tokens")


def _with_common(df: pd.DataFrame, common: dict) -> pd.DataFrame:
    for i, (k, v) in enumerate(common.items()):
        df.insert(i, k, v)
    return df


def _measure_texts(lm, token_ids, ids, layers, specs, config, *, batch_size, progress, forward):
    parts = {s.name: [] for s in specs}
    bar = _tqdm(total=len(token_ids), desc=f"texts {lm.name}@{revision_label(lm.revision)}", unit="text",
                disable=not progress)
    for tid, rec in zip(ids, forward(lm, token_ids, layers, batch_size=batch_size)):
        for k in layers:
            for s in specs:
                df = s.compute(rec["states"][k], config)
                df.insert(0, "layer", k)
                df.insert(0, "text_id", tid)
                parts[s.name].append(df)
        bar.update(1)
    bar.close()
    # A shard can hold no texts (e.g. shard 7/8 of 5 texts): it is then a finished, empty shard.
    return {s.tables[0].name: (pd.concat(parts[s.name], ignore_index=True)[list(s.tables[0].columns)]
                               if parts[s.name] else pd.DataFrame(columns=list(s.tables[0].columns)))
            for s in specs}


def run_jobs(jobs, *, out_dir, shard=None, progress: bool = True, **kwargs) -> dict[tuple[str, str], dict[str, Path]]:
    """Measure a (model, revision) job list; with ``shard=(k, n)`` only jobs i with i % n == k.

    Each job writes to ``out_dir/<model slug>/<revision>/`` with its own
    marker, so a rerun skips finished jobs. ``kwargs`` go to
    :func:`run_measurements` (not ``shard``: jobs are the unit of sharding).
    """
    jobs = [(str(m), r if r else None) for m, r in jobs]
    if not jobs:
        raise ValidationError("jobs must hold at least one (model, revision) pair")
    record_jobs(Path(out_dir), jobs)
    results = {}
    idx = shard_indices(len(jobs), shard)
    for i in _tqdm(idx, desc="jobs", unit="job", disable=not progress):
        m, r = jobs[i]
        job_dir = Path(out_dir) / slug(m) / revision_label(r)
        results[(m, revision_label(r))] = run_measurements(m, revision=r, out_dir=job_dir, progress=progress,
                                                           **kwargs)
    return results
