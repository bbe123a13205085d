"""Mini-Pythia: a GPT-NeoX family in Pythia's image trained on CPU (Sections 3-4 measure trained LLMs).

The default model family for ``empirical measure`` and the report: small
enough to train on a laptop in minutes, with Pythia's architecture, recipe
shape and checkpoint spacing. It is *not* Pythia; see docs/minipythia.md.

    >>> from empirical.minipythia import ensure_family, losses_table
    >>> info = ensure_family()                  # builds what is missing (minutes, first time)
    >>> info.checkpoint("1.8m", 128)            # <cache>/minipythia/<family>/1.8m/step128
    >>> losses_table()                          # tidy DataFrame, one row per (size, step)
"""
from .config import DEFAULT_CONFIG, FAMILY_NAME, MINIMAL_CONFIG, FamilyConfig, SizeSpec
from .family import (
                     LOSS_COLUMNS,
                     FamilyInfo,
                     checkpoint_path,
                     ensure_family,
                     family_path,
                     load_eval_sequences,
                     losses_table,
)
from .train import count_parameters, evaluate_loss

__all__ = [
    "ensure_family", "family_path", "checkpoint_path", "losses_table", "load_eval_sequences",
    "FamilyInfo", "FamilyConfig", "SizeSpec", "DEFAULT_CONFIG", "MINIMAL_CONFIG", "FAMILY_NAME",
    "LOSS_COLUMNS", "evaluate_loss", "count_parameters",
]
