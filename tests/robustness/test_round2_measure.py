"""Issue 24, round two, on ``empirical measure`` and ``minipythia``: our own cases of each class of fault.

Corrupting (a folder holds one kind of thing), silent (a finished table changed afterwards, a merge that loses
rows, a checkpoint whose weights do not match its config), runaway (options checked before any work; implausible
shard and thread counts refused by name), tracebacks that are the user's input (devices, attention
implementations, a tokenizer larger than the embedding) and messages that name what the user gave. Runs on the
tiny random GPT-NeoX family of tests/conftest.py.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from empirical.io import read_table  # noqa: E402
from empirical.measure import cli  # noqa: E402
from empirical.measure import engine as E  # noqa: E402
from empirical.measure import jobs as J  # noqa: E402
from empirical.measure.config import MeasureConfig  # noqa: E402
from empirical.measure.models import ModelUnavailableError, load_model  # noqa: E402

pytestmark = pytest.mark.models

TEXTS = ["the quick brown fox jumps over the lazy dog", "Is Paris the capital of France? Yes.",
         "numbers 0 1 2 3 and the fox"]
CFG = MeasureConfig(measurements=("entropy", "infogain"), layers="1")
COMMON = dict(device="cpu", dtype="float64", progress=False, batch_size=2)
PROG = "python -m empirical measure"


@pytest.fixture(autouse=True)
def _fresh_logging():
    """No root log handler bound to an earlier test's (closed) captured stderr; each CLI call binds its own."""
    import logging

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    yield
    root.handlers = saved


def _err_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(lines) == 1, err
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _texts_file(tmp_path: Path) -> Path:
    path = tmp_path / "t.txt"
    path.write_text("\n".join(TEXTS) + "\n")
    return path


def _argv(family, texts, out, *extra):
    return ["--model", str(family), "--revision", "step1", "--texts", str(texts), "--measurements",
            "entropy,infogain", "--layers", "1", "--device", "cpu", "--dtype", "float64", "--no-progress",
            "--out", str(out), *extra]


# ------------------------------------------------------------------------------------------- corrupting
def test_a_single_run_folder_is_not_a_merge_root_nor_a_shard_root_nor_a_job_root(tiny_family, tmp_path, capsys):
    out = tmp_path / "run"
    E.run_measurements(tiny_family, CFG, revision="step1", texts=TEXTS, out_dir=out, **COMMON)
    before = _snapshot(out)
    assert cli.main(["--merge", str(out)]) == 2
    assert "finished single run" in _err_line(capsys)
    for attempt in (lambda: E.run_measurements(tiny_family, CFG, revision="step1", texts=TEXTS, out_dir=out,
                                               shard=(0, 2), **COMMON),
                    lambda: E.run_jobs([(str(tiny_family), "step0")], out_dir=out, config=CFG, texts=TEXTS,
                                       **COMMON)):
        with pytest.raises(ValueError, match="finished single run"):
            attempt()
    assert _snapshot(out) == before  # nothing written, the run's rows and marker intact


def test_a_merge_root_is_not_a_single_run_folder(tiny_family, tmp_path, capsys):
    root, texts = tmp_path / "root", _texts_file(tmp_path)
    for k in (0, 1):
        assert cli.main(_argv(tiny_family, texts, root, "--shard", f"{k}/2")) == 0
    assert cli.main(["--merge", str(root)]) == 0
    capsys.readouterr()
    before = _snapshot(root)
    assert cli.main(_argv(tiny_family, texts, root)) == 2  # an unsharded run into the merged root
    assert "merge root" in _err_line(capsys)
    assert _snapshot(root) == before
    # a partly sharded root (no merge yet) and a root holding a job list are roots too
    part = tmp_path / "part"
    assert cli.main(_argv(tiny_family, texts, part, "--shard", "1/3")) == 0
    capsys.readouterr()
    assert cli.main(_argv(tiny_family, texts, part)) == 2
    assert "merge root" in _err_line(capsys)
    E.run_jobs([(str(tiny_family), "step0")], out_dir=tmp_path / "jobs", config=CFG, texts=TEXTS, **COMMON)
    with pytest.raises(ValueError, match="merge root"):
        E.run_measurements(tiny_family, CFG, revision="step1", texts=TEXTS, out_dir=tmp_path / "jobs", **COMMON)


