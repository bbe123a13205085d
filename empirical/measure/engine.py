"""Sections 3-4 on real models: the measurement engine (entropy, information gain, Lasso, embeddings, distances).

``run_measurements`` points at one model (hub id or local directory, any
revision), runs it on texts and the paper's fixed prompts, and writes tidy CSV
tables named after the measurement. Every formula is evaluated by
:mod:`theory` through :mod:`empirical.measure.metrics`; this module only moves data.

Tables (one row per observation; every table starts with ``model``,
``revision`` and ``layer``, the hidden-state index of :mod:`empirical.measure.models`):

``entropy.csv`` (a), one row per text and layer
    ``text_id``, ``n_tokens``, ``d``, ``eps``, ``L_eps`` (Definition 3.1 on
    l2-normalized rows, nats), ``L_eps_normalized`` (divided by
    ``(d+n)/2 · d · log(1+1/eps²)``), ``matrix_entropy`` (von Neumann entropy
    of reference [25], divided by log d).
``infogain.csv`` (b), one row per text, layer and prefix length t = 1..n
    ``text_id``, ``t``, ``sigma``, ``info_gain`` (I(y_t; f), nats),
    ``increment`` (I(y_t; f) - I(y_{t-1}; f); the first is I(y_1; f)),
    ``info_gain_normalized`` (info_gain / d).
``lasso.csv`` (c), one row per protocol token and earlier context token
    ``target`` ("No", "?", "China"), ``target_position``, ``position``,
    ``token`` (the context token's text, from the paper's own sentence),
    ``attention`` (head-averaged attention of the target to that token, from
    the block that produced the layer), ``lasso_coef``, ``selected_attention``
    (attention > threshold), ``selected_lasso`` (coef > threshold),
    ``target_self_attention``, ``lasso_converged`` (sklearn's verdict), ``lasso_lambda``, ``sklearn_alpha``,
    ``threshold``.
``embeddings.csv`` (d), one row per sentence, representation and projection
    ``sentence_id``, ``context`` (king/queen/none), ``country``, ``sentence``,
    ``representation`` (``mean`` over tokens or ``last`` token), ``method``
    (``pca``; ``umap`` when umap-learn is installed), ``x``, ``y``.
``embeddings_separation.csv`` (d)
    ``representation``, ``silhouette_king_vs_queen`` (silhouette score of
    the king/queen labels on the raw vectors, Euclidean distance), ``n_sentences``.
``distances.csv`` (e), one row per sentence pair and metric
    ``sentence_a``, ``sentence_b``, ``context_a``, ``country_a``,
    ``context_b``, ``country_b``, ``metric`` (logdet/js/riemann/logeuclid),
    ``distance``, ``pyriemann_distance`` (the same distance by pyRiemann;
    NaN when not installed), ``ridge`` (added to both covariances for the
    SPD metrics; 0 for JS), ``gamma`` (JS only; NaN otherwise).

Scale: ``shard=(k, n)`` measures texts i with i % n == k (k is 0-based) into
``out_dir/shard-k-of-n/``; the prompt measurements (c)-(e) run in shard 0
only. A shard that holds no texts (k >= the number of texts) writes empty
text tables with their columns and counts as finished. A directory whose ``_done.json`` marker records the
same configuration (the resolved model, layers and token limit, the whole :class:`MeasureConfig`, the recipe)
is not recomputed; :func:`merge_shards` joins every finished directory under
a root into one table per measurement.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from infogeo.validation import ValidationError, ValidationTypeError

from ..io import read_table
from . import metrics as M
from .config import MEASUREMENTS, MeasureConfig
from .outputs import OutputLock, atomic_write_text, check_writable
from .prompts import CAPITALS_SENTENCE, PROTOCOL_TOKENS, embedding_sentences

log = logging.getLogger("empirical.measure")

__all__ = [
    "MEASUREMENTS",
    "TABLE_KEYS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_TEXT_LIMIT",
    "MARKER",
    "PYTHIA_SIZES",
    "PYTHIA_STEPS",
    "pythia_jobs",
    "parse_shard",
    "shard_indices",
    "MeasureConfig",
    "measure_config",
    "finished",
    "run_measurements",
    "run_jobs",
    "read_jobs",
    "merge_shards",
    "find_token_position",
]

TEXT_MEASUREMENTS = ("entropy", "infogain")
MARKER = "_done.json"
# Figure 3's prefixes are short conversations; 512 tokens covers most of the
# hh-rlhf sample (median ~130 tokens) while keeping the O(T^3) factorization
# cheap. Longer texts are truncated (logged); raise it up to the context.
DEFAULT_MAX_TOKENS = 512
DEFAULT_TEXT_LIMIT = None  # all 2,312 hh-rlhf transcripts
# Sort keys that make merged tables independent of shard order.
TABLE_KEYS = {
    "entropy": ["model", "revision", "text_id", "layer"],
    "infogain": ["model", "revision", "text_id", "layer", "t"],
    "lasso": ["model", "revision", "layer", "target", "position"],
    "embeddings": ["model", "revision", "layer", "representation", "method", "sentence_id"],
    "embeddings_separation": ["model", "revision", "layer", "representation"],
    "distances": ["model", "revision", "layer", "metric", "sentence_a", "sentence_b"],
}
# Which output tables each measurement writes.
_OUTPUTS = {
    "entropy": ("entropy",),
    "infogain": ("infogain",),
    "lasso": ("lasso",),
    "embeddings": ("embeddings", "embeddings_separation"),
    "distances": ("distances",),
}

PYTHIA_SIZES = ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b")
# The 154 checkpoints of every Pythia model: step0, 10 log-spaced early steps, then every 1000 steps.
PYTHIA_STEPS = (0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512) + tuple(range(1000, 143001, 1000))


def pythia_jobs(sizes=PYTHIA_SIZES, steps=PYTHIA_STEPS, *, deduped: bool = False) -> list[tuple[str, str]]:
    """The (hub id, revision) job list of the Pythia suite: 8 sizes x 154 checkpoints = 1,232 jobs."""
    suffix = "-deduped" if deduped else ""
    return [(f"EleutherAI/pythia-{s}{suffix}", f"step{k}") for s in sizes for k in steps]


def parse_shard(shard) -> tuple[int, int] | None:
    """``"k/n"`` or ``(k, n)`` with 0 <= k < n -> (k, n); None stays None."""
    if shard is None:
        return None
    if isinstance(shard, str):
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", shard)
        if not m:
            raise ValidationError(f"shard must look like 'k/n' with 0 <= k < n (k is 0-based), got {shard!r}")
        shard = (int(m.group(1)), int(m.group(2)))
    try:
        k, n = (int(x) for x in shard)
    except (TypeError, ValueError):
        raise ValidationError(f"shard must be 'k/n' or a pair (k, n), got {shard!r}") from None
    if n < 1 or not 0 <= k < n:
        raise ValidationError(f"shard must satisfy 0 <= k < n (k is 0-based), got {k}/{n}")
    return k, n


def shard_indices(n_items: int, shard) -> list[int]:
    """Items i with i % n == k: round-robin, deterministic, balanced when lengths are mixed."""
    shard = parse_shard(shard)
    if shard is None:
        return list(range(n_items))
    k, n = shard
    return list(range(k, n_items, n))


def _revision_label(revision) -> str:
    return revision if revision else "main"


def _texts_digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8")).digest())
    return h.hexdigest()


def find_token_position(lm, ids: list[int], target: str) -> int:
    """Position of the LAST token that completes an occurrence of ``target`` in the decoded sequence.

    Exact single-token matches (after stripping spaces) win; otherwise, for a
    word split into pieces, the piece at which the decoded prefix first ends
    with ``target``.
    """
    strings = [s.strip() for s in lm.token_strings(ids)]
    exact = [i for i, s in enumerate(strings) if s == target]
    if exact:
        return exact[-1]
    hits = []
    for i in range(len(ids)):
        prefix = lm.tokenizer.decode(ids[: i + 1]).rstrip()
        before = lm.tokenizer.decode(ids[:i]).rstrip() if i else ""
        if prefix.endswith(target) and not before.endswith(target):
            hits.append(i)
    if not hits:
        raise ValidationError(f"target token {target!r} not found in the tokenized protocol sentence")
    return hits[-1]


def _config(lm, config: MeasureConfig, *, layers, max_tokens, measurements, texts_digest, n_texts, shard,
            recipe) -> dict:
    """The run marker's record: the model as loaded, the resolved layers and token limit, the whole config."""
    return {
        "model": lm.name,
        "revision": _revision_label(lm.revision),
        "dtype": lm.dtype,
        "layers": list(layers),
        "max_tokens": max_tokens,
        "measurements": list(measurements),
        "measure_config": config.to_dict(),
        "recipe": recipe,
        "texts_sha256": texts_digest,
        "n_texts": n_texts,
        "shard": list(shard) if shard else None,
    }


