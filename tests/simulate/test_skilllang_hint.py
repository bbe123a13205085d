"""The hint language (Lemma 3.14, Theorem 3.15 with the truth known): exact values, the stream, a trained null.

Laws, each of which fails on a wrong implementation:
- the closed-form Bayes answer entropy and cross-entropy under each hint kind equal a brute-force enumeration of the
  generative process (noise branch, kind, misleading draw; for the unknown skill, every table entry too);
- Lemma 3.14 (irrelevant: equality) and Theorem 3.15 as printed (a context good or irrelevant for every skill
  lowers H(X | context, Y), bad raises it), with good/bad decided by Definition 3.13 on the exact values;
- the stream is the default language's stream with the hints written into the separator's slot, at the stated rates;
- a hint made independent of the answer has every exact gap 0, and a model trained on it shows a measured gap ~0,
  while the same model trained on informative hints shows a large one.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulate.skilllang import SkillLanguage
from simulate.skilllang.hint import KINDS, HintLanguage, hint_expectations

STEPS = 300
BASE = {"alpha": 1.0, "skills": 16, "letters": 8, "inputs": 2, "answers": 4, "noise": 0.2, "per_seq": 4, "seed": 1}


def _brute(q_true, f, V, eta, rates, unknown: bool):
    """Enumerate (table entry f', noise branch, noise draw, kind, misleading draw): the model's belief P(a | hint) is
    the joint summed over everything but (a, hint) (over f' uniform when the skill is unknown, else f' = f); the
    kind-wise expectations are taken under the true q. Returns {kind: (entropy, cross-entropy)}."""
    hints = ["=", "?"] + [f"h{j}" for j in range(V)]
    belief = np.zeros((len(hints), V))
    for fp in (range(V) if unknown else [f]):
        w_f = 1 / V if unknown else 1.0
        for flip, u in itertools.product((False, True), range(V)):
            if not flip and u:
                continue
            p, a = (w_f * eta / V, u) if flip else (w_f * (1 - eta), fp)
            for c, rate in zip(KINDS, rates):
                if c == "misleading":
                    for j in range(V):
                        if j != a:
                            belief[hints.index(f"h{j}"), a] += p * rate / (V - 1)
                else:
                    h = {"none": "=", "irrelevant": "?", "good": f"h{a}"}[c]
                    belief[hints.index(h), a] += p * rate
    belief_q = np.full(V, 1 / V) if unknown else q_true
    belief[belief.sum(axis=1) == 0] = belief_q  # a hint never drawn: no update
    post = belief / belief.sum(axis=1, keepdims=True)
    H = -(post * np.log(post)).sum(axis=1)
    out = {}
    for c in KINDS:
        ent = ce = 0.0
        for a in range(V):
            hs = {"none": ["="], "irrelevant": ["?"], "good": [f"h{a}"],
                  "misleading": [f"h{j}" for j in range(V) if j != a]}[c]
            for h in hs:
                w = q_true[a] / len(hs)
                ent += w * H[hints.index(h)]
                ce -= w * np.log(post[hints.index(h), a])
        out[c] = (ent, ce)
    return out


@settings(max_examples=25, deadline=None)
@given(V=st.integers(2, 5), eta=st.floats(0.01, 0.9), g=st.floats(0.01, 0.5), m=st.floats(0.01, 0.3),
       i=st.floats(0.0, 0.2), unknown=st.booleans())
def test_exact_hint_entropies_equal_a_brute_force_enumeration(V, eta, g, m, i, unknown):
    lang = HintLanguage(**{**BASE, "answers": V, "noise": eta}, hint_good=g, hint_misleading=m, hint_irrelevant=i)
    k, x = 3, 1
    q = lang.answer_distribution()[k, x]
    belief_q = np.full(V, 1 / V) if unknown else q
    got = hint_expectations(lang, q, np.log(lang.posterior(belief_q)))
    want = _brute(q, lang.table[k, x], V, eta, lang.hint_rates, unknown)
    for n, c in enumerate(KINDS):
        assert got["entropy"][n] == pytest.approx(want[c][0], abs=1e-12)
        assert got["cross_entropy"][n] == pytest.approx(want[c][1], abs=1e-12)


def test_lemma_3_14_and_theorem_3_15_as_printed():
    """Lemma 3.14: an irrelevant context leaves H(X | Y = y) unchanged. Theorem 3.15: a context that is irrelevant or
    good (Definition 3.13: lowers H) for every skill lowers H(X | context, Y) = sum_y p(y) H(X | context, Y = y);
    bad raises it. Here every (skill, input) is a "skill" y; the Bayes-optimal model knows every skill."""
    lang = HintLanguage(**BASE)
    q = lang.answer_distribution().reshape(-1, lang.answers)
    p_y = np.repeat(lang.p, lang.inputs) / lang.inputs
    H = hint_expectations(lang, q, np.log(lang.posterior(q)))["entropy"]  # (y, kinds)
    none, irr, good, mis = H.T
    assert np.allclose(irr, none, atol=1e-13)  # Lemma 3.14
    assert (good < none).all() and (mis > none).all()  # good and bad (misleading) for every y, at these rates
    assert p_y @ good < p_y @ none < p_y @ mis  # Theorem 3.15, both directions
    assert p_y @ none == pytest.approx(lang.loss_floor())  # H(X | Y) = C for a model that knows every skill
    # For a skill the model does not know, a misleading hint is "good" in Definition 3.13's sense (it focuses the
    # answer just as much): the paper's good/bad is about entropy, not about being right; the cross-entropy is.
    u = np.full_like(q, 1 / lang.answers)
    unk = hint_expectations(lang, q, np.log(lang.posterior(u)))
    assert np.allclose(unk["entropy"][:, 2], unk["entropy"][:, 3]) and (unk["entropy"][:, 3] < np.log(4)).all()
    assert (unk["cross_entropy"][:, 3] > np.log(4)).all() and (unk["cross_entropy"][:, 2] < np.log(4)).all()


def test_stream_is_the_default_stream_with_hints_at_the_stated_rates():
    lang = HintLanguage(**BASE, hint_good=0.3, hint_misleading=0.2, hint_irrelevant=0.1)
    got = lang.sample(4000, np.random.default_rng(5))
    ex = got.reshape(-1, 5)
    plain = SkillLanguage(**BASE).sample(4000, np.random.default_rng(5)).reshape(-1, 5)
    assert np.array_equal(ex[:, [0, 1, 2, 4]], plain[:, [0, 1, 2, 4]])  # names, inputs, answers untouched
    assert (plain[:, 3] == 1).all()
    h, a = ex[:, 3], ex[:, 4] - lang.answer0
    n = h.size
    se = 4 * np.sqrt(0.25 / n)  # 4 standard errors of a frequency
    assert abs((h == 1).mean() - 0.4) < se and abs((h == lang.irrelevant_id).mean() - 0.1) < se
    hinted = h >= lang.hint0
    assert abs((h == lang.hint0 + a).mean() - 0.3) < se and abs((hinted & (h != lang.hint0 + a)).mean() - 0.2) < se
    wrong = (h[hinted & (h != lang.hint0 + a)] - lang.hint0 - a[hinted & (h != lang.hint0 + a)]) % 4
    assert set(np.unique(wrong)) == {1, 2, 3} and np.ptp(np.bincount(wrong)[1:]) < 4 * np.sqrt(wrong.size / 3)
    assert lang.vocab[lang.irrelevant_id] == "?" and lang.vocab[lang.hint0] == "h0"
    assert len(lang.vocab) == lang.vocab_size == 16 + 1 + 4


def test_a_hint_independent_of_the_answer_has_every_exact_gap_zero():
    lang = HintLanguage(**BASE, hint_good=0.1, hint_misleading=0.3, hint_irrelevant=0.1)  # 0.1 = 0.3 / (V-1)
    q = lang.answer_distribution().reshape(-1, lang.answers)
    for belief in (q, np.full_like(q, 0.25)):
        e = hint_expectations(lang, q, np.log(lang.posterior(belief)))
        for key in e:
            assert np.allclose(e[key], e[key][:, :1], atol=1e-12)


@pytest.mark.models
def test_a_model_trained_on_uninformative_hints_shows_no_gap_and_on_informative_hints_a_large_one(tmp_path):
    """The same tiny model trained on informative hints (reliability 0.75) and on hints independent of the answer
    (reliability 1/V): the measured cross-entropy gap misleading - good on the frequent skills is at least half the
    exact one for the first, and every measured gap to no hint is ~0 for the second (every exact gap is 0 there)."""
    pytest.importorskip("transformers")
    import torch

    from reports.sections._skilllang_hint import hint_rows
    from simulate.skilllang.family import FamilyConfig, train_size
    from simulate.skilllang.model import SizeSpec

    torch.set_num_threads(1)
    gaps, exact = {}, {}
    for name, rates in (("informative", (0.3, 0.1)), ("null", (0.1, 0.3))):
        lang = HintLanguage(**{**BASE, "noise": 0.1}, hint_good=rates[0], hint_misleading=rates[1])
        cfg = FamilyConfig(lang, (SizeSpec(16, 1, 2),), steps=STEPS, batch_seqs=16, n_even=2, eval_every=STEPS,
                           warmup=10, label="hint")
        run = train_size(cfg, cfg.sizes[0], tmp_path / name)
        from empirical.measure.models import load_model

        lm = load_model(str(run.path), revision=f"step{STEPS}", device="cpu", dtype="float32")
        rows = {r["hint"]: r for r in hint_rows(lm.model, lang)}
        gaps[name] = (rows["misleading"]["CE"] - rows["good"]["CE"],
                      max(abs(rows[k][c] - rows["none"][c]) for k in KINDS for c in ("H", "CE")))
        exact[name] = rows["misleading"]["CE_known"] - rows["good"]["CE_known"]
    assert exact["informative"] > 0.4 and abs(exact["null"]) < 1e-12  # 0.446 nats at V = 4, reliability 0.75
    assert gaps["informative"][0] > 0.5 * exact["informative"], gaps
    assert gaps["null"][1] < 0.1, gaps