# ---------------------------------------------------------------------------------------------- silent
@pytest.mark.parametrize("damage", ["edit", "append", "truncate", "delete"])
def test_a_finished_table_changed_afterwards_is_refused_on_reuse_and_recomputed_on_overwrite(
        tiny_family, tmp_path, capsys, damage):
    texts, out = _texts_file(tmp_path), tmp_path / "out"
    assert cli.main(_argv(tiny_family, texts, out)) == 0
    capsys.readouterr()
    good = (out / "entropy.csv").read_bytes()
    table = out / "entropy.csv"
    if damage == "edit":  # one digit of one value
        text = table.read_text()
        i = text.index("\n") + 30
        table.write_text(text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1:])
    elif damage == "append":
        table.write_text(table.read_text() + table.read_text().splitlines()[-1] + "\n")
    elif damage == "truncate":
        table.write_text("\n".join(table.read_text().splitlines()[:-1]) + "\n")
    else:
        table.unlink()
    assert cli.main(_argv(tiny_family, texts, out)) == 2
    line = _err_line(capsys)
    assert "entropy.csv" in line and ("changed after" in line or "missing" in line) and "--overwrite" in line
    # the report's cache query does not count it as finished either
    assert J.finished(out, model=str(tiny_family), revision="step1", config=MeasureConfig(
        measurements=("entropy", "infogain"), layers="1"), dtype="float64") is None
    assert cli.main(_argv(tiny_family, texts, out, "--overwrite")) == 0
    assert (out / "entropy.csv").read_bytes() == good


def test_a_marker_without_checksums_is_not_finished(tiny_family, tmp_path, capsys):
    texts, out = _texts_file(tmp_path), tmp_path / "out"
    assert cli.main(_argv(tiny_family, texts, out)) == 0
    marker = json.loads((out / J.MARKER).read_text())
    del marker["checksums"]  # what the previous version wrote
    (out / J.MARKER).write_text(json.dumps(marker))
    capsys.readouterr()
    assert cli.main(_argv(tiny_family, texts, out)) == 2
    assert "no table checksums" in _err_line(capsys)


def test_a_damaged_shard_table_is_refused_by_the_merge(tiny_family, tmp_path, capsys):
    root, texts = tmp_path / "root", _texts_file(tmp_path)
    for k in (0, 1):
        assert cli.main(_argv(tiny_family, texts, root, "--shard", f"{k}/2")) == 0
    shard = root / "shard-1-of-2" / "infogain.csv"
    shard.write_text("\n".join(shard.read_text().splitlines()[:-3]) + "\n")  # three rows lost
    capsys.readouterr()
    assert cli.main(["--merge", str(root)]) == 2
    line = _err_line(capsys)
    assert "shard-1-of-2" in line and "infogain.csv" in line
    assert not (root / "infogain.csv").exists() and not (root / J.MERGED).exists()


def test_a_merged_table_that_loses_rows_does_not_pass(tiny_family, tmp_path, monkeypatch):
    root, texts = tmp_path / "root", _texts_file(tmp_path)
    for k in (0, 1):
        assert cli.main(_argv(tiny_family, texts, root, "--shard", f"{k}/2")) == 0
    write = J.write_table
    monkeypatch.setattr(J, "write_table", lambda df, path: write(df.iloc[:-1], path))  # a merge bug
    with pytest.raises(ValueError, match="rows but its inputs hold"):
        J.merge_shards(root)
    assert not (root / J.MERGED).exists()
    monkeypatch.setattr(J, "write_table", write)
    merged = J.merge_shards(root)
    counts = json.loads((root / J.MERGED).read_text())["checksums"]
    assert counts["entropy"]["rows"] == len(read_table(merged["entropy"])) == len(TEXTS)


def _save_state(model_dir: Path, edit) -> None:
    from safetensors.torch import load_file, save_file

    state = load_file(model_dir / "model.safetensors")
    edit(state)
    save_file(state, model_dir / "model.safetensors", metadata={"format": "pt"})


def _copy_checkpoint(family: Path, dst: Path) -> Path:
    shutil.copytree(family / "step0", dst)
    for f in family.glob("tokenizer*"):
        shutil.copy(f, dst / f.name)
    return dst