def finished(out_dir, *, model: str, revision: str | None, config: MeasureConfig, recipe=None,
             dtype: str | None = None) -> dict | None:
    """``{table: CSV path}`` of a finished run in ``out_dir`` made by this model, revision, config and recipe
    (and ``dtype`` of the weights, when given).

    Reads only the run marker (no model is loaded), so a caller can skip
    loading and training when the run is done; None when it is not.
    """
    marker = Path(out_dir) / MARKER
    if not marker.exists():
        return None
    done = _read_record(marker, "tables")
    cfg = done.get("config", {})
    same = (cfg.get("model") == str(model) and cfg.get("revision") == _revision_label(revision)
            and cfg.get("measure_config") == config.to_dict() and cfg.get("recipe") == recipe
            and cfg.get("shard") is None and (dtype is None or cfg.get("dtype") == dtype))
    return {t: Path(out_dir) / f"{t}.csv" for t in done["tables"]} if same else None


def _write(df: pd.DataFrame, path: Path) -> Path:
    keys = [c for c in TABLE_KEYS.get(path.stem, []) if c in df.columns]
    if keys:
        df = df.sort_values(keys, kind="stable").reset_index(drop=True)
    return atomic_write_text(path, df.to_csv(index=False))


def _tqdm(iterable=None, **kw):
    from tqdm.auto import tqdm

    return tqdm(iterable, file=sys.stderr, mininterval=1.0, **kw)


