"""Issue 13, the empirical layer's part of the sweep: bad and edge inputs through every empirical entry point.

Each input runs IN-PROCESS through ``python -m empirical fit``, ``python -m empirical measure`` (on the tiny
random GPT-NeoX family of tests/conftest.py) or ``infogeo minipythia`` (never training), under a timeout,
and its outcome is classified:

``clean``      exit 2 and exactly one line ``prog: error: ...`` that names the argument or file (``names``)
``unclear``    exit 2 and one error line that does NOT name it
``ok``         exit 0 and, where the case has one, its check of the output holds
``silent``     exit 0 where an error was due, or an output check that fails (silently wrong)
``traceback``  a traceback (an internal error) or any other exit
``runaway``    still running after ``TIMEOUT_S`` seconds

Every case states the outcome it must have (``clean`` or ``ok``); the test fails on any other, so no
silent, unclear, traceback or runaway outcome survives. Cases by category (expected outcome counts):

=================  =====  ====================================================================
category           cases  what
=================  =====  ====================================================================
usage              45     unknown/negative/non-numeric options of fit, measure, minipythia; every
                          measurement parameter at 0, negative, NaN, inf; bad --shard, --dtype,
                          --device, --layers, --measurements, --text-field, conflicting options
paths              18     --out/--data/--texts/--jobs/--model/--merge/--write-pythia-jobs/--root
                          that are files, folders, missing, or below a file
files/formats      30     loss CSVs (empty, header only, random bytes, non-UTF-8, NaN, inf, 0,
                          negative step, text in a number column, conflicting and exact
                          duplicates, missing column, wrong separator, BOM); texts (non-UTF-8,
                          fake gzip, numbers, invalid JSON, missing key, empty, blank, wrong
                          suffix, BOM, gzip); model folders (no tokenizer, truncated weights,
                          damaged config); damaged marker, empty stale lock, non-UTF-8 jobs
sizes/memory       6      --n-boot 1e9, --batch-size 1e6, --max-tokens beyond the context and tiny,
                          --limit 1, a batch larger than the memory available
numerics           8      losses of 1e300 and 1e-300; --sigma 1e-300, 1e100 and 1e300; --eps
                          1e-300, 1e100 and 1e300 (eps and sigma are squared: outside
                          MeasureConfig's SQUARED_RANGE they are refused)
=================  =====  ====================================================================

107 inputs; the counts are asserted below (``test_the_sweep_covers_every_category``). Bounded to about a
minute: fits use ``--n-boot 20 --no-windows --no-figures``, measurements one layer and a few short texts.
"""
from __future__ import annotations

import gzip
import importlib
import logging
import os
import shlex
import shutil
import signal
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from empirical.fit.pythia import DEFAULT_LOSS, load_pythia  # noqa: E402

pytestmark = pytest.mark.models

TIMEOUT_S = 60
FIT = ("empirical.__main__", ["fit"], "python -m empirical fit")
MEASURE = ("empirical.__main__", ["measure"], "python -m empirical measure")
MINI = ("empirical.minipythia.__main__", [], "infogeo minipythia")
FAST_FIT = "--n-boot 20 --no-windows --no-figures --quiet --json"
M_BASE = "--device cpu --no-progress --measurements entropy --layers 1"
M_RUN = f"--model {{fam}} --revision step0 {M_BASE}"


@dataclass
class Case:
    id: str
    category: str
    entry: tuple
    argv: str  # shlex-split, then each token .format(**env)
    expect: str  # "clean" or "ok"
    names: str = ""  # what the error line must hold (the option or the file)
    check: object = None  # ok cases: env -> bool, the output is right
    setup: object = None  # (env, monkeypatch) -> None, before the run


def _rows(table, n=None, pred=None):
    def check(env):
        df = pd.read_csv(env["out"] / f"{table}.csv")
        return (n is None or df["text_id"].nunique() == n) and (pred is None or bool(pred(df)))
    return check


def _tiny_memory(env, monkeypatch):
    from infogeo import validation

    monkeypatch.setattr(validation, "_device_room", lambda device=None: 2 ** 16)


def _stale_lock(env, monkeypatch):
    env["out"].mkdir(parents=True, exist_ok=True)
    lock = env["out"] / "_lock.json"
    lock.write_bytes(b"")
    os.utime(lock, (time.time() - 3600,) * 2)


def _damaged_marker(env, monkeypatch):
    env["out"].mkdir(parents=True, exist_ok=True)
    (env["out"] / "_done.json").write_text('{"config": ')


