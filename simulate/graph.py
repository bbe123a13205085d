"""Section 3 (skill graph, Figure 2, after Arora & Goyal [2]): the bipartite text-skill graph.

:func:`skill_graph` draws a sparse bipartite graph whose skill degrees follow a
skill law: ``n_edges`` edge endpoints are split over the M skills by a
multinomial draw with probabilities ``p_k`` (so E[degree_k] = n_edges p_k, the
paper's "degree proportional to k^-(alpha+1)"), and each endpoint links to a
text drawn uniformly. It is a multigraph: a text that uses a skill twice keeps
an edge of multiplicity 2, so degrees are exact multinomial counts. Built
directly in CSC form (no sort, no COO), 10^7 edges take about a second.

:func:`fit_alpha` recovers alpha from the degrees. Ranked degrees ``d_(1) >=
d_(2) >= ...`` estimate p_k (:class:`simulate.laws.EmpiricalLaw`); the
exponent is fitted on the *degree distribution*: if ``p_k ∝ k^-s`` (s =
alpha + 1, the Zipf exponent of :func:`theory.skills.zipf_exponent_from_alpha`),
the number of skills with degree >= d falls as ``d^-1/s``, so degrees follow a
discrete power law ``P(d) ∝ d^-gamma`` with ``gamma = 1 + 1/s`` above some xmin
(the rank-frequency / frequency-distribution duality of Zipf's law). gamma is
the discrete power-law MLE (Hurwitz zeta normalization; Clauset, Shalizi &
Newman 2009) with xmin chosen by the Kolmogorov-Smirnov rule; its 95% interval
is gamma ± 1.96/sqrt(observed Fisher information), mapped to alpha. The
``powerlaw`` package fits the same tail as a cross-check.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import scipy.sparse as sp
from scipy import optimize
from scipy.special import gammaln, zeta

from infogeo.validation import ValidationError, as_generator, as_int_array, choice, in_range, positive_int
from theory import skills as th

from .dynamics import check_terms
from .laws import PowerLaw, call_plugin, check_probabilities

__all__ = ["SkillGraph", "skill_graph", "graph_memory", "AlphaFit", "fit_alpha", "alpha_from_degree_exponent",
           "degree_exponent_from_alpha"]


@dataclasses.dataclass
class SkillGraph:
    """``adjacency``: (n_texts, M) scipy.sparse CSC, entry = edge multiplicity; skill k is column k-1 (rank order)."""

    adjacency: sp.csc_matrix
    p: np.ndarray

    @property
    def degrees(self) -> np.ndarray:
        """Skill degrees (column sums, multiplicity counted), int64."""
        return np.diff(self.adjacency.indptr).astype(np.int64)

    def empirical_p(self) -> np.ndarray:
        """p_k recovered from the degrees: ranked descending and normalized (zeros dropped)."""
        d = np.sort(self.degrees)[::-1]
        d = d[d > 0]
        return d / d.sum()


def graph_memory(M: int, n_edges: int, n_texts: int | None = None, *, fit: bool = True
                 ) -> tuple[dict[str, float], dict[str, float]]:
    """Estimated peak bytes of :func:`skill_graph` (and of :func:`fit_alpha` on its degrees when ``fit``).

    Measured with tracemalloc (numpy 2, scipy 1.x): the graph holds 28 bytes per skill (p, the multinomial
    degrees, indptr) and 8 per edge (an int32 text index and an int32 multiplicity; 12 with int64 indices,
    more than 2^31 texts); the fit sorts and scans the positive degrees, <= 64 bytes per skill.
    Returns (bytes by argument, values of those arguments) for :func:`simulate.dynamics.check_memory`.
    """
    n_texts = max(n_edges // 10, 1) if n_texts is None else n_texts
    per_edge = 8 if n_texts < 2**31 else 12
    terms = {"M": (32.0 + (64.0 if fit else 0.0)) * M, "n_edges": float(per_edge) * n_edges}
    return terms, {"M": M, "n_edges": n_edges}


def skill_graph(law, M: int, n_edges: int, *, n_texts: int | None = None, seed=0) -> SkillGraph:
    """Draw a text-skill multigraph with E[degree_k] = n_edges * p_k.

    Parameters
    ----------
    law : a skill law (:mod:`simulate.laws`) or a float alpha (the paper's power law).
    M : number of skills (>= 2). n_edges : total edges (>= 1).
    n_texts : number of text segments (default ``max(n_edges // 10, 1)``: ~10 skills per text).
    seed : int or Generator.
    """
    if not hasattr(law, "probabilities"):
        law = PowerLaw(law)
    M = positive_int(M, "M", minimum=2)
    n_edges = positive_int(n_edges, "n_edges")
    n_texts = max(n_edges // 10, 1) if n_texts is None else positive_int(n_texts, "n_texts")
    check_terms(*graph_memory(M, n_edges, n_texts, fit=False))
    rng = as_generator(seed)
    p = check_probabilities(call_plugin(law, "probabilities", M, kind="law"), M,
                            f"law {str(getattr(law, 'name', type(law).__name__))!r}")
    deg = rng.multinomial(n_edges, p)
    indptr = np.zeros(M + 1, dtype=np.int64)
    np.cumsum(deg, out=indptr[1:])
    idx_dtype = np.int32 if n_texts < 2**31 else np.int64
    texts = rng.integers(0, n_texts, size=n_edges, dtype=idx_dtype)
    data = np.ones(n_edges, dtype=np.int32)
    adj = sp.csc_matrix((data, texts, indptr), shape=(n_texts, M))
    return SkillGraph(adj, p)


def degree_exponent_from_alpha(alpha: float) -> float:
    """gamma of the degree distribution ``P(d) ∝ d^-gamma`` when p_k ∝ k^-(alpha+1): 1 + 1/(alpha+1)."""
    return 1.0 + 1.0 / th.zipf_exponent_from_alpha(alpha)


def alpha_from_degree_exponent(gamma: float) -> float:
    """Inverse of :func:`degree_exponent_from_alpha`; requires 1 < gamma < 2 (alpha > 0)."""
    gamma = in_range(gamma, "gamma", 1.0, 2.0, low_open=True, high_open=True)  # (1, 2) <=> alpha > 0
    return th.alpha_from_zipf_exponent(1.0 / (gamma - 1.0))


@dataclasses.dataclass
class AlphaFit:
    """alpha recovered from skill degrees, with its 95% interval (Fisher information).

    ``gamma_power``: this module's pure discrete power-law MLE on the same tail;
    ``powerlaw_gamma``: the ``powerlaw`` package's fit of the same tail (cross-check
    of the MLE machinery: the two agree to ~1e-4).
    """

    alpha: float
    ci_low: float
    ci_high: float
    gamma: float
    gamma_se: float
    xmin: int
    n_tail: int
    ks: float
    model: str
    gamma_power: float
    powerlaw_gamma: float | None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _loglik_factory(d: np.ndarray, xmin: float, model: str):
    n = d.size
    if model == "power":
        slog = float(np.log(d).sum())
        return lambda g: -(g * slog + n * np.log(zeta(g, xmin)))
    # Poisson-sampled Zipf law: P(d) = (g-1) G(x) G(d+1-g) / (G(x+1-g) G(d+1)), d >= x
    u, c = np.unique(d, return_counts=True)
    lg_d1 = float(np.sum(c * gammaln(u + 1.0)))
    lgx = gammaln(xmin)
    return lambda g: float(n * (np.log(g - 1.0) + lgx - gammaln(xmin + 1.0 - g))
                           + np.sum(c * gammaln(u + 1.0 - g)) - lg_d1)


def _ccdf(u: np.ndarray, g: float, xmin: float, model: str) -> np.ndarray:
    if model == "power":
        return zeta(g, u) / zeta(g, xmin)
    return np.exp(gammaln(u + 1.0 - g) - gammaln(u) - gammaln(xmin + 1.0 - g) + gammaln(xmin))


def _mle_gamma(d: np.ndarray, xmin: float, model: str):
    ll = _loglik_factory(d, xmin, model)
    res = optimize.minimize_scalar(lambda g: -ll(g), bounds=(1.0 + 1e-6, 3.0), method="bounded",
                                   options={"xatol": 1e-10})
    g = float(res.x)
    h = 1e-4 * max(1.0, g - 1.0)
    info = -(ll(g + h) - 2 * ll(g) + ll(g - h)) / (h * h)  # observed Fisher information
    se = 1.0 / np.sqrt(info) if info > 0 else np.inf
    return g, float(se)


def _ks(d: np.ndarray, g: float, xmin: float, model: str) -> float:
    u, c = np.unique(d, return_counts=True)
    emp_ccdf = 1.0 - np.concatenate([[0.0], np.cumsum(c)[:-1]]) / d.size  # P(D >= u)
    return float(np.max(np.abs(emp_ccdf - _ccdf(u, g, xmin, model))))


def fit_alpha(degrees, *, xmin: int | None = None, model: str = "poisson_zipf", min_tail: int = 50,
              candidates: int = 40, cross_check: bool = True) -> AlphaFit:
    """Recover alpha from skill degrees by discrete maximum likelihood on the degree distribution.

    ``model="poisson_zipf"`` (default): degrees are Poisson counts of a Zipf law, whose
    degree distribution is exactly ``P(d) ∝ Gamma(d+1-gamma)/Gamma(d+1)`` (d >= xmin) in
    the continuum-rank limit; it tends to the pure power law ``d^-gamma`` for large d,
    and removes the O(1/d) bias the pure law has at small degrees.
    ``model="power"``: the pure discrete power law ``d^-gamma / zeta(gamma, xmin)``
    (Clauset et al.), the one the ``powerlaw`` package fits.

    ``xmin`` None: scan ``candidates`` log-spaced values and keep the one with the
    smallest KS distance among those leaving >= ``min_tail`` skills in the tail.
    ``cross_check`` also fits the pure power law with the ``powerlaw`` package at the
    same xmin (``powerlaw_gamma``), next to this module's own pure fit (``gamma_power``).
    """
    model = choice(model, "model", ("poisson_zipf", "power"))
    d = as_int_array(degrees, "degrees", minimum=0, ndim=1)
    d = d[d > 0]
    min_tail = positive_int(min_tail, "min_tail", minimum=2)
    candidates = positive_int(candidates, "candidates")
    if d.size < min_tail:
        raise ValidationError(f"degrees has {d.size} positive entries; need >= min_tail={min_tail}")
    if xmin is None:
        top = np.sort(d)[::-1][min_tail - 1]
        cands = np.unique(np.round(np.geomspace(1, max(top, 1), candidates)))
        best = None
        for x in cands:
            tail = d[d >= x]
            g, se = _mle_gamma(tail, x, model)
            ks = _ks(tail, g, x, model)
            if best is None or ks < best[0]:
                best = (ks, x, g, se, tail.size)
        ks, xm, g, se, nt = best
    else:
        xm = float(positive_int(xmin, "xmin"))
        tail = d[d >= xm]
        if tail.size < 2:
            raise ValidationError(f"xmin={xmin} leaves {tail.size} degrees")
        g, se = _mle_gamma(tail, xm, model)
        ks, nt = _ks(tail, g, xm, model), tail.size
    if not 1.0 < g < 2.0:
        raise ValidationError(
            f"fitted degree exponent gamma={g:.4g} is outside (1, 2): the degrees are not Zipf with alpha "
                         "> 0")
    a = alpha_from_degree_exponent(g)
    # alpha decreases in gamma; clip the interval to the admissible gamma range
    a_lo = alpha_from_degree_exponent(min(g + 1.96 * se, 2.0 - 1e-12))
    a_hi = alpha_from_degree_exponent(max(g - 1.96 * se, 1.0 + 1e-9))
    tail = d[d >= xm]
    g_pow = g if model == "power" else _mle_gamma(tail, xm, "power")[0]
    pg = None
    if cross_check:
        import powerlaw

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fit = powerlaw.Fit(tail, discrete=True, xmin=xm, verbose=False)
        pg = float(fit.power_law.alpha)
    return AlphaFit(a, a_lo, a_hi, g, se, int(xm), int(nt), ks, model, g_pow, pg)
