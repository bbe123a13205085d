"""Section 3 (Definition 3.1, Equation (1)): representation entropy of token matrices.

Convention: ``Z`` has shape ``(n, d)``, one token representation per row, as in
the paper (``Z in R^{n x d}``, ``Sigma_Z = Z^T Z / n``). Logarithms are natural.
"""
from __future__ import annotations

import numpy as np

from .validation import as_float_array, as_matrix, as_symmetric, choice, positive, positive_int

__all__ = [
    "logdet_spd",
    "rate_distortion_entropy",
    "rate_distortion_entropy_max",
    "normalized_rate_distortion_entropy",
    "equal_singular_value_normalized_entropy",
    "matrix_entropy",
]


def logdet_spd(A: np.ndarray) -> float:
    """log det of a symmetric positive definite float64 matrix via Cholesky.

    Raises ``ValueError`` naming ``A`` for NaN/inf entries or a non-symmetric matrix (relative
    tolerance 1e-8), ``numpy.linalg.LinAlgError`` if it is not positive definite.
    """
    A = as_matrix(A, "A", square=True)  # NaN/inf and non-square input are refused by name
    as_symmetric(A, "A")  # a check only: the factor reads A itself, so valid results keep their bytes
    L = np.linalg.cholesky(A)
    return 2.0 * float(np.sum(np.log(np.diag(L))))


def rate_distortion_entropy(Z, eps: float = 0.1, *, method: str = "auto") -> float:
    r"""Rate-distortion entropy estimate, Definition 3.1.

    .. math:: L_\epsilon(Z) = \frac{d+n}{2}\log\det\Big(I_d + \frac{d}{\epsilon^2}\Sigma_Z\Big),
              \quad \Sigma_Z = \tfrac1n Z^\top Z.

    Parameters
    ----------
    Z : array (n, d)
        One token representation per row (float64 is used internally).
    eps : float > 0
        Distortion. The paper uses 0.1.
    method : {"auto", "gram", "covariance"}
        ``"gram"`` evaluates the same determinant through the n x n Gram matrix
        (Sylvester: ``det(I_d + c Z^T Z) = det(I_n + c Z Z^T)``), cheaper when
        n < d; ``"auto"`` picks the smaller side.

    Returns
    -------
    float, in nats.
    """
    Z = as_matrix(Z, "Z")
    eps = positive(eps, "eps")
    method = choice(method, "method", ("auto", "gram", "covariance"))
    n, d = Z.shape
    c = d / (eps**2 * n)
    if method == "auto":
        method = "gram" if n < d else "covariance"
    # The Gram/covariance entries are at most max|Z|^2 * max(n, d); beyond float64 they would overflow
    # to inf and the log-determinant with them. Refused rather than returned as inf.
    big = float(np.max(np.abs(Z))) if Z.size else 0.0
    if big > 0 and 2 * np.log(big) + np.log(c * max(n, d)) > np.log(np.finfo(np.float64).max) - 1:
        raise ValueError(f"Z has entries up to {big:.3g}: d/(eps^2 n) * Z^T Z overflows float64; rescale Z "
                         f"(L_eps depends on its scale) or use a larger eps")
    M = np.eye(n) + c * (Z @ Z.T) if method == "gram" else np.eye(d) + c * (Z.T @ Z)
    return 0.5 * (d + n) * logdet_spd(M)


def rate_distortion_entropy_max(n: int, d: int, eps: float = 0.1) -> float:
    r"""The normalizer of Section 3: :math:`\frac{d+n}{2}\, d \log(1 + 1/\epsilon^2)`.

    This bounds :math:`L_\epsilon(Z)` whenever every row of Z has unit norm
    (``tr Sigma_Z = 1``); it is attained only when n >= d (see the catalogue
    entry for Equation (1)).
    """
    n = positive_int(n, "n")
    d = positive_int(d, "d")
    eps = positive(eps, "eps")
    return 0.5 * (d + n) * d * np.log1p(1.0 / eps**2)


def normalized_rate_distortion_entropy(Z, eps: float = 0.1) -> float:
    """``L_eps(Z) / rate_distortion_entropy_max(n, d, eps)`` (Section 3).

    In [0, 1] for unit-norm rows; rows are not normalized here.
    """
    Z = as_matrix(Z, "Z")
    n, d = Z.shape
    return rate_distortion_entropy(Z, eps) / rate_distortion_entropy_max(n, d, eps)


def equal_singular_value_normalized_entropy(r, d, eps: float = 0.1):
    r"""Right-hand side of Equation (1) for an r-subspace:

    .. math:: \frac{\frac rd \log(1 + \frac{1/\epsilon^2}{r/d})}{\log(1 + 1/\epsilon^2)}.

    ``r`` may be an array (real r in (0, d] is allowed for plotting); d and eps
    are scalars.
    """
    d = positive(d, "d")
    eps = positive(eps, "eps")
    r_arr = as_float_array(r, "r", allow_empty=True, low=0.0, low_open=True)
    if np.any(r_arr > d):
        raise ValueError(f"r must lie in (0, d]={d:g}, got {r!r}")
    q = r_arr / d
    out = q * np.log1p(1.0 / (eps**2 * q)) / np.log1p(1.0 / eps**2)
    return float(out) if out.ndim == 0 else out


def matrix_entropy(Z, *, normalized: bool = True) -> float:
    r"""Von Neumann matrix entropy of the token covariance (reference [25]).

    Rows of Z are l2-normalized, ``K = Z^T Z / n`` then has unit trace, and
    :math:`H = -\sum_i \lambda_i \log \lambda_i` over its eigenvalues (computed
    on the n x n Gram matrix, which has the same nonzero spectrum). With
    ``normalized=True`` the value is divided by ``log d`` (range [0, 1]), as in
    [25]. Eigenvalues below 0 from round-off (|lambda| < 1e-12) are set to 0;
    0 log 0 = 0.
    """
    Z = as_matrix(Z, "Z")
    n, d = Z.shape
    norms = np.linalg.norm(Z, axis=1)
    if np.any(norms == 0):
        raise ValueError("Z has an all-zero row; matrix entropy needs nonzero token representations")
    U = Z / norms[:, None]
    G = (U @ U.T) / n if n <= d else (U.T @ U) / n
    lam = np.linalg.eigvalsh(G)
    if lam.min() < -1e-12:
        raise ValueError(f"Gram matrix has a negative eigenvalue {lam.min():.3g}")
    lam = np.clip(lam, 0.0, None)
    lam = lam[lam > 0]
    H = float(-np.sum(lam * np.log(lam)))
    return H / np.log(d) if normalized and d > 1 else H