def _text_list(texts, config: MeasureConfig) -> list[str]:
    """The texts to measure: the shipped hh-rlhf sample (None), a user's file (a path) or a list of strings."""
    from .texts import load_hh_rlhf, load_texts

    if texts is None:
        return load_hh_rlhf("chosen", limit=config.text_limit)
    if isinstance(texts, (str, Path)):
        return load_texts(texts, field=config.text_field, limit=config.text_limit)
    text_list = list(texts)
    if not text_list:
        raise ValidationError("texts must hold at least one text")
    return text_list if config.text_limit is None else text_list[:config.text_limit]


def measure_config(config: MeasureConfig | None = None, **params) -> MeasureConfig:
    """``config`` (default: the paper's) with ``params`` (fields of :class:`MeasureConfig`) replaced."""
    if config is not None and not isinstance(config, MeasureConfig):
        raise ValidationTypeError(f"config must be a MeasureConfig or None, got {type(config).__name__}")
    unknown = sorted(set(params) - set(MeasureConfig.fields()))
    if unknown:
        raise ValidationTypeError(f"unexpected keyword argument(s) {unknown}; measurement parameters are "
                        f"{list(MeasureConfig.fields())}")
    return (config or MeasureConfig()).replace(**params) if params else (config or MeasureConfig())


def run_measurements(model, config: MeasureConfig | None = None, *, out_dir, revision: str | None = None,
                     texts=None, device: str = "auto", dtype: str = "float32", shard=None, progress: bool = True,
                     batch_size: int = 8, attn_implementation: str | None = None, allow_download: bool = False,
                     overwrite: bool = False, recipe: str | None = None, **params) -> dict[str, Path]:
    """Measure one model (one revision) and write the tables; return {table name: CSV path}.

    Parameters
    ----------
    model : str, Path or :class:`empirical.measure.models.LoadedModel`
        Hub id, local directory, or an already loaded model (then
        ``revision``, ``device``, ``dtype``, ``attn_implementation`` are
        ignored; load it with ``attn_implementation="eager"`` for ``lasso``).
    config : MeasureConfig, optional
        What to measure and the paper's parameters (default: the paper's);
        keyword ``params`` (``eps=...``, ``layers=...``, any field of
        :class:`MeasureConfig`) replace single fields. The whole config is
        stored in the run marker.
    out_dir : path
        Tables go to ``out_dir`` (or ``out_dir/shard-k-of-n`` when sharded).
    texts : None, list of str, or a path
        None: the shipped hh-rlhf sample (``chosen`` transcripts, first
        ``config.text_limit``); a path: a JSONL (key ``config.text_field``) or TXT file.
    shard : None, "k/n" or (k, n)
        0-based. Texts i with i % n == k; the prompt measurements run in shard 0 only.
    overwrite : bool
        Recompute even if a finished marker exists; without it a marker with
        a different configuration is an error.
    recipe : str, optional
        Where the model came from (e.g. the mini-Pythia recipe hash), stored in
        the marker so that a reused run is one of the same model.

    ``config.max_tokens`` beyond the model's context is an error; None means
    ``min(DEFAULT_MAX_TOKENS, context)``. Texts longer than it are truncated (logged).
    """
    config = measure_config(config, **params)
    shard = parse_shard(shard)
    out = Path(out_dir) / f"shard-{shard[0]}-of-{shard[1]}" if shard else Path(out_dir)
    # Texts first: cheap, and a bad file should fail before a model loads.
    do_texts = any(m in TEXT_MEASUREMENTS for m in config.measurements)
    text_list = _text_list(texts, config) if do_texts else []
    do_prompts = shard is None or shard[0] == 0
    active = [m for m in config.measurements if m in TEXT_MEASUREMENTS or do_prompts]
    loaded = _is_loaded(model)
    ident = {"model": model.name if loaded else str(model),
             "revision": _revision_label(model.revision if loaded else revision),
             "dtype": model.dtype if loaded else dtype, "measure_config": config.to_dict(), "recipe": recipe,
             "texts_sha256": _texts_digest(text_list), "n_texts": len(text_list),
             "shard": list(shard) if shard else None}
    # The finished marker and the folder's writability are checked before any model is loaded.
    if not overwrite and (done := _finished_marker(out, ident)) is not None:
        return done
    check_writable(out)
    if not loaded:  # weights + one forward pass from the config alone: an impossible size is refused before loading
        from .models import preflight_memory

        preflight_memory(model, revision=revision, dtype=dtype, device=device,
                         batch_size=max(1, min(batch_size, len(text_list) or 1)), tokens=config.max_tokens,
                         default_tokens=DEFAULT_MAX_TOKENS, attentions="lasso" in active,
                         allow_download=allow_download)
    with OutputLock(out):
        if not overwrite and (done := _finished_marker(out, ident)) is not None:  # finished while we waited
            return done
        lm = model if loaded else _load(model, revision, device, dtype, attn_implementation, active, allow_download)
        return _run_locked(lm, config, out, text_list, shard, active, ident, batch_size=batch_size,
                           progress=progress)


