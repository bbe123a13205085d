"""Sections 3 and 4 on a user's own arrays: entropy, information gain, Lasso selection, sentence distances.

Every paper formula is evaluated by :mod:`theory`; this module only adapts a
token matrix ``Z`` (shape ``(n, d)``, one token per row, in sequence order) to
those functions, validates it, and adds the two pieces that are regression
machinery rather than paper formulas: the Lasso selection of Section 4.2
(scikit-learn) and the pyRiemann cross-check of Section 4.3 / Appendix A.

All linear algebra runs in float64 whatever dtype the states came in.

Conventions stated once, used everywhere:

* Rows are l2-normalized before the entropy (Definition 3.1 assumes unit-norm
  rows for its normalizer), the linear kernel of Section 4.1 (the paper: "z is
  l_2 normalized"), the Lasso of Section 4.2 and the token covariances of
  Section 4.3, unless ``normalize=False``.
* Token covariances are uncentered, ``Z^T Z / n`` (Definition 3.1's Sigma_Z).
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import ValidationError, as_matrix, finite, nonnegative
from theory.distances import METRICS, distance, regularize_covariance, token_covariance
from theory.entropy import matrix_entropy, rate_distortion_entropy, rate_distortion_entropy_max
from theory.gp import information_gain_curve, l2_normalize_rows, linear_kernel

__all__ = [
    "PAPER_EPS",
    "PAPER_SIGMA",
    "PAPER_LASSO_LAMBDA",
    "PAPER_SELECTION_THRESHOLD",
    "PAPER_JS_GAMMA",
    "DEFAULT_RIDGE",
    "check_states",
    "unit_rows",
    "entropy_measures",
    "info_gain_curve",
    "lasso_alpha_from_lambda",
    "lasso_fit",
    "lasso_lambda_max",
    "select_tokens",
    "sentence_distance",
    "pyriemann_distance",
]

PAPER_EPS = 0.1  # Section 3, Figure 1
PAPER_SIGMA = 0.01  # Section 4.1, Figure 3
PAPER_LASSO_LAMBDA = 1e-4  # Section 4.2
PAPER_SELECTION_THRESHOLD = 0.01  # Section 4.2: "we pick weights bigger than 0.01"
PAPER_JS_GAMMA = 100.0  # Section 4.3
# The paper does not say how it made rank-deficient token covariances (n < d)
# positive definite for the Logdet, Riemannian and log-Euclidean distances.
# We add DEFAULT_RIDGE * I (covariances of unit-norm rows have trace 1, so the
# ridge is 1e-4 of the total variance); every table records the ridge it used.
DEFAULT_RIDGE = 1e-4


def check_states(Z, name: str = "Z") -> np.ndarray:
    """``Z`` as a finite float64 (n, d) matrix with no all-zero row; errors name ``name``.

    A row counts as all-zero only when every entry is exactly 0 (not when its
    norm underflows, e.g. entries of 1e-300).
    """
    if not isinstance(Z, (str, bytes)):
        if np.ndim(Z) != 2:
            raise ValidationError(f"{name} must have shape (n_tokens, d), got shape {np.shape(Z)}")
        if 0 in np.shape(Z):
            raise ValidationError(f"{name} must hold at least one token and one dimension, got shape {np.shape(Z)}")
    arr = as_matrix(Z, name)  # finite float64; a NaN from the model is reported, never propagated
    zero = ~np.any(arr != 0, axis=1)
    if np.any(zero):
        raise ValidationError(f"{name} has an all-zero token row (row {int(np.flatnonzero(zero)[0])}); "
                         "it cannot be l2-normalized")
    return arr


def unit_rows(Z, name: str = "Z") -> np.ndarray:
    """Rows of ``Z`` scaled to unit l2 norm, exactly also for entries near the float64 limits.

    Each row is first divided by its largest absolute entry (a power-of-two
    free rescaling that the normalization undoes), so a row of 1e300 (whose
    norm overflows) or of 1e-300 (whose norm underflows) keeps its direction.
    """
    arr = check_states(Z, name)
    scaled = arr / np.max(np.abs(arr), axis=1, keepdims=True)
    return l2_normalize_rows(scaled, name)


def _rows(Z, normalize: bool, name: str = "Z") -> np.ndarray:
    if normalize:
        return unit_rows(Z, name)
    Z = check_states(Z, name)
    # Unnormalized rows enter Gram matrices and covariances: their squares must stay finite and nonzero.
    with np.errstate(over="ignore", under="ignore"):
        sq = np.einsum("ij,ij->i", Z, Z)
    if not np.all(np.isfinite(sq)) or np.any(sq == 0):
        bad = int(np.flatnonzero(~np.isfinite(sq) | (sq == 0))[0])
        raise ValidationError(f"{name}: row {bad} has a squared norm of {sq[bad]:g} in float64 (entries up to "
                         f"{np.max(np.abs(Z[bad])):g}: overflow or underflow without normalization); "
                         "rescale the states or use normalize=True")
    return Z


def entropy_measures(Z, eps: float = PAPER_EPS, *, normalize: bool = True) -> dict[str, float]:
    """Section 3 measures of one text's token matrix.

    Parameters
    ----------
    Z : array (n, d)
    eps : float
        Distortion of Definition 3.1 (paper: 0.1).
    normalize : bool
        l2-normalize rows first (the normalizer of Section 3 assumes unit rows).

    Returns
    -------
    dict with ``n_tokens``, ``d``, ``L_eps`` (nats; Definition 3.1, evaluated
    through the n x n Gram matrix when n < d), ``L_eps_normalized``
    (``L_eps / ((d+n)/2 * d * log(1 + 1/eps^2))``) and ``matrix_entropy``
    (von Neumann entropy of reference [25], divided by log d).
    """
    U = _rows(Z, normalize)
    n, d = U.shape
    L = rate_distortion_entropy(U, eps, method="auto")
    return {
        "n_tokens": int(n),
        "d": int(d),
        "L_eps": float(L),
        "L_eps_normalized": float(L / rate_distortion_entropy_max(n, d, eps)),
        "matrix_entropy": float(matrix_entropy(U, normalized=True)),
    }


def info_gain_curve(Z, sigma: float = PAPER_SIGMA, *, normalize: bool = True) -> dict[str, np.ndarray]:
    r"""GP information gain of every prefix of a token sequence (Section 4.1, Figure 3).

    ``gain[t-1] = I(y_t; f) = ½ log det(I_t + σ^{-2} K_t)`` with the linear
    kernel on (l2-normalized) rows, for t = 1..n, all from ONE Cholesky
    factorization of ``I + σ^{-2} K`` (:func:`theory.gp.information_gain_curve`).

    Returns
    -------
    dict of float64 arrays of length n: ``t`` (1..n), ``info_gain`` (nats),
    ``increment`` (``I(y_t;f) - I(y_{t-1};f) = ½ log(1 + σ^{-2} σ²_{t-1}(z_t))``,
    the corrected Theorem 4.1; the first entry is ``I(y_1; f)``) and
    ``info_gain_normalized`` (``info_gain / d``, the paper's normalization
    motivated by ``I(y_T; f) <= d log(1 + σ^{-2} T)``).
    """
    U = _rows(Z, normalize)
    K = linear_kernel(U, normalize=False)
    gains, increments = information_gain_curve(K, sigma)
    n, d = U.shape
    return {
        "t": np.arange(1, n + 1),
        "info_gain": gains,
        "increment": increments,
        "info_gain_normalized": gains / d,
    }


def lasso_alpha_from_lambda(lam: float, n_coordinates: int) -> float:
    r"""scikit-learn ``alpha`` for the paper's Lasso penalty ``lam``.

    The paper (Section 4.2) minimizes ``||z - Z_T β||² + λ||β||₁``; its
    regression runs over the d coordinates of the representation, so the
    design matrix is ``Z_T`` (d x T) and there are d "samples".
    ``sklearn.linear_model.Lasso`` minimizes
    ``(1/(2·n_samples))||y - Xw||² + alpha||w||₁``. Multiplying the paper's
    objective by ``1/(2d)`` leaves its minimizer unchanged and gives
    sklearn's form with ``alpha = λ / (2d)``.
    """
    if not np.isfinite(lam) or lam <= 0:
        raise ValidationError(f"lam must be finite and > 0, got {lam!r}")
    if int(n_coordinates) != n_coordinates or n_coordinates < 1:
        raise ValidationError(f"n_coordinates must be a positive integer, got {n_coordinates!r}")
    return float(lam) / (2.0 * int(n_coordinates))


def lasso_fit(
    Z_prev, z, lam: float = PAPER_LASSO_LAMBDA, *, normalize: bool = True, max_iter: int = 100_000, tol: float = 1e-10
) -> tuple[np.ndarray, bool]:
    r"""Lasso of Section 4.2: ``argmin_β ||z - Z_prevᵀ β||² + λ||β||₁``.

    ``Z_prev`` is (T, d) (the previous tokens, one per row), ``z`` is (d,);
    returns (β of length T in float64, converged). No intercept (the paper's
    model has none). Solved by ``sklearn.linear_model.Lasso`` with
    ``alpha = lasso_alpha_from_lambda(λ, d)`` in float64 coordinate descent,
    deterministic (cyclic selection). ``converged`` is False when sklearn
    reports a ConvergenceWarning (likely when T > d, an underdetermined fit
    with a tiny penalty; real Pythia widths have d >> T).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso

    Zp = _rows(Z_prev, normalize, "Z_prev")
    zz = _rows(np.asarray(z, dtype=np.float64).reshape(1, -1), normalize, "z")[0]
    if zz.shape[0] != Zp.shape[1]:
        raise ValidationError(f"z must have length d={Zp.shape[1]}, got {zz.shape[0]}")
    d = Zp.shape[1]
    model = Lasso(alpha=lasso_alpha_from_lambda(lam, d), fit_intercept=False, max_iter=max_iter, tol=tol,
                  selection="cyclic")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(Zp.T, zz)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return np.asarray(model.coef_, dtype=np.float64), converged