@pytest.mark.parametrize("edit, needle", [
    (lambda s: s.pop(next(k for k in s if "layers.1.mlp" in k)), "missing weight"),
    (lambda s: s.pop(next(k for k in s if "embed_out" in k)), "missing weight"),
    (lambda s: s.__setitem__("gpt_neox.layers.9.mlp.dense_h_to_4h.weight", s[next(iter(s))].clone()),
     "unexpected weight"),
])
def test_a_checkpoint_whose_weights_do_not_match_its_config_is_refused(tiny_family, tmp_path, capsys, edit, needle):
    model = _copy_checkpoint(tiny_family, tmp_path / "m")
    _save_state(model, edit)
    with pytest.raises(ModelUnavailableError, match=needle):
        load_model(model, device="cpu")
    texts = _texts_file(tmp_path)
    assert cli.main(["--model", str(model), "--texts", str(texts), "--measurements", "entropy", "--device", "cpu",
                     "--no-progress", "--out", str(tmp_path / "out")]) == 2
    assert needle in _err_line(capsys)
    assert not list((tmp_path / "out").glob("*.csv"))


def test_the_intact_checkpoint_still_loads(tiny_family, tmp_path):
    model = _copy_checkpoint(tiny_family, tmp_path / "m")
    _save_state(model, lambda s: None)  # rewritten, same tensors
    assert load_model(model, device="cpu").n_layers == 2


# ---------------------------------------------------------------------------------------------- runaway
@pytest.fixture
def no_family(monkeypatch):
    """Fail the test if the default mini-Pythia family would be trained or resolved."""
    def refuse(*a, **k):
        raise AssertionError("the default family was resolved before the options were checked")

    monkeypatch.setattr(cli, "resolve_default_model", refuse)


