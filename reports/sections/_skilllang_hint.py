"""Lemma 3.14 and Theorem 3.15 with a hint token trained into the skill language, against the exact Bayes values.

Glue only: the hint language, its rates and the exact (Bayes-optimal) answer distributions come from
:mod:`simulate.skilllang.hint`; the models are trained (or loaded from the cache) by
:func:`simulate.skilllang.ensure_families` and loaded through :func:`empirical.measure.models.load_model`.

Two models of one size (the family's largest of width <= :data:`HINT_WIDTH`), trained with the family's recipe on
the hint language: one with informative hints (:data:`~simulate.skilllang.hint.HINT_RATES`), one whose hint token
is independent of the answer (:func:`~simulate.skilllang.hint.null_hint_rates`: the null baseline; every exact gap
is 0 there). Each (skill, input) of a group (frequent: ranks 1-6; rare: ranks 129-152) is probed after every hint
value (=, ?, h0..h7) as the last example of a sequence whose first seven examples are a fresh draw of the stream
(the same draw for every hint of a pair); :func:`simulate.skilllang.hint.hint_expectations` averages the answer
entropy and cross-entropy over the hints each kind draws, exactly as for the Bayes references.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

__all__ = ["HINT_WIDTH", "hint_configs", "hint_rows", "hint_table"]

HINT_WIDTH = 32  #: the hint models' width: the family's largest size of at most this width, same recipe otherwise
GROUPS = {"frequent (ranks 1-6)": (0, 6), "rare (ranks 129-152)": (128, 152)}


def hint_configs(fam) -> list:
    """The two hint models of the family at ``fam`` (its ``recipe.json``): the same language, size, schedule and
    seeds, with informative hints and with hints independent of the answer (the null)."""
    from simulate.skilllang import SkillLanguage
    from simulate.skilllang.hint import HINT_RATES, hint_config, null_hint_rates
    from simulate.skilllang.model import SizeSpec

    rec = json.loads((fam / "recipe.json").read_text())
    lang = SkillLanguage(**rec["language"])
    sizes = [SizeSpec(**s) for s in rec["sizes"]]
    size = max((s for s in sizes if s.d_model <= HINT_WIDTH), key=lambda s: s.d_model, default=sizes[0])
    sched = {k: rec[k] for k in ("steps", "batch_seqs", "lr", "warmup", "seed", "data_seed")}
    return [hint_config(lang, size, r, n_even=2, eval_every=rec["steps"], **sched)
            for r in (HINT_RATES, null_hint_rates(lang.answers))]


def _probe_log_probs(model, lang, k, x, seed: int = 0) -> np.ndarray:
    """(pairs, V+2, V) log-probabilities of the V answers after (k, x, hint) for every hint value."""
    import torch

    rng = np.random.default_rng([seed, 0x4147])
    nh = lang.hint_ids.size
    seqs = np.repeat(lang.sample(k.size, rng), nh, axis=0)
    last = seqs[:, -5:]
    last[:, :2] = np.repeat(lang.names[k] + lang.letter0, nh, axis=0)
    last[:, 2] = np.repeat(x + lang.input0, nh)
    last[:, 3] = np.tile(lang.hint_ids, k.size)
    last[:, 4] = np.repeat(lang.table[k, x] + lang.answer0, nh)  # never seen: the model predicts it
    with torch.no_grad():
        logits = model(torch.as_tensor(seqs)).logits[:, -2].double()
    lp = torch.log_softmax(logits, -1)[:, lang.answer0:lang.answer0 + lang.answers].numpy()
    return lp.reshape(k.size, nh, lang.answers)


def hint_rows(model, lang) -> list[dict]:
    """Per skill group and hint kind: the model's answer entropy and cross-entropy (to the true answer), and the
    exact values of a Bayes-optimal model that knows the skill (``*_known``) and of one that does not
    (``*_unknown``)."""
    from simulate.skilllang.hint import KINDS, hint_expectations

    rows = []
    for group, (lo, hi) in GROUPS.items():
        if hi > lang.skills:
            continue
        k = np.repeat(np.arange(lo, hi), lang.inputs)
        x = np.tile(np.arange(lang.inputs), hi - lo)
        q = lang.answer_distribution()[k, x]
        u = np.full_like(q, 1.0 / lang.answers)
        got = hint_expectations(lang, q, _probe_log_probs(model, lang, k, x))
        known = hint_expectations(lang, q, np.log(lang.posterior(q)))
        unknown = hint_expectations(lang, q, np.log(lang.posterior(u)))
        for i, kind in enumerate(KINDS):
            rows.append({"skills": group, "hint": kind, "H": got["entropy"][:, i].mean(),
                         "H_known": known["entropy"][:, i].mean(), "H_unknown": unknown["entropy"][:, i].mean(),
                         "CE": got["cross_entropy"][:, i].mean(), "CE_known": known["cross_entropy"][:, i].mean(),
                         "CE_unknown": unknown["cross_entropy"][:, i].mean()})
    return rows


def hint_table(tabs: dict, load_checkpoint, root=None, *, processes: int = 2, progress: bool = False) -> pd.DataFrame:
    """Both hint models of the first alpha's family (trained here on first use, then cached): one row per (model,
    skill group, hint kind). ``load_checkpoint(path, step)``: the section's loader (through the measurement engine),
    passed in so that this module does not import the one that assembles the block."""
    import torch

    from infogeo.checkpoints import cache_root
    from simulate.skilllang import ensure_families

    row = tabs["languages"].iloc[0]
    cfgs = hint_configs(cache_root(root) / "skilllang" / row["cache"])
    runs = ensure_families(cfgs, root=root, processes=processes, progress=progress)
    torch.set_num_threads(1)
    out = []
    for cfg, (run,), name in zip(cfgs, runs, ("hint", "null: hint independent of the answer")):
        lang = cfg.language
        lm = load_checkpoint(run.path, cfg.steps)
        tag = {"model": name, "alpha": lang.alpha, "size": run.name, "reliability": lang.hint_good /
               (lang.hint_good + lang.hint_misleading), "C": lang.loss_floor(), "B": lang.loss_unlearned()}
        out += [{**tag, **r} for r in hint_rows(lm.model, lang)]
    return pd.DataFrame(out)
