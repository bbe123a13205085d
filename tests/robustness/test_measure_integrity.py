"""Issue 13, output integrity of ``empirical measure``: one writer per folder, resumable runs, merges that refuse.

The concurrency and interruption cases use REAL processes (``python -m empirical measure`` and a small
driver that pauses or kills itself at a chosen point) on the tiny random GPT-NeoX family of
tests/empirical/test_models.py. Every subprocess is bounded by a timeout.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from empirical.io import read_table  # noqa: E402
from empirical.measure import engine as E  # noqa: E402
from empirical.measure import jobs as J  # noqa: E402
from empirical.measure.cli import main as cli_main  # noqa: E402
from empirical.measure.config import MeasureConfig  # noqa: E402
from empirical.measure.outputs import LOCK  # noqa: E402

pytestmark = pytest.mark.models

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["the quick brown fox jumps over the lazy dog", "Is Paris the capital of France? Yes.",
         "Human: can you help me? Assistant: yes.", "numbers 0 1 2 3 and the fox"]
COMMON = dict(device="cpu", dtype="float64", progress=False, batch_size=2, layers="1")
TIMEOUT = 120
# A driver that runs the CLI with one engine step patched: pause (after the lock is taken, before measuring)
# until a file appears, or kill itself with SIGKILL right after the first table is written.
DRIVER = r"""
import os, signal, sys, time
from pathlib import Path
from empirical.measure import engine as E
from empirical.measure.cli import main
mode, flag = sys.argv[1], Path(sys.argv[2])
if mode == "pause":
    orig = E._measure_all
    def paused(*a, **k):
        flag.with_suffix(".ready").touch()
        t0 = time.time()
        while not flag.exists() and time.time() - t0 < 100:
            time.sleep(0.05)
        return orig(*a, **k)
    E._measure_all = paused
else:
    orig = E.write_table
    def write_then_die(df, path):
        out = orig(df, path)
        os.kill(os.getpid(), signal.SIGKILL)
        return out
    E.write_table = write_then_die
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture(scope="module")
def family(tiny_family):
    return tiny_family


def _config(kw: dict) -> MeasureConfig:
    """The MeasureConfig of the fields among ``kw`` (removed from it)."""
    return MeasureConfig(**{k: kw.pop(k) for k in list(kw) if k in MeasureConfig.fields()})


def _run(model, **kw):
    return E.run_measurements(model, _config(kw), **kw)


def _jobs(jobs, **kw):
    return E.run_jobs(jobs, config=_config(kw), **kw)


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _argv(family, texts, out, *extra):
    return ["--model", str(family), "--revision", "step1", "--texts", str(texts), "--measurements",
            "entropy,infogain", "--layers", "1", "--device", "cpu", "--dtype", "float64", "--no-progress",
            "--out", str(out), *extra]


def _driver(mode, flag, argv):
    return subprocess.Popen([sys.executable, "-c", DRIVER, mode, str(flag), *argv], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "error:" in ln]


def test_a_second_concurrent_run_into_one_folder_is_refused_in_one_line_and_overwrites_nothing(family, tmp_path):
    texts = tmp_path / "t.txt"
    texts.write_text("\n".join(TEXTS) + "\n")
    out, flag = tmp_path / "out", tmp_path / "go"
    first = _driver("pause", flag, _argv(family, texts, out, "--sigma", "0.01"))
    try:
        t0 = time.time()
        while not flag.with_suffix(".ready").exists():
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.time() - t0 < TIMEOUT, "the first run never took the lock"
            time.sleep(0.1)
        assert (out / LOCK).exists()
        second = subprocess.run([sys.executable, "-m", "empirical", "measure",
                                 *_argv(family, texts, out, "--sigma", "0.02")],
                                cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
        assert second.returncode == 2
        assert "Traceback" not in second.stderr
        lines = _error_lines(second.stderr)
        assert len(lines) == 1 and f"pid {first.pid}" in lines[0] and "another run" in lines[0], second.stderr
        assert not list(out.glob("*.csv")) and not (out / J.MARKER).exists()  # the second wrote nothing
    finally:
        flag.touch()
        _, err = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 0, err[-2000:]
    # the survivor's tables and marker agree: sigma 0.01 everywhere, no lock or temporary file left
    assert set(read_table(out / "infogain.csv")["sigma"]) == {0.01}
    assert json.loads((out / J.MARKER).read_text())["config"]["measure_config"]["sigma"] == 0.01
    assert sorted(p.name for p in out.iterdir()) == sorted([J.MARKER, "entropy.csv", "infogain.csv"])
    # a rerun with the other sigma is refused before any model loads, naming the field
    assert cli_main(_argv(family, texts, out, "--sigma", "0.02")) == 2


def test_an_interrupted_run_leaves_a_stale_lock_and_resumes_to_the_uninterrupted_tables(family, tmp_path):
    texts = tmp_path / "t.txt"
    texts.write_text("\n".join(TEXTS) + "\n")
    out = tmp_path / "killed"
    proc = _driver("kill", tmp_path / "unused", _argv(family, texts, out))
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -9
    assert (out / LOCK).exists() and not (out / J.MARKER).exists()  # crashed mid-run: unfinished, lock left
    assert len(list(out.glob("*.csv"))) == 1 and not list(out.glob(".*tmp"))
    holder = json.loads((out / LOCK).read_text())
    assert holder["pid"] == proc.pid and {"host", "started"} <= set(holder)
    (out / ".infogain.csv.abc123.tmp").write_text("half a table")  # what a kill during a write leaves
    assert cli_main(_argv(family, texts, out)) == 0  # the dead holder's lock is stale: taken over
    assert cli_main(_argv(family, texts, tmp_path / "clean")) == 0
    for name in ("entropy.csv", "infogain.csv"):
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == sorted([J.MARKER, "entropy.csv", "infogain.csv"])


def test_a_live_lock_from_another_host_is_never_taken_over(family, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / LOCK).write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "started": "2026-01-01T00:00:00"}))
    with pytest.raises(ValueError, match="elsewhere.example"):
        _run(family, revision="step1", texts=TEXTS, out_dir=out, measurements=("entropy",), **COMMON)
    assert not list(out.glob("*.csv"))


