"""Images of coloured dots for the numerosity experiment (paper Appendix A).

Each image shows exactly `k` filled discs of one radius on a plain
background. Disc centres are at least `2 * radius + 2` pixels apart, so
discs never overlap or touch (not even diagonally): a connected-components
count of the non-background pixels gives `k` exactly. Every disc gets its
own colour, each channel drawn uniformly from `COLOUR_RANGE`, far enough from
the default black background to stand out.

Image `i` of a stream with seed `s` depends only on `(s, i)`, so a stream can
be restarted at any index and gives the same images.
"""

import numpy as np
import tensorflow as tf

from nda_tf import checks

# Channel values of the discs (uint8); the background default is 0, so each
# disc differs from it by at least 80 in every channel.
COLOUR_RANGE = (80, 255)
_MAX_TRIES = 1000


def check_options(counts, size, radius, background=0):
    """Validates the options of a dots set (a dataset or negatives);
    returns `counts` as a tuple of ints.

    A count of 0 (a blank image) is one class among others; counts that
    are all 0 make a set of blank images only, which nothing can learn
    from, and are refused.
    """
    counts = _check_drawing(counts, size, radius, background)
    if max(counts) == 0:
        raise ValueError(
            f"dots counts {counts} give blank images only: at least one "
            "count must be >= 1"
        )
    return counts


def _check_drawing(counts, size, radius, background):
    """Validates what `render` draws: a batch of blanks is allowed."""
    if isinstance(counts, int):
        counts = (counts,)
    counts = tuple(checks.check_int("dots count", c, 0) for c in counts)
    if not counts:
        raise ValueError("dots counts must not be empty, received ()")
    checks.check_int("dots size", size, 1)
    checks.check_int("dots radius", radius, 1)
    if not 0 <= background < COLOUR_RANGE[0] // 2:
        raise ValueError(
            f"dots background must be in [0, {COLOUR_RANGE[0] // 2}) so "
            f"that dots stand out, received {background!r}"
        )
    capacity = max_dots(size, radius)
    if max(counts) > capacity:
        raise ValueError(
            f"{max(counts)} dots of radius {radius} do not fit reliably in "
            f"{size}x{size} images (at most {capacity}); use a smaller "
            "radius or count"
        )
    return counts


def max_dots(size, radius):
    """Most dots that random placement fits reliably.

    A square grid of spacing `2 * radius + 2` holds `n * n`; placing discs
    at random positions one by one (with restarts) reliably reaches 70% of
    that: measured, 12 of 16 at 32x32 and radius 3, 45 of 64 at 64x64.
    """
    span = size - 2 * radius  # room for centres
    per_side = (span - 1) // (2 * radius + 2) + 1 if span > 0 else 0
    return per_side * per_side * 7 // 10


def render(counts, size=32, radius=3, seed=0, start=0, background=0):
    """Images with the given dot counts, as uint8 `[N, size, size, 3]`.

    Args:
        counts: sequence of ints, the number of dots of each image.
        size: image height and width.
        radius: disc radius in pixels (a pixel is in the disc when its
            distance to the centre is at most `radius`).
        seed: int; image `start + j` is drawn from `(seed, start + j)`.
        start: index of the first image in the stream.
        background: grey level of the background.

    Example:

    >>> images = render([2, 5], size=32, radius=3)
    >>> images.shape, images.dtype
    ((2, 32, 32, 3), dtype('uint8'))
    """
    counts = _check_drawing(counts, size, radius, background)
    images = np.full([len(counts), size, size, 3], background, np.uint8)
    yy, xx = np.mgrid[:size, :size]
    for j, count in enumerate(counts):
        rng = np.random.default_rng([seed, start + j])
        for cy, cx in _centres(rng, count, size, radius):
            disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius * radius
            images[j][disc] = rng.integers(
                COLOUR_RANGE[0], COLOUR_RANGE[1] + 1, 3
            )
    return images


def _centres(rng, count, size, radius):
    if count == 0:
        return []
    gap2 = (2 * radius + 2) ** 2
    for _ in range(_MAX_TRIES):
        centres = []
        for _ in range(count * 50):
            cy, cx = rng.integers(radius, size - radius, 2)
            if all((cy - y) ** 2 + (cx - x) ** 2 >= gap2 for y, x in centres):
                centres.append((cy, cx))
                if len(centres) == count:
                    return centres
    raise RuntimeError(f"could not place {count} dots in {size}x{size}")


def dataset(counts=(6,), size=32, radius=3, seed=0, background=0):
    """An endless `tf.data.Dataset` of `(image, label)` dots pairs.

    Images are float32 `[size, size, 3]` in [-1, 1]. Each image's label is
    drawn uniformly from `range(len(counts))` and the image shows
    `counts[label]` dots. The stream is a map over `Dataset.counter()`, so
    its iterator state is one integer and checkpoints cheaply.
    """
    counts = check_options(counts, size, radius, background)
    table = np.asarray(counts, np.int64)

    def draw(index):
        index = int(index)
        label = np.random.default_rng([seed, index, 1]).integers(len(table))
        image = render(
            [table[label]],
            size,
            radius,
            seed,
            start=index,
            background=background,
        )[0]
        return image, np.int32(label)

    def load(index):
        image, label = tf.numpy_function(
            draw, [index], (tf.uint8, tf.int32), stateful=False
        )
        image = tf.ensure_shape(image, [size, size, 3])
        image = tf.cast(image, tf.float32) / 127.5 - 1.0
        return image, tf.ensure_shape(label, [])

    return tf.data.Dataset.counter().map(
        load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
