"""Section 2.1 (Definitions 2.1-2.3) and Lemma 3.17: discrete information quantities, in nats.

Joint distributions are arrays ``p_xy[x, y]``. The convention 0 log 0 = 0 is
used; a KL divergence with ``Q(x) = 0 < P(x)`` is +inf (not an error).
"""
from __future__ import annotations

import numpy as np

from infogeo.validation import probability_vector, same_shape

__all__ = ["entropy", "conditional_entropy", "kl_divergence", "mutual_information", "conditional_distributions"]


def _plogp(p: np.ndarray) -> np.ndarray:
    out = np.zeros_like(p)
    pos = p > 0
    out[pos] = p[pos] * np.log(p[pos])
    return out


def entropy(p) -> float:
    """H(X) = -sum p log p (Definition 2.1)."""
    p = probability_vector(p, "p")
    return float(-np.sum(_plogp(p)))


def conditional_distributions(p_xy) -> tuple[np.ndarray, np.ndarray]:
    """Marginal p(y) and the columns p(x|y) for p(y) > 0 (columns with p(y) = 0 are left as NaN-free zeros)."""
    p_xy = probability_vector(p_xy, "p_xy", ndim=2)
    p_y = p_xy.sum(axis=0)
    cond = np.zeros_like(p_xy)
    pos = p_y > 0
    cond[:, pos] = p_xy[:, pos] / p_y[pos]
    return p_y, cond


def conditional_entropy(p_xy) -> float:
    """H(X|Y) = sum_y p(y) H(X|Y=y) (Definition 2.2); skills with p(y)=0 contribute 0."""
    p_y, cond = conditional_distributions(p_xy)
    return float(-np.sum(p_y[None, :] * _plogp(cond)))


def kl_divergence(P, Q) -> float:
    """KL(P||Q) = -sum P log(Q/P) (Definition 2.3); +inf when P is not absolutely continuous w.r.t. Q."""
    P = probability_vector(P, "P")
    Q = probability_vector(Q, "Q")
    same_shape(P, Q, "P", "Q")
    pos = P > 0
    if np.any(Q[pos] == 0):
        return float("inf")
    return float(np.sum(P[pos] * (np.log(P[pos]) - np.log(Q[pos]))))


def mutual_information(p_xy) -> float:
    """I(X;Y) = H(X) - H(X|Y)."""
    p_xy = probability_vector(p_xy, "p_xy", ndim=2)
    return entropy(p_xy.sum(axis=1)) - conditional_entropy(p_xy)
