"""Loading (empirical.measure.models) on tiny random GPT-NeoX models saved with save_pretrained, offline."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from empirical.measure.models import (  # noqa: E402
    ModelUnavailableError,
    forward_states,
    load_model,
    local_revisions,
    resolve_layers,
    tokenize_texts,
)
from empirical.measure.prompts import CAPITALS_SENTENCE  # noqa: E402

pytestmark = pytest.mark.models

@pytest.fixture(scope="session")
def family(tiny_family) -> Path:
    return tiny_family


@pytest.fixture(scope="session")
def lm64(family):
    return load_model(family, revision="step1", device="cpu", dtype="float64", attn_implementation="eager")


def test_local_family_layout_loads_revision_with_root_tokenizer(family):
    assert local_revisions(family) == ["step0", "step1"]
    lm = load_model(family, revision="step0", device="cpu")
    assert lm.n_layers == 2 and lm.d == 64 and lm.revision == "step0"
    assert str(lm.device) == "cpu" and lm.model.dtype == torch.float32
    # The two checkpoints were built from different seeds: different weights must load.
    lm1 = load_model(family, revision="step1", device="cpu")
    w0 = next(lm.model.parameters()).detach()
    w1 = next(lm1.model.parameters()).detach()
    assert not torch.equal(w0, w1)


def test_family_root_without_revision_names_the_checkpoints(family):
    with pytest.raises(ModelUnavailableError, match="step0..step1"):
        load_model(family, device="cpu")
    with pytest.raises(ModelUnavailableError, match="step7"):
        load_model(family, revision="step7", device="cpu")


def test_hub_name_without_network_fails_at_once_with_local_copy_hint(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    t0 = time.perf_counter()
    with pytest.raises(ModelUnavailableError) as err:
        load_model("EleutherAI/pythia-infogeo-does-not-exist", revision="step1000", device="cpu")
    assert time.perf_counter() - t0 < 20
    msg = str(err.value)
    assert "--model DIR" in msg and "--allow-download" in msg and "step1000" in msg
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError, match="HF_HUB_OFFLINE"):
        load_model("EleutherAI/pythia-infogeo-does-not-exist", device="cpu", allow_download=True)


def test_missing_path_and_bad_arguments():
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        load_model("./no/such/model/dir", device="cpu")
    with pytest.raises(ValueError, match="dtype"):
        load_model("./x", dtype="float8")
    with pytest.raises(TypeError, match="name_or_path"):
        load_model("", device="cpu")


def test_resolve_layers():
    assert resolve_layers(None, 6) == [6]
    assert resolve_layers(-1, 6) == [6]
    assert resolve_layers("0,2,-1", 6) == [0, 2, 6]
    assert resolve_layers("all", 2) == [0, 1, 2]
    with pytest.raises(ValueError, match="unknown layer 7"):
        resolve_layers([7], 6)
    with pytest.raises(ValueError, match="unknown layer -8"):
        resolve_layers([-8], 6)
    with pytest.raises(ValueError, match="layers must be"):
        resolve_layers("last", 6)


def test_last_layer_is_final_layer_norm_output(lm64):
    ids = tokenize_texts(lm64, [CAPITALS_SENTENCE])
    L = lm64.n_layers
    captured = {}

    def hook(module, args, output):
        captured["block"] = (output[0] if isinstance(output, tuple) else output).detach()

    handle = lm64.model.gpt_neox.layers[-1].register_forward_hook(hook)
    try:
        rec = next(forward_states(lm64, ids, [L - 1, L]))
    finally:
        handle.remove()
    with torch.no_grad():
        normed = lm64.model.gpt_neox.final_layer_norm(captured["block"])[0].numpy()
        logits = lm64.model(torch.tensor(ids)).logits[0].numpy()
        head = lm64.model.get_output_embeddings().weight.numpy()
    np.testing.assert_allclose(rec["states"][L], normed, rtol=0, atol=1e-12)
    # ... and it is exactly the tensor the LM head reads.
    np.testing.assert_allclose(rec["states"][L] @ head.T, logits, rtol=0, atol=1e-10)
    assert not np.allclose(rec["states"][L], rec["states"][L - 1])


# transformers' GPT-NeoX computes its rotary cos/sin tables in float32 whatever the model dtype, and
# float32 cos/sin of the same positions can differ by one ulp with the padded length (vectorized
# vs tail code paths). So padding moves states by float32 round-off of those tables (observed
# ~1e-9 absolute, ~1e-7 relative, in a float64 model); everything else is exactly invariant.
# batch_size=1 never pads and is bit-exact.
PAD_RTOL = 1e-6


@settings(max_examples=15)
@given(which=st.integers(0, 2), pad=st.integers(0, 60), neighbour_first=st.booleans())
def test_padding_changes_no_number(lm64, which, pad, neighbour_first):
    texts = ["He is the king of Spain.", CAPITALS_SENTENCE, "Cuba."]
    ids = tokenize_texts(lm64, texts)[which]
    neighbour = (ids * 50)[: len(ids) + pad]  # a longer sequence that forces `pad` pads onto ours
    batch = [neighbour, ids] if neighbour_first else [ids, neighbour]
    alone = next(forward_states(lm64, [ids], [0, 1, 2], attentions=True))
    recs = list(forward_states(lm64, batch, [0, 1, 2], batch_size=2, attentions=True))
    padded = recs[1] if neighbour_first else recs[0]
    for k in (0, 1, 2):
        a, b = alone["states"][k], padded["states"][k]
        assert a.shape == b.shape == (len(ids), lm64.d)
        scale = np.abs(a).max()
        np.testing.assert_allclose(b, a, rtol=0, atol=PAD_RTOL * scale)
    for k in (1, 2):
        np.testing.assert_allclose(padded["attention"][k], alone["attention"][k], rtol=0, atol=PAD_RTOL)
    # The numbers the engine reports move by no more than that round-off carries.
    from empirical.measure.metrics import entropy_measures, info_gain_curve

    Za, Zb = alone["states"][2], padded["states"][2]
    np.testing.assert_allclose(info_gain_curve(Zb)["info_gain"], info_gain_curve(Za)["info_gain"], rtol=1e-6)
    np.testing.assert_allclose(entropy_measures(Zb)["L_eps"], entropy_measures(Za)["L_eps"], rtol=1e-6)


def test_attention_rows_are_causal_distributions(lm64):
    ids = tokenize_texts(lm64, [CAPITALS_SENTENCE])
    rec = next(forward_states(lm64, ids, [1, 2], attentions=True))
    for k in (1, 2):
        A = rec["attention"][k]
        np.testing.assert_allclose(A.sum(axis=1), 1.0, atol=1e-12)
        assert np.all(np.triu(A, 1) == 0)
    with pytest.raises(ValueError, match="layer 0"):
        next(forward_states(lm64, ids, [0], attentions=True))


def test_bad_text_inputs(lm64, caplog):
    with pytest.raises(ValueError, match="text 1 is empty"):
        tokenize_texts(lm64, ["Cuba.", "   "])
    with pytest.raises(ValueError, match="exceeds the model's context"):
        tokenize_texts(lm64, ["Cuba."], max_tokens=10_000)
    with caplog.at_level("WARNING", logger="empirical.measure.models"):
        out = tokenize_texts(lm64, [CAPITALS_SENTENCE, "Cuba."], max_tokens=5)
    assert [len(x) for x in out][0] == 5 and len(out[1]) <= 5
    assert "truncated 1 of 2 texts" in caplog.text
    assert CAPITALS_SENTENCE not in caplog.text  # counts only, never content


def test_nan_states_are_reported(lm64, monkeypatch):
    ids = tokenize_texts(lm64, ["Cuba."])
    emb = lm64.model.gpt_neox.embed_in.weight
    saved = emb.detach().clone()
    try:
        with torch.no_grad():
            emb[ids[0][0]] = float("nan")
        with pytest.raises(ValueError, match="NaN"):
            next(forward_states(lm64, ids, [0]))
    finally:
        with torch.no_grad():
            emb.copy_(saved)
