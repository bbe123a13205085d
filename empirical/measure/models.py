"""Sections 3-4 (measurements on Pythia): load a causal LM and read its token representations.

Which tensor is a "layer"
-------------------------
A model with L transformer blocks returns ``output_hidden_states`` as a tuple
of L + 1 tensors. Layer index ``k`` in this package IS the index into that
tuple: ``0`` is the token-embedding output (input to block 1), ``k`` for
1 <= k < L is the residual stream after block k, and ``L`` (the default,
also written ``-1``) is the last entry, which in GPT-NeoX/Pythia (and in
transformers >= 4.x generally) is the output of the last block AFTER the final
layer norm ``gpt_neox.final_layer_norm``, i.e. exactly the tensor the LM head
reads. The attention weights paired with layer ``k >= 1`` are those of block
k (``output_attentions[k-1]``), averaged over heads.

Loading
-------
``name_or_path`` is a local directory or a Hugging Face hub id. Local
checkpoint families follow one convention (shared with the mini-Pythia
family): a directory may hold ``step<k>/`` subdirectories, each a
``save_pretrained`` directory; ``revision="stepN"`` then loads
``<path>/stepN/``, with the tokenizer from that directory if it holds
tokenizer files, else from ``<path>``. Hub ids are read from the local
Hugging Face cache only (``local_files_only=True``) unless the caller opts in
with ``allow_download=True``; a missing model fails at once with a message
saying how to point at a local copy, never a hang on the network.

Padding
-------
Batches are right-padded and masked. With causal attention a real token never
sees a pad to its right and GPT-NeoX position ids count from 0 at the first
token, so padding changes no number (a property test checks it).
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infogeo.validation import ValidationError, ValidationTypeError, choice, positive_int

log = logging.getLogger("empirical.measure.models")

__all__ = [
    "DTYPES",
    "ATTN_IMPLEMENTATIONS",
    "LoadedModel",
    "ModelUnavailableError",
    "load_model",
    "local_revisions",
    "resolve_device",
    "check_attn_implementation",
    "resolve_layers",
    "tokenize_texts",
    "forward_states",
    "forward_memory_bytes",
    "check_forward_memory",
    "parameter_count",
    "preflight_memory",
]

DTYPES = ("float32", "float64", "bfloat16", "float16")
#: transformers' attention implementations; the flash ones need the ``flash_attn`` package (and a GPU).
ATTN_IMPLEMENTATIONS = ("eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")
_WEIGHT_PATTERNS = ("model.safetensors", "model-*.safetensors", "pytorch_model.bin", "pytorch_model-*.bin",
                    "*.safetensors.index.json", "pytorch_model.bin.index.json")


class ModelUnavailableError(ValidationError):
    """The requested model cannot be loaded here (not on disk, not in the cache, downloads off)."""


@dataclass
class LoadedModel:
    """A model ready to measure. ``n_layers`` counts transformer blocks; valid layer indices are 0..n_layers."""

    model: object
    tokenizer: object
    name: str
    revision: str | None
    device: object
    dtype: str
    n_layers: int
    d: int
    max_context: int
    attn_implementation: str | None

    def token_strings(self, ids: Iterable[int]) -> list[str]:
        """Each token decoded on its own (so ``" No"`` keeps its leading space)."""
        return [self.tokenizer.decode([int(i)]) for i in ids]


def resolve_device(device: str = "auto", name: str = "--device"):
    """``"auto"`` is CUDA when available, else CPU; otherwise ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, each only
    when this machine has it (an error naming ``name`` otherwise)."""
    import torch

    if not isinstance(device, str):
        raise ValidationTypeError(
            f"{name} must be a string such as 'auto', 'cpu' or 'cuda:0', got {type(device).__name__}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValidationError(f"{name} must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r} "
                              f"({exc})") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValidationError(f"{name} {device!r} asked for CUDA but torch sees no GPU; use --device cpu or auto")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValidationError(f"{name} {device!r}: torch sees {torch.cuda.device_count()} GPU(s) "
                                  f"(cuda:0..cuda:{torch.cuda.device_count() - 1})")
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValidationError(f"{name} {device!r}: this machine has no Apple MPS device (or torch was built "
                                  "without it); use --device cpu or auto")
    elif dev.type != "cpu":
        raise ValidationError(f"{name} {device!r}: measurements run on 'cpu', 'cuda[:N]' or 'mps', not {dev.type!r}")
    return dev


def check_attn_implementation(impl: str | None, name: str = "--attn-implementation") -> str | None:
    """None (transformers' default) or one of :data:`ATTN_IMPLEMENTATIONS` that this machine can run."""
    if impl is None:
        return None
    choice(impl, name, ATTN_IMPLEMENTATIONS)
    if impl.startswith("flash_attention"):
        import importlib.util

        package = "flash_attn" if impl == "flash_attention_2" else "flash_attn_interface"
        if importlib.util.find_spec(package) is None:
            raise ValidationError(f"{name} {impl}: the {package} package is not installed; use 'sdpa' or 'eager'")
    return impl


def _torch_dtype(dtype: str):
    import torch

    if dtype not in DTYPES:
        raise ValidationError(f"dtype must be one of {list(DTYPES)}, got {dtype!r}")
    return getattr(torch, dtype)


def local_revisions(path) -> list[str]:
    """The ``step<k>`` checkpoint subdirectories of a local model family, sorted by k."""
    path = Path(path)
    steps = []
    for sub in path.iterdir() if path.is_dir() else ():
        if sub.is_dir() and sub.name.startswith("step") and sub.name[4:].isdigit():
            steps.append((int(sub.name[4:]), sub.name))
    return [name for _, name in sorted(steps)]


def _looks_like_path(name: str) -> bool:
    # Hub ids are "owner/name"; anything else with a separator is meant as a path.
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def _resolve_local(path: Path, revision: str | None) -> tuple[Path, Path]:
    if revision is None:
        if not (path / "config.json").exists():
            steps = local_revisions(path)
            hint = f"; it holds checkpoints {steps[0]}..{steps[-1]}: pass --revision" if steps else ""
            raise ModelUnavailableError(f"model directory {path} has no config.json{hint}")
        return path, path
    rev_dir = path / revision
    if not rev_dir.is_dir():
        steps = local_revisions(path)
        avail = (f"available: {', '.join(steps[:5])}{' ...' if len(steps) > 5 else ''}" if steps
                 else "it holds no step<k>/ checkpoints")
        raise ModelUnavailableError(f"revision {revision!r}: no checkpoint directory {rev_dir} ({avail})")
    tok_dir = rev_dir if _has_tokenizer(rev_dir) else path
    return rev_dir, tok_dir


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / f).is_file() for f in _TOKENIZER_FILES)


