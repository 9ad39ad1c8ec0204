"""Image batches from arrays or `tf.data` datasets, as float32 in [-1, 1].

Evaluation reads images from many kinds of sources (arrays in memory,
datasets of images or `(image, label)` pairs, batched or not); this turns all
of them into one stream of float batches.
"""

import numpy as np
import tensorflow as tf

from nda_tf import checks


def iterate_batches(data, batch_size, num_images=None):
    """Yields float32 image batches in [-1, 1] from arrays or datasets.

    Args:
        data: a uint8 (0..255) or float ([-1, 1]) array `[N, H, W, C]`, or a
            `tf.data.Dataset` of images or `(image, label)` pairs, batched
            or not.
        batch_size: int >= 1.
        num_images: optional int, stop after this many images.
    """
    checks.check_int("batch_size", batch_size, 1)
    checks.check_int("num_images", num_images, 1, allow_none=True)
    if isinstance(data, tf.data.Dataset):
        batches = _dataset_batches(data, batch_size)
    else:
        array = np.asarray(data)
        if array.ndim != 4:
            raise ValueError(
                f"images must have shape [N, H, W, C]; received {array.shape}"
            )
        batches = (
            array[i : i + batch_size] for i in range(0, len(array), batch_size)
        )
    seen = 0
    for batch in batches:
        if num_images is not None and seen + len(batch) > num_images:
            batch = batch[: num_images - seen]
        seen += len(batch)
        yield to_float(batch)
        if num_images is not None and seen >= num_images:
            return


def _dataset_batches(dataset, batch_size):
    spec = dataset.element_spec
    if isinstance(spec, tuple):
        dataset = dataset.map(lambda image, *rest: image)
        spec = spec[0]
    if not isinstance(spec, tf.TensorSpec) or spec.shape.rank not in (3, 4):
        raise ValueError(
            "a dataset must yield images [H, W, C] (or batches of them), "
            f"optionally with labels; its element_spec is {spec}"
        )
    if spec.shape.rank == 3:
        dataset = dataset.batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE).as_numpy_iterator()


def to_float(batch):
    batch = np.asarray(batch)
    if batch.dtype == np.uint8:
        return batch.astype(np.float32) / 127.5 - 1.0
    if not np.issubdtype(batch.dtype, np.floating):
        raise ValueError(
            "images must be uint8 (0..255) or floating point in [-1, 1]; "
            f"received dtype {batch.dtype}"
        )
    return batch.astype(np.float32)


def is_unbatched(dataset):
    spec = dataset.element_spec
    spec = spec[0] if isinstance(spec, tuple) else spec
    return getattr(spec, "shape", None) is not None and spec.shape.rank == 3
