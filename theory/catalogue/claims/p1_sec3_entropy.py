"""Section 3, Definition 3.1 and Equation (1): the rate-distortion entropy and its normalization."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ... import entropy as E
from .._core import Finding, claim
from ._util import agreement, check, rel_err, unit_rows


def _r_subspace(rng, n, d, r):
    """Unit-norm rows spanning an r-dim subspace with Z^T Z / n = P/r (r equal singular values)."""
    Q, _ = np.linalg.qr(rng.normal(size=(d, r)))
    reps = n // r
    return np.repeat(Q.T, reps, axis=0), reps * r


@claim(
    id="def-3.1-maximum",
    stream="sec3-entropy-max",
    paper_ref="Definition 3.1 (its maximum, Section 3)",
    title="Maximum of L_eps(Z) under unit-norm rows (the normalizer of Section 3)",
    statement="Assume each row of Z has a unit norm, then the maximal possible value of L_eps(Z) will be (d+n)/2 * d * "
              "log(1 + 1/eps^2).",
    latex=r"\max_{\|z_i\|=1} L_\epsilon(Z) = \frac{d+n}{2}\, d \log\!\big(1 + \tfrac{1}{\epsilon^2}\big)",
    assumptions=["rows of Z have unit l2 norm", "Sigma_Z = Z^T Z / n"],
    sympy="(d+n)/2*d*log(1+1/eps**2)",
)
def entropy_max(ctx) -> Finding:
    checks = []
    # Symbolic: with tr Sigma = 1 the concave log det is maximized at Sigma = I/d (r = d of the
    # r-subspace family), and r log(1 + d/(eps^2 r)) increases in r.
    r, d, eps = sp.symbols("r d epsilon", positive=True)
    f = r * sp.log(1 + d / (eps**2 * r))
    at_d = sp.simplify(f.subs(r, d) - d * sp.log(1 + 1 / eps**2))
    df = sp.diff(f, r)
    u = sp.symbols("u", positive=True)  # u = d/(eps^2 r)
    df_u = sp.simplify(df.subs(d, u * eps**2 * r))  # log(1+u) - u/(1+u) > 0 for u > 0
    mono = sp.simplify(df_u - (sp.log(1 + u) - u / (1 + u))) == 0
    pos = all(float((sp.log(1 + u) - u / (1 + u)).subs(u, v)) > 0 for v in (1e-6, 1e-2, 1, 1e2, 1e6))
    checks.append(check("value at Sigma = I/d equals the bound; derivative in r is log(1+u) - u/(1+u) > 0",
                        "symbolic", "printed", at_d == 0 and mono and pos,
                        f"f(d) - bound simplifies to {at_d}; df/dr = log(1+u) - u/(1+u), u = d/(eps^2 r)"))
    # Numeric: random unit-row Z never exceed the bound (AM-GM on the eigenvalues of Sigma).
    worst = 0.0
    for _ in range(200):
        n, d_ = int(ctx.rng.integers(1, 40)), int(ctx.rng.integers(1, 40))
        e = float(ctx.rng.uniform(0.05, 2.0))
        Z = unit_rows(ctx.rng, n, d_)
        worst = max(worst, E.rate_distortion_entropy(Z, e) / E.rate_distortion_entropy_max(n, d_, e))
    checks.append(check("200 random unit-row Z: L_eps(Z) / bound <= 1", "numeric", "printed", worst <= 1 + 1e-12,
                        f"largest ratio {worst:.6f}", largest_ratio=worst))
    # Attainment for n >= d: a tight frame (an orthonormal basis repeated) reaches the bound.
    n, d_, e = 12, 4, 0.1
    Z, n_used = _r_subspace(ctx.rng, n, d_, d_)
    ratio_tight = E.rate_distortion_entropy(Z, e) / E.rate_distortion_entropy_max(n_used, d_, e)
    checks.append(check("n >= d: a repeated orthonormal basis attains the bound", "numeric", "printed",
                        abs(ratio_tight - 1) < 1e-12, f"ratio {ratio_tight:.15f} at n={n_used}, d={d_}"))
    # Boundary: for n < d, rank Sigma <= n, so the largest value is (d+n)/2 * n log(1 + d/(eps^2 n)).
    n, d_, e = 4, 64, 0.1
    best = 0.5 * (d_ + n) * n * np.log1p(d_ / (e**2 * n))
    bound = E.rate_distortion_entropy_max(n, d_, e)
    Z, _ = _r_subspace(ctx.rng, n, d_, n)
    achieved = E.rate_distortion_entropy(Z, e)
    checks.append(check("n < d: is the bound still the maximal possible value?", "numeric", "boundary",
                        best >= bound * (1 - 1e-12),
                        f"n={n}, d={d_}, eps={e}: the best unit-row Z gives {achieved:.4g} = "
                        f"{best / bound:.3f} x the bound {bound:.4g}",
                        n=n, d=d_, eps=e, best=best, bound=bound, achieved=achieved))
    return Finding(
        checks,
        evidence=f"bound never exceeded (200 random Z, max ratio {worst:.4f}); attained iff n >= d; "
                 f"for n < d the true maximum is {best / bound:.2f} x the bound (n={n}, d={d_})",
        counterexample={"n": n, "d": d_, "eps": e, "max_L_eps": best, "printed_max": bound},
        conditions=["n >= d for the bound to be the maximum; for n < d the maximum is "
                    "(d+n)/2 * n log(1 + d/(eps^2 n))"],
    )


@claim(
    id="eq-1",
    paper_ref="Equation (1)",
    title="Normalized entropy of an r-subspace",
    statement="If Z (unit-norm rows) has r equal-sized singular values, L_eps(Z) / ((d+n)/2 d log(1+1/eps^2)) = (r/d) "
              "log(1 + (1/eps^2)/(r/d)) / log(1 + 1/eps^2).",
    latex=r"\frac{L_\epsilon(Z)}{\frac{d+n}{2} d\log(1+\frac{1}{\epsilon^2})} = \frac{\frac "
          r"rd\log(1+\frac{1/\epsilon^2}{r/d})}{\log(1+\frac1{\epsilon^2})}",
    assumptions=["rows of Z have unit l2 norm", "Z has exactly r nonzero singular values, all equal"],
    sympy="(r/d*log(1+(1/eps**2)/(r/d)))/log(1+1/eps**2)",
)
def equation_1(ctx) -> Finding:
    checks = []
    r, d, n, eps = sp.symbols("r d n epsilon", positive=True)
    # Unit rows and r equal singular values force Sigma = (1/r) P_r, so log det = r log(1 + d/(eps^2 r)).
    lhs = (d + n) / 2 * r * sp.log(1 + d / (eps**2 * r)) / ((d + n) / 2 * d * sp.log(1 + 1 / eps**2))
    rhs = (r / d) * sp.log(1 + (1 / eps**2) / (r / d)) / sp.log(1 + 1 / eps**2)
    diff = sp.simplify(lhs - rhs)
    checks.append(check("L_eps with Sigma = P_r / r, divided by the bound, equals the right side", "symbolic",
                        "printed", diff == 0, f"lhs - rhs simplifies to {diff}"))
    errs = []
    for _ in range(60):
        d_ = int(ctx.rng.integers(2, 48))
        r_ = int(ctx.rng.integers(1, d_ + 1))
        e = float(ctx.rng.uniform(0.05, 1.0))
        Z, n_ = _r_subspace(ctx.rng, int(ctx.rng.integers(1, 4)) * r_, d_, r_)
        got = E.normalized_rate_distortion_entropy(Z, e)
        errs.append(rel_err(got, E.equal_singular_value_normalized_entropy(r_, d_, e)))
    checks.append(check("60 random r-subspace matrices: normalized L_eps equals Equation (1)", "numeric",
                        "printed", max(errs) < 1e-10, f"max relative error {max(errs):.2e}",
                        max_rel_err=max(errs)))
    # Figure 1 uses eps = 0.1 and reads r/d off matrix entropy: the curve is increasing and concave in r/d.
    q = np.linspace(0.01, 1, 200)
    vals = E.equal_singular_value_normalized_entropy(q * 100, 100, 0.1)
    incr = bool(np.all(np.diff(vals) > 0))
    checks.append(check("Equation (1) increases with r/d from 0 to 1 (eps = 0.1)", "numeric", "printed",
                        incr and abs(vals[-1] - 1) < 1e-12, f"value at r=d is {vals[-1]:.12f}"))
    return Finding(checks, evidence=f"symbolic identity; 60 random r-subspaces agree to {agreement(max(errs))}")
