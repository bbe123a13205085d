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
- ``infogain`` (Section 4.1, Theorem 4.1, Figure 3; :func:`infogain_rows`): ``I(y_T; f) = ½ log det(I + σ⁻² K_T)``,
  inner-product kernel on l2-normalized states, σ = 0.01, divided by d; its increment at each role of an example
  (``n_a n_b x = a``), averaged over examples 2..8. The truth: the separator brings 0 nats (it is known from the
  position), the name and input bring all of the example's new information. Read as "the new information a token
  brings", the increment must be smallest at the separator. Nulls: the step-0 (untrained) checkpoint of the same
  size, and the trained model on the same sequences with their tokens shuffled (no position pattern left). At the
  embedding layer an exact repeat of a token has a known increment, ``½ log(1 + 1/(m + σ²))`` after m copies
  (``repeat_value``, computed by the same metric on identical rows).
- ``hint`` (Lemma 3.14, Theorem 3.15): :mod:`._skilllang_hint`, a hint token trained into the language.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["section4_tables", "section4_blocks", "infogain_rows", "role_increments", "load_checkpoint",
           "ROLES"]

N_SEQ = 24  # held-out sequences per size (4 per skill over the 6 most frequent skills)
ROLES = ("n_a", "n_b", "x", "sep", "answer")  # the five tokens of an example, in order


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


def _forward(lm, seqs, attentions: bool = True):
    """(embedding-layer states, last-layer states, last layer's attention averaged over heads or None)."""
    import torch

    with torch.no_grad():
        out = lm.model(torch.as_tensor(seqs), output_hidden_states=True, output_attentions=attentions)
    att = out.attentions[-1].double().mean(1).numpy() if attentions else None
    return out.hidden_states[0].double().numpy(), out.hidden_states[-1].double().numpy(), att


def _picks(lm, lang, seqs):
    from empirical.measure import metrics

    _, H, A = _forward(lm, seqs)
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


def _example(lang, k, x, a):
    return np.concatenate([lang.names[k] + lang.letter0, (x + lang.input0)[:, None], np.ones((len(k), 1), np.int64),
                           (a + lang.answer0)[:, None]], axis=1)


def load_checkpoint(path, step: int):
    """One checkpoint through the measurement engine (eager attention: the attention rows are read)."""
    from transformers.utils import logging as hf_logging

    from empirical.measure.models import load_model

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # one bar per size and alpha would bury the report's own progress
    try:
        return load_model(str(path), revision=f"step{int(step)}", device="cpu", dtype="float32",
                          attn_implementation="eager")
    finally:
        if was:
            hf_logging.enable_progress_bar()


def role_increments(states, example_len: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Information gain of each sequence's states (n, L, d): (mean increment of each of the ``example_len`` roles
    over the examples after the first (example_len,), mean increment at each T (L,), mean I(y_T; f)/d (L,))."""
    from empirical.measure import metrics

    curves = [metrics.info_gain_curve(h) for h in states]
    inc = np.array([c["increment"] for c in curves])
    gain = np.array([c["info_gain_normalized"] for c in curves])
    roles = inc[:, example_len:].reshape(len(inc), -1, example_len).mean(axis=(0, 1))
    return roles, inc.mean(axis=0), gain.mean(axis=0)


def repeat_value(per_seq: int) -> float:
    """The mean increment of a token repeated exactly once per example, over examples 2..per_seq (the same metric
    on identical rows: ``½ log(1 + 1/(m + σ²))`` after m copies)."""
    from empirical.measure import metrics

    return float(metrics.info_gain_curve(np.ones((per_seq, 1)))["increment"][1:].mean())


def infogain_rows(trained, untrained, seqs, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Role increments at the embedding and the last layer for the trained model, the untrained one (step 0) and the
    trained one on the same sequences with each sequence's tokens shuffled; and the last layer's curves over T."""
    shuffled = np.random.default_rng([seed, 0x5AF]).permuted(seqs, axis=1)
    rows, curves = [], []
    for variant, lm, data in (("trained", trained, seqs), ("step 0", untrained, seqs),
                              ("shuffled tokens", trained, shuffled)):
        H0, HL, _ = _forward(lm, data, attentions=False)
        for layer, H in (("embedding", H0), ("last", HL)):
            roles, inc, gain = role_increments(H)
            rows.append({"variant": variant, "layer": layer, **dict(zip(ROLES, roles)),
                         "gap": float(roles[:3].mean() - roles[3]), "gain_norm_T": float(gain[-1]),
                         "T": H.shape[1], "d": H.shape[2]})
            if layer == "last" and variant != "shuffled tokens":
                curves += [{"variant": variant, "t": t + 1, "gain_norm": g, "increment": i}
                           for t, (g, i) in enumerate(zip(gain, inc))]
    return rows, curves


def _size_row(path, step, lang, seqs, k):
    from empirical.measure import metrics

    lm = load_checkpoint(path, step)
    picks, H = _picks(lm, lang, seqs)
    ent = np.mean([metrics.entropy_measures(h)["matrix_entropy"] for h in H])
    ig, curves = infogain_rows(lm, load_checkpoint(path, 0), seqs)
    return {**picks, "distance_auc_same_skill": _distance_auc(H, k, seqs.shape[1]), "null_auc": 0.5,
            "matrix_entropy": float(ent)}, ig, curves


