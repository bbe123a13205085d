"""Section 3, Lemma 3.10 to Theorem 3.18: prompting, context and the entropy / KL identity.

Checked exhaustively on small discrete distributions: |X| = 3, up to 3 skills,
every prompting map f, conditionals from a fixed menu that includes
deterministic and uniform rows, and skill laws with zero-probability skills.
"""
from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ... import discrete as D
from .._core import Correction, Finding, claim
from ._util import agreement, check

MENU = np.array([
    [1 / 3, 1 / 3, 1 / 3],
    [1.0, 0.0, 0.0],
    [0.5, 0.5, 0.0],
    [0.7, 0.2, 0.1],
    [0.1, 0.2, 0.7],  # a permutation of the row above: same entropy, different distribution
])
SKILL_LAWS = {
    2: [np.array([0.5, 0.5]), np.array([0.8, 0.2]), np.array([1.0, 0.0])],
    3: [np.array([1 / 3, 1 / 3, 1 / 3]), np.array([0.6, 0.3, 0.1]), np.array([0.5, 0.5, 0.0])],
}
TOL = 1e-12
HM = np.array([D.entropy(row) for row in MENU])  # entropies of the menu rows, looked up in the loops


def _H(q):
    return D.entropy(q)


def _prompt_conditionals(p_y, cond, f):
    """p(x | Ybar = v) for each value v of f with positive mass (None where the mass is 0)."""
    out = {}
    for v in set(f):
        members = [y for y in range(len(f)) if f[y] == v]
        mass = p_y[members].sum()
        out[v] = None if mass == 0 else (p_y[members, None] * cond[members]).sum(axis=0) / mass
    return out


MAPS = {k: list(itertools.product(range(k), repeat=k)) for k in SKILL_LAWS}  # every prompting map f on k skills


def _skill_instances():
    """(k, p_y, cond) over the grid: every skill law and every assignment of menu rows as p(x|y)."""
    for k, laws in SKILL_LAWS.items():
        for p_y in laws:
            for rows in itertools.product(range(len(MENU)), repeat=k):
                yield k, p_y, MENU[list(rows)]


@claim(
    id="lemma-3.10",
    paper_ref="Lemma 3.10",
    title="Skill activation by a perfect prompting function",
    statement="Given a perfect prompting function f and Y ~ p_skill, Ybar = f(Y): for any skill y, H(X|Y=y) = "
              "H(X|Ybar=f(y)).",
    latex=r"H(X|Y=y) = H(X|\bar Y = f(y))",
    assumptions=["f perfect (Definition 3.9): p(x|Y=y) = p(x|f(Y)=f(y)) for all x, y"],
    by_definition="Definition 3.9 makes p(x|Y=y) and p(x|Ybar=f(y)) one distribution",
)
def lemma_3_10(ctx) -> Finding:
    n_perfect = n_ok = n_zero_edge = 0
    for k, p_y, cond in _skill_instances():
        for f in MAPS[k]:
            pc = _prompt_conditionals(p_y, cond, f)
            if any(pc[f[y]] is None for y in range(k)):
                n_zero_edge += 1  # p(x|Ybar=f(y)) undefined: Definition 3.9 cannot be evaluated
                continue
            if not all(np.allclose(cond[y], pc[f[y]], atol=TOL) for y in range(k)):
                continue
            n_perfect += 1
            n_ok += all(abs(_H(cond[y]) - _H(pc[f[y]])) < 1e-12 for y in range(k))
    checks = [check("every perfect f on the exhaustive grid: H(X|Y=y) = H(X|Ybar=f(y)) for all y", "exhaustive",
                    "printed", n_ok == n_perfect and n_perfect > 0,
                    f"{n_ok}/{n_perfect} perfect instances satisfy the lemma; {n_zero_edge} instances skipped where "
                    f"f(y) has zero mass (p(x|Ybar=f(y)) undefined)", perfect=n_perfect, zero_mass_skipped=n_zero_edge)]
    return Finding(checks, evidence=f"{n_ok}/{n_perfect} perfect prompting instances (|X|=3, |Y|<=3, all maps f); "
                                    "immediate from Definition 3.9")