@pytest.mark.parametrize("argv, needle", [
    (["--texts", "/nonexistent/texts.jsonl"], "--texts file not found: /nonexistent/texts.jsonl"),
    (["--texts", "."], "--texts file . is a folder"),
    (["--layers", "99"], "unknown layer 99"),
    (["--layers", "-99"], "unknown layer -99"),
    (["--model", "minipythia:7k", "--layers", "3"], "unknown layer 3"),  # 7k has 2 blocks: states 0..2
    (["--model", "minipythia:huge"], "unknown size 'huge'"),
    (["--shard", "0/1000000000"], "at most 100,000 shards"),
    (["--jobs", "/nonexistent/jobs.txt"], "--jobs file not found"),
    (["--device", "mps"], "--device 'mps'"),
    (["--attn-implementation", "flash"], "--attn-implementation must be one of"),
])
def test_without_model_every_option_is_checked_before_the_default_family(no_family, tmp_path, capsys, argv,
                                                                         needle):
    t0 = time.monotonic()
    assert cli.main([*argv, "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert needle in _err_line(capsys)
    assert time.monotonic() - t0 < 30 and not (tmp_path / "out").exists()


def test_layers_beyond_a_local_model_are_refused_before_it_loads(tiny_family, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(E, "_load", lambda *a, **k: (_ for _ in ()).throw(AssertionError("a model was loaded")))
    texts = _texts_file(tmp_path)
    argv = _argv(tiny_family, texts, tmp_path / "o")
    argv[argv.index("--layers") + 1] = "7"
    assert cli.main(argv) == 2
    line = _err_line(capsys)
    assert "--layers" in line and "unknown layer 7" in line and str(tiny_family) in line


@pytest.mark.parametrize("name", ["shard-0-of-1000000000", "shard-5-of-3"])
def test_a_merge_root_claiming_implausible_shards_is_refused_at_once(tiny_family, tmp_path, capsys, name):
    root, texts = tmp_path / "root", _texts_file(tmp_path)
    assert cli.main(_argv(tiny_family, texts, root, "--shard", "0/1")) == 0
    (root / name).mkdir()
    capsys.readouterr()
    t0 = time.monotonic()
    assert cli.main(["--merge", str(root)]) == 2
    assert time.monotonic() - t0 < 10
    assert name in _err_line(capsys)


def test_many_missing_shards_are_counted_not_listed(tiny_family, tmp_path, capsys):
    root, texts = tmp_path / "root", _texts_file(tmp_path)
    assert cli.main(_argv(tiny_family, texts, root, "--shard", "0/90000")) == 0
    capsys.readouterr()
    t0 = time.monotonic()
    assert cli.main(["--merge", str(root)]) == 2
    line = _err_line(capsys)
    assert time.monotonic() - t0 < 10 and "shards 1/90000, 2/90000" in line and "89,979 more" in line
    assert len(line) < 1000


@pytest.mark.parametrize("threads", ["1000000", "max+1", "0"])
def test_minipythia_train_refuses_an_implausible_thread_count(tmp_path, capsys, threads):
    from empirical.minipythia.__main__ import main
    from empirical.minipythia.train import max_threads

    value = str(max_threads() + 1) if threads == "max+1" else threads
    assert main(["train", "--threads", value, "--root", str(tmp_path / "cache"), "--no-progress"]) == 2
    line = [ln for ln in capsys.readouterr().err.splitlines() if "error:" in ln][0]
    assert "--threads" in line
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


# ------------------------------------------------------------------------ user input, not internal errors
@pytest.mark.parametrize("device, needle", [("mps", "no Apple MPS"), ("xpu", "not 'xpu'"), ("cuda:7", "CUDA"),
                                            ("gpu", "--device must be")])
def test_an_unavailable_device_is_one_line(tiny_family, tmp_path, capsys, device, needle):
    assert cli.main(_argv(tiny_family, _texts_file(tmp_path), tmp_path / "o", "--device", device)) == 2
    assert needle in _err_line(capsys)


@pytest.mark.parametrize("impl, needle", [("flash", "must be one of"), ("flash_attention_2", "flash_attn"),
                                          ("flash_attention_3", "flash_attn_interface")])
def test_an_attention_implementation_without_its_package_is_one_line(tiny_family, tmp_path, capsys, impl, needle):
    pytest.importorskip("torch")
    import importlib.util

    if impl != "flash" and importlib.util.find_spec(needle) is not None:
        pytest.skip(f"{needle} is installed here")
    assert cli.main(_argv(tiny_family, _texts_file(tmp_path), tmp_path / "o", "--attn", impl)) == 2
    assert needle in _err_line(capsys)
    with pytest.raises(ValueError, match=needle):
        load_model(tiny_family, revision="step0", device="cpu", attn_implementation=impl)


def test_a_tokenizer_larger_than_the_embedding_is_one_line(tiny_family, tmp_path, capsys):
    import torch
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    model = tmp_path / "small_vocab"
    cfg = GPTNeoXConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, rotary_pct=0.25)
    torch.manual_seed(0)
    GPTNeoXForCausalLM(cfg).save_pretrained(model)
    for f in tiny_family.glob("tokenizer*"):  # the family's 400-token tokenizer
        shutil.copy(f, model / f.name)
    assert cli.main(["--model", str(model), "--texts", str(_texts_file(tmp_path)), "--measurements", "entropy",
                     "--device", "cpu", "--no-progress", "--out", str(tmp_path / "o")]) == 2
    line = _err_line(capsys)
    assert "tokenizer" in line and "100 rows" in line


def test_reports_model_given_empty_is_refused_not_the_default_family(monkeypatch):
    from empirical.measure import report

    monkeypatch.setattr("empirical.minipythia.ensure_family",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("family trained")))
    for bad in ("", "   "):
        with pytest.raises(ValueError, match="--model must name"):
            report.report_tables(model=bad, progress=False)


@pytest.mark.parametrize("argv, needle", [
    (["--merge", "/nonexistent/root"], "--merge folder not found: /nonexistent/root"),
    (["--jobs", "JOBS_DIR"], "--jobs file"),
])
def test_messages_name_the_option_the_user_gave(tmp_path, capsys, argv, needle):
    argv = [str(tmp_path) if a == "JOBS_DIR" else a for a in argv]
    assert cli.main([*argv, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert needle in _err_line(capsys)


def test_the_text_tables_memory_is_estimated_before_they_are_built(tiny_family, tmp_path, capsys, monkeypatch):
    """Texts x layers x tokens of per-token rows: refused by name when they cannot fit (free memory pinned)."""
    import infogeo.validation as V

    real = V.check_memory
    def pinned(need, what, *a, **k):  # only the table estimate sees a small machine
        return real(need, what, *a, **({**k, "available": 10_000} if what.startswith("--limit") else k))

    monkeypatch.setattr(V, "check_memory", pinned)
    assert cli.main(_argv(tiny_family, _texts_file(tmp_path), tmp_path / "o")) == 2
    line = _err_line(capsys)
    assert "--limit 3 texts" in line and "--layers" in line and not list((tmp_path / "o").glob("*.csv"))