def lasso_lambda_max(Z_prev, z, *, normalize: bool = True) -> float:
    r"""The smallest λ of :func:`lasso_fit`'s objective at which every coefficient is 0: ``2 max_j |z_j · z|``.

    At β = 0 the subgradient condition of ``||z - Z_prevᵀ β||² + λ||β||₁`` holds iff ``|2 Z_prev z|_∞ <= λ``.
    On l2-normalized rows it is twice the largest cosine between the target and a context token (at most 2):
    the scale on which a penalty such as the paper's λ = 1e-4 can be read.
    """
    Zp = _rows(Z_prev, normalize, "Z_prev")
    zz = _rows(np.asarray(z, dtype=np.float64).reshape(1, -1), normalize, "z")[0]
    if zz.shape[0] != Zp.shape[1]:
        raise ValidationError(f"z must have length d={Zp.shape[1]}, got {zz.shape[0]}")
    return float(2.0 * np.max(np.abs(Zp @ zz)))


def select_tokens(weights, threshold: float = PAPER_SELECTION_THRESHOLD, *, exclude=None) -> np.ndarray:
    """Indices whose weight is bigger than ``threshold`` (Section 4.2), sorted by weight, largest first.

    ``exclude`` (an index or None) is left out, as the paper's attention lists
    leave out the token itself. Negative weights are never selected ("weights
    bigger than 0.01").
    """
    threshold = finite(threshold, "threshold")
    w = np.asarray(weights, dtype=np.float64).ravel()
    if not np.isfinite(w).all():
        raise ValidationError(f"weights must be finite; {int((~np.isfinite(w)).sum())} are NaN or inf")
    idx = np.flatnonzero(w > threshold)
    if exclude is not None:
        idx = idx[idx != exclude]
    return idx[np.argsort(-w[idx], kind="stable")]


