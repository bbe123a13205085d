"""Builds ``reports/latest/``: the theory-vs-data report (report.md, report.html, figures/, tables/, manifest.json).

Each section runs on its own (:mod:`reports.sections` discovers them): one after another in this process, or with
``jobs`` > 1 each in a fresh process of a pool (:mod:`reports.parallel`). A section writes its tables and figures to
a staging folder; they replace the report's only when the section built. A failure is written into the report and
the manifest and the other sections are kept; a section whose rebuild fails where a good build of it exists keeps
that build (the report and the manifest say so). ``only=`` rebuilds one section and reassembles the report from the
saved state of the others. Every option is checked before any section starts.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from empirical.io import DATA_DIR, read_checksums
from infogeo.validation import ValidationError, ValidationTypeError, nonnegative_int, positive_int

from .blocks import Figure, Heading, Para, from_json, render_html, render_markdown, to_json
from .sections import discover, numbered_titles
from .style import save
from .summary import summary_block
from .tables import TABLE_DIGITS, TABLE_FLOAT_FORMAT, write_table

DEFAULT_OUT = Path(__file__).resolve().parent / "latest"
TITLE = "infogeo report: The Information of Large Language Model Geometry, checked"
#: ``<out>/.stage/<name>/``: where a section writes while it builds; ``<out>/logs/<name>.log``: its output in a pool.
STAGE_DIR, LOG_DIR = ".stage", "logs"
#: The start of the note a kept section carries after a failed rebuild (replaced by the next one).
KEPT_NOTE = "**The last rebuild of this section failed**"


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
    #: where tables/ and figures/ go (the staging folder while a build runs; default ``out_dir``); ``out_dir``
    #: keeps what outlives one build (the measurements' cache)
    stage_dir: Path | None = None

    @property
    def root(self) -> Path:
        return Path(self.stage_dir) if self.stage_dir is not None else Path(self.out_dir)

    @property
    def tables_dir(self) -> Path:
        return self.root / "tables"

    @property
    def figures_dir(self) -> Path:
        return self.root / "figures"

    def table(self, name: str, df: pd.DataFrame, resolution: dict | None = None) -> str:
        """Write a tidy table as CSV with :data:`TABLE_DIGITS` significant digits, so that the same seed gives the
        same bytes here and on another machine. ``resolution``: column -> absolute resolution, for columns whose
        small values are floating-point noise (an optimizer's final gradient norm, a relative error of 1e-13):
        they are rounded to a multiple of it first (recorded in the manifest)."""
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        rel = f"tables/{name}.csv"
        write_table(df, self.root / rel, resolution)
        if resolution:
            self.resolutions[rel] = dict(resolution)
        self.tables.append(rel)
        return rel

    def save_figure(self, fig, name: str, caption: str) -> Figure:
        """Save ``fig`` as figures/<name>.png in the report style (no embedded versions or dates); return its block.

        The one way a section writes a figure; ``name`` may hold a sub-folder (``minipythia/fit_params``).
        """
        rel = f"figures/{name}.png"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        save(fig, path)
        self.figures.append(rel)
        return Figure(rel, caption)


#: name -> numbered heading of every discovered section, in order
SECTION_TITLES = numbered_titles()
SECTION_NAMES = tuple(SECTION_TITLES)


def _sections() -> dict:
    """name -> (numbered title, build function) of every section, in order."""
    return {name: (SECTION_TITLES[name], sec.build) for name, sec in discover().items()}


def build_section(name: str, out_dir, *, seed: int = 0, progress: bool = True, model: str | None = None,
                  options: dict | None = None, log: str | None = None) -> dict:
    """Build section ``name`` into ``<out_dir>/.stage/<name>/`` and return what the report keeps of it: its blocks
    (JSON), the files it wrote, its time and its error (None when it built). Runs in this process or a worker's
    (``log``: a file that takes the worker's output)."""
    if log is not None:
        _redirect_output(Path(log))
    out_dir = Path(out_dir)
    title, fn = _sections()[name]
    stage = out_dir / STAGE_DIR / name
    shutil.rmtree(stage, ignore_errors=True)
    ctx = SectionContext(name, out_dir, seed=seed, progress=progress, model=model, options=dict(options or {}),
                         stage_dir=stage)
    t0 = time.perf_counter()
    error = tb = None
    try:
        blocks = [Heading(title, 2)] + list(fn(ctx))
    except Exception as exc:  # one section's failure must not lose the others
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        blocks = [Heading(title, 2), Para(f"**This section failed to build:** `{error}`. The other sections are "
                                          "unaffected; the full traceback is in manifest.json.")]
        tb = traceback.format_exc()
        print(tb, file=sys.stderr, flush=True)
    return {"name": name, "title": title, "seed": seed, "seconds": round(time.perf_counter() - t0, 2),
            "blocks": to_json(blocks), "error": error, "traceback": tb, "tables": ctx.tables,
            "figures": ctx.figures, "table_resolution": ctx.resolutions, "torch_kernels": _torch_kernels()}


def _redirect_output(log: Path) -> None:
    """Send this process's stdout and stderr (Python's and the C libraries') to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    f = open(log, "w", buffering=1)  # noqa: SIM115  (the worker's output until it exits)
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        stream.flush()
        os.dup2(f.fileno(), fd)
    sys.stdout = sys.stderr = f


def commit_section(out_dir: Path, result: dict, old_meta: dict | None) -> dict:
    """Put a built section into the report and return its manifest entry.

    Built: its staged files replace the report's (files its previous build wrote and this one did not are
    removed), its state is saved. Failed where a good previous build exists: that build stays (files and state,
    with a note saying the rebuild failed, and ``kept_previous`` in the manifest). Failed without one: the failure is
    the section's content.
    """
    name, stage = result["name"], out_dir / STAGE_DIR / result["name"]
    state = out_dir / "sections" / f"{name}.json"
    keys = ("title", "seed", "seconds", "error", "traceback", "tables", "figures", "table_resolution")
    meta = {k: result[k] for k in keys} | {"ok": result["error"] is None}
    good_before = bool(old_meta) and (old_meta.get("ok") or old_meta.get("kept_previous"))
    if result["error"] is not None and good_before and state.exists():
        blocks = [b for b in json.loads(state.read_text()) if not str(b.get("text", "")).startswith(KEPT_NOTE)]
        note = Para(f"{KEPT_NOTE} (`{result['error']}`); shown: its previous build (seed {old_meta.get('seed')}). "
                    "The traceback is in manifest.json.")
        state.write_text(json.dumps(blocks[:1] + to_json([note]) + blocks[1:], indent=1))
        shutil.rmtree(stage, ignore_errors=True)
        return dict(old_meta, ok=False, kept_previous=True, error=result["error"], traceback=result["traceback"])
    if result["error"] is not None:  # nothing good to keep: the failure is the section's content, no half tables
        state.write_text(json.dumps(result["blocks"], indent=1))
        shutil.rmtree(stage, ignore_errors=True)
        return meta | {"tables": [], "figures": [], "table_resolution": {}}
    written = set(result["tables"]) | set(result["figures"])
    for rel in written:
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, out_dir / rel)
    for rel in set((old_meta or {}).get("tables", [])) | set((old_meta or {}).get("figures", [])):
        if rel not in written:
            (out_dir / rel).unlink(missing_ok=True)
    state.write_text(json.dumps(result["blocks"], indent=1))
    shutil.rmtree(stage, ignore_errors=True)
    return meta


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
    """The CPU kernels torch ran with: ATen's capability as torch reports it (``AVX2`` when ``python -m reports``
    pinned it), the torch version and the MKL/oneDNN pins (:func:`infogeo.torch_kernel_settings`); None where this
    process did not load torch (the manifest takes the first section's that did)."""
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


def check_options(only, seed, model, jobs) -> tuple[list[str], int, str | None, int]:
    """Every option of a build, checked before any work: (sections to build, seed, model, jobs)."""
    wanted = [only] if isinstance(only, str) else list(only) if only is not None else list(SECTION_NAMES)
    for name in wanted:
        if name not in SECTION_NAMES:
            raise ValidationError(f"only must be one of {', '.join(SECTION_NAMES)}, got {name!r}")
    if not wanted:
        raise ValidationError("only must name at least one section")
    seed = nonnegative_int(seed, "seed")  # every section seeds numpy's generators, which refuse negative seeds
    jobs = positive_int(jobs, "jobs")
    if model is not None:
        if not isinstance(model, str):
            raise ValidationTypeError(f"model must be a local folder or a hub id, got {model!r}")
        if not model.strip():
            raise ValidationError("model (--model) must name a model: a local folder or a hub id, got ''")
        local = Path(model).expanduser()
        if not local.exists() and (local.is_absolute() or model.startswith((".", "~")) or model.count("/") > 1):
            raise ValidationError(f"model (--model): no such folder: {model}")
    return [n for n in SECTION_NAMES if n in wanted], seed, model, jobs


def build_report(out_dir=DEFAULT_OUT, *, only: str | list[str] | None = None, model: str | None = None, seed: int = 0,
                 progress: bool = True, options: dict | None = None, jobs: int = 1) -> dict:
    """Build the report into ``out_dir``; returns the manifest (also written as manifest.json).

    ``only``: the section (or list of sections) to rebuild, the others kept from their saved state; ``jobs``:
    sections built at once, each in a fresh process (1: one after another in this process). The manifest's
    ``failed`` lists the sections whose build failed in this call.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    names, seed, model, jobs = check_options(only, seed, model, jobs)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sections").mkdir(exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    old_meta = old.get("sections", {})
    section_meta = dict(old_meta) if only is not None else {}
    failed, kernels = [], [_torch_kernels()]

    def done(result: dict) -> None:
        kernels.append(result.get("torch_kernels"))
        meta = commit_section(out_dir, result, old_meta.get(result["name"]))
        section_meta[result["name"]] = meta
        if result["error"] is not None:
            failed.append(result["name"])
        if progress:
            state = "ok" if meta["ok"] else ("FAILED, previous build kept" if meta.get("kept_previous") else "FAILED")
            print(f"[report] section {result['name']}: {state} in {result['seconds']:.1f} s",
                  file=sys.stderr, flush=True)

    task = {"out_dir": str(out_dir), "seed": seed, "progress": progress, "model": model, "options": options or {}}
    try:
        if jobs > 1 and len(names) > 1:
            from .parallel import build_parallel

            build_parallel(names, task, jobs, done, build_section=build_section, titles=SECTION_TITLES,
                           log_dir=LOG_DIR, progress=progress, previous=old_meta)
        else:
            for name in names:
                if progress:
                    print(f"[report] section {name}: {SECTION_TITLES[name]}", file=sys.stderr, flush=True)
                done(build_section(name, **task))
    finally:
        shutil.rmtree(out_dir / STAGE_DIR, ignore_errors=True)
    for meta in section_meta.values():  # sections built before seeds were recorded per section
        meta.setdefault("seed", old.get("seed"))
    section_meta = {n: section_meta[n] for n in SECTION_NAMES if n in section_meta}
    assemble(out_dir)
    manifest = _manifest(seed, model, jobs, section_meta, failed, next((k for k in kernels if k), None))
    manifest["wall_seconds"] = round(time.perf_counter() - t0, 2)
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest


def _manifest(seed: int, model: str | None, jobs: int, section_meta: dict, failed: list, kernels) -> dict:
    return {
        "suite": "infogeo",
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "git_commit": _git_commit(),
        "seed": seed,
        "seed_note": "the seed of this command; sections.<name>.seed is the seed each section was built with",
        "table_float_digits": TABLE_DIGITS,
        "table_float_format": TABLE_FLOAT_FORMAT,
        "model": model,
        "versions": _versions(),
        "torch_kernels": kernels,
        "data_sha256": _data_checksums(),
        "jobs": jobs,
        "sections": section_meta,
        "failed": failed,
        "run_seconds_total": round(sum(v["seconds"] for v in section_meta.values()), 2),  # wall_seconds: this call
        "generated_unix": int(time.time()),
    }


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
    return ("Generated by `python -m reports` (infogeo) for the paper of Tan, Li and Huang (arXiv:2402.03471); every "
            "number is in `tables/`, versions and seeds in `manifest.json`; the verdicts are defined where section 1 "
            "counts them.")
