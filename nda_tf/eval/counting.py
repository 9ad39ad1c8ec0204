"""Counting dots in (generated) images, for the numerosity experiment.

Paper Appendix A: a GAN trained on images with exactly `k` dots should
generate images with `k` dots; without NDA the generated counts spread out,
with NDA (images with other counts as negatives) they concentrate on `k`.
This module turns images into counts and counts into that distribution.

A pixel belongs to a dot when it differs from the image's background by more
than `threshold` (in 0..255 units) in some channel. The background is
estimated per image as the per-channel median of the one-pixel border, which
a few dots touching the border cannot move. That difference map is smoothed
by a small median filter before thresholding, so that noisy pixels of a
generated image neither join two dots nor form dots of their own. Dots are
the connected components of the mask with at least `min_area` pixels.

    >>> from nda_tf.data import dots
    >>> count_dots(dots.render([0, 3, 7])).tolist()
    [0, 3, 7]
"""

import collections

import numpy as np

from nda_tf import checks, extras

# The dots renderer makes every dot differ from its background by at least
# 80 in every channel; half of that separates dots from background even with
# noise of a few tens of levels.
DEFAULT_THRESHOLD = 40.0
# A radius-1 disc has 5 pixels: anything smaller is treated as noise.
DEFAULT_MIN_AREA = 5
# A 3x3 median keeps discs of radius >= 2 and removes speckle; measured on
# dots with Gaussian noise of std 20 (0..255 units) it lifts exact counts
# from 75% to 98%.
DEFAULT_MEDIAN_SIZE = 3

# Neighbourhoods of the connected components: the 3x3 cross, or the full
# 3x3 square when diagonal neighbours connect.
_STRUCTURES = {
    4: np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool),
    8: np.ones((3, 3), bool),
}

CountSummary = collections.namedtuple(
    "CountSummary",
    ["histogram", "fractions", "mean", "target", "exact", "mean_abs_error"],
)
CountSummary.__doc__ = """Distribution of dot counts.

Fields:
    histogram: int array, `histogram[c]` images with `c` dots.
    fractions: float array, `histogram / number of images`.
    mean: mean count.
    target: the intended count `k`, or None.
    exact: fraction of images with exactly `target` dots (None without one).
    mean_abs_error: mean of `|count - target|` (None without a target).
"""


def background(images):
    """Per-image, per-channel background level: median of the border.

    Args:
        images: `[N, H, W, C]` array in 0..255 units.

    Returns:
        float array `[N, C]`.
    """
    border = np.concatenate(
        [
            images[:, 0, :],
            images[:, -1, :],
            images[:, 1:-1, 0],
            images[:, 1:-1, -1],
        ],
        axis=1,
    )
    return np.median(border, axis=1)


def count_dots(
    images,
    threshold=DEFAULT_THRESHOLD,
    min_area=DEFAULT_MIN_AREA,
    connectivity=8,
    median_size=DEFAULT_MEDIAN_SIZE,
):
    """Number of dots in each image.

    Args:
        images: `[N, H, W, C]` (or one `[H, W, C]` image): uint8 in 0..255,
            or floating point in [-1, 1] as generators produce.
        threshold: a pixel is foreground when some channel differs from the
            background by more than this (0..255 units).
        min_area: int >= 1, smallest component (in pixels) counted as a dot.
        connectivity: 8 (diagonal neighbours connect, the default: rendered
            dots never touch diagonally) or 4.
        median_size: int >= 1, side of the median filter applied to the
            difference map; 1 disables it (use 1 for dots of radius 1,
            which a 3x3 median erases).

    Returns:
        int64 array `[N]` (a scalar for a single image).
    """
    with extras.needs("studies", __name__):
        from scipy import ndimage  # slow to import; only needed here

    _check_options(threshold, min_area, connectivity, median_size)
    images, single = _as_batch(images, "count_dots")
    pixels = _to_levels(images)
    level = background(pixels)[:, None, None, :]
    difference = np.max(np.abs(pixels - level), axis=-1)
    if median_size > 1:
        difference = ndimage.median_filter(
            difference, size=(1, median_size, median_size)
        )
    masks = difference > threshold
    structure = _STRUCTURES[connectivity]
    counts = np.empty(len(masks), np.int64)
    for i, mask in enumerate(masks):
        labels, num = ndimage.label(mask, structure=structure)
        sizes = np.bincount(labels.ravel(), minlength=num + 1)[1:]
        counts[i] = np.count_nonzero(sizes >= min_area)
    return counts[0] if single else counts


