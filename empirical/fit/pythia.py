"""Section 3 (Theorems 3.7, 3.8) data: published Pythia lm-eval-harness measurements, validated.

The shipped folder ``empirical/data/pythia/`` holds EleutherAI's GPU
measurements of the Pythia suite (Apache-2.0; provenance, conversion and
caveats in its ``SOURCES.md``; integrity in ``SHA256SUMS``).

``load_pythia()`` returns the wide LAMBADA table (one row per checkpoint
evaluation) as a tidy DataFrame; ``validate_loss_table`` checks any table of
the same shape (a user's CSV, the mini-Pythia held-out losses) before fitting.

Columns of the shipped ``lambada_v1.csv`` (units in brackets):

=====================================  ===========================================
``model``                              HF-style name, e.g. ``pythia-1.4b-deduped``
``size``                               nominal size label (``70m`` ... ``12b``)
``deduped``                            1 if trained on the deduplicated Pile
``run``                                ``standard`` or a batch-size ablation
``params_total``                       parameters incl. embeddings [count]
``params_nonembedding``                parameters excl. embeddings [count]
``batch_tokens``                       tokens per optimizer step [tokens]
``step``                               optimizer step of the checkpoint
``tokens``                             step × batch_tokens [tokens]
``flops_6ND_total``/``_nonemb``        6·N·D training compute [FLOP]
``shots``                              few-shot count of the evaluation (0 or 5)
``source_dir``                         upstream folder below ``evals/``
``primary``                            1 for the canonical row of repeats
``lambada_openai:ppl``(``_stderr``)    per-word perplexity (bootstrap stderr)
``lambada_openai:acc``(``_stderr``)    last-word accuracy
``lambada_openai:nll_per_word_nats``   ln(ppl) [nats/word]: the loss we fit
=====================================  ===========================================
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError, ValidationTypeError

from ..io import DATA_DIR, read_checked_table, read_table

log = logging.getLogger("empirical.fit")
PYTHIA_DIR = DATA_DIR / "pythia"
LAMBADA_FILE = PYTHIA_DIR / "lambada_v1.csv"
DEFAULT_LOSS = "lambada_openai:nll_per_word_nats"

#: Columns every loss table must have (besides the loss column itself).
REQUIRED_COLUMNS = ("model", "params_total", "params_nonembedding", "step", "tokens")
#: Columns filled with a default when a foreign table (e.g. mini-Pythia) lacks them.
OPTIONAL_DEFAULTS = {"deduped": 0, "run": "standard", "shots": 0, "primary": 1, "source_dir": ""}
#: Every column of the shipped wide file; ``load_pythia`` insists on all of them.
LAMBADA_COLUMNS = (
    "suite", "model", "size", "deduped", "run", "params_total", "params_nonembedding",
    "batch_tokens", "step", "tokens", "flops_6ND_total", "flops_6ND_nonemb", "shots",
    "source_dir", "primary", "lambada_openai:ppl", "lambada_openai:ppl_stderr",
    "lambada_openai:acc", "lambada_openai:acc_stderr", DEFAULT_LOSS,
)

__all__ = [
    "PYTHIA_DIR", "LAMBADA_FILE", "DEFAULT_LOSS", "REQUIRED_COLUMNS", "LAMBADA_COLUMNS",
    "load_pythia", "load_params", "read_loss_csv", "validate_loss_table", "ROW_KEY",
]

#: What identifies one measurement: a loss table holds at most one row per key (see ``validate_loss_table``).
ROW_KEY = ("model", "run", "deduped", "shots", "primary", "source_dir", "step")


def _numeric(df: pd.DataFrame, col: str, *, positive: bool = False, nonneg: bool = False,
             where: str = "table") -> None:
    try:
        vals = pd.to_numeric(df[col], errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise ValidationError(f"column {col!r} of {where} must be numeric") from None
    if not np.all(np.isfinite(vals)):
        raise ValidationError(f"column {col!r} of {where} has missing or non-finite values")
    if positive and np.any(vals <= 0):
        raise ValidationError(f"column {col!r} of {where} must be > 0 (found {vals.min():g})")
    if nonneg and np.any(vals < 0):
        raise ValidationError(f"column {col!r} of {where} must be >= 0 (found {vals.min():g})")


def _loss_range(df: pd.DataFrame, col: str, where: str) -> None:
    from .solver import LOSS_RANGE

    vals = pd.to_numeric(df[col]).to_numpy(np.float64)
    lo, hi = LOSS_RANGE
    out = (vals < lo) | (vals > hi)
    if out.any():
        raise ValidationError(f"column {col!r} of {where} holds {vals[out][0]:g}, outside [{lo:g}, {hi:g}] "
                         "(overflow or underflow in the fit); a loss in nats is of order 1-10")


def validate_loss_table(df: pd.DataFrame, loss_column: str = DEFAULT_LOSS, *,
                        where: str = "table") -> pd.DataFrame:
    """Check a loss table and return a copy with optional columns filled and flops added.

    Required: ``model``, ``params_total`` > 0, ``params_nonembedding`` > 0,
    ``step`` >= 0, ``tokens`` >= 0 and ``loss_column`` > 0 (a loss in nats).
    Missing ``deduped``/``run``/``shots``/``primary``/``source_dir`` get the
    defaults 0/``standard``/0/1/"" so tables such as the mini-Pythia held-out
    losses run through the same analyses; missing ``flops_6ND_*`` are computed
    as 6·N·tokens. ``params_total``, ``params_nonembedding``, ``step`` and
    ``tokens`` come back as float64 with their values untouched, so any unit
    works (e.g. parameters in billions; the fits are unit-free). Raises
    ``TypeError`` for a non-DataFrame and ``ValueError`` naming the offending
    column otherwise.

    Duplicates: one row per :data:`ROW_KEY` (model, run, deduped, shots,
    primary, source_dir, step). Rows identical in every column are kept once
    and a warning says how many copies were dropped; two rows with one key
    and any other column different (e.g. two losses for one checkpoint) are
    refused, naming the key, the column, both values and their CSV lines.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationTypeError(f"{where} must be a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(loss_column, str):
        raise ValidationTypeError(f"loss_column must be a str, got {type(loss_column).__name__}")
    missing = [c for c in (*REQUIRED_COLUMNS, loss_column) if c not in df.columns]
    if missing:
        raise ValidationError(f"{where} is missing column(s) {missing}; "
                         f"a loss table needs {list(REQUIRED_COLUMNS) + [loss_column]}")
    if len(df) == 0:
        raise ValidationError(f"{where} has no rows")
    out = df.copy()
    for col in ("params_total", "params_nonembedding"):
        _numeric(out, col, positive=True, where=where)
    for col in ("step", "tokens"):
        _numeric(out, col, nonneg=True, where=where)
    _numeric(out, loss_column, positive=True, where=where)
    _loss_range(out, loss_column, where)
    for col, default in OPTIONAL_DEFAULTS.items():
        if col not in out.columns:
            out[col] = default
    for col in ("deduped", "shots", "primary"):
        _numeric(out, col, nonneg=True, where=where)
    for col, n_col in (("flops_6ND_total", "params_total"), ("flops_6ND_nonemb", "params_nonembedding")):
        if col not in out.columns:
            out[col] = 6.0 * out[n_col].astype(np.float64) * out["tokens"].astype(np.float64)
        _numeric(out, col, nonneg=True, where=where)
    if out["model"].isna().any():
        raise ValidationError(f"column 'model' of {where} has missing values")
    out["model"] = out["model"].astype(str)
    out["run"] = out["run"].astype(str)
    out["source_dir"] = out["source_dir"].fillna("").astype(str)
    # Sizes and steps stay float64: an integer cast would truncate, e.g., 0.07 (billion parameters) to 0.
    for col in ("params_total", "params_nonembedding", "step", "tokens"):
        out[col] = pd.to_numeric(out[col]).astype(np.float64)
    for col in ("deduped", "shots", "primary"):
        out[col] = pd.to_numeric(out[col]).astype(np.int64)
    out[loss_column] = pd.to_numeric(out[loss_column]).astype(np.float64)
    # A model has one size: two parameter counts for one name means a corrupt join.
    n_sizes = out.groupby("model")["params_nonembedding"].nunique()
    if (n_sizes > 1).any():
        bad = list(n_sizes[n_sizes > 1].index[:3])
        raise ValidationError(f"column 'params_nonembedding' of {where} differs within model(s) {bad}")
    return _one_row_per_key(out, where)


def _one_row_per_key(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """Drop exact repeats (with a warning); refuse two different rows for one :data:`ROW_KEY`."""
    key = list(ROW_KEY)
    exact = df.duplicated(keep="first")
    if exact.any():
        log.warning("%s: dropped %d row(s) that repeat an earlier row exactly (first at CSV line %d)", where,
                    int(exact.sum()), int(np.flatnonzero(exact.to_numpy())[0]) + 2)
        df = df[~exact]
    clash = df.duplicated(key, keep=False)
    if clash.any():
        rows = df[clash]
        first = rows.iloc[0]
        same = rows[(rows[key] == first[key]).all(axis=1)]
        a, b = same.iloc[0], same.iloc[1]
        col = next(c for c in df.columns if not _same_value(a[c], b[c]))
        a, b = a.map(_plain), b.map(_plain)
        # Read from a CSV (``where`` names it), index i is line i + 2; a DataFrame's rows keep their labels.
        at = [f"row {i!r}" if where == "table" else f"line {int(i) + 2}" for i in same.index[:2]]
        raise ValidationError(
            f"{where} holds {len(same)} different rows for model {a['model']!r}, step {a['step']:g} "
            f"(run {a['run']!r}, deduped {a['deduped']}, shots {a['shots']}, primary {a['primary']}, "
            f"source_dir {a['source_dir']!r}): column {col!r} is {a[col]!r} at {at[0]} and {b[col]!r} "
            f"at {at[1]}; keep one row per checkpoint")
    return df


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _same_value(x, y) -> bool:
    return (x == y) or (isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y))


def read_loss_csv(path, loss_column: str = DEFAULT_LOSS) -> pd.DataFrame:
    """Read and validate a user's CSV with the columns of ``lambada_v1.csv`` (see module doc)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    try:
        df = read_table(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path} is not a readable CSV ({exc})") from None
    out = validate_loss_table(df, loss_column, where=str(path))
    out.attrs["source"] = str(path)  # so later checks (e.g. analyses.select_rows) can name the file
    return out


def load_pythia(*, primary_only: bool = True, verify: bool = True) -> pd.DataFrame:
    """The shipped Pythia LAMBADA table (v1 suite, 796 rows; ``primary==1`` rows by default).

    ``verify`` checks the file against ``SHA256SUMS`` first, so a corrupted or
    swapped file raises rather than silently changing the exponents.
    """
    df = read_checked_table(LAMBADA_FILE, verify=verify)
    missing = [c for c in LAMBADA_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError(f"{LAMBADA_FILE} is missing column(s) {missing}")
    df = validate_loss_table(df, DEFAULT_LOSS, where=str(LAMBADA_FILE))
    # Units: tokens = step × batch and 6·N·D must agree with the stored compute.
    if not np.array_equal(df["tokens"].to_numpy(), df["step"].to_numpy() * df["batch_tokens"].to_numpy()):
        raise ValidationError(f"column 'tokens' of {LAMBADA_FILE} is not step × batch_tokens")
    expect = 6.0 * df["params_nonembedding"].to_numpy(np.float64) * df["tokens"].to_numpy(np.float64)
    if not np.allclose(df["flops_6ND_nonemb"].to_numpy(np.float64), expect, rtol=1e-5):
        raise ValidationError(f"column 'flops_6ND_nonemb' of {LAMBADA_FILE} is not 6·N·D")
    if not np.allclose(np.exp(df[DEFAULT_LOSS]), df["lambada_openai:ppl"], rtol=1e-9):
        raise ValidationError(f"column {DEFAULT_LOSS!r} of {LAMBADA_FILE} is not ln(ppl)")
    if primary_only:
        df = df[df["primary"] == 1].reset_index(drop=True)
    return df


def load_params(*, verify: bool = True) -> pd.DataFrame:
    """Parameter counts and architecture of the 10 Pythia sizes (``params.csv``)."""
    df = read_checked_table(PYTHIA_DIR / "params.csv", verify=verify)
    for col in ("params_total", "params_nonembedding", "n_layers", "d_model", "vocab_padded"):
        _numeric(df, col, positive=True, where="params.csv")
    return df
