"""Wall time of one NDA-GAN training iteration, with and without NDA.

One iteration = `NDAGAN.train_on_batch` on 4 * 64 real images: 4
discriminator (D) steps, each on its own slice of 64 real images plus 64
fresh fakes (and, with NDA, 64 jigsaw negatives of the real slice, all three
scored in one D call), then 1 generator (G) step on 64 fakes and the EMA
update of G. The model is the library's BigGAN-32 (unconditional), Adam(2e-4,
0, 0.999), lam = 0.25. For each channel width (`--channels`) four
configurations are timed side by side: plain GAN and NDA (jigsaw), each in
graph mode and with XLA (`jit_compile=True`). Every configuration is warmed up
(traced and compiled, one iteration) first; then the repeats are interleaved
across configurations, so that load on a shared machine hits them alike, and
medians are reported.

To judge the NDA overhead, a small harness also times one D training step
(forward, backward and Adam update, compiled the same way) on 128 images
(real + fakes, the plain D call) and on 192 images (real + fakes + negatives,
the NDA D call). The expected NDA iteration is

    plain iteration + 4 * (D step on 192 images - D step on 128 images),

i.e. the plain iteration plus, for each of the 4 D steps, one more forward
and backward pass on 64 negatives; the target is actual / expected <= 1.05.

Peak memory is the process's peak resident set size (`ru_maxrss` from
`resource.getrusage`), which only grows: it is printed after each
configuration's warm-up, so each row shows the peak up to that point.

Full run (about 20 minutes on a 2-core CPU; results in benchmarks/RESULTS.md):

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/gan_step.py

Smoke run (ch=8, one repeat; about 100 seconds, mostly compiles):

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/gan_step.py --quick
"""

import argparse
import os
import platform
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from nda_tf.gan import NDAGAN  # noqa: E402
from nda_tf.models import build_gan  # noqa: E402

RESOLUTION = 32
D_STEPS = 4
STEP_BATCH = 64
Z_DIM = 128
NDA = "jigsaw"
MODES = (("graph", False), ("XLA", True))


def _adam():
    return keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999, epsilon=1e-8)


def make_iteration(ch, nda, jit_compile, images):
    """`fn()` running one full GAN iteration on `images`."""
    generator, discriminator = build_gan("biggan", RESOLUTION, ch=ch)
    discriminator(tf.zeros([2, RESOLUTION, RESOLUTION, 3]))  # variables
    gan = NDAGAN(
        generator,
        discriminator,
        nda=nda,
        lam=0.25,
        d_steps=D_STEPS,
        z_dim=Z_DIM,
        seed=0,
    )
    gan.compile(
        d_optimizer=_adam(), g_optimizer=_adam(), jit_compile=jit_compile
    )
    # train_on_batch returns NumPy metrics, so each call has finished.
    return lambda: gan.train_on_batch(images)


def make_d_step(ch, jit_compile, images):
    """`fn()` running one D training step (forward, backward, Adam) on
    `images`, with the hinge loss taking the first 64 as real."""
    discriminator = build_gan("biggan", RESOLUTION, ch=ch)[1]
    discriminator(tf.zeros([2, RESOLUTION, RESOLUTION, 3]))
    optimizer = _adam()
    variables = discriminator.trainable_variables
    optimizer.build(variables)

    @tf.function(jit_compile=jit_compile)
    def step(x):
        with tf.GradientTape() as tape:
            logits = discriminator(x, training=True)
            loss = tf.reduce_mean(tf.nn.relu(1.0 - logits[:STEP_BATCH]))
            loss += tf.reduce_mean(tf.nn.relu(1.0 + logits[STEP_BATCH:]))
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    return lambda: step(images).numpy()


def peak_rss_gib():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def benchmark_channels(ch, repeats, rng):
    """Median seconds of every candidate at channel width `ch`, and the
    peak RSS after each warm-up."""
    shape = (D_STEPS * STEP_BATCH, RESOLUTION, RESOLUTION, 3)
    images = tf.constant(rng.uniform(-1, 1, shape).astype(np.float32))
    candidates = {}
    for mode, jit in MODES:
        for label, nda in (("plain", None), ("NDA", NDA)):
            candidates[(mode, f"{label} iteration")] = (
                lambda ch=ch, nda=nda, jit=jit: make_iteration(
                    ch, nda, jit, images
                )
            )
        for n in (2 * STEP_BATCH, 3 * STEP_BATCH):
            candidates[(mode, f"D step on {n}")] = lambda ch=ch, jit=jit, n=n: (
                make_d_step(ch, jit, images[:n])
            )
    fns, compile_s, rss = {}, {}, {}
    for key, build in candidates.items():
        start = time.perf_counter()
        fns[key] = build()
        fns[key]()  # warm-up: trace, compile, run once
        compile_s[key] = time.perf_counter() - start
        rss[key] = peak_rss_gib()
        print(
            f"  ch={ch} {key[0]} {key[1]}: warm-up {compile_s[key]:.1f} s, "
            f"peak RSS so far {rss[key]:.2f} GiB",
            flush=True,
        )
    samples = {key: [] for key in fns}
    for index in range(repeats):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[key].append(time.perf_counter() - start)
        print(f"  ch={ch} round {index + 1}/{repeats} done", flush=True)
    return samples, compile_s, rss


