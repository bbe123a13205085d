"""Section 3 (Theorems 3.7, 3.8): the least-squares solver behind every scaling-law fit.

Model and objective
-------------------
L = E + A·x^-a (``K = 1``) or L = E + A/N^α + B/D^β (``K = 2``), fitted by least
squares on log residuals,

.. math:: \\hat\\theta = \\arg\\min_{E \\ge 0,\\, A_k \\ge 0,\\, a_{lo} \\le a_k \\le a_{hi}}
          \\; \\mathrm{SSR}(\\theta) = \\sum_i \\big(\\log L_i - \\log \\hat L_i(\\theta)\\big)^2,

with ``[a_lo, a_hi] =`` :data:`EXP_BOUNDS` ``= [1e-3, 5]``. Every x is centred at its geometric mean ``x_ref``
(so the unit of x does not matter); internally ``L̂ = E + Σ_k A_k^c (x_k/x_ref,k)^-a_k`` and the reported
amplitude is ``A_k = A_k^c · x_ref,k^a_k``. Rows are put in a canonical order
(sorted by x, then L), so the result does not depend on the input order, and
for a steps curve the canonical order is time order.

Algorithm (variable projection, vectorized across bootstrap draws)
------------------------------------------------------------------
1. For every exponent on a grid (48 values per exponent, 16² pairs for the
   joint law) the amplitudes (E, A_k) are linear: they are the exact
   non-negative weighted least-squares solution of the relative-error problem
   Σ ((L_i − L̂_i)/L_i)² (≈ the log objective to second order), found by
   enumerating the active sets of the 2- or 3-column problem. All draws × all
   grid points are solved at once from Gram matrices (matrix products).
2. From each draw's best grid point, a bounded Levenberg–Marquardt iteration
   on all parameters minimises the stated log objective itself (active-set
   handling of the bounds), again for all draws at once.
3. Convergence is a KKT test, not "the optimizer returned": on the free
   parameters the remaining Gauss–Newton step must be shorter than 1e-4
   standard errors, ``gᵀH⁻¹g ≤ 1e-8·s²`` with ``s² = SSR/(n−p)``.

Status (point fit and each refit)
---------------------------------
``no_power_law``: a fitted amplitude ≈ 0 (the term changes L̂ by less than
1e-6 of its mean over the data), an exponent on its lower bound, or (one
covariate) a loss that does not decrease (least-squares slope of log L on
log x ≥ 0). ``at_bound``: E = 0 or an exponent on its upper bound (within
1e-6 relative). ``not_converged``: the KKT test fails. Otherwise ``ok``.
``converged`` is ``status == "ok"``: a fit on a bound is never converged.

The intervals and the bootstrap are :mod:`empirical.fit.intervals`; the public
fitters and their result are :mod:`empirical.fit.laws`.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = ["STATUSES", "EXP_BOUNDS", "LOSS_RANGE"]

STATUSES = ("ok", "at_bound", "no_power_law", "not_converged")
EXP_BOUNDS = (1e-3, 5.0)
#: Losses the fitter accepts: its weights 1/L are squared, so L^-2 must stay a normal float64.
LOSS_RANGE = (1e-100, 1e100)
_OK, _AT_BOUND, _NO_PL, _NOT_CONV = range(4)
_STEP_SE = 1e-4  # converged: the remaining Gauss-Newton step is below this many standard errors
_BOUND_RTOL = 1e-6
_GRID_1D = np.r_[1e-3, 4e-3, 1e-2, np.geomspace(0.02, 5.0, 45)]
_GRID_2D = np.geomspace(0.02, 3.0, 16)


# --------------------------------------------------------------------------- model, batched over draws
def _yhat(theta: np.ndarray, z: np.ndarray):
    """L̂ (B, n) and the power terms U (B, n, K) at theta (B, 1 + 2K)."""
    K = z.shape[1]
    U = np.exp(-theta[:, None, 1 + K:] * z[None, :, :])
    return theta[:, :1] + np.einsum("bnk,bk->bn", U, theta[:, 1:1 + K]), U


def _ssr(theta, z, logy) -> np.ndarray:
    yhat, _ = _yhat(theta, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = logy - np.log(yhat)
    out = np.einsum("bn,bn->b", r, r)
    out[~np.all(yhat > 0, axis=1)] = np.inf
    return out


def _jac(theta, z, logy):
    """Log residuals r (B, n) and J = d log L̂ / d theta (B, n, p)."""
    K = z.shape[1]
    yhat, U = _yhat(theta, z)
    r = logy - np.log(yhat)
    inv = 1.0 / yhat
    J = np.empty(yhat.shape + (1 + 2 * K,))
    J[:, :, 0] = inv
    J[:, :, 1:1 + K] = U * inv[:, :, None]
    J[:, :, 1 + K:] = -(theta[:, None, 1:1 + K] * z[None]) * U * inv[:, :, None]
    return r, J


def _masked_system(H, g, free):
    """H and g restricted to the free parameters (identity rows elsewhere), so a batched solve stays regular."""
    Hf = H * (free[:, :, None] & free[:, None, :])
    idx = np.arange(H.shape[1])
    Hf[:, idx, idx] = np.where(free, Hf[:, idx, idx], 1.0)
    gf = np.where(free, g, 0.0)
    return Hf, gf


def _free_set(theta, g, fixed, lo, hi):
    at_lo = (theta <= lo) & (g > 0)
    at_hi = (theta >= hi) & (g < 0)
    return ~(fixed | at_lo | at_hi)


def _decrement(H, g, free):
    """gᵀH⁻¹g on the free parameters: twice the Gauss-Newton predicted decrease of SSR/2."""
    Hf, gf = _masked_system(H, g, free)
    d = np.einsum("bii->bi", Hf)
    Hf = Hf + (1e-13 * d.max(axis=1))[:, None, None] * np.eye(H.shape[1])
    step = np.linalg.solve(Hf, gf[:, :, None])[:, :, 0]
    return np.einsum("bi,bi->b", gf, step)


def _lm(theta, z, logy, lo, hi, fixed=None, max_iter=200):
    """Bounded Levenberg-Marquardt on SSR of log residuals, all draws at once.

    Returns (theta, ssr, converged) where converged is the KKT test of the
    module docstring. ``fixed`` (B, p) marks parameters held at their value.
    """
    theta = np.clip(theta, lo, hi).astype(np.float64, copy=True)
    B, p = theta.shape
    n = z.shape[0]
    fixed = np.zeros((B, p), bool) if fixed is None else np.broadcast_to(fixed, (B, p))
    n_free = p - fixed.sum(axis=1)
    f = _ssr(theta, z, logy)
    lam = np.full(B, 1e-3)
    conv = np.zeros(B, bool)
    todo = np.arange(B)
    for _ in range(max_iter):
        th, ly = theta[todo], logy[todo]
        r, J = _jac(th, z, ly)
        g = -np.einsum("bnp,bn->bp", J, r)
        H = np.einsum("bnp,bnq->bpq", J, J)
        free = _free_set(th, g, fixed[todo], lo, hi)
        s2 = f[todo] / np.maximum(n - n_free[todo], 1)
        done = _decrement(H, g, free) <= _STEP_SE ** 2 * s2 + 1e-28 * n
        conv[todo[done]] = True
        keep = ~done
        todo, th, ly, H, g, free = todo[keep], th[keep], ly[keep], H[keep], g[keep], free[keep]
        if todo.size == 0:
            break
        Hf, gf = _masked_system(H, g, free)
        d = np.einsum("bii->bi", Hf)
        M = Hf + (lam[todo][:, None] * d + 1e-13 * d.max(axis=1, keepdims=True))[:, :, None] * np.eye(p)
        cand = np.clip(th - np.linalg.solve(M, gf[:, :, None])[:, :, 0], lo, hi)
        fc = _ssr(cand, z, ly)
        acc = fc < f[todo]
        theta[todo[acc]] = cand[acc]
        f[todo[acc]] = fc[acc]
        lam[todo] = np.where(acc, np.maximum(lam[todo] / 5.0, 1e-12), lam[todo] * 8.0)
        stuck = lam[todo] > 1e16  # no decrease possible along any damped GN direction: stop, not converged
        todo = todo[~stuck]
        if todo.size == 0:
            break
    return theta, f, conv


# --------------------------------------------------------------------------- linear amplitudes by closed form
def _nonneg_ls(G, rhs, tt):
    """min_c≥0 tt − 2 cᵀrhs + cᵀGc for stacks of m×m problems (m ≤ 3), by enumerating active sets.

    Exact for a convex quadratic on the orthant: the optimum is the
    unconstrained minimiser on the face of its support, which is feasible.
    Returns (c, objective).
    """
    m = G.shape[-1]
    shape = G.shape[:-2]
    best_c = np.zeros(shape + (m,))
    best_f = np.full(shape, float(tt))
    ridge = 1e-12 * np.einsum("...ii->...", G)[..., None, None] * np.eye(m)
    for size in range(1, m + 1):
        for S in itertools.combinations(range(m), size):
            S = list(S)
            GS = (G + ridge)[..., S, :][..., :, S]
            cS = np.linalg.solve(GS, rhs[..., S][..., None])[..., 0]
            fS = tt - np.einsum("...i,...i->...", cS, rhs[..., S])
            ok = np.all(cS >= 0, axis=-1) & (fS < best_f)
            best_f = np.where(ok, fS, best_f)
            c = np.zeros(shape + (m,))
            c[..., S] = cS
            best_c = np.where(ok[..., None], c, best_c)
    return best_c, best_f


def _grid_solve(z, logy, grid):
    """Amplitudes and relative-error objective at every grid point for every draw: (B, G, K+1), (B, G).

    grid : (G, K) exponents. The amplitudes are the non-negative least-squares
    solution of Σ ((L_i − L̂_i)/L_i)², from Gram matrices built by matrix products.
    """
    B, n = logy.shape
    K = z.shape[1]
    w = np.exp(-logy)  # weights 1/L: residuals (L - L̂)/L ≈ log residuals
    w2 = w * w
    Phi = np.concatenate([np.ones((grid.shape[0], n, 1)), np.exp(-grid[:, None, :] * z[None])], axis=2)
    m = K + 1
    Gm = np.empty((B, grid.shape[0], m, m))
    rhs = np.empty((B, grid.shape[0], m))
    for j in range(m):
        rhs[..., j] = w @ Phi[:, :, j].T
        for k in range(j, m):
            Gm[..., j, k] = Gm[..., k, j] = w2 @ (Phi[:, :, j] * Phi[:, :, k]).T
    return _nonneg_ls(Gm, rhs, n)


def _start_rows(c, grid, logy):
    """theta rows from grid amplitudes c (B, K+1) and exponents (B, K)."""
    c = c.copy()
    # an amplitude of exactly 0 would leave its exponent without a gradient: start it just above 0
    c[:, 1:] = np.maximum(c[:, 1:], 1e-8 * np.exp(logy).mean(axis=1, keepdims=True))
    return np.concatenate([c, grid], axis=1)


def _grid_starts(z, logy, grid):
    """Best grid point per draw, as a theta row (B, 1 + 2K)."""
    c, obj = _grid_solve(z, logy, grid)
    best = np.argmin(obj, axis=1)
    return _start_rows(c[np.arange(logy.shape[0]), best], grid[best], logy)


def _grid_local_minima(z, logy1, grid, K, top=3):
    """Up to ``top`` starts at the lowest local minima of the grid objective of one data row."""
    c, obj = _grid_solve(z, logy1[None], grid)
    shape = (grid.shape[0],) if K == 1 else (_GRID_2D.size,) * K
    o = obj[0].reshape(shape)
    pad = np.pad(o, 1, constant_values=np.inf)
    is_min = np.ones(shape, bool)
    for shift in itertools.product((-1, 0, 1), repeat=K):
        if any(shift):
            sl = tuple(slice(1 + s, 1 + s + d) for s, d in zip(shift, shape))
            is_min &= o <= pad[sl]
    cand = np.flatnonzero(is_min.ravel())
    cand = cand[np.argsort(obj[0, cand])][:top]
    return _start_rows(c[0, cand], grid[cand], np.broadcast_to(logy1, (cand.size, logy1.size)))


def _relinearize(theta, z, logy):
    """Amplitudes re-solved (closed form) at each row's own exponents; exponents kept."""
    B, n = logy.shape
    K = z.shape[1]
    w = np.exp(-logy)
    Phi = np.concatenate([np.ones((B, n, 1)), np.exp(-theta[:, None, 1 + K:] * z[None])], axis=2)
    Pw = Phi * w[:, :, None]
    c, _ = _nonneg_ls(np.einsum("bni,bnj->bij", Pw, Pw), np.einsum("bni,bn->bi", Pw, np.ones((B, n))), n)
    c[:, 1:] = np.maximum(c[:, 1:], 1e-8 * np.exp(logy).mean(axis=1, keepdims=True))
    out = theta.copy()
    out[:, :1 + K] = c
    return out


