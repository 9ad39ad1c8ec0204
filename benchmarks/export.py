"""Scoring speed of an exported OOD detector vs the Keras discriminator.

Builds a BigGAN-32 discriminator (`--ch`, unconditional, untrained: speed
does not depend on the weights), exports it with
`nda_tf.export.export_ood_detector`, reloads the SavedModel with
`tf.saved_model.load` and times, at batch 1 and 64, on 32x32 images:

* `saved_model`: the reloaded `serving_default` signature on uint8 images
  (input checks, scaling, the threshold and calibration included);
* `keras_eager`: the Keras model called directly, `D(x, training=False)`,
  on float images already in [-1, 1];
* `keras_function`: the same call inside a `tf.function` (traced once).

Calls of the three are interleaved (one of each per round) so that load
on the shared machine hits them alike. Reported: images/s from the median
latency, p50 and p99 latency in ms.

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/export.py

Quick run (ch=8, few rounds; about 20 s):

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/export.py --quick
"""

import argparse
import tempfile
import time

import numpy as np
import tensorflow as tf

from nda_tf import export, models


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ch", type=int, default=32)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.ch, args.rounds = 8, 20
    return args


def contenders(ch, folder):
    tf.keras.utils.set_random_seed(0)
    _, d = models.build_gan("biggan", 32, ch=ch)
    rng = np.random.default_rng(0)
    calibration = rng.integers(0, 256, [64, 32, 32, 3]).astype(np.uint8)
    path = export.export_ood_detector(d, 32, calibration, folder)
    signature = tf.saved_model.load(path).signatures["serving_default"]
    traced = tf.function(lambda x: d(x, training=False))
    return {
        "saved_model": lambda u8, f: signature(images=u8)["score"],
        "keras_eager": lambda u8, f: d(f, training=False),
        "keras_function": lambda u8, f: traced(f),
    }


def measure(calls, batch, rounds):
    rng = np.random.default_rng(batch)
    u8 = tf.constant(rng.integers(0, 256, [batch, 32, 32, 3]), tf.uint8)
    floats = tf.cast(u8, tf.float32) / 127.5 - 1.0
    times = {name: [] for name in calls}
    for call in calls.values():  # warm-up: traces and first runs
        for _ in range(3):
            call(u8, floats).numpy()
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call(u8, floats).numpy()  # .numpy() waits for the result
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}


def main():
    args = parse_args()
    print(f"TensorFlow {tf.__version__}, BigGAN-32 D, ch={args.ch}")
    with tempfile.TemporaryDirectory() as folder:
        calls = contenders(args.ch, folder)
        print(
            "| batch | path | images/s | p50 (ms) | p99 (ms) | "
            "p50 / keras_eager p50 |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for batch in args.batches:
            times = measure(calls, batch, args.rounds)
            base = np.median(times["keras_eager"])
            for name, t in times.items():
                p50, p99 = np.median(t), np.percentile(t, 99)
                print(
                    f"| {batch} | {name} | {batch / p50:,.0f} | "
                    f"{1e3 * p50:.2f} | {1e3 * p99:.2f} | {p50 / base:.2f} |"
                )


if __name__ == "__main__":
    main()