U, P, F, S, N = "usage", "paths", "files/formats", "sizes/memory", "numerics"
CASES = [
    # ------------------------------------------------------------------ usage: fit
    Case("fit-unknown-option", U, FIT, "--no-such-option", "clean", "--no-such-option"),
    Case("fit-n-boot-negative", U, FIT, "--n-boot -1", "clean", "--n-boot"),
    Case("fit-n-boot-text", U, FIT, "--n-boot many", "clean", "--n-boot"),
    Case("fit-n-boot-float", U, FIT, "--n-boot 2.5", "clean", "--n-boot"),
    Case("fit-seed-negative", U, FIT, "--seed -1", "clean", "--seed"),
    Case("fit-seed-float", U, FIT, "--seed 1.5", "clean", "--seed"),
    Case("fit-loss-column", U, FIT, "--loss-column nope --out {tmp}/fo", "clean", "--loss-column"),
    Case("fit-loss-column-data", U, FIT, "--data {std} --loss-column nope --out {tmp}/fo", "clean", "--loss-column"),
    Case("fit-extra-positional", U, FIT, "surplus", "clean", "surplus"),
    Case("fit-data-no-value", U, FIT, "--data", "clean", "--data"),
    # ------------------------------------------------------------------ usage: measure
    Case("measure-unknown-option", U, MEASURE, "--bogus", "clean", "--bogus"),
    Case("measure-limit-0", U, MEASURE, "--limit 0", "clean", "--limit"),
    Case("measure-limit-negative", U, MEASURE, "--limit -1", "clean", "--limit"),
    Case("measure-batch-0", U, MEASURE, "--batch-size 0", "clean", "--batch-size"),
    Case("measure-max-tokens-0", U, MEASURE, "--max-tokens 0", "clean", "--max-tokens"),
    Case("measure-seed-negative", U, MEASURE, "--seed -1", "clean", "--seed"),
    Case("measure-shard-k-too-big", U, MEASURE, f"{M_RUN} --texts {{jsonl}} --shard 3/2 --out {{out}}", "clean",
         "shard"),
    Case("measure-shard-garbage", U, MEASURE, f"{M_RUN} --texts {{jsonl}} --shard x --out {{out}}", "clean",
         "shard"),
    Case("measure-measurements-unknown", U, MEASURE, "--measurements nope", "clean", "--measurements"),
    Case("measure-measurements-empty", U, MEASURE, "--measurements ,", "clean", "--measurements"),
    Case("measure-eps-0", U, MEASURE, "--eps 0", "clean", "--eps"),
    Case("measure-eps-nan", U, MEASURE, "--eps nan", "clean", "--eps"),
    Case("measure-sigma-negative", U, MEASURE, "--sigma -1", "clean", "--sigma"),
    Case("measure-sigma-inf", U, MEASURE, "--sigma inf", "clean", "--sigma"),
    Case("measure-lambda-0", U, MEASURE, "--lasso-lambda 0", "clean", "--lasso-lambda"),
    Case("measure-threshold-negative", U, MEASURE, "--threshold -1", "clean", "--threshold"),
    Case("measure-threshold-nan", U, MEASURE, "--threshold nan", "clean", "--threshold"),
    Case("measure-gamma-0", U, MEASURE, "--gamma 0", "clean", "--gamma"),
    Case("measure-ridge-negative", U, MEASURE, "--ridge -1", "clean", "--ridge"),
    Case("measure-ridge-nan", U, MEASURE, "--ridge nan", "clean", "--ridge"),
    Case("measure-eps-text", U, MEASURE, "--eps small", "clean", "--eps"),
    Case("measure-dtype", U, MEASURE, "--dtype float8", "clean", "--dtype"),
    Case("measure-device-tpu", U, MEASURE, "--device tpu", "clean", "--device"),
    Case("measure-device-cuda", U, MEASURE, "--device cuda:7", "clean", "--device"),
    Case("measure-text-field-empty", U, MEASURE, "--text-field ''", "clean", "--text-field"),
    Case("measure-jobs-and-model", U, MEASURE, "--jobs {jobs} --model x/y --out {out}", "clean", "--jobs"),
    Case("measure-layers-garbage", U, MEASURE, f"{M_RUN} --texts {{jsonl}} --layers abc --out {{out}}", "clean",
         "--layers"),
    Case("measure-layers-99", U, MEASURE, f"{M_RUN} --texts {{jsonl}} --layers 99 --out {{out}}", "clean",
         "layer 99"),
    # ------------------------------------------------------------------ usage: minipythia (never trains)
    Case("mini-unknown-command", U, MINI, "bogus", "clean", "bogus"),
    Case("mini-seed-negative", U, MINI, "train --seed -1", "clean", "--seed"),
    Case("mini-threads-0", U, MINI, "train --threads 0", "clean", "--threads"),
    Case("mini-step-negative", U, MINI, "path 7k --step -1", "clean", "--step"),
    Case("mini-step-not-checkpoint", U, MINI, "path 7k --step 3", "clean", "--step"),
    Case("mini-size-unknown", U, MINI, "path nosuch", "clean", "nosuch"),
    Case("mini-sizes-unknown", U, MINI, "train --minimal --sizes nosuch --root {tmp}/mp", "clean", "--sizes"),
    # ------------------------------------------------------------------ paths
    Case("fit-out-file", P, FIT, "--out {afile}", "clean", "--out"),
    Case("fit-out-below-file", P, FIT, "--out {afile}/sub", "clean", "--out"),
    Case("fit-data-folder", P, FIT, "--data {adir} --out {tmp}/fo", "clean", "--data"),
    Case("fit-data-missing", P, FIT, "--data {tmp}/missing.csv --out {tmp}/fo", "clean", "--data"),
    Case("measure-out-file", P, MEASURE, f"{M_RUN} --texts {{jsonl}} --out {{afile}}", "clean", "--out"),
    Case("measure-texts-missing", P, MEASURE, f"{M_RUN} --texts {{tmp}}/missing.jsonl --out {{out}}", "clean",
         "missing.jsonl"),
    Case("measure-texts-folder", P, MEASURE, f"{M_RUN} --texts {{adir}} --out {{out}}", "clean", "{adir}"),
    Case("measure-jobs-missing", P, MEASURE, "--jobs {tmp}/missing_jobs.txt --out {out}", "clean", "missing_jobs"),
    Case("measure-jobs-folder", P, MEASURE, "--jobs {adir} --out {out}", "clean", "{adir}"),
    Case("measure-model-missing", P, MEASURE, f"--model {{tmp}}/nomodel {M_BASE} --texts {{jsonl}} --out {{out}}",
         "clean", "nomodel"),
    Case("measure-model-file", P, MEASURE, f"--model {{afile}} {M_BASE} --texts {{jsonl}} --out {{out}}", "clean",
         "{afile}"),
    Case("measure-model-no-config", P, MEASURE, f"--model {{adir}} {M_BASE} --texts {{jsonl}} --out {{out}}",
         "clean", "config.json"),
    Case("measure-revision-missing", P, MEASURE, f"--model {{fam}} --revision step99 {M_BASE} --texts {{jsonl}} "
         "--out {out}", "clean", "step99"),
    Case("measure-merge-missing", P, MEASURE, "--merge {tmp}/nothere", "clean", "nothere"),
    Case("measure-merge-file", P, MEASURE, "--merge {afile}", "clean", "{afile}"),
    Case("measure-pythia-jobs-no-dir", P, MEASURE, "--write-pythia-jobs {tmp}/no/dir/jobs.txt", "clean", "no/dir"),
    Case("mini-root-file", P, MINI, "path --root {afile}", "clean", "--root"),
    Case("mini-losses-missing", P, MINI, "losses --root {tmp}/mp_empty", "clean", "losses.csv"),
    # ------------------------------------------------------------------ files/formats: loss CSVs
    Case("csv-empty", F, FIT, "--data {csv_empty} --out {tmp}/fo", "clean", "{csv_empty}"),
    Case("csv-header-only", F, FIT, "--data {csv_header} --out {tmp}/fo", "clean", "{csv_header}"),
    Case("csv-random-bytes", F, FIT, "--data {csv_random} --out {tmp}/fo", "clean", "{csv_random}"),
    Case("csv-latin1", F, FIT, "--data {csv_latin1} --out {tmp}/fo", "clean", "{csv_latin1}"),
    Case("csv-nan-loss", F, FIT, "--data {csv_nan} --out {tmp}/fo", "clean", DEFAULT_LOSS),
    Case("csv-inf-loss", F, FIT, "--data {csv_inf} --out {tmp}/fo", "clean", DEFAULT_LOSS),
    Case("csv-zero-loss", F, FIT, "--data {csv_zero} --out {tmp}/fo", "clean", DEFAULT_LOSS),
    Case("csv-negative-step", F, FIT, "--data {csv_negstep} --out {tmp}/fo", "clean", "'step'"),
    Case("csv-text-params", F, FIT, "--data {csv_textparams} --out {tmp}/fo", "clean", "params_total"),
    Case("csv-conflicting-dup", F, FIT, "--data {csv_conflict} --out {tmp}/fo", "clean", "different rows"),
    Case("csv-missing-column", F, FIT, "--data {csv_nocol} --out {tmp}/fo", "clean", "tokens"),
    Case("csv-semicolons", F, FIT, "--data {csv_semicolon} --out {tmp}/fo", "clean", "{csv_semicolon}"),
    Case("csv-exact-dup", F, FIT, f"--data {{csv_exactdup}} --out {{tmp}}/fo_dup {FAST_FIT}", "ok",
         check=lambda env: (env["tmp"] / "fo_dup" / "fits.csv").exists()),
    Case("csv-bom", F, FIT, f"--data {{csv_bom}} --out {{tmp}}/fo_bom {FAST_FIT}", "ok",
         check=lambda env: (env["tmp"] / "fo_bom" / "fits.csv").exists()),
    # ------------------------------------------------------------------ files/formats: texts, models, markers
    Case("texts-latin1", F, MEASURE, f"{M_RUN} --texts {{txt_latin1}} --out {{out}}", "clean", "latin1.txt:2"),
    Case("texts-fake-gz", F, MEASURE, f"{M_RUN} --texts {{fake_gz}} --out {{out}}", "clean", "fake.jsonl.gz"),
    Case("texts-number", F, MEASURE, f"{M_RUN} --texts {{num_jsonl}} --out {{out}}", "clean", "num.jsonl:2"),
    Case("texts-invalid-json", F, MEASURE, f"{M_RUN} --texts {{bad_jsonl}} --out {{out}}", "clean", "bad.jsonl:1"),
    Case("texts-missing-key", F, MEASURE, f"{M_RUN} --texts {{nokey_jsonl}} --out {{out}}", "clean", "nokey.jsonl:1"),
    Case("texts-empty-file", F, MEASURE, f"{M_RUN} --texts {{empty_jsonl}} --out {{out}}", "clean", "empty.jsonl"),
    Case("texts-blank-lines", F, MEASURE, f"{M_RUN} --texts {{blank_txt}} --out {{out}}", "clean", "blank.txt"),
    Case("texts-wrong-suffix", F, MEASURE, f"{M_RUN} --texts {{csv_empty}} --out {{out}}", "clean", "empty.csv"),
    Case("texts-bom", F, MEASURE, f"{M_RUN} --texts {{bom_jsonl}} --out {{out}}", "ok", check=_rows("entropy", 2)),
    Case("texts-gzip-txt", F, MEASURE, f"{M_RUN} --texts {{txt_gz}} --out {{out}}", "ok", check=_rows("entropy", 3)),
    Case("model-no-tokenizer", F, MEASURE, f"--model {{no_tok}} {M_BASE} --texts {{jsonl}} --out {{out}}", "clean",
         "has no tokenizer"),
    Case("model-truncated", F, MEASURE, f"--model {{trunc}} {M_BASE} --texts {{jsonl}} --out {{out}}", "clean",
         "model.safetensors"),
    Case("model-bad-config", F, MEASURE, f"--model {{badcfg}} {M_BASE} --texts {{jsonl}} --out {{out}}", "clean",
         "config.json"),
    Case("jobs-latin1", F, MEASURE, "--jobs {jobs_latin1} --out {out}", "clean", "jobs_latin1.txt:2"),
    Case("damaged-marker", F, MEASURE, f"{M_RUN} --texts {{jsonl}} --out {{out}}", "clean", "_done.json",
         setup=_damaged_marker),
    Case("stale-empty-lock", F, MEASURE, f"{M_RUN} --texts {{jsonl}} --out {{out}}", "ok", check=_rows("entropy", 3),
         setup=_stale_lock),
    # ------------------------------------------------------------------ sizes / memory
    Case("fit-n-boot-huge", S, FIT, "--n-boot 1000000000 --out {tmp}/fo", "clean", "--n-boot"),
    Case("measure-batch-huge", S, MEASURE, f"{M_RUN} --texts {{jsonl}} --batch-size 1000000 --out {{out}}", "ok",
         check=_rows("entropy", 3)),
    Case("measure-max-tokens-beyond-context", S, MEASURE, f"{M_RUN} --texts {{jsonl}} --max-tokens 100000 "
         "--out {out}", "clean", "max_tokens"),
    Case("measure-max-tokens-4", S, MEASURE, f"{M_RUN} --texts {{jsonl}} --max-tokens 4 --out {{out}}", "ok",
         check=_rows("entropy", 3, lambda df: (df["n_tokens"] <= 4).all())),
    Case("measure-limit-1", S, MEASURE, f"{M_RUN} --texts {{jsonl}} --limit 1 --out {{out}}", "ok",
         check=_rows("entropy", 1)),
    Case("measure-batch-beyond-memory", S, MEASURE, f"{M_RUN} --texts {{jsonl}} --batch-size 4 --out {{out}}",
         "clean", "--batch-size", setup=_tiny_memory),
    # ------------------------------------------------------------------ numerics
    Case("csv-loss-1e300", N, FIT, "--data {csv_1e300} --out {tmp}/fo", "clean", DEFAULT_LOSS),
    Case("csv-loss-1e-300", N, FIT, "--data {csv_1em300} --out {tmp}/fo", "clean", DEFAULT_LOSS),
    Case("sigma-tiny", N, MEASURE, f"{M_RUN} --texts {{jsonl}} --measurements infogain --sigma 1e-300 --out {{out}}",
         "clean", "sigma"),
    Case("sigma-huge", N, MEASURE, f"{M_RUN} --texts {{jsonl}} --measurements infogain --sigma 1e300 --out {{out}}",
         "clean", "--sigma"),
    Case("sigma-large", N, MEASURE, f"{M_RUN} --texts {{jsonl}} --measurements infogain --sigma 1e100 --out {{out}}",
         "ok", check=_rows("infogain", 3, lambda df: ((df["info_gain"] >= 0) & (df["info_gain"] < 1e-100)).all())),
    Case("eps-tiny", N, MEASURE, f"{M_RUN} --texts {{jsonl}} --eps 1e-300 --out {{out}}", "clean", "--eps"),
    Case("eps-huge", N, MEASURE, f"{M_RUN} --texts {{jsonl}} --eps 1e300 --out {{out}}", "clean", "--eps"),
    Case("eps-large", N, MEASURE, f"{M_RUN} --texts {{jsonl}} --eps 1e100 --out {{out}}", "ok",
         check=_rows("entropy", 3, lambda df: df["L_eps"].between(0, 1e-100).all())),
]


