"""Build, locate and summarise the mini-Pythia family (Sections 3-4 measure a family of sizes and steps).

Layout under the cache root (``$INFOGEO_CACHE``, else ``$XDG_CACHE_HOME/infogeo``,
else ``~/.cache/infogeo``)::

    minipythia/<label>-v1-<recipe hash>/        the family (``family_path()``)
        recipe.json  corpus.json  losses.csv
        tokenizer/                           BPE tokenizer (PreTrainedTokenizerFast files)
        data/train.npy  data/heldout.npy     packed token sequences
        <size>/                              one per size; tokenizer files too
            step<k>/                         save_pretrained dir + tokenizer + metrics.json
            complete.json                    written when the size has finished
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from infogeo.checkpoints import cache_root
from infogeo.validation import ValidationError, ValidationTypeError

from .config import DEFAULT_CONFIG, FAMILY_NAME, FamilyConfig
from .train import COMPLETE_FILE, METRICS_FILE, completed_steps, resolve_threads, train_size

__all__ = [
    "FamilyInfo", "ensure_family", "family_path", "checkpoint_path", "losses_table",
    "load_eval_sequences", "LOSS_COLUMNS",
]

LOSS_COLUMNS = [
    "model", "size", "params_total", "params_nonembedding", "step", "tokens", "batch_tokens",
    "flops_6ND_total", "flops_6ND_nonemb", "train_loss_nats", "heldout_loss_nats",
]


@dataclass(frozen=True)
class FamilyInfo:
    """What :func:`ensure_family` built: where each size lives and how it went.

    ``sizes`` maps size name to ``<family>/<size>``; ``steps`` are the
    checkpoint steps every size has; ``training`` maps size name to its
    ``complete.json`` summary (params, tokens, train_seconds, tokens_per_second).
    """
    root: Path
    config: FamilyConfig
    sizes: dict[str, Path]
    steps: tuple[int, ...]
    losses_path: Path
    tokenizer_path: Path
    corpus: dict = field(default_factory=dict)
    training: dict[str, dict] = field(default_factory=dict)

    def checkpoint(self, size: str, step: int | None = None) -> Path:
        if size not in self.sizes:
            raise ValidationError(f"size: {size!r} not built; have {list(self.sizes)}")
        step = self.steps[-1] if step is None else step
        if step not in self.steps:
            raise ValidationError(f"step: {step!r} is not a checkpoint; choose from {list(self.steps)}")
        return self.sizes[size] / f"step{step}"


def _config(config: FamilyConfig | None) -> FamilyConfig:
    if config is None:
        return DEFAULT_CONFIG
    if not isinstance(config, FamilyConfig):
        raise ValidationTypeError(f"config must be a FamilyConfig or None, got {type(config).__name__}")
    return config


def family_path(size: str | None = None, *, root=None, config: FamilyConfig | None = None) -> Path:
    """``<root>/minipythia/<family>`` or, with ``size``, ``<family>/<size>``. Builds nothing."""
    config = _config(config)
    base = cache_root(root) / FAMILY_NAME / config.dirname
    if size is None:
        return base
    if not isinstance(size, str):
        raise ValidationTypeError(f"size must be a string, got {type(size).__name__}")
    return base / config.size(size).name


def checkpoint_path(size: str, step: int | None = None, *, root=None, config: FamilyConfig | None = None) -> Path:
    """``<family>/<size>/step<k>`` (the last step when ``step`` is None). Builds nothing."""
    config = _config(config)
    step = config.total_steps if step is None else step
    if step not in config.steps:
        raise ValidationError(f"step: {step!r} is not a checkpoint; choose from {list(config.steps)}")
    return family_path(size, root=root, config=config) / f"step{step}"


@contextlib.contextmanager
def _lock(path: Path):
    """Exclusive lock so a report and a measurement building the family at once do not collide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, single user assumed
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prepare_data(fam: Path, config: FamilyConfig, progress: bool) -> dict:
    """Split the corpus, train the tokenizer on the training split, pack both splits; cached."""
    meta_path = fam / "corpus.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    from .corpus import load_documents, pack, split_documents
    from .tokenizer import EOT, save_tokenizer, train_tokenizer, wrap_fast

    if progress:
        from tqdm.auto import tqdm
        tqdm.write("minipythia: training the BPE tokenizer and packing the corpus", file=sys.stderr)
    docs = load_documents(config.corpus_limit)
    train_idx, held_idx = split_documents(len(docs), config.heldout_fraction, config.seed)
    train_docs = [docs[i] for i in train_idx]
    held_docs = [docs[i] for i in held_idx]
    tok = train_tokenizer(train_docs, config.vocab_size)
    eot = tok.token_to_id(EOT)
    save_tokenizer(wrap_fast(tok), fam / "tokenizer")
    enc = lambda ds: [e.ids for e in tok.encode_batch(ds)]  # noqa: E731
    train_ids, held_ids = enc(train_docs), enc(held_docs)
    train = pack(train_ids, eot, config.context_length)
    held = pack(held_ids, eot, config.context_length)
    (fam / "data").mkdir(parents=True, exist_ok=True)
    np.save(fam / "data" / "train.npy", train.astype(np.uint16 if config.vocab_size < 2**16 else np.int64))
    np.save(fam / "data" / "heldout.npy", held.astype(np.uint16 if config.vocab_size < 2**16 else np.int64))
    meta = {
        "corpus": "hh-rlhf", "field": "chosen", "license": "MIT (Anthropic hh-rlhf)",
        "documents_train": len(train_docs), "documents_heldout": len(held_docs),
        "characters_train": sum(map(len, train_docs)), "characters_heldout": sum(map(len, held_docs)),
        "tokens_train": int(sum(len(x) + 1 for x in train_ids)),
        "tokens_heldout": int(sum(len(x) + 1 for x in held_ids)),
        "sequences_train": int(len(train)), "sequences_heldout": int(len(held)),
        "vocab_size": tok.get_vocab_size(), "context_length": config.context_length,
        "epochs": config.total_tokens / (len(train) * config.context_length),
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def load_eval_sequences(*, root=None, config: FamilyConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(heldout_eval, train_eval): the fixed sequences every checkpoint's losses are measured on.

    Held-out: the first ``eval_heldout_sequences`` packed held-out sequences.
    Train: ``eval_train_sequences`` training sequences drawn with the seed.
    """
    config = _config(config)
    fam = family_path(root=root, config=config)
    if not (fam / "corpus.json").exists():
        raise FileNotFoundError(f"{fam}: no corpus yet; run `infogeo minipythia train`")
    train = np.load(fam / "data" / "train.npy").astype(np.int64)
    held = np.load(fam / "data" / "heldout.npy").astype(np.int64)
    rows = np.random.default_rng([config.seed, 0xE7A1]).choice(
        len(train), size=min(config.eval_train_sequences, len(train)), replace=False)
    return held[: config.eval_heldout_sequences], train[np.sort(rows)]


def _write_losses(fam: Path, config: FamilyConfig) -> Path:
    import pandas as pd

    rows = []
    for size in config.sizes:
        d = fam / size.name
        for step in completed_steps(d):
            m = json.loads((d / f"step{step}" / METRICS_FILE).read_text())
            rows.append({
                "model": f"{FAMILY_NAME}-{size.name}", "size": size.name,
                "params_total": m["params_total"], "params_nonembedding": m["params_nonembedding"],
                "step": step, "tokens": m["tokens"], "batch_tokens": m["batch_tokens"],
                "flops_6ND_total": 6.0 * m["params_total"] * m["tokens"],
                "flops_6ND_nonemb": 6.0 * m["params_nonembedding"] * m["tokens"],
                "train_loss_nats": m["train_loss_nats"], "heldout_loss_nats": m["heldout_loss_nats"],
            })
    df = pd.DataFrame(rows, columns=LOSS_COLUMNS)
    path = fam / "losses.csv"
    tmp = fam / ".losses.csv.tmp"
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def ensure_family(sizes=None, *, root=None, progress: bool = True, config: FamilyConfig | None = None,
                  threads: int | None = None) -> FamilyInfo:
    """Build whatever of the family is missing (all sizes when ``sizes`` is None) and describe it.

    Idempotent and resumable: finished sizes are skipped, an interrupted size
    resumes from its newest checkpoint. Training runs on the recipe's
    ``config.train_threads`` torch threads (``threads``, if given, must equal
    it: another count gives other weights, so it is another family); the
    cache is named by the recipe, the torch version and its kernel pins.
    """
    config = _config(config)
    if sizes is None:
        names = [s.name for s in config.sizes]
    else:
        if isinstance(sizes, str) or not all(isinstance(s, str) for s in sizes):
            raise ValidationTypeError("sizes must be a list of size names or None")
        names = [config.size(s).name for s in sizes]
        if not names:
            raise ValidationError("sizes must not be empty")
    resolve_threads(threads, config)
    fam = family_path(root=root, config=config)
    fam.mkdir(parents=True, exist_ok=True)
    with _lock(fam / ".lock"):
        (fam / "recipe.json").write_text(json.dumps(config.recipe(), indent=1, sort_keys=True))
        corpus = _prepare_data(fam, config, progress)
        fast = None
        training = {}
        todo = [n for n in names if not (fam / n / COMPLETE_FILE).exists()]
        if todo:
            from .tokenizer import load_tokenizer

            fast = load_tokenizer(fam / "tokenizer")
            train = np.load(fam / "data" / "train.npy").astype(np.int64)
            held_eval, train_eval = load_eval_sequences(root=root, config=config)
        for n in names:
            size_dir = fam / n
            if n in todo:
                size_dir.mkdir(exist_ok=True)
                fast.save_pretrained(str(size_dir))
                train_size(size_dir, config.size(n), config, train, held_eval, train_eval, fast,
                           progress=progress, threads=threads)
                _write_losses(fam, config)
            training[n] = json.loads((size_dir / COMPLETE_FILE).read_text())
        losses = _write_losses(fam, config)
    return FamilyInfo(
        root=fam, config=config, sizes={n: fam / n for n in names}, steps=config.steps,
        losses_path=losses, tokenizer_path=fam / "tokenizer", corpus=corpus, training=training,
    )


def losses_table(*, root=None, config: FamilyConfig | None = None):
    """The family's losses at every checkpoint as a tidy DataFrame (columns ``LOSS_COLUMNS``).

    One row per (size, step): parameter counts (non-embedding excludes both
    embedding matrices, as Pythia's table does), tokens seen, 6ND compute, and
    mean per-token cross-entropy in nats on the fixed train and held-out
    evaluation sequences. Read with round-trip float parsing, so the numbers
    equal those the checkpoints were measured at. Raises FileNotFoundError
    if the family has not been built.
    """
    path = family_path(root=root, config=config) / "losses.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; build it with `infogeo minipythia train` or ensure_family()")
    from ..io import read_table

    return read_table(path)
