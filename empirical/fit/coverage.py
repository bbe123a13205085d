"""Section 3 (Theorems 3.7, 3.8): coverage of the interval methods of :mod:`empirical.fit.intervals`.

Synthetic data of known truth on designs shaped like each analysis of
:mod:`empirical.fit.analyses`; for each draw every interval method is computed on
the same data (and, per error model, the same bootstrap worlds), and the
study reports nominal vs actual coverage with its Monte Carlo standard error
√(p(1−p)/draws), the median interval width, and the widening factor that
would have given the nominal level.

Designs (``DESIGNS``)
---------------------
``params8``   the 8 Pythia v1 sizes (non-embedding N from ``params.csv``),
              L = E + A·N^-a with the l2 fit to the standard family's final
              checkpoints as truth, iid Gaussian log errors, σ = 0.02 (the real
              fits have rmse_log 0.02–0.04).
``steps15``   the 15 Pythia checkpoints of the default steps window (3000,
              13000, …, 143000), truth from the 2.8B curve, AR(1) log errors
              of marginal sd 0.015 with ρ = 0.5 or 0.8 (``steps15-r5``,
              ``steps15-r8``).
``frontier``  8 sizes × those 15 checkpoints of a joint-law surface (truth:
              the l2 joint fit to the standard family), iid σ = 0.01 per
              checkpoint; the lower envelope against C = 6·N·D (as the
              analysis takes it) is fitted as E + A·C^-a.
``joint250``  10 N × 25 D log-spaced grid (Chinchilla ranges), Hoffmann et
              al.'s fitted law as truth, iid σ = 0.02; α and β scored.

Each design comes ``well`` specified and ``mis``-specified: the reducible
term gets a running exponent, A·x^-a·exp(−κ(ln x − m)²/2) (local exponent
a + κ(ln x − m), m the design's mean ln x), with κ moving the local exponent
by about ±0.05–0.08 across the design while the misfit stays below the noise
(rmse of the noiseless misfit 0.04–0.2 σ; the frontier's envelope is not a
power law even with a well-specified surface).

What is "true"
--------------
Coverage is scored against the **pseudo-true** exponent: the fit of the
model to the noiseless truth on the same design (for the frontier: to the
envelope of the noiseless surface). It is what the estimator estimates as
noise vanishes, so it is the only target an interval can be calibrated for;
when the model is right it equals the generating exponent. For ``mis``
designs the table also scores the **generating** exponent (the running
exponent at the design's centre; for the frontier the continuous
compute-optimal exponent αβ/(α+β) of the surface), i.e. the model error that
no interval of this law can see.

Run: ``python -m empirical.fit.coverage [--draws 400] [--n-boot 1000] [--design NAME] [--out DIR]``.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tqdm.auto import tqdm

from infogeo.runner import ArgumentParser, exit_process, integer, output_dir, run
from infogeo.validation import ValidationError, positive_int

from . import intervals, laws, solver

__all__ = ["DESIGNS", "Design", "make_design", "run_study", "summarize", "binomial_band", "to_markdown",
           "main"]

DESIGNS = ("params8", "steps15-r5", "steps15-r8", "frontier", "joint250")
SPECS = ("well", "mis")
PYTHIA_V1 = ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b")
STEPS = np.r_[3000.0, np.arange(13000.0, 143001.0, 10000.0)]
TOKENS_PER_STEP = 2_097_152.0
# methods: (interval, resample); resample None for the profile-t
METHODS = {
    "params8": (("profile", None), ("profile-boot", "residual"), ("studentized", "residual"),
                ("percentile", "residual")),
    "steps15": (("profile", None), ("profile-boot", "ar1"), ("studentized", "ar1"), ("profile-boot", "block"),
                ("percentile", "block"), ("percentile", "residual")),
    "frontier": (("profile", None), ("profile-boot", "residual"), ("percentile", "residual")),
    "joint250": (("profile", None), ("percentile", "residual")),
}

@dataclass(frozen=True)
class Design:
    """One synthetic design: covariates, noiseless loss, error model and targets."""

    name: str
    spec: str
    X: np.ndarray            # (n, K) covariates of every point (for the frontier: of every checkpoint)
    mean: np.ndarray         # (n,) noiseless loss
    sigma: float             # marginal sd of the log errors
    rho: float               # AR(1) coefficient along the rows (0: iid)
    frontier: bool           # fit the lower envelope against C = 6·N·D
    generating: dict         # param -> generating value
    pseudo: dict             # param -> pseudo-true value (fit to the noiseless truth)
    methods: tuple

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.pseudo)


def _running(x, a, kappa, m):
    """x^-a·exp(−κ(ln x − m)²/2): a power term whose local exponent is a + κ(ln x − m)."""
    lx = np.log(x)
    return np.exp(-a * lx - 0.5 * kappa * (lx - m) ** 2)


def _pythia_N() -> np.ndarray:
    from empirical.fit.pythia import load_params

    p = load_params().set_index("size")
    return p.loc[list(PYTHIA_V1), "params_nonembedding"].to_numpy(np.float64)


def _envelope(C: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the lower envelope: points no point with less or equal compute beats (as the analysis)."""
    order = np.lexsort((y, C))
    best, keep = np.inf, []
    for i in order:
        if y[i] < best:
            best = y[i]
            keep.append(i)
    return np.array(keep)