def count_objects(
    images,
    threshold=DEFAULT_THRESHOLD,
    min_area_fraction=0.004,
    background_fraction=0.5,
    median_size=DEFAULT_MEDIAN_SIZE,
):
    """Number of objects in each CLEVR-like image (generated scenes).

    Real CLEVR scenes are counted from their metadata
    (`nda_tf.data.clevr.object_count`); generated ones have none, so this
    counter finds blobs that stand out from the floor: the floor's shading
    is estimated by a median filter of side `background_fraction` of the
    image (objects cover far less than half of any such window), computed
    on the image subsampled to about 16 x 16,
    pixels whose colour differs from it by more than `threshold` in some
    channel are foreground, a `median_size` median filter removes speckle,
    and each 8-connected component of at least `min_area_fraction` of the
    image is an object. Touching or overlapping objects count as one and
    shadows below `threshold` are ignored. Its accuracy on real CLEVR
    scenes (metadata counts) is measured by `python -m
    nda_tf.experiments.clevr_counter` (`counter_accuracy`). The released
    CLEVR images could not be downloaded where this was written; on 240
    scenes of one to three objects rendered there with the official CLEVR
    generator, at 64x64, it was exact on 57% and within one on 93%, mostly
    undercounting small, grey or touching objects (experiments/RESULTS.md).
    The tests check it on drawn scenes of known count.

    Args:
        images: `[N, H, W, C]` (or one `[H, W, C]`): uint8, or floats in
            [-1, 1].
        threshold: colour difference from the floor (0..255 units).
        min_area_fraction: float in (0, 1), smallest object area.
        background_fraction: float in (0, 1], the floor filter's side.
        median_size: int >= 1, speckle filter side (1: none).

    Returns:
        int64 array `[N]` (a scalar for a single image).
    """
    with extras.needs("studies", __name__):
        from scipy import ndimage

    checks.check_number(
        "min_area_fraction", min_area_fraction, 0, 1, True, True
    )
    checks.check_number(
        "background_fraction", background_fraction, 0, 1, low_open=True
    )
    _check_options(threshold, 1, 8, median_size)
    images, single = _as_batch(images, "count_objects")
    pixels = _to_levels(images)
    height, width = pixels.shape[1:3]
    # The floor varies slowly: filtered at about 16 x 16 and blown back
    # up, it costs a few hundredths of the full-size median filter.
    step = max(1, min(height, width) // 16)
    coarse = pixels[:, ::step, ::step]
    side = max(3, int(round(background_fraction * min(coarse.shape[1:3]))))
    floor = ndimage.median_filter(coarse, size=(1, side, side, 1))
    floor = np.repeat(np.repeat(floor, step, axis=1), step, axis=2)
    floor = floor[:, :height, :width]
    difference = np.max(np.abs(pixels - floor), axis=-1)
    if median_size > 1:
        difference = ndimage.median_filter(
            difference, size=(1, median_size, median_size)
        )
    min_area = max(1, int(round(min_area_fraction * height * width)))
    counts = np.empty(len(pixels), np.int64)
    for i, mask in enumerate(difference > threshold):
        labels, num = ndimage.label(mask, structure=_STRUCTURES[8])
        sizes = np.bincount(labels.ravel(), minlength=num + 1)[1:]
        counts[i] = np.count_nonzero(sizes >= min_area)
    return counts[0] if single else counts


def summarize_counts(counts, target=None, max_count=None):
    """The distribution of dot counts, and how close it is to `target`.

    Args:
        counts: int array of per-image counts (from `count_dots`).
        target: optional int, the count the images should have.
        max_count: optional int; the histogram covers 0..max(max_count,
            largest count), so runs can be compared bin by bin.

    Returns:
        A `CountSummary`.
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(
            f"counts must be a non-empty 1-D array; received {counts.shape}"
        )
    if np.any(counts < 0) or not np.issubdtype(counts.dtype, np.integer):
        raise ValueError("counts must be non-negative integers")
    checks.check_int("target", target, 0, allow_none=True)
    checks.check_int("max_count", max_count, 0, allow_none=True)
    length = max(int(counts.max()), max_count or 0, target or 0) + 1
    histogram = np.bincount(counts, minlength=length)
    exact = error = None
    if target is not None:
        exact = float(np.mean(counts == target))
        error = float(np.mean(np.abs(counts - target)))
    return CountSummary(
        histogram=histogram,
        fractions=histogram / counts.size,
        mean=float(counts.mean()),
        target=target,
        exact=exact,
        mean_abs_error=error,
    )


def plot_counts(summaries, path, title="Dot counts"):
    """Bar chart of one or more count distributions, saved as PNG.

    Args:
        summaries: dict `{run name: CountSummary}`.
        path: the PNG file to write.
    """
    # A bare Figure renders with Agg on savefig: no pyplot, so the user's
    # matplotlib backend is left as it was.
    with extras.needs("studies", __name__):
        from matplotlib.figure import Figure

    length = max(len(s.histogram) for s in summaries.values())
    width = 0.8 / max(len(summaries), 1)
    figure = Figure(figsize=(6, 3.5))
    axes = figure.subplots()
    for i, (name, summary) in enumerate(summaries.items()):
        fractions = np.zeros(length)
        fractions[: len(summary.fractions)] = summary.fractions
        axes.bar(np.arange(length) + i * width, fractions, width, label=name)
    targets = {s.target for s in summaries.values() if s.target is not None}
    for target in targets:
        axes.axvline(target + 0.4 - width / 2, color="k", linestyle=":")
    axes.set_xticks(np.arange(length) + 0.4 - width / 2, range(length))
    axes.set_xlabel("dots per image")
    axes.set_ylabel("fraction of images")
    axes.set_title(title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def _as_batch(images, caller):
    """`(images [N, H, W, C], single)`: one image becomes a batch of one;
    anything else that is not a batch of at least 3 x 3 is refused."""
    images = np.asarray(images)
    single = images.ndim == 3
    if single:
        images = images[None]
    if images.ndim != 4 or images.shape[1] < 3 or images.shape[2] < 3:
        raise ValueError(
            f"{caller} expects images [N, H, W, C] (H, W >= 3) or one "
            f"image [H, W, C]; received shape {images.shape}"
        )
    return images, single


def _to_levels(images):
    if images.dtype == np.uint8:
        return images.astype(np.float32)
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            "images must be uint8 or floating point in [-1, 1]; received "
            f"dtype {images.dtype}"
        )
    return (images.astype(np.float32) + 1.0) * 127.5


def _check_options(threshold, min_area, connectivity, median_size):
    checks.check_number("threshold", threshold, 0, 255, high_open=True)
    checks.check_int("min_area", min_area, 1)
    checks.check_int("median_size", median_size, 1)
    checks.check_choice("connectivity", connectivity, _STRUCTURES)


CounterAccuracy = collections.namedtuple(
    "CounterAccuracy",
    ["counts", "confusion", "accuracy", "within_one", "per_count", "total"],
)
CounterAccuracy.__doc__ = """How well a counter matches known counts.

Fields:
    counts: the true counts present, sorted.
    confusion: `{true count: {predicted count: images}}`.
    accuracy: share of images counted exactly.
    within_one: share counted within one of the truth.
    per_count: `{true count: share counted exactly}`.
    total: number of images.
"""


def counter_accuracy(true_counts, predicted):
    """Confusion by count, accuracy and within-one accuracy of a counter.

    Args:
        true_counts: int array `[N]` (e.g. CLEVR metadata counts).
        predicted: int array `[N]`, the counter's answers.

    Returns:
        A `CounterAccuracy`.

    >>> result = counter_accuracy([3, 3, 4, 4], [3, 4, 4, 6])
    >>> result.accuracy, result.within_one, result.per_count
    (0.5, 0.75, {3: 0.5, 4: 0.5})
    >>> result.confusion
    {3: {3: 1, 4: 1}, 4: {4: 1, 6: 1}}
    """
    truth = np.asarray(true_counts, np.int64).reshape(-1)
    guess = np.asarray(predicted, np.int64).reshape(-1)
    if truth.shape != guess.shape or not len(truth):
        raise ValueError(
            "counter_accuracy needs as many predictions as true counts (at "
            f"least one); received {len(truth)} and {len(guess)}"
        )
    counts = sorted(int(c) for c in np.unique(truth))
    confusion = {}
    for c in counts:
        values, numbers = np.unique(guess[truth == c], return_counts=True)
        confusion[c] = {
            int(p): int(n) for p, n in zip(values, numbers, strict=True)
        }
    return CounterAccuracy(
        counts=counts,
        confusion=confusion,
        accuracy=float(np.mean(truth == guess)),
        within_one=float(np.mean(np.abs(truth - guess) <= 1)),
        per_count={c: float(np.mean(guess[truth == c] == c)) for c in counts},
        total=int(len(truth)),
    )


def counter_markdown(result, title="Counter accuracy"):
    """A `CounterAccuracy` as markdown: accuracy lines and the confusion
    table (rows: true count, columns: counted)."""
    columns = sorted({p for row in result.confusion.values() for p in row})
    lines = [
        f"## {title}",
        "",
        f"Images: {result.total}; exact: {result.accuracy:.4f}; within "
        f"one: {result.within_one:.4f}",
        "",
        "| true \\ counted | "
        + " | ".join(str(c) for c in columns)
        + " | exact |",
        "| --- | " + " | ".join("---:" for _ in columns) + " | ---: |",
    ]
    for count in result.counts:
        row = result.confusion[count]
        cells = " | ".join(str(row.get(c, 0)) for c in columns)
        lines.append(f"| {count} | {cells} | {result.per_count[count]:.4f} |")
    return "\n".join(lines) + "\n"
