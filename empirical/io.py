"""Reading the tidy tables back exactly (every layer writes CSV; fits and checks need the same floats)."""
from __future__ import annotations

import pandas as pd

#: pandas 3 parses floats exactly by default and deprecates the option; pandas 2 must be asked for it.
_EXACT = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def read_table(path, **kwargs) -> pd.DataFrame:
    """``pd.read_csv`` with exact (round-trip) float parsing on every pandas version we support."""
    return pd.read_csv(path, **_EXACT, **kwargs)
