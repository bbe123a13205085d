"""``python -m theory [--json] [--claim ID] [--seed N] [--list]``: run the claim catalogue.

Exit status 0 when every check ran (a ``refuted`` or ``corrected`` verdict is a
result, not a failure); 1 if a check crashed; 2 on bad arguments.
"""
from __future__ import annotations

import json
import sys
import textwrap

from infogeo.runner import ArgumentParser, exit_process, integer, run

from .catalogue import ORIGINS, registry, run_all, run_claim

JSON_KEYS = ("id", "origin", "paper_ref", "title", "statement", "verdict", "evidence", "correction")


def _table(records) -> str:
    w_id = max(len(r.id) for r in records)
    w_v = max(len(str(r.verdict)) for r in records)
    lines = [f"{'claim':<{w_id}}  {'verdict':<{w_v}}  evidence", "-" * 100]
    for r in records:
        ev = textwrap.wrap(r.evidence, 100 - w_id - w_v - 4) or [""]
        lines.append(f"{r.id:<{w_id}}  {str(r.verdict):<{w_v}}  {ev[0]}")
        lines += [" " * (w_id + w_v + 4) + e for e in ev[1:]]
        if r.correction:
            text = f"correction ({r.correction['kind']}): {r.correction['statement']}"
            lines += [" " * (w_id + w_v + 4) + e for e in textwrap.wrap(text, 100 - w_id - w_v - 4)]
    lines.append("-" * 100)
    for origin in ORIGINS:
        counts = {}
        for r in records:
            if r.origin == origin:
                counts[r.verdict] = counts.get(r.verdict, 0) + 1
        if counts:
            lines.append(f"{origin} claims: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run("python -m theory", _main, argv)


def _main(argv: list[str]) -> int:
    ap = ArgumentParser(prog="python -m theory", description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print a JSON array of claim records")
    ap.add_argument("--claim", metavar="ID", help="run one claim by id (see --list)")
    ap.add_argument("--list", action="store_true", help="list claim ids and paper references")
    ap.add_argument("--seed", type=integer(0, scientific=False), default=0,
                    help="seed of the random instances (default 0)")
    args = ap.parse_args(argv)
    if args.list:
        for spec in registry().values():
            print(f"{spec.id:24s} {spec.paper_ref:50s} {spec.title}")
        return 0
    records = [run_claim(args.claim, args.seed)] if args.claim is not None else run_all(args.seed, progress=False)
    if args.json:
        # The keys first, then the rest of the record (latex, sympy, assumptions, checks, ...).
        out = [{**{k: getattr(r, k) for k in JSON_KEYS}, **r.to_dict()} for r in records]
        print(json.dumps(out, indent=2))
    else:
        print(_table(records))
    crashed = [r for r in records if r.error]
    for r in crashed:
        print(f"\nclaim {r.id} crashed:\n{r.error}", file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    exit_process(main())
