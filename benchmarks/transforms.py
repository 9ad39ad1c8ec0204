"""Throughput of the NDA/PDA transforms against per-image loops and Keras.

Measures images/s of every transform in `nda_tf.transforms` on float32
32x32x3 batches, side by side in one run with

* the same transform written as a per-image Python loop, the way the
  authors' PyTorch code builds negatives, once with NumPy and once with
  TensorFlow eager ops (parameters drawn with NumPy in both);
* `keras.layers.CutMix` and `keras.layers.MixUp(alpha=25)` for the jobs they
  share with ours;

and the cost of making the negative batch inside a compiled discriminator
(D) training step, relative to that step. Our layers are timed inside
`tf.function`, in graph mode and with `jit_compile=True`, after a warm-up;
each number is the median of `--repeats` timings, interleaved across the
candidates so that load on a shared machine hits them alike.

Full run (about 9 minutes on a 2-core CPU; results in benchmarks/RESULTS.md):

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/transforms.py

Smoke run (about 40 seconds, most of it TensorFlow start-up and compiles):

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/transforms.py --quick

The in-step cost is measured against the library's BigGAN-32 discriminator
(ch=64, 256 channels) at batch 64, the paper's per-step batch: one D step
takes seconds on a CPU, so batch 256 is skipped by default
(`--step_batch_sizes 64,256` adds it). `--discriminator small_conv` selects
the earlier small stand-in; `--paired` adds the (slow) cross-check of timing
the D step with each transform inside.
"""

import argparse
import math
import os
import platform
import statistics
import subprocess
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import nda_tf.transforms as T  # noqa: E402
from nda_tf.models import build_gan  # noqa: E402

IMAGE_SHAPE = (32, 32, 3)
# Transform names given to `nda_tf.transforms.get`, keyed by table row.
TRANSFORMS = {
    "jigsaw": "jigsaw(grid=2)",
    "stitch": "stitch",
    "cutout": "cutout",
    "cutmix": "cutmix",
    "mixup": "mixup(alpha=25)",
    "random_crop": "random_crop",
    "horizontal_flip": "horizontal_flip",
    "vertical_flip": "vertical_flip",
    "gaussian_noise": "gaussian_noise",
}
KERAS_LAYERS = {
    "cutmix": lambda: keras.layers.CutMix(seed=0),
    "mixup": lambda: keras.layers.MixUp(alpha=25.0, seed=0),
}


# Per-image reference loops. Each `f(xp, image, batch, i, rng)` makes the
# negative of `batch[i]`; `xp` is the op set (NumPy or TF eager).


