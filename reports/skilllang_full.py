"""Report section 5, full tier: the fitting pipeline's calibration on every kept seed of the skill-language family.

    python -m simulate neural --learner transformer --task skill-language --tier full --seeds 0 1 2 \\
        --no-train --out reports/skilllang_full          # per-seed tables and the between-seed summary
    python -m reports.skilllang_full                     # + the calibration of each seed (this module)

``simulate`` writes the full tier's tables but may not import ``empirical``, where the fitting pipeline lives; the
calibration joins the two, so it runs here, in the layer that may import both: Section 5's
:func:`reports.sections.skilllang.calibration_table` (unchanged: same pipeline, same bootstrap count) on each seed's
kept loss table, written beside the other tables as ``skilllang_calibration.csv`` (every row, column ``seed``) and
``skilllang_calibration_summary.csv`` (per shown row: the per-seed estimates and how often the interval covers
the truth and the verdict agrees), with their checksums and wall time added to the folder's ``manifest.json``.
Nothing is trained; it reads only the kept tables, so a rerun gives byte-identical CSVs.
"""
from __future__ import annotations

import json
import pathlib
import time

import pandas as pd

__all__ = ["full_calibration", "calibration_summary", "main"]

#: The rows of one seed's calibration that identify it across seeds.
CAL_KEY = ["alpha", "quantity", "subject", "hypothesis", "alpha_source"]


def full_calibration(tables: dict, *, seed: int = 0, progress: bool = False) -> pd.DataFrame:
    """Section 5's calibration table of every seed of the kept full tier (column ``seed`` first)."""
    from infogeo.validation import ValidationError

    from .sections.skilllang import calibration_table

    lt, langs = tables.get("skilllang_loss_table"), tables.get("skilllang_languages")
    if lt is None or langs is None or "seed" not in lt.columns:
        raise ValidationError("the full tier's folder lacks skilllang_loss_table.csv / skilllang_languages.csv with a "
                              "seed column; write it first with python -m simulate neural ... --tier full --out")
    out = []
    for s in sorted(lt["seed"].unique()):
        tabs = {"loss_table": lt[lt["seed"] == s].drop(columns="seed"),
                "languages": langs[langs["seed"] == s].drop(columns="seed")}
        cal = calibration_table(tabs, seed=seed, progress=progress)
        out.append(cal.assign(seed=int(s))[["seed"] + list(cal.columns)])
    return pd.concat(out, ignore_index=True)


def calibration_summary(cal: pd.DataFrame) -> pd.DataFrame:
    """One row per calibration row across seeds: per-seed estimates and truths, and counts of ``covers``,
    ``pipeline_verdict`` and ``agrees`` over the seeds."""
    from simulate.skilllang.seeds import count_phrase

    rows = []
    c = cal.fillna({"hypothesis": "", "agrees": ""}).sort_values("seed", kind="stable")
    for key, g in c.groupby(CAL_KEY, sort=False, dropna=False):
        rows.append({**dict(zip(CAL_KEY, key)), "seeds": " ".join(str(int(s)) for s in g["seed"]),
                     "pipeline_per_seed": " ".join(f"{v:.4g}" for v in g["pipeline_estimate"]),
                     "truth_per_seed": " ".join(f"{v:.4g}" for v in g["truth"]),
                     "covers": f"{int(g['covers'].astype(bool).sum())}/{len(g)}",
                     "pipeline_verdicts": count_phrase(g["pipeline_verdict"]),
                     "agrees": count_phrase(g["agrees"]) if (g["agrees"] != "").any() else ""})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """The command, through the suite's runner (usage errors, Ctrl-C and internal errors as every command's)."""
    from infogeo.runner import run

    return run("python -m reports.skilllang_full", _main, argv)


def _main(argv: list[str]) -> int:
    from infogeo.runner import ArgumentParser
    from simulate.neural.experiment import write_table
    from simulate.skilllang.experiment import FULL_OUT, full_tier_tables

    p = ArgumentParser(prog="python -m reports.skilllang_full", description=__doc__.split("\n")[0])
    p.add_argument("--root", default=str(FULL_OUT), help="the full tier's folder (default reports/skilllang_full)")
    a = p.parse_args(argv)
    root = pathlib.Path(a.root)
    t0 = time.perf_counter()
    cal = full_calibration(full_tier_tables(root))
    tabs = {"calibration": cal, "calibration_summary": calibration_summary(cal)}
    manifest = json.loads((root / "manifest.json").read_text())
    for name, df in tabs.items():
        rel = f"tables/skilllang_{name}.csv"
        manifest["tables_sha256"][rel] = write_table(df, root / rel)
    manifest["calibration"] = {"command": f"python -m reports.skilllang_full --root {a.root}",
                               "wall_s": round(time.perf_counter() - t0, 1)}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    print(f"{len(cal)} calibration rows over seeds {sorted(cal['seed'].unique().tolist())} -> {root}/tables")
    return 0


if __name__ == "__main__":
    from infogeo.runner import exit_process

    exit_process(main())
