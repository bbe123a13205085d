"""Section 3 (Lemma 3.6, Theorems 3.7 and 3.8): ``python -m simulate`` command line.

    python -m simulate --alpha 0.5 --skills 1000000 --order sequential --json
    python -m simulate --assumptions simulate/examples/sqrt_cost.toml --json
    python -m simulate sweep --alphas 0.3 0.5 1.0 --orders sequential parallel --seeds 0 1 2 --out sweep.csv
    python -m simulate graph --alpha 0.5 --skills 1000000 --edges 10000000 --json
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from infogeo.runner import (
    ArgumentParser,
    UsageError,
    exit_process,
    integer,
    json_records,
    json_value,
    number,
    output_file,
    run,
)
from infogeo.validation import ValidationError

_ORDER_HELP = "learning order: sequential, parallel, random, k_at_a_time (with --k), or any registered name"


_Parser = ArgumentParser  # usage errors raise UsageError; infogeo.runner prints one line and exits 2


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--skills", "-M", type=integer(2), default=None,
                   help="number of skills M (default 10^6, sweep 10^5)")
    p.add_argument("--B", type=number("finite"), default=None,
                   help="initial conditional entropy per skill (default 2.0)")
    p.add_argument("--C", type=number("finite"), default=None, help="comprehended conditional entropy (default 1.0)")
    p.add_argument("--delta", type=number("positive"), default=None, help="entropy drop per hit (default 0.1)")
    p.add_argument("--delta-noise", type=number("nonnegative"), default=None,
                   help="sd of log-normal noise on delta per skill")
    p.add_argument("--capacity", type=integer(1), default=None, help="capacity limit N/r in skills (<= M)")
    p.add_argument("--r", type=number("positive"), default=None, help="parameters per skill (N = r n; default 100)")
    p.add_argument("--k", type=integer(1), default=4, help="batch size for --order k_at_a_time (<= M)")
    p.add_argument("--mode", choices=("expected", "stochastic"), default="expected")
    p.add_argument("--replicates", type=integer(2), default=8, help="stochastic runs per setting (mode stochastic)")
    p.add_argument("--window", type=integer(1), nargs=2, metavar=("N_LO", "N_HI"), default=None,
                   help="fit window in skills comprehended (default 100 .. M/10; N_HI <= M, >= 6 skills)")
    p.add_argument("--estimator", choices=("offset", "pure"), default="offset")
    p.add_argument("--n-boot", type=integer(0), default=200, help="block-bootstrap resamples (expected mode)")
    p.add_argument("--points", type=integer(3), default=400, help="log-grid points per axis")
    p.add_argument("--no-progress", action="store_true")


#: How the library's argument names read on this command line (messages name the option a user typed).
OPTION_NAMES = {"M": "--skills", "points": "--points", "hits": "--skills x (B-C)/--delta hit events",
                "replicates": "--replicates", "n_boot": "--n-boot"}


def _source(args, attr: str, option: str, key: str) -> tuple[str, str]:
    """(how a message names a model value, the same followed by its value's lead-in): the option when it was given
    on the command line or defaulted there, else the key of the --assumptions file it came from."""
    path = getattr(args, "assumptions", None)
    if getattr(args, attr, None) is not None or not path:
        return option, option
    return f"{key} in {str(path)!r}", f"{str(path)!r}: {key} ="


def _option_names(args) -> dict[str, str]:
    """OPTION_NAMES, with the model values that came from the --assumptions file named by its keys."""
    m, m_value = _source(args, "skills", "--skills", "M")
    b, c, delta = (opt if getattr(args, attr, None) is not None else attr for attr, opt in
                   (("B", "--B"), ("C", "--C"), ("delta", "--delta")))  # a model value, wherever it came from
    return {**OPTION_NAMES, "M": m_value, "hits": f"{m} x ({b} - {c})/{delta} hit events"}


def _check(a, args) -> None:
    """Checks that need the assumptions, with the options' names, before any run starts."""
    from .compare import MIN_WINDOW_SKILLS, exponents_memory
    from .dynamics import check_terms
    from .fitting import default_window

    n_learned = a.M if a.capacity is None else a.capacity
    name, lead = _source(args, "skills", "--skills", "M") if a.capacity is None else \
        _source(args, "capacity", "--capacity", "capacity")
    by = f"{lead} {n_learned}"  # the value where the user gave it: an option or a key of the --assumptions file
    need = MIN_WINDOW_SKILLS
    if args.window:
        lo, hi = args.window
        if not lo < hi:
            raise UsageError(f"--window N_LO N_HI needs N_LO < N_HI, got {lo} {hi}")
        if hi > n_learned:
            raise UsageError(f"--window N_HI={hi} exceeds the {n_learned} skills a run comprehends ({by})")
        if hi - lo + 1 < need:
            raise UsageError(f"--window {lo} {hi} holds {hi - lo + 1} skill counts; a fit needs >= {need} "
                             f"(N_HI - N_LO >= {need - 1})")
    else:
        lo, hi = default_window(a.M, n_learned)
        if hi - lo + 1 < need:
            raise UsageError(f"{by}: the default fit window {lo}..{hi} skills (N_HI = a tenth of the {n_learned} "
                             f"skills learned) holds {hi - lo + 1} skill counts and a fit needs >= {need}; use "
                             f"{name} >= {10 * need} or --window N_LO N_HI with N_HI - N_LO >= {need - 1} and "
                             f"N_HI <= {n_learned}")
    check_terms(*exponents_memory(a, mode=args.mode, replicates=args.replicates, points=args.points,
                                   n_boot=args.n_boot), _option_names(args))


def _order_spec(name: str, k: int):
    return {"name": "k_at_a_time", "k": k} if name == "k_at_a_time" else name


def _check_counts(args, order, default_M: int = 10**6) -> None:
    """--capacity and --k against --skills, by option name, before the assumptions are built."""
    M = args.skills if args.skills is not None else (None if getattr(args, "assumptions", None) else default_M)
    if M is None:
        return  # M comes from the file: the assumptions check it and name its keys
    if args.capacity is not None and args.capacity > M:
        raise UsageError(f"--capacity {args.capacity} exceeds --skills {M} (a learner cannot hold more skills "
                         "than exist)")
    if order == "k_at_a_time" and args.k > M:
        raise UsageError(f"--k {args.k} exceeds --skills {M} (a batch of all skills is --order parallel)")


def _assumptions(args, alpha, order, cost):
    from .assumptions import Assumptions, load_toml
    from .laws import PowerLaw

    _check_counts(args, order)

    model = {f: getattr(args, f) for f in ("B", "C", "delta", "capacity", "r")}
    model["delta_noise"] = args.delta_noise
    model["M"] = args.skills
    if getattr(args, "assumptions", None):
        over = {k: v for k, v in model.items() if v is not None}
        if alpha is not None:
            over["law"] = PowerLaw(alpha)
        if order is not None:
            over["order"] = _order_spec(order, args.k)
        if cost is not None:
            over["cost"] = cost
        return load_toml(args.assumptions, **over)
    if alpha is None:
        raise ValidationError("--alpha is required unless --assumptions gives a [law]")
    kw = {k: v for k, v in model.items() if v is not None}
    kw.setdefault("M", 10**6)
    return Assumptions(law=PowerLaw(alpha), order=_order_spec("sequential" if order is None else order, args.k),
                       cost="inverse_p" if cost is None else cost, **kw)  # '' is refused, not defaulted


ESTIMATOR_DOC = (
    "log(H-C) = log(A x^-a - b) fitted by least squares in log space on the fit window "
    "(n_lo <= skills comprehended <= n_hi); b absorbs the finite-M offset of the skill tail. "
    "Intervals: expected mode = misfit interval, a moving-block bootstrap of log-residuals over the log grid "
    "(misfit of the form of a deterministic curve, not a confidence interval); stochastic mode = 2.5-97.5 "
    "percentiles over R >= 40 replicate seeds, or their range for fewer. Agreement (simulate.agreement): "
    "within the tolerance of the M = infinity prediction and, in expected mode where theory has the exact "
    "finite-M curve, within 1e-3 of its exponent; only rows a wrong dynamics could move are counted."
)


def _run_single(argv) -> int:
    from .agreement import agreement_summary
    from .compare import exponents

    p = _Parser(prog="python -m simulate", description="Simulate the skill model of Section 3 and fit its exponents.")
    p.add_argument("--alpha", type=number("positive"), default=None, help="power-law alpha of p_k ∝ k^-(alpha+1)")
    p.add_argument("--order", default=None, help=_ORDER_HELP)
    p.add_argument("--cost", default=None, help="cost of a skill: inverse_p (Theorem 3.8), constant, or registered")
    p.add_argument("--assumptions", default=None, help="TOML file of assumptions (see docs/simulate.md)")
    p.add_argument("--seed", type=integer(0), default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", default=None, help="also write the exponents table to this CSV")
    _model_args(p)
    args = p.parse_args(argv)
    if args.csv:
        output_file(args.csv, "--csv")
    a = _assumptions(args, args.alpha, args.order, args.cost)
    _check(a, args)
    t0 = time.perf_counter()
    df = exponents(a, mode=args.mode, seed=args.seed, replicates=args.replicates,
                   window=tuple(args.window) if args.window else None, estimator=args.estimator,
                   n_boot=args.n_boot, points=args.points, progress=not args.no_progress)
    elapsed = time.perf_counter() - t0
    if args.csv:
        df.to_csv(args.csv, index=False)
    if args.json:
        out = {
            "assumptions": a.describe(),
            "mode": args.mode,
            "seed": args.seed,
            "estimator": {"name": args.estimator, "description": ESTIMATOR_DOC,
                          "window_skills": [int(df["window_n_lo"].iloc[0]), int(df["window_n_hi"].iloc[0])]},
            "exponents": json_records(df),
            "agreement": agreement_summary(df),
            "all_agree": agreement_summary(df)["all_agree"],
            "elapsed_s": round(elapsed, 3),
        }
        print(json.dumps(out, indent=2, default=str))
    else:
        cols = ["axis", "fitted", "ci_low", "ci_high", "predicted", "rel_error", "reference_rel_error", "evidence",
                "agrees", "fit_window_lo", "fit_window_hi"]
        print(f"assumptions: {json.dumps(a.describe(), default=str)}")
        print(df[cols].to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        print(f"({elapsed:.2f} s; window in skills {df['window_n_lo'].iloc[0]}..{df['window_n_hi'].iloc[0]})")
    return 0


def _run_sweep(argv) -> int:
    from .compare import sweep

    p = _Parser(prog="python -m simulate sweep", description="Exponents over a grid alpha × order × cost × seed; tidy "
                                                             "CSV.")
    p.add_argument("--alphas", type=number("positive"), nargs="+", required=True)
    p.add_argument("--orders", nargs="+", default=["sequential", "parallel"], help=_ORDER_HELP)
    p.add_argument("--costs", nargs="+", default=["inverse_p"])
    p.add_argument("--seeds", type=integer(0), nargs="+", default=[0])
    p.add_argument("--out", default=None, help="CSV path (default: print CSV to stdout)")
    p.add_argument("--json", action="store_true", help="print the table as JSON records instead of CSV")
    _model_args(p)
    args = p.parse_args(argv)
    if args.out:
        output_file(args.out, "--out")
    base = {f: getattr(args, f) for f in ("B", "C", "delta", "capacity", "r")}
    base["delta_noise"] = args.delta_noise
    base = {k: v for k, v in base.items() if v is not None}
    _check_sweep(args, base)
    df = sweep(args.alphas, [_order_spec(o, args.k) for o in args.orders], args.seeds, costs=args.costs,
               M=args.skills or 100_000, mode=args.mode, base=base, progress=not args.no_progress,
               replicates=args.replicates, window=tuple(args.window) if args.window else None,
               estimator=args.estimator, n_boot=args.n_boot, points=args.points)
    if args.out:
        df.to_csv(args.out, index=False)
        print(f"wrote {len(df)} rows to {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps(json_records(df), indent=1, default=str))
    elif not args.out:
        print(df.to_csv(index=False), end="")
    return 0


#: Peak bytes a sweep holds per grid point (its exponents table, 3-4 rows x 29 columns, kept until the final
#: concatenation, and the concatenated copy): measured 19 KB with tracemalloc (2,000 tables, pandas 2), rounded up.
SWEEP_BYTES_PER_POINT = 24_000


def _check_sweep(args, base) -> None:
    """Every order and cost of the grid with the first alpha: the same checks as a single run, named by option;
    a value given twice in a list is refused (it would duplicate rows); the grid's own tables get an estimate."""
    from .assumptions import Assumptions, make
    from .compare import exponents_memory
    from .dynamics import check_terms
    from .laws import PowerLaw

    for option, values in (("--alphas", args.alphas), ("--orders", args.orders), ("--costs", args.costs),
                           ("--seeds", args.seeds)):
        seen = set()
        for v in values:
            if v in seen:
                raise UsageError(f"{option} lists {v:g} twice" if isinstance(v, float) else
                                 f"{option} lists {v} twice")
            seen.add(v)
    grid = len(args.alphas) * len(args.orders) * len(args.costs) * len(args.seeds)
    for o in args.orders:
        _check_counts(args, o, 100_000)
        for c in args.costs:
            a = Assumptions(law=PowerLaw(args.alphas[0]), M=args.skills or 100_000,
                            order=make("order", _order_spec(o, args.k)), cost=make("cost", c), **base)
            _check(a, args)
            terms, values = exponents_memory(a, mode=args.mode, replicates=args.replicates, points=args.points,
                                             n_boot=args.n_boot)
            check_terms({**terms, "grid": SWEEP_BYTES_PER_POINT * grid}, {**values, "grid": grid},
                        {**_option_names(args), "grid": "--alphas x --orders x --costs x --seeds grid of"})
    for alpha in args.alphas:  # every law of the grid, before the first run (one alpha's may underflow)
        try:
            PowerLaw(alpha).probabilities(args.skills or 100_000)
        except ValidationError as exc:
            raise UsageError(f"--alphas {alpha:g}: {exc}") from None


def _run_graph(argv) -> int:
    from .graph import fit_alpha, skill_graph

    p = _Parser(prog="python -m simulate graph", description="Draw a text-skill graph and recover alpha from its "
                                                             "degrees.")
    p.add_argument("--alpha", type=number("positive"), required=True)
    p.add_argument("--skills", "-M", type=integer(2), default=10**6)
    p.add_argument("--edges", type=integer(1), default=10**7)
    p.add_argument("--texts", type=integer(1), default=None)
    p.add_argument("--seed", type=integer(0), default=0)
    p.add_argument("--model", choices=("poisson_zipf", "power"), default="poisson_zipf")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    from .dynamics import check_terms
    from .graph import graph_memory

    check_terms(*graph_memory(args.skills, args.edges, args.texts), {"M": "--skills", "n_edges": "--edges"})
    t0 = time.perf_counter()
    g = skill_graph(args.alpha, args.skills, args.edges, n_texts=args.texts, seed=args.seed)
    t_graph = time.perf_counter() - t0
    try:
        f = fit_alpha(g.degrees, model=args.model)
    except ValidationError as exc:  # too few or non-Zipf degrees: say which options made the graph
        raise UsageError(f"alpha cannot be recovered from this graph (--alpha {args.alpha:g}, --skills {args.skills}, "
                         f"--edges {args.edges}): {exc}; more --edges give more skills a degree") from None
    fit = {("alpha_hat" if k == "alpha" else k): json_value(v) for k, v in f.as_dict().items()}
    out = {"alpha_true": args.alpha, "M": args.skills, "edges": args.edges, "texts": g.adjacency.shape[0],
           "seed": args.seed, "graph_s": round(t_graph, 3), **fit,
           "within_ci": bool(f.ci_low <= args.alpha <= f.ci_high)}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k:>15}: {v}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "neural":  # torch-based; see simulate/neural and docs/neural.md
        from .neural.cli import main as neural_main

        return neural_main(argv[1:])
    sub = {"sweep": ("python -m simulate sweep", _run_sweep), "graph": ("python -m simulate graph", _run_graph)}
    prog, impl = sub.get(argv[0], (None, None)) if argv else (None, None)
    if impl is not None:
        return run(prog, impl, argv[1:])
    return run("python -m simulate", _run_single, argv)


if __name__ == "__main__":
    exit_process(main())