@claim(
    id="thm-3.11",
    paper_ref="Theorem 3.11",
    title="Conditional entropy of skills equals that of perfect prompts",
    statement="Suppose Y ~ p_skill and f a perfect prompting function, Ybar = f(Y). Then H(X|Y) = H(X|Ybar).",
    latex=r"H(X|Y) = H(X|\bar Y)",
    assumptions=["f perfect (Definition 3.9)"],
    by_definition="Lemma 3.10 (Definition 3.9) averaged over p(y)",
)
def theorem_3_11(ctx) -> Finding:
    n_perfect = n_ok = n_imperfect = n_strict = 0
    for k, p_y, cond in _skill_instances():
        joint_y = cond.T * p_y  # p(x, y)
        H_Y = D.conditional_entropy(joint_y)
        for f in MAPS[k]:
            joint_bar = np.zeros((3, k))
            for y in range(k):
                joint_bar[:, f[y]] += joint_y[:, y]
            H_bar = D.conditional_entropy(joint_bar)
            pc = _prompt_conditionals(p_y, cond, f)
            perfect = all(p_y[y] == 0 or np.allclose(cond[y], pc[f[y]], atol=TOL) for y in range(k))
            if perfect:
                n_perfect += 1
                n_ok += abs(H_Y - H_bar) < 1e-12
            else:
                n_imperfect += 1
                n_strict += H_bar > H_Y + 1e-12
    checks = [check("perfect f (on skills with p(y) > 0): H(X|Y) = H(X|Ybar) on the exhaustive grid", "exhaustive",
                    "printed", n_ok == n_perfect and n_perfect > 0, f"{n_ok}/{n_perfect} instances",
                    perfect=n_perfect)]
    return Finding(checks, evidence=f"{n_ok}/{n_perfect} perfect instances equal; when f merges skills with different "
                                    f"conditionals, H(X|Ybar) > H(X|Y) in {n_strict}/{n_imperfect} instances (the "
                                    "assumption is needed)",
                   conditions=["only skills with p(y) > 0 matter; Definition 3.9 read literally also constrains "
                               "zero-probability skills, which the proof does not use"])


def _context_instances():
    """(p_y, cond, cond_ctx, labels) over the grid; labels per skill: irrelevant, good, bad or 'same-entropy'."""
    for k, laws in SKILL_LAWS.items():
        for p_y in laws:
            for rows in itertools.product(range(len(MENU)), repeat=k):
                for rows_c in itertools.product(range(len(MENU)), repeat=k):
                    labels = []
                    for y in range(k):
                        if rows[y] == rows_c[y]:
                            labels.append("irrelevant")
                        else:
                            h, hc = HM[rows[y]], HM[rows_c[y]]
                            labels.append("good" if hc < h - 1e-12 else "bad" if hc > h + 1e-12 else "same-entropy")
                    yield p_y, HM[list(rows)], HM[list(rows_c)], labels


@claim(
    id="lemma-3.14",
    paper_ref="Lemma 3.14",
    title="An irrelevant context leaves the skill's conditional entropy unchanged",
    statement="If a skill y is irrelevant to a context, then H(X|context, Y=y) = H(X|Y=y).",
    latex=r"H(X|\text{context}, Y=y) = H(X|Y=y)",
    assumptions=["Definition 3.12: p(x|context, Y=y) = p(x|Y=y) for all x"],
    by_definition="Definition 3.12 makes p(x|context, Y=y) and p(x|Y=y) one distribution",
)
def lemma_3_14(ctx) -> Finding:
    n = n_ok = 0
    for _p_y, h, h_c, labels in _context_instances():
        for y, lab in enumerate(labels):
            if lab == "irrelevant":
                n += 1
                n_ok += abs(h_c[y] - h[y]) < 1e-12
    # The proof's last line writes H(X|Y) for H(X|Y=y); they differ in general:
    p_y = np.array([0.5, 0.5])
    joint = np.stack([MENU[1], MENU[0]], axis=1) * p_y
    typo_gap = abs(D.conditional_entropy(joint) - _H(MENU[1]))
    checks = [check("irrelevant skills on the exhaustive grid keep their entropy", "exhaustive", "printed",
                    n_ok == n and n > 0, f"{n_ok}/{n}")]
    return Finding(checks, evidence=f"{n_ok}/{n} irrelevant (skill, context) pairs; note the proof's last step reads "
                                    f"'= H(X|Y)' where H(X|Y=y) is meant (they differ by {typo_gap:.3f} nats in a "
                                    "two-skill example)")


