"""What pinning torch's CPU kernels costs and changes: a mini-Pythia training step and a float64 forward pass.

    python benchmarks/bench_kernel_pins.py [--size 1.8m] [--steps 8] [--threads 2]

`python -m reports` and `infogeo minipythia` pin torch's three CPU kernel libraries to one code path
(``infogeo.TORCH_KERNEL_PINS``: ATen generic, MKL's reproducible COMPATIBLE branch, oneDNN capped at SSE4.1) so the
family and the report's tables do not depend on the machine. This benchmark runs the same seeded work in fresh
processes with the machine's own kernels (nothing pinned), with each pin alone and with all three, and prints the
time per step (median of ``--steps``), the ratio against the unpinned run measured in the same invocation, and a
digest of the weights after the steps (and of the forward pass's logits): a digest that differs from the unpinned
one shows that the pin changes which code runs on this CPU. Each row is one process, run one after another.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from infogeo import TORCH_KERNEL_PINS

_CHILD = r"""
import hashlib, json, statistics, sys, time
import numpy as np, torch
from empirical.minipythia import DEFAULT_CONFIG
from empirical.minipythia.train import build_model, fixed_threads
size, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = DEFAULT_CONFIG
ids = torch.from_numpy(np.random.default_rng(0).integers(0, cfg.vocab_size, (cfg.batch_size, cfg.context_length)))
with fixed_threads(threads):
    model = build_model(cfg.size(size), cfg, 0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times = []
    for _ in range(steps + 1):
        t = time.perf_counter()
        logits = model(ids).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, cfg.vocab_size), ids[:, 1:].reshape(-1))
        opt.zero_grad(); loss.backward(); opt.step()
        times.append(time.perf_counter() - t)
    weights = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()[:12]
    model = model.double().eval()
    t = time.perf_counter()
    with torch.no_grad():
        out = model(ids).logits
    forward = time.perf_counter() - t
print(json.dumps({"step_s": statistics.median(times[1:]), "weights": weights, "forward64_s": forward,
                  "logits64": hashlib.sha256(out.numpy().tobytes()).hexdigest()[:12],
                  "capability": str(torch.backends.cpu.get_cpu_capability())}))
"""


def _run(env_pins: dict, args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TORCH_KERNEL_PINS}
    env.update(env_pins)
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", _CHILD, args.size, str(args.steps), str(args.threads)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1.8m", help="mini-Pythia size (default: the largest, 1.8m)")
    ap.add_argument("--steps", type=int, default=8, help="timed training steps (default 8)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2, the recipe's)")
    args = ap.parse_args()
    print(f"size {args.size}, {args.steps} steps, {args.threads} threads, cpus={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    rows = [("unpinned (the machine's kernels)", {})]
    rows += [(f"{k}={v} only", {k: v}) for k, v in TORCH_KERNEL_PINS.items()]
    rows += [("all three pins (what the report runs)", dict(TORCH_KERNEL_PINS))]
    base = None
    print(f"{'kernels':40s} {'step ms':>8s} {'x':>6s} {'fwd64 ms':>9s} {'x':>6s}  weights       logits64      ATen")
    for label, pins in rows:
        r = _run(pins, args)
        base = base or r
        print(f"{label:40s} {r['step_s'] * 1e3:8.1f} {r['step_s'] / base['step_s']:6.2f} "
              f"{r['forward64_s'] * 1e3:9.1f} {r['forward64_s'] / base['forward64_s']:6.2f}  "
              f"{r['weights']}{' ' if r['weights'] == base['weights'] else '*'} "
              f"{r['logits64']}{' ' if r['logits64'] == base['logits64'] else '*'} {r['capability']}")
    print("* = other bits than the unpinned run: the pin changes which code runs on this CPU")


if __name__ == "__main__":
    main()
