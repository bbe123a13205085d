"""Builds ``reports/latest/``: the theory-vs-data report (report.md, report.html, figures/, tables/, manifest.json).

Each section runs on its own: a failure is written into the report and the
manifest, and the other sections are kept. ``only=`` rebuilds one section and
reassembles the report from the saved state of the others.
"""
from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from empirical.io import DATA_DIR, read_checksums
from infogeo.validation import ValidationError, ValidationTypeError

from .blocks import Figure, Heading, Para, from_json, render_html, render_markdown, to_json
from .style import save
from .summary import summary_block

DEFAULT_OUT = Path(__file__).resolve().parent / "latest"
TITLE = "infogeo report: The Information of Large Language Model Geometry, checked"
#: Significant digits of every float written to tables/. Fits and linear algebra agree across machines and BLAS
#: builds to ~1e-9 relative; 6 digits leave a margin of three orders of magnitude (a value still differs when it
#: sits within that margin of a rounding boundary) and keep more than the report shows (4).
TABLE_DIGITS = 6
TABLE_FLOAT_FORMAT = f"%.{TABLE_DIGITS}g"


@dataclass
class SectionContext:
    name: str
    out_dir: Path
    seed: int = 0
    progress: bool = True
    model: str | None = None
    options: dict = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    resolutions: dict = field(default_factory=dict)

    @property
    def tables_dir(self) -> Path:
        return self.out_dir / "tables"

    @property
    def figures_dir(self) -> Path:
        return self.out_dir / "figures"

    def table(self, name: str, df: pd.DataFrame, resolution: dict | None = None) -> str:
        """Write a tidy table as CSV with :data:`TABLE_DIGITS` significant digits, so that the same seed gives the
        same bytes here and on another machine. ``resolution``: column -> absolute resolution, for columns whose
        small values are floating-point noise (an optimizer's final gradient norm, a relative error of 1e-13):
        they are rounded to a multiple of it first (recorded in the manifest)."""
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        rel = f"tables/{name}.csv"
        write_table(df, self.out_dir / rel, resolution)
        if resolution:
            self.resolutions[rel] = dict(resolution)
        self.tables.append(rel)
        return rel

    def save_figure(self, fig, name: str, caption: str) -> Figure:
        """Save ``fig`` as figures/<name>.png in the report style (no embedded versions or dates); return its block.

        The one way a section writes a figure; ``name`` may hold a sub-folder (``minipythia/fit_params``).
        """
        rel = f"figures/{name}.png"
        path = self.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        save(fig, path)
        self.figures.append(rel)
        return Figure(rel, caption)


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


SECTION_TITLES = {
    "theory": "1. The paper's claims, checked",
    "simulate": "2. The simulator checked against theory",
    "neural": "3. Neural networks: are skills learned one after another?",
    "empirical": "4. Pythia: fitted exponents against the predictions",
    "skilllang": "5. Transformers on a skill language: the predictions where the truth is known",
    "measure": "6. Measurements of language models (Figures 1, 3 to 6)",
    "assumption": "Appendix: checking an assumption of your own",
}
SECTION_NAMES = tuple(SECTION_TITLES)