@claim(
    id="thm-3.15",
    paper_ref="Theorem 3.15",
    title="Influence of context prompts on performance",
    statement="Assume Y ~ p_skill and the context is only irrelevant or good (bad) for any skill; then prompting on "
              "this context will decrease (increase) conditional entropy: H(X|context, Y) < H(X|Y) (resp. >).",
    latex=r"H(X|\text{context}, Y) < H(X|Y)",
    assumptions=["every skill is irrelevant to or good for the context (resp. irrelevant or bad)"],
)
def theorem_3_15(ctx) -> Finding:
    stats = {"good": [0, 0, 0], "bad": [0, 0, 0]}  # instances, printed strict holds, corrected form holds
    example = None
    for p_y, h, h_c, labels in _context_instances():
        Hy, Hc = float(np.sum(p_y * h)), float(np.sum(p_y * h_c))
        for side in ("good", "bad"):
            if not all(lab in ("irrelevant", side) for lab in labels):
                continue
            s = stats[side]
            s[0] += 1
            strict = Hc < Hy - 1e-12 if side == "good" else Hc > Hy + 1e-12
            weak = Hc <= Hy + 1e-12 if side == "good" else Hc >= Hy - 1e-12
            active = any(lab == side and p_y[y] > 0 for y, lab in enumerate(labels))
            s[1] += strict
            s[2] += weak and (strict == active)
            if example is None and side == "good" and not strict:
                example = {"p_skill": p_y.tolist(), "labels": labels, "H_X_given_Y": Hy, "H_X_given_context_Y": Hc}
    g, b = stats["good"], stats["bad"]
    checks = [
        check("printed (strict): irrelevant-or-good contexts decrease H(X|Y)", "exhaustive", "printed", g[1] == g[0],
              f"fails in {g[0] - g[1]} of {g[0]} instances (no strict decrease); holds in the other {g[1]}",
              instances=g[0], strict=g[1]),
        check("printed (strict): irrelevant-or-bad contexts increase H(X|Y)", "exhaustive", "printed", b[1] == b[0],
              f"fails in {b[0] - b[1]} of {b[0]} instances (no strict increase); holds in the other {b[1]}",
              instances=b[0], strict=b[1]),
        check("corrected: weak inequality always; strict iff some good (bad) skill has p(y) > 0", "exhaustive",
              "correction", g[2] == g[0] and b[2] == b[0], f"{g[2]}/{g[0]} good-side and {b[2]}/{b[0]} bad-side "
                                                           "instances"),
    ]
    return Finding(
        checks,
        evidence=f"strict decrease fails in {g[0] - g[1]}/{g[0]} irrelevant-or-good instances: all skills irrelevant, "
                 "or the good skills have p(y) = 0",
        counterexample=example,
        correction=Correction(
            statement="If every skill is irrelevant or good (bad), H(X|context, Y) <= H(X|Y) (>=), with strict "
                      "inequality if and only if some good (bad) skill has p_skill(y) > 0.",
            latex=r"H(X|\text{context},Y) \le H(X|Y),\ \text{strict} \iff \exists y\ \text{good},\ p(y)>0",
            kind="degenerate case"),
    )


