"""Image batches from arrays, `tf.data` datasets or generator functions.

Evaluation reads images from many kinds of sources (arrays in memory,
datasets of images, `(image, label)` pairs or `{"image": ...}` dicts,
batched or not, and functions that generate images); `batches` turns all
of them into one stream of batches of a chosen size.
"""

import numpy as np
import tensorflow as tf

from nda_tf import checks


def batches(source, batch_size, num_images=None):
    """Yields image batches of `batch_size` images (the last may be fewer).

    Batches come as the source holds its images (uint8 or float); `to_float`
    maps them to float32 in [-1, 1].

    Args:
        source: an array `[N, H, W, C]`; a `tf.data.Dataset` of images,
            `(image, label, ...)` tuples or `{"image": ...}` dicts, batched
            or not; or a callable `fn(size)` returning `size` images (a
            generator; needs `num_images`).
        batch_size: int >= 1.
        num_images: optional int >= 1, stop after this many images.
    """
    checks.check_int("batch_size", batch_size, 1)
    checks.check_int("num_images", num_images, 1, allow_none=True)
    if isinstance(source, tf.data.Dataset):
        dataset = images_only(source)
        if num_images is not None:
            dataset = dataset.take(num_images)
        dataset = dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
        yield from dataset.as_numpy_iterator()
    elif callable(source):
        if num_images is None:
            raise ValueError("a generator source needs num_images")
        for start in range(0, num_images, batch_size):
            size = min(batch_size, num_images - start)
            images = source(size)
            if len(images) != size:
                raise ValueError(
                    f"the generator returned {len(images)} images; asked for "
                    f"{size}"
                )
            yield images
    else:
        array = np.asarray(source)
        if array.ndim != 4:
            raise ValueError(
                f"images must have shape [N, H, W, C]; received {array.shape}"
            )
        stop = len(array) if num_images is None else min(num_images, len(array))
        for start in range(0, stop, batch_size):
            yield array[start : min(start + batch_size, stop)]


def drawn_in_units(draw, unit=0):
    """A generator function for `batches` that draws whole units.

    A GAN sampled with batch statistics (`NDAGAN.generate(stats_batch=N)`)
    makes images N at a time; asked for 100 it draws 128 and drops 28.
    This source keeps what a draw made beyond the request for the next
    request, so `num_images` images cost `ceil(num_images / N) * N`.

    Args:
        draw: `fn(count, start)` returning the `count` images of a draw
            that begins at position `start` of the stream (e.g. with a
            seed of `seed + start`; the images then depend on how the
            stream is cut into draws, as they did on the batch size).
        unit: int >= 0: every `count` is a multiple of it (0: exactly
            what is asked, so `start` is each batch's first index).

    Returns:
        `fn(size)` returning the stream's next `size` images.
    """
    checks.check_int("unit", unit, 0)
    held = []  # drawn, not yet returned
    drawn = 0

    def source(size):
        nonlocal drawn
        missing = size - sum(len(images) for images in held)
        if missing > 0:
            count = -(-missing // unit) * unit if unit else missing
            images = np.asarray(draw(count, drawn))
            if len(images) != count:
                raise ValueError(
                    f"draw returned {len(images)} images; asked for {count}"
                )
            held.append(images)
            drawn += count
        stream = np.concatenate(held) if len(held) > 1 else held[0]
        held[:] = [stream[size:]] if len(stream) > size else []
        return stream[:size]

    return source


def images_only(dataset):
    """The images of a dataset of images, tuples or dicts, unbatched."""
    spec = dataset.element_spec
    if isinstance(spec, tuple):
        dataset, spec = dataset.map(lambda image, *rest: image), spec[0]
    elif isinstance(spec, dict):
        if "image" not in spec:
            raise ValueError(f"dict elements need an 'image' key; got {spec}")
        dataset, spec = dataset.map(lambda item: item["image"]), spec["image"]
    if not isinstance(spec, tf.TensorSpec) or spec.shape.rank not in (3, 4):
        raise ValueError(
            "a dataset must yield images [H, W, C] (or batches of them), "
            f"optionally with labels; its element_spec is {spec}"
        )
    return dataset.unbatch() if spec.shape.rank == 4 else dataset


def to_float(batch, name="images"):
    """uint8 (0..255) or float images -> float32 in [-1, 1]."""
    batch = np.asarray(batch)
    if batch.dtype == np.uint8:
        return batch.astype(np.float32) / 127.5 - 1.0
    if not np.issubdtype(batch.dtype, np.floating):
        raise ValueError(
            f"{name} must be uint8 (0..255) or floating point in [-1, 1]; "
            f"received dtype {batch.dtype}"
        )
    return batch.astype(np.float32)


def is_unbatched(dataset):
    spec = dataset.element_spec
    spec = spec[0] if isinstance(spec, tuple) else spec
    return getattr(spec, "shape", None) is not None and spec.shape.rank == 3