def _fit_xy(d: Design, y: np.ndarray):
    """(x-arrays, y) that the analysis would fit for loss values y at the design's points."""
    if d.frontier:
        C = 6.0 * d.X[:, 0] * d.X[:, 1]
        keep = _envelope(C, y)
        return (C[keep],), y[keep]
    return tuple(d.X.T), y


def _pseudo_true(d_partial: dict) -> dict:
    """Fit of the model to the noiseless truth on the design (the fitter's own estimator, no noise)."""
    d = Design(**d_partial, pseudo={}, methods=())
    xs, y = _fit_xy(d, d.mean)
    fit = _point(xs, y)
    return {k: float(fit[k]) for k in d.generating}


def _point(xs, y) -> dict:
    fit = (laws.fit_power_law(xs[0], y, n_boot=0) if len(xs) == 1 else laws.fit_joint_law(xs[0], xs[1], y, n_boot=0))
    return fit.params


def make_design(name: str, spec: str) -> Design:
    """The design ``name`` (one of DESIGNS) with ``well`` or ``mis``-specified truth."""
    if name not in DESIGNS:
        raise ValidationError(f"name must be one of {DESIGNS}, got {name!r}")
    if spec not in SPECS:
        raise ValidationError(f"spec must be one of {SPECS}, got {spec!r}")
    mis = spec == "mis"
    if name == "params8":
        N = _pythia_N()
        E, A, a, kap = 0.95, 1814.4, 0.3626, (0.016 if mis else 0.0)
        m = np.log(N).mean()
        mean = E + A * np.exp(-a * m) * _running(N / np.exp(m), a, kap, 0.0)
        base = dict(X=N[:, None], mean=mean, sigma=0.02, rho=0.0, frontier=False, generating={"a": a})
    elif name.startswith("steps15"):
        E, A, a, kap = 1.3339, 207.9, 0.5586, (0.04 if mis else 0.0)
        m = np.log(STEPS).mean()
        mean = E + A * np.exp(-a * m) * _running(STEPS / np.exp(m), a, kap, 0.0)
        rho = 0.5 if name.endswith("r5") else 0.8
        base = dict(X=STEPS[:, None], mean=mean, sigma=0.015, rho=rho, frontier=False, generating={"a": a})
    elif name == "frontier":
        N = np.repeat(_pythia_N(), STEPS.size)
        D = np.tile(STEPS * TOKENS_PER_STEP, PYTHIA_V1.__len__())
        E, A, al, B, be, kap = 0.6802, 1084.77, 0.3384, 566320.0, 0.55, (0.03 if mis else 0.0)
        mD = np.log(D).mean()
        mean = E + A * N ** -al + B * np.exp(-be * mD) * _running(D / np.exp(mD), be, kap, 0.0)
        base = dict(X=np.column_stack([N, D]), mean=mean, sigma=0.01, rho=0.0, frontier=True,
                    generating={"a": al * be / (al + be)})
    else:
        N = np.repeat(np.geomspace(7e7, 1.6e10, 10), 25)
        D = np.tile(np.geomspace(5e9, 5e11, 25), 10)
        E, A, al, B, be, kap = 1.69, 406.4, 0.34, 410.7, 0.28, (0.02 if mis else 0.0)
        mN, mD = np.log(N).mean(), np.log(D).mean()
        mean = (E + A * np.exp(-al * mN) * _running(N / np.exp(mN), al, kap, 0.0)
                + B * np.exp(-be * mD) * _running(D / np.exp(mD), be, kap, 0.0))
        base = dict(X=np.column_stack([N, D]), mean=mean, sigma=0.02, rho=0.0, frontier=False,
                    generating={"alpha": al, "beta": be})
    base = dict(name=name, spec=spec, **base)
    return Design(**base, pseudo=_pseudo_true(base), methods=METHODS[name.split("-")[0]])


