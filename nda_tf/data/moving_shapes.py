"""Built-in `moving_shapes` videos: bars that move with one of 8 motions.

Every video shows `shapes` bars (each of random length, thickness, angle,
colour and start position, on a random dark background) that all move the
same way in every frame: right, left, up or down by one pixel per frame
(at 32 pixels), right or left twice as fast, or each turning clockwise or
anticlockwise about its centre. The motion is the label. Any single frame
is bars at random places and angles whatever the label, so only the
frames' order and displacement tell the classes apart: a model must look
at time. Several bars spread the motion over the frame, so most positions
of a feature map see some. The canvas wraps around, so a bar never leaves
it. Videos are functions of `(data seed, split, index)`, so a dataset is
the same on every machine.

    >>> videos = render(seed=0, split="train", indices=[0, 1], frames=6,
    ...                 size=16)
    >>> videos.shape, videos.dtype
    ((2, 6, 16, 16, 3), dtype('uint8'))
"""

import numpy as np

MOTIONS = (
    "right",
    "left",
    "up",
    "down",
    "right_fast",
    "left_fast",
    "clockwise",
    "anticlockwise",
)
# Per motion: (rows, columns) per frame in pixels at size 32, and turn in
# radians per frame.
_STEPS = {
    "right": (0.0, 1.0, 0.0),
    "left": (0.0, -1.0, 0.0),
    "up": (-1.0, 0.0, 0.0),
    "down": (1.0, 0.0, 0.0),
    "right_fast": (0.0, 2.0, 0.0),
    "left_fast": (0.0, -2.0, 0.0),
    "clockwise": (0.0, 0.0, np.pi / 12),
    "anticlockwise": (0.0, 0.0, -np.pi / 12),
}
_SPLITS = {"train": 0, "test": 1, "validation": 2}


def labels(seed, split, indices):
    """The motion index of each video."""
    return np.array(
        [_rng(seed, split, i).integers(len(MOTIONS)) for i in indices],
        np.int32,
    )


def render(seed, split, indices, frames, size=32, shapes=4):
    """uint8 videos `[len(indices), frames, size, size, 3]`."""
    return np.stack(
        [_video(_rng(seed, split, i), frames, size, shapes) for i in indices]
    )


def _rng(seed, split, index):
    if split not in _SPLITS:
        raise ValueError(
            f"moving_shapes splits are {', '.join(_SPLITS)}; received {split!r}"
        )
    return np.random.default_rng([int(seed), _SPLITS[split], int(index)])


def _video(rng, frames, size, shapes):
    # The label is drawn first so that `labels` reads it from the same rng.
    motion = MOTIONS[rng.integers(len(MOTIONS))]
    background = rng.uniform(0, 60, 3)
    video = np.broadcast_to(background, (frames, size, size, 3)).copy()
    for _ in range(shapes):
        inside = _bar(rng, motion, frames, size)
        video[inside] = rng.uniform(150, 255, 3)
    return np.round(video).astype(np.uint8)


def _bar(rng, motion, frames, size):
    """Where one moving bar is, `[frames, size, size]` booleans."""
    scale = size / 32.0
    down, right, turn = _STEPS[motion]
    centre = rng.uniform(0, size, 2)
    angle = rng.uniform(0, np.pi)
    half_length = rng.uniform(0.1, 0.2) * size
    half_width = rng.uniform(0.03, 0.06) * size
    t = np.arange(frames, dtype=np.float64)
    cy = centre[0] + down * scale * t
    cx = centre[1] + right * scale * t
    angles = angle + turn * t
    grid = np.arange(size, dtype=np.float64) + 0.5
    # Offsets from the bar's centre on the wrapped canvas, [frames, S, S].
    dy = _wrapped(grid[None, :, None] - cy[:, None, None], size)
    dx = _wrapped(grid[None, None, :] - cx[:, None, None], size)
    cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    along = dx * cos + dy * sin
    across = -dx * sin + dy * cos
    return (np.abs(along) <= half_length) & (np.abs(across) <= half_width)


def _wrapped(offset, size):
    return (offset + size / 2) % size - size / 2