# --------------------------------------------------------------------------- batch fit and status
@dataclass(frozen=True)
class _Design:
    """Canonically ordered, centred data of one fit."""

    z: np.ndarray        # (n, K) log x − log x_ref
    log_ref: np.ndarray  # (K,)
    logy: np.ndarray     # (n,)
    lo: np.ndarray       # (p,) parameter bounds [E, A_k, a_k]
    hi: np.ndarray

    @property
    def n(self) -> int:
        return self.z.shape[0]

    @property
    def K(self) -> int:
        return self.z.shape[1]

    @property
    def p(self) -> int:
        return 1 + 2 * self.z.shape[1]


def _make_design(X: np.ndarray, y: np.ndarray, bounds=EXP_BOUNDS) -> tuple[_Design, np.ndarray]:
    """Design in canonical row order (sorted by x..., then y); also returns the permutation used."""
    K = X.shape[1]
    order = np.lexsort((y,) + tuple(X[:, k] for k in reversed(range(K))))
    logX = np.log(X[order])
    log_ref = logX.mean(axis=0)
    lo = np.r_[0.0, np.zeros(K), np.full(K, bounds[0])]
    hi = np.r_[np.inf, np.full(K, np.inf), np.full(K, bounds[1])]
    return _Design(logX - log_ref, log_ref, np.log(y[order]), lo, hi), order


