"""Input validation shared by every public numeric function of infogeo.

Errors name the argument and what was expected; nothing is clipped or dropped.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "as_matrix",
    "as_spd",
    "as_symmetric",
    "as_psd",
    "positive",
    "nonnegative",
    "positive_int",
    "probability_vector",
]


def as_float_array(x, name: str, *, ndim: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a finite float64 array, or raise naming ``name``."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be numeric array-like, got {type(x).__name__}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric array-like: {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf)")
    return arr


def as_matrix(x, name: str, *, square: bool = False) -> np.ndarray:
    arr = as_float_array(x, name, ndim=2)
    if square and arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    return arr


def _symmetric(arr: np.ndarray, name: str, rtol: float) -> np.ndarray:
    scale = max(1.0, float(np.max(np.abs(arr))))
    if np.max(np.abs(arr - arr.T)) > rtol * scale:
        raise ValueError(f"{name} must be symmetric (max |A - A^T| = {np.max(np.abs(arr - arr.T)):.3g})")
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
        raise ValueError(f"{name} must be symmetric positive definite (smallest eigenvalue {lam:.3g}); {hint}") from None
    # A singular PSD matrix can pass Cholesky in floating point with a pivot at round-off level; its
    # log-determinant would then be a meaningless large negative number, so such pivots are refused.
    pivots = np.diag(L) ** 2
    if pivots.min() <= 1e-13 * max(float(np.max(np.diag(arr))), np.finfo(float).tiny):
        raise ValueError(f"{name} is numerically singular (Cholesky pivot {pivots.min():.3g}); {hint}")
    return arr


def as_psd(x, name: str, *, rtol: float = 1e-8) -> np.ndarray:
    """Symmetric positive semi-definite float64 matrix (eigenvalues >= -rtol * scale)."""
    arr = _symmetric(as_matrix(x, name, square=True), name, rtol)
    lam = np.linalg.eigvalsh(arr)
    scale = max(1.0, float(np.max(np.abs(lam))))
    if lam.min() < -rtol * scale:
        raise ValueError(f"{name} must be positive semi-definite (smallest eigenvalue {lam.min():.3g})")
    return arr


def positive(x, name: str) -> float:
    """A finite real scalar > 0."""
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    v = float(x)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {x!r}")
    return v


def nonnegative(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    v = float(x)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {x!r}")
    return v


def positive_int(x, name: str, *, minimum: int = 1) -> int:
    if isinstance(x, bool) or not isinstance(x, (numbers.Integral, np.integer)):
        if isinstance(x, (float, np.floating)) and float(x).is_integer():
            x = int(x)
        else:
            raise TypeError(f"{name} must be an integer, got {x!r}")
    v = int(x)
    if v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}")
    return v


def probability_vector(p, name: str, *, atol: float = 1e-9, ndim: int | None = 1) -> np.ndarray:
    """Nonnegative float64 array summing to 1 within ``atol`` (not renormalized)."""
    arr = as_float_array(p, name, ndim=ndim)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be nonnegative (min {arr.min():.3g})")
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (sums to {total:.12g}, tolerance {atol:g})")
    return arr
