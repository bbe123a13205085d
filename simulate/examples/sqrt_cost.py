"""Worked example (Section 3, Theorem 3.8): a new cost assumption as a small Python class.

Suppose a skill does not need 1/p flops but only 1/sqrt(p): frequent and rare
skills share more of their flops. Theorem 3.8's argument still goes through
with skill k costing ∝ k^c, c = (alpha+1)/2, which predicts the flops
exponents alpha/(c+1) = 2 alpha/(alpha+3) (sequential) and alpha/c =
2 alpha/(alpha+1) (parallel), and alpha/(c+1) on the compute-optimal
frontier. We state that prediction in the class; the simulation then checks it.

Use it from Python::

    import simulate
    from simulate.examples.sqrt_cost import SqrtCost
    a = simulate.Assumptions(law=simulate.PowerLaw(0.5), M=10**6, cost=SqrtCost())
    print(simulate.exponents(a))

or from a TOML file (``sqrt_cost.toml`` beside this file)::

    python -m simulate --assumptions simulate/examples/sqrt_cost.toml --json
"""
import numpy as np

from infogeo.validation import ValidationError
from simulate import Cost


class SqrtCost(Cost):
    """Skill y needs (B-C)/Δ · sqrt(p_max/p_y) flops: each flop hits it with probability sqrt(p_y/p_max)."""

    name = "sqrt_p"

    def __init__(self, power: float = 0.5):
        if not 0 < power <= 1:
            raise ValidationError(f"power must be in (0, 1], got {power}")
        self.power = float(power)

    def expected_flops(self, p, B, C, delta):
        p = np.asarray(p, dtype=np.float64)
        return (B - C) / delta * (p.max() / p) ** self.power

    def predicted_exponent(self, alpha, axis, order):
        c = self.power * (alpha + 1.0)  # skill k costs ∝ k^c
        if axis in ("skills", "params"):
            return alpha
        if axis == "flops" and order == "sequential":
            return alpha / (c + 1.0)
        if axis == "flops" and order == "parallel":
            return alpha / c
        if axis == "frontier" and order == "parallel":
            return alpha / (c + 1.0)  # balance N^-alpha against D^-alpha/c with S ∝ N D
        return None

    def describe(self):
        return {"name": self.name, "power": self.power}
