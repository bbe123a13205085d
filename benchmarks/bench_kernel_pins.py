"""What pinning torch's CPU kernels costs and changes: a mini-Pythia training step and a float64 forward pass.

    python benchmarks/bench_kernel_pins.py [--size 1.8m] [--steps 8] [--threads 2] [--cpu Nehalem --cpu Haswell]

`python -m reports` and `infogeo minipythia` pin torch's three CPU kernel libraries to one code path
(``infogeo.TORCH_KERNEL_PINS``: ATen's AVX2 kernels, MKL's reproducible COMPATIBLE branch, oneDNN capped at AVX2) so the
family and the report's tables do not depend on the machine. This benchmark runs the same seeded work in fresh
processes with the machine's own kernels (nothing pinned), with each pin alone, with all three, and with the
generic pins the report used before (``GENERIC_PINS``: ATen generic, MKL COMPATIBLE, oneDNN SSE4.1), and prints the
time per step (median of ``--steps``), the ratio against the unpinned run measured in the same invocation, and a
digest of the weights after the steps (and of the forward pass's logits): a digest that differs from the unpinned
one shows that the pin changes which code runs on this CPU. Each row is one process, run one after another.

``--cpu MODEL`` (repeatable) also runs the unpinned and the pinned process on an emulated CPU
(``qemu-x86_64 -cpu MODEL``, Debian's ``qemu-user``): another vendor and instruction set as the kernel libraries
see it (e.g. Nehalem: an Intel CPU with SSE4.2 and no AVX; Haswell: Intel with AVX2 and FMA; EPYC: AMD Zen). The
emulator's floating point is not always the hardware's (here AdamW's update differs between native and emulated
runs of the same CPU model), so compare emulated CPUs among themselves, with this machine's own model as a control.
The pins hold when the pinned digests agree; the unpinned digests show whether the emulated CPU runs other code.
Emulated timings mean nothing and are not printed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's packages, not an install's

from infogeo import TORCH_KERNEL_PINS  # noqa: E402

#: The pins of the report before 2026-12-07: the generic code paths (ATen generic, MKL's COMPATIBLE branch, oneDNN
#: at SSE4.1), which every x86-64 CPU runs. Measured here against the AVX2-level pins the report uses now.
GENERIC_PINS = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "ONEDNN_MAX_CPU_ISA": "SSE41"}

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


def _run(env_pins: dict, args, cpu: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TORCH_KERNEL_PINS}
    env.update(env_pins)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-c", _CHILD, args.size, str(args.steps), str(args.threads)]
    if cpu is not None:
        cmd = ["qemu-x86_64", "-cpu", cpu, *cmd]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _emulated(args, native: dict) -> None:
    """The unpinned and pinned runs on each ``--cpu``, against this machine's (``native``: label -> result)."""
    if shutil.which("qemu-x86_64") is None:
        raise SystemExit("--cpu needs qemu-x86_64 (Debian: apt-get install qemu-user)")
    pinned = {"this machine": (native["pinned"]["weights"], native["pinned"]["logits64"])}
    print(f"\n{'CPU':24s} {'unpinned weights':18s} {'pinned weights':16s} logits64 (pinned)  ATen (unpinned)")
    for cpu in args.cpu:
        un, pin = _run({}, args, cpu), _run(dict(TORCH_KERNEL_PINS), args, cpu)
        pinned[cpu] = (pin["weights"], pin["logits64"])
        mark = " " if un["weights"] == native["unpinned"]["weights"] else "*"
        same = " " if pinned[cpu] == pinned["this machine"] else "!"
        print(f"{'qemu -cpu ' + cpu:24s} {un['weights']}{mark}      {pin['weights']}{same}   {pin['logits64']}"
              f"       {un['capability']}")
    emulated = {v for k, v in pinned.items() if k != "this machine"}
    print("* unpinned: other bits than this machine's unpinned run (the emulated CPU runs other code)")
    print(f"pinned, all {len(pinned)} CPUs: {'the same bits' if len(set(pinned.values())) == 1 else 'DIFFERENT bits'}; "
          f"pinned, the {len(args.cpu)} emulated CPUs among themselves: "
          f"{'the same bits' if len(emulated) == 1 else 'DIFFERENT bits'}")
    print("(the emulator's floating point is not always the hardware's: emulate this machine's own CPU model as a "
          "control; what differs only between emulated and real runs is the emulator)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1.8m", help="mini-Pythia size (default: the largest, 1.8m)")
    ap.add_argument("--steps", type=int, default=8, help="timed training steps (default 8)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2, the recipe's)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of all rows, in turn (default 1; medians)")
    ap.add_argument("--cpu", action="append", default=[], metavar="MODEL",
                    help="also run unpinned and pinned on this emulated CPU (qemu-x86_64 -cpu MODEL); repeatable")
    args = ap.parse_args()
    print(f"size {args.size}, {args.steps} steps, {args.threads} threads, cpus={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    rows = [("unpinned (the machine's kernels)", {})]
    rows += [(f"{k}={v} only", {k: v}) for k, v in TORCH_KERNEL_PINS.items()]
    rows += [("all three pins (what the report runs)", dict(TORCH_KERNEL_PINS))]
    rows += [("generic pins (the report before)", dict(GENERIC_PINS))]
    native = {}
    runs = {label: [] for label, _ in rows}
    for _ in range(args.repeat):  # rounds of every row in turn: a load that changes slowly hits them alike
        for label, pins in rows:
            runs[label].append(_run(pins, args))
    print(f"{'kernels':40s} {'step ms':>8s} {'x':>6s} {'fwd64 ms':>9s} {'x':>6s}  weights       logits64      ATen")
    base_label = rows[0][0]

    def ratio(label, key):  # median over rounds of the time against the unpinned run of the same round
        return statistics.median(r[key] / b[key] for r, b in zip(runs[label], runs[base_label]))

    base = runs[base_label][0]
    for label, pins in rows:
        r = runs[label][0]
        assert all((x["weights"], x["logits64"]) == (r["weights"], r["logits64"]) for x in runs[label]), label
        if not pins or pins == TORCH_KERNEL_PINS:
            native["pinned" if pins else "unpinned"] = r
        if pins == GENERIC_PINS:
            native["generic"] = r
        native.setdefault("ratios", {})[label] = (ratio(label, "step_s"), ratio(label, "forward64_s"))
        step = statistics.median(x["step_s"] for x in runs[label])
        fwd = statistics.median(x["forward64_s"] for x in runs[label])
        print(f"{label:40s} {step * 1e3:8.1f} {ratio(label, 'step_s'):6.2f} "
              f"{fwd * 1e3:9.1f} {ratio(label, 'forward64_s'):6.2f}  "
              f"{r['weights']}{' ' if r['weights'] == base['weights'] else '*'} "
              f"{r['logits64']}{' ' if r['logits64'] == base['logits64'] else '*'} {r['capability']}")
    print(f"(medians over {args.repeat} rounds; x = time against the unpinned run of the same round; load average "
          f"now {os.getloadavg()[0]:.2f})")
    print("* = other bits than the unpinned run: the pin changes which code runs on this CPU")
    (ps, pf), (gs, gf) = native["ratios"][rows[-2][0]], native["ratios"][rows[-1][0]]
    print(f"the report's pins against the generic pins: step {ps / gs:.2f}x, float64 forward {pf / gf:.2f}x "
          "(below 1: faster)")
    if args.cpu:
        _emulated(args, native)


if __name__ == "__main__":
    main()