def _joint_basis(Za: np.ndarray, Zb: np.ndarray) -> np.ndarray | None:
    """Orthonormal basis (d, m) of the span of both sentences' tokens, or None when m would be d."""
    S = np.vstack([Za, Zb])
    if S.shape[0] >= S.shape[1]:
        return None
    Q, _ = np.linalg.qr(S.T)
    return Q


def sentence_distance(
    Za,
    Zb,
    metric: str = "js",
    *,
    ridge: float = DEFAULT_RIDGE,
    gamma: float = PAPER_JS_GAMMA,
    normalize: bool = True,
    reduce: bool = True,
) -> float:
    r"""Distance between two sentences' token covariances (Section 4.3, Appendix A).

    ``metric`` is one of ``"logdet"``, ``"js"``, ``"riemann"``, ``"logeuclid"``
    (:mod:`theory.distances`). The JS distance (γ = ``gamma``, paper 100) is
    taken between the PSD covariances as they are; the other three need SPD
    matrices and are taken between ``C + ridge·I``.

    With ``reduce=True`` (default) and ``n_a + n_b < d`` the distance is
    evaluated on ``QᵀCQ`` where Q spans both sentences' tokens. This is exact,
    not an approximation: on the orthogonal complement of Q both matrices
    equal ``ridge·I`` (or 0 for JS, where the formula sees ``I``), every one
    of the four distances is a spectral function that splits over the two
    invariant blocks, and the complement block contributes 0. It turns a
    d x d problem (d = 2048 for Pythia-1.4B) into an (n_a+n_b)-sized one.
    A property test checks it against the full d x d evaluation.
    """
    if metric not in METRICS:
        raise ValidationError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    Ua = _rows(Za, normalize, "Za")
    Ub = _rows(Zb, normalize, "Zb")
    if Ua.shape[1] != Ub.shape[1]:
        raise ValidationError(f"Za and Zb must have the same width d, got {Ua.shape[1]} and {Ub.shape[1]}")
    ridge = nonnegative(ridge, "ridge")  # NaN or negative refused even for JS, which does not use it
    if metric != "js" and not ridge > 0:
        raise ValidationError(
            f"ridge must be > 0 for the {metric!r} distance of rank-deficient covariances, got {ridge!r}")
    Q = _joint_basis(Ua, Ub) if reduce else None
    if Q is not None:
        Ua, Ub = Ua @ Q, Ub @ Q
    Ca, Cb = token_covariance(Ua), token_covariance(Ub)
    if metric == "js":
        return distance(Ca, Cb, "js", gamma=gamma)
    return distance(regularize_covariance(Ca, ridge), regularize_covariance(Cb, ridge), metric)


