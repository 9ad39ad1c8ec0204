"""What the authors' D step costs: NDAGAN iterations with d_calls 1 and 2.

One iteration = `NDAGAN.train_on_batch` on 4 D steps of 64 real images
and one G step (the paper's CIFAR-10 BigGAN-32, unconditional, Adam 2e-4
(0, 0.999)). With `d_calls=2` each D step calls D twice, on [reals,
fakes] and on the negatives, as the authors' code does; without negatives
(`lam=1`) the second call is replaced by one power-iteration step of every
spectral-norm layer. Four candidates per width, side by side: NDA (jigsaw,
lam 0.25) and plain (lam 1), each with 1 and 2 calls, in graph mode and
with XLA. Every candidate is warmed up (traced, compiled, run once); then
the repeats are interleaved across candidates, so that load on a shared
machine hits them alike, and medians and their ratios are reported.

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/d_calls.py
    # quick look: --channels=8 --repeats=2
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

from nda_tf.gan import NDAGAN  # noqa: E402
from nda_tf.models import build_gan  # noqa: E402

D_STEPS, STEP_BATCH = 4, 64


def make_iteration(ch, lam, d_calls, jit, images):
    """`fn()` running one GAN iteration on `images`."""
    generator, discriminator = build_gan("biggan", 32, ch=ch)
    gan = NDAGAN(
        generator,
        discriminator,
        nda="jigsaw",
        lam=lam,
        d_steps=D_STEPS,
        seed=0,
        d_calls=d_calls,
    )

    def adam():
        return keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999)

    gan.compile(d_optimizer=adam(), g_optimizer=adam(), jit_compile=jit)
    return lambda: gan.train_on_batch(images)


def run(ch, repeats, jit_modes):
    rng = np.random.default_rng(0)
    shape = (D_STEPS * STEP_BATCH, 32, 32, 3)
    images = tf.constant(rng.uniform(-1, 1, shape).astype("float32"))
    candidates = {}
    for jit in jit_modes:
        for arm, lam in (("NDA", 0.25), ("plain", 1.0)):
            for d_calls in (1, 2):
                key = ("XLA" if jit else "graph", arm, d_calls)
                candidates[key] = make_iteration(ch, lam, d_calls, jit, images)
                candidates[key]()  # warm-up
    times = {key: [] for key in candidates}
    for index in range(repeats):
        for key, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
        print(f"  ch={ch}: round {index + 1}/{repeats}", flush=True)
    print(f"\n### BigGAN-32 ch={ch}: seconds per iteration, median of "
          f"{repeats}\n")  # fmt: skip
    print("| mode | arm | d_calls=1 | d_calls=2 | 2 / 1 |")
    print("| --- | --- | --- | --- | --- |")
    for mode in sorted({k[0] for k in times}):
        for arm in ("NDA", "plain"):
            one = statistics.median(times[(mode, arm, 1)])
            two = statistics.median(times[(mode, arm, 2)])
            print(f"| {mode} | {arm} | {one:.3f} | {two:.3f} | "
                  f"{two / one:.3f} |")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", default="16,32")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no_xla", action="store_true")
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}"
    )
    modes = (False,) if args.no_xla else (False, True)
    for ch in (int(c) for c in args.channels.split(",")):
        run(ch, args.repeats, modes)


if __name__ == "__main__":
    main()