def _copy_model(family: Path, dst: Path, *, tokenizer: bool = True) -> Path:
    dst.mkdir()
    for f in (family / "step0").iterdir():
        shutil.copy(f, dst / f.name)
    for f in family.glob("tokenizer*") if tokenizer else ():
        shutil.copy(f, dst / f.name)
    return dst


@pytest.fixture(scope="module")
def env(tiny_family, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("sweep")
    e = {"tmp": tmp, "fam": tiny_family, "afile": tmp / "a_file.txt", "adir": tmp / "a_dir"}
    e["afile"].write_text("not a folder\n")
    e["adir"].mkdir()
    d = load_pythia()
    d = d[(d["run"] == "standard") & (d["shots"] == 0) & (d["deduped"] == 0)
          & d["model"].isin(["pythia-70m", "pythia-160m", "pythia-410m", "pythia-1b"])].reset_index(drop=True)

    def csv(name, frame=None, raw=None):
        path = tmp / f"{name}.csv"
        path.write_bytes(raw if raw is not None else frame.to_csv(index=False).encode())
        e[f"csv_{name}" if name != "std" else "std"] = path

    def edit(col, i, value):
        f = d.astype({col: object})
        f.loc[i, col] = value
        return f

    csv("std", d)
    csv("empty", raw=b"")
    csv("header", raw=",".join(d.columns).encode() + b"\n")
    csv("random", raw=bytes(range(256)) * 3)
    csv("latin1", raw=d.head(6).assign(model="pythia-70m-caf\xe9").to_csv(index=False).encode("latin-1"))
    csv("nan", edit(DEFAULT_LOSS, 2, "nan"))
    csv("inf", edit(DEFAULT_LOSS, 2, "inf"))
    csv("zero", edit(DEFAULT_LOSS, 2, 0.0))
    csv("negstep", edit("step", 2, -5))
    csv("textparams", edit("params_total", 2, "seventy million"))
    csv("conflict", pd.concat([d, d.iloc[[4]].assign(**{DEFAULT_LOSS: d.iloc[4][DEFAULT_LOSS] + 0.5})]))
    csv("nocol", d.drop(columns="tokens"))
    csv("semicolon", raw=d.to_csv(index=False, sep=";").encode())
    csv("exactdup", pd.concat([d, d.iloc[:5]]))
    csv("bom", raw=b"\xef\xbb\xbf" + d.to_csv(index=False).encode())
    csv("1e300", edit(DEFAULT_LOSS, 2, 1e300))
    csv("1em300", edit(DEFAULT_LOSS, 2, 1e-300))
    texts = ["the quick brown fox jumps over the lazy dog", "Human: can you help me? Assistant: yes.",
             "numbers 0 1 2 3 and the fox"]
    files = {
        "jsonl": ("t.jsonl", "".join(f'{{"text": "{t}"}}\n' for t in texts).encode()),
        "txt_latin1": ("latin1.txt", b"fine text\ncaf\xe9 au lait\n"),
        "fake_gz": ("fake.jsonl.gz", b"this was never gzip"),
        "num_jsonl": ("num.jsonl", b'{"text": "ok"}\n{"text": 3}\n'),
        "bad_jsonl": ("bad.jsonl", b'{"text": "unterminated}\n'),
        "nokey_jsonl": ("nokey.jsonl", b'{"body": "x"}\n'),
        "empty_jsonl": ("empty.jsonl", b""),
        "blank_txt": ("blank.txt", b"\n   \n\t\n"),
        "bom_jsonl": ("bom.jsonl", b'\xef\xbb\xbf{"text": "the fox"}\n{"text": "the dog"}\n'),
        "txt_gz": ("t.txt.gz", gzip.compress("\n".join(texts).encode(), mtime=0)),
        "jobs": ("jobs.txt", b"EleutherAI/pythia-70m step1\n"),
        "jobs_latin1": ("jobs_latin1.txt", b"EleutherAI/pythia-70m step1\nmod\xe8le step2\n"),
    }
    for key, (name, data) in files.items():
        (tmp / name).write_bytes(data)
        e[key] = tmp / name
    e["no_tok"] = _copy_model(tiny_family, tmp / "no_tok", tokenizer=False)
    e["trunc"] = _copy_model(tiny_family, tmp / "trunc")
    w = e["trunc"] / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 3])
    e["badcfg"] = _copy_model(tiny_family, tmp / "badcfg")
    (e["badcfg"] / "config.json").write_text("{not json")
    return e


