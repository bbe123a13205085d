"""Input validation and the memory guard, shared by every public boundary of infogeo (theory, simulate, empirical).

The scikit-learn ``utils.validation`` idea: each check takes the value and the
argument's ``name`` and returns the value in its canonical type (float, int,
float64 array, str, Generator) or raises :class:`ValidationError` (a
``ValueError``: right kind, bad value) / :class:`ValidationTypeError` (also a
``TypeError``: wrong kind of thing) with a message that starts with ``name``.
Nothing is clipped, dropped or renormalized. The command-line runner
(:mod:`infogeo.runner`) shows a :class:`ValidationError` as one usage line
(exit 2); any other exception from inside the work is a bug and keeps its
traceback.

Memory: :func:`check_memory` is the one guard every command calls before a
large allocation.

Scalars: :func:`finite`, :func:`positive`, :func:`nonnegative`,
:func:`in_range`, :func:`probability`, :func:`positive_int`,
:func:`nonnegative_int`, :func:`choice`, :func:`as_generator`.
Arrays: :func:`as_float_array` (finite, optional bounds), :func:`as_matrix`,
:func:`as_symmetric`, :func:`as_spd`, :func:`as_psd`, :func:`probability_vector`,
:func:`as_int_array`, :func:`increasing`, :func:`same_shape`.
"""
from __future__ import annotations

import numbers
import os

import numpy as np

__all__ = [
    "ValidationError",
    "ValidationTypeError",
    "as_float_array",
    "as_int_array",
    "as_matrix",
    "as_spd",
    "as_symmetric",
    "as_psd",
    "increasing",
    "same_shape",
    "finite",
    "positive",
    "nonnegative",
    "in_range",
    "probability",
    "positive_int",
    "nonnegative_int",
    "choice",
    "as_generator",
    "probability_vector",
    "unit_rows",
    "available_memory",
    "check_memory",
    "format_bytes",
    "MEMORY_FRACTION",
    "MODEL_MEMORY_FRACTION",
]


class ValidationError(ValueError):
    """Bad input: the message names the argument (or option, or file) and what was expected."""


class ValidationTypeError(ValidationError, TypeError):
    """Bad input of the wrong kind (a string where a number belongs); also a ``TypeError``."""