def _shards(family, root, n, ks, **kw):
    for k in ks:
        _run(family, **{"revision": "step1", "texts": TEXTS, "measurements": ("entropy", "infogain"),
                                      **COMMON, **kw, "out_dir": root, "shard": (k, n)})


@pytest.mark.parametrize("change, field, values", [
    (dict(sigma=0.02), "sigma", ("0.01", "0.02")),
    (dict(texts=TEXTS[::-1]), "texts_sha256", ()),
    (dict(revision="step0"), "revision", ("'step1'", "'step0'")),
    (dict(eps=0.2), "eps", ("0.1", "0.2")),
])
def test_merging_shards_of_different_runs_is_refused_naming_the_field(family, tmp_path, change, field, values):
    _shards(family, tmp_path, 2, [0])
    _shards(family, tmp_path, 2, [1], **change)
    with pytest.raises(ValueError, match=f"{field} differs") as err:
        J.merge_shards(tmp_path)
    assert all(v in str(err.value) for v in values), str(err.value)
    assert not (tmp_path / "entropy.csv").exists() and not (tmp_path / J.MERGED).exists()


def test_an_incomplete_set_is_refused_unless_partial_is_asked_for_and_then_recorded(family, tmp_path, capsys):
    _shards(family, tmp_path, 3, [0, 2])
    assert cli_main(["--merge", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and "shards 1/3 are not finished" in err and "--allow-partial" in err
    assert not (tmp_path / "entropy.csv").exists()
    assert cli_main(["--merge", str(tmp_path), "--allow-partial"]) == 0
    merged = json.loads((tmp_path / J.MERGED).read_text())
    assert merged["partial"] is True and merged["missing"] == ["shards 1/3"]
    ids = set(read_table(tmp_path / "entropy.csv")["text_id"])
    assert ids == {0, 2, 3}  # shards 0/3 (texts 0, 3) and 2/3 (text 2); text 1 is the missing shard's
    _shards(family, tmp_path, 3, [1])
    J.merge_shards(tmp_path)
    assert json.loads((tmp_path / J.MERGED).read_text())["partial"] is False


def test_shard_sets_of_different_sizes_and_duplicate_rows_are_refused(family, tmp_path):
    _shards(family, tmp_path / "a", 2, [0, 1])
    _shards(family, tmp_path / "a", 3, [0, 1, 2])
    with pytest.raises(ValueError, match="shard_count differs|shard count differs"):
        J.merge_shards(tmp_path / "a")
    # the same finished run present twice under one root: same keys, refused rather than doubled
    for name in ("x", "y"):
        _run(family, revision="step1", texts=TEXTS, measurements=("entropy",), out_dir=tmp_path / "b" /
                           name, **COMMON)
    with pytest.raises(ValueError, match="repeated key"):
        J.merge_shards(tmp_path / "b")


def test_a_half_finished_job_list_is_refused_naming_the_missing_checkpoint(family, tmp_path):
    jobs = [(str(family), "step0"), (str(family), "step1")]
    _jobs(jobs, out_dir=tmp_path, shard=(0, 2), texts=TEXTS, measurements=("entropy",), **COMMON)
    with pytest.raises(ValueError, match="step1"):
        J.merge_shards(tmp_path)
    _jobs(jobs, out_dir=tmp_path, shard=(1, 2), texts=TEXTS, measurements=("entropy",), **COMMON)
    assert set(read_table(J.merge_shards(tmp_path)["entropy"])["revision"]) == {"step0", "step1"}


@pytest.mark.parametrize("argv, option", [(["--limit", "0"], "--limit"), (["--limit", "-1"], "--limit"),
                                          (["--seed", "-1"], "--seed"), (["--batch-size", "0"], "--batch-size"),
                                          (["--max-tokens", "0"], "--max-tokens")])
def test_bad_counts_are_refused_naming_the_option(tmp_path, capsys, argv, option):
    assert cli_main([*argv, "--out", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_the_finished_marker_and_an_unwritable_out_are_checked_before_a_model_loads(family, tmp_path, monkeypatch):
    kw = dict(revision="step1", texts=TEXTS, measurements=("entropy",), **COMMON)
    done = _run(family, out_dir=tmp_path / "d", **kw)
    blocker = tmp_path / "file"
    blocker.write_text("x")

    def no_load(*a, **k):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(E, "_load", no_load)
    assert _run(family, out_dir=tmp_path / "d", **kw) == done
    with pytest.raises(ValueError, match="different configuration.*eps"):
        _run(family, out_dir=tmp_path / "d", **{**kw, "eps": 0.3})
    with pytest.raises(OSError, match="not a directory"):
        _run(family, out_dir=blocker, **kw)


def test_an_out_that_is_a_file_is_one_line_before_anything_is_built(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli_main(["--out", str(blocker), "--no-progress"]) == 2  # the default model is never resolved
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and "not a directory" in err and "Traceback" not in err
    assert blocker.read_text() == "x"
