"""Section 5 for the report: measure the smallest mini-Pythia sizes (or one given model) and hand back tidy tables.

:func:`report_tables` trains what is missing of the report's sizes of the
family (:data:`REPORT_SIZES`, its own cache), measures each size's final
checkpoint with one :class:`MeasureConfig` into ``<out_dir>/<size>/`` and
reuses a run whose marker records the same model, revision, config and family
recipe (the engine's marker is the only cache of the measurements). Figures
are drawn from these tables by :mod:`empirical.measure.plots`. The theory tests
on this family's losses are retired (issue 20: the skill-language section tests
the theory on transformers whose answers are known); ``infogeo minipythia`` and
``python -m empirical fit`` still run them on the whole family.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from infogeo.validation import ValidationError

from ..io import read_table
from .config import MeasureConfig
from .engine import run_measurements
from .jobs import finished
from .measurements import REGISTRY

__all__ = ["N_TEXTS", "MAX_TOKENS", "REPORT_SIZES", "report_config", "measure_cached", "report_tables"]

#: Texts and tokens per text for the report's measurements: enough for stable means, small enough for CPU.
N_TEXTS = 24
#: The family's sizes the report trains and measures: the three smallest (6.6k, 25k and 150k non-embedding
#: parameters). Figure 1's trend needs a few sizes, not large ones: measured on all six (report of 2026-11-23, last
#: layer, mean ± sd over the 24 texts) the normalized entropy falls 0.846 ± 0.016, 0.640 ± 0.022, 0.449 ± 0.027
#: over these three (steps of 7 or more sd) and goes on to 0.404, 0.355, 0.296 at 450k, 800k and 1.8m; the three
#: train in about an eighth of the six's time (0.6m of 5.4m parameters with embeddings, per step).
REPORT_SIZES = ("7k", "26k", "150k")
MAX_TOKENS = 128


def report_config(seed: int = 0) -> MeasureConfig:
    """The report's measurement: the paper's parameters on every layer of the first N_TEXTS texts."""
    return MeasureConfig(layers="all", max_tokens=MAX_TOKENS, text_limit=N_TEXTS, seed=seed)


#: The report measures the (small) mini-Pythia models with float64 weights and activations: float32 forward
#: passes differ between CPUs' kernels (AVX2, AVX-512, generic) by ~1e-5 relative in the measured quantities, which
#: would change the tables' sixth digits from machine to machine; in float64 they agree far below it.
REPORT_DTYPE = "float64"
#: torch threads for the report's forward passes, whatever the machine's core count: the thread count sets the order
#: of torch's and MKL's sums, so a fixed count (with the kernels pinned) gives the same tables on every machine.
REPORT_THREADS = 2


def measure_cached(model, revision: str | None, folder, config: MeasureConfig, *, recipe: str | None = None,
                   progress: bool = True, dtype: str = REPORT_DTYPE) -> dict[str, Path]:
    """The tables of ``model`` measured with ``config`` in ``folder``: reused when its marker matches, else remade."""
    done = finished(folder, model=str(model), revision=revision, config=config, recipe=recipe, dtype=dtype)
    if done is not None:
        return done
    return run_measurements(model, config, revision=revision, out_dir=folder, progress=progress, overwrite=True,
                            recipe=recipe, dtype=dtype)


def _read(path, label: str) -> pd.DataFrame:
    """An engine table with its ``model`` column (a machine-specific path for local models) set to ``label``."""
    df = read_table(path, keep_default_na=False, na_values=[""])
    df["model"] = label
    return df


def _measurement_tables(runs: dict, params: dict | None) -> dict[str, pd.DataFrame]:
    """The report's measurement tables from each model's run (``runs``: label -> {table: CSV path}).

    Each registered measurement's :meth:`~empirical.measure.measurements.Measurement.report_tables` gets its
    engine tables: a text measurement every model's rows (``params``: size -> parameters, to order models), a
    model-scope measurement those of the last (largest) model of ``runs``.
    """
    biggest = list(runs)[-1]
    out = {}
    for spec in REGISTRY.values():
        sources = runs if spec.scope == "text" else {biggest: runs[biggest]}
        tables = {t.name: pd.concat([_read(paths[t.name], label) for label, paths in sources.items()],
                                    ignore_index=True)
                  for t in spec.tables if all(t.name in paths for paths in sources.values())}
        if tables:
            out.update(spec.report_tables(tables, params))
    return out


def report_tables(seed: int = 0, progress: bool = True, model=None, *, out_dir=None) -> dict[str, pd.DataFrame]:
    """Every table of the report's section 5.

    Without ``model``: the mini-Pythia sizes :data:`REPORT_SIZES` (trained on
    first use) at their final checkpoint; the tables are ``minipythia_losses``
    (those sizes, every checkpoint) and the measurement tables (``measure_*``,
    model column = size name). With ``model`` (a local path or hub id): that
    model's ``measure_*`` tables only. Runs are kept in ``out_dir`` (default
    ``<cache>/measurements``), one folder per model.
    """
    from infogeo.checkpoints import cache_root

    config = report_config(seed)
    root = Path(out_dir) if out_dir is not None else cache_root() / "measurements"
    from ..minipythia.train import fixed_threads

    if model is not None:
        if not isinstance(model, (str, Path)) or not str(model).strip():
            raise ValidationError(f"--model must name a local model folder or a hub id, got {model!r} (leave it out "
                                  "for the mini-Pythia family)")
        name = Path(model).name or str(model)
        with fixed_threads(REPORT_THREADS):
            runs = {name: measure_cached(model, None, root / name, config, progress=progress)}
        return _measurement_tables(runs, None)
    from ..minipythia import ensure_family

    info = ensure_family(list(REPORT_SIZES), progress=progress)  # the recipe's 2 training threads
    losses = read_table(info.losses_path)
    losses = losses[losses["size"].isin(REPORT_SIZES)].reset_index(drop=True)  # whatever else the cache holds
    final = f"step{info.steps[-1]}"
    with fixed_threads(REPORT_THREADS):
        runs = {name: measure_cached(path, final, root / name, config, recipe=info.config.hash, progress=progress)
                for name, path in info.sizes.items()}
    last = losses[losses["step"] == losses["step"].max()]
    return {"minipythia_losses": losses,
            **_measurement_tables(runs, dict(zip(last["size"], last["params_nonembedding"])))}
