"""Batched, streaming feature statistics of datasets and generators.

Images flow one batch at a time from the source through the backbone into
a `RunningStatistics`; only features (and logits, for IS) are kept. Under a
`tf.distribute` strategy each batch is split across the replicas.
"""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf.eval import batching, fid, stats, support
from nda_tf.eval.backbones import base

# The metric registry (name -> the better direction, which picks the best
# checkpoint), kept where commands read it without TensorFlow.
from nda_tf.eval.names import METRICS

# Metrics that need the features of both sets, not only their moments.
FEATURE_METRICS = ("kid", *support.METRICS)


def compute_statistics(
    source,
    extractor,
    num_images=10000,
    batch_size=100,
    keep_features=True,
    keep_logits=False,
    strategy=None,
    progress=True,
    **metadata,
):
    """`stats.Statistics` of `num_images` images from `source`.

    Args:
        source: images as `batching.batches` takes them: an array, a
            dataset or a generator function `fn(size)`.
        extractor: a `FeatureExtractor`.
        num_images: how many images (the paper: 10k).
        batch_size: images per backbone call (split across replicas).
        keep_features: keep the features (for KID).
        keep_logits: keep the class logits (for IS).
        strategy: optional `tf.distribute.Strategy`.
        progress: show a progress bar.
        **metadata: extra facts stored with the statistics.
    """
    if not isinstance(extractor, base.FeatureExtractor):
        raise ValueError(f"extractor must be a FeatureExtractor: {extractor!r}")
    if keep_logits and not extractor.has_logits:
        raise ValueError(f"backbone {extractor.name!r} gives no logits for IS")
    checks.check_int("num_images", num_images, 1)
    available = _known_size(source)
    if available is not None and available < num_images:
        # Known before any feature is computed: fail before the work.
        raise ValueError(_short_message(available, num_images, metadata))
    running = stats.RunningStatistics(keep_features, keep_logits)
    bar = (
        keras.utils.Progbar(num_images, unit_name="image") if progress else None
    )
    for images in batching.batches(source, batch_size, num_images):
        features, logits = _extract(extractor, images, strategy)
        running.update(features, logits)
        if bar is not None:
            bar.update(running.count)
    if running.count < num_images:
        raise ValueError(_short_message(running.count, num_images, metadata))
    return running.result(
        backbone=extractor.name,
        protocol=extractor.describe(),
        count=running.count,
        **metadata,
    )


def _known_size(source):
    """The number of images of an array or a finite unbatched dataset, or
    None when it is not known without reading it."""
    if isinstance(source, tf.data.Dataset):
        if not batching.is_unbatched(source):
            return None
        size = int(source.cardinality())
        return size if size >= 0 else None
    if callable(source):
        return None
    return len(source)


def _short_message(available, requested, metadata):
    where = metadata.get("dataset")
    if where and metadata.get("split"):
        where = f"{where} ({metadata['split']} split)"
    return (
        f"asked for {requested} images but {where or 'the source'} has only "
        f"{available}: ask for at most {available} (an FID of fewer images "
        "is not comparable with one of more)"
    )


def _extract(extractor, images, strategy):
    if strategy is None or strategy.num_replicas_in_sync == 1:
        return extractor.features_and_logits(images)
    images = extractor.prepare(images)
    replicas = strategy.num_replicas_in_sync
    bounds = np.linspace(0, int(images.shape[0]), replicas + 1).astype(int)

    def shard(context):
        index = context.replica_id_in_sync_group
        return images[bounds[index] : bounds[index + 1]]

    shards = strategy.experimental_distribute_values_from_function(shard)
    outputs = strategy.run(extractor._traced, args=(shards,))
    features = strategy.gather(outputs["features"], axis=0).numpy()
    logits = outputs.get("logits")
    if logits is not None:
        logits = strategy.gather(logits, axis=0).numpy()
    return features, logits


def score(
    generated,
    reference,
    metrics=("fid", "kid"),
    kid_subsets=100,
    kid_subset_size=1000,
    is_splits=10,
    support_k=support.DEFAULT_K,
):
    """Metrics of generated statistics against reference statistics.

    Args:
        generated: `Statistics` of the generated images (with features for
            KID and the support metrics, logits for IS).
        reference: `Statistics` of the real images (features for KID and
            the support metrics).
        metrics: any names of `METRICS`.
        support_k: the k of precision, recall, density and coverage.

    Returns:
        dict of floats: `fid`, `kid` and `kid_std`, `is` and `is_std`,
        `precision`, `recall`, `density`, `coverage`, as asked.
    """
    metrics = check_metrics(metrics)
    backbones = (
        generated.metadata.get("backbone"),
        reference.metadata.get("backbone"),
    )
    if None not in backbones and backbones[0] != backbones[1]:
        raise ValueError(
            f"generated and reference statistics come from different "
            f"backbones: {backbones[0]!r} and {backbones[1]!r}"
        )
    results = {}
    if "fid" in metrics:
        results["fid"] = fid.frechet_distance(
            generated.mean,
            generated.covariance,
            reference.mean,
            reference.covariance,
        )
    if "kid" in metrics:
        if generated.features is None or reference.features is None:
            raise ValueError("KID needs the features of both sets")
        results["kid"], results["kid_std"] = fid.kid(
            generated.features, reference.features, kid_subsets, kid_subset_size
        )
    if "is" in metrics:
        if generated.logits is None:
            raise ValueError("IS needs the logits of the generated images")
        results["is"], results["is_std"] = fid.inception_score(
            generated.logits,
            min(is_splits, len(generated.logits)),
            from_logits=True,
        )
    wanted = [m for m in metrics if m in support.METRICS]
    if wanted:
        if generated.features is None or reference.features is None:
            raise ValueError(
                f"{', '.join(wanted)} need the features of both sets"
            )
        values = support.support_metrics(
            reference.features, generated.features, support_k
        )
        results.update({name: values[name] for name in wanted})
    return results


def keeps_features(metrics):
    """Whether `metrics` need the features of the images, not only their
    moments."""
    return any(m in FEATURE_METRICS for m in check_metrics(metrics))


def check_metrics(metrics):
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    metrics = tuple(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(
            f"metrics must be among {', '.join(METRICS)}; received "
            f"{', '.join(metrics) or 'none'}"
        )
    return metrics