def section4_tables(tabs: dict, root=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(one row per (alpha, size) at the last checkpoint: the measurements above with their null baselines;
    the information gain: one row per (alpha, size, variant, layer); its curves over T, last layer)."""
    import torch

    from infogeo.checkpoints import cache_root

    torch.set_num_threads(1)
    rows, ig_rows, curve_rows = [], [], []
    for _, lang_row in tabs["languages"].iterrows():
        lang = _language(lang_row)
        seqs, k, _ = _held_sequences(lang, N_SEQ)
        fam = cache_root(root) / "skilllang" / lang_row["cache"]
        sizes = tabs["sizes"][tabs["sizes"]["alpha"] == lang.alpha]
        for s in sizes.itertuples():
            r, ig, curves = _size_row(fam / s.size, int(lang_row["steps"]), lang, seqs, k)
            tag = {"alpha": lang.alpha, "size": s.size, "params_nonembedding": s.params_nonembedding,
                   "skills_learned": s.skills_learned}
            rows.append({**tag, **r})
            ig_rows += [{**tag, **row, "repeat_value": repeat_value(lang.per_seq)} for row in ig]
            curve_rows += [{**tag, **row} for row in curves]
    return pd.DataFrame(rows), pd.DataFrame(ig_rows), pd.DataFrame(curve_rows)


#: Columns shown in report.md (the CSVs keep every column and row).
HINT_COLS = ["skills", "hint", "H", "H_known", "H_unknown", "CE", "CE_known", "CE_unknown"]


def _s4_sentence(s4, largest) -> str:
    """The largest size's attention, Lasso, distance and entropy measurements against their nulls (the CSV has every
    size)."""
    d = s4[s4["size"].astype(str).isin(largest)].sort_values("alpha")

    def each(col, f=".2f"):
        return "/".join(format(v, f) for v in d[col])

    return (f"Last checkpoint, largest size, α = {each('alpha', 'g')}; {N_SEQ} sequences, answer set by 3 of 38 "
            f"tokens: attention precision {each('attention_precision')}, Lasso {each('lasso_precision', '.3f')} "
            f"(null 3/38 = {3 / 38:.3f}); JS-distance AUC same vs other skill {each('distance_auc_same_skill')} (null "
            f"0.5); matrix entropy {each('matrix_entropy')} ([every size](tables/skilllang_section4.csv)).")


def _infogain_sentence(ig, largest) -> str:
    """What the information gain shows, from its table: the separator against the name and input, with the nulls."""
    last = ig[(ig["layer"] == "last") & ig["size"].astype(str).isin(largest)]
    emb = ig[(ig["layer"] == "embedding") & (ig["variant"] == "trained")]

    def gaps(variant):
        g = last.loc[last["variant"] == variant, "gap"]
        return f"{g.min():+.2f}..{g.max():+.2f}"

    return (f"Information gain (Thm 4.1, σ = 0.01): as new information, lowest at `=` (0 nats). Embedding layer: `=` "
            f"{emb['sep'].min():.3f}–{emb['sep'].max():.3f} (exact repeat {emb['repeat_value'].iloc[0]:.3f}). Last "
            f"layer, largest size, name/input − `=`: trained {gaps('trained')}, step 0 {gaps('step 0')}, shuffled "
            f"{gaps('shuffled tokens')}: trained, `=` (which computes the answer) is as novel as the name. I/d falls "
            "with size untrained too.")


def _hint_sentence(h) -> str:
    """What the hint test shows, from its table: the measured values beside the exact ones, and the null's gaps."""
    def val(group, kind, col, model="hint"):
        d = h[(h["model"] == model) & h["skills"].str.startswith(group) & (h["hint"] == kind)]
        return float(d[col].iloc[0]) if len(d) else np.nan

    null = h["model"].iloc[-1]
    gap = max(abs(val(g, k, c, null) - val(g, "none", c, null)) for g in ("frequent", "rare")
              for k in ("irrelevant", "good", "misleading") for c in ("H", "CE"))
    return (f"Hint token trained in (Thm 3.15; {h['size'].iloc[0]}, α = {h['alpha'].iloc[0]:g}, reliability "
            f"{h['reliability'].iloc[0]:.2f}; `_known`/`_unknown`: Bayes with/without the skill). Frequent H: good "
            f"{val('frequent', 'good', 'H'):.2f} < none {val('frequent', 'none', 'H'):.2f} ≈ irrelevant "
            f"{val('frequent', 'irrelevant', 'H'):.2f} < misleading {val('frequent', 'misleading', 'H'):.2f}; rare: "
            f"misleading lowers H too. Null (hint independent of the answer): largest |gap| {gap:.3f}.")


def section4_blocks(ctx, tabs, largest) -> list:
    """Section 5's block of Section 4's measurements: tables (CSVs in full), the information-gain figure, sentences."""
    from simulate.skilllang import plots

    from ..blocks import Heading, Para, Table
    from ._skilllang_hint import hint_table

    opts = ctx.options.get("skilllang", {})
    s4, ig, curves = section4_tables(tabs, root=opts.get("root"))
    hint = hint_table(tabs, load_checkpoint, root=opts.get("root"), processes=opts.get("processes", 2),
                      progress=ctx.progress)
    ctx.table("skilllang_section4", s4)
    rel_ig = ctx.table("skilllang_infogain", ig)
    ctx.table("skilllang_infogain_curves", curves)
    rel_h = ctx.table("skilllang_hint", hint)
    alpha = float(tabs["languages"]["alpha"].iloc[0])
    return [Heading("Section 4's measurements where the answer is known", 3),
            Para(_s4_sentence(s4, largest)),
            Para(_infogain_sentence(ig, largest)),
            ctx.save_figure(plots.fig_infogain(curves, ig), "skilllang_infogain",
                            f"Figure 3 on the family (α = {alpha:g}); right: increment by token, largest size "
                            f"([every size, layer and variant]({rel_ig}))."),
            Para(_hint_sentence(hint)),
            Table(rel_h, "Hint: answer entropy H, cross-entropy CE (nats)",
                  columns=HINT_COLS, where={"model": "hint", "hint": ["none", "good", "misleading"]},
                  clip={"skills": [" ("]})]
