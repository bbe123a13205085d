"""``python -m simulate neural``, round two (issue 24): every option is checked before any work.

Laws: a size that cannot fit is refused with a memory estimate before anything is allocated (the refusal comes
back in well under a second and names the option's value); a repeated value, an option of the other mode, a bad
shard or a bad merge folder is one line naming the option, exit 2, before training; a folder holds one kind of
thing (an unsharded grid run or the shards of one).
"""
from __future__ import annotations

import re
import time

import pytest

pytest.importorskip("torch")

from infogeo.validation import ValidationError  # noqa: E402
from simulate.neural.cli import main  # noqa: E402
from simulate.neural.training import RunConfig, check_run_memory  # noqa: E402

GiB = 2**30


def _refused(argv, capsys, *needles):
    t0 = time.perf_counter()
    code = main(argv + ["--no-progress"])
    took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err  # one line, no traceback
    for n in needles:
        assert n in err, (n, err)
    assert took < 20, took  # refused before any training (a CI-tier run alone takes longer on a loaded box)
    return err


@pytest.mark.parametrize("argv, named", [
    (["--tier", "ci", "--batch", "1e9"], "--batch 1000000000"),
    (["--tier", "ci", "--widths", "10000000"], "--width 10000000"),
    (["--tier", "ci", "--width", "1e7"], "--width 10000000"),
    (["--tier", "ci", "--eval-per-task", "1e9"], "--eval-per-task 1000000000"),
    (["--tier", "ci", "--tasks", "400000000", "--bits", "60", "--k-bits", "8"], "--tasks 400000000"),
    (["--tier", "ci", "--steps", "1e12"], "--steps 1000000000000"),
    (["--tier", "ci", "--steps", "1e9", "--eval-every", "1", "--tasks", "60"], "--eval-every 1"),
    (["--tier", "ci", "--processes", "100000", "--batch", "3e6", "--seeds", "0", "1", "2", "3"], "--batch 3000000"),
])
def test_sizes_that_cannot_fit_are_refused_with_an_estimate(argv, named, capsys):
    err = _refused(argv, capsys, "needs ~", named, "available")
    assert re.search(r"needs ~[\d.]+ [GTPE]B", err), err


def test_the_estimate_grows_with_every_size_and_sums_the_processes(monkeypatch):
    import infogeo.validation as V

    base = RunConfig(alpha=1.0, tasks=40, bits=30, k_bits=6, width=16, steps=10, batch=100)
    for field, big in (("batch", 10**6), ("width", 10**4), ("eval_per_task", 10**5), ("tasks", 10**5),
                       ("depth", 50)):
        cfg = RunConfig(**{**base.__dict__, field: big})
        assert cfg.memory_bytes() > 10 * base.memory_bytes(), field
    one = RunConfig(**{**base.__dict__, "batch": 10**6})
    monkeypatch.setattr(V, "_device_room", lambda device: int(2.5 * one.memory_bytes() / V.MEMORY_FRACTION))
    check_run_memory([one] * 3, 2)  # two side by side fit in 2.5 runs' room
    with pytest.raises(ValidationError, match="3 run"):
        check_run_memory([one] * 3, 3)  # three do not


@pytest.mark.parametrize("argv, option", [
    (["--tier", "ci", "--widths", "16", "32", "16"], "--widths"),
    (["--tier", "ci", "--seeds", "0", "0"], "--seeds"),
    (["--tier", "ci", "--alpha", "1", "1.0"], "--alpha"),
    (["--tier", "grid-ci", "--variants", "adam", "adam"], "--variants"),
    (["--tier", "grid-ci", "--seeds", "1", "2", "1"], "--seeds"),
])
def test_repeated_values_name_their_option_before_training(argv, option, capsys):
    _refused(argv, capsys, option, "each value once")


@pytest.mark.parametrize("argv, needles", [
    (["--tier", "full", "--lr", "0.1"], ("--lr", "fixed robustness grid")),
    (["--tier", "grid-ci", "--widths", "8", "16"], ("--widths",)),
    (["--tier", "grid-ci", "--variants", "nope"], ("variants", "nope")),
    (["--tier", "ci", "--variants", "adam"], ("--variants", "grid tiers")),
    (["--tier", "ci", "--shard", "0/2"], ("--shard", "grid tiers")),
    (["--tier", "grid-ci", "--shard", "0/2"], ("--shard needs --out",)),
    (["--tier", "grid-ci", "--shard", "2/2", "--out", "OUT"], ("shard", "0 <= k < n")),
    (["--tier", "grid-ci", "--shard", "a/b", "--out", "OUT"], ("shard", "k/n")),
    (["--tier", "grid-ci", "--merge", "OUT/nothing-here"], ("--merge", "not a folder")),
    (["--tier", "grid-ci", "--merge", "OUT", "--out", "OUT"], ("--merge DIR writes into DIR",)),
    (["--tier", "ci", "--optimizer", "rmsprop"], ("--optimizer",)),
    (["--tier", "ci", "--subsets", "disjoint"], ("disjoint", "bits >=")),
    (["--tier", "ci", "--lr", "-1e-3"], ("--lr",)),
    (["--tier", "ci", "--seeds", "1e3"], ("--seeds",)),
])
def test_bad_options_are_one_line_naming_them(argv, needles, capsys, tmp_path):
    argv = [str(tmp_path) + a[3:] if a.startswith("OUT") else a for a in argv]
    _refused(argv, capsys, *needles)


def test_an_empty_merge_root_is_refused(tmp_path, capsys):
    _refused(["--tier", "grid-ci", "--merge", str(tmp_path)], capsys, "no shard-k-of-n")


def test_a_folder_holds_one_kind_of_thing(tmp_path, capsys):
    """An unsharded grid run's folder is refused as a merge root and for shards, and a shard root for an
    unsharded run, before any training."""
    run_dir, shard_dir = tmp_path / "run", tmp_path / "shards"
    (run_dir / "runs").mkdir(parents=True)
    (shard_dir / "shard-0-of-2").mkdir(parents=True)
    _refused(["--tier", "grid-ci", "--merge", str(run_dir)], capsys, "holds an unsharded run")
    _refused(["--tier", "grid-ci", "--out", str(run_dir), "--shard", "0/2"], capsys, "holds an unsharded run")
    _refused(["--tier", "grid-ci", "--out", str(shard_dir)], capsys, "holds shards")
