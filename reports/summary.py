"""The answer first: the report's summary, assembled from the tables the sections left in ``tables/``.

Every number in it is read from a table (``tests/reports/test_summary.py`` parses
them back and looks each one up), so the summary is rebuilt whenever the report is
reassembled, ``--only`` included. A section whose tables are missing is named, not
guessed.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from empirical.io import read_table

from .blocks import Summary, fmt, interval, slug

#: Verdicts of the claim catalogue, in the order the summary counts them.
CLAIM_VERDICTS = ("holds", "holds-under-conditions", "corrected", "refuted")
#: Headline tests of the fit sections, in the order the summary shows them, with their label.
TESTS = {"params_power_law": "parameters: α of L = E + A·N^−α",
         "frontier_exponent": "compute frontier",
         "steps_exponent": "training steps"}
#: Verdicts that decide something (accepted, rejected, or not robust); the others say why nothing is decided.
DECISIVE = ("consistent", "needs-extra-noise", "inconsistent", "fragile")
SUMMARY_TABLES = ("claims", "claims_latex", "simulate_agreement", "neural_exponents", "neural_robustness",
                  "pythia_verdicts_headline", "skilllang_exponents", "skilllang_calibration")


def read_summary_tables(root: Path) -> dict[str, pd.DataFrame]:
    """The tables the summary reads, by name; a missing table is absent from the dict."""
    out = {}
    for name in SUMMARY_TABLES:
        path = Path(root) / "tables" / f"{name}.csv"
        if path.exists():
            out[name] = read_table(path, keep_default_na=False, na_values=[""])
    return out


def _link(titles: dict, name: str) -> str:
    title = titles[name]
    return f"[section {title.split('.')[0]}](#{slug(title)})"


def _by_definition(claims: pd.DataFrame, verdict: str) -> str:
    """`` (7 of them by definition)``: how many of the claims with ``verdict`` restate a definition or assumption
    (column ``by_definition`` of the catalogue table); empty when none does or the table has no such column."""
    if verdict != "holds" or "by_definition" not in claims.columns:
        return ""
    k = int((claims["by_definition"].fillna("").astype(str).str.len() > 0)[claims["verdict"] == verdict].sum())
    return f" ({k} of them by definition)" if k else ""


def _claims(t: dict, titles: dict) -> list[str]:
    c = t["claims"]
    parts = []
    for origin, what in (("paper", "printed in the paper"), ("derived", "variants the suite derives")):
        mine = c[c["origin"] == origin]
        if len(mine):
            n = {v: int((mine["verdict"] == v).sum()) for v in CLAIM_VERDICTS}
            counts = ", ".join(f"{k} **{v}**" + _by_definition(mine, v) for v, k in n.items() if k or origin == "paper")
            parts.append(f"{len(mine)} {what}: {counts}")
    lines = [f"**The paper's claims** ({_link(titles, 'theory')}, checked symbolically and numerically): "
             + "; ".join(parts) + "."]
    failing = c[c["verdict"].isin(["corrected", "refuted"])]
    if len(failing):  # the corrected forms themselves are in section 1 (and claims_latex.csv)
        lines[0] += (" Verified corrections (section 1): "
                     + ", ".join(f"`{r.id}`" + (" **refuted**" if r.verdict == "refuted" else "")
                                 for r in failing.itertuples()) + ".")
    return lines


def _simulate(t: dict, titles: dict) -> list[str]:
    ag = t["simulate_agreement"].set_index("table")
    parts = [f"{int(ag.loc[k, 'agree'])} of {int(ag.loc[k, 'counted'])} {what}"
             for k, what in (("exponents", "exact-run"), ("stochastic", "stochastic-run"))
             if k in ag.index]
    return [f"**Simulation** ({_link(titles, 'simulate')}): {' and '.join(parts)} exponents that a wrong dynamics "
            "could move agree with the theory."]


def _slopes(e: pd.DataFrame) -> tuple[str, str]:
    """(interval kinds, one clause per α) of the learning-time rows of an exponents table (MLPs or transformers)."""
    rows = _learning_rows(e)
    kinds = ", ".join(sorted(set(rows["interval_kind"].astype(str))))
    parts = [f"α = {fmt(r.alpha)}: slope {interval(r.fitted, r.ci_low, r.ci_high)} vs {fmt(r.predicted_sequential)} "
             f"sequential, {fmt(r.predicted_parallel)} parallel: **{r.verdict}**" for r in rows.itertuples()]
    return kinds, "; ".join(parts)


def _neural(t: dict, titles: dict) -> list[str]:
    kinds, parts = _slopes(t["neural_exponents"])
    head = (f"**Skills one after another?** ({_link(titles, 'neural')}, sparse-parity MLPs; slope of learning step "
            f"vs task rank, {kinds} 95%): {parts}.")
    rob = t.get("neural_robustness")
    if rob is None or rob.empty:
        return [head + " Scope: one seed, one network and one optimizer; the robustness grid is not in this report."]
    from simulate.neural.robust import scope_sentence

    return [head + f" Scope (robustness grid, α = {fmt(rob['alpha'].iloc[0])}, between-seed 95%): "
            + scope_sentence(rob, quote="`") + "."]


def _learning_rows(e: pd.DataFrame) -> pd.DataFrame:
    """The learning-time rows at the halfway threshold of an exponents table (MLPs or transformers)."""
    return e[(e["axis"] == "learning_time") & (e["threshold"].astype(float) == 0.5)]


def _skilllang(t: dict, titles: dict) -> list[str]:
    kinds, parts = _slopes(t["skilllang_exponents"])
    line = (f"**Transformers where the truth is known** ({_link(titles, 'skilllang')}, a synthetic skill language; "
            f"slope of learning step vs skill rank, {kinds} 95%): {parts}.")
    cal = t.get("skilllang_calibration")
    if cal is not None and len(cal):
        cov = cal["covers"].astype(str) == "True"
        called = cal[cal["agrees"].astype(str).isin(["yes", "no"])]
        line += (f" Calibration of the Pythia pipeline here: its 95% intervals hold the truth in "
                 f"{int(cov.sum())} of {len(cal)} rows, and it makes a decided call in {len(called)} of {len(cal)} "
                 f"({int((called['agrees'].astype(str) == 'yes').sum())} right).")
    return [line]


def _rejects(e: pd.DataFrame, learner: str) -> bool:
    """Every learning-time row of ``e`` rejects ``learner`` ("sequential" / "parallel")."""
    rows = _learning_rows(e)
    verdicts = rows["verdict"].astype(str)
    return len(rows) > 0 and all(v in ("both rejected", f"{learner} rejected") for v in verdicts)


def _lead(t: dict, titles: dict) -> list[str]:
    """What was learned, in words, each point decided by the tables below it (no number of its own)."""
    out = []
    c = t.get("claims")
    if c is not None:
        failing = int(c["verdict"].isin(["corrected", "refuted"]).sum())
        out.append("The paper's mathematics mostly holds" + (" (each failing statement has a verified correction)"
                   if not (c["verdict"] == "refuted").any() and failing else "") + ".")
    nets = [name for name, table in (("MLPs on sparse parity", "neural_exponents"),
                                     ("transformers on a skill language", "skilllang_exponents"))
            if table in t and _rejects(t[table], "sequential")]
    if nets:
        out.append(f"Networks learn many skills at once: Assumption 3.5's sequential learner is rejected for "
                   f"{' and for '.join(nets)}, and with it the flops exponent α/(α+2).")
    h = t.get("pythia_verdicts_headline")
    if h is not None:
        steps = h[(h["test"] == "steps_exponent") & h["hypothesis"].astype(str).str.contains("α/(α+1)", regex=False)]
        if len(steps) and (steps["estimate"].astype(float) > steps["predicted"].astype(float)).all():
            out.append("Pythia's loss falls with steps faster than even the parallel learner allows.")
    cal = t.get("skilllang_calibration")
    if cal is not None and len(cal) and (cal["covers"].astype(str) != "True").any():
        out.append("Where the truth is known, the Pythia fitting pipeline often misses it: read its verdicts with "
                   "that calibration.")
    return [" ".join(out)] if out else []


def _gist(interval_kind) -> str:
    """An interval kind without its parenthesised detail (``profile-t 95% (t reference, ...)`` -> ``profile-t 95%``)."""
    return str(interval_kind).split(" (")[0]


def _sizes(row) -> str | None:
    """``"6 of 8"``: the usable sizes behind a steps median, read from its ``reason``; None when it does not say."""
    m = re.match(r"(\d+) of (\d+) usable", str(row["reason"]))
    return f"{m[1]} of {m[2]}" if m else None


def _kind(row) -> str:
    kind = _gist(row["interval_kind"])
    if row["test"] == "steps_exponent":
        n = _sizes(row)
        kind = f"median of {n} sizes (each {kind})" if n else f"median over sizes (each {kind})"
    return kind.replace("bootstrap-calibrated ", "calibrated ") + (", approximate" if str(row["approximate"]) == "True"
                                                                    else "")


def _fitted(row) -> str:
    """The estimate with its interval; a steps median has none (how many sizes it rests on: the kinds line)."""
    if row["test"] == "steps_exponent":
        return f"{fmt(row['estimate'])} (median)"
    return interval(row["estimate"], row["ci_low"], row["ci_high"])


def _verdict_cell(r) -> str:
    """``0.1535: **fragile**``: the prediction and the verdict (short enough for one line per row on the first
    screen)."""
    return f"{fmt(r['predicted'])}: **{r['verdict']}**"  # the outcome in words is in section 4's table


#: The summary table's column naming the data and where the predictions' α comes from.
DATA_COLUMN = "family, α from N"
#: Short names of the headline tests, for the sentence on drift coverage.
SHORT = {"params_power_law": "α", "frontier_exponent": "frontier", "steps_exponent": "steps"}


def fit_rows(h: pd.DataFrame) -> pd.DataFrame:
    """One row per exponent test (frontier, steps) and (family, alpha_source) of a headline table: the fitted
    exponent and, per prediction, its value and the verdict."""
    rows = []
    h = h[h["test"] != "params_power_law"]
    for (test, family, source), g in h.groupby(["test", "family", "alpha_source"], sort=False):
        first = g.iloc[0]
        row = {"test": TESTS.get(test, test), DATA_COLUMN: f"{family}, {source}", "fitted": _fitted(first)}
        for label in ("α/(α+2)", "α/(α+1)"):
            m = g[g["hypothesis"].str.contains(label, regex=False)]
            row[f"vs {label}"] = "" if not len(m) else _verdict_cell(m.iloc[0])
        rows.append(row)
    order = {label: i for i, label in enumerate(TESTS.values())}
    out = pd.DataFrame(rows)
    return out.sort_values("test", key=lambda s: s.map(order), kind="stable") if len(out) else out


def _kinds_line(h: pd.DataFrame) -> str:
    """The kind of interval of each exponent test, once."""
    seen = {}
    for _, r in h[h["test"] != "params_power_law"].iterrows():
        seen.setdefault(TESTS.get(r["test"], r["test"]), _kind(r))
    return "; ".join(f"{k}: {v}" for k, v in seen.items())


def params_line(h: pd.DataFrame) -> str:
    """The power-law fits in N of a headline table, one clause each."""
    p = h[h["test"] == "params_power_law"]
    return "; ".join(f"{r.family}, N {r.alpha_source}: α = {interval(r.estimate, r.ci_low, r.ci_high)} "
                     f"**{r.verdict}**" for r in p.itertuples())


def drift_line(h: pd.DataFrame) -> str:
    """`` Under a drifting exponent ... of the time.``: how often each test's intervals cover a drifting generating
    exponent (column ``drift_coverage`` of a headline table, one value per test); empty without that column."""
    if "drift_coverage" not in h.columns:
        return ""
    parts = [f"{v} ({SHORT.get(t, t)})" for t, v in
             h.drop_duplicates("test")[["test", "drift_coverage"]].itertuples(index=False) if str(v)]
    if not parts:
        return ""
    return f" Under a drifting exponent these intervals cover the true one only {', '.join(parts)} of the time."


def _markdown_table(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _pythia(t: dict, titles: dict) -> list[str]:
    h = t["pythia_verdicts_headline"]
    p = h[h["test"] == "params_power_law"]
    kind = ", ".join(sorted({_gist(k) for k in p["interval_kind"]}))
    return [f"**Pythia** ({_link(titles, 'empirical')}, published LAMBADA losses). "
            f"{TESTS['params_power_law'].split(': ')[1]} ({kind}): " + params_line(h) + "." + drift_line(h)
            + f" Exponents of steps and compute against the predictions ({_kinds_line(h)}):", "",
            _markdown_table(fit_rows(h))]


SUMMARY_PARTS = (("claims", _claims), ("simulate_agreement", _simulate), ("neural_exponents", _neural),
                 ("skilllang_exponents", _skilllang), ("pythia_verdicts_headline", _pythia))


def summary_text(root: Path, titles: dict) -> str:
    """The summary's Markdown, read from ``root/tables``; ``titles``: section name -> heading (for the links)."""
    t = read_summary_tables(root)
    lead = _lead(t, titles)
    lines = ["## Summary", ""] + ([f"**What was learned.** {lead[0]}", ""] if lead else [])
    missing = []
    for table, part in SUMMARY_PARTS:
        if table in t:
            lines += part(t, titles) + [""]
        else:
            missing.append(f"`tables/{table}.csv`")
    if missing:
        lines.append("Not built yet, so not summarised: " + ", ".join(missing) + ".")
    return "\n".join(lines).rstrip() + "\n"


def summary_block(root: Path, titles: dict) -> Summary:
    return Summary(summary_text(root, titles))
