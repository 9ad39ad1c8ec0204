"""Evaluation speed: backbone throughput and an end-to-end FID/KID.

Part 1, feature extraction: images/s of each backbone on 32x32 images
(CIFAR size) in batches of `--batch_size`; every backbone is warmed up
(traced) first, then the repeats are interleaved across backbones and the
median is reported. The TF Inception graph is timed only when its file is
given (`--inception_path`) or cached; otherwise the script says so.
`inception_v3_keras` is timed with random weights (same compute as
ImageNet weights, which cannot be downloaded here).

Part 2, end to end: the paper's protocol size, N "generated" vs N
reference images (default 10k vs 10k), through
`nda_tf.eval.compute_statistics` (streaming, batched) and
`nda_tf.eval.score` (FID and KID, 100 subsets of 1000), with the
efficientnet_lite0 backbone on real CIFAR-10 JPEGs from
`../shared/data/cifar10-train-jpeg.tar.gz` (training images 0..N-1 as the
reference, N..2N-1 standing in for generated ones, read as a folder
dataset). Reports the time of each stage and the resulting FID/KID (two
halves of the same data: FID near 0 up to sampling noise).

    TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. python benchmarks/eval.py

Smoke run: `--num_images 500 --repeats 1`.
"""

import argparse
import os
import platform
import statistics
import tarfile
import tempfile
import time

import numpy as np
import tensorflow as tf

from nda_tf import data
from nda_tf.eval import backbones, compute_statistics, fid, score
from nda_tf.eval.backbones import inception_graph

# ../shared/data from the project root; a git worktree sits one level lower.
TARBALLS = [
    os.path.join(
        os.path.dirname(__file__),
        *([os.pardir] * levels),
        "shared",
        "data",
        "cifar10-train-jpeg.tar.gz",
    )
    for levels in (2, 3)
]


def _extractors(inception_path):
    found = {
        "efficientnet_lite0": backbones.EfficientNetLite0(),
        "inception_v3_keras": backbones.KerasInceptionV3(weights=None),
    }
    try:
        found["inception"] = backbones.InceptionGraph(inception_path)
    except ValueError as error:
        print(f"inception graph: not timed ({error})")
    return found


def throughput(batch_size, repeats, batches, inception_path):
    images = (
        np.random.default_rng(0)
        .uniform(-1, 1, (batch_size, 32, 32, 3))
        .astype("float32")
    )
    extractors = _extractors(inception_path)
    for extractor in extractors.values():
        extractor(images)  # trace
    times = {name: [] for name in extractors}
    for _ in range(repeats):
        for name, extractor in extractors.items():
            start = time.perf_counter()
            for _ in range(batches):
                extractor(images)
            times[name].append(time.perf_counter() - start)
    print(f"\n#### Feature extraction, 32x32 input, batch {batch_size}\n")
    print("| backbone | features | images/s (median) | min | max |")
    print("| --- | --- | --- | --- | --- |")
    for name, values in times.items():
        rates = [batch_size * batches / t for t in values]
        print(
            f"| {name} | {extractors[name].feature_dim} | "
            f"{statistics.median(rates):.1f} | {min(rates):.1f} | "
            f"{max(rates):.1f} |"
        )


def end_to_end(num_images, batch_size):
    found = [path for path in TARBALLS if os.path.isfile(path)]
    if not found:
        print(f"end to end: skipped, none of {TARBALLS}")
        return
    extractor = backbones.EfficientNetLite0()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        with tarfile.open(found[0]) as archive:
            archive.extractall(folder, filter="data")
        unpack = time.perf_counter() - start
        dataset, _ = data.load(f"folder:{os.path.join(folder, 'train')}")
        dataset = dataset.shuffle(50000, seed=0, reshuffle_each_iteration=False)
        stages = {"unpack JPEGs": unpack}
        start = time.perf_counter()
        reference = compute_statistics(
            dataset, extractor, num_images, batch_size, progress=False
        )
        stages[f"reference statistics ({num_images})"] = (
            time.perf_counter() - start
        )
        start = time.perf_counter()
        generated = compute_statistics(
            dataset.skip(num_images),
            extractor,
            num_images,
            batch_size,
            progress=False,
        )
        stages[f"generated statistics ({num_images})"] = (
            time.perf_counter() - start
        )
        start = time.perf_counter()
        fid_value = fid.frechet_distance(
            generated.mean,
            generated.covariance,
            reference.mean,
            reference.covariance,
        )
        stages["Frechet distance (1280-d)"] = time.perf_counter() - start
        start = time.perf_counter()
        kid_value = fid.kid(generated.features, reference.features)
        stages[f"KID (100 subsets of {min(1000, num_images)})"] = (
            time.perf_counter() - start
        )
        checked = score(generated, reference, ("fid",))["fid"]
        assert abs(checked - fid_value) < 1e-9
    print(
        f"\n#### End to end, {num_images} vs {num_images}, "
        "efficientnet_lite0, CIFAR-10 JPEGs\n"
    )
    print("| stage | seconds |")
    print("| --- | --- |")
    for stage, seconds in stages.items():
        print(f"| {stage} | {seconds:.1f} |")
    total = sum(v for k, v in stages.items() if k != "unpack JPEGs")
    print(f"| total (without unpacking) | {total:.1f} |")
    print(
        f"\nFID {fid_value:.3f}, KID {kid_value[0]:.5f} +- {kid_value[1]:.5f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch_size", type=int, default=100)
    parser.add_argument("--batches", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--num_images", type=int, default=10000)
    parser.add_argument("--inception_path", default=None)
    parser.add_argument("--skip_end_to_end", action="store_true")
    args = parser.parse_args()
    print(
        f"TensorFlow {tf.__version__}, NumPy {np.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(f"inception graph cache: {inception_graph.cached_graph_path()}")
    throughput(args.batch_size, args.repeats, args.batches, args.inception_path)
    if not args.skip_end_to_end:
        end_to_end(args.num_images, args.batch_size)


if __name__ == "__main__":
    main()
