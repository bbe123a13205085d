"""Issue 13, memory before allocation in the empirical layer (infogeo.validation.check_memory).

Laws:

* the estimate of the vectorized bootstrap refits (``empirical.fit.intervals.bootstrap_memory_bytes``) is an
  upper bound of numpy's traced peak (tracemalloc sees numpy's allocations) and within a factor 2.5 of it;
* the estimate of one forward pass (``empirical.measure.models.forward_memory_bytes``) is at least the bytes
  of the tensors the pass returns, and between 1 and 3 times the resident-memory growth of a real pass on the
  tiny GPT-NeoX family, measured in a fresh process as the peak resident size during the pass (``VmHWM``
  after resetting it through ``/proc/self/clear_refs``) minus the resident size before it (torch's CPU
  allocations are invisible to tracemalloc);
* an impossible ``--n-boot``, ``--batch-size`` or ``--max-tokens`` is refused with the estimate in a
  one-line message before any fit starts or the model runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from empirical.fit import fit_joint_law, fit_power_law
from empirical.fit.intervals import bootstrap_memory_bytes
from infogeo.validation import MODEL_MEMORY_FRACTION, check_memory

ROOT = Path(__file__).resolve().parents[2]


def _joint_data(n, rng):
    N = np.repeat(np.geomspace(1e7, 1e9, 5), n // 5)
    D = np.tile(np.geomspace(1e8, 1e11, n // 5), 5)
    y = (1.7 + 400 / N ** 0.3 + 600 / D ** 0.3) * np.exp(0.01 * rng.standard_normal(N.size))
    return N, D, y


@pytest.mark.parametrize("K, n, n_boot, resample", [(2, 60, 300, "residual"), (2, 150, 150, "block"),
                                                     (1, 10, 1500, "residual"), (1, 27, 800, "ar1")])
def test_the_bootstrap_estimate_bounds_the_traced_peak_within_a_factor_2_5(K, n, n_boot, resample):
    rng = np.random.default_rng(7)
    if K == 2:
        N, D, y = _joint_data(n, rng)
        run = lambda: fit_joint_law(N, D, y, n_boot=n_boot, resample=resample)  # noqa: E731
    else:
        x = np.geomspace(1e3, 1e6, n)
        y = (2 + 30 * x ** -0.4) * np.exp(0.01 * rng.standard_normal(n))
        run = lambda: fit_power_law(x, y, n_boot=n_boot, resample=resample)  # noqa: E731
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    est = bootstrap_memory_bytes(n, K, n_boot, resample)
    assert peak <= est <= 2.5 * peak, (peak, est)


def test_check_memory_refuses_above_the_safety_fraction_only():
    check_memory(MODEL_MEMORY_FRACTION * 1000, "x", MODEL_MEMORY_FRACTION, hint="y", available=1000)
    with pytest.raises(ValueError, match=r"--opt=3 needs ~1 kB but 1.5 kB are available.*use less"):
        check_memory(1000, "--opt=3", MODEL_MEMORY_FRACTION, hint="use less", available=1500)


def test_a_huge_n_boot_is_refused_with_its_estimate_before_any_fit(tmp_path, capsys, monkeypatch):
    from empirical.fit import analyses, cli

    monkeypatch.setattr(analyses, "run_analyses", lambda *a, **k: pytest.fail("fitting started"))
    assert cli.main(["--n-boot", "1000000000", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m empirical fit: error: n_boot=1000000000 refits") and "--n-boot" in err
    assert "TB" in err and len(err.splitlines()) == 1


RSS_SCRIPT = r"""
import sys, torch
torch.set_num_threads(1)
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(key + ":"))
from empirical.measure.models import load_model, forward_memory_bytes
family, B, T, att = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
lm = load_model(family, revision="step0", device="cpu", attn_implementation="eager")
with torch.inference_mode():
    ids = torch.randint(0, 300, (1, 4))
    lm.model(input_ids=ids, output_hidden_states=True, output_attentions=att, use_cache=False)  # warm-up
    ids = torch.randint(0, 300, (B, T))
    with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current resident size
        fh.write("5")
    before = status("VmRSS")
    out = lm.model(input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True,
                   output_attentions=att, use_cache=False)
    after = status("VmHWM")
