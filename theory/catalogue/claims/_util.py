"""Small helpers for writing checks: JSON-safe numbers, relative errors, local log-log slopes."""
from __future__ import annotations

import numpy as np

from .._core import Check


def j(x):
    """JSON-safe copy of numbers, arrays, dicts and lists."""
    if isinstance(x, dict):
        return {str(k): j(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [j(v) for v in x]
    if isinstance(x, np.ndarray):
        return j(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def check(name: str, kind: str, target: str, passed, detail: str, **data) -> Check:
    return Check(name=name, kind=kind, target=target, passed=bool(passed), detail=detail, data=j(data))


#: Errors below this are float64 round-off: their value depends on the BLAS kernel and summation order of the
#: machine, so evidence (a table column) states the bound, and the check's detail keeps the measured value.
ROUNDOFF = 1e-12


def agreement(err: float, floor: float = ROUNDOFF) -> str:
    """``"< 1e-12 (round-off)"`` for an error at round-off level, else the error to two digits (``"3.4e-05"``)."""
    return f"< {floor:.0e} (round-off)" if err < floor else f"{err:.1e}"


def rel_err(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def local_slope(x, y) -> np.ndarray:
    """d log y / d log x by central differences on a log grid."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return np.gradient(ly, lx)


def unit_rows(rng, n: int, d: int) -> np.ndarray:
    """n random Gaussian rows in R^d, each scaled to unit l2 norm."""
    Z = rng.normal(size=(n, d))
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def random_spd(rng, d: int, cond: float = 10.0) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.exp(rng.uniform(0, np.log(cond), size=d))
    return (Q * lam) @ Q.T
