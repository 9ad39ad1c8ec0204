"""Paired images for image-to-image translation (Pix2Pix), and label maps.

A paired source name is one of
    shapes | shapes(count=1000, size=32) |
    paired:PATH (one file per pair, A and B side by side) |
    paired:A_DIR,B_DIR (two folders of matching file names) |
    cityscapes (tfds "cityscapes/semantic_segmentation", manual download)

Pairs are read into memory as uint8 `(condition, target)` arrays, plus the
target's class ids when the source knows them (shapes, cityscapes; 255 is
the ignore label). `PairedStream` serves them in seeded, seekable batches
with Pix2Pix's jitter (resize to `load_size`, random crop, random mirror).

    >>> pairs = read_pairs("shapes(count=8, size=16)")
    >>> pairs.condition.shape, pairs.target.dtype, pairs.palette
    ((8, 16, 16, 3), dtype('uint8'), 'shapes')
    >>> condition, target = next(iter(PairedStream(pairs, 4).batches(3)))
    >>> condition.shape, float(tf.reduce_max(target))
    (TensorShape([4, 16, 16, 3]), 1.0)
"""

import ast
import dataclasses
import logging
import os

import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.data import folder, images
from nda_tf.data.sources import DatasetInfo, DatasetUnavailable

IGNORE = 255
# Colours of the 19 Cityscapes evaluation classes (train ids 0..18), as
# the Cityscapes scripts define them.
CITYSCAPES_PALETTE = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156),
    (190, 153, 153), (153, 153, 153), (250, 170, 30), (220, 220, 0),
    (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60),
    (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100),
    (0, 0, 230), (119, 11, 32),
)  # fmt: skip
# Cityscapes label id -> train id (others: ignored).
CITYSCAPES_TRAIN_IDS = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
    23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
}  # fmt: skip
# Background, disc, square, triangle.
SHAPES_PALETTE = ((0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255))
PALETTES = {"cityscapes": CITYSCAPES_PALETTE, "shapes": SHAPES_PALETTE}
# A ground-truth colour farther than this (RGB distance) from every palette
# colour is a class outside the palette (Cityscapes' void colours): ignored.
MATCH_DISTANCE = 30.0
CITYSCAPES_TFDS = "cityscapes/semantic_segmentation"


@dataclasses.dataclass
class PairedArrays:
    """Pairs in memory.

    Attributes:
        condition, target: uint8 `[N, R, R, 3]`.
        ids: uint8 `[N, R, R]` class ids of the target (IGNORE: none), or
            None when only colours are known.
        palette: name in `PALETTES` of the target's label colours, or None.
        info: `DatasetInfo` (num_classes: palette size, or 1).
    """

    condition: np.ndarray
    target: np.ndarray
    ids: np.ndarray | None
    palette: str | None
    info: DatasetInfo


def palette_ids(label_images, palette, max_distance=None):
    """Class ids of colour label images by the nearest palette colour.

    Args:
        label_images: uint8 or float (0..255) `[..., 3]` array or tensor.
        palette: a name in `PALETTES` or a sequence of RGB triples.
        max_distance: optional float; pixels farther from every colour get
            IGNORE.

    Returns:
        int32 tensor of the images' shape without the channel axis.
    """
    colours = tf.constant(
        PALETTES[palette] if isinstance(palette, str) else palette, tf.float32
    )
    pixels = tf.cast(label_images, tf.float32)[..., None, :]
    distances = tf.reduce_sum(tf.square(pixels - colours), -1)
    ids = tf.argmin(distances, -1, output_type=tf.int32)
    if max_distance is not None:
        far = tf.reduce_min(distances, -1) > max_distance**2
        ids = tf.where(far, IGNORE, ids)
    return ids


