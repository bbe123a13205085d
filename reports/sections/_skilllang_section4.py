"""Section 4's measurements on the skill-language family, where the right answer is known, each beside a null baseline.

Glue only: checkpoints load through :func:`empirical.measure.models.load_model` (local path, ``revision="step<k>"``)
and every number comes from :mod:`empirical.measure.metrics`. On the *last* example of a held-out sequence (eight
examples packed, so 38 tokens precede its answer), the tokens that determine the answer are known: the skill's two
name letters and the input (3 of the 38).

- ``attention``: the last layer's attention (mean over heads) from the separator to the 38 earlier tokens: mass on
  the 3 relevant ones, null 3/38 (uniform); the tokens above 0.01 (Section 4.2's rule): precision, null 3/38.
- ``lasso``: the separator's last-layer state regressed on the 38 earlier states (Section 4.2, λ = 1e-4): the
  precision of the tokens picked, null 3/38.
- ``distance``: the JS distance (Appendix A) between two examples' token covariances (last layer, 5 tokens each):
  AUC of "same skill, other input is closer than other skill", null 0.5.
- ``entropy``: the matrix entropy (Equation 1's family, Figure 1) of a held-out sequence's last-layer states, against
  skills learned, across sizes.
- ``context`` (Lemma 3.14, Theorem 3.15; :func:`context_rows`): the example before the last one is an other skill's
  (irrelevant: the baseline), the same skill and input with its answer (good) or with a wrong answer (misleading);
  the model's entropy of the answer and its cross-entropy to the true answer distribution, for frequent skills
  (ranks 1..6) and rare ones (ranks 129..152).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["section4_tables", "context_rows"]

N_SEQ = 24  # held-out sequences per size (4 per skill over the 6 most frequent skills)


def _language(row):
    from simulate.skilllang import SkillLanguage

    keys = ("alpha", "skills", "letters", "inputs", "answers", "noise", "per_seq", "seed", "law", "name_len")
    return SkillLanguage(**{k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in keys})


def _held_sequences(lang, n, seed=0):
    """n sequences from the training stream whose last example is replaced by (skill k, input x), k cycling over the
    most frequent skills so that several sequences share a skill (for the distance AUC)."""
    rng = np.random.default_rng([seed, 0x5EC4])
    seqs = lang.sample(n, rng)
    k = np.arange(n) % min(lang.skills, 6)
    x = rng.integers(0, lang.inputs, n)
    seqs[:, -5:] = _example(lang, k, x, lang.table[k, x])
    return seqs, k, x


def _forward(lm, seqs):
    import torch

    with torch.no_grad():
        out = lm.model(torch.as_tensor(seqs), output_hidden_states=True, output_attentions=True)
    return out.hidden_states[-1].double().numpy(), out.attentions[-1].double().mean(1).numpy()


def _picks(lm, lang, seqs):
    from empirical.measure import metrics

    H, A = _forward(lm, seqs)
    L = seqs.shape[1]
    sep = L - 2
    relevant = {L - 5, L - 4, L - 3}
    rows = []
    for i in range(len(seqs)):
        att = A[i, sep, :sep]
        pa = metrics.select_tokens(att)
        beta, ok = metrics.lasso_fit(H[i, :sep], H[i, sep])
        pl = metrics.select_tokens(np.abs(beta))
        rows.append({"attention_mass_relevant": float(att[list(relevant)].sum()),
                     "attention_precision": len(relevant & set(pa.tolist())) / max(len(pa), 1),
                     "attention_picks": len(pa), "lasso_precision": len(relevant & set(pl.tolist())) / max(len(pl), 1),
                     "lasso_picks": len(pl), "lasso_converged": ok})
    return pd.DataFrame(rows).mean().to_dict() | {"null_relevant_share": 3 / sep}, H


def _distance_auc(H, k, L):
    from sklearn.metrics import roc_auc_score

    from empirical.measure import metrics

    Z = H[:, L - 5:]
    same, dist = [], []
    for i in range(len(Z)):
        for j in range(i + 1, len(Z)):
            same.append(k[i] == k[j])
            dist.append(metrics.sentence_distance(Z[i], Z[j], "js"))
    same = np.array(same)
    return float(roc_auc_score(same, -np.array(dist))) if 0 < same.sum() < same.size else np.nan


def _answer_dists(lm, lang, seqs):
    """(log-probabilities over the whole vocabulary of the V answers, entropy of the answer renormalized) at the
    last separator."""
    import torch

    with torch.no_grad():
        logits = lm.model(torch.as_tensor(seqs)).logits[:, -2].double()
    lp = torch.log_softmax(logits, -1)[:, lang.answer0:lang.answer0 + lang.answers].numpy()
    pa = np.exp(lp - np.logaddexp.reduce(lp, axis=1, keepdims=True))
    return lp, -(pa * np.log(pa)).sum(axis=1)


def context_rows(lm, lang, n: int = N_SEQ, seed: int = 1) -> list[dict]:
    """Theorem 3.15 on one model: answer entropy and cross-entropy under irrelevant, good and misleading context."""
    rng = np.random.default_rng([seed, 0xC0E7])
    base = lang.sample(n, rng)
    x = rng.integers(0, lang.inputs, n)
    q = lang.answer_distribution()
    rows = []
    groups = [("frequent (ranks 1-6)", np.arange(n) % min(6, lang.skills))]
    if lang.skills >= 152:
        groups.append(("rare (ranks 129-152)", 128 + np.arange(n) % 24))
    for group, ks in groups:
        right = lang.table[ks, x]
        for cond, prev in (("irrelevant", None), ("good", right), ("misleading", (right + 1) % lang.answers)):
            seqs = base.copy()
            seqs[:, -5:] = _example(lang, ks, x, right)
            if prev is not None:
                seqs[:, -10:-5] = _example(lang, ks, x, prev)
            lp, H = _answer_dists(lm, lang, seqs)
            ce = -(q[ks, x] * lp).sum(axis=1)
            rows.append({"skills": group, "context": cond, "answer_entropy": float(H.mean()),
                         "cross_entropy": float(ce.mean()), "C": lang.loss_floor(), "B": lang.loss_unlearned()})
    return rows


def _example(lang, k, x, a):
    return np.concatenate([lang.names[k] + lang.letter0, (x + lang.input0)[:, None], np.ones((len(k), 1), np.int64),
                           (a + lang.answer0)[:, None]], axis=1)


def _size_row(path, step, lang, seqs, k):
    from transformers.utils import logging as hf_logging

    from empirical.measure import metrics
    from empirical.measure.models import load_model

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # one bar per size and alpha would bury the report's own progress
    try:
        lm = load_model(str(path), revision=f"step{step}", device="cpu", dtype="float32", attn_implementation="eager")
    finally:
        if was:
            hf_logging.enable_progress_bar()
    picks, H = _picks(lm, lang, seqs)
    ent = np.mean([metrics.entropy_measures(h)["matrix_entropy"] for h in H])
    return {**picks, "distance_auc_same_skill": _distance_auc(H, k, seqs.shape[1]), "null_auc": 0.5,
            "matrix_entropy": float(ent)}, context_rows(lm, lang)


def section4_tables(tabs: dict, root=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per (alpha, size) at the last checkpoint: the measurements above with their null baselines;
    the context table: one row per (alpha, size, skills, context))."""
    import torch

    from infogeo.checkpoints import cache_root

    torch.set_num_threads(1)
    rows, ctx_rows = [], []
    for _, lang_row in tabs["languages"].iterrows():
        lang = _language(lang_row)
        seqs, k, _ = _held_sequences(lang, N_SEQ)
        fam = cache_root(root) / "skilllang" / lang_row["cache"]
        sizes = tabs["sizes"][tabs["sizes"]["alpha"] == lang.alpha]
        for s in sizes.itertuples():
            r, c = _size_row(fam / s.size, int(lang_row["steps"]), lang, seqs, k)
            tag = {"alpha": lang.alpha, "size": s.size, "params_nonembedding": s.params_nonembedding,
                   "skills_learned": s.skills_learned}
            rows.append({**tag, **r})
            ctx_rows += [{**tag, **row} for row in c]
    return pd.DataFrame(rows), pd.DataFrame(ctx_rows)