def _is_loaded(model) -> bool:
    from .models import LoadedModel

    return isinstance(model, LoadedModel)


def _load(model, revision, device, dtype, attn_implementation, active, allow_download):
    from .models import load_model

    return load_model(model, revision=revision, device=device, dtype=dtype,
                      attn_implementation=attn_implementation or ("eager" if "lasso" in active else None),
                      allow_download=allow_download)


def _finished_marker(out: Path, ident: dict) -> dict[str, Path] | None:
    """The tables of a finished run in ``out`` with this identity; None when unfinished; an error when different."""
    marker = out / MARKER
    if not marker.exists():
        return None
    done = _read_record(marker, "tables")
    cfg = done.get("config", {})
    stored, wanted = dict(cfg, **cfg.get("measure_config", {})), dict(ident, **ident["measure_config"])
    differ = [f"{k} {stored.get(k)!r} there, {wanted[k]!r} now" for k in wanted
              if k != "measure_config" and stored.get(k) != wanted[k]]
    if differ:
        raise ValidationError(f"{out} already holds finished measurements with a different configuration "
                         f"({'; '.join(differ)}); use another --out or pass --overwrite")
    log.info("%s is finished (marker %s); not recomputing", out, MARKER)
    return {t: out / f"{t}.csv" for t in done["tables"]}


def _run_locked(lm, config, out, text_list, shard, active, ident, *, batch_size, progress) -> dict[str, Path]:
    from .models import resolve_layers

    layer_idx = resolve_layers(config.layers, lm.n_layers)
    max_tokens = min(DEFAULT_MAX_TOKENS, lm.max_context) if config.max_tokens is None else config.max_tokens
    if max_tokens > lm.max_context:
        raise ValidationError(f"max_tokens={max_tokens} exceeds the model's context of {lm.max_context} tokens")
    run = _config(lm, config, layers=layer_idx, max_tokens=max_tokens, measurements=active,
                  texts_digest=ident["texts_sha256"], n_texts=ident["n_texts"], shard=shard, recipe=ident["recipe"])
    marker = out / MARKER
    if marker.exists():
        marker.unlink()
    # Temporary files of a crashed writer of this folder (we hold its lock, so none is live).
    for tmp in [*out.glob(".*.csv.*.tmp"), *out.glob(f".{MARKER}.*.tmp")]:
        tmp.unlink()
    written = _measure_all(lm, config, out, text_list, shard, active, layer_idx, max_tokens=max_tokens,
                           batch_size=batch_size, progress=progress)
    # The marker last: a folder without it is unfinished, whatever tables it holds.
    atomic_write_text(marker, json.dumps({"config": run, "tables": sorted(written)}, indent=1, sort_keys=True)
                      + "\n")
    log.info("wrote %s to %s", ", ".join(sorted(written)), out)
    return {t: written[t] for m in active for t in _OUTPUTS[m] if t in written}


