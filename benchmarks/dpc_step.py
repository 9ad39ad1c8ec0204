"""DPC train-step time with and without NDA clips.

With NDA, each step also encodes the NDA clips of the `pred_steps`
predicted blocks: the encoder sees `num_blocks + pred_steps` blocks instead
of `num_blocks`, so if the encoder dominated the step the ratio would be
`(num_blocks + pred_steps) / num_blocks` (the aggregator, predictor and
loss add less: the loss gains M extra columns). This script measures the
ratio for two settings: the CPU study's (small encoder, 32 px, 4 blocks of
4 frames, 2 predicted, batch 16) and DPC's network on a CPU-sized input
(R2D3D-18, 64 px, 8 blocks of 5 frames, 3 predicted, batch 4). Each model
is compiled and warmed up first; then `--repeats` timings of `--steps`
steps are interleaved between the two and the medians reported.

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/dpc_step.py
"""

import argparse
import platform
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from nda_tf.models.video import build_encoder
from nda_tf.video import DPC

SETTINGS = {
    "small-32px": dict(
        arch="small", width=8, size=32, blocks=4, frames=4, pred=2, batch=16
    ),
    "r2d3d18-64px": dict(
        arch="r2d3d18", width=64, size=64, blocks=8, frames=5, pred=3, batch=4
    ),
}


def _step(setting, nda):
    s = SETTINGS[setting]
    keras.utils.set_random_seed(0)
    encoder = build_encoder(
        s["arch"], (s["frames"], s["size"], s["size"], 3), s["width"]
    )
    dpc = DPC(encoder, s["blocks"], s["frames"], s["pred"], nda=nda, seed=0)
    dpc.compile(optimizer=keras.optimizers.Adam(1e-3))
    shape = [s["batch"], s["blocks"] * s["frames"], s["size"], s["size"], 3]
    clips = tf.constant(
        np.random.default_rng(0).uniform(-1, 1, shape), "float32"
    )
    step = tf.function(dpc.train_step)
    return lambda: step(clips)["loss"].numpy()


def _time(fn, steps):
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--nda", default="jigsaw")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"{platform.processor() or platform.machine()}"
    )
    print(
        "| setting | DPC s/step | DPC + NDA s/step | measured ratio "
        "| encoder-pass ratio |"
    )
    print("| --- | --- | --- | --- | --- |")
    for setting in args.settings.split(","):
        s = SETTINGS[setting]
        fns = {"none": _step(setting, None), "nda": _step(setting, args.nda)}
        for fn in fns.values():
            fn(), fn()  # trace and warm up
        times = {name: [] for name in fns}
        for _ in range(args.repeats):
            for name, fn in fns.items():
                times[name].append(_time(fn, args.steps))
        plain = statistics.median(times["none"])
        nda = statistics.median(times["nda"])
        implied = (s["blocks"] + s["pred"]) / s["blocks"]
        print(
            f"| {setting} | {plain:.3f} | {nda:.3f} | {nda / plain:.2f} "
            f"| {implied:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