def _errors(d: Design, rng: np.random.Generator) -> np.ndarray:
    """Log errors of one draw: iid or AR(1) along the rows (stationary start), marginal sd sigma."""
    n = d.mean.size
    e = rng.standard_normal(n)
    if d.rho:
        out = np.empty(n)
        out[0] = e[0]
        for t in range(1, n):
            out[t] = d.rho * out[t - 1] + math.sqrt(1 - d.rho ** 2) * e[t]
        e = out
    return d.sigma * e


# --------------------------------------------------------------------------- one draw
def _needed_factor(est, lo, hi, truth):
    """Smallest widening of [lo, hi] about est (each side scaled) that covers truth."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.nan
    if truth == est:
        return 0.0
    side = (est - lo) if truth < est else (hi - est)
    return abs(truth - est) / side if side > 0 else np.inf


def _profile_factor(R_truth, q_lo, q_hi):
    """Smallest c with c·q_lo ≤ R(truth) ≤ c·q_hi (the profile interval widened by c covers truth)."""
    if R_truth >= 0:
        return R_truth / q_hi if q_hi > 0 else np.inf
    return R_truth / q_lo if q_lo < 0 else np.inf


def _method_rows(d, dz, th, ssr, se, js, R_t, boots, rng, n_boot, conf):
    """One row per (method, scored parameter) for one draw."""
    q = (1 - conf) / 2
    rows = []
    for interval, resample in d.methods:
        label = interval if resample is None else f"{interval}/{resample}"
        use = None
        if interval != "profile":
            if resample not in boots:
                block = max(2, math.ceil(dz.n ** (1 / 3)))
                boots[resample] = intervals._bootstrap(dz, th, resample, n_boot, rng, block, list(js.values()))
            boot = boots[resample]
            use = np.isin(boot.status, (solver._OK, solver._AT_BOUND))
        if interval in ("profile", "profile-boot"):
            refs = {j: (None if interval == "profile" else boots[resample].R[j][use]) for j in js.values()}
            lims, _ = intervals._profile_intervals(dz, th, ssr, se, refs, conf, 1.0, 0)
        else:
            lims, _ = intervals._boot_intervals(interval, dz, th, boots[resample], use, se, conf, 1.0)
        for nm, j in js.items():
            lo, hi = lims[j]
            if interval == "profile":
                q_lo, q_hi = stats.t.ppf([q, 1 - q], dz.n - dz.p)
            elif interval == "profile-boot":
                q_lo, q_hi = np.quantile(refs[j], [q, 1 - q])
            c = [(_profile_factor(R, q_lo, q_hi) if interval.startswith("profile")
                  else _needed_factor(th[j], lo, hi, t)) for R, t in zip(R_t[nm], (d.pseudo[nm], d.generating[nm]))]
            inside = solver.EXP_BOUNDS[0] * (1 + 1e-6) < lo and hi < solver.EXP_BOUNDS[1] * (1 - 1e-6)
            ok_frac = float(np.mean(use)) if use is not None else np.nan
            rows.append({"method": label, "param": nm, "estimate": th[j], "ci_low": lo, "ci_high": hi,
                         "pseudo_true": d.pseudo[nm], "generating": d.generating[nm],
                         "c_pseudo": c[0], "c_generating": c[1], "usable": bool(inside and ok_frac >= 0.9
                                                                               if use is not None else inside),
                         "boot_ok_frac": ok_frac})
    return rows


def _one_draw(d: Design, seed: int, n_boot: int, conf: float) -> list[dict]:
    rng = np.random.default_rng(seed)
    y = d.mean * np.exp(_errors(d, rng))
    xs, yf = _fit_xy(d, y)
    dz, _ = solver._make_design(np.column_stack(xs), yf)
    th, ssr, st = solver._point_fit(dz)
    base = {"design": d.name, "spec": d.spec, "seed": seed, "n": dz.n, "status": solver.STATUSES[st]}
    names, idx = solver._names(dz.K)
    js = {nm: idx[names.index(nm)] for nm in d.params}
    if st == solver._NO_PL:
        return [{**base, "method": (iv if rs is None else f"{iv}/{rs}"), "param": nm, "estimate": th[j],
                 "ci_low": np.nan, "ci_high": np.nan, "pseudo_true": d.pseudo[nm], "generating": d.generating[nm],
                 "c_pseudo": np.nan, "c_generating": np.nan, "usable": False, "boot_ok_frac": np.nan}
                for iv, rs in d.methods for nm, j in js.items()]
    se = solver._wald_se(dz, th[None], np.array([ssr]))[0]
    R_t = {}
    for nm, j in js.items():
        vals = np.array([d.pseudo[nm], d.generating[nm]])
        f, _, _ = solver._profile(dz, np.broadcast_to(dz.logy, (2, dz.n)), j, vals, np.broadcast_to(th, (2, dz.p)))
        R_t[nm] = intervals._signed_root(dz, th[j], ssr, vals, f)
    rows = _method_rows(d, dz, th, ssr, se, js, R_t, {}, rng, n_boot, conf)
    return [{**base, **r} for r in rows]


def _draw_seed(seed: int, name: str, spec: str, i: int) -> int:
    return int(np.random.SeedSequence([seed, zlib.crc32(name.encode()), SPECS.index(spec), i]).generate_state(1)[0])


def run_study(designs=DESIGNS, specs=SPECS, *, draws: int = 400, n_boot: int = 1000, seed: int = 0,
              conf: float = 0.95, methods: tuple | None = None, progress: bool = True) -> pd.DataFrame:
    """Per-draw results: one row per (design, spec, draw, method, parameter).

    Columns: ``design, spec, seed, n, status, method, param, estimate,
    ci_low, ci_high, pseudo_true, generating, c_pseudo, c_generating, usable,
    boot_ok_frac``; ``ci_*`` are the limits the fitter's own interval code
    returns (coverage is read from them), ``c_*`` the smallest widening
    factor at which the draw's interval covers the pseudo-true / generating
    value (c ≤ 1 iff covered, up to the root-finder's tolerance). Each draw
    has its own seed (from ``seed``, the design and the draw index), so
    designs can run in any order or in parallel. ``methods``
    ((interval, resample) pairs) replaces each design's own list.
    """
    laws._check_options("profile", "residual", n_boot, conf, seed, None, 1.0)
    positive_int(draws, "draws")
    for name in designs:
        if name not in DESIGNS:
            raise ValidationError(f"designs must be drawn from {DESIGNS}, got {name!r}")
    for spec in specs:
        if spec not in SPECS:
            raise ValidationError(f"specs must be drawn from {SPECS}, got {spec!r}")
    rows = []
    for name in designs:
        for spec in specs:
            d = make_design(name, spec)
            if methods is not None:
                d = replace(d, methods=tuple(methods))
            nb = n_boot if name != "joint250" else min(n_boot, 300)
            for i in tqdm(range(draws), desc=f"{name}/{spec}", disable=not progress, leave=False):
                rows += _one_draw(d, _draw_seed(seed, name, spec, i), nb, conf)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- summary
def binomial_band(draws: int, p: float = 0.95, level: float = 0.99) -> tuple[int, int]:
    """Two-sided acceptance region [lo, hi] for the number of covering draws of a level-p interval.

    P(X < lo) ≤ (1 − level)/2 and P(X > hi) ≤ (1 − level)/2 for X ~ Binomial(draws, p).
    """
    from scipy.stats import binom

    t = (1 - level) / 2
    return int(binom.ppf(t, draws, p)), int(binom.ppf(1 - t, draws, p))


def _verdict(cov: float, se: float, conf: float) -> str:
    lo, hi = conf - 0.02, conf + 0.02
    if lo <= cov <= hi:
        return "calibrated"
    return "under-covers" if cov < lo else "conservative"


def summarize(df: pd.DataFrame, conf: float = 0.95) -> pd.DataFrame:
    """Coverage table: one row per (design, spec, method, param).

    Columns: ``design, spec, method, param, draws, no_interval, nominal,
    coverage, mc_se, coverage_generating, median_width, usable_frac,
    coverage_usable, widen_needed`` (the factor at which the intervals would
    have covered at the nominal level; 1 when they already do) and
    ``verdict`` (calibrated: coverage within nominal ± 2 points; else
    under-covers / conservative).
    """
    rows = []
    for (design, spec, method, param), g in df.groupby(["design", "spec", "method", "param"], sort=False):
        has = (g["ci_low"].notna() & g["ci_high"].notna()).to_numpy()
        g = g[has]
        c = g["c_pseudo"].to_numpy(float)
        hit = ((g["ci_low"] <= g["pseudo_true"]) & (g["pseudo_true"] <= g["ci_high"])).to_numpy()
        hit_gen = ((g["ci_low"] <= g["generating"]) & (g["generating"] <= g["ci_high"])).to_numpy()
        k = hit.size
        cov = float(hit.mean()) if k else np.nan
        se = math.sqrt(cov * (1 - cov) / k) if k else np.nan
        u = g["usable"].to_numpy(bool)
        rows.append({
            "design": design, "spec": spec, "method": method, "param": param, "draws": int(has.size),
            "no_interval": int((~has).sum()), "nominal": conf, "coverage": cov, "mc_se": se,
            "coverage_generating": float(hit_gen.mean()) if k else np.nan,
            "median_width": float(np.median(g["ci_high"] - g["ci_low"])) if k else np.nan,
            "usable_frac": float(u.mean()) if k else np.nan,
            "coverage_usable": float(hit[u].mean()) if u.any() else np.nan,
            "widen_needed": float(max(1.0, np.quantile(c, conf))) if k else np.nan,
            "verdict": _verdict(cov, se, conf) if k else "no intervals",
        })
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame) -> str:
    """The coverage table as Markdown (percentages with their Monte Carlo error)."""
    head = ("| design | truth | method | param | draws | coverage ± MC se | vs generating | median width | "
            "usable | widen needed | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in table.itertuples():
        gen = "" if r.spec == "well" and r.design != "frontier" else f"{100 * r.coverage_generating:.1f}%"
        lines.append(f"| {r.design} | {r.spec} | {r.method} | {r.param} | {r.draws - r.no_interval} | "
                     f"{100 * r.coverage:.1f} ± {100 * r.mc_se:.1f}% | {gen} | {r.median_width:.3f} | "
                     f"{100 * r.usable_frac:.0f}% | {r.widen_needed:.2f} | {r.verdict} |")
    return head + "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """``python -m empirical.fit.coverage``: run the study and print its table (through :func:`infogeo.runner.run`)."""
    return run("python -m empirical.fit.coverage", _main, argv)


def _main(argv: list[str]) -> int:
    ap = ArgumentParser(prog="python -m empirical.fit.coverage", description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=integer(1), default=400)
    ap.add_argument("--n-boot", type=integer(0), default=1000)
    ap.add_argument("--seed", type=integer(0, scientific=False), default=0)
    ap.add_argument("--design", action="append", choices=DESIGNS, help="repeatable; default all")
    ap.add_argument("--spec", action="append", choices=SPECS, help="repeatable; default both")
    ap.add_argument("--out", default=None, help="folder for draws.csv and coverage.csv")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    out = output_dir(args.out, "--out") if args.out else None
    df = run_study(tuple(args.design or DESIGNS), tuple(args.spec or SPECS), draws=args.draws,
                   n_boot=args.n_boot, seed=args.seed, progress=not args.quiet)
    table = summarize(df)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        df.to_csv(out / "draws.csv", index=False)
        table.to_csv(out / "coverage.csv", index=False)
    print(to_markdown(table))
    return 0


if __name__ == "__main__":
    exit_process(main())