def as_float_array(x, name: str, *, ndim: int | None = None, allow_empty: bool = False,
                   low: float | None = None, low_open: bool = False) -> np.ndarray:
    """Return ``x`` as a finite float64 array, or raise naming ``name``.

    ``low`` (optional) bounds every entry from below: ``>= low``, or ``> low``
    with ``low_open=True``.
    """
    if isinstance(x, (str, bytes)):
        raise ValidationTypeError(f"{name} must be numeric array-like, got {type(x).__name__}")
    try:
        if np.iscomplexobj(x):  # numpy would drop the imaginary part with only a warning
            raise ValidationTypeError(f"{name} must be real, got complex values")
        arr = np.asarray(x, dtype=np.float64)
    except ValidationTypeError:
        raise
    except (TypeError, ValueError) as exc:  # a ragged nested list fails already in iscomplexobj
        raise ValidationTypeError(f"{name} must be numeric array-like: {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValidationError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValidationError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValidationError(f"{name} contains {bad} non-finite value(s) (NaN or inf)")
    if low is not None and arr.size:
        worst = float(arr.min())
        if worst < low or (low_open and worst == low):
            raise ValidationError(f"{name} must be {'>' if low_open else '>='} {low:g} everywhere (min {worst:.6g})")
    return arr


def as_int_array(x, name: str, *, minimum: int | None = None, ndim: int | None = None) -> np.ndarray:
    """Integer-valued entries (any numeric dtype), returned as float64; optional lower bound ``minimum``."""
    arr = as_float_array(x, name, ndim=ndim)
    if np.any(arr != np.floor(arr)):
        raise ValidationError(f"{name} must hold integers")
    if minimum is not None and np.any(arr < minimum):
        raise ValidationError(f"{name} must be integers >= {minimum} (min {arr.min():g})")
    return arr


def increasing(arr: np.ndarray, name: str, *, strict: bool = True) -> np.ndarray:
    """``arr`` (a validated 1-D array) sorted ascending: strictly unless ``strict=False``."""
    step = np.diff(arr)
    if np.any(step <= 0) if strict else np.any(step < 0):
        raise ValidationError(f"{name} must be {'strictly ' if strict else ''}increasing")
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise naming both arguments when two validated arrays differ in shape."""
    if np.shape(a) != np.shape(b):
        raise ValidationError(f"{name_a} and {name_b} must have the same shape, got {np.shape(a)} and {np.shape(b)}")


def as_matrix(x, name: str, *, square: bool = False) -> np.ndarray:
    arr = as_float_array(x, name, ndim=2)
    if square and arr.shape[0] != arr.shape[1]:
        raise ValidationError(f"{name} must be square, got shape {arr.shape}")
    return arr


def _symmetric(arr: np.ndarray, name: str, rtol: float) -> np.ndarray:
    scale = max(1.0, float(np.max(np.abs(arr))))
    if np.max(np.abs(arr - arr.T)) > rtol * scale:
        raise ValidationError(f"{name} must be symmetric (max |A - A^T| = {np.max(np.abs(arr - arr.T)):.3g})")
    if scale > 1e307:  # arr + arr.T would overflow: halve first (exact for normal numbers)
        return 0.5 * arr + 0.5 * arr.T
    return 0.5 * (arr + arr.T)


def as_symmetric(x, name: str, *, rtol: float = 1e-8) -> np.ndarray:
    """Square symmetric float64 matrix (symmetrized exactly after the check)."""
    return _symmetric(as_matrix(x, name, square=True), name, rtol)


def as_spd(x, name: str, *, rtol: float = 1e-8) -> np.ndarray:
    """Symmetric positive definite float64 matrix (checked by Cholesky)."""
    arr = _symmetric(as_matrix(x, name, square=True), name, rtol)
    hint = "regularize a rank-deficient covariance first, e.g. theory.distances.regularize_covariance"
    try:
        L = np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        lam = np.linalg.eigvalsh(arr).min()
        raise ValidationError(f"{name} must be symmetric positive definite (smallest eigenvalue {lam:.3g}); "
                         f"{hint}") from None
    # A singular PSD matrix can pass Cholesky in floating point with a pivot at round-off level; its
    # log-determinant would then be a meaningless large negative number, so such pivots are refused.
    pivots = np.diag(L) ** 2
    if pivots.min() <= 1e-13 * max(float(np.max(np.diag(arr))), np.finfo(float).tiny):
        raise ValidationError(f"{name} is numerically singular (Cholesky pivot {pivots.min():.3g}); {hint}")
    return arr


def as_psd(x, name: str, *, rtol: float = 1e-8) -> np.ndarray:
    """Symmetric positive semi-definite float64 matrix (eigenvalues >= -rtol * scale)."""
    arr = _symmetric(as_matrix(x, name, square=True), name, rtol)
    lam = np.linalg.eigvalsh(arr)
    scale = max(1.0, float(np.max(np.abs(lam))))
    if lam.min() < -rtol * scale:
        raise ValidationError(f"{name} must be positive semi-definite (smallest eigenvalue {lam.min():.3g})")
    return arr


def _real(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise ValidationTypeError(f"{name} must be a real number, got {type(x).__name__}")
    return float(x)


def finite(x, name: str) -> float:
    """A finite real scalar (bool and strings are refused)."""
    v = _real(x, name)
    if not np.isfinite(v):
        raise ValidationError(f"{name} must be finite, got {x!r}")
    return v


def positive(x, name: str) -> float:
    """A finite real scalar > 0."""
    v = _real(x, name)
    if not np.isfinite(v) or v <= 0:
        raise ValidationError(f"{name} must be finite and > 0, got {x!r}")
    return v


def nonnegative(x, name: str) -> float:
    """A finite real scalar >= 0."""
    v = _real(x, name)
    if not np.isfinite(v) or v < 0:
        raise ValidationError(f"{name} must be finite and >= 0, got {x!r}")
    return v


def in_range(x, name: str, low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> float:
    """A finite real scalar in the interval from ``low`` to ``high`` (closed ends unless ``*_open``)."""
    v = finite(x, name)
    if v < low or v > high or (low_open and v == low) or (high_open and v == high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValidationError(f"{name} must lie in {interval}, got {x!r}")
    return v


def probability(x, name: str, *, open_interval: bool = False) -> float:
    """A probability: in [0, 1], or in (0, 1) with ``open_interval=True``."""
    return in_range(x, name, 0.0, 1.0, low_open=open_interval, high_open=open_interval)


def positive_int(x, name: str, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (a float with an integer value is accepted; bool is not)."""
    if isinstance(x, bool) or not isinstance(x, (numbers.Integral, np.integer)):
        if isinstance(x, (float, np.floating)) and float(x).is_integer():
            x = int(x)
        else:
            raise ValidationTypeError(f"{name} must be an integer, got {x!r}")
    v = int(x)
    if v < minimum:
        raise ValidationError(f"{name} must be an integer >= {minimum}, got {v}")
    return v


def nonnegative_int(x, name: str) -> int:
    """An integer >= 0 (counts such as bootstrap resamples, seeds)."""
    return positive_int(x, name, minimum=0)


def choice(x, name: str, options) -> str:
    """One of the strings in ``options``."""
    options = tuple(options)
    if not isinstance(x, str) or x not in options:
        raise ValidationError(f"{name} must be one of {', '.join(map(repr, options))}, got {x!r}")
    return x


def as_generator(seed, name: str = "seed") -> np.random.Generator:
    """A numpy Generator: a Generator is used as is; an int >= 0, None (fresh entropy) or any other seed
    ``numpy.random.default_rng`` accepts (SeedSequence, sequence of ints) starts a new one. bool is refused."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool):
        raise ValidationTypeError(f"{name} must be an int >= 0, a numpy Generator or None, got {seed!r}")
    if isinstance(seed, (numbers.Integral, np.integer)):
        return np.random.default_rng(nonnegative_int(seed, name))
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise ValidationTypeError(
            f"{name} must be an int >= 0, a numpy Generator or None, got {seed!r} ({exc})") from None


def probability_vector(p, name: str, *, atol: float = 1e-9, ndim: int | None = 1) -> np.ndarray:
    """Nonnegative float64 array summing to 1 within ``atol`` (not renormalized)."""
    arr = as_float_array(p, name, ndim=ndim)
    if np.any(arr < 0):
        raise ValidationError(f"{name} must be nonnegative (min {arr.min():.3g})")
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValidationError(f"{name} must sum to 1 (sums to {total:.12g}, tolerance {atol:g})")
    return arr


def unit_rows(Z, name: str) -> np.ndarray:
    """Rows of the matrix ``Z`` divided by their l2 norms; a row of zeros is refused by name.

    Rows whose squares would overflow or underflow float64 (entries beyond ~1e150 or below ~1e-150) are
    first divided by their largest entry, so 1e300 and 1e-320 rows are normalized exactly instead of
    becoming zero rows (overflow) or "all-zero rows" (underflow); other rows keep the plain route's bytes.
    """
    Z = as_matrix(Z, name)
    peak = np.max(np.abs(Z), axis=1)
    if np.any(peak == 0):
        raise ValidationError(f"{name} has an all-zero row; cannot l2-normalize it")
    extreme = (peak > 1e150) | (peak < 1e-150)
    if np.any(extreme):
        Z = Z.copy()
        Z[extreme] /= peak[extreme, None]
    return Z / np.linalg.norm(Z, axis=1)[:, None]


#: The share of the available memory a single command may plan to use (the rest is left to the system, to
#: Python's own objects and to allocator fragmentation). See :func:`check_memory`.
MEMORY_FRACTION = 0.8
#: The share for torch models and batched bootstrap refits: torch's caching allocator, the model's own buffers and
#: numpy's batched-solve temporaries hold memory beyond the arrays their estimates count.
MODEL_MEMORY_FRACTION = 0.5


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):  # absent, "max" (no limit) or unreadable
        return None


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup memory limit (v2, else v1), or None without a limit."""
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, used = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and limit < 1 << 60 and used is not None:
            return max(limit - used, 0)
    return None


def available_memory() -> int:
    """Bytes of memory available now: ``MemAvailable`` of /proc/meminfo (else the physical memory), or the room
    left under a container's cgroup limit when that is smaller."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):  # pragma: no cover - exotic platforms: nothing to compare
            avail = 1 << 62
    room = _cgroup_room()
    return avail if room is None else min(avail, room)


def format_bytes(n: float) -> str:
    """``1.5e9`` -> ``'1.5 GB'`` (decimal units, as memory estimates are stated)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} B"