def _sections():
    from .sections import assumption, empirical, measure, neural, simulate, skilllang, theory

    fns = {"theory": theory.build, "simulate": simulate.build, "neural": neural.build, "empirical": empirical.build,
           "skilllang": skilllang.build, "measure": measure.build, "assumption": assumption.build}
    return {name: (SECTION_TITLES[name], fns[name]) for name in SECTION_NAMES}


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("infogeo", "numpy", "scipy", "sympy", "pandas", "matplotlib", "scikit-learn", "powerlaw", "torch",
                "transformers", "tokenizers", "pyriemann", "hypothesis", "markdown-it-py", "mdit-py-plugins",
                "latex2mathml"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _torch_kernels() -> dict | None:
    """The CPU kernels torch ran with: ATen's capability as torch reports it (``DEFAULT`` when ``python -m reports``
    pinned it), the torch version and the MKL/oneDNN pins (:func:`infogeo.torch_kernel_settings`); None without
    torch."""
    from infogeo import torch_kernel_settings

    torch = sys.modules.get("torch")
    if torch is None:
        return None
    return {"aten_cpu_capability": str(torch.backends.cpu.get_cpu_capability()), **torch_kernel_settings()}


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _data_checksums() -> dict:
    """``{folder/file: sha256}`` of the shipped data, as listed in each folder's SHA256SUMS."""
    return {f"{sums.parent.name}/{name}": digest for sums in sorted(DATA_DIR.glob("*/SHA256SUMS"))
            for name, digest in read_checksums(sums.parent).items()}


def build_report(out_dir=DEFAULT_OUT, *, only: str | None = None, model: str | None = None, seed: int = 0,
                 progress: bool = True, options: dict | None = None) -> dict:
    """Build the report into ``out_dir``; returns the manifest (also written as manifest.json)."""
    out_dir = Path(out_dir)
    if only is not None and only not in SECTION_NAMES:
        raise ValidationError(f"only must be one of {', '.join(SECTION_NAMES)}, got {only!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValidationTypeError(f"seed must be an integer, got {seed!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    state_dir = out_dir / "sections"
    state_dir.mkdir(exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    sections = _sections()
    run_names = [only] if only else list(SECTION_NAMES)
    section_meta = dict(old.get("sections", {})) if only else {}
    for name in run_names:
        title, fn = sections[name]
        ctx = SectionContext(name, out_dir, seed=seed, progress=progress, model=model, options=dict(options or {}))
        if progress:
            print(f"[report] section {name}: {title}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        tb = None
        try:
            blocks = [Heading(title, 2)] + list(fn(ctx))
            error = None
        except Exception as exc:  # one section's failure must not lose the others
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            blocks = [Heading(title, 2), Para(f"**This section failed to build:** `{error}`. The other sections are "
                                              "unaffected; the full traceback is in manifest.json.")]
            tb = traceback.format_exc()
            print(tb, file=sys.stderr)
        seconds = time.perf_counter() - t0
        (state_dir / f"{name}.json").write_text(json.dumps(to_json(blocks), indent=1))
        section_meta[name] = {"title": title, "seed": seed, "seconds": round(seconds, 2), "ok": error is None,
                              "error": error,
                              "traceback": tb if error else None, "tables": ctx.tables, "figures": ctx.figures,
                              "table_resolution": ctx.resolutions}
        if progress:
            print(f"[report] section {name}: {'ok' if error is None else 'FAILED'} in {seconds:.1f} s",
                  file=sys.stderr, flush=True)
    for meta in section_meta.values():  # sections built before seeds were recorded per section
        meta.setdefault("seed", old.get("seed"))
    assemble(out_dir)
    manifest = {
        "suite": "infogeo",
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "git_commit": _git_commit(),
        "seed": seed,
        "seed_note": "the seed of this command; sections.<name>.seed is the seed each section was built with",
        "table_float_digits": TABLE_DIGITS,
        "table_float_format": TABLE_FLOAT_FORMAT,
        "model": model,
        "versions": _versions(),
        "torch_kernels": _torch_kernels(),
        "data_sha256": _data_checksums(),
        "sections": section_meta,
        "run_seconds_total": round(sum(v["seconds"] for v in section_meta.values()), 2),
        "generated_unix": int(time.time()),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest


def assemble(out_dir: Path) -> None:
    """Write report.md and report.html from the saved state of every section that has one, in order, after the
    title and the summary (which reads the tables the sections left on disk)."""
    blocks = [Heading(TITLE, 1), summary_block(out_dir, SECTION_TITLES), Para(_preamble())]
    for name in SECTION_NAMES:
        path = out_dir / "sections" / f"{name}.json"
        if path.exists():
            blocks += from_json(json.loads(path.read_text()))
    (out_dir / "report.md").write_text(render_markdown(blocks, out_dir))
    (out_dir / "report.html").write_text(render_html(blocks, out_dir, TITLE))


def _preamble() -> str:
    return ("Generated by `python -m reports` from the infogeo suite, which checks Tan, Li and Huang, *The "
            "Information of Large Language Model Geometry* (arXiv:2402.03471). Every number comes from `tables/`; "
            "`manifest.json` records versions, seeds, data checksums and timings. Verdicts: **holds**; "
            "**holds-under-conditions** (a regime the paper does not exclude breaks it); **corrected** (the printed "
            "statement fails, a corrected one is verified); **refuted**.")
