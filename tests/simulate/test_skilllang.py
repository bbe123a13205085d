"""The skill language and its transformer family: exact levels, the data stream, the analyses' laws, the checkpoints.

Laws, each of which fails on a wrong implementation:
- C and B of Definition 3.4 in closed form equal the conditional entropy of the generated data (Monte Carlo) and
  the loss of an oracle / a uniform predictor; C -> B as the noise -> 1.
- the data stream draws skill k with frequency p_k; every (skill, input) is held out exactly once.
- capacity learners (size i holds the n_i most frequent skills, n ∝ N) give the params exponent the idealized learners
  predict when the frequencies are a power law, and a different one when they are not (the exponential control).
- per-skill learning times of the sequential learner support the sequential order; those of the parallel learner the
  parallel order (a swapped order moves the verdict).
- a trained checkpoint loads through the measurement engine by local path and ``revision="step<k>"`` and reproduces
  the per-skill losses recorded during training, bit for bit.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulate.neural import predict as P
from simulate.skilllang import SkillLanguage, analyze_family, expected_skill_loss
from simulate.skilllang.family import FamilyConfig, SizeRun
from simulate.skilllang.model import SizeSpec

LANG = SkillLanguage(alpha=1.0, skills=64, letters=16, inputs=4, answers=8, noise=0.2, seed=3)


def test_loss_floor_is_the_conditional_entropy_of_the_generated_answers():
    rng = np.random.default_rng(0)
    seqs = LANG.sample(20000, rng).reshape(-1, 5)
    name = (seqs[:, 0] - LANG.letter0) * LANG.letters + (seqs[:, 1] - LANG.letter0)
    key = name * LANG.inputs + (seqs[:, 2] - LANG.input0)
    ans = seqs[:, 4] - LANG.answer0
    H, n = 0.0, 0
    for k in np.unique(key):
        a = ans[key == k]
        if a.size < 400:
            continue
        q = np.bincount(a, minlength=LANG.answers) / a.size
        q = q[q > 0]
        H += a.size * float(-(q * np.log(q)).sum())
        n += a.size
    # plug-in entropy is biased low by about (V-1)/(2 n_k) per cell: < 0.01 nats at n_k >= 400
    assert abs(H / n - LANG.loss_floor()) < 0.02


def test_oracle_reaches_C_and_uniform_predictor_sits_at_B():
    q = LANG.answer_distribution()
    assert np.allclose(expected_skill_loss(LANG, np.log(q)), LANG.loss_floor(), atol=1e-12)
    uniform = np.full(q.shape, -math.log(LANG.answers))
    assert np.allclose(expected_skill_loss(LANG, uniform), LANG.loss_unlearned(), atol=1e-12)


@given(st.floats(0.0, 0.99), st.integers(2, 64))
@settings(max_examples=50, deadline=None)
def test_loss_floor_laws(noise, V):
    lang = SkillLanguage(skills=4, letters=4, inputs=2, answers=V, noise=noise)
    C, B = lang.loss_floor(), lang.loss_unlearned()
    assert 0.0 <= C < B + 1e-12
    if noise == 0.0:
        assert C == 0.0
    q = lang.answer_distribution()[0, 0]
    q = q[q > 0]
    assert math.isclose(C, float(-(q * np.log(q)).sum()), rel_tol=1e-12, abs_tol=1e-15)


def test_floor_tends_to_B_as_noise_tends_to_one():
    assert math.isclose(SkillLanguage(answers=8, noise=1 - 1e-9).loss_floor(), math.log(8), rel_tol=1e-6)


def test_stream_draws_skills_with_frequency_p_and_heldout_covers_every_pair_once():
    seqs = LANG.sample(5000, np.random.default_rng(1)).reshape(-1, 5)
    code = {tuple(r): k for k, r in enumerate(LANG.names.tolist())}
    k = np.array([code[(a - LANG.letter0, b - LANG.letter0)] for a, b in seqs[:, :2]])
    freq = np.bincount(k, minlength=LANG.skills) / k.size
    se = np.sqrt(LANG.p * (1 - LANG.p) / k.size)
    assert np.all(np.abs(freq - LANG.p) < 5 * se + 1e-12)
    held, hk, hx = LANG.heldout()
    assert sorted(zip(hk.tolist(), hx.tolist())) == [(a, b) for a in range(LANG.skills) for b in range(LANG.inputs)]
    ex = held.reshape(-1, 5)[: hk.size]
    assert np.array_equal(ex[:, 4] - LANG.answer0, LANG.table[hk, hx])


def test_names_are_distinct_and_not_single_tokens():
    assert LANG.names.shape == (LANG.skills, 2)
    assert len({tuple(r) for r in LANG.names.tolist()}) == LANG.skills


def _capacity_runs(lang, widths=(8, 12, 16, 24, 32, 48), steps=(0, 100, 200)):
    """Size i holds exactly the n_i most frequent skills (n ∝ N); losses C (held) or B, at the last steps."""
    C, B = lang.loss_floor(), lang.loss_unlearned()
    runs = []
    for w in widths:
        N = 24 * w * w
        n = max(1, int(N / 600))
        loss = np.full((len(steps), lang.skills), B)
        loss[1:, :n] = C
        runs.append(SizeRun(SizeSpec(w, 2, 1 if w < 16 else 2), np.array(steps), loss, N + 100 * w, N, 0.0, None))
    return runs


def _params_row(lang):
    cfg = FamilyConfig(lang, (SizeSpec(8, 2, 1),), steps=200, n_even=2)
    e = analyze_family(_capacity_runs(lang), lang, cfg)["exponents"]
    return e[e["axis"] == "params"].iloc[0]


def test_params_exponent_follows_alpha_only_for_power_law_frequencies():
    """Power law: the fitted exponent is the idealized capacity learners' (finite-M) prediction at each alpha, so it
    moves with alpha. Exponential control: p does not depend on alpha, so neither does the fit; it cannot follow."""
    fits = {}
    for law in ("power", "exponential"):
        for alpha in (0.5, 1.0):
            fits[law, alpha] = _params_row(SkillLanguage(alpha=alpha, skills=256, letters=32, inputs=4, law=law))
    for alpha in (0.5, 1.0):
        r = fits["power", alpha]
        assert abs(r.fitted - r.predicted_sequential) < 0.05, r
    pred_move = fits["power", 1.0].predicted_sequential - fits["power", 0.5].predicted_sequential
    assert pred_move > 0.3
    assert abs(fits["power", 1.0].fitted - fits["power", 0.5].fitted - pred_move) < 0.1
    assert abs(fits["exponential", 1.0].fitted - fits["exponential", 0.5].fitted) < 1e-9


def _learning_run(lang, order):
    t = P.ideal_learning_times(lang.alpha, lang.skills, order)
    t = t / t[19] * 1000  # skill 20 learned at step 1000
    steps = np.unique(np.round(np.geomspace(1, 4000, 400))).astype(np.int64)
    C, B = lang.loss_floor(), lang.loss_unlearned()
    loss = np.where(steps[:, None] >= t[None, :], C, B)
    return [SizeRun(SizeSpec(48, 2, 4), steps, loss, 60000, 56000, 0.0, None)]


@pytest.mark.parametrize("order,supports", [("sequential", "sequential"), ("parallel", "parallel")])
def test_learning_time_verdict_follows_the_order(order, supports):
    lang = SkillLanguage(alpha=1.0, skills=256, letters=32, inputs=4)
    cfg = FamilyConfig(lang, (SizeSpec(48, 2, 4),), steps=4000, n_even=2)
    e = analyze_family(_learning_run(lang, order), lang, cfg)["exponents"]
    r = e[(e["axis"] == "learning_time") & (e["threshold"] == 0.5)].iloc[0]
    assert r.supports == supports, r


@pytest.mark.models
def test_checkpoint_loads_through_the_measurement_engine_and_reproduces_the_recorded_losses(tmp_path):
    pytest.importorskip("transformers")
    import torch

    from empirical.measure.models import load_model
    from simulate.skilllang.family import _skill_losses, train_size

    lang = SkillLanguage(alpha=1.0, skills=16, letters=8, inputs=2, answers=4, per_seq=4)
    cfg = FamilyConfig(lang, (SizeSpec(8, 1, 1),), steps=12, batch_seqs=4, n_even=3, eval_every=4, warmup=2)
    run = train_size(cfg, cfg.sizes[0], tmp_path / "d8l1")
    assert 4 in cfg.checkpoints and (tmp_path / "d8l1" / "step4" / "config.json").exists()
    lm = load_model(str(tmp_path / "d8l1"), revision="step4", device="cpu", dtype="float32")
    assert type(lm.model).__name__ == "GPTNeoXForCausalLM"
    seq = lang.sample(1, np.random.default_rng(0))[0]
    assert lm.tokenizer(lang.text(seq))["input_ids"] == seq.tolist()
    torch.set_num_threads(1)
    got = _skill_losses(lm.model, lang, lang.heldout())
    assert np.array_equal(got, run.loss[list(run.steps).index(4)])


@pytest.mark.models
def test_ci_tier_gives_every_axis_and_a_second_call_trains_nothing(tmp_path):
    pytest.importorskip("transformers")
    from simulate.neural import EXPONENT_COLUMNS
    from simulate.skilllang import configs, run_experiment

    cfgs = configs("ci")
    tabs, meta = run_experiment(cfgs, processes=1, root=tmp_path, progress=False)
    e = tabs["exponents"]
    assert list(e.columns) == EXPONENT_COLUMNS
    assert {"learning_time", "steps", "params", "tasks_vs_params", "frontier"} <= set(e["axis"])
    assert set(tabs["sizes"]["params_nonembedding"]) and (tabs["sizes"]["params_total"]
                                                          > tabs["sizes"]["params_nonembedding"]).all()
    stamps = sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("losses.npz"))
    again, _ = run_experiment(cfgs, processes=1, root=tmp_path, progress=False)
    assert sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("losses.npz")) == stamps
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(again["exponents"], e)


@pytest.mark.models
def test_training_is_deterministic_and_the_data_order_does_not_depend_on_the_size(tmp_path):
    pytest.importorskip("transformers")
    from simulate.skilllang.family import train_size

    lang = SkillLanguage(alpha=1.0, skills=16, letters=8, inputs=2, answers=4, per_seq=4)
    cfg = FamilyConfig(lang, (SizeSpec(8, 1, 1), SizeSpec(16, 1, 2)), steps=8, batch_seqs=4, n_even=2,
                       eval_every=4, warmup=2)
    a = train_size(cfg, cfg.sizes[0], tmp_path / "a")
    b = train_size(cfg, cfg.sizes[0], tmp_path / "b")
    assert np.array_equal(a.loss, b.loss)
    seen = []
    import simulate.skilllang.language as L

    real = L.SkillLanguage.sample

    def spy(self, n_seq, rng):
        out = real(self, n_seq, rng)
        seen[-1].append(out.copy())
        return out

    for size in cfg.sizes:
        seen.append([])
        L.SkillLanguage.sample = spy
        try:
            train_size(cfg, size, tmp_path / size.name)
        finally:
            L.SkillLanguage.sample = real
    assert len(seen[0]) == cfg.steps and all(np.array_equal(x, y) for x, y in zip(*seen))