def _check_local_files(model_dir: Path, tok_dir: Path) -> None:
    """Name a missing tokenizer or weights file before transformers builds something empty or fails deep inside."""
    if not _has_tokenizer(tok_dir):
        where = f"{model_dir}" + (f" (nor {tok_dir})" if tok_dir != model_dir else "")
        raise ModelUnavailableError(f"model folder {where} has no tokenizer (looked for {', '.join(_TOKENIZER_FILES)});"
                                    " copy the tokenizer files next to config.json (or into the family folder)")
    if not any(model_dir.glob(pat) for pat in _WEIGHT_PATTERNS):
        raise ModelUnavailableError(f"model folder {model_dir} has no weights (looked for "
                                    f"{', '.join(_WEIGHT_PATTERNS)})")


def _load_local(path: Path, revision: str | None, load_kw: dict):
    """Tokenizer and model from a local folder; a missing or damaged file is one error naming it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not path.is_dir():
        raise ModelUnavailableError(f"model path {path} is a file; expected a save_pretrained directory")
    model_dir, tok_dir = _resolve_local(path, revision)
    _check_local_files(model_dir, tok_dir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(tok_dir), local_files_only=True)
        model, info = AutoModelForCausalLM.from_pretrained(str(model_dir), local_files_only=True,
                                                           output_loading_info=True, **load_kw)
    except _load_errors() as exc:  # a truncated model.safetensors, a damaged config.json, ...
        reason = " ".join(str(exc).split()) or type(exc).__name__
        weights = sorted(p.name for pat in _WEIGHT_PATTERNS for p in model_dir.glob(pat))
        raise ModelUnavailableError(f"cannot load local model {model_dir} (weights {', '.join(weights)}; "
                                    f"tokenizer from {tok_dir}): {type(exc).__name__}: {reason[:400]}; "
                                    "a truncated or damaged file: copy it again") from None
    _check_loading_info(info, f"local model {model_dir}")
    return tokenizer, model


def _check_loading_info(info: dict, where: str) -> None:
    """Refuse a checkpoint whose weights do not match the architecture: transformers would initialise a missing
    tensor at random (and only log it), so every table would describe a model that is not the checkpoint."""
    problems = []
    for key, what in (("missing_keys", "missing"), ("unexpected_keys", "unexpected"),
                      ("mismatched_keys", "of the wrong shape")):
        names = sorted(str(k if isinstance(k, str) else k[0]) for k in (info or {}).get(key, ()) or ())
        if names:
            problems.append(f"{len(names)} {what} weight tensor(s) ({', '.join(names[:4])}"
                            f"{', ...' if len(names) > 4 else ''})")
    if problems:
        raise ModelUnavailableError(f"{where} does not match its config: {'; '.join(problems)}; transformers would "
                                    "initialise the missing ones at random: copy the checkpoint again or fix its "
                                    "config.json")


def _load_errors() -> tuple[type[BaseException], ...]:
    """What a damaged model folder raises inside transformers/safetensors/torch (caught at the load boundary)."""
    errors: list[type[BaseException]] = [OSError, ValueError, RuntimeError, KeyError, EOFError]
    try:
        from safetensors import SafetensorError

        errors.append(SafetensorError)
    except ImportError:  # pragma: no cover - safetensors ships with transformers
        pass
    return tuple(errors)


def _offline_message(name: str, revision: str | None, reason: str) -> str:
    rev = f" --revision {revision}" if revision else ""
    return (
        f"cannot load hub model {name!r}{' at revision ' + revision if revision else ''}: {reason}. "
        f"Point --model at a local copy instead: on a machine with network run "
        f"`huggingface-cli download {name}{rev} --local-dir DIR` (or save_pretrained), copy DIR here "
        f"and pass --model DIR; for a family of checkpoints lay them out as DIR/step<k>/ and pass "
        f"--model DIR --revision step<k>. To let this run download, pass --allow-download "
        f"(and unset HF_HUB_OFFLINE)."
    )


def load_model(
    name_or_path,
    *,
    revision: str | None = None,
    device: str = "auto",
    dtype: str = "float32",
    attn_implementation: str | None = None,
    allow_download: bool = False,
) -> LoadedModel:
    """Load a causal LM and its tokenizer for measurement (eval mode, no gradients).

    Parameters
    ----------
    name_or_path : str or Path
        Local ``save_pretrained`` directory (or family directory with
        ``step<k>/`` checkpoints), or a hub id such as ``"EleutherAI/pythia-1.4b"``.
    revision : str, optional
        ``"stepN"``: a Pythia checkpoint on the hub, or ``<path>/stepN/`` locally.
    device : str
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    dtype : str
        Weights and activations: ``"float32"`` (default), ``"bfloat16"``,
        ``"float16"`` or ``"float64"``. Measurements cast states to float64.
    attn_implementation : str, optional
        Passed to transformers; ``"eager"`` is required to read attention weights.
    allow_download : bool
        Let transformers reach the hub; otherwise only local files/cache are used.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not isinstance(name_or_path, (str, os.PathLike)) or not str(name_or_path).strip():
        raise ValidationTypeError(f"name_or_path must be a non-empty string or path, got {name_or_path!r}")
    if revision is not None and (not isinstance(revision, str) or not revision):
        raise ValidationError(f"revision must be a non-empty string such as 'step143000', got {revision!r}")
    torch_dtype = _torch_dtype(dtype)
    dev = resolve_device(device)
    name = str(name_or_path)
    path = Path(name).expanduser()
    load_kw = {"dtype": torch_dtype}
    if check_attn_implementation(attn_implementation) is not None:
        load_kw["attn_implementation"] = attn_implementation
    if path.exists():
        tokenizer, model = _load_local(path, revision, load_kw)
    else:
        if _looks_like_path(name):
            raise ModelUnavailableError(f"model path {name!r} does not exist")
        offline_env = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        if allow_download and offline_env:
            raise ModelUnavailableError(_offline_message(name, revision,
                                                         "HF_HUB_OFFLINE is set, so nothing can be downloaded"))
        local_only = not allow_download
        try:
            tokenizer = AutoTokenizer.from_pretrained(name, revision=revision, local_files_only=local_only)
            model, info = AutoModelForCausalLM.from_pretrained(name, revision=revision,
                                                               local_files_only=local_only,
                                                               output_loading_info=True, **load_kw)
        except (OSError, ValueError) as exc:
            reason = ("it is not in the local Hugging Face cache and downloads are off" if local_only
                      else f"download failed ({exc})")
            raise ModelUnavailableError(_offline_message(name, revision, reason)) from None
        _check_loading_info(info, f"hub model {name!r}")
    _check_vocabulary(tokenizer, model, name)
    model.to(dev)
    model.eval()
    cfg = model.config
    n_layers = int(cfg.num_hidden_layers)
    d = int(cfg.hidden_size)
    max_context = int(getattr(cfg, "max_position_embeddings", 0) or getattr(tokenizer, "model_max_length", 0) or 2048)
    impl = getattr(cfg, "_attn_implementation", attn_implementation)
    log.info("loaded %s%s: %d layers, d=%d, context %d, %s on %s, attention %s", name,
             f"@{revision}" if revision else "", n_layers, d, max_context, dtype, dev, impl)
    return LoadedModel(model, tokenizer, name, revision, dev, dtype, n_layers, d, max_context, impl)


