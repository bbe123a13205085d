"""Section 4.3 and Appendix A: distances between token covariance matrices.

One small function per distance with the same signature, ``distance_X(A, B)``,
and a dispatcher :func:`distance`, after pyRiemann's ``geometry/distance.py``. All work in float64; logdets by Cholesky.

Token covariances of a sentence with n < d tokens are singular. The Logdet,
Riemannian and log-Euclidean distances are undefined there (log det = -inf);
:func:`regularize_covariance` adds ``ridge * I`` and the callers state the
ridge they used. The JS distance needs only positive semi-definite inputs.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import eigh

from infogeo.validation import ValidationError, as_matrix, as_psd, as_spd, choice, nonnegative, positive, same_shape

from .entropy import logdet_spd

__all__ = [
    "token_covariance",
    "regularize_covariance",
    "distance_logdet",
    "distance_js",
    "distance_riemann",
    "distance_logeuclid",
    "distance",
    "METRICS",
]


def token_covariance(Z) -> np.ndarray:
    """``Z^T Z / n`` of token representations Z (n, d), uncentered as in Definition 3.1."""
    Z = as_matrix(Z, "Z")
    big = float(np.max(np.abs(Z)))
    if big > 0 and 2 * np.log(big) + np.log(Z.shape[0]) > np.log(np.finfo(np.float64).max) - 1:
        raise ValidationError(f"Z has entries up to {big:.3g}: Z^T Z overflows float64 (the covariance would be inf); "
                         "rescale Z")
    return Z.T @ Z / Z.shape[0]


def regularize_covariance(C, ridge: float) -> np.ndarray:
    """``C + ridge * I``: makes a PSD (possibly rank-deficient) covariance SPD when ridge > 0."""
    C = as_psd(C, "C")
    ridge = nonnegative(ridge, "ridge")
    with np.errstate(over="ignore"):
        out = C + ridge * np.eye(C.shape[0])
    if not np.all(np.isfinite(out)):
        raise ValidationError(f"ridge={ridge:g} overflows float64 when added to C (max |C| {np.max(np.abs(C)):.3g})")
    return out


def _pair(A, B, kind: str) -> tuple[np.ndarray, np.ndarray]:
    check = as_spd if kind == "spd" else as_psd
    A = check(A, "A")
    B = check(B, "B")
    same_shape(A, B, "A", "B")
    return A, B


def _nonneg(x: float) -> float:
    # The squared Logdet/JS divergences are >= 0 in exact arithmetic; round-off
    # can leave -1e-16. Only that (documented) case is set to 0.
    if x < 0:
        if x < -1e-10:
            raise ArithmeticError(f"squared divergence is negative ({x:.3g}); inputs are ill-conditioned")
        return 0.0
    return float(x)


def _finish(d2: float, squared: bool) -> float:
    d2 = _nonneg(d2)
    return d2 if squared else float(np.sqrt(d2))


def distance_logdet(A, B, squared: bool = False) -> float:
    r"""Logdet (S-divergence) distance [16], Section 4.3:

    .. math:: d_{\mathrm{Logdet}}(A,B) = \sqrt{\log\det\tfrac{A+B}{2} - \tfrac12(\log\det A + \log\det B)}.

    A and B must be SPD. Its square root is a metric on SPD matrices (Sra 2016).
    """
    A, B = _pair(A, B, "spd")
    return _finish(logdet_spd(0.5 * (A + B)) - 0.5 * (logdet_spd(A) + logdet_spd(B)), squared)


def distance_js(A, B, gamma: float = 100.0, squared: bool = False) -> float:
    r"""The paper's Jensen-Shannon-type distance, Section 4.3:

    .. math:: d_{\mathrm{JS}}(A,B) = \sqrt{\log\det(I + \gamma\tfrac{A+B}{2})
              - \tfrac12\big(\log\det(I+\gamma A) + \log\det(I+\gamma B)\big)}.

    A and B need only be PSD (so rank-deficient token covariances are fine).
    ``d_JS(A, B) = d_Logdet(I + gamma A, I + gamma B)``. The paper sets gamma = 100.
    """
    A, B = _pair(A, B, "psd")
    gamma = positive(gamma, "gamma")
    peak = max(float(np.max(np.abs(A))), float(np.max(np.abs(B))))
    if gamma * peak > 1e300:  # I + gamma A would overflow (or lose every digit of I) in float64
        raise ValidationError(f"gamma * max(|A|, |B|) = {gamma:.3g} * {peak:.3g} overflows float64; rescale A and B "
                              "(d_JS at gamma of (A, B) equals d_JS at 1 of (gamma A, gamma B))")
    eye = np.eye(A.shape[0])
    d2 = logdet_spd(eye + gamma * 0.5 * (A + B)) - 0.5 * (logdet_spd(eye + gamma * A) + logdet_spd(eye + gamma * B))
    return _finish(d2, squared)


def distance_riemann(A, B, squared: bool = False) -> float:
    r"""Affine-invariant Riemannian distance, Appendix A:
    :math:`\|\log(B^{-1/2} A B^{-1/2})\|_F = \sqrt{\sum_i \log^2\lambda_i(A, B)}`,
    with :math:`\lambda_i` the generalized eigenvalues of (A, B)."""
    A, B = _pair(A, B, "spd")
    lam = eigh(A, B, eigvals_only=True)
    d2 = float(np.sum(np.log(lam) ** 2))
    return d2 if squared else float(np.sqrt(d2))


def _logm_spd(A: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(A)
    return (V * np.log(w)) @ V.T


def distance_logeuclid(A, B, squared: bool = False) -> float:
    r"""Log-Euclidean distance, Appendix A: :math:`\|\log A - \log B\|_F`."""
    A, B = _pair(A, B, "spd")
    d2 = float(np.linalg.norm(_logm_spd(A) - _logm_spd(B), "fro") ** 2)
    return d2 if squared else float(np.sqrt(d2))


METRICS = {
    "logdet": distance_logdet,
    "js": distance_js,
    "riemann": distance_riemann,
    "logeuclid": distance_logeuclid,
}


def distance(A, B, metric: str = "js", **kwargs) -> float:
    """Dispatch to ``distance_<metric>``; ``metric`` in :data:`METRICS`."""
    return METRICS[choice(metric, "metric", sorted(METRICS))](A, B, **kwargs)