class _NumpyOps:
    concat = staticmethod(np.concatenate)
    reverse = staticmethod(lambda x, axis: np.flip(x, axis))
    mean = staticmethod(lambda x: x.mean(axis=(0, 1)))

    @staticmethod
    def pad(x, pad):
        return np.pad(x, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")

    @staticmethod
    def paste(image, patch, top, left):
        out = image.copy()
        out[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
        return out

    @staticmethod
    def noise(shape, rng):
        return rng.standard_normal(shape, dtype=np.float32)

    clip = staticmethod(np.clip)


class _TFOps:
    concat = staticmethod(tf.concat)
    reverse = staticmethod(lambda x, axis: tf.reverse(x, [axis]))
    mean = staticmethod(lambda x: tf.reduce_mean(x, axis=[0, 1]))

    @staticmethod
    def pad(x, pad):
        return tf.pad(x, [[pad, pad], [pad, pad], [0, 0]], mode="REFLECT")

    @staticmethod
    def paste(image, patch, top, left):
        # No item assignment in TF: a padded mask selects the patch.
        box_h, box_w = patch.shape[0], patch.shape[1]
        bottom = image.shape[0] - top - box_h
        right = image.shape[1] - left - box_w
        paddings = [[top, bottom], [left, right], [0, 0]]
        mask = tf.pad(tf.ones([box_h, box_w, 1], tf.bool), paddings)
        return tf.where(mask, tf.pad(patch, paddings), image)

    @staticmethod
    def noise(shape, rng):
        return tf.random.normal(shape)

    clip = staticmethod(tf.clip_by_value)


def _partner(batch, i, rng):
    return (i + int(rng.integers(1, len(batch)))) % len(batch)


def _box(height, width, rng):
    box_h = int(rng.integers(-(-height // 3), height // 2 + 1))
    box_w = int(rng.integers(-(-width // 3), width // 2 + 1))
    top = int(rng.integers(0, height - box_h + 1))
    left = int(rng.integers(0, width - box_w + 1))
    return top, left, box_h, box_w


def ref_jigsaw(xp, image, batch, i, rng):
    h, w = image.shape[0] // 2, image.shape[1] // 2
    tiles = [
        image[r * h : r * h + h, c * w : c * w + w]
        for r in (0, 1)
        for c in (0, 1)
    ]
    order = rng.permutation(4)
    while (order == np.arange(4)).all():
        order = rng.permutation(4)
    rows = [
        xp.concat([tiles[order[r]], tiles[order[r + 1]]], 1) for r in (0, 2)
    ]
    return xp.concat(rows, 0)


def ref_stitch(xp, image, batch, i, rng):
    other = batch[_partner(batch, i, rng)]
    axis = int(rng.integers(2))
    half = image.shape[axis] // 2
    if axis == 0:
        return xp.concat([image[:half], other[half:]], 0)
    return xp.concat([image[:, :half], other[:, half:]], 1)


def ref_cutout(xp, image, batch, i, rng):
    top, left, box_h, box_w = _box(image.shape[0], image.shape[1], rng)
    patch = image[top : top + box_h, left : left + box_w]
    mean = xp.mean(patch)
    fill = mean[None, None, :] + 0 * patch  # the patch's shape, mean colour
    return xp.paste(image, fill, top, left)


def ref_cutmix(xp, image, batch, i, rng):
    other = batch[_partner(batch, i, rng)]
    top, left, box_h, box_w = _box(image.shape[0], image.shape[1], rng)
    patch = other[top : top + box_h, left : left + box_w]
    return xp.paste(image, patch, top, left)


def ref_mixup(xp, image, batch, i, rng):
    gamma = float(rng.beta(25.0, 25.0))
    return gamma * image + (1.0 - gamma) * batch[_partner(batch, i, rng)]


def ref_random_crop(xp, image, batch, i, rng, pad=4):
    top, left = (int(v) for v in rng.integers(0, 2 * pad + 1, size=2))
    padded = xp.pad(image, pad)
    return padded[top : top + image.shape[0], left : left + image.shape[1]]


def ref_horizontal_flip(xp, image, batch, i, rng):
    return xp.reverse(image, 1) if rng.random() < 0.5 else image


def ref_vertical_flip(xp, image, batch, i, rng):
    return xp.reverse(image, 0) if rng.random() < 0.5 else image


def ref_gaussian_noise(xp, image, batch, i, rng, stddev=0.1):
    # Clipped to [-1, 1], the range of the benchmark images (the layer clips
    # to the batch's own range, which is the same here).
    return xp.clip(image + stddev * xp.noise(image.shape, rng), -1.0, 1.0)


REFERENCES = {name: globals()[f"ref_{name}"] for name in TRANSFORMS}


def numpy_loop(reference, rng):
    def run(batch):
        out = np.empty_like(batch)
        for i in range(len(batch)):
            out[i] = reference(_NumpyOps, batch[i], batch, i, rng)
        return out

    return run


def tf_eager_loop(reference, rng):
    def run(batch):
        images = tf.unstack(batch)
        return tf.stack(
            [reference(_TFOps, x, images, i, rng) for i, x in enumerate(images)]
        )

    return run


# Discriminators for the in-step measurement.


def small_conv_discriminator(image_shape):
    """DCGAN-style 4-conv discriminator, a stand-in for BigGAN's D."""
    inputs = keras.Input(image_shape, name="images")
    h = inputs
    for filters in (64, 128, 256):
        h = keras.layers.Conv2D(filters, 4, strides=2, padding="same")(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    h = keras.layers.Conv2D(1, h.shape[1], padding="valid")(h)
    return keras.Model(inputs, keras.layers.Flatten()(h))


def biggan_discriminator(image_shape, ch=64):
    """The library's BigGAN discriminator (unconditional), built."""
    discriminator = build_gan("biggan", image_shape[0], ch=ch)[1]
    discriminator(tf.zeros([2, *image_shape]))  # creates the variables
    return discriminator


DISCRIMINATORS = {
    "biggan": biggan_discriminator,
    "small_conv": small_conv_discriminator,
}


def make_d_step(discriminator, optimizer, nda=None, jit_compile=False):
    """One compiled D training step: forward, backward and Adam update.

    The hinge loss treats the first half of the batch as real and the second
    as fake, so one step costs one forward/backward over the batch. With
    `nda`, the step also makes `nda(x)` outside the tape and returns its sum
    (so it is not pruned) without feeding it to D.
    """
    variables = discriminator.trainable_variables

    @tf.function(jit_compile=jit_compile)
    def step(x):
        half = tf.shape(x)[0] // 2
        with tf.GradientTape() as tape:
            logits = discriminator(x, training=True)
            loss = tf.reduce_mean(tf.nn.relu(1.0 - logits[:half]))
            loss += tf.reduce_mean(tf.nn.relu(1.0 + logits[half:]))
        optimizer.apply(tape.gradient(loss, variables), variables)
        if nda is None:
            return loss
        return loss, tf.reduce_sum(nda(x))

    return step


# Timing.


def _compiled(layer, jit_compile):
    return tf.function(
        lambda x: layer(x, training=True), jit_compile=jit_compile
    )


def time_side_by_side(candidates, repeats, min_time):
    """Median seconds per call of each `fn()` in `candidates`.

    Each candidate is warmed up (compiled) twice, then called often enough
    per repeat to take `min_time`; repeats are interleaved across candidates.
    A candidate that fails maps to the error's first line.
    """
    calls, results = {}, {}
    for name, fn in candidates.items():
        try:
            fn()
            start = time.perf_counter()
            fn()
            once = time.perf_counter() - start
        except Exception as error:  # noqa: BLE001 - reported in the table
            results[name] = f"fails: {type(error).__name__}"
            continue
        calls[name] = max(1, math.ceil(min_time / max(once, 1e-6)))
    samples = {name: [] for name in calls}
    for _ in range(repeats):
        for name, count in calls.items():
            fn = candidates[name]
            start = time.perf_counter()
            for _ in range(count):
                fn()
            samples[name].append((time.perf_counter() - start) / count)
    results.update({n: statistics.median(s) for n, s in samples.items()})
    return results


def transform_candidates(name, batch_np):
    batch_tf = tf.constant(batch_np)
    rng = np.random.default_rng(0)
    layers = {mode: T.get(TRANSFORMS[name]) for mode in ("eager", "g", "x")}
    graph, xla = _compiled(layers["g"], False), _compiled(layers["x"], True)
    candidates = {
        "ours eager": lambda: layers["eager"](batch_tf),
        "ours graph": lambda: graph(batch_tf),
        "ours XLA": lambda: xla(batch_tf),
        "NumPy loop": lambda: numpy_loop(REFERENCES[name], rng)(batch_np),
        "TF loop": lambda: tf_eager_loop(REFERENCES[name], rng)(batch_tf),
    }
    if name in KERAS_LAYERS:
        k_eager, k_graph, k_xla = (KERAS_LAYERS[name]() for _ in range(3))
        k_graph, k_xla = _compiled(k_graph, False), _compiled(k_xla, True)
        candidates["Keras eager"] = lambda: k_eager(batch_tf, training=True)
        candidates["Keras graph"] = lambda: k_graph(batch_tf)
        candidates["Keras XLA"] = lambda: k_xla(batch_tf)
    return candidates


def step_candidates(names, batch_np, jit_compile, discriminator_name, paired):
    """The D step alone and each transform alone, all compiled the same way.

    With `paired`, also the D step with each transform inside, each timed
    right after its own plain D step (one D step function, timed once per
    transform); without, the plain D step is timed once per round.
    """
    batch_tf = tf.constant(batch_np)
    discriminator = DISCRIMINATORS[discriminator_name](IMAGE_SHAPE)
    optimizer = keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999)
    optimizer.build(discriminator.trainable_variables)
    d_step = make_d_step(discriminator, optimizer, jit_compile=jit_compile)
    candidates = {} if paired else {"D step": lambda: d_step(batch_tf)}
    for name in names:
        alone = _compiled(T.get(TRANSFORMS[name]), jit_compile)
        if paired:
            layer = T.get(TRANSFORMS[name])
            with_nda = make_d_step(discriminator, optimizer, layer, jit_compile)
            # The plain step is timed right before each step + nda, so that
            # each difference compares two timings taken under the same load.
            candidates[f"D step ({name})"] = lambda: d_step(batch_tf)
            candidates[f"D step + {name}"] = lambda f=with_nda: f(batch_tf)
        candidates[f"{name} alone"] = lambda f=alone: f(batch_tf)
    return candidates


# Reporting.


def _rate(seconds, batch):
    return batch / seconds if isinstance(seconds, float) else None


def _fmt(value, spec=",.0f"):
    return "n/a" if value is None else format(value, spec)


def _ratio(a, b):
    return None if a is None or b is None else a / b


def report_transforms(batch, names, results):
    columns = ["ours eager", "ours graph", "ours XLA", "NumPy loop", "TF loop"]
    columns += ["Keras eager", "Keras graph", "Keras XLA"]
    print(f"\n### Throughput, batch {batch} (images/s, median)\n")
    print("| transform | " + " | ".join(columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    for name in names:
        row = results[name]
        cells = []
        for column in columns:
            value = row.get(column)
            cells.append(value if isinstance(value, str) else _fmt(value))
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n### Speed-ups, batch {batch} (ours / baseline)\n")
    header = ["graph/TF loop", "XLA/TF loop", "graph/NumPy", "XLA/NumPy"]
    header += ["graph/Keras graph", "XLA/Keras best"]
    print("| transform | " + " | ".join(header) + " |")
    print("| --- " * (len(header) + 1) + "|")
    for name in names:
        row = {k: v for k, v in results[name].items() if not isinstance(v, str)}
        keras_rates = [row[k] for k in row if k.startswith("Keras")]
        keras_best = max(keras_rates) if keras_rates else None
        graph, xla = row.get("ours graph"), row.get("ours XLA")
        cells = [
            _ratio(graph, row.get("TF loop")),
            _ratio(xla, row.get("TF loop")),
            _ratio(graph, row.get("NumPy loop")),
            _ratio(xla, row.get("NumPy loop")),
            _ratio(graph, row.get("Keras graph")),
            _ratio(xla, keras_best),
        ]
        print(f"| {name} | " + " | ".join(_fmt(c, ".1f") for c in cells) + " |")


def report_step(batch, mode, names, times, discriminator_name):
    step = statistics.median(
        [v for k, v in times.items() if k.startswith("D step") and "+" not in k]
    )
    paired = any(k.startswith("D step +") for k in times)
    print(
        f"\n### In-step cost, batch {batch}, {mode}, D = {discriminator_name}"
        f" (D step {step * 1e3:.1f} ms)\n"
    )
    header = "| transform | alone (ms) | alone / step |"
    if paired:
        header += " step + nda (ms) | (step + nda) / (paired step) - 1 |"
    print(header)
    print("| --- " * (header.count("|") - 1) + "|")
    for name in names:
        alone = times[f"{name} alone"]
        if isinstance(alone, str):
            print(f"| {name} | {alone} | n/a |" + (" n/a | n/a |" * paired))
            continue
        row = f"| {name} | {alone * 1e3:.2f} | {alone / step:.2%} |"
        if paired:
            combined = times[f"D step + {name}"]
            pair = times[f"D step ({name})"]
            row += f" {combined * 1e3:.1f} | {(combined - pair) / pair:+.1%} |"
        print(row)


def describe_machine():
    model = platform.processor() or "unknown CPU"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} CPUs; TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, NumPy {np.__version__}, Python "
        f"{platform.python_version()}"
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch_sizes", default="64,256")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--min_time", type=float, default=0.2, help="seconds per repeat"
    )
    parser.add_argument(
        "--transforms", help="comma list; default all (quick: jigsaw,cutmix)"
    )
    parser.add_argument(
        "--discriminator", default="biggan", choices=DISCRIMINATORS
    )
    parser.add_argument(
        "--step_batch_sizes",
        default="64",
        help="batch sizes (among --batch_sizes) for the in-step cost",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="also time the D step with each transform inside (slow)",
    )
    parser.add_argument("--skip_step", action="store_true")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: batch 8, 1 repeat, jigsaw and cutmix",
    )
    args = parser.parse_args(argv)
    if args.transforms is None:
        args.transforms = (
            "jigsaw,cutmix" if args.quick else ",".join(TRANSFORMS)
        )
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    args.step_batch_sizes = [int(b) for b in args.step_batch_sizes.split(",")]
    args.transforms = [t.strip() for t in args.transforms.split(",")]
    unknown = sorted(set(args.transforms) - set(TRANSFORMS))
    if unknown:
        parser.error(f"unknown transforms {unknown}; known: {list(TRANSFORMS)}")
    if args.quick:
        args.batch_sizes, args.repeats, args.min_time = [8], 1, 0.0
        args.step_batch_sizes = [8]
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    # Every candidate is its own tf.function, traced once; TF's warning about
    # frequent tracing counts them together.
    tf.get_logger().setLevel("ERROR")
    print(f"Machine: {describe_machine()}")
    for batch in args.batch_sizes:
        rng = np.random.default_rng(batch)
        images = rng.uniform(-1, 1, (batch, *IMAGE_SHAPE)).astype(np.float32)
        results = {}
        for name in args.transforms:
            times = time_side_by_side(
                transform_candidates(name, images), args.repeats, args.min_time
            )
            results[name] = {
                k: v if isinstance(v, str) else _rate(v, batch)
                for k, v in times.items()
            }
        report_transforms(batch, args.transforms, results)
        if args.skip_step or batch not in args.step_batch_sizes:
            continue
        for mode, jit in (("graph", False), ("XLA", True)):
            times = time_side_by_side(
                step_candidates(
                    args.transforms,
                    images,
                    jit,
                    args.discriminator,
                    args.paired,
                ),
                args.repeats,
                args.min_time,
            )
            report_step(batch, mode, args.transforms, times, args.discriminator)
    print(f"\nTotal time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
