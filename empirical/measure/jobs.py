"""Sections 3-4 job bookkeeping: job lists, shards, run markers with table checksums, folder kinds, merges.

The engine (:mod:`~empirical.measure.engine`) measures; this module decides what a folder holds and whether it
is finished.

A folder holds one kind of thing (:func:`claim_folder`): a **run** (one model, all texts or one shard:
``_done.json`` beside its tables) or a **root** (shard folders ``shard-k-of-n/``, job folders
``<model>/<revision>/`` with a ``_jobs.json`` list, and after :func:`merge_shards` the merged tables with
``_merged.json``). A run is not written into a root, nor a root made of a run's folder: the marker of the one
would describe rows of the other.

A run's marker is written last and records, besides the run's identity, each table's sha256 and row count
(:func:`write_marker`); a run counts as finished only while every table still has them (:func:`run_tables`),
so a table deleted or edited after the run is refused, never returned as finished. A merge checks every input
the same way and that each merged table holds exactly the rows of its inputs.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

import pandas as pd

from infogeo.validation import ValidationError

from ..io import read_table
from .config import MeasureConfig
from .measurements import table_keys
from .outputs import OutputLock, atomic_write_text, check_writable

log = logging.getLogger("empirical.measure")

__all__ = ["MARKER", "MERGED", "JOBS_FILE", "MAX_SHARDS", "PYTHIA_SIZES", "PYTHIA_STEPS", "pythia_jobs",
           "parse_shard", "shard_indices", "revision_label", "slug", "read_jobs", "record_jobs", "claim_folder",
           "write_table", "write_marker", "run_tables", "finished", "merge_shards"]

MARKER = "_done.json"
MERGED = "_merged.json"
JOBS_FILE = "_jobs.json"
#: The most shards one run may be cut into. The largest job set here is the Pythia suite (1,232 jobs) and the
#: largest text set the shipped hh-rlhf sample (2,312 texts); beyond 100,000 every shard is empty or a
#: folder-per-item run on a cluster no scheduler offers, and a typo (1e9) would make a merge enumerate 1e9 names.
MAX_SHARDS = 100_000

PYTHIA_SIZES = ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b")
# The 154 checkpoints of every Pythia model: step0, 10 log-spaced early steps, then every 1000 steps.
PYTHIA_STEPS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512) + tuple(range(1000, 143001, 1000))
_SHARD_DIR = re.compile(r"shard-(\d+)-of-(\d+)")


def pythia_jobs(sizes=PYTHIA_SIZES, steps=PYTHIA_STEPS, *, deduped: bool = False) -> list[tuple[str, str]]:
    """The (hub id, revision) job list of the Pythia suite: 8 sizes x 154 checkpoints = 1,232 jobs."""
    suffix = "-deduped" if deduped else ""
    return [(f"EleutherAI/pythia-{s}{suffix}", f"step{k}") for s in sizes for k in steps]


def parse_shard(shard, name: str = "--shard") -> tuple[int, int] | None:
    """``"k/n"`` or ``(k, n)`` with 0 <= k < n <= :data:`MAX_SHARDS` -> (k, n); None stays None."""
    if shard is None:
        return None
    if isinstance(shard, str):
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", shard)
        if not m:
            raise ValidationError(f"{name} must look like 'k/n' with 0 <= k < n (k is 0-based), got {shard!r}")
        shard = (int(m.group(1)), int(m.group(2)))
    try:
        k, n = (int(x) for x in shard)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be 'k/n' or a pair (k, n), got {shard!r}") from None
    if n < 1 or not 0 <= k < n:
        raise ValidationError(f"{name} must satisfy 0 <= k < n (k is 0-based), got {k}/{n}")
    if n > MAX_SHARDS:
        raise ValidationError(f"{name} {k}/{n}: at most {MAX_SHARDS:,} shards (more would be empty folders)")
    return k, n


def shard_indices(n_items: int, shard) -> list[int]:
    """Items i with i % n == k: round-robin, deterministic, balanced when lengths are mixed."""
    shard = parse_shard(shard)
    if shard is None:
        return list(range(n_items))
    k, n = shard
    return list(range(k, n_items, n))


def revision_label(revision) -> str:
    return revision if revision else "main"


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name).strip("/")) or "model"


def read_record(path: Path, key: str) -> dict:
    """A JSON record this package wrote (run marker, job list); a damaged one is an error naming it."""
    try:
        record = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path} is damaged ({exc}); delete it to recompute that part") from None
    if not isinstance(record, dict) or key not in record:
        raise ValidationError(f"{path} is damaged (no {key!r} entry); delete it to recompute that part")
    return record


def read_jobs(path) -> list[tuple[str, str | None]]:
    """A jobs file: one ``MODEL [REVISION]`` per line (whitespace-separated); ``#`` starts a comment."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"--jobs file not found: {path}")
    if path.is_dir():
        raise ValidationError(f"--jobs file {path} is a folder; give a file of 'MODEL [REVISION]' lines")
    jobs = []
    for lineno, raw in enumerate(path.read_bytes().splitlines(), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"{path}:{lineno}: not UTF-8 text; expected 'MODEL [REVISION]' lines") from None
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2:
            raise ValidationError(f"{path}:{lineno}: expected 'MODEL [REVISION]', got {len(parts)} fields")
        jobs.append((parts[0], parts[1] if len(parts) == 2 else None))
    if not jobs:
        raise ValidationError(f"{path} holds no jobs")
    return jobs


