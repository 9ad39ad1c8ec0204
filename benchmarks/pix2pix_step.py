"""Wall time of one Pix2Pix training step, with and without NDA.

One step = `NDAPix2Pix.train_on_batch` on a batch of (condition, target)
pairs: G forward, one D step (real and fake pairs, each its own D call;
with NDA also the (condition, jigsaw(target)) pair, a third call), then the
G step against the updated D. Models: the library's U-Net and 70x70
PatchGAN (`--size 256 --depth 8 --filters 64`: the paper's nets), Adam
(2e-4, 0.5, 0.999), cGAN loss, lam = 0.25, batch 1 (the paper's).

To judge the NDA overhead a harness times one D training step (forward,
backward, Adam) with two D calls (real, fake) and with three (plus the
negative pair). The expected NDA step is

    plain step + (D step with 3 calls - D step with 2 calls),

the extra D work alone; the target is actual / expected <= 1.05 (the rest,
the jigsaw itself, is small). All candidates are built and warmed up
first, then the repeats are interleaved across them; medians of wall time
and of process CPU time (all threads) reported.

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/pix2pix_step.py

(about 5 minutes on 2 CPU cores at the defaults; `--quick`: 64 px, depth
6, 16 filters, about 2 minutes). Results: benchmarks/RESULTS.md.
"""

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from nda_tf.models import pix2pix  # noqa: E402
from nda_tf.translation import NDAPix2Pix, losses  # noqa: E402


def _adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)


def _nets(args):
    keras.utils.set_random_seed(0)
    G = pix2pix.unet_generator(args.depth, args.filters, seed=0)
    D = pix2pix.patch_discriminator(3, args.filters)
    return G, D


def make_step(args, nda, batch):
    G, D = _nets(args)
    model = NDAPix2Pix(G, D, nda=nda, lam=0.25, loss="cgan", seed=0)
    model.compile(d_optimizer=_adam(), g_optimizer=_adam())
    return lambda: model.train_on_batch(*batch)


def make_d_step(args, calls, batch):
    """One D training step scoring `calls` pairs, each its own call."""
    _, D = _nets(args)
    optimizer = _adam()
    variables = D.trainable_variables
    optimizer.build(variables)
    condition, target = batch
    pair = tf.concat([condition, target], -1)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            logits = [D(pair, training=True) for _ in range(calls)]
            nda = logits[2] if calls == 3 else None
            loss = losses.discriminator_loss(logits[0], logits[1], nda, 0.25)
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    return lambda: step().numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.size, args.depth, args.filters = 64, 6, 16
    rng = np.random.default_rng(0)
    shape = (args.batch, args.size, args.size, 3)
    batch = tuple(
        tf.constant(rng.uniform(-1, 1, shape).astype(np.float32))
        for _ in range(2)
    )
    candidates = {
        "plain step": lambda: make_step(args, None, batch),
        "NDA step": lambda: make_step(args, "jigsaw", batch),
        "D step, 2 calls": lambda: make_d_step(args, 2, batch),
        "D step, 3 calls": lambda: make_d_step(args, 3, batch),
    }
    fns = {}
    for name, build in candidates.items():
        start = time.perf_counter()
        fns[name] = build()
        for _ in range(3):  # the first calls trace (and retrace once)
            fns[name]()
        print(f"  {name}: warm-up {time.perf_counter() - start:.1f} s")
    samples = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            samples[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    median = {k: statistics.median(v) for k, v in samples.items()}
    median_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    print(
        f"\n{platform.processor() or platform.machine()}, TF {tf.__version__}"
        f", {os.cpu_count()} cores; size {args.size}, depth {args.depth}, "
        f"filters {args.filters}, batch {args.batch}, {args.repeats} repeats"
    )
    print(
        "| candidate | median ms | min ms | max ms | median CPU ms |\n"
        "| --- | --- | --- | --- | --- |"
    )
    for name, values in samples.items():
        print(
            f"| {name} | {1e3 * median[name]:.1f} | {1e3 * min(values):.1f} "
            f"| {1e3 * max(values):.1f} | {1e3 * median_cpu[name]:.1f} |"
        )
    # Wall time, and process CPU time (all threads): on a loaded machine
    # the CPU time is the steadier measure of the work done.
    for label, m in (("wall", median), ("CPU", median_cpu)):
        extra = m["D step, 3 calls"] - m["D step, 2 calls"]
        expected = m["plain step"] + extra
        print(
            f"{label}: NDA / plain = {m['NDA step'] / m['plain step']:.3f}; "
            f"expected NDA step {1e3 * expected:.1f} ms; actual / expected "
            f"= {m['NDA step'] / expected:.3f}"
        )


if __name__ == "__main__":
    main()