def shapes_pairs(count, size, seed=0):
    """Procedural photos of textured shapes and their label maps.

    Each photo has a textured greyish background and 1 to 3 shapes (disc,
    square, triangle), each class with its own colour range and texture,
    drawn in random order, sizes and places from `seed`.

    Returns:
        `(photos uint8 [N, S, S, 3], labels uint8 [N, S, S, 3] in
        SHAPES_PALETTE colours, ids uint8 [N, S, S])`.
    """
    checks.check_int("count", count, 1)
    checks.check_int("size", size, 8)
    rng = np.random.default_rng([seed, 7])
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    photos = np.empty((count, size, size, 3), np.float32)
    ids = np.zeros((count, size, size), np.uint8)
    hues = {1: (200, 60, 40), 2: (50, 170, 60), 3: (50, 80, 200)}
    for n in range(count):
        grey = rng.uniform(70, 170)
        tint = rng.uniform(-20, 20, 3)
        wave = np.sin(cols / rng.uniform(2, 5) + rng.uniform(0, 6))
        photo = grey + tint + 15 * wave[..., None]
        for _ in range(rng.integers(1, 4)):
            kind = int(rng.integers(1, 4))
            radius = rng.uniform(size / 8, size / 4)
            cy, cx = rng.uniform(radius, size - radius, 2)
            dy, dx = rows - cy, cols - cx
            if kind == 1:
                mask = dy**2 + dx**2 <= radius**2
                texture = 25 * np.sin(rows * 1.3)
            elif kind == 2:
                mask = (abs(dy) <= radius) & (abs(dx) <= radius)
                texture = 25 * (((rows // 2 + cols // 2) % 2) - 0.5)
            else:
                mask = (dy <= radius) & (abs(dx) <= (dy + radius) / 2)
                texture = rng.normal(0, 12, (size, size))
            colour = np.array(hues[kind]) + rng.uniform(-30, 30, 3)
            photo[mask] = colour + texture[mask][:, None]
            ids[n][mask] = kind
        photos[n] = photo + rng.normal(0, 6, photo.shape)
    photos = np.clip(np.round(photos), 0, 255).astype(np.uint8)
    labels = np.asarray(SHAPES_PALETTE, np.uint8)[ids]
    return photos, labels, ids


_SHAPES_SEEDS = {"train": 0, "val": 1, "validation": 1, "test": 2}


def read_pairs(
    name,
    split="train",
    resolution=None,
    direction="AtoB",
    data_dir=None,
    seed=0,
):
    """The pairs of a paired source name (see the module docstring).

    Args:
        name: the source.
        split: "train", "val" or "test"; a `paired:` folder with a
            sub-folder of that name reads it.
        resolution: size of each square image (default: the source's).
        direction: "AtoB" (condition = A, the left half / first folder;
            photos -> labels for Pix2Pix's cityscapes files) or "BtoA".
        data_dir: tfds data directory (cityscapes).
        seed: the shapes' seed (the split changes it too).

    Returns:
        `PairedArrays`.
    """
    checks.check_choice("direction", direction, ("AtoB", "BtoA"))
    resolution = checks.check_int("resolution", resolution, 1, allow_none=True)
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset must be a non-empty name, received {name!r}")
    if name.startswith("shapes"):
        options = _shapes_options(name, resolution)
        offset = _SHAPES_SEEDS.get(split.split("[")[0], 3)
        a, b, ids = shapes_pairs(seed=seed * 10 + offset, **options)
        palette = "shapes"
    elif name.startswith("paired:"):
        a, b = _read_folder_pairs(name, split, resolution)
        ids, palette = None, "cityscapes"
    elif name.split("/")[0] == "cityscapes":
        a, b, ids = _read_cityscapes(split, resolution or 256, data_dir)
        palette = "cityscapes"
    else:
        raise ValueError(
            f"unknown paired dataset {name!r}: expected shapes, "
            "shapes(count=..., size=...), paired:PATH, paired:A_DIR,B_DIR "
            "or cityscapes"
        )
    if direction == "BtoA":
        a, b, ids = b, a, None
    classes = len(PALETTES[palette]) if palette else 1
    info = DatasetInfo(name, classes, a.shape[1], len(a))
    return PairedArrays(a, b, ids, palette, info)


def _shapes_options(name, resolution):
    text = name.strip()
    options = {}
    if text != "shapes":
        try:
            node = ast.parse(text, mode="eval").body
            if not (isinstance(node, ast.Call) and not node.args):
                raise ValueError
            options = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        except (SyntaxError, ValueError):
            raise ValueError(
                f"cannot parse dataset {name!r}: expected shapes or "
                "shapes(count=1000, size=32)"
            ) from None
    unknown = set(options) - {"count", "size"}
    if unknown:
        raise ValueError(
            f"unknown shapes options {sorted(unknown)} in {name!r}"
        )
    options.setdefault("count", 1000)
    options.setdefault("size", resolution or 32)
    return options


def _read_folder_pairs(name, split, resolution):
    spec = os.path.expanduser(name[len("paired:") :])
    parts = spec.split(",")
    if len(parts) > 2 or not all(parts):
        raise ValueError(
            f"expected paired:PATH or paired:A_DIR,B_DIR; received {name!r}"
        )
    missing = [p for p in parts if not os.path.isdir(os.path.join(p, split))]
    if missing and split != "train":
        # Evaluation would silently score the training pairs otherwise.
        logging.getLogger(__name__).warning(
            "%s has no %r folder: the %s split is all of its pairs, the "
            "same as training's unless they are held out",
            missing[0],
            split,
            split,
        )
    parts = [p if p in missing else os.path.join(p, split) for p in parts]
    if len(parts) == 1:
        paths = folder.list_images(parts[0])[0]
        whole = [_decode(p) for p in paths]
        halves = [
            (x[:, : x.shape[1] // 2], x[:, x.shape[1] // 2 :]) for x in whole
        ]
    else:
        a_paths = folder.list_images(parts[0])[0]
        names = [os.path.basename(p) for p in a_paths]
        b_paths = [os.path.join(parts[1], n) for n in names]
        missing = [p for p in b_paths if not os.path.isfile(p)]
        if missing:
            raise ValueError(
                f"{len(missing)} images of {parts[0]!r} have no match in "
                f"{parts[1]!r}, e.g. {missing[0]!r}"
            )
        halves = [
            (_decode(a), _decode(b))
            for a, b in zip(a_paths, b_paths, strict=True)
        ]
    size = resolution or int(min(halves[0][0].shape[:2]))
    a = np.stack([_resize(x, size) for x, _ in halves])
    b = np.stack([_resize(y, size) for _, y in halves])
    return a, b


def _decode(path):
    image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    return images.to_uint8_square(image, None).numpy()


def _resize(image, size, method="bilinear"):
    # Each side is resized to a square, as Pix2Pix does (no crop).
    if image.shape[:2] == (size, size):
        return image
    resized = tf.image.resize(tf.cast(image, tf.float32), [size, size], method)
    return np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)


def _read_cityscapes(split, resolution, data_dir):
    """Photos, colour label maps and train ids of tfds' Cityscapes."""
    import tensorflow_datasets as tfds

    split = {"val": "validation"}.get(split, split)
    builder = tfds.builder(CITYSCAPES_TFDS, data_dir=data_dir)
    try:
        dataset = builder.as_dataset(split=split)
    except (AssertionError, tfds.core.DatasetNotFoundError) as error:
        raise DatasetUnavailable(
            f"cityscapes is not prepared in {builder.data_dir}: download "
            "leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from "
            "https://www.cityscapes-dataset.com (registration needed), "
            "place them in the tfds manual folder "
            f"({os.path.join(builder._data_dir_root, 'downloads', 'manual')})"
            f" and run `tfds build {CITYSCAPES_TFDS}` (tfds: "
            f"{str(error).strip().splitlines()[0]})"
        ) from None
    table = np.full(256, IGNORE, np.uint8)
    for label_id, train_id in CITYSCAPES_TRAIN_IDS.items():
        table[label_id] = train_id
    photos, all_ids = [], []
    for example in dataset.as_numpy_iterator():
        photos.append(_resize(example["image_left"], resolution))
        label = example["segmentation_label"]
        label = tf.image.resize(label, [resolution] * 2, "nearest").numpy()
        all_ids.append(table[label[..., 0]])
    ids = np.stack(all_ids)
    colours = np.concatenate(
        [np.asarray(CITYSCAPES_PALETTE, np.uint8), [[0] * 3]]
    )
    return np.stack(photos), colours[np.minimum(ids, 19)], ids


class PairedStream:
    """Endless, seekable batches of `(condition, target)` float pairs.

    Each epoch is a permutation drawn from `(seed, epoch)`; each batch's
    jitter (Pix2Pix's: both images resized to `load_size`, the same random
    `R x R` crop and the same random mirror) from `(seed, batch index)`.
    So batch `n` is the same whether the stream starts at 0 or at `n`.

    Args:
        pairs: `PairedArrays`.
        batch_size: int, pairs per batch.
        load_size: int >= R, or None for R (no resize, no crop).
        mirror: random horizontal flips.
        seed: int.
    """

    def __init__(self, pairs, batch_size, load_size=None, mirror=True, seed=0):
        self.pairs = pairs
        self.info = pairs.info
        self.batch_size = checks.check_int("batch_size", batch_size, 1)
        size = pairs.info.resolution
        self.load_size = checks.check_int(
            "load_size", size if load_size is None else load_size, size
        )
        self.mirror, self.seed = bool(mirror), seed

    def batches(self, start=0):
        """The stream from batch `start`: float32 pairs in [-1, 1]."""
        pairs, size = self.pairs, self.info.resolution
        count, batch = len(pairs.condition), self.batch_size
        both = np.concatenate([pairs.condition, pairs.target], -1)
        first_epoch, offset = divmod(int(start) * batch, count)

        def epoch_indices(epoch):
            order = tf.random.experimental.stateless_shuffle(
                tf.range(count, dtype=tf.int64),
                seed=tf.stack([tf.constant(self.seed, tf.int64), epoch]),
            )
            return tf.data.Dataset.from_tensor_slices(order)

        def load(index, indices):
            chosen = tf.numpy_function(
                lambda i: both[i], [indices], tf.uint8, stateful=False
            )
            chosen = tf.ensure_shape(chosen, [batch, size, size, 6])
            key = tf.stack([tf.constant(self.seed, tf.int64), index])
            jittered = self.jitter(images.to_float(chosen), key)
            return jittered[..., :3], jittered[..., 3:]

        indices = (
            tf.data.Dataset.counter(first_epoch)
            .flat_map(epoch_indices)
            .skip(offset)
            .batch(batch, drop_remainder=True)
        )
        return (
            indices.enumerate(int(start)).map(load).prefetch(tf.data.AUTOTUNE)
        )

    def jitter(self, images_, seed):
        """Resize to `load_size`, crop back, mirror: one draw per image,
        shared by the channels of a pair."""
        batch, size = tf.shape(images_)[0], self.info.resolution
        crop_seed, flip_seed = nda_random.split_seed(seed, 2)
        if self.load_size > size:
            grown = tf.image.resize(images_, [self.load_size] * 2)
            corner = nda_random.uniform_int(
                [batch, 2], crop_seed, 0, self.load_size - size
            )
            steps = tf.range(size)
            rows = corner[:, :1] + steps  # [B, R]
            cols = corner[:, 1:] + steps
            images_ = tf.gather(grown, rows, axis=1, batch_dims=1)
            images_ = tf.gather(images_, cols, axis=2, batch_dims=1)
        if self.mirror:
            flip = nda_random.uniform([batch, 1, 1, 1], flip_seed) < 0.5
            images_ = tf.where(flip, images_[:, :, ::-1], images_)
        return images_