def _grid(K: int) -> np.ndarray:
    if K == 1:
        return _GRID_1D[:, None]
    return np.array(list(itertools.product(_GRID_2D, repeat=K)))


def _fit_many(dz: _Design, logy: np.ndarray):
    """Fit every row of logy (B, n): grid start, then LM. Returns (theta, ssr, status)."""
    theta, f, conv = _lm(_grid_starts(dz.z, logy, _grid(dz.K)), dz.z, logy, dz.lo, dz.hi)
    theta, f, conv = _bound_fallback(dz, logy, theta, f, conv)
    return theta, f, _status(theta, conv, dz, logy)


def _bound_fallback(dz: _Design, logy, theta, f, conv):
    """Rows that did not converge get one more try from each exponent held at each of its bounds.

    An optimum on a bound often sits at the end of a long, badly scaled valley
    (A → 0 while a → 5: the term then only fits the first point), which LM
    walks slowly; started on the bound, the full (free) LM confirms or leaves it.
    """
    idx = np.flatnonzero(~conv)
    for j in range(1 + dz.K, dz.p):
        for bound in (dz.lo[j], dz.hi[j]):
            if idx.size == 0:
                return theta, f, conv
            _, tb, _ = _profile(dz, logy[idx], j, np.full(idx.size, bound), theta[idx])
            tb, fb, cb = _lm(tb, dz.z, logy[idx], dz.lo, dz.hi)
            better = cb & (fb <= f[idx] * (1 + 1e-9))
            theta[idx[better]], f[idx[better]], conv[idx[better]] = tb[better], fb[better], True
            idx = idx[~better]
    return theta, f, conv


