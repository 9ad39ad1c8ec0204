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


def _model(nda, width, jit=False):
    keras.utils.set_random_seed(0)
    encoder = resnet.small_resnet(width=width, input_shape=(32, 32, 3))
    moco = MoCo(encoder, nda=nda, queue_size=65536, seed=0)
    moco.compile(
        optimizer=keras.optimizers.SGD(0.3, momentum=0.9), jit_compile=jit
    )
    return moco


def _parts(moco, views, jit):
    """The pieces of an NDA step as functions of their own, to see where
    the extra time goes: key passes on B and 2B images, the NDA negatives
    (transform and key pass on 2B), the query forward and backward on B."""
    seed = tf.constant([1, 2], tf.int64)
    queries, keys = (tf.constant(v) for v in views)
    both = tf.concat([queries, keys], 0)

    def query_gradients(images):
        with tf.GradientTape() as tape:
            embedded = moco._normalized(moco._query_net(images))
            loss = tf.reduce_sum(embedded)
        return tape.gradient(loss, moco.query_variables)

    functions = {
        "key pass, B images": (lambda: moco._keys(keys, seed)),
        "key pass, 2B images": (lambda: moco._keys(both, seed)),
        "NDA negatives (transform + key pass, 2B)": (
            lambda: moco._nda_embeddings(queries, keys, seed, seed)
        ),
        "query forward + backward, B": (lambda: query_gradients(queries)),
    }
    return {
        name: tf.function(fn, jit_compile=jit, autograph=False)
        for name, fn in functions.items()
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--nda", default="cutout")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--jit", action="store_true", help="XLA-compile steps and parts."
    )
    parser.add_argument(
        "--parts", action="store_true", help="Also time the step's pieces."
    )
    args = parser.parse_args()
    if args.quick:
        args.batch, args.width, args.repeats = 32, 8, 2
    rng = np.random.default_rng(0)
    views = tuple(
        rng.uniform(-1, 1, [args.batch, 32, 32, 3]).astype("float32")
        for _ in range(2)
    )
    models = {"MoCo-v2": _model(None, args.width, args.jit)}
    models[f"NDA ({args.nda})"] = _model(args.nda, args.width, args.jit)
    runs = {
        name: (lambda m=moco: m.train_on_batch(views))
        for name, moco in models.items()
    }
    if args.parts:
        nda_model = models[f"NDA ({args.nda})"]
        runs.update(_parts(nda_model, views, args.jit))
    times = {name: [] for name in runs}
    for name, run in runs.items():
        start = time.perf_counter()
        run()
        print(f"{name}: warm-up {time.perf_counter() - start:.1f} s")
    for _ in range(args.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            np.asarray(tf.nest.flatten(run())[0])  # wait for the result
            times[name].append(time.perf_counter() - start)
    print(
        f"\nsmall ResNet width {args.width}, batch {args.batch}, 32x32, "
        f"queue 65536, {args.repeats} repeats, "
        f"{'XLA' if args.jit else 'graph mode'}, TF {tf.__version__}, "
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
    medians = [statistics.median(v) for v in times.values()]
    minima = [min(v) for v in times.values()]
    plain, nda, low_plain, low_nda = medians[0], medians[1], *minima[:2]
    print(
        f"\nNDA / plain: {nda / plain:.2f}x (medians), "
        f"{low_nda / low_plain:.2f}x (minima); paper 1.25x, target <= 1.25x"
    )
    if args.parts:
        median = {k: statistics.median(v) for k, v in times.items()}
        negatives = median["NDA negatives (transform + key pass, 2B)"]
        doubling = median["key pass, 2B images"] / median["key pass, B images"]
        print(
            f"NDA step - plain step: {nda - plain:.3f} s; the NDA negatives "
            f"alone: {negatives:.3f} s; plain + negatives = "
            f"{(plain + negatives) / plain:.2f}x plain; 2B / B key pass: "
            f"{doubling:.2f}x"
        )


if __name__ == "__main__":
    main()
