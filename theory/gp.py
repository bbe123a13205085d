"""Section 4.1 (equation (2), Theorem 4.1, Definition 4.2): GP information gain and ridge regression.

Convention: ``Z`` has shape ``(T, d)``, token t in row t (the paper writes the
same matrix as columns, ``Z_T = [z_1 ... z_T]``). The kernel is linear,
``k(z, z') = z^T z'``, on l2-normalized rows unless stated. Natural logs.
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import ValidationError, as_float_array, as_matrix, as_symmetric, positive, unit_rows

__all__ = [
    "l2_normalize_rows",
    "linear_kernel",
    "information_gain",
    "information_gain_curve",
    "information_gain_increment",
    "information_gain_increment_as_printed",
    "gp_posterior",
    "posterior_variance",
    "ridge_coefficients",
    "stable_rank",
]


def l2_normalize_rows(Z, name: str = "Z") -> np.ndarray:
    """Rows of Z scaled to unit l2 norm (exact for rows of any float64 scale; a zero row is refused)."""
    return unit_rows(Z, name)


def _sq(x: float) -> np.float64:
    """x^2 as float64 that may round to 0 or inf (Python's ``x**2`` raises OverflowError at 1e200)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.float64(x) * np.float64(x)


def linear_kernel(Z, *, normalize: bool = True) -> np.ndarray:
    """Gram matrix ``K[i, j] = <z_i, z_j>`` (rows l2-normalized first when ``normalize``)."""
    Z = l2_normalize_rows(Z) if normalize else as_matrix(Z, "Z")
    return Z @ Z.T


def information_gain(K, sigma: float) -> float:
    r"""Information gain :math:`I(y_T; f) = \tfrac12 \log\det(I_T + \sigma^{-2} K_T)` (Section 4.1).

    ``K`` must be a kernel: symmetric (relative 1e-8) and positive semi-definite within round-off (no negative
    diagonal entry; eigenvalues >= -min(1e-8 max k(z,z), 1e-6 sigma^2)), so the gain is >= -1e-6 nats per token.
    """
    return float(np.sum(np.log(np.diag(_noisy_kernel_cholesky(K, sigma)))))


#: The largest round-off estimate T * eps * max k(z, z) / sigma^2 accepted by the information-gain factorization;
#: below it the curve was exact to ~1e-6 nats on rank-one kernels (T <= 512), the worst case for cancellation.
MAX_ROUNDOFF = 1e-6


#: Relative tolerance of the kernel's positive semi-definiteness: eigenvalues down to -PSD_RTOL * max k(z, z) are
#: round-off (a Gram matrix of float64 rows has eigenvalues off by about T * eps * max k(z, z)).
PSD_RTOL = 1e-8


def _check_kernel(K: np.ndarray, s2: float) -> None:
    """Refuse a kernel that is not positive semi-definite: a negative diagonal entry (a variance, never negative,
    not even in round-off), or an eigenvalue below -tau, tau = min(PSD_RTOL * max k(z,z), MAX_ROUNDOFF * sigma^2).
    The second bound keeps what a round-off eigenvalue can move each increment log L_tt below ~MAX_ROUNDOFF nats,
    so the information gain is never negative by more than that. Checked by one Cholesky factorization of K + tau I
    (an eigendecomposition only to word the error)."""
    diag = np.diag(K)
    if diag.size and diag.min() < 0:
        i = int(np.argmin(diag))
        raise ValidationError(f"K must be positive semi-definite: its diagonal entry K[{i}, {i}] = {diag[i]:.3g} < 0 "
                              "(k(z, z) is a variance)")
    top = float(np.max(diag, initial=0.0))
    if top == 0.0:  # a zero diagonal: a PSD kernel is then zero
        if np.any(K != 0):
            raise ValidationError("K must be positive semi-definite: its diagonal is zero but K is not")
        return
    tau = min(PSD_RTOL * top, MAX_ROUNDOFF * s2)
    try:
        np.linalg.cholesky(K + tau * np.eye(K.shape[0]))
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(K)[0])
        raise ValidationError(f"K must be positive semi-definite: smallest eigenvalue {lam:.3g} is below the "
                              f"round-off tolerance -{tau:.3g} (min of {PSD_RTOL:g} x max k(z,z) and "
                              f"{MAX_ROUNDOFF:g} x sigma^2)") from None