def _check_vocabulary(tokenizer, model, name: str) -> None:
    """A tokenizer with no vocabulary, or with token ids beyond the model's embedding rows, is refused by name."""
    if len(tokenizer) == 0:
        raise ModelUnavailableError(f"the tokenizer of {name!r} is empty (no vocabulary); check its tokenizer files")
    rows = model.get_input_embeddings().num_embeddings
    if len(tokenizer) > rows:
        raise ModelUnavailableError(f"the tokenizer of {name!r} has {len(tokenizer):,} tokens but the model's "
                                    f"embedding has {rows:,} rows: ids above {rows - 1} have no embedding; pair the "
                                    "model with its own tokenizer")


def resolve_layers(layers, n_layers: int) -> list[int]:
    """Layer spec -> sorted unique hidden-state indices in 0..n_layers.

    ``None`` means the last (``[n_layers]``); ``"all"`` every index; a list of
    ints (negatives count from the end, ``-1`` = last); a string like ``"0,2,-1"``.
    """
    if layers is None:
        return [n_layers]
    if isinstance(layers, str):
        if layers.strip() == "all":
            return list(range(n_layers + 1))
        try:
            layers = [int(x) for x in layers.replace(" ", "").split(",") if x]
        except ValueError:
            raise ValidationError(f"layers must be 'all' or comma-separated integers, got {layers!r}") from None
    if isinstance(layers, (int, np.integer)):
        layers = [int(layers)]
    out = []
    for k in layers:
        k = positive_int(k, "layers", minimum=-sys.maxsize)  # any integer; the range is checked next, by name
        idx = int(k) + n_layers + 1 if k < 0 else int(k)
        if not 0 <= idx <= n_layers:
            raise ValidationError(
                f"unknown layer {k}: this model has hidden states 0..{n_layers} (or -{n_layers + 1}..-1)")
        out.append(idx)
    if not out:
        raise ValidationError("layers must name at least one layer")
    return sorted(set(out))


