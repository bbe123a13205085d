"""Section 4.2: the attention recursion (equation (4)) and the approximation (5) that motivates Lasso."""
from __future__ import annotations

import numpy as np

from ...attention import approximation_5, causal_attention, equation4_values
from .._core import Finding, claim
from ._util import check


def _median_rel_err(rng, n, **kw):
    errs = []
    for _ in range(n):
        A = causal_attention(rng, 32, **kw)
        V = rng.normal(size=(32, 64))
        z, approx, _ = approximation_5(A, V)
        errs.append(np.linalg.norm(z - approx) / np.linalg.norm(z))
    return float(np.median(errs))


@claim(
    id="eq-4",
    paper_ref="Equation (4)",
    title="Values recovered from attention outputs",
    statement="v_i = z_i / lambda_i^i - sum_{j<i} (lambda_j^i / lambda_i^i) v_j, "
              "where z_i = sum_{j<=i} lambda_j^i v_j.",
    latex=r"v_i = \frac{1}{\lambda_i^i}z_i - \sum_{j<i}\frac{\lambda_j^i}{\lambda_i^i}v_j",
    assumptions=["single-head causal attention output z_i = sum_{j<=i} lambda_j^i v_j", "lambda_i^i > 0"],
    by_definition="the definition of the attention output z_i solved for v_i",
)
def equation_4(ctx) -> Finding:
    import sympy as sp

    # Symbolic, T = 3: substitute z_i = sum_j lambda_j^i v_j into the right side of (4).
    lam = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"l{i}{j}", positive=True) if j <= i else 0)
    v = sp.symbols("v0:3")
    z = [sum(lam[i, j] * v[j] for j in range(i + 1)) for i in range(3)]
    sym_ok = all(sp.simplify(z[i] / lam[i, i] - sum(lam[i, j] / lam[i, i] * v[j] for j in range(i)) - v[i]) == 0
                 for i in range(3))
    worst = 0.0
    for _ in range(50):
        A = causal_attention(ctx.rng, int(ctx.rng.integers(2, 40)), self_margin=float(ctx.rng.uniform(0, 3)),
                             scale=1.0, keep=None)
        V = ctx.rng.normal(size=(A.shape[0], 16))
        Z = A @ V
        # Residual of (4) at the true values; solving (4) forward instead amplifies round-off by 1/lambda_i^i.
        res = equation4_values(A, Z, V) - V
        for i in range(A.shape[0]):
            worst = max(worst, float(np.max(np.abs(res[i])) * A[i, i] / max(1.0, np.max(np.abs(Z[i])))))
    return Finding([check("symbolic, T = 3: the right side of (4) equals v_i", "symbolic", "printed", sym_ok,
                          "simplifies to 0 for i = 1, 2, 3"),
                    check("50 random causal attentions: residual of (4) at the true values", "numeric", "printed",
                          worst < 1e-12, f"max scaled residual {worst:.2e}")],
                   evidence="exact: (4) is forward substitution in the triangular system Z = Lambda V (lambda_i^i > 0)")


@claim(
    id="eq-5",
    paper_ref="Equation (5)",
    title="Approximation of the last token by earlier representations",
    statement="Because lambda_k^j / lambda_j^j is usually small and the weights are sparse, z_{T+1} ≈ "
              "lambda_{T+1}^{T+1} v_{T+1} + sum_{lambda_j^{T+1} != 0} (lambda_j^{T+1} / lambda_j^j) z_j.",
    latex=r"z_{T+1} \approx \lambda_{T+1}^{T+1}v_{T+1} + "
          r"\sum_{\lambda_j^{T+1}\ne0}\frac{\lambda_j^{T+1}}{\lambda_j^j}z_j",
    assumptions=["sparse attention", "lambda_k^j / lambda_j^j small for k < j"],
)
def equation_5(ctx) -> Finding:
    checks = []
    # The exact decomposition: z_{T+1} = approximation - dropped term; (5) is exact iff the dropped term is 0.
    A = causal_attention(ctx.rng, 20, self_margin=1.0, scale=1.0, keep=4)
    V = ctx.rng.normal(size=(20, 8))
    z, approx, dropped = approximation_5(A, V)
    checks.append(check("identity: z_{T+1} = (5) - sum_j lambda_j sum_{k<j} (lambda_k^j/lambda_j^j) v_k", "numeric",
                        "printed", np.allclose(z, approx - dropped, atol=1e-10),
                        f"max residual {np.max(np.abs(z - approx + dropped)):.1e}"))
    self_dom = _median_rel_err(ctx.rng, 100, self_margin=6.0, scale=1.0, keep=4)
    checks.append(check("the paper's premise (self-dominant, sparse: diagonal logit +6, top-4): median relative error "
                        "< 10%",
                        "numeric", "printed", self_dom < 0.1, f"median ||z - (5)|| / ||z|| = {self_dom:.3f}"))
    rand_sparse = _median_rel_err(ctx.rng, 100, self_margin=0.0, scale=1.0, keep=4)
    checks.append(check("random sparse causal attention (no self preference, top-4): still < 10%?", "numeric",
                        "boundary", rand_sparse < 0.1, f"median relative error {rand_sparse:.3f}"))
    dense = _median_rel_err(ctx.rng, 100, self_margin=0.0, scale=1.0, keep=None)
    checks.append(check("random dense causal attention: still < 10%?", "numeric", "boundary", dense < 0.1,
                        f"median relative error {dense:.3f}"))
    return Finding(
        checks,
        evidence=f"median relative error {self_dom:.1%} when tokens attend mostly to themselves, {rand_sparse:.0%} on "
                 f"random sparse and {dense:.0%} on random dense attention (T = 32, d = 64)",
        conditions=["lambda_k^j << lambda_j^j (self-dominant attention); the error is exactly "
                    "sum_j lambda_j^{T+1} sum_{k<j} (lambda_k^j / lambda_j^j) v_k"],
        counterexample={"regime": "random sparse causal attention, top-4 per row, T = 32, d = 64",
                        "median_relative_error": rand_sparse},
    )
