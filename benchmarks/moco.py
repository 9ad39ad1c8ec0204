"""Wall time of one MoCo-v2 training step, with and without NDA.

One step = `MoCo.train_on_batch` on a batch of query and key views: the
momentum update, the key encoder on the keys, the query encoder forward and
backward, the logits against a queue of 65,536 keys, and the enqueue. With
NDA (`--nda`, default cutout) the step also makes `nda(query)` and
`nda(key)` and runs the key encoder on those 2B images: the paper's two
extra columns per query (Appendix N reports 1.09 s vs 1.36 s, 1.25x, on
GPU). The encoder is the library's small ResNet (`--width`) at 32x32,
SGD(0.3, momentum 0.9), graph mode. Both models are warmed up (traced), then
the repeats are interleaved so that load on a shared machine hits both
alike; medians and the ratio of medians are printed.

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/moco.py
    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/moco.py --quick
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

from nda_tf.contrastive import MoCo  # noqa: E402
from nda_tf.models import resnet  # noqa: E402


def _model(nda, width):
    keras.utils.set_random_seed(0)
    encoder = resnet.small_resnet(width=width, input_shape=(32, 32, 3))
    moco = MoCo(encoder, nda=nda, queue_size=65536, seed=0)
    moco.compile(optimizer=keras.optimizers.SGD(0.3, momentum=0.9))
    return moco


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--nda", default="cutout")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.batch, args.width, args.repeats = 32, 8, 2
    rng = np.random.default_rng(0)
    views = tuple(
        rng.uniform(-1, 1, [args.batch, 32, 32, 3]).astype("float32")
        for _ in range(2)
    )
    models = {"MoCo-v2": _model(None, args.width)}
    models[f"NDA ({args.nda})"] = _model(args.nda, args.width)
    times = {name: [] for name in models}
    for name, moco in models.items():
        start = time.perf_counter()
        moco.train_on_batch(views)
        print(f"{name}: warm-up {time.perf_counter() - start:.1f} s")
    for _ in range(args.repeats):
        for name, moco in models.items():
            start = time.perf_counter()
            moco.train_on_batch(views)
            times[name].append(time.perf_counter() - start)
    print(
        f"\nsmall ResNet width {args.width}, batch {args.batch}, 32x32, "
        f"queue 65536, {args.repeats} repeats, TF {tf.__version__}, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs\n"
    )
    print("| model | median (s) | min (s) | max (s) |")
    print("| --- | --- | --- | --- |")
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.3f} | "
            f"{min(values):.3f} | {max(values):.3f} |"
        )
    plain, nda = (statistics.median(v) for v in times.values())
    low_plain, low_nda = (min(v) for v in times.values())
    print(
        f"\nNDA / plain: {nda / plain:.2f}x (medians), "
        f"{low_nda / low_plain:.2f}x (minima); paper 1.25x, target <= 1.25x"
    )


if __name__ == "__main__":
    main()