kept = sum(t.numel() * t.element_size() for t in out.hidden_states) + out.logits.numel() * out.logits.element_size()
kept += sum(t.numel() * t.element_size() for t in out.attentions) if att else 0
print(after - before, kept, forward_memory_bytes(lm.model.config, B, T, attentions=att))
"""


@pytest.mark.models
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc peak-RSS reset")
@pytest.mark.parametrize("B, T, att", [(64, 128, True), (256, 64, False)])
def test_the_forward_estimate_matches_a_real_pass_within_the_stated_factor(tiny_family, B, T, att):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "TRANSFORMERS_VERBOSITY": "error"}
    res = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(tiny_family), str(B), str(T), str(int(att))],
                         capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    grown, kept, est = (int(v) for v in res.stdout.split()[-3:])
    assert est >= kept
    assert grown <= est <= 3 * grown, (grown, est)


@pytest.mark.models
def test_each_kept_term_of_the_forward_estimate_covers_the_tensors_a_pass_returns(tiny_family):
    import torch

    from empirical.measure.models import forward_memory_bytes, load_model

    lm = load_model(tiny_family, revision="step0", device="cpu", attn_implementation="eager")
    for B, T in [(2, 16), (4, 64), (8, 128)]:
        ids = torch.randint(0, 300, (B, T), generator=torch.Generator().manual_seed(B))
        with torch.inference_mode():
            out = lm.model(input_ids=ids, output_hidden_states=True, output_attentions=True, use_cache=False)
        nbytes = lambda ts: sum(t.numel() * t.element_size() for t in ts)  # noqa: E731
        plain = forward_memory_bytes(lm.model.config, B, T)
        with_maps = forward_memory_bytes(lm.model.config, B, T, attentions=True)
        assert plain >= nbytes(out.hidden_states) + nbytes([out.logits])
        assert nbytes(out.attentions) <= with_maps - plain <= 2 * nbytes(out.attentions)


@pytest.mark.models
def test_an_impossible_batch_is_refused_with_the_estimate_before_the_model_runs(tiny_family, tmp_path, monkeypatch,
                                                                                capsys):
    from empirical.measure import cli, models
    from infogeo import validation as memory

    calls = []
    real_load = models.load_model

    def load_and_watch(*a, **k):
        lm = real_load(*a, **k)
        lm.model.register_forward_pre_hook(lambda *_: calls.append(1))
        return lm

    monkeypatch.setattr(models, "load_model", load_and_watch)
    monkeypatch.setattr(models, "preflight_memory", lambda *a, **k: None)  # the second line of defence alone
    monkeypatch.setattr(memory, "_device_room", lambda device=None: 2 ** 20)  # 1 MiB free
    (tmp_path / "t.txt").write_text("the quick brown fox jumps over the lazy dog\n" * 20)
    rc = cli.main(["--model", str(tiny_family), "--revision", "step0", "--texts", str(tmp_path / "t.txt"),
                   "--measurements", "entropy", "--device", "cpu", "--batch-size", "16", "--no-progress",
                   "--out", str(tmp_path / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert rc == 2 and len(err) == 1 and "--batch-size 16" in err[0] and "--max-tokens" in err[0]
    assert "MB" in err[0] and not calls
    assert not (tmp_path / "out" / "_done.json").exists()


@pytest.mark.models
def test_parameter_count_from_the_config_matches_the_loaded_weights(tiny_family):
    """The weights' estimate (matrices and embeddings, no biases or norms) is a lower bound within 10% of the
    parameters a GPT-NeoX model really has, here and at Pythia's own shapes (transformers' meta device)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GPTNeoXConfig

    from empirical.measure.models import parameter_count

    cfg = AutoConfig.from_pretrained(str(tiny_family / "step0"))
    n = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(str(tiny_family / "step0")).parameters())
    assert 0.9 * n <= parameter_count(cfg) <= n
    for d, L, heads in ((512, 6, 8), (2048, 16, 8)):  # Pythia-70m and -1b shapes, built without memory
        big = GPTNeoXConfig(hidden_size=d, num_hidden_layers=L, num_attention_heads=heads, intermediate_size=4 * d,
                            vocab_size=50304)
        with torch.device("meta"):
            n = sum(p.numel() for p in AutoModelForCausalLM.from_config(big).parameters())
        assert 0.99 * n <= parameter_count(big) <= n


@pytest.mark.models
def test_a_model_too_big_for_memory_is_refused_before_it_loads(tiny_family, tmp_path, monkeypatch, capsys):
    from empirical.measure import cli, models
    from infogeo import validation as memory

    monkeypatch.setattr(models, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))
    monkeypatch.setattr(memory, "_device_room", lambda device=None: 2 ** 16)  # 64 KiB free
    (tmp_path / "t.txt").write_text("the quick brown fox jumps over the lazy dog\n" * 20)
    rc = cli.main(["--model", str(tiny_family), "--revision", "step0", "--texts", str(tmp_path / "t.txt"),
                   "--measurements", "entropy", "--device", "cpu", "--batch-size", "4", "--no-progress",
                   "--out", str(tmp_path / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln]
    assert rc == 2 and len(err) == 1, err
    assert "of weights in float32" in err[0] and "--batch-size 4" in err[0] and "--max-tokens" in err[0]
    # With room to spare the same command passes the check (the estimate, not a blanket refusal, decides).
    need = models.preflight_memory(str(tiny_family), revision="step0", device="cpu", batch_size=4, tokens=None,
                                   default_tokens=512, available=10 ** 12)
    assert need is not None and need > 2 ** 16