def tokenize_texts(lm: LoadedModel, texts: list[str], max_tokens: int | None = None, *, ids=None) -> list[list[int]]:
    """Token ids of each text, truncated to ``max_tokens`` (default: the model's context).

    Truncation keeps the first ``max_tokens`` tokens and is logged (count of
    texts affected, never their content). Empty texts and ``max_tokens`` beyond
    the context are errors.
    """
    if max_tokens is None:
        max_tokens = lm.max_context
    max_tokens = positive_int(max_tokens, "max_tokens")
    if max_tokens > lm.max_context:
        raise ValidationError(f"max_tokens={max_tokens} exceeds the model's context of {lm.max_context} tokens")
    ids = list(range(len(texts))) if ids is None else list(ids)
    out, n_truncated = [], 0
    for tid, text in zip(ids, texts):
        if not isinstance(text, str):
            raise ValidationTypeError(f"texts must be strings; text {tid} is {type(text).__name__}")
        tok = lm.tokenizer(text)["input_ids"]
        if len(tok) == 0 or not text.strip():
            raise ValidationError(f"text {tid} is empty (no tokens)")
        if len(tok) > max_tokens:
            n_truncated += 1
            tok = tok[:max_tokens]
        out.append([int(t) for t in tok])
    if n_truncated:
        log.warning("truncated %d of %d texts to their first %d tokens (--max-tokens)", n_truncated, len(texts),
                    max_tokens)
    return out


