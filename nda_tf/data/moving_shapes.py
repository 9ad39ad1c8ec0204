"""Built-in `moving_shapes` videos: bars that move with one of 8 motions.

Every video shows `shapes` white bars on black (each of random length,
thickness, angle and start position) that all move the same way in every
frame: right, left, up or down by one pixel per frame (at 32 pixels),
right or left twice as fast, or each turning clockwise or anticlockwise
about its centre. The motion is the label. Any single frame is bars at
random places and angles whatever the label, so only the frames' order
and displacement tell the classes apart: a model must look at time.
Several bars spread the motion over the frame, so most positions of a
feature map see some. The canvas wraps around, so a bar never leaves it.
Videos are functions of `(data seed, split, index)`, so a dataset is the
same on every machine.

All videos look alike on purpose: with `colours=True` each bar has a
random bright colour on a random dark background (the same bars, the same
motions), and then a clip's colours alone tell it from the other clips of
a batch, which lets DPC's dense task be solved by colour and position
without modelling motion (experiments/RESULTS.md measured it: a linear
probe of motion fell to chance after pretraining on coloured videos).

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


def render(seed, split, indices, frames, size=32, shapes=4, colours=False):
    """uint8 videos `[len(indices), frames, size, size, 3]`; white bars on
    black, or coloured ones when `colours`."""
    return np.stack(
        [
            _video(_rng(seed, split, i), frames, size, shapes, colours)
            for i in indices
        ]
    )


def _rng(seed, split, index):
    if split not in _SPLITS:
        raise ValueError(
            f"moving_shapes splits are {', '.join(_SPLITS)}; received {split!r}"
        )
    return np.random.default_rng([int(seed), _SPLITS[split], int(index)])


def _video(rng, frames, size, shapes, colours):
    # The label is drawn first so that `labels` reads it from the same rng.
    motion = MOTIONS[rng.integers(len(MOTIONS))]
    # Colours are drawn either way, so both looks show the same bars.
    background = rng.uniform(0, 60, 3)
    if not colours:
        background = np.zeros(3)
    video = np.broadcast_to(background, (frames, size, size, 3)).copy()
    for _ in range(shapes):
        inside = _bar(rng, motion, frames, size)
        colour = rng.uniform(150, 255, 3)
        video[inside] = colour if colours else 255.0
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