def _noisy_kernel_cholesky(K, sigma: float) -> np.ndarray:
    """Cholesky factor of I + K / sigma^2; K must be symmetric PSD within round-off (see ``_check_kernel``)."""
    K = as_symmetric(K, "K")
    sigma = positive(sigma, "sigma")
    # Conditioning bound: the factorization's backward error is about T * u * max k(z, z) / sigma^2 (u the
    # float64 unit round-off) against pivots >= 1. Above MAX_ROUNDOFF the information gain is lost to
    # round-off (K = ones((2, 2)) at sigma = 1e-10 gave 27.88 nats for the exact 23.37), so it is refused.
    T = K.shape[0]
    s2 = _sq(sigma)
    with np.errstate(divide="ignore"):  # sigma^2 underflowing to 0 gives an infinite round-off: refused below
        roundoff = T * np.finfo(np.float64).eps * float(np.max(np.abs(np.diag(K)), initial=0.0)) / s2
    if roundoff > MAX_ROUNDOFF:
        raise ValidationError(f"sigma={sigma:.3g} is too small for this kernel: T * eps * max k(z,z) / sigma^2 = "
                         f"{roundoff:.3g} exceeds {MAX_ROUNDOFF:g}, so I + K/sigma^2 cannot be factored "
                         "accurately in float64; use a larger sigma or rescale K")
    _check_kernel(K, float(s2))
    try:
        return np.linalg.cholesky(np.eye(T) + K / s2)
    except np.linalg.LinAlgError:  # pragma: no cover - a PSD K within tau gives pivots >= 1 - MAX_ROUNDOFF
        raise ValidationError("K must be positive semi-definite: I + K/sigma^2 is not positive definite") from None


