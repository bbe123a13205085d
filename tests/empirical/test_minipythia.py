"""Mini-Pythia family: recipe pieces, determinism, resume, checkpoint round trip (minimal config, seconds).

Never compare hh-rlhf strings with plain ``assert a == b``: a failure would print offensive text.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from empirical.minipythia import (  # noqa: E402
    DEFAULT_CONFIG,
    LOSS_COLUMNS,
    MINIMAL_CONFIG,
    FamilyConfig,
    SizeSpec,
    checkpoint_path,
    count_parameters,
    ensure_family,
    evaluate_loss,
    family_path,
    load_eval_sequences,
    losses_table,
)
from empirical.minipythia.__main__ import main  # noqa: E402
from empirical.minipythia.corpus import batch_indices, pack, split_documents  # noqa: E402
from empirical.minipythia.train import STATE_FILE, build_model, lr_multiplier, train_size  # noqa: E402
from infogeo.checkpoints import cache_root, checkpoint_steps  # noqa: E402

pytestmark = pytest.mark.models
CFG = MINIMAL_CONFIG


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    root = tmp_path_factory.mktemp("mp")
    return root, ensure_family(root=root, config=CFG, progress=False, threads=1)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _weights(step_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(step_dir / "model.safetensors"))


# ---------------------------------------------------------------- recipe pieces
def test_checkpoint_steps_reproduce_pythias_published_schedule():
    # Pythia: steps 0, 1, 2, 4, ..., 512, then every 1000 to 143000 (154 checkpoints).
    expected = (0,) + tuple(2 ** i for i in range(10)) + tuple(range(1000, 143001, 1000))
    assert checkpoint_steps(143000, 143) == expected


@given(total=st.integers(1, 5000), n_even=st.integers(1, 200))
def test_checkpoint_steps_laws(total, n_even):
    if n_even > total:
        with pytest.raises(ValueError, match="n_even"):
            checkpoint_steps(total, n_even)
        return
    steps = checkpoint_steps(total, n_even)
    assert steps[0] == 0 and steps[-1] == total
    assert list(steps) == sorted(set(steps))
    interval = total / n_even
    late = [s for s in steps if s >= interval - 0.5]
    assert len(late) == n_even  # the evenly spaced part has exactly n_even checkpoints
    assert all(abs(s - round(interval * (i + 1))) < 1e-9 for i, s in enumerate(late))
    early = [s for s in steps[1:] if s < interval - 0.5]
    assert early == [2 ** i for i in range(len(early))]  # powers of two below the interval
    assert 2 ** len(early) >= interval - 0.5


@given(n=st.integers(2, 3000), frac=st.floats(0.01, 0.99), seed=st.integers(0, 2 ** 31))
def test_split_documents_is_a_disjoint_deterministic_partition(n, frac, seed):
    tr, he = split_documents(n, frac, seed)
    assert len(np.intersect1d(tr, he)) == 0
    assert np.array_equal(np.sort(np.concatenate([tr, he])), np.arange(n))
    assert len(tr) >= 1 and len(he) >= 1
    assert abs(len(he) - frac * n) <= 1 or len(he) in (1, n - 1)
    tr2, he2 = split_documents(n, frac, seed)
    assert np.array_equal(tr, tr2) and np.array_equal(he, he2)


def test_split_documents_depends_on_seed():
    assert not np.array_equal(split_documents(1000, 0.1, 0)[1], split_documents(1000, 0.1, 1)[1])


@given(docs=st.lists(st.lists(st.integers(1, 99), min_size=0, max_size=20), min_size=1, max_size=30),
       ctx=st.integers(2, 16))
def test_pack_is_the_eot_separated_stream_cut_into_rows(docs, ctx):
    stream = [t for d in docs for t in d + [0]]
    if len(stream) < ctx:
        with pytest.raises(ValueError, match="corpus too small"):
            pack(docs, 0, ctx)
        return
    rows = pack(docs, 0, ctx)
    assert rows.shape == (len(stream) // ctx, ctx)
    assert rows.ravel().tolist() == stream[: rows.size]


@given(n=st.integers(1, 200), b=st.integers(1, 17), seed=st.integers(0, 1000))
def test_batches_visit_every_sequence_once_per_epoch(n, b, seed):
    steps = -(-2 * n // b)  # enough steps for two epochs
    seen = np.concatenate([batch_indices(s, b, n, seed) for s in range(steps)])
    assert np.array_equal(np.sort(seen[:n]), np.arange(n))
    assert np.array_equal(np.sort(seen[n:2 * n]), np.arange(n))
    assert np.array_equal(batch_indices(steps - 1, b, n, seed), batch_indices(steps - 1, b, n, seed))


@given(total=st.integers(2, 2000), warm=st.floats(0, 0.5), floor=st.floats(0, 1))
def test_lr_schedule_warms_up_then_decays_to_the_floor(total, warm, floor):
    w = round(warm * total)
    m = [lr_multiplier(s, total, w, floor) for s in range(total + 1)]
    assert max(m) <= 1 + 1e-12 and min(m[w:]) >= floor - 1e-12 and min(m[:total]) > 0
    assert all(a <= b + 1e-12 for a, b in zip(m[:w], m[1:w + 1]))  # warmup rises
    assert all(a >= b - 1e-12 for a, b in zip(m[w:], m[w + 1:]))   # cosine falls
    assert math.isclose(m[total], floor, abs_tol=1e-12)
    if w > 0:
        assert math.isclose(m[w - 1], 1.0)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="d_model"):
        SizeSpec("x", d_model=0, n_layers=1, n_heads=1, lr=1e-3)
    with pytest.raises(ValueError, match="n_heads"):
        SizeSpec("x", d_model=24, n_layers=1, n_heads=5, lr=1e-3)
    with pytest.raises(ValueError, match="lr"):
        SizeSpec("x", d_model=16, n_layers=1, n_heads=1, lr=2.0)
    with pytest.raises(ValueError, match="vocab_size"):
        CFG.replace(vocab_size=100)
    with pytest.raises(ValueError, match="names"):
        CFG.replace(sizes=(CFG.sizes[0], CFG.sizes[0]))
    with pytest.raises(ValueError, match="sizes"):
        ensure_family(["nope"], root="/nonexistent", config=CFG)
    with pytest.raises(TypeError, match="sizes"):
        ensure_family("a", root="/nonexistent", config=CFG)
    with pytest.raises(TypeError, match="config"):
        family_path(config={"sizes": ()})
    with pytest.raises(ValueError, match="step"):
        checkpoint_path("a", 3, config=CFG)


def test_cache_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("INFOGEO_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "a"
    assert cache_root(tmp_path / "r") == tmp_path / "r"
    monkeypatch.delenv("INFOGEO_CACHE")
    assert cache_root() == tmp_path / "x" / "infogeo"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "infogeo"
    assert family_path("b", root=tmp_path, config=CFG) == tmp_path / "minipythia" / CFG.dirname / "b"


def test_recipe_hash_changes_with_the_recipe_not_the_label():
    assert CFG.replace(seed=1).hash != CFG.hash
    assert CFG.replace(total_steps=13).hash != CFG.hash
    assert CFG.replace(label="other").hash == CFG.hash


def test_the_cache_is_named_by_the_torch_build_kernels_and_threads_that_make_the_weights(monkeypatch):
    """A family trained on other kernels, another torch or another thread count has other weights (float32
    training amplifies last-bit differences), so it never stands in for this one."""
    from infogeo import TORCH_KERNEL_PINS, torch_kernel_settings

    kernels = CFG.recipe()["kernels"]
    assert kernels == torch_kernel_settings() and kernels["torch"] == torch.__version__
    for name, value in TORCH_KERNEL_PINS.items():
        assert kernels[name] == value  # tests run pinned, as the report does (tests/conftest.py)
        before = CFG.hash
        monkeypatch.setenv(name, "AVX2" if value != "AVX2" else "SSE41")
        assert CFG.hash != before, name
        monkeypatch.setenv(name, value)
        assert CFG.hash == before
    monkeypatch.delenv("MKL_CBWR")
    assert CFG.recipe()["kernels"]["MKL_CBWR"] == "unset" and CFG.hash != before
    monkeypatch.setenv("MKL_CBWR", TORCH_KERNEL_PINS["MKL_CBWR"])
    assert CFG.replace(train_threads=2).hash != CFG.hash


def test_a_thread_count_other_than_the_recipes_is_refused_by_name(tmp_path):
    from empirical.minipythia.train import resolve_threads

    assert resolve_threads(None, CFG) == CFG.train_threads == 1 and DEFAULT_CONFIG.train_threads == 2
    with pytest.raises(ValueError, match=r"threads=2 differs from the recipe's train_threads=1.*replace"):
        ensure_family(root=tmp_path, config=CFG, threads=2)
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        resolve_threads(0, CFG)
    with pytest.raises(ValueError, match="train_threads"):
        CFG.replace(train_threads=0)


def test_default_ladder_spans_two_orders_of_magnitude_in_nonembedding_params():
    # Independent count: per layer 4 d^2 + 4 d (attention) + 8 d^2 + 5 d (MLP) + 4 d (two layernorms),
    # plus the final layernorm (2 d); embeddings excluded.
    def nonemb(s):
        d = s.d_model
        return s.n_layers * (12 * d * d + 13 * d) + 2 * d

    counts = [nonemb(s) for s in DEFAULT_CONFIG.sizes]
    assert len(counts) >= 5 and counts == sorted(counts)
    assert counts[-1] / counts[0] >= 100
    for s, c in zip(DEFAULT_CONFIG.sizes, counts):
        total, ne = count_parameters(build_model(s, DEFAULT_CONFIG, 0))
        assert ne == c and total == c + 2 * DEFAULT_CONFIG.vocab_size * s.d_model
        # the size's name is its non-embedding count, rounded, as Pythia's names are
        value = float(s.name[:-1]) * {"k": 1e3, "m": 1e6}[s.name[-1]]
        assert abs(value - c) / c < 0.15, (s.name, c)


def test_architecture_is_pythias():
    m = build_model(CFG.sizes[1], CFG, 0)
    c = m.config
    assert type(m).__name__ == "GPTNeoXForCausalLM"
    assert c.use_parallel_residual and not c.tie_word_embeddings
    rope = getattr(c, "rope_parameters", None) or {"partial_rotary_factor": c.rotary_pct}
    assert rope["partial_rotary_factor"] == 0.25
    assert m.get_input_embeddings().weight.data_ptr() != m.get_output_embeddings().weight.data_ptr()


# ---------------------------------------------------------------- the built family
def test_layout_and_tokenizer_files(family):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root, info = family
    assert info.root == family_path(root=root, config=CFG)
    assert info.steps == CFG.steps
    for name, size_dir in info.sizes.items():
        assert size_dir == family_path(name, root=root, config=CFG)
        assert (size_dir / "tokenizer.json").exists()
        for step in CFG.steps:
            d = size_dir / f"step{step}"
            assert d == info.checkpoint(name, step) == checkpoint_path(name, step, root=root, config=CFG)
            assert (d / "config.json").exists() and (d / "model.safetensors").exists()
            assert (d / "tokenizer.json").exists()
        # only the newest checkpoint keeps the optimizer state
        assert [s for s in CFG.steps if (size_dir / f"step{s}" / STATE_FILE).exists()] == [CFG.total_steps]
    d = info.checkpoint(CFG.sizes[0].name)
    tok = AutoTokenizer.from_pretrained(str(d))
    assert tok.eos_token == "<|endoftext|>" and tok.eos_token_id == 0
    assert len(tok) == CFG.vocab_size
    model = AutoModelForCausalLM.from_pretrained(str(d))
    assert model.config.vocab_size == len(tok)


def test_tokenizer_round_trips_heldout_text_and_is_deterministic(family, tmp_path):
    from transformers import AutoTokenizer

    from empirical.minipythia.corpus import load_documents
    from empirical.minipythia.tokenizer import train_tokenizer

    root, info = family
    docs = load_documents(limit=CFG.corpus_limit)
    tok = AutoTokenizer.from_pretrained(str(info.tokenizer_path))
    ok = [tok.decode(tok.encode(t, add_special_tokens=False)) == t for t in docs]
    assert all(ok), f"{ok.count(False)} of {len(ok)} documents did not round-trip (texts not shown)"
    _, held = split_documents(len(docs), CFG.heldout_fraction, CFG.seed)
    train_docs = [d for i, d in enumerate(docs) if i not in set(held.tolist())]
    a = train_tokenizer(train_docs, CFG.vocab_size).to_str()
    b = train_tokenizer(train_docs, CFG.vocab_size).to_str()
    assert a == b
    # the saved tokenizer is the one trained on the training split only
    assert json.loads(a)["model"] == json.loads((info.tokenizer_path / "tokenizer.json").read_text())["model"]


def test_losses_table_columns_and_accounting(family):
    root, info = family
    df = losses_table(root=root, config=CFG)
    assert list(df.columns) == LOSS_COLUMNS
    assert len(df) == len(CFG.sizes) * len(CFG.steps)
    assert (df.tokens == df.step * CFG.batch_tokens).all()
    assert (df.batch_tokens == CFG.batch_tokens).all()
    assert np.allclose(df.flops_6ND_total, 6 * df.params_total * df.tokens)
    assert np.allclose(df.flops_6ND_nonemb, 6 * df.params_nonembedding * df.tokens)
    for name, g in df.groupby("size"):
        s = CFG.size(name)
        assert (g.params_total - g.params_nonembedding == 2 * CFG.vocab_size * s.d_model).all()
        g = g.sort_values("step")
        assert g.heldout_loss_nats.iloc[-1] < g.heldout_loss_nats.iloc[0]  # training learned something
        # at initialisation the loss is near log(vocab): weights are small
        assert abs(g.heldout_loss_nats.iloc[0] - math.log(CFG.vocab_size)) < 0.3
    assert info.corpus["tokens_train"] > 0 and info.corpus["documents_heldout"] > 0


def test_loaded_checkpoint_reproduces_recorded_losses_exactly(family):
    """Bit for bit, on the recipe's thread count (the recorded losses were evaluated on it: with the AVX2 kernels a
    reduction split over another number of threads differs in the last bits)."""
    from transformers import AutoModelForCausalLM

    from empirical.minipythia.train import fixed_threads

    root, info = family
    df = losses_table(root=root, config=CFG)
    held, train = load_eval_sequences(root=root, config=CFG)
    with fixed_threads(CFG.train_threads):
        for name in info.sizes:
            for step in (0, CFG.steps[3], CFG.total_steps):
                row = df[(df["size"] == name) & (df.step == step)].iloc[0]
                model = AutoModelForCausalLM.from_pretrained(str(info.checkpoint(name, step)))
                assert evaluate_loss(model, held, CFG.eval_batch_size) == row.heldout_loss_nats
                assert evaluate_loss(model, train, CFG.eval_batch_size) == row.train_loss_nats


def test_heldout_eval_sequences_come_from_heldout_documents(family):
    root, _ = family
    held, train = load_eval_sequences(root=root, config=CFG)
    fam = family_path(root=root, config=CFG)
    all_train = np.load(fam / "data" / "train.npy").astype(np.int64)
    train_rows = {r.tobytes() for r in all_train}
    assert all(r.tobytes() in train_rows for r in train)
    assert not any(r.tobytes() in train_rows for r in held)


def test_same_seed_same_weights_other_seed_other_weights(family, tmp_path):
    root, info = family
    again = ensure_family(root=tmp_path, config=CFG, progress=False, threads=1)
    for name in info.sizes:
        for step in (1, CFG.total_steps):
            assert _digest(again.checkpoint(name, step) / "model.safetensors") == \
                _digest(info.checkpoint(name, step) / "model.safetensors")
    assert losses_table(root=tmp_path, config=CFG).equals(losses_table(root=root, config=CFG))
    other = CFG.replace(seed=1, sizes=CFG.sizes[:1])
    o = ensure_family(root=tmp_path, config=other, progress=False, threads=1)
    name = CFG.sizes[0].name
    a, b = _weights(o.checkpoint(name, 0)), _weights(info.checkpoint(name, 0))
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_resume_equals_uninterrupted_training(family, tmp_path):
    from transformers import AutoTokenizer

    root, info = family
    name = CFG.sizes[1].name
    fam = family_path(root=root, config=CFG)
    fast = AutoTokenizer.from_pretrained(str(info.tokenizer_path))
    train = np.load(fam / "data" / "train.npy").astype(np.int64)
    held, tr_eval = load_eval_sequences(root=root, config=CFG)
    d = tmp_path / name
    # stop between checkpoints: steps past the last checkpoint are lost and redone on resume
    stop = CFG.steps[4] + 1
    first = train_size(d, CFG.size(name), CFG, train, held, tr_eval, fast, progress=False, threads=1,
                       stop_after_step=stop)
    assert first["steps_done"] == CFG.steps[4] and not (d / "complete.json").exists()
    assert not (d / f"step{CFG.total_steps}").exists()
    # a checkpoint half-written when the process died must not be mistaken for a finished one
    (d / f".step{CFG.steps[5]}.tmp").mkdir()
    (d / f".step{CFG.steps[5]}.tmp" / "model.safetensors").write_bytes(b"truncated")
    train_size(d, CFG.size(name), CFG, train, held, tr_eval, fast, progress=False, threads=1)
    assert (d / "complete.json").exists()
    for step in CFG.steps:
        a, b = _weights(d / f"step{step}"), _weights(info.checkpoint(name, step))
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), step
        ma = json.loads((d / f"step{step}" / "metrics.json").read_text())
        mb = json.loads((info.checkpoint(name, step) / "metrics.json").read_text())
        assert ma["heldout_loss_nats"] == mb["heldout_loss_nats"]
    sa = torch.load(d / f"step{CFG.total_steps}" / STATE_FILE, weights_only=False)["optimizer"]["state"]
    sb = torch.load(info.checkpoint(name) / STATE_FILE, weights_only=False)["optimizer"]["state"]
    assert all(torch.equal(sa[k]["exp_avg_sq"], sb[k]["exp_avg_sq"]) for k in sa)


def test_ensure_family_is_idempotent(family):
    root, info = family
    f = info.checkpoint(CFG.sizes[0].name) / "model.safetensors"
    before = f.stat().st_mtime_ns
    again = ensure_family(root=root, config=CFG, progress=False)
    assert f.stat().st_mtime_ns == before and again.sizes == info.sizes


# ---------------------------------------------------------------- CLI
def test_cli(family, capsys):
    root, info = family
    assert main(["train", "--minimal", "--root", str(root), "--no-progress", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"] == list(CFG.steps) and set(out["sizes"]) == set(info.sizes)
    assert main(["path", "b", "--step", "4", "--minimal", "--root", str(root)]) == 0
    assert capsys.readouterr().out.strip() == str(info.checkpoint("b", 4))
    assert main(["losses", "--minimal", "--root", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == ",".join(LOSS_COLUMNS)
    assert main(["train", "--minimal", "--root", str(root), "--sizes", "zz"]) == 2
    assert "sizes" in capsys.readouterr().err
    assert main(["bogus"]) == 2
    assert main(["path", "--step", "4", "--minimal", "--root", str(root)]) == 2


def test_losses_table_missing_family_says_how_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="minipythia train"):
        losses_table(root=tmp_path, config=CFG)


@pytest.mark.slow
def test_a_larger_model_reaches_a_clearly_lower_heldout_loss(tmp_path, full_scale):
    """The family's purpose: more parameters, lower held-out loss on the same tokens.

    Bounded form (~10 s): 8-wide 1-layer against 64-wide 2-layer on 500 documents.
    Full form (INFOGEO_FULL=1, minutes): the default ladder's smallest and largest sizes.
    """
    if full_scale:
        cfg = DEFAULT_CONFIG
        names = [cfg.sizes[0].name, cfg.sizes[-1].name]
    else:
        cfg = FamilyConfig(sizes=(SizeSpec("s", 8, 1, 1, 2e-2), SizeSpec("l", 64, 2, 4, 6e-3)), corpus_limit=500,
                           vocab_size=512, context_length=64, batch_size=8, total_steps=150, n_even_checkpoints=3,
                           eval_heldout_sequences=64, eval_train_sequences=8, label="check")
        names = ["s", "l"]
    ensure_family(names, root=tmp_path, config=cfg, progress=False)
    df = losses_table(root=tmp_path, config=cfg)
    final = df[df.step == cfg.total_steps].set_index("size").heldout_loss_nats
    assert final[names[1]] < final[names[0]] - 0.1