#: Metrics :func:`pyriemann_distance` can cross-check (JS through pyRiemann's logdet).
_PYRIEMANN_METRICS = ("js", "logdet", "logeuclid", "riemann")


def pyriemann_distance(Za, Zb, metric: str, *, ridge: float = DEFAULT_RIDGE, gamma: float = PAPER_JS_GAMMA,
                       normalize: bool = True) -> float:
    """The same distance as :func:`sentence_distance`, computed by pyRiemann (the cross-check of Section 4.3).

    pyRiemann offers ``riemann``, ``logeuclid`` and ``logdet``; the paper's JS
    distance equals ``d_logdet(I + γA, I + γB)``, so pyRiemann's logdet checks
    it too. Evaluated on the same exact reduction as :func:`sentence_distance`
    (pyRiemann itself is the independent part). ``metric`` is validated first
    (ValueError naming it); a valid call returns NaN when pyRiemann is not
    installed, so tables keep their column without the optional package.
    """
    if metric not in _PYRIEMANN_METRICS:
        raise ValidationError(f"metric must be one of {list(_PYRIEMANN_METRICS)}, got {metric!r}")
    ridge = nonnegative(ridge, "ridge")
    try:
        try:
            from pyriemann.geometry import distance as prd
        except ImportError:  # pyRiemann < 0.12
            from pyriemann.utils import distance as prd
    except ImportError:
        return float("nan")
    Ua = _rows(Za, normalize, "Za")
    Ub = _rows(Zb, normalize, "Zb")
    Q = _joint_basis(Ua, Ub)
    if Q is not None:
        Ua, Ub = Ua @ Q, Ub @ Q
    Ca, Cb = token_covariance(Ua), token_covariance(Ub)
    eye = np.eye(Ca.shape[0])
    if metric == "js":
        return float(prd.distance_logdet(eye + gamma * Ca, eye + gamma * Cb))
    fn = {"logdet": prd.distance_logdet, "riemann": prd.distance_riemann, "logeuclid": prd.distance_logeuclid}[metric]
    return float(fn(Ca + ridge * eye, Cb + ridge * eye))