@claim(
    id="lemma-3.17",
    paper_ref="Lemma 3.17",
    title="Entropy minus conditional entropy is the average KL",
    statement="H(X) - H(X|Y) = sum_y p_Y(y) KL(p_X(.|y) || p_X).",
    latex=r"H(X) - H(X|Y) = \sum_y p_Y(y)\,\mathrm{KL}(p_X(\cdot|y)\,\|\,p_X)",
    assumptions=["discrete X and Y"],
    by_definition="both sides are I(X;Y) by the definitions of entropy and KL divergence",
)
def lemma_3_17(ctx) -> Finding:
    checks = []
    a, b, c = sp.symbols("a b c", positive=True)
    # A 2x2 joint: p(x1,y1)=a, p(x2,y1)=b, p(x1,y2)=c, p(x2,y2)=1-a-b-c.
    P = sp.Matrix([[a, c], [b, 1 - a - b - c]])
    px, py = [P[0, 0] + P[0, 1], P[1, 0] + P[1, 1]], [P[0, 0] + P[1, 0], P[0, 1] + P[1, 1]]
    HX = -sum(v * sp.log(v) for v in px)
    HXY = -sum(P[i, j] * sp.log(P[i, j] / py[j]) for i in range(2) for j in range(2))
    KL = sum(py[j] * sum((P[i, j] / py[j]) * sp.log((P[i, j] / py[j]) / px[i]) for i in range(2)) for j in range(2))
    diff = sp.simplify(sp.expand_log(HX - HXY - KL, force=True))
    checks.append(check("2x2 joint with symbolic entries: identity simplifies to 0", "symbolic", "printed", diff == 0,
                        f"difference = {diff}"))
    worst = 0.0
    for _ in range(300):
        nx, ny = int(ctx.rng.integers(1, 6)), int(ctx.rng.integers(1, 6))
        J = ctx.rng.dirichlet(np.ones(nx * ny)).reshape(nx, ny)
        J[ctx.rng.random(J.shape) < 0.3] = 0.0  # zero cells and zero-probability skills are edge cases
        if J.sum() == 0:
            continue
        J = J / J.sum()
        p_y, condm = D.conditional_distributions(J)
        p_x = J.sum(axis=1)
        rhs = sum(p_y[y] * D.kl_divergence(condm[:, y], p_x) for y in range(ny) if p_y[y] > 0)
        worst = max(worst, abs(D.entropy(p_x) - D.conditional_entropy(J) - rhs))
    checks.append(check("300 random joints with zero cells: |lhs - rhs|", "numeric", "printed", worst < 1e-12,
                        f"max error {worst:.2e}", max_abs_err=worst))
    return Finding(checks, evidence=f"symbolic on a 2x2 joint; 300 random joints with zeros, max error "
                                    f"{agreement(worst)} (the right side is the mutual information I(X;Y))")


@claim(
    id="thm-3.18",
    paper_ref="Theorem 3.18",
    title="Entropy and conditional entropy differ by a training-invariant constant",
    statement="Under Assumption 3.16 (KL(p_theta(.|y) || p_theta) does not depend on theta), H(X) = H(X|Y) + C with C "
              "independent of theta.",
    latex=r"H(X) = H(X|Y) + C,\quad \partial_\theta C = 0",
    assumptions=["Assumption 3.16", "p_skill does not depend on theta"],
    by_definition="Assumption 3.16 restated through Lemma 3.17",
)
def theorem_3_18(ctx) -> Finding:
    # A family satisfying 3.16 in which H(X) and H(X|Y) both move: X = (a, b), p(x|y) = q_y(a) r_theta(b).
    q = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])  # q_y(a)
    p_y = np.array([0.4, 0.6])
    diffs, hs = [], []
    for theta in np.linspace(0.05, 0.95, 10):
        r = np.array([theta, 1 - theta])
        joint = np.einsum("ya,b,y->aby", q, r, p_y).reshape(-1, 2)
        p_x = joint.sum(axis=1)
        diffs.append(D.entropy(p_x) - D.conditional_entropy(joint))
        hs.append(D.conditional_entropy(joint))
    spread, moved = float(np.ptp(diffs)), float(np.ptp(hs))
    checks = [check("theta-family satisfying Assumption 3.16: H(X) - H(X|Y) constant while H(X|Y) varies", "numeric",
                    "printed", spread < 1e-12 and moved > 0.1,
                    f"spread of H(X) - H(X|Y) over theta: {spread:.1e}; spread of H(X|Y): {moved:.3f}")]
    # Without the assumption (tempered conditionals q_y^theta) the difference moves.
    d2 = []
    for theta in np.linspace(0.5, 3, 6):
        qt = q**theta / (q**theta).sum(axis=1, keepdims=True)
        joint = (qt * p_y[:, None]).T
        d2.append(D.entropy(joint.sum(axis=1)) - D.conditional_entropy(joint))
    return Finding(checks, evidence=f"follows from Lemma 3.17; a family meeting 3.16 keeps the difference fixed "
                                    f"(spread {spread:.0e}); tempering the conditionals (violating 3.16) moves it by "
                                    f"{np.ptp(d2):.3f} nats. The constant C here is not Definition 3.4's C.")
