"""Built-in `shapes_detection` images: coloured shapes with their boxes.

Every image shows `objects` filled shapes (a number drawn from the
range, both ends included) on a plain dark background. A shape's class
is its form: square, disc or triangle (`CLASSES`). Its colour, drawn from
`COLOURS` whatever the class, tells nothing about the class, so a
detector must see the form. Sides are drawn uniformly between
`max(4, size // 8)` and `size // 3` pixels.

Boxes are disjoint and at least one pixel apart, so the pixels that
differ from the background inside a box are its shape's, and a box is
exactly the smallest one that holds its shape: its rows are
`ymin * size <= y < ymax * size` (normalized `[ymin, xmin, ymax, xmax]`,
edges on pixel borders), its columns likewise. When an image cannot hold
the drawn number of shapes (after `_TRIES` placements each), it holds
fewer. Images are functions of `(seed, split, index)`, so a set is the
same on every machine.

    >>> found = render(seed=0, split="train", indices=[0, 1], size=32,
    ...                objects=(1, 3))
    >>> found.images.shape, found.boxes.shape, found.labels.shape
    ((2, 32, 32, 3), (2, 3, 4), (2, 3))
"""

import dataclasses

import numpy as np

from nda_tf import checks

CLASSES = ("square", "disc", "triangle")
# Bright colours, each with a channel at 255: every one differs from the
# background (at most 60 in every channel) by at least 195 somewhere.
COLOURS = (
    (255, 64, 64), (64, 255, 64), (64, 128, 255),
    (255, 255, 64), (255, 64, 255), (64, 255, 255),
)  # fmt: skip
BACKGROUND_MAX = 60
SPLITS = {"train": 0, "test": 1, "validation": 2}
_TRIES = 100


@dataclasses.dataclass
class Shapes:
    """Rendered images and their objects.

    Attributes:
        images: uint8 `[N, size, size, 3]`.
        boxes: float32 `[N, max_objects, 4]`, normalized `[ymin, xmin,
            ymax, xmax]`; zeros for the padding.
        labels: int32 `[N, max_objects]`, indices of `CLASSES`; -1 for
            the padding.
    """

    images: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray


def check_options(size, objects):
    """Validates the options; returns `objects` as a `(low, high)` pair."""
    checks.check_int("shapes_detection size", size, 16)
    if isinstance(objects, int):
        objects = (objects, objects)
    ok = (
        isinstance(objects, tuple | list)
        and len(objects) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in objects)
        and 1 <= objects[0] <= objects[1]
    )
    if not ok:
        raise ValueError(
            "shapes_detection objects must be an int >= 1 or a pair (low, "
            f"high) with 1 <= low <= high; received {objects!r}"
        )
    return tuple(objects)


def render(seed, split, indices, size=64, objects=(1, 4)):
    """The images `indices` of a split, with their objects (`Shapes`).

    Args:
        seed: int; the set's seed.
        split: "train", "test" or "validation" (different images).
        indices: image indices in the split.
        size: image height and width (>= 16).
        objects: shapes per image, an int or an inclusive `(low, high)`.
    """
    low, high = check_options(size, objects)
    if split not in SPLITS:
        raise ValueError(
            f"shapes_detection split must be one of {', '.join(SPLITS)}; "
            f"received {split!r}"
        )
    indices = list(indices)
    found = Shapes(
        np.zeros([len(indices), size, size, 3], np.uint8),
        np.zeros([len(indices), high, 4], np.float32),
        np.full([len(indices), high], -1, np.int32),
    )
    for j, index in enumerate(indices):
        rng = np.random.default_rng([seed, SPLITS[split], index])
        found.images[j] = rng.integers(0, BACKGROUND_MAX + 1)
        count = rng.integers(low, high + 1)
        for k, (top, left, side) in enumerate(_places(rng, count, size)):
            label = rng.integers(len(CLASSES))
            mask = _mask(CLASSES[label], side)
            colour = COLOURS[rng.integers(len(COLOURS))]
            found.images[j, top : top + side, left : left + side][mask] = colour
            rows = np.flatnonzero(mask.any(1))
            columns = np.flatnonzero(mask.any(0))
            found.boxes[j, k] = np.array(
                [
                    top + rows[0],
                    left + columns[0],
                    top + rows[-1] + 1,
                    left + columns[-1] + 1,
                ]
            ) / np.float32(size)
            found.labels[j, k] = label
    return found


def _places(rng, count, size):
    """Up to `count` squares `(top, left, side)` inside the image, one
    pixel apart at least (shapes fill their square up to its edges)."""
    placed = []
    for _ in range(count):
        for _ in range(_TRIES):
            side = int(rng.integers(max(4, size // 8), size // 3 + 1))
            top, left = rng.integers(0, size - side + 1, 2)
            if all(_apart((top, left, side), other) for other in placed):
                placed.append((int(top), int(left), side))
                break
    return placed


def _apart(a, b):
    """Whether two squares have at least one pixel between them."""
    (top_a, left_a, side_a), (top_b, left_b, side_b) = a, b
    return (
        top_a + side_a < top_b
        or top_b + side_b < top_a
        or left_a + side_a < left_b
        or left_b + side_b < left_a
    )


def _mask(shape, side):
    """The boolean `[side, side]` pixels of a shape filling its square."""
    y, x = np.mgrid[:side, :side] + 0.5  # pixel centres
    if shape == "square":
        return np.ones([side, side], bool)
    if shape == "disc":
        return (y - side / 2) ** 2 + (x - side / 2) ** 2 <= (side / 2) ** 2
    # Apex at the top centre, base along the bottom row.
    return np.abs(x - side / 2) <= y / 2