def _measure_all(lm, config: MeasureConfig, out: Path, text_list: list[str], shard, active: list[str],
                 layer_idx: list[int], *, max_tokens: int, batch_size: int, progress: bool) -> dict[str, Path]:
    """Run every active measurement and write its tables into ``out``."""
    from .models import forward_states, tokenize_texts

    common = {"model": lm.name, "revision": _revision_label(lm.revision)}
    frames = {}
    if any(m in TEXT_MEASUREMENTS for m in active):
        idx = shard_indices(len(text_list), shard)
        frames.update(_measure_texts(lm, [text_list[i] for i in idx], idx, layer_idx, active,
                                     max_tokens=max_tokens, batch_size=batch_size, eps=config.eps,
                                     sigma=config.sigma, progress=progress, tokenize=tokenize_texts,
                                     forward=forward_states))
    if "lasso" in active:
        frames["lasso"] = _measure_lasso(lm, layer_idx, lasso_lambda=config.lasso_lambda,
                                         threshold=config.threshold, forward=forward_states)
    if "embeddings" in active or "distances" in active:
        frames.update(_measure_sentences(lm, layer_idx, active, gamma=config.gamma, ridge=config.ridge,
                                         seed=config.seed, forward=forward_states, progress=progress))
    return {name: _write(_with_common(df, common), out / f"{name}.csv") for name, df in frames.items()}


def _with_common(df: pd.DataFrame, common: dict) -> pd.DataFrame:
    for i, (k, v) in enumerate(common.items()):
        df.insert(i, k, v)
    return df


def _measure_texts(lm, texts, ids, layers, active, *, max_tokens, batch_size, eps, sigma, progress, tokenize, forward):
    token_ids = tokenize(lm, texts, max_tokens, ids=ids)
    ent_rows, ig_parts = [], []
    bar = _tqdm(total=len(token_ids), desc=f"texts {lm.name}@{_revision_label(lm.revision)}", unit="text",
                disable=not progress)
    for tid, rec in zip(ids, forward(lm, token_ids, layers, batch_size=batch_size)):
        for k in layers:
            Z = rec["states"][k]
            if "entropy" in active:
                ent_rows.append({"text_id": tid, "layer": k, **M.entropy_measures(Z, eps), "eps": eps})
            if "infogain" in active:
                c = M.info_gain_curve(Z, sigma)
                ig_parts.append(pd.DataFrame({"text_id": tid, "layer": k, "t": c["t"], "sigma": sigma,
                                              "info_gain": c["info_gain"], "increment": c["increment"],
                                              "info_gain_normalized": c["info_gain_normalized"]}))
        bar.update(1)
    bar.close()
    frames = {}
    if "entropy" in active:
        cols = ["text_id", "layer", "n_tokens", "d", "eps", "L_eps", "L_eps_normalized", "matrix_entropy"]
        frames["entropy"] = pd.DataFrame(ent_rows, columns=cols)
    if "infogain" in active:
        cols = ["text_id", "layer", "t", "sigma", "info_gain", "increment", "info_gain_normalized"]
        # A shard can hold no texts (e.g. shard 7/8 of 5 texts): it is then a finished, empty shard.
        frames["infogain"] = (pd.concat(ig_parts, ignore_index=True) if ig_parts
                              else pd.DataFrame(columns=cols))
    return frames


def _measure_lasso(lm, layers, *, lasso_lambda, threshold, forward):
    attn_layers = [k for k in layers if k >= 1]
    if not attn_layers:
        raise ValidationError("lasso needs a layer >= 1 (layer 0 is the embedding output and has no attention)")
    if len(attn_layers) < len(layers):
        log.info("lasso: skipping layer 0 (no attention weights)")
    ids = lm.tokenizer(CAPITALS_SENTENCE)["input_ids"]
    rec = next(forward(lm, [ids], attn_layers, attentions=True))
    tokens = lm.token_strings(ids)
    rows = []
    for k in attn_layers:
        Z, A = rec["states"][k], rec["attention"][k]
        for target in PROTOCOL_TOKENS:
            j = find_token_position(lm, ids, target)
            if j == 0:
                raise ValidationError(f"target {target!r} is the first token; it has no context to select from")
            beta, converged = M.lasso_fit(Z[:j], Z[j], lasso_lambda)
            if not converged:
                log.warning("lasso for [%s] at layer %d did not converge (T=%d context tokens, d=%d)",
                            target, k, j, Z.shape[1])
            alpha = M.lasso_alpha_from_lambda(lasso_lambda, Z.shape[1])
            sel_att = set(M.select_tokens(A[j, :j], threshold).tolist())
            sel_las = set(M.select_tokens(beta, threshold).tolist())
            for p in range(j):
                rows.append({"layer": k, "target": target, "target_position": j, "position": p, "token": tokens[p],
                             "attention": float(A[j, p]), "lasso_coef": float(beta[p]),
                             "selected_attention": p in sel_att, "selected_lasso": p in sel_las,
                             "target_self_attention": float(A[j, j]), "lasso_converged": converged,
                             "lasso_lambda": lasso_lambda,
                             "sklearn_alpha": alpha, "threshold": threshold})
    return pd.DataFrame(rows)