#: Bytes per weight or activation of each ``--dtype`` (the memory estimates).
_DTYPE_BYTES = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2}


def forward_memory_bytes(config, batch_size: int, tokens: int, *, attentions: bool = False,
                         dtype: str = "float32") -> int:
    """Upper estimate of the bytes one forward pass holds at its peak (activations only, not the weights).

    From the model config: the ``L + 1`` hidden states that ``output_hidden_states``
    keeps (``batch × tokens × hidden``), the logits (``batch × tokens × vocab``,
    in float32 at least, and one float32 copy of them), one block's transients
    (the MLP's ``batch × tokens × intermediate`` twice, eight hidden-sized
    tensors: q, k, v, attention output, residuals, norms; a
    ``batch × heads × tokens²`` score matrix, twice for its softmax) and, when attentions are measured, the
    ``L`` kept attention maps (``batch × heads × tokens²`` each). Checked against
    a real forward pass in tests/robustness/test_empirical_memory.py.
    """
    L = int(config.num_hidden_layers)
    d = int(config.hidden_size)
    heads = int(getattr(config, "num_attention_heads", 1) or 1)
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    inter = int(getattr(config, "intermediate_size", 0) or 4 * d)
    size = _DTYPE_BYTES.get(dtype, 4)
    bt = batch_size * tokens
    kept = (L + 1) * bt * d * size + bt * vocab * max(size, 4)
    transient = (bt * (2 * inter + 8 * d) * size + bt * vocab * 4
                 + 2 * batch_size * heads * tokens * tokens * max(size, 4))
    maps = L * batch_size * heads * tokens * tokens * size if attentions else 0
    return int(kept + transient + maps)


def parameter_count(config) -> int:
    """Parameters of a GPT-style decoder from its config (the weights' memory before they load).

    ``L (4 d² + 2 d · intermediate) + 2 · vocab · d``: attention and MLP matrices of every block and untied input
    and output embeddings; biases and norms (``O(L d)``) are left out. Pythia-12B: 11.84e9 of its 11.85e9.
    """
    L = int(config.num_hidden_layers)
    d = int(config.hidden_size)
    inter = int(getattr(config, "intermediate_size", 0) or 4 * d)
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    return L * (4 * d * d + 2 * d * inter) + 2 * vocab * d


def _read_config(name_or_path, revision: str | None, allow_download: bool):
    """The model's config without its weights, or None when it cannot be read here (the load then says why)."""
    from transformers import AutoConfig

    path = Path(str(name_or_path)).expanduser()
    try:
        if path.exists():
            model_dir, _ = _resolve_local(path, revision)
            return AutoConfig.from_pretrained(str(model_dir), local_files_only=True)
        return AutoConfig.from_pretrained(str(name_or_path), revision=revision, local_files_only=not allow_download)
    except (OSError, ValueError, KeyError):
        return None


def preflight_memory(name_or_path, *, revision: str | None = None, dtype: str = "float32", device: str = "auto",
                     batch_size: int, tokens: int | None, default_tokens: int, attentions: bool = False,
                     allow_download: bool = False, available: int | None = None, layers=None) -> int | None:
    """Before a model loads: refuse weights plus one forward pass that cannot fit, and ``layers`` the model does
    not have (``--layers``), from the config alone.

    ``tokens``: the ``--max-tokens`` given (None: ``min(default_tokens, context)``). Returns the estimate in
    bytes, or None when the config cannot be read without loading (the load reports that).
    """
    from infogeo.validation import MODEL_MEMORY_FRACTION, check_memory, format_bytes

    cfg = _read_config(name_or_path, revision, allow_download)
    if cfg is None:
        return None
    try:
        resolve_layers(layers, int(cfg.num_hidden_layers))
    except ValidationError as exc:
        raise ValidationError(f"--layers: {exc} (--model {name_or_path})") from None
    context = int(getattr(cfg, "max_position_embeddings", 0) or default_tokens)
    t = min(default_tokens, context) if tokens is None else int(tokens)
    if t > context:  # named before the memory it would take (and before the weights load)
        raise ValidationError(f"--max-tokens: max_tokens={t} exceeds the model's context of {context} tokens")
    size = _DTYPE_BYTES.get(dtype, 4)
    weights = parameter_count(cfg) * size
    need = weights + forward_memory_bytes(cfg, batch_size, t, attentions=attentions, dtype=dtype)
    check_memory(need, f"--model {name_or_path} ({format_bytes(weights)} of weights in {dtype}) with a forward "
                       f"pass of --batch-size {batch_size} texts of {t} tokens (--max-tokens)", MODEL_MEMORY_FRACTION,
                 hint="use a smaller --batch-size or --max-tokens, a smaller --dtype, or a machine with more memory",
                 device=resolve_device(device), available=available)
    return need