def record_jobs(out_dir: Path, jobs: list[tuple[str, str | None]]) -> None:
    """``out_dir/_jobs.json``: the whole job list, so that ``--merge`` can name the jobs not yet finished."""
    listed = [[m, revision_label(r)] for m, r in jobs]
    claim_folder(out_dir, "root")
    path = check_writable(out_dir) / JOBS_FILE
    if path.exists():
        if read_record(path, "jobs").get("jobs") != listed:
            raise ValidationError(f"--out {out_dir} already belongs to a different job list ({path}); use another "
                                  "--out")
        return
    atomic_write_text(path, json.dumps({"jobs": listed}, indent=1) + "\n")


# ---------------------------------------------------------------------------------------------- folder kinds
def _kind(folder: Path) -> str | None:
    """``"run"``, ``"root"`` or None (new or empty) for what ``folder`` holds now."""
    if not folder.is_dir():
        return None
    if (folder / MARKER).exists():
        return "run"
    if (folder / MERGED).exists() or (folder / JOBS_FILE).exists():
        return "root"
    if any(p.is_dir() and _SHARD_DIR.fullmatch(p.name) for p in folder.iterdir()):
        return "root"
    return None


def claim_folder(folder, kind: str) -> None:
    """Refuse to write a ``kind`` ("run" or "root") into a folder that holds the other kind (named in the error)."""
    folder = Path(folder)
    held = _kind(folder)
    if held is None or held == kind:
        return
    if kind == "run":
        raise ValidationError(f"--out {folder} is a merge root (it holds shards, a job list or merged tables); "
                              "a single run there would mix its tables with the merged ones: use another --out")
    raise ValidationError(f"{folder} holds a finished single run ({folder / MARKER}); shards, jobs or a merge "
                          "there would overwrite its tables: use another folder")


