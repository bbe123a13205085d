"""How the report writes a table: the one home of the float format (so a section and the builder agree on it
without importing each other)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError

#: Significant digits of every float written to tables/. Fits and linear algebra agree across machines and BLAS
#: builds to ~1e-9 relative; 6 digits leave a margin of three orders of magnitude (a value still differs when it
#: sits within that margin of a rounding boundary) and keep more than the report shows (4).
TABLE_DIGITS = 6
TABLE_FLOAT_FORMAT = f"%.{TABLE_DIGITS}g"


def write_table(df: pd.DataFrame, path: Path, resolution: dict | None = None) -> None:
    """``df`` as CSV at ``path``: floats to :data:`TABLE_DIGITS` significant digits, negative zero as 0, the columns
    of ``resolution`` first rounded to a multiple of their resolution; a float column whose values are all whole
    numbers (a count, a parameter number stored as float) is written as integers, every digit."""
    df = df.copy()
    for col, res in (resolution or {}).items():
        if col not in df.columns or not res > 0:
            raise ValidationError(f"resolution must map columns of the table to positive numbers, got {col!r}: {res!r}")
        df[col] = (df[col].astype(float) / res).round() * res
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col].dtype):
            x = df[col].to_numpy(dtype=float)
            finite = x[np.isfinite(x)]
            if np.isfinite(x[~np.isnan(x)]).all() and (finite == np.round(finite)).all() \
                    and (np.abs(finite) < 2.0 ** 53).all():
                df[col] = df[col].astype("Int64")  # counts and sizes stored as floats: every digit, exactly
            else:
                df[col] = df[col].where(df[col] != 0, 0.0)  # -0.0 and 0.0 print alike
    df.to_csv(path, index=False, float_format=TABLE_FLOAT_FORMAT, lineterminator="\n")