def report(ch, repeats, samples, compile_s, rss):
    med = {k: statistics.median(v) for k, v in samples.items()}
    low = {k: min(v) for k, v in samples.items()}
    print(f"\n### BigGAN-32, ch={ch}: seconds, median of {repeats}\n")
    print(
        "| mode | what | median (s) | min (s) | max (s) | warm-up (s) "
        "| peak RSS so far (GiB) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for key, values in samples.items():
        print(
            f"| {key[0]} | {key[1]} | {med[key]:.3f} | {min(values):.3f} | "
            f"{max(values):.3f} | {compile_s[key]:.1f} | {rss[key]:.2f} |"
        )
    print(f"\n### NDA overhead, ch={ch} (medians, seconds)\n")
    print(
        "| mode | plain iter | D step 128 | D step 192 | 192/128 "
        "| expected NDA iter | actual NDA iter | actual / expected "
        "| same from minima | NDA / plain | rest of plain iter |"
    )
    print("| --- " * 11 + "|")
    verdicts = []
    for mode, _ in MODES:
        ratios = {}
        for stat, values in (("median", med), ("min", low)):
            plain = values[(mode, "plain iteration")]
            nda = values[(mode, "NDA iteration")]
            d128 = values[(mode, f"D step on {2 * STEP_BATCH}")]
            d192 = values[(mode, f"D step on {3 * STEP_BATCH}")]
            expected = plain + D_STEPS * (d192 - d128)
            ratios[stat] = nda / expected
        plain = med[(mode, "plain iteration")]
        nda = med[(mode, "NDA iteration")]
        d128 = med[(mode, f"D step on {2 * STEP_BATCH}")]
        d192 = med[(mode, f"D step on {3 * STEP_BATCH}")]
        expected = plain + D_STEPS * (d192 - d128)
        rest = plain - D_STEPS * d128
        print(
            f"| {mode} | {plain:.3f} | {d128:.3f} | {d192:.3f} | "
            f"{d192 / d128:.2f} | {expected:.3f} | {nda:.3f} | "
            f"{ratios['median']:.3f} | {ratios['min']:.3f} | "
            f"{nda / plain:.2f} | {rest:.3f} |"
        )
        verdicts.append((mode, ratios["median"]))
    print(f"\n### XLA vs graph, ch={ch}\n")
    print("| iteration | graph (s) | XLA (s) | graph / XLA |")
    print("| --- | --- | --- | --- |")
    for label in ("plain iteration", "NDA iteration"):
        graph, xla = med[("graph", label)], med[("XLA", label)]
        print(f"| {label} | {graph:.3f} | {xla:.3f} | {graph / xla:.2f} |")
        verdicts.append((f"XLA/{label}", graph / xla))
    return verdicts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--channels", default="16,64", help="comma list of BigGAN ch"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="timed iterations per configuration (default: 3 for ch >= 64, "
        "5 below)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: ch=8, 1 repeat"
    )
    args = parser.parse_args(argv)
    args.channels = [int(c) for c in args.channels.split(",")]
    if args.quick:
        args.channels, args.repeats = [8], 1
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    tf.get_logger().setLevel("ERROR")
    print(
        f"Machine: {platform.processor() or 'CPU'}, {os.cpu_count()} CPUs; "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"Python {platform.python_version()}"
    )
    rng = np.random.default_rng(0)
    for ch in args.channels:
        repeats = args.repeats or (3 if ch >= 64 else 5)
        samples, compile_s, rss = benchmark_channels(ch, repeats, rng)
        verdicts = report(ch, repeats, samples, compile_s, rss)
        print(f"\n### Targets, ch={ch}\n")
        for name, value in verdicts:
            if name.startswith("XLA/"):
                ok = value >= 1.0
                print(f"* XLA >= graph, {name[4:]}: {value:.2f}x -> {ok}")
            else:
                ok = value <= 1.05
                print(
                    f"* {name} NDA actual/expected <= 1.05: {value:.3f} -> {ok}"
                )
    print(f"\nPeak RSS (ru_maxrss): {peak_rss_gib():.2f} GiB")
    print(f"Total time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