def information_gain_curve(K, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Information gain of every prefix, from one Cholesky factorization.

    With :math:`I + \sigma^{-2}K = LL^\top`, the leading t x t block factors as
    :math:`L_{:t,:t}L_{:t,:t}^\top`, so
    :math:`I(y_t; f) = \sum_{i\le t}\log L_{ii}` and the increment
    :math:`I(y_t; f) - I(y_{t-1}; f) = \log L_{tt} = \tfrac12\log(1 + \sigma^{-2}\sigma_{t-1}^2(z_t))`
    (the Schur-complement form; see claim ``thm-4.1``).

    Parameters
    ----------
    K : array (T, T)
        Kernel matrix of the sequence in order.
    sigma : float > 0
        Observation noise standard deviation.

    Returns
    -------
    gains : array (T,)
        ``gains[t-1] = I(y_t; f)`` for t = 1..T.
    increments : array (T,)
        ``increments[0] = gains[0]``; later entries are differences.
    """
    L = _noisy_kernel_cholesky(K, sigma)
    increments = np.log(np.diag(L))
    return np.cumsum(increments), increments


def posterior_variance(Z_prev, z, sigma: float, *, normalize: bool = True) -> float:
    r"""GP posterior variance :math:`\sigma_T^2(z) = k(z,z) - k_T(z)^\top (K_T + \sigma^2 I)^{-1} k_T(z)`
    (equation (2)) with the linear kernel. ``Z_prev`` is (T, d); ``z`` is (d,)."""
    mean, var = gp_posterior(Z_prev, np.zeros(np.shape(Z_prev)[0]), z, sigma, normalize=normalize)
    return var


def gp_posterior(Z_prev, y, z, sigma: float, *, normalize: bool = True) -> tuple[float, float]:
    r"""Posterior mean and variance of f(z) under GP(0, linear kernel), equation (2):

    .. math:: \mu_T(z) = k_T(z)^\top (K_T + \sigma^2 I)^{-1} y_T,\quad
              \sigma_T^2(z) = k(z, z) - k_T(z)^\top (K_T + \sigma^2 I)^{-1} k_T(z).
    """
    Z_prev = as_matrix(Z_prev, "Z_prev")
    z = as_float_array(z, "z", ndim=1)
    y = as_float_array(y, "y", ndim=1)
    sigma = positive(sigma, "sigma")
    if z.shape[0] != Z_prev.shape[1]:
        raise ValidationError(f"z must have length d={Z_prev.shape[1]}, got {z.shape[0]}")
    if y.shape[0] != Z_prev.shape[0]:
        raise ValidationError(f"y must have length T={Z_prev.shape[0]}, got {y.shape[0]}")
    if normalize:
        Z_prev = l2_normalize_rows(Z_prev, "Z_prev")
        z = l2_normalize_rows(z[None, :], "z")[0]
    K = Z_prev @ Z_prev.T
    k = Z_prev @ z
    if not np.isfinite(_sq(sigma)):  # infinite noise: the posterior is the prior (exact in float64)
        return 0.0, float(z @ z)
    try:
        L = np.linalg.cholesky(K + _sq(sigma) * np.eye(K.shape[0]))
    except np.linalg.LinAlgError:
        raise ValidationError(f"sigma={sigma:.3g} is too small for these tokens: K + sigma^2 I is numerically singular "
                         f"(sigma^2 = {_sq(sigma):.3g} against kernel entries up to {np.max(np.abs(K)):.3g}); "
                         "use a larger sigma") from None
    a = np.linalg.solve(L, k)
    b = np.linalg.solve(L, y)
    return float(a @ b), float(z @ z - a @ a)


def information_gain_increment(Z_prev, z, sigma: float, *, normalize: bool = True) -> float:
    r"""Corrected Theorem 4.1: :math:`I(y_{T+1};f) - I(y_T;f) = \tfrac12\log(1 + \sigma^{-2}\sigma_T^2(z_{T+1}))`."""
    sigma = positive(sigma, "sigma")
    return 0.5 * float(np.log1p(posterior_variance(Z_prev, z, sigma, normalize=normalize) / _sq(sigma)))


def information_gain_increment_as_printed(Z_prev, z, sigma: float, *, normalize: bool = True) -> float:
    r"""Theorem 4.1 exactly as printed:
    :math:`\tfrac12\log\big((1 + \sigma^{-2} - \sigma^2) + \sigma^2\sigma_T^2(z_{T+1})\big)`.

    Kept only so the catalogue can test the printed statement; use
    :func:`information_gain_increment`.
    """
    sigma = positive(sigma, "sigma")
    var = posterior_variance(Z_prev, z, sigma, normalize=normalize)
    if 1e-150 < sigma < 1e150:
        arg = (1.0 + sigma**-2 - sigma**2) + sigma**2 * var
    else:  # sigma**-2 would raise OverflowError
        s2 = _sq(sigma)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            arg = (1.0 + 1.0 / s2 - s2) + s2 * var
    if not np.isfinite(arg):
        raise ValidationError(f"the printed Theorem 4.1 overflows float64 at sigma={sigma:g}")
    if arg <= 0:
        # Possible for sigma > 1: the printed formula is then undefined, not merely inaccurate.
        raise ValidationError(
            f"the printed Theorem 4.1 is undefined at sigma={sigma:g}: its log argument is {arg:.3g} <= 0")
    return 0.5 * float(np.log(arg))


def ridge_coefficients(Z_prev, z, sigma: float) -> np.ndarray:
    r""":math:`\beta = (Z_T^\top Z_T + \sigma^2 I_T)^{-1} Z_T^\top z_{T+1}` with the paper's column
    convention (here ``Z_prev`` rows are the tokens, so this is ``(Z Z^T + sigma^2 I)^{-1} Z z``).
    No normalization is applied."""
    Z_prev = as_matrix(Z_prev, "Z_prev")
    z = as_float_array(z, "z", ndim=1)
    sigma = positive(sigma, "sigma")
    if z.shape[0] != Z_prev.shape[1]:
        raise ValidationError(f"z must have length d={Z_prev.shape[1]}, got {z.shape[0]}")
    G = Z_prev @ Z_prev.T + _sq(sigma) * np.eye(Z_prev.shape[0])
    try:
        return np.linalg.solve(G, Z_prev @ z)
    except np.linalg.LinAlgError:
        raise ValidationError(f"sigma={sigma:.3g} is too small for Z_prev: Z Z^T + sigma^2 I is singular in float64 "
                         "(rank-deficient tokens); use a larger sigma") from None


def stable_rank(A) -> float:
    r"""Definition 4.2: :math:`\mathrm{srank}(A) = \|A\|_F^2 / \|A\|_2^2`."""
    A = as_matrix(A, "A")
    peak = float(np.max(np.abs(A)))
    if 0 < peak and not 1e-100 < peak < 1e100:  # srank(cA) = srank(A): rescaled where the squares would overflow
        A = A / peak
    s = np.linalg.norm(A, 2)
    if s == 0:
        raise ValidationError("A is the zero matrix; its stable rank is undefined")
    return float(np.linalg.norm(A, "fro") ** 2 / s**2)