def _measure_sentences(lm, layers, active, *, gamma, ridge, seed, forward, progress):
    sents = embedding_sentences()
    ids = [lm.tokenizer(s["sentence"])["input_ids"] for s in sents]
    recs = list(forward(lm, ids, layers))
    frames = {}
    if "embeddings" in active:
        emb, sep = [], []
        for k in layers:
            for rep in ("mean", "last"):
                X = np.stack([r["states"][k].mean(axis=0) if rep == "mean" else r["states"][k][-1] for r in recs])
                for method, XY in _project(X, seed).items():
                    for s, (x, y) in zip(sents, XY):
                        emb.append({"layer": k, "sentence_id": s["sentence_id"], "context": s["context"],
                                    "country": s["country"], "sentence": s["sentence"], "representation": rep,
                                    "method": method, "x": float(x), "y": float(y)})
                sep.append({"layer": k, "representation": rep, **_separation(X, sents)})
        frames["embeddings"] = pd.DataFrame(emb)
        frames["embeddings_separation"] = pd.DataFrame(sep)
    if "distances" in active:
        # Figure 5 compares the king and queen sentences; the one-word
        # country sentences are left out (a 2-3 token covariance says little).
        pick = [i for i, s in enumerate(sents) if s["context"] in ("king", "queen")]
        rows = []
        pairs = [(a, b) for ai, a in enumerate(pick) for b in pick[ai + 1:]]
        bar = _tqdm(total=len(layers) * len(pairs), desc="sentence distances", unit="pair", disable=not progress)
        for k in layers:
            for a, b in pairs:
                Za, Zb = recs[a]["states"][k], recs[b]["states"][k]
                for metric in ("logdet", "js", "riemann", "logeuclid"):
                    r = 0.0 if metric == "js" else ridge
                    rows.append({"layer": k, "sentence_a": a, "sentence_b": b,
                                 "context_a": sents[a]["context"], "country_a": sents[a]["country"],
                                 "context_b": sents[b]["context"], "country_b": sents[b]["country"],
                                 "metric": metric,
                                 "distance": M.sentence_distance(Za, Zb, metric, ridge=ridge, gamma=gamma),
                                 "pyriemann_distance": M.pyriemann_distance(Za, Zb, metric, ridge=ridge, gamma=gamma),
                                 "ridge": r, "gamma": gamma if metric == "js" else float("nan")})
                bar.update(1)
        bar.close()
        frames["distances"] = pd.DataFrame(rows)
    return frames


def _project(X: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    import warnings

    from sklearn.decomposition import PCA

    with warnings.catch_warnings():
        # Identical vectors (e.g. the last token "." of every sentence at layer 0) have no
        # variance: PCA then returns zeros and warns about 0/0 in explained_variance_ratio_.
        warnings.simplefilter("ignore", RuntimeWarning)
        out = {"pca": PCA(n_components=2, svd_solver="full").fit_transform(X)}
    try:
        import umap  # optional: umap-learn
    except ImportError:
        return out
    reducer = umap.UMAP(n_components=2, n_neighbors=min(15, len(X) - 1), random_state=seed, metric="euclidean")
    out["umap"] = reducer.fit_transform(X)
    return out


def _separation(X: np.ndarray, sents: list[dict]) -> dict:
    from sklearn.metrics import silhouette_score

    pick = [i for i, s in enumerate(sents) if s["context"] in ("king", "queen")]
    labels = [sents[i]["context"] for i in pick]
    return {"silhouette_king_vs_queen": float(silhouette_score(X[pick], labels, metric="euclidean")),
            "n_sentences": len(pick)}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name).strip("/")) or "model"