def _device_room(device) -> int | None:
    """Free bytes on ``device``: a CUDA GPU's free memory, the host's for None or a CPU, None when unknown."""
    dev_type = getattr(device, "type", None) or (str(device).split(":")[0] if device is not None else "cpu")
    if dev_type == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    return available_memory() if dev_type == "cpu" else None


def check_memory(need: float, what: str, fraction: float = MEMORY_FRACTION, *, detail: str = "", hint: str = "",
                 device=None, available: int | None = None) -> None:
    """Refuse, before allocating, work estimated to need more than ``fraction`` of the memory available now.

    ``need``: the estimate in bytes. ``what`` names the argument and its value as the user gave it
    (``"--skills 1000000000"``, ``"M=1000000000"``); ``detail`` says what the estimate counts (``"22 float64
    arrays of M"``); ``hint`` what to change (default: use smaller sizes). ``device``: a torch device or its name
    (a GPU's free memory is asked of torch; None or "cpu": the host's, cgroup-aware; any other device is not
    checked). ``available`` overrides the measured free bytes (tests). Raises :class:`ValidationError`.
    """
    free = _device_room(device) if available is None else int(available)
    if free is None:
        return
    if need > fraction * free:
        counted = f" ({detail})" if detail else ""
        where = " of GPU memory" if str(getattr(device, "type", device)).startswith("cuda") else ""
        raise ValidationError(f"{what} needs ~{format_bytes(need)}{counted} but {format_bytes(free)}{where} are "
                              f"available (at most {fraction:.0%} of it is planned for); {hint or 'use smaller sizes'}")