def _status(theta, conv, dz: _Design, logy) -> np.ndarray:
    """Status code per row (see the module docstring); the first rule that applies wins."""
    K = dz.K
    yhat, U = _yhat(theta, dz.z)
    span = theta[:, 1:1 + K] * (U.max(axis=1) - U.min(axis=1))  # how much each power term moves L̂
    no_pl = np.any(span <= 1e-6 * yhat.mean(axis=1, keepdims=True), axis=1)
    a = theta[:, 1 + K:]
    no_pl |= np.any(a <= dz.lo[1 + K:] * (1 + _BOUND_RTOL), axis=1)
    if K == 1:
        zc = dz.z[:, 0] - dz.z[:, 0].mean()
        no_pl |= (logy - logy.mean(axis=1, keepdims=True)) @ zc >= 0  # the loss does not decrease in x
    at_b = (theta[:, 0] <= 1e-9 * yhat.mean(axis=1)) | np.any(a >= dz.hi[1 + K:] * (1 - _BOUND_RTOL), axis=1)
    return np.where(no_pl, _NO_PL, np.where(at_b, _AT_BOUND, np.where(conv, _OK, _NOT_CONV)))


# --------------------------------------------------------------------------- profiles
def _profile(dz: _Design, logy, j: int, values, starts):
    """SSR profile of parameter j: min over the others with theta_j = values (V,), one data row per value.

    logy (V, n), starts (V, p). Returns (ssr (V,), theta (V, p), converged (V,)).
    """
    th = starts.copy()
    th[:, j] = values
    if j >= 1 + dz.K:  # an exponent: re-solve the amplitudes at the new exponents for a good start
        th = _relinearize(th, dz.z, logy)
    else:  # keep the start feasible (L̂ > 0) when E is held at 0 and a start's amplitudes are 0
        amp = th[:, 1:1 + dz.K]
        th[:, 1:1 + dz.K] = np.maximum(amp, 1e-8 * np.exp(logy).mean(axis=1, keepdims=True))
    fixed = np.zeros(th.shape, bool)
    fixed[:, j] = True
    th, f, conv = _lm(th, dz.z, logy, dz.lo, dz.hi, fixed=fixed)
    return f, th, conv


