"""Layout shared by the data sections (3 and 4): how a headline verdicts table is shown."""
from __future__ import annotations

from ..blocks import Table

#: The verdict columns the report shows; every column stays in the CSV.
VERDICT_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "estimate", "ci_low", "ci_high",
                   "predicted", "pred_low", "pred_high", "verdict", "reason", "interval_kind", "approximate",
                   "window_agreement")


def headline_table(rel: str, columns, prefix: str) -> Table:
    """The block of a ``<prefix>_verdicts_headline`` table written at ``rel`` (``columns``: the table's columns)."""
    return Table(rel, f"Verdict per prediction (steps: the median over sizes; per-size rows in "
                      f"tables/{prefix}_verdicts.csv)", max_rows=40,
                 columns=[c for c in VERDICT_COLUMNS if c in columns])
