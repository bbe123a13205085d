"""Layout shared by the data sections (3 and 4): how a headline verdicts table is shown."""
from __future__ import annotations

import pandas as pd

from ..blocks import Table

#: The verdict columns the report shows; every column stays in the CSV.
VERDICT_COLUMNS = ("test", "family", "subject", "hypothesis", "alpha_source", "estimate", "ci_low", "ci_high",
                   "predicted", "pred_low", "pred_high", "verdict", "outcome", "interval_kind", "approximate",
                   "window_agreement")


def headline_table(rel: str, columns, prefix: str, drop=(), *, shown=VERDICT_COLUMNS, caption: str | None = None,
                   clip: dict | None = None) -> Table:
    """The block of a ``<prefix>_verdicts_headline`` table written at ``rel`` (``columns``: the table's columns;
    ``drop``: columns not shown; ``shown``: the columns shown, in order, where the table has them; ``caption`` and
    ``clip`` replace the default ones)."""
    if caption is None:
        caption = (f"Verdict per prediction (steps: median over sizes; per size: tables/{prefix}_verdicts.csv; "
                   "`outcome`: the verdict in words, directional and with its counts; `interval_kind`: its gist; "
                   "every reason in the CSV)")
    return Table(rel, caption, max_rows=40, columns=[c for c in shown if c in columns and c not in drop],
                 clip={"reason": ":;", "interval_kind": [" ("]} if clip is None else clip)


def window_verdicts(ws: pd.DataFrame) -> pd.DataFrame:
    """The window-sensitivity table in one row per prediction: the verdict in each fit window (for the per-size
    steps tests, the count of sizes with each verdict), the default window first."""
    rows = []
    key = ["test", "family", "alpha_source", "hypothesis"]
    for k, g in ws.groupby(key, sort=False):
        windows = list(dict.fromkeys(g.sort_values("is_default", ascending=False, kind="stable")["window"]))
        parts = []
        for w in windows:
            counts = g[g["window"] == w]["verdict"].value_counts()
            if g["subject"].nunique() > 1:
                parts.append(f"{w}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
            else:
                parts.append(f"{w}: {counts.index[0]}")
        rows.append(dict(zip(key, k)) | {"sizes": g["subject"].nunique(), "verdict_by_window": "; ".join(parts)})
    return pd.DataFrame(rows)


#: The fit columns the report shows (the default window's exponents); every column stays in the CSV.
FIT_COLUMNS = ("analysis", "family", "subject", "window", "param", "estimate", "ci_low", "ci_high", "status",
               "at_bound", "n_boot", "boot_ok_frac", "interval_kind", "rmse_log")


def fit_table(rel: str, fits: pd.DataFrame) -> Table:
    """The block of a fits table: the exponents of the default window, but for the per-size steps fits (drawn in
    their own figure); the other parameters, windows and fits are linked."""
    params = [p for p in ("a", "alpha", "beta") if p in set(fits["param"])]
    analyses = [a for a in dict.fromkeys(fits["analysis"]) if a != "steps"]
    return Table(rel, "Fitted exponents in the default fit window, 95% intervals (n_boot: refits behind each; "
                      "per-size steps exponents: figure below, full table)", max_rows=80,
                 where={"is_default": True, "param": params, "analysis": analyses},
                 columns=[c for c in FIT_COLUMNS if c in fits.columns])


def window_note(ctx, tabs: dict, rels: dict, prefix: str) -> str:
    """Write ``<prefix>_window_verdicts`` (:func:`window_verdicts` of the window-sensitivity table) and return the
    sentence that links it and the full table (for the window figure's caption); empty without that table."""
    if "window_sensitivity" not in tabs:
        return ""
    out = ctx.table(f"{prefix}_window_verdicts", window_verdicts(tabs["window_sensitivity"]))
    full = rels["window_sensitivity"]
    return (f" The verdict in each window, one row per prediction: [{out}]({out}); every window's fit: "
            f"[{full}]({full}).")