def run_jobs(jobs, *, out_dir, shard=None, progress: bool = True, **kwargs) -> dict[tuple[str, str], dict[str, Path]]:
    """Measure a (model, revision) job list; with ``shard=(k, n)`` only jobs i with i % n == k.

    Each job writes to ``out_dir/<model slug>/<revision>/`` with its own
    marker, so a rerun skips finished jobs. ``kwargs`` go to
    :func:`run_measurements` (not ``shard``: jobs are the unit of sharding).
    """
    jobs = [(str(m), r if r else None) for m, r in jobs]
    if not jobs:
        raise ValidationError("jobs must hold at least one (model, revision) pair")
    _record_jobs(Path(out_dir), jobs)
    results = {}
    idx = shard_indices(len(jobs), shard)
    for i in _tqdm(idx, desc="jobs", unit="job", disable=not progress):
        m, r = jobs[i]
        job_dir = Path(out_dir) / _slug(m) / _revision_label(r)
        results[(m, _revision_label(r))] = run_measurements(m, revision=r, out_dir=job_dir, progress=progress, **kwargs)
    return results


def _record_jobs(out_dir: Path, jobs: list[tuple[str, str | None]]) -> None:
    """``out_dir/_jobs.json``: the whole job list, so that ``--merge`` can name the jobs not yet finished."""
    listed = [[m, _revision_label(r)] for m, r in jobs]
    path = check_writable(out_dir) / JOBS_FILE
    if path.exists():
        if _read_record(path, "jobs").get("jobs") != listed:
            raise ValidationError(f"{out_dir} already belongs to a different job list ({path}); use another --out")
        return
    atomic_write_text(path, json.dumps({"jobs": listed}, indent=1) + "\n")


def _read_record(path: Path, key: str) -> dict:
    """A JSON record this package wrote (run marker, job list); a damaged one is a ValueError naming it."""
    try:
        record = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path} is damaged ({exc}); delete it to recompute that part") from None
    if not isinstance(record, dict) or key not in record:
        raise ValidationError(f"{path} is damaged (no {key!r} entry); delete it to recompute that part")
    return record


def read_jobs(path) -> list[tuple[str, str | None]]:
    """A jobs file: one ``MODEL [REVISION]`` per line (whitespace-separated); ``#`` starts a comment."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"jobs file not found: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"jobs file {path} is a folder; give a file of 'MODEL [REVISION]' lines")
    jobs = []
    for lineno, raw in enumerate(path.read_bytes().splitlines(), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"{path}:{lineno}: not UTF-8 text; expected 'MODEL [REVISION]' lines") from None
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2:
            raise ValidationError(f"{path}:{lineno}: expected 'MODEL [REVISION]', got {len(parts)} fields")
        jobs.append((parts[0], parts[1] if len(parts) == 2 else None))
    if not jobs:
        raise ValidationError(f"{path} holds no jobs")
    return jobs


def merge_shards(root, *, allow_partial: bool = False) -> dict[str, Path]:
    """Join every finished measurement directory under ``root`` into ``root/<table>.csv``.

    Finished directories are those holding a ``_done.json`` marker (shards
    ``shard-k-of-n`` and job directories alike; ``root`` itself is not an
    input). Refused, with the field or the missing part named: shards of one
    run whose identity differs (model, revision, dtype, layers, token limit,
    any :class:`MeasureConfig` field, texts checksum, shard count); runs under
    one root measured with different parameters or texts; an incomplete set
    (a shard ``k/n`` or a job of ``_jobs.json`` without its marker) unless
    ``allow_partial``; rows of different shards with the same key. Rows are
    sorted by :data:`TABLE_KEYS`, so the result does not depend on the order
    shards ran. ``root/_merged.json`` records the inputs and whether the set was partial.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"merge directory not found: {root}")
    with OutputLock(root):  # one merge (or run) writing into root at a time
        return _merge_locked(root, allow_partial)


def _merge_locked(root: Path, allow_partial: bool) -> dict[str, Path]:
    markers = sorted(p for p in root.rglob(MARKER) if p.parent != root)
    if not markers:
        raise ValidationError(f"no finished measurements (no {MARKER} markers) under {root}")
    runs = {mk.parent: _read_record(mk, "tables") for mk in markers}
    _check_identities(root, runs)
    missing = _missing_parts(root, runs)
    if missing and not allow_partial:
        raise ValidationError(f"{root} is incomplete ({'; '.join(missing)} are not finished); run them, or pass "
                         "--allow-partial to merge what is there on purpose")
    if missing:
        log.warning("merging a partial set on purpose; missing: %s", "; ".join(missing))
    parts: dict[str, list[pd.DataFrame]] = {}
    for d, run in runs.items():
        for t in run["tables"]:
            parts.setdefault(t, []).append(read_table(d / f"{t}.csv", keep_default_na=False, na_values=[""]))
    frames = {}
    for t, dfs in sorted(parts.items()):
        # Empty shards (no texts) add no rows; leaving them out keeps the columns' dtypes.
        frames[t] = pd.concat([d for d in dfs if len(d)] or dfs[:1], ignore_index=True)
        _refuse_duplicates(t, frames[t])
    out = {t: _write(df, root / f"{t}.csv") for t, df in frames.items()}
    record = {"inputs": sorted(str(d.relative_to(root)) for d in runs), "partial": bool(missing),
              "missing": missing, "tables": sorted(out)}
    atomic_write_text(root / MERGED, json.dumps(record, indent=1, sort_keys=True) + "\n")
    log.info("merged %d finished directories into %s%s", len(markers), root, " (PARTIAL)" if missing else "")
    return out


