"""Section 3 (Assumption 3.5, Lemma 3.6, Theorems 3.7, 3.8) asked of transformers, on a language whose truth is known.

A synthetic *skill language* (:mod:`.language`: M skills with p_k ∝ k^-(alpha+1),
each named by two letters, each a lookup table of its own, a stated noise
fraction so that C and B of Definition 3.4 are exact), a GPT-NeoX family
trained on it online (:mod:`.model`, :mod:`.family`: Hugging Face checkpoints at
Pythia's spacing, cached by recipe), and the neural experiment's measurements
and verdicts applied to its per-skill held-out losses (:mod:`.analysis`). The
fitting pipeline's calibration on this family lives in
:mod:`empirical.fit.calibration` (simulate does not import empirical). See
docs/skilllang.md.

    from simulate import skilllang
    tabs = skilllang.report_tables()            # the report tier: ~5 min on 2 idle cores, then cached

Command line: ``python -m simulate neural --learner transformer --task skill-language --alpha 0.5 --json``.
"""
from .analysis import analyze_family, loss_table, normalized_loss, truth_exponents
from .experiment import TIERS, configs, report_tables, run_experiment
from .family import FamilyConfig, SizeRun, ensure_families, family_path, train_size
from .language import SkillLanguage, expected_skill_loss
from .model import SizeSpec, build_model, count_parameters, make_tokenizer

__all__ = [
    "SkillLanguage", "expected_skill_loss", "SizeSpec", "build_model", "count_parameters", "make_tokenizer",
    "FamilyConfig", "SizeRun", "ensure_families", "family_path", "train_size",
    "analyze_family", "loss_table", "normalized_loss", "truth_exponents",
    "TIERS", "configs", "run_experiment", "report_tables",
]
