"""Time to train the mini-Pythia family on CPU, per size, with tokens per second.

Target: the whole family in under 6 minutes on 2 cores.

    python benchmarks/bench_minipythia.py [--threads 2] [--sizes 7k 26k] [--root DIR] [--minimal]

Trains into a fresh temporary cache (or ``--root``, e.g. your real cache, to
keep the result) so nothing is reused. Time per size is training only
(optimizer steps); checkpoint time (held-out evaluation and writing) is shown
apart. The load average is printed because on a shared machine the numbers
are pessimistic.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from infogeo import pin_torch_cpu_kernels

pin_torch_cpu_kernels()  # the kernels `infogeo minipythia train` and `python -m reports` train on

from empirical.minipythia import DEFAULT_CONFIG, MINIMAL_CONFIG, ensure_family, losses_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None, help="training threads (default: the recipe's)")
    ap.add_argument("--sizes", nargs="+", default=None)
    ap.add_argument("--root", default=None, help="cache root to build into (default: a fresh temporary directory)")
    ap.add_argument("--minimal", action="store_true")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args()
    config = MINIMAL_CONFIG if args.minimal else DEFAULT_CONFIG
    if args.threads is not None:
        config = config.replace(train_threads=args.threads)
    names = args.sizes or [s.name for s in config.sizes]
    tmp = None
    root = args.root
    if root is None:
        tmp = tempfile.TemporaryDirectory(prefix="minipythia-bench-")
        root = tmp.name
    print(f"threads={config.train_threads}  cpus={os.cpu_count()}  load average at start: {os.getloadavg()}")
    print(f"recipe: {len(config.steps)} checkpoints, {config.total_steps} steps x {config.batch_tokens} tokens "
          f"= {config.total_tokens:,} tokens per size, vocab {config.vocab_size}, context {config.context_length}")
    t0 = time.perf_counter()
    info = ensure_family([names[0]], root=root, config=config, progress=not args.no_progress)
    walls = {names[0]: time.perf_counter() - t0}
    for n in names[1:]:
        t = time.perf_counter()
        info = ensure_family([n], root=root, config=config, progress=not args.no_progress)
        walls[n] = time.perf_counter() - t
    total = time.perf_counter() - t0
    info = ensure_family(names, root=root, config=config, progress=False)
    df = losses_table(root=root, config=config)
    last = df[df.step == config.total_steps].set_index("size")
    print(f"corpus: {info.corpus['tokens_train']:,} train tokens ({info.corpus['documents_train']} documents), "
          f"{info.corpus['tokens_heldout']:,} held-out tokens; {info.corpus['epochs']:.2f} epochs per size")
    print(f"{'size':>6} {'non-emb params':>15} {'total params':>13} {'train s':>8} {'tok/s':>8} "
          f"{'wall s':>7} {'ckpt s':>7} {'held-out loss':>14}")
    for n in names:
        tr = info.training[n]
        print(f"{n:>6} {tr['params_nonembedding']:>15,} {tr['params_total']:>13,} {tr['train_seconds']:8.1f} "
              f"{tr['tokens_per_second']:8.0f} {walls[n]:7.1f} {walls[n] - tr['train_seconds']:7.1f} "
              f"{last.loc[n, 'heldout_loss_nats']:14.4f}")
    train_total = sum(info.training[n]["train_seconds"] for n in names)
    tokens = sum(info.training[n]["tokens"] for n in names)
    print(f"\nwhole family: {total:.1f} s wall ({total / 60:.2f} min; includes tokenizer, evaluation, writing), "
          f"{train_total:.1f} s training, {tokens / train_total:.0f} tokens/s averaged over sizes")
    print(f"largest minus smallest held-out loss: "
          f"{last.loc[names[-1], 'heldout_loss_nats'] - last.loc[names[0], 'heldout_loss_nats']:+.4f} nats")
    print(f"load average at end: {os.getloadavg()} (other work on these cores slows every figure above)")
    print(f"target: whole family < 6 min on 2 cores: {'OK' if total < 360 else 'OVER'}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
