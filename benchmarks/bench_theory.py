"""Time of every claim of the catalogue (target: the whole catalogue under 30 s on 2 cores).

    python benchmarks/bench_theory.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import time

from theory.catalogue import registry, run_claim


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ids = list(registry())
    best = {}
    t_all = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for cid in ids:
            rec = run_claim(cid)
            best[cid] = min(best.get(cid, float("inf")), rec.seconds)
        t_all.append(time.perf_counter() - t0)
    print(f"{'claim':24s} {'best of ' + str(args.repeat) + ' (s)':>16s}")
    for cid in sorted(ids, key=best.get, reverse=True):
        print(f"{cid:24s} {best[cid]:16.3f}")
    total = min(t_all)
    print(f"\nwhole catalogue: best {total:.2f} s, worst {max(t_all):.2f} s over {args.repeat} runs "
          f"(target < 30 s): {'OK' if total < 30 else 'OVER BUDGET'}")


if __name__ == "__main__":
    main()