def check_forward_memory(lm: LoadedModel, batch_size: int, tokens: int, *, attentions: bool = False,
                         available: int | None = None) -> int:
    """Refuse a forward pass whose estimate exceeds the memory budget, naming --batch-size and --max-tokens.

    Returns the estimate (bytes). ``available`` overrides the measured free memory (tests).
    """
    from infogeo.validation import MODEL_MEMORY_FRACTION, check_memory

    need = forward_memory_bytes(lm.model.config, batch_size, tokens, attentions=attentions, dtype=lm.dtype)
    check_memory(need, f"a forward pass of --batch-size {batch_size} texts of {tokens} tokens"
                       f"{' with attention maps (lasso)' if attentions else ''} through {lm.name}",
                 MODEL_MEMORY_FRACTION, hint="use a smaller --batch-size or --max-tokens", device=lm.device,
                 available=available)
    return need


def forward_states(
    lm: LoadedModel,
    token_ids: list[list[int]],
    layers: list[int],
    *,
    batch_size: int = 8,
    attentions: bool = False,
) -> Iterator[dict]:
    """Run the model on right-padded, masked batches; yield one dict per sequence, in order.

    Each dict has ``states``: {layer: float64 array (n, d)} for the real tokens
    only, and, when ``attentions``, ``attention``: {layer >= 1: float64 array (n, n)},
    block ``layer``'s attention averaged over heads (row i = token i's weights
    over tokens 0..i). Non-finite states raise ValueError naming the sequence.
    """
    import torch

    batch_size = positive_int(batch_size, "batch_size")
    for k in layers:
        if not 0 <= k <= lm.n_layers:
            raise ValidationError(f"unknown layer {k}: this model has hidden states 0..{lm.n_layers}")
    if attentions:
        if not any(k >= 1 for k in layers):
            raise ValidationError("layer 0 (embeddings) has no attention weights; choose a layer >= 1")
        if lm.attn_implementation not in (None, "eager"):
            raise ValidationError(f"attention weights need attn_implementation='eager'; this model uses "
                             f"{lm.attn_implementation!r}")
    if token_ids:  # the widest batch decides; refused before the model runs
        width = max(len(b) for b in token_ids)
        check_forward_memory(lm, min(batch_size, len(token_ids)), width, attentions=attentions)
    pad_id = lm.tokenizer.pad_token_id
    if pad_id is None:
        pad_id = 0  # any id: pads sit to the right and are masked
    for start in range(0, len(token_ids), batch_size):
        batch = token_ids[start:start + batch_size]
        lengths = [len(b) for b in batch]
        width = max(lengths)
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, b in enumerate(batch):
            ids[i, : len(b)] = torch.tensor(b, dtype=torch.long)
            mask[i, : len(b)] = 1
        with torch.inference_mode():
            out = lm.model(input_ids=ids.to(lm.device), attention_mask=mask.to(lm.device),
                           output_hidden_states=True, output_attentions=attentions, use_cache=False)
        hs = out.hidden_states
        for i, n in enumerate(lengths):
            rec = {"states": {}}
            for k in layers:
                Z = hs[k][i, :n].to(torch.float64).cpu().numpy()
                if not np.all(np.isfinite(Z)):
                    raise ValidationError(f"sequence {start + i}: layer {k} states contain NaN/inf (dtype {lm.dtype}); "
                                     "try --dtype float32")
                rec["states"][k] = Z
            if attentions:
                rec["attention"] = {k: out.attentions[k - 1][i, :, :n, :n].to(torch.float64).mean(dim=0).cpu().numpy()
                                    for k in layers if k >= 1}
            yield rec
