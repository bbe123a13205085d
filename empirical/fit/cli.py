"""Section 3 (Theorems 3.7, 3.8) CLI: ``python -m empirical fit [--json] [--data FILE] [--out DIR]``.

Runs :func:`empirical.fit.analyses.run_analyses` on the shipped Pythia LAMBADA
table (or a user's CSV with the same columns), writes every table as CSV and
every figure as PNG under ``--out`` (default ``out/empirical_fit/``), and
prints the exponents with 95% intervals and the theory verdicts.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from infogeo.runner import ArgumentParser, UsageError, input_file, integer, output_dir, run

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="python -m empirical fit",
                       description="Fit scaling-law exponents to Pythia (or your) loss measurements "
                                   "and test the paper's predicted exponents.")
    p.add_argument("--data", metavar="FILE", help="CSV with the columns of empirical/data/pythia/lambada_v1.csv "
                                                  "(default: the shipped Pythia table)")
    p.add_argument("--loss-column", default=None,
                   help="loss column to fit, in nats (default lambada_openai:nll_per_word_nats)")
    p.add_argument("--out", metavar="DIR", default="out/empirical_fit", help="output folder (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    p.add_argument("--seed", type=integer(0), default=0, help="base seed (default %(default)s)")
    p.add_argument("--n-boot", type=integer(0), default=1000,
                   help="bootstrap refits per default-window fit (default %(default)s; windows get half; "
                        "0 gives no refits, so every verdict is inconclusive)")
    p.add_argument("--no-windows", action="store_true", help="skip the fit-window sensitivity table")
    p.add_argument("--no-figures", action="store_true", help="write tables only")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _num(x):
    x = float(x)
    return None if not math.isfinite(x) else x


def _summary(tables) -> dict:
    f = tables["fits"]
    exps = f[f["is_default"] & f["param"].isin(["a", "alpha", "beta"])]
    v = tables["verdicts"]
    return {
        "exponents": [{"analysis": r.analysis, "family": r.family, "subject": r.subject, "param": r.param,
                       "estimate": _num(r.estimate), "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high),
                       "n": int(r.n), "converged": bool(r.converged),
                       "boot_converged_frac": _num(r.boot_converged_frac)} for r in exps.itertuples()],
        "verdicts": [{"test": r.test, "family": r.family, "subject": r.subject, "hypothesis": r.hypothesis,
                      "alpha_source": r.alpha_source, "estimate": _num(r.estimate),
                      "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high), "predicted": _num(r.predicted),
                      "pred_low": _num(r.pred_low), "pred_high": _num(r.pred_high), "verdict": r.verdict,
                      "reason": r.reason, "window_agreement": _num(r.window_agreement)}
                     for r in v.itertuples()],
        "caveats": dict(zip(tables["caveats"]["caveat"], tables["caveats"]["detail"])),
    }


def _print_text(tables, out: Path, figures) -> None:
    f = tables["fits"]
    d = f[f["is_default"]]

    def ci(r):
        return f"{r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"

    print("Exponents (95% bootstrap intervals; default windows)")
    for r in d[(d["analysis"] == "params") & (d["param"] == "a")].itertuples():
        print(f"  α_N   {r.family:8s} {r.subject:12s} {ci(r)}   n={r.n} RMSE(log)={r.rmse_log:.4f}")
    for r in d[(d["analysis"] == "frontier") & (d["param"] == "a")].itertuples():
        print(f"  a_C   {r.family:8s} {r.subject:12s} {ci(r)}   frontier points={r.n}")
    for r in d[(d["analysis"] == "joint") & d["param"].isin(["alpha", "beta"])].itertuples():
        print(f"  joint {r.family:8s} {r.param:12s} {ci(r)}   n={r.n}")
    st = d[(d["analysis"] == "steps") & (d["param"] == "a")]
    for fam, g in st.groupby("family", sort=False):
        print(f"  a_steps {fam}: " + ", ".join(f"{s}={e:.2f}" for s, e in zip(g["subject"], g["estimate"])))
    print("\nTheory verdicts (α from non-embedding N; see verdicts.csv for total N and per-size rows)")
    v = tables["verdicts"]
    show = v[(v["alpha_source"] == v["subject"]) | (v["subject"] == "all sizes")]
    show = show[(show["alpha_source"] == "nonembedding") | (show["test"] == "params_power_law")]
    for r in show.itertuples():
        pred = ("" if not np.isfinite(r.predicted)
                else f" vs predicted {r.predicted:.3f} [{r.pred_low:.3f}, {r.pred_high:.3f}]")
        print(f"  {r.test:18s} {r.family:8s} {r.subject:12s} {r.hypothesis:26s} -> {r.verdict.upper()}"
              f" (window agreement {r.window_agreement:.0%})\n      estimate {r.estimate:.3f}{pred}; {r.reason}")
    print(f"\nCaveats: {'; '.join(tables['caveats']['caveat'])} (details in caveats.csv / docs/fit.md)")
    print(f"Tables written to {out}/" + (f"; figures: {', '.join(p.name for p in figures)}" if figures else ""))


def _csv_columns(path) -> list[str]:
    """The header of a CSV; [] when it cannot be parsed (``read_loss_csv`` then names the file and the problem)."""
    from ..io import read_table

    try:
        return list(read_table(path, nrows=0).columns)
    except (ValueError, UnicodeDecodeError, OSError):  # pandas' parser errors are ValueErrors
        return []


def _check_loss_column(columns, loss_column: str, source) -> None:
    """``--loss-column`` must be a column of the table, named before anything is read or fitted."""
    columns = [str(c) for c in columns]
    if columns and loss_column not in columns:
        numeric_like = [c for c in columns if "loss" in c or "nll" in c or "nats" in c] or columns
        raise UsageError(f"--loss-column {loss_column!r} is not a column of {source} "
                         f"(candidates: {', '.join(numeric_like[:8])})")


def main(argv: list[str] | None = None) -> int:
    return run("python -m empirical fit", _main, argv)


def _main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from .analyses import run_analyses
    from .intervals import check_bootstrap_memory
    from .pythia import DEFAULT_LOSS, LAMBADA_COLUMNS, LAMBADA_FILE, load_pythia, read_loss_csv

    loss_column = args.loss_column or DEFAULT_LOSS
    output_dir(args.out, "--out")  # before minutes of fitting, not after
    if args.data:
        input_file(args.data, "--data")
        _check_loss_column(_csv_columns(args.data), loss_column, args.data)
    else:
        _check_loss_column(LAMBADA_COLUMNS, loss_column, LAMBADA_FILE)
    df = read_loss_csv(args.data, loss_column) if args.data else load_pythia()
    # The largest fit (the joint law on every row) bounds the memory of the refits: checked before any fit.
    check_bootstrap_memory(len(df), 2, args.n_boot)
    tables = run_analyses(df, loss_column=loss_column, seed=args.seed, n_boot=args.n_boot,
                          windows=not args.no_windows, progress=not args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        t.to_csv(out / f"{name}.csv", index=False)
    figures = []
    if not args.no_figures:
        from .plots import draw_all
        figures = draw_all(tables, out)
    if args.json:
        s = _summary(tables)
        s["out"] = str(out)
        s["figures"] = [str(p) for p in figures]
        print(json.dumps(s, indent=1, ensure_ascii=False))
    else:
        _print_text(tables, out, figures)
    return 0