def _wald_se(dz: _Design, theta, ssr):
    """Gauss-Newton standard errors sqrt(s²·diag(H⁻¹)) per row (pseudo-inverse where H is singular)."""
    _, J = _jac(theta, dz.z, np.zeros((theta.shape[0], dz.n)))
    H = np.einsum("bnp,bnq->bpq", J, J)
    cov = np.linalg.pinv(H, hermitian=True) * (ssr / max(dz.n - dz.p, 1))[:, None, None]
    return np.sqrt(np.maximum(np.einsum("bii->bi", cov), 0.0))



def _names(K: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Reported parameter names and their index in theta = [E, A_k..., a_k...]."""
    if K == 1:
        return ("E", "A", "a"), (0, 1, 2)
    return ("E", "A", "alpha", "B", "beta"), (0, 1, 3, 2, 4)


def _report(theta: np.ndarray, log_ref: np.ndarray) -> np.ndarray:
    """Rows of reported parameters (amplitudes in input units: A_k = A_k^c·x_ref^a_k), in _names order."""
    K = log_ref.size
    amp = theta[:, 1:1 + K] * np.exp(theta[:, 1 + K:] * log_ref)
    cols = [theta[:, 0]]
    for k in range(K):
        cols += [amp[:, k], theta[:, 1 + K + k]]
    return np.column_stack(cols)



def _point_fit(dz: _Design):
    """The point estimate: LM from the best grid point and from the grid's other lowest local minima."""
    starts = _grid_local_minima(dz.z, dz.logy, _grid(dz.K), dz.K)
    ly = np.broadcast_to(dz.logy, (starts.shape[0], dz.n))
    th, f, conv = _lm(starts, dz.z, ly, dz.lo, dz.hi)
    th, f, conv = _bound_fallback(dz, ly, th, f, conv)
    st = _status(th, conv, dz, ly)
    # the lowest objective wins; among equals (within 1e-12 relative) an interior optimum is preferred
    key = f * (1 + 1e-12 * (st != _OK))
    b = int(np.argmin(key))
    return th[b], float(f[b]), int(st[b])


def _at_bound_names(dz: _Design, theta_hat, names) -> str:
    K = dz.K
    out = []
    if theta_hat[0] <= 1e-9 * np.exp(dz.logy).mean():
        out.append("E")
    for k in range(K):
        a, amp = theta_hat[1 + K + k], theta_hat[1 + k]
        nm_a, nm_amp = names[2 + 2 * k], names[1 + 2 * k]
        if a <= dz.lo[1 + K + k] * (1 + _BOUND_RTOL) or a >= dz.hi[1 + K + k] * (1 - _BOUND_RTOL):
            out.append(nm_a)
        if amp <= 1e-12 * np.exp(dz.logy).mean():
            out.append(nm_amp)
    return ",".join(out)

