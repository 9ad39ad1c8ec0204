"""A small learnable image set: one shape per image, class = the shape.

Colour, size and position are random, so a representation must capture
shape to be linearly separable by class.
"""

import numpy as np

SIZE = 16
CLASSES = ("square", "disc", "ring", "cross")


def render(count, seed=0):
    """`count` float32 images in [-1, 1] `[N, 16, 16, 3]` and int labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), count)
    rows, cols = np.mgrid[:SIZE, :SIZE]
    images = np.zeros([count, SIZE, SIZE, 3], "float32")
    for i, label in enumerate(labels):
        radius = rng.uniform(3.5, 6.0)
        cy, cx = rng.uniform(radius, SIZE - radius, 2)
        dy, dx = np.abs(rows - cy), np.abs(cols - cx)
        distance = np.hypot(dy, dx)
        mask = {
            "square": np.maximum(dy, dx) <= radius * 0.8,
            "disc": distance <= radius,
            "ring": (distance <= radius) & (distance >= radius - 1.6),
            "cross": (np.minimum(dy, dx) <= 1.0)
            & (np.maximum(dy, dx) <= radius),
        }[CLASSES[label]]
        colour = rng.uniform(0.3, 1.0, 3)
        images[i][mask] = colour
    return images * 2.0 - 1.0, labels.astype("int32")