# ------------------------------------------------------------------------------------- tables with checksums
def write_table(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` sorted by its table's keys (so merged tables do not depend on the order shards ran)."""
    keys = [c for c in table_keys(path.stem) if c in df.columns]
    if keys:
        df = df.sort_values(keys, kind="stable").reset_index(drop=True)
    return atomic_write_text(path, df.to_csv(index=False))


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def table_record(path: Path, rows: int) -> dict:
    return {"sha256": _digest(path), "rows": int(rows)}


def write_marker(folder: Path, run: dict, tables: dict[str, tuple[Path, int]]) -> None:
    """The run's marker, last: its identity and each table's sha256 and row count (``tables``: name -> (path, rows))."""
    record = {"config": run, "tables": sorted(tables),
              "checksums": {t: table_record(p, n) for t, (p, n) in sorted(tables.items())}}
    atomic_write_text(folder / MARKER, json.dumps(record, indent=1, sort_keys=True) + "\n")


def verify_tables(folder: Path, record: dict, *, what: str) -> dict[str, Path]:
    """``{table: path}`` of a marker's tables after checking each file's sha256 and row count against it.

    A table that is missing, edited or truncated since the marker was written is an error naming it (the folder
    is then not finished: recompute it with ``--overwrite``, or delete it)."""
    sums = record.get("checksums")
    if not isinstance(sums, dict) or set(sums) != set(record["tables"]):
        raise ValidationError(f"{what} {folder / MARKER} records no table checksums (written by an older version, "
                              "or damaged); recompute it (--overwrite)")
    out = {}
    for t in record["tables"]:
        path = folder / f"{t}.csv"
        if not path.is_file():
            raise ValidationError(f"{what} {folder}: table {path.name} listed in {MARKER} is missing; the folder "
                                  "is not finished: recompute it (--overwrite)")
        if _digest(path) != sums[t].get("sha256"):
            raise ValidationError(f"{what} {folder}: table {path.name} changed after the run finished (its sha256 "
                                  f"differs from {MARKER}'s); recompute it (--overwrite)")
        out[t] = path
    return out


def run_tables(folder: Path, ident: dict) -> dict[str, Path] | None:
    """The verified tables of a finished run in ``folder`` with identity ``ident``; None when unfinished; an error
    when its configuration differs or a table no longer matches its marker."""
    marker = folder / MARKER
    if not marker.exists():
        return None
    done = read_record(marker, "tables")
    cfg = done.get("config", {})
    stored, wanted = dict(cfg, **cfg.get("measure_config", {})), dict(ident, **ident["measure_config"])
    differ = [f"{k} {stored.get(k)!r} there, {wanted[k]!r} now" for k in wanted
              if k != "measure_config" and stored.get(k) != wanted[k]]
    if differ:
        raise ValidationError(f"--out {folder} already holds finished measurements with a different configuration "
                              f"({'; '.join(differ)}); use another --out or pass --overwrite")
    tables = verify_tables(folder, done, what="--out")
    log.info("%s is finished (marker %s); not recomputing", folder, MARKER)
    return tables


def finished(out_dir, *, model: str, revision: str | None, config: MeasureConfig, recipe=None,
             dtype: str | None = None) -> dict | None:
    """``{table: CSV path}`` of a finished, intact run in ``out_dir`` made by this model, revision, config and
    recipe (and ``dtype`` of the weights, when given); None otherwise.

    Reads only the run marker and the tables' checksums (no model is loaded), so a caller (the report's cache)
    can skip loading and training when the run is done; a run whose table changed since is not done (logged).
    """
    marker = Path(out_dir) / MARKER
    if not marker.exists():
        return None
    done = read_record(marker, "tables")
    cfg = done.get("config", {})
    same = (cfg.get("model") == str(model) and cfg.get("revision") == revision_label(revision)
            and cfg.get("measure_config") == config.to_dict() and cfg.get("recipe") == recipe
            and cfg.get("shard") is None and (dtype is None or cfg.get("dtype") == dtype))
    if not same:
        return None
    try:
        return verify_tables(Path(out_dir), done, what="cached run")
    except ValidationError as exc:
        log.warning("%s; recomputing", exc)
        return None


# ------------------------------------------------------------------------------------------------------- merge
def merge_shards(root, *, allow_partial: bool = False) -> dict[str, Path]:
    """Join every finished measurement directory under ``root`` into ``root/<table>.csv``.

    Finished directories are those holding a ``_done.json`` marker whose tables still match their checksums
    (shards ``shard-k-of-n`` and job directories alike; ``root`` itself must not be a run). Refused, with the
    field or the missing part named: shards of one run whose identity differs (model, revision, dtype, layers,
    token limit, any :class:`MeasureConfig` field, texts checksum, shard count); runs under one root measured
    with different parameters or texts; an incomplete set (a shard ``k/n`` or a job of ``_jobs.json`` without
    its marker) unless ``allow_partial``; a shard count above :data:`MAX_SHARDS`; rows of different shards with
    the same key; a merged table whose row count is not the sum of its inputs'. Rows are sorted by their table's
    keys, so the result does not depend on the order shards ran. ``root/_merged.json`` records the inputs, their
    row counts, the merged tables' checksums and whether the set was partial.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValidationError(f"--merge folder not found: {root}")
    claim_folder(root, "root")
    with OutputLock(root):  # one merge (or run) writing into root at a time
        return _merge_locked(root, allow_partial)


def _merge_locked(root: Path, allow_partial: bool) -> dict[str, Path]:
    shard_sets = _shard_sets(root)
    markers = sorted(p for p in root.rglob(MARKER) if p.parent != root)
    if not markers:
        raise ValidationError(f"--merge {root}: no finished measurements (no {MARKER} markers) under it")
    runs = {mk.parent: read_record(mk, "tables") for mk in markers}
    _check_identities(root, runs)
    missing = _missing_parts(root, runs, shard_sets)
    if missing and not allow_partial:
        raise ValidationError(f"--merge {root} is incomplete ({'; '.join(missing)} are not finished); run them, or "
                              "pass --allow-partial to merge what is there on purpose")
    if missing:
        log.warning("merging a partial set on purpose; missing: %s", "; ".join(missing))
    parts: dict[str, list[pd.DataFrame]] = {}
    for d, run in runs.items():
        for t, path in verify_tables(d, run, what="--merge input").items():
            df = read_table(path, keep_default_na=False, na_values=[""])
            if len(df) != run["checksums"][t]["rows"]:
                raise ValidationError(f"--merge input {path} holds {len(df)} rows, its marker {run['checksums'][t]}")
            parts.setdefault(t, []).append(df)
    frames = {}
    for t, dfs in sorted(parts.items()):
        # Empty shards (no texts) add no rows; leaving them out keeps the columns' dtypes.
        frames[t] = pd.concat([d for d in dfs if len(d)] or dfs[:1], ignore_index=True)
        _refuse_duplicates(t, frames[t])
    out = {t: write_table(df, root / f"{t}.csv") for t, df in frames.items()}
    _check_merged_rows(out, parts)
    record = {"inputs": sorted(str(d.relative_to(root)) for d in runs), "partial": bool(missing),
              "missing": missing, "tables": sorted(out),
              "checksums": {t: table_record(p, sum(len(d) for d in parts[t])) for t, p in sorted(out.items())}}
    atomic_write_text(root / MERGED, json.dumps(record, indent=1, sort_keys=True) + "\n")
    log.info("merged %d finished directories into %s%s", len(markers), root, " (PARTIAL)" if missing else "")
    return out


def _check_merged_rows(out: dict[str, Path], parts: dict[str, list[pd.DataFrame]]) -> None:
    """Read each merged table back: it must hold exactly the rows of its inputs."""
    for t, path in out.items():
        got, want = len(read_table(path, keep_default_na=False, na_values=[""])), sum(len(d) for d in parts[t])
        if got != want:
            raise ValidationError(f"merged {path} holds {got} rows but its inputs hold {want}; the merge is broken")


# Fields that every shard of one run shares (the shard index aside), and those every run under one root shares.
_SHARD_IDENTITY = ("model", "revision", "dtype", "layers", "max_tokens", "recipe", "texts_sha256", "n_texts",
                   "shard_count")
_ROOT_IDENTITY = ("dtype", "texts_sha256", "n_texts")


def _identity(run: dict) -> dict:
    cfg = run["config"]
    ident = {k: cfg.get(k) for k in _SHARD_IDENTITY if k != "shard_count"}
    ident["shard_count"] = cfg["shard"][1] if cfg.get("shard") else None
    ident.update(cfg.get("measure_config", {}))  # every MeasureConfig field by its own name
    return ident


def _first_difference(a: dict, b: dict, fields) -> str | None:
    return next((f for f in fields if a.get(f) != b.get(f)), None)


def _check_identities(root: Path, runs: dict[Path, dict]) -> None:
    mc_fields = tuple(MeasureConfig.fields())
    idents = {d: _identity(run) for d, run in runs.items()}
    first: dict[Path, Path] = {}
    ref = next(iter(idents))
    for d, ident in idents.items():
        group = d.parent if _SHARD_DIR.fullmatch(d.name) else d
        other = first.setdefault(group, d)
        field = _first_difference(idents[other], ident, _SHARD_IDENTITY + mc_fields)
        if field is None:
            field = _first_difference(idents[ref], ident, _ROOT_IDENTITY + mc_fields)
            other = ref
        if field is not None:
            raise ValidationError(f"refusing to merge: {field} differs between {other.relative_to(root)} "
                                  f"({idents[other].get(field)!r}) and {d.relative_to(root)} ({ident.get(field)!r})")


def _shard_sets(root: Path) -> dict[Path, dict[int, set[int]]]:
    """parent -> {shard count n: indices k present} of every ``shard-k-of-n`` folder under ``root``; a count above
    :data:`MAX_SHARDS` or an index k >= n is refused by name before anything enumerates it."""
    sets: dict[Path, dict[int, set[int]]] = {}
    for d in root.rglob("shard-*-of-*"):
        m = _SHARD_DIR.fullmatch(d.name)
        if not (m and d.is_dir()):
            continue
        k, n = int(m.group(1)), int(m.group(2))
        if n > MAX_SHARDS or k >= n:
            raise ValidationError(f"--merge {root}: {d.relative_to(root)} is not a shard folder this package writes "
                                  f"(0 <= k < n <= {MAX_SHARDS:,}); remove it")
        sets.setdefault(d.parent, {}).setdefault(n, set()).add(k)
    return sets


def _missing_parts(root: Path, runs: dict[Path, dict], shard_sets: dict[Path, dict[int, set[int]]]) -> list[str]:
    """Shards ``k/n`` and jobs of a ``_jobs.json`` under ``root`` that hold no marker (at most 20 named each)."""
    missing = []
    for parent, counts in sorted(shard_sets.items()):
        if len(counts) > 1:
            raise ValidationError(f"refusing to merge: shard count differs under {parent} "
                                  f"({', '.join(map(str, sorted(counts)))} shards)")
        n = next(iter(counts))
        done = {k for k in counts[n] if parent / f"shard-{k}-of-{n}" in runs}
        if len(done) < n:
            absent = [k for k in range(min(n, len(done) + 21)) if k not in done][:20]
            where = "" if parent == root else f"{parent.relative_to(root)}: "
            more = f" and {n - len(done) - len(absent):,} more" if n - len(done) > len(absent) else ""
            missing.append(f"{where}shards " + ", ".join(f"{k}/{n}" for k in absent) + more)
    for jobs_file in sorted(root.rglob(JOBS_FILE)):
        jobs = read_record(jobs_file, "jobs")["jobs"]
        absent = [f"{m}@{r}" for m, r in jobs if jobs_file.parent / slug(m) / r not in runs]
        if absent:
            missing.append(f"jobs of {jobs_file.relative_to(root)}: " + ", ".join(absent))
    return missing


def _refuse_duplicates(table: str, df: pd.DataFrame) -> None:
    keys = [c for c in table_keys(table) if c in df.columns]
    dup = df.duplicated(keys, keep=False) if keys and len(df) else None
    if dup is not None and dup.any():
        row = df.loc[dup, keys].iloc[0].to_dict()
        raise ValidationError(f"refusing to merge: {table}.csv would hold {int(dup.sum())} rows with a repeated key "
                              f"(e.g. {row}); the same measurement comes from more than one directory")