MERGED = "_merged.json"
JOBS_FILE = "_jobs.json"
# Fields that every shard of one run shares (the shard index aside), and those every run under one root shares.
_SHARD_IDENTITY = ("model", "revision", "dtype", "layers", "max_tokens", "recipe", "texts_sha256", "n_texts",
                   "shard_count")
_ROOT_IDENTITY = ("dtype", "texts_sha256", "n_texts")
_SHARD_DIR = re.compile(r"shard-(\d+)-of-(\d+)")


def _identity(run: dict) -> dict:
    cfg = run["config"]
    ident = {k: cfg.get(k) for k in _SHARD_IDENTITY if k != "shard_count"}
    ident["shard_count"] = cfg["shard"][1] if cfg.get("shard") else None
    ident.update(cfg.get("measure_config", {}))  # every MeasureConfig field by its own name
    return ident


def _first_difference(a: dict, b: dict, fields) -> str | None:
    return next((f for f in fields if a.get(f) != b.get(f)), None)


def _check_identities(root: Path, runs: dict[Path, dict]) -> None:
    mc_fields = tuple(MeasureConfig.fields())
    idents = {d: _identity(run) for d, run in runs.items()}
    first: dict[Path, Path] = {}
    ref = next(iter(idents))
    for d, ident in idents.items():
        group = d.parent if _SHARD_DIR.fullmatch(d.name) else d
        other = first.setdefault(group, d)
        field = _first_difference(idents[other], ident, _SHARD_IDENTITY + mc_fields)
        if field is None:
            field = _first_difference(idents[ref], ident, _ROOT_IDENTITY + mc_fields)
            other = ref
        if field is not None:
            raise ValidationError(f"refusing to merge: {field} differs between {other.relative_to(root)} "
                             f"({idents[other].get(field)!r}) and {d.relative_to(root)} ({ident.get(field)!r})")


def _missing_parts(root: Path, runs: dict[Path, dict]) -> list[str]:
    """Shards ``k/n`` and jobs of a ``_jobs.json`` under ``root`` that hold no marker."""
    shard_sets: dict[Path, set[int]] = {}
    for d in [*runs, *(p for p in root.rglob("shard-*-of-*") if p.is_dir())]:
        m = _SHARD_DIR.fullmatch(d.name)
        if m:
            shard_sets.setdefault(d.parent, set()).add(int(m.group(2)))
    missing = []
    for parent, counts in sorted(shard_sets.items()):
        if len(counts) > 1:
            raise ValidationError(f"refusing to merge: shard count differs under {parent} "
                             f"({', '.join(map(str, sorted(counts)))} shards)")
        n = counts.pop()
        absent = [k for k in range(n) if parent / f"shard-{k}-of-{n}" not in runs]
        if absent:
            where = "" if parent == root else f"{parent.relative_to(root)}: "
            missing.append(f"{where}shards " + ", ".join(f"{k}/{n}" for k in absent))
    for jobs_file in sorted(root.rglob(JOBS_FILE)):
        jobs = _read_record(jobs_file, "jobs")["jobs"]
        absent = [f"{m}@{r}" for m, r in jobs if jobs_file.parent / _slug(m) / r not in runs]
        if absent:
            missing.append(f"jobs of {jobs_file.relative_to(root)}: " + ", ".join(absent))
    return missing


def _refuse_duplicates(table: str, df: pd.DataFrame) -> None:
    keys = [c for c in TABLE_KEYS.get(table, []) if c in df.columns]
    dup = df.duplicated(keys, keep=False) if keys and len(df) else None
    if dup is not None and dup.any():
        row = df.loc[dup, keys].iloc[0].to_dict()
        raise ValidationError(f"refusing to merge: {table}.csv would hold {int(dup.sum())} rows with a repeated key "
                         f"(e.g. {row}); the same measurement comes from more than one directory")
