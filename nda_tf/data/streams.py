"""Batched streams: generic shuffling, and seekable training streams.

Training streams are functions of `(seed, start)`: batch `n` of a stream is
the same whether the stream was opened at 0 and read `n` batches or opened at
`start=n`. A run therefore resumes exactly by storing one counter, with no
tf.data iterator (and no shuffle buffer) in its checkpoints.
"""

import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf.data import dots, images


def batches(
    dataset,
    batch_size,
    shuffle=True,
    repeat=True,
    seed=0,
    drop_remainder=True,
    shuffle_buffer=10_000,
):
    """Shuffles, repeats, batches and prefetches an unbatched dataset."""
    checks.check_int("batch_size", batch_size, 1)
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)


def indexed_batches(image_array, labels, batch_size, seed=0, start=0):
    """Endless shuffled batches of in-memory uint8 images, from batch `start`.

    Each epoch is a fresh permutation drawn from `(seed, epoch)`; batches run
    across epoch boundaries, so every image is seen once per epoch.

    Returns:
        A dataset of `(float32 images in [-1, 1], int32 labels)` batches.
    """
    checks.check_int("batch_size", batch_size, 1)
    count = len(image_array)
    if count == 0 or len(labels) != count:
        raise ValueError(
            f"need as many labels as images (> 0); received {count} images "
            f"and {len(labels)} labels"
        )
    first_example = int(start) * batch_size
    first_epoch, offset = divmod(first_example, count)

    def epoch_indices(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64),
            seed=tf.stack([tf.constant(seed, tf.int64), epoch]),
        )
        return tf.data.Dataset.from_tensor_slices(order)

    def gather(indices):
        return image_array[indices], labels[indices]

    def load(indices):
        batch, batch_labels = tf.numpy_function(
            gather, [indices], (tf.uint8, tf.int32), stateful=False
        )
        batch = tf.ensure_shape(batch, [batch_size, *image_array.shape[1:]])
        batch_labels = tf.ensure_shape(batch_labels, [batch_size])
        return images.to_float(batch), batch_labels

    labels = np.asarray(labels, np.int32)
    indices = (
        tf.data.Dataset.counter(first_epoch)
        .flat_map(epoch_indices)
        .skip(offset)
        .batch(batch_size, drop_remainder=True)
    )
    return indices.map(load).prefetch(tf.data.AUTOTUNE)


def dots_batches(options, batch_size, seed=0, start=0):
    """Endless batches of dots images (see `nda_tf.data.dots`), from `start`.

    The label of each image indexes `options["counts"]`.
    """
    checks.check_int("batch_size", batch_size, 1)
    counts = np.asarray(options["counts"], np.int64)
    size = options["size"]
    render_options = {
        k: options[k] for k in ("size", "radius", "background") if k in options
    }

    def draw(first):
        first = int(first)
        rng = np.random.default_rng([seed, first, 1])
        labels = rng.integers(len(counts), size=batch_size).astype(np.int32)
        batch = dots.render(
            counts[labels].tolist(), seed=seed, start=first, **render_options
        )
        return batch, labels

    def load(first):
        batch, labels = tf.numpy_function(
            draw, [first], (tf.uint8, tf.int32), stateful=False
        )
        batch = tf.ensure_shape(batch, [batch_size, size, size, 3])
        return images.to_float(batch), tf.ensure_shape(labels, [batch_size])

    firsts = tf.data.Dataset.counter(int(start) * batch_size, batch_size)
    return firsts.map(
        load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    ).prefetch(tf.data.AUTOTUNE)