class _Runaway(BaseException):
    """Raised by the alarm: not an Exception, so the runner cannot swallow it."""


def _classify(case: Case, rc: int | None, err: str, env: dict) -> str:
    prog = case.entry[2]
    if rc is None:
        return "runaway"
    errors = [ln for ln in err.splitlines() if ln.startswith(f"{prog}: error:")]
    if "Traceback (most recent call last)" in err or "internal error" in err:
        return "traceback"
    if rc == 2 and len(errors) == 1:
        return "clean" if case.names.format(**env) in errors[0] else "unclear"
    if rc == 0:
        if case.expect != "ok":
            return "silent"
        return "ok" if case.check is None or case.check(env) else "silent"
    return "traceback"


def _run(case: Case, env: dict, monkeypatch, capsys) -> tuple[str, str]:
    module, prefix, _ = case.entry
    env = {**env, "out": env["tmp"] / f"out_{case.id}"}
    if case.setup:
        case.setup(env, monkeypatch)
    argv = [*prefix, *(tok.format(**env) for tok in shlex.split(case.argv))]
    for h in list(logging.getLogger().handlers):  # measure configures logging onto the stderr of its run
        logging.getLogger().removeHandler(h)

    def alarm(*_):
        raise _Runaway

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIMEOUT_S)
    try:
        rc = importlib.import_module(module).main(argv)
    except _Runaway:
        rc = None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    err = capsys.readouterr().err
    return _classify(case, rc, err, env), err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_sweep(case, env, monkeypatch, capsys):
    outcome, err = _run(case, env, monkeypatch, capsys)
    assert outcome == case.expect, f"{case.id}: {outcome} (expected {case.expect})\n{err[-3000:]}"


def test_the_sweep_covers_every_category():
    counts = Counter(c.category for c in CASES)
    assert counts == {U: 45, P: 18, F: 30, S: 6, N: 8}, counts
    assert len({c.id for c in CASES}) == len(CASES) == 107
