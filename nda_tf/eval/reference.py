"""Reference (real-image) statistics, computed once and cached as .npz."""

from nda_tf.eval import pipeline, stats


def reference_statistics(
    dataset,
    extractor,
    split="test",
    num_images=10000,
    source=None,
    cache_dir=None,
    batch_size=100,
    strategy=None,
    progress=True,
    refresh=False,
    resolution=None,
    data_dir=None,
):
    """Statistics of `num_images` real images, from the cache when there.

    The cache key is (dataset, split, backbone, num_images); the file is
    `<cache_dir>/fid_stats/<key>.npz` (see `stats.reference_path`). It holds
    the mean, covariance and the features (for KID).

    Args:
        dataset: dataset name, as `nda_tf.data.load` takes it (the paper:
            the test split, 10k images).
        extractor: a `FeatureExtractor`.
        split: the split.
        num_images: how many images.
        source: optional images to use instead of loading `dataset` (a
            dataset, array or callable, see `batching.batches`); `dataset`
            then only names them in the cache.
        cache_dir: cache root (default `$NDA_TF_CACHE` or ~/.cache/nda_tf).
        batch_size: as in `pipeline.compute_statistics`.
        strategy: as in `pipeline.compute_statistics`.
        progress: as in `pipeline.compute_statistics`.
        refresh: recompute even when cached.
        resolution: passed to `nda_tf.data.load`.
        data_dir: passed to `nda_tf.data.load`.
    """
    if not isinstance(dataset, str) or not dataset:
        raise ValueError(f"dataset must be a non-empty name; got {dataset!r}")
    path = stats.reference_path(
        dataset, split, extractor.name, num_images, cache_dir
    )
    if path.is_file() and not refresh:
        cached = stats.Statistics.load(path)
        if cached.metadata.get("backbone") != extractor.name:
            raise ValueError(
                f"{path} was computed with backbone "
                f"{cached.metadata.get('backbone')!r}, not {extractor.name!r}"
            )
        return cached
    if source is None:
        source = _load(dataset, split, resolution, data_dir)
    result = pipeline.compute_statistics(
        source,
        extractor,
        num_images=num_images,
        batch_size=batch_size,
        keep_features=True,
        strategy=strategy,
        progress=progress,
        dataset=dataset,
        split=split,
        requested=num_images,
    )
    result.save(path)
    return result


def _load(dataset, split, resolution, data_dir):
    # Imported here: the data package is only needed to load named sets.
    from nda_tf import data

    images, _ = data.load(
        dataset, split=split, resolution=resolution, data_dir=data_dir
    )
    return images
