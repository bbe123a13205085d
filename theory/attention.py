"""Section 4.2 (equations (4) and (5)): values recovered from causal attention outputs, and the approximation
that motivates the Lasso of Figure 5.

Convention: ``A`` is a (T, T) row-stochastic lower-triangular attention matrix,
``A[i, j] = lambda_j^i`` (token i attends to token j <= i); ``V`` is (T, d), one
value vector per row; the attention outputs are ``Z = A V``, ``z_i = sum_{j<=i}
lambda_j^i v_j``. Rows are 0-based here (the paper counts tokens from 1).
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import ValidationError, as_generator, as_matrix, finite, positive, positive_int

__all__ = ["causal_attention", "equation4_values", "approximation_5"]


def _attention(A) -> np.ndarray:
    A = as_matrix(A, "A", square=True)
    if np.any(np.triu(A, 1) != 0):
        raise ValidationError("A must be lower-triangular (causal attention)")
    if np.any(np.diag(A) <= 0):
        raise ValidationError("A must have a positive diagonal (lambda_i^i > 0): equation (4) divides by it")
    return A


def _values(V, T: int) -> np.ndarray:
    V = as_matrix(V, "V")
    if V.shape[0] != T:
        raise ValidationError(f"V must have T={T} rows (one value per token), got {V.shape[0]}")
    return V


def causal_attention(rng, T: int, *, self_margin: float, scale: float, keep: int | None) -> np.ndarray:
    """Row-stochastic lower-triangular attention from random logits (a random instance for the checks).

    ``rng`` is a seed or Generator; logits are N(0, scale^2) with ``self_margin``
    added to the diagonal (how much a token attends to itself); ``keep`` keeps
    only the largest ``keep`` weights of each row (sparse attention), always
    including the diagonal, and renormalizes.
    """
    rng = as_generator(rng, "rng")
    T = positive_int(T, "T")
    self_margin = finite(self_margin, "self_margin")
    scale = positive(scale, "scale")
    keep = None if keep is None else positive_int(keep, "keep")
    L = rng.normal(scale=scale, size=(T, T)) + self_margin * np.eye(T)
    L[np.triu_indices(T, 1)] = -np.inf
    W = np.exp(L - L.max(axis=1, keepdims=True))
    if keep is not None:
        for i in range(T):
            row = W[i, : i + 1]
            if row.size > keep:
                cut = np.sort(row[:-1])[::-1][keep - 1]
                mask = row[:-1] < cut
                row[:-1][mask] = 0.0
    return W / W.sum(axis=1, keepdims=True)


def equation4_values(A, Z, V) -> np.ndarray:
    r"""Right-hand side of equation (4) for every token, given the earlier values:

    .. math:: v_i = \frac{1}{\lambda_i^i} z_i - \sum_{j<i} \frac{\lambda_j^i}{\lambda_i^i} v_j .

    Row i of the result is (4) evaluated with the outputs ``Z`` and the values
    ``V[:i]`` of the earlier tokens (the true ones, so round-off is not
    amplified by 1/lambda_i^i the way solving (4) forward would be); it equals
    ``V[i]`` exactly when ``Z = A V``.
    """
    A = _attention(A)
    T = A.shape[0]
    Z, V = as_matrix(Z, "Z"), _values(V, T)
    if Z.shape != V.shape:
        raise ValidationError(f"Z must have the shape of V {V.shape}, got {Z.shape}")
    out = np.empty_like(V)
    for i in range(T):
        out[i] = Z[i] / A[i, i] - (A[i, :i] / A[i, i]) @ V[:i]
    return out


def approximation_5(A, V) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Equation (5) for the last token, with the term it drops.

    .. math:: z_{T+1} \approx \lambda_{T+1}^{T+1} v_{T+1}
              + \sum_{\lambda_j^{T+1} \ne 0} \frac{\lambda_j^{T+1}}{\lambda_j^j} z_j,

    and exactly :math:`z_{T+1} = (5) - \sum_j \lambda_j^{T+1} \sum_{k<j}
    (\lambda_k^j / \lambda_j^j) v_k`. Returns ``(z_last, approximation, dropped)``,
    each of shape (d,).
    """
    A = _attention(A)
    V = _values(V, A.shape[0])
    Z = A @ V
    last = A.shape[0] - 1
    lam = A[last]
    approx = lam[last] * V[last]
    dropped = np.zeros(V.shape[1])
    for j in range(last):
        if lam[j] != 0:
            approx = approx + lam[j] / A[j, j] * Z[j]
            dropped = dropped + lam[j] * (A[j, :j] / A[j, j]) @ V[:j]
    return Z[last], approx, dropped
