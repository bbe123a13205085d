"""Section 3 (Definition 3.1, Equation (1)): representation entropy of token matrices.

Convention: ``Z`` has shape ``(n, d)``, one token representation per row, as in
the paper (``Z in R^{n x d}``, ``Sigma_Z = Z^T Z / n``). Logarithms are natural.
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import (
    ValidationError,
    as_float_array,
    as_matrix,
    as_symmetric,
    choice,
    positive,
    positive_int,
    unit_rows,
)

__all__ = [
    "logdet_spd",
    "rate_distortion_entropy",
    "rate_distortion_entropy_max",
    "normalized_rate_distortion_entropy",
    "equal_singular_value_normalized_entropy",
    "matrix_entropy",
]


def _cholesky_logdet(A: np.ndarray) -> float:
    """log det of a matrix built here as symmetric positive definite (``numpy.linalg.LinAlgError`` if it is not)."""
    L = np.linalg.cholesky(A)
    return 2.0 * float(np.sum(np.log(np.diag(L))))


def logdet_spd(A: np.ndarray) -> float:
    """log det of a symmetric positive definite float64 matrix via Cholesky.

    Raises ``ValidationError`` naming ``A`` for NaN/inf or complex entries, a non-symmetric matrix (relative
    tolerance 1e-8) or one that is not positive definite.
    """
    A = as_matrix(A, "A", square=True)  # NaN/inf and non-square input are refused by name
    as_symmetric(A, "A")  # a check only: the factor reads A itself, so valid results keep their bytes
    try:
        return _cholesky_logdet(A)
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(A)[0])
        raise ValidationError(f"A must be positive definite (smallest eigenvalue {lam:.3g})") from None


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
    float, in nats; exact to about ``(d+n)/2 * k * u * max diag(I + c Z^T Z)`` (k the size factored, u the
    float64 unit round-off). Refused (ValueError naming Z and eps) where the matrix overflows, where
    ``d/(eps^2 n)`` does, and where a rank-deficient Z is so large that the identity is lost to round-off
    (Cholesky fails): the entropy is then not determined in float64.
    """
    Z = as_matrix(Z, "Z")
    eps = positive(eps, "eps")
    method = choice(method, "method", ("auto", "gram", "covariance"))
    n, d = Z.shape
    c = _coefficient(n, d, eps)
    if method == "auto":
        method = "gram" if n < d else "covariance"
    # The Gram/covariance entries are at most max|Z|^2 * max(n, d); beyond float64 they would overflow
    # to inf and the log-determinant with them. Refused rather than returned as inf.
    big = float(np.max(np.abs(Z))) if Z.size else 0.0
    if big > 0 and c > 0 and 2 * np.log(big) + np.log(c * max(n, d)) > np.log(np.finfo(np.float64).max) - 1:
        raise ValidationError(f"Z has entries up to {big:.3g}: d/(eps^2 n) * Z^T Z overflows float64; rescale Z "
                         f"(L_eps depends on its scale) or use a larger eps")
    M = np.eye(n) + c * (Z @ Z.T) if method == "gram" else np.eye(d) + c * (Z.T @ Z)
    try:
        return 0.5 * (d + n) * _cholesky_logdet(M)
    except np.linalg.LinAlgError:
        # I + c Z^T Z is positive definite in exact arithmetic; Cholesky fails only when the identity is below the
        # round-off of c Z^T Z on a (numerically) rank-deficient Z: L_eps then depends on digits float64 lost.
        bound = M.shape[0] * np.finfo(np.float64).eps * float(np.max(np.diag(M)))
        raise ValidationError(f"Z (entries up to {big:.3g}) at eps={eps:g}: d/(eps^2 n) Z^T Z reaches "
                         f"{np.max(np.diag(M)):.3g}, so its round-off ({bound:.3g}) swamps the identity of "
                         "I + d/(eps^2 n) Z^T Z on the directions a rank-deficient Z does not span, and log det is "
                         "not determined in float64 (it is while k * 2.2e-16 * max diag << 1): rescale Z and eps "
                         "together (L_eps(aZ) at a*eps equals L_eps(Z) at eps) or use a larger eps") from None


def _coefficient(n: int, d: int, eps: float) -> float:
    """d/(eps^2 n), refused when it overflows float64 (eps below ~1e-154): the determinant would be inf."""
    if 1e-150 < eps < 1e150:
        return d / (eps**2 * n)
    with np.errstate(over="ignore", under="ignore"):
        c = float(d / n / np.float64(eps) / np.float64(eps))
    if not np.isfinite(c):
        raise ValidationError(f"eps={eps:g} is too small: d/(eps^2 n) overflows float64; rescale Z and eps together "
                         "(L_eps(aZ) at a*eps equals L_eps(Z) at eps)")
    return c


def rate_distortion_entropy_max(n: int, d: int, eps: float = 0.1) -> float:
    r"""The normalizer of Section 3: :math:`\frac{d+n}{2}\, d \log(1 + 1/\epsilon^2)`.

    This bounds :math:`L_\epsilon(Z)` whenever every row of Z has unit norm
    (``tr Sigma_Z = 1``); it is attained only when n >= d (see the catalogue
    entry for Equation (1)).
    """
    n = positive_int(n, "n")
    d = positive_int(d, "d")
    eps = positive(eps, "eps")
    return 0.5 * (d + n) * d * _log1p_inv_sq(eps)


def _log1p_inv_sq(eps, q=1.0):
    """log(1 + 1/(eps^2 q)), also where eps^2 q under- or overflows (then from log(eps^2 q))."""
    q = np.asarray(q, dtype=np.float64)
    if 1e-150 < eps < 1e150 and (q.size == 0 or np.min(q) > 1e-150):
        return np.log1p(1.0 / (eps**2 * q))
    t = 2.0 * np.log(eps) + np.log(q)  # log(eps^2 q): log(1 + e^-t) = -t + log1p(e^t) for t < 0
    return np.where(t < 0, -t + np.log1p(np.exp(np.minimum(t, 0.0))), np.log1p(np.exp(-np.maximum(t, 0.0))))


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
        raise ValidationError(f"r must lie in (0, d]={d:g}, got {r!r}")
    q = r_arr / d
    if eps >= 1e150:  # both logs underflow to 0; the ratio tends to 1 with an error O(1/eps^2) < 1e-300
        out = np.ones_like(q)
    else:
        out = q * _log1p_inv_sq(eps, q) / _log1p_inv_sq(eps)
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
    U = unit_rows(Z, "Z")  # exact at any scale (1e300 rows used to overflow to zero rows and H = 0)
    G = (U @ U.T) / n if n <= d else (U.T @ U) / n
    lam = np.linalg.eigvalsh(G)
    # G is a Gram matrix of unit rows: PSD by construction, so a negative eigenvalue beyond round-off is a bug
    # here, not bad input (an internal error, with its traceback).
    if lam.min() < -1e-12:
        raise RuntimeError(f"Gram matrix of unit rows has a negative eigenvalue {lam.min():.3g}")
    lam = np.clip(lam, 0.0, None)
    lam = lam[lam > 0]
    H = float(-np.sum(lam * np.log(lam)))
    return H / np.log(d) if normalized and d > 1 else H
