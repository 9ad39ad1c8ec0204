"""Detection sources: images with boxes and classes in one padded layout.

A source name is one of
    shapes_detection |
    shapes_detection(images=1000, size=64, objects=(1, 4), seed=0) |
    voc (tfds: train = voc/2007 trainval + voc/2012 trainval, test =
         voc/2007 test, the paper's Pascal VOC setting)

`load` gives an unbatched dataset of dicts, every source alike:

* `image`: float32 `[R, R, 3]` in [-1, 1]; an image that is not square
  keeps its aspect ratio (its longer side is resized to R) and is padded
  at the bottom and right with 0 (mid-grey);
* `boxes`: float32 `[max_boxes, 4]`, normalized `[ymin, xmin, ymax, xmax]`
  of the padded image (tfds' and Keras' "rel_yxyx"); zeros for padding;
* `labels`: int32 `[max_boxes]`, class ids, -1 for the padding;
* `difficult`: bool `[max_boxes]`, VOC's flag (False elsewhere);
* `extent`: float32 `[2]`, the (height, width) fraction of the square
  the image fills (1, 1 but for VOC), where a flip mirrors it.

`shapes_detection` has a test split a quarter the size of its train
split (`images`), as `moving_shapes` does.

    >>> dataset, info = load("shapes_detection(images=8, size=32)")
    >>> info.class_names, info.max_boxes, info.num_examples
    (('square', 'disc', 'triangle'), 4, 8)
    >>> example = next(iter(dataset))
    >>> example["image"].shape, example["boxes"].shape, example["labels"].dtype
    (TensorShape([32, 32, 3]), TensorShape([4, 4]), tf.int32)
"""

import dataclasses
import functools

import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.data import shapes_detection
from nda_tf.data.sources import _tfds_load, parse_dots

# The VOC parts of each split, as tfds names them.
VOC_SPLITS = {
    "train": (
        ("voc/2007", "train+validation"),
        ("voc/2012", "train+validation"),
    ),
    "test": (("voc/2007", "test"),),
}
VOC_RESOLUTION = 512
# shapes_detection's image side when neither its size nor a resolution is
# given.
SHAPES_RESOLUTION = 64
# The most objects a VOC image holds (2007 and 2012 trainval, 2007 test),
# as recorded with this module (not recounted from the data here): the
# recipe refuses a smaller --max_boxes before it opens the data.
VOC_MOST_OBJECTS = 56
VOC_MAX_BOXES = 64


@dataclasses.dataclass(frozen=True)
class DetectionInfo:
    """What a detection source holds.

    Attributes:
        name: the source name as given.
        class_names: the class of each label id.
        resolution: image height and width after loading.
        max_boxes: boxes per example, padding included.
        num_examples: size of the split, or None when unknown.
    """

    name: str
    class_names: tuple
    resolution: int
    max_boxes: int
    num_examples: int | None

    @property
    def num_classes(self):
        return len(self.class_names)


def load(
    name,
    split="train",
    resolution=None,
    max_boxes=None,
    data_dir=None,
    download=None,
    order=None,
):
    """An unbatched dataset of examples (module docstring) and its
    `DetectionInfo`.

    Args:
        name: a source name (module docstring).
        split: "train" or "test" (VOC: the paper's parts, `VOC_SPLITS`).
        resolution: output size; None: the source's (VOC: 512).
        max_boxes: boxes per example; None: the source's most (VOC: 64).
            VOC stops at an image that holds more.
        data_dir: as for `nda_tf.data.load` (tfds sources).
        download: as for `nda_tf.data.load` (tfds sources).
        order: None, or a function of the source's dataset as it is held
            (VOC: tfds' examples, images at their own size) to the one
            that is read (shuffled, repeated, skipped), applied before
            the examples are fitted into the layout, so that a shuffle
            buffer holds the small records.

    Raises:
        DatasetUnavailable: VOC is not prepared and cannot be downloaded
            (downloads off, or no network: then within seconds).
        ValueError: an unknown name or split, or bad options.
    """
    resolution = checks.check_int("resolution", resolution, 16, allow_none=True)
    max_boxes = checks.check_int("max_boxes", max_boxes, 1, allow_none=True)
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset must be a non-empty name, received {name!r}")
    if name.startswith("shapes_detection"):
        dataset, info = _shapes(name, split, resolution, max_boxes)
        return (order or _same)(dataset), info
    if name == "voc":
        return _voc(split, resolution, max_boxes, data_dir, download, order)
    raise ValueError(
        f"unknown detection dataset {name!r}: expected shapes_detection, "
        "shapes_detection(images=..., size=..., objects=(1, 4), seed=...) "
        "or voc"
    )


def resolution_of(name, resolution=None):
    """The image side `load(name, resolution=resolution)` gives, without
    loading; None for a name that is not a detection source."""
    if resolution is not None:
        return resolution
    if name == "voc":
        return VOC_RESOLUTION
    if isinstance(name, str) and name.startswith("shapes_detection"):
        options = {} if name == "shapes_detection" else parse_dots(name)
        return options.get("size", SHAPES_RESOLUTION)
    return None


def _shapes(name, split, resolution, max_boxes):
    options = {} if name == "shapes_detection" else parse_dots(name)
    unknown = set(options) - {"images", "size", "objects", "seed"}
    if unknown:
        raise ValueError(
            f"unknown shapes_detection options {sorted(unknown)} in {name!r}"
        )
    if split not in ("train", "test"):
        raise ValueError(
            f"shapes_detection split must be train or test; received {split!r}"
        )
    images = checks.check_int("images", options.get("images", 1000), 1)
    size = options.get("size", resolution or SHAPES_RESOLUTION)
    if resolution is not None and size != resolution:
        raise ValueError(
            f"shapes_detection size {size} differs from resolution {resolution}"
        )
    seed = checks.check_int("seed", options.get("seed", 0), 0)
    objects = shapes_detection.check_options(
        size, options.get("objects", (1, 4))
    )
    max_boxes = max_boxes or objects[1]
    if max_boxes < objects[1]:
        raise ValueError(
            f"max_boxes {max_boxes} is fewer than the {objects[1]} objects "
            f"an image of {name!r} may hold"
        )
    count = images if split == "train" else max(1, images // 4)
    found = shapes_detection.render(seed, split, range(count), size, objects)
    pad = max_boxes - objects[1]
    examples = {
        "image": tf.cast(found.images, tf.float32) / 127.5 - 1.0,
        "boxes": np.pad(found.boxes, [(0, 0), (0, pad), (0, 0)]),
        "labels": np.pad(found.labels, [(0, 0), (0, pad)], constant_values=-1),
        "difficult": np.zeros([count, max_boxes], bool),
        "extent": np.ones([count, 2], np.float32),
    }
    info = DetectionInfo(name, shapes_detection.CLASSES, size, max_boxes, count)
    return tf.data.Dataset.from_tensor_slices(examples), info


def _same(dataset):
    return dataset


def _voc(split, resolution, max_boxes, data_dir, download, order):
    import tensorflow_datasets as tfds

    if split not in VOC_SPLITS:
        raise ValueError(
            f"voc split must be one of {', '.join(VOC_SPLITS)}; received "
            f"{split!r}"
        )
    resolution = resolution or VOC_RESOLUTION
    max_boxes = max_boxes or VOC_MAX_BOXES
    parts, builder = [], None
    for name, part in VOC_SPLITS[split]:
        builder = tfds.builder(name, data_dir=data_dir)
        dataset, builder = _tfds_load(builder, name, part, data_dir, download)
        parts.append(dataset)
    dataset = parts[0]
    for part in parts[1:]:
        dataset = dataset.concatenate(part)
    names = tuple(builder.info.features["objects"]["label"].names)
    count = int(dataset.cardinality())
    info = DetectionInfo(
        "voc", names, resolution, max_boxes, count if count >= 0 else None
    )
    return (order or _same)(dataset).map(
        lambda example: _voc_example(example, resolution, max_boxes),
        num_parallel_calls=tf.data.AUTOTUNE,
    ), info


def _voc_example(example, resolution, max_boxes):
    """A tfds VOC example in the layout (module docstring)."""
    image, scale = _fit(example["image"], resolution)
    objects = example["objects"]
    # VOC numbers pixels from 1 and tfds divides xmin, ymin as they are:
    # the box's border is a pixel earlier (detectron2 subtracts 1 too).
    size = tf.cast(tf.shape(example["image"])[:2], tf.float32)
    first_pixel = tf.concat([1.0 / size, [0.0, 0.0]], 0)
    bbox = tf.maximum(objects["bbox"] - first_pixel, 0.0)
    count = tf.shape(objects["label"])[0]
    # The commands print an error's first line: it names the image and
    # the --max_boxes it needs (a tf.debugging message comes after a
    # multi-line summary of the tensors).
    name = example.get("image/filename", tf.constant("(no filename)"))
    checked = tf.debugging.Assert(
        count <= max_boxes,
        [
            tf.strings.format(
                "VOC image {} holds {} objects, more than max_boxes="
                f"{max_boxes}: give --max_boxes={{}} or more",
                (name, count, count),
            )
        ],
    )
    with tf.control_dependencies([checked]):
        pad = max_boxes - count
    # The image fills the top-left `scale` of the padded square.
    boxes = bbox * tf.tile(scale, [2])
    labels = tf.cast(objects["label"], tf.int32)
    return {
        "image": image,
        "boxes": tf.ensure_shape(
            tf.pad(boxes, [[0, pad], [0, 0]]), [max_boxes, 4]
        ),
        "labels": tf.ensure_shape(
            tf.pad(labels, [[0, pad]], constant_values=-1), [max_boxes]
        ),
        "difficult": tf.ensure_shape(
            tf.pad(objects["is_difficult"], [[0, pad]]), [max_boxes]
        ),
        "extent": tf.ensure_shape(scale, [2]),
    }


def _fit(image, resolution):
    """`image` resized (aspect kept) into a `resolution` square, float in
    [-1, 1], padded with 0; and the (height, width) fraction it fills."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    size = tf.maximum(
        1,
        tf.cast(tf.round(shape * resolution / tf.reduce_max(shape)), tf.int32),
    )
    resized = tf.image.resize(tf.cast(image, tf.float32), size, antialias=True)
    resized = tf.clip_by_value(resized, 0.0, 255.0) / 127.5 - 1.0
    padded = tf.image.pad_to_bounding_box(resized, 0, 0, resolution, resolution)
    return padded, tf.cast(size, tf.float32) / resolution


class DetectionStream:
    """Endless, seekable batches of a detection source for training.

    Each epoch reads the source in an order drawn from `(seed, epoch)`;
    each batch's horizontal flips come from `(seed, batch index)`. So
    batch `n` is the same whether the stream starts at 0 or at `n`.
    `shapes_detection` is held in memory and each epoch is a permutation
    of it. VOC is read from tfds through a shuffle buffer of `buffer`
    examples (before its images are fitted, so the buffer holds them at
    their own size), and each epoch is a dataset of its own, seeded in
    Python: tf.data cannot seed a shuffle from a tensor while a global
    seed of 0 is set, so VOC's stream is built up to the batch `stop`
    that a run reaches.

    Args:
        name: a source name (module docstring).
        batch_size: int, images per batch (global under a strategy).
        split: as for `load`.
        resolution: as for `load`.
        max_boxes: as for `load`.
        seed: int, of the order and the flips.
        mirror: random horizontal flips (boxes flipped with the image).
        data_dir: as for `load`.
        download: as for `load`.
        buffer: int, VOC's shuffle buffer.

    Example: batch 3 is the same read from 0 or from 3.

    >>> stream = DetectionStream("shapes_detection(images=8, size=32)", 4)
    >>> third = list(stream.batches().take(4))[3]
    >>> again = next(iter(stream.batches(start=3)))
    >>> bool(tf.reduce_all(third["boxes"] == again["boxes"]))
    True
    """

    def __init__(
        self,
        name,
        batch_size,
        split="train",
        resolution=None,
        max_boxes=None,
        seed=0,
        mirror=True,
        data_dir=None,
        download=None,
        buffer=1024,
    ):
        self.batch_size = checks.check_int("batch_size", batch_size, 1)
        self.seed = checks.check_int("seed", seed, 0)
        self.buffer = checks.check_int("buffer", buffer, 1)
        self.mirror = bool(mirror)
        self._load = functools.partial(
            load, name, split, resolution, max_boxes, data_dir, download
        )
        # Opened now, so that a missing source fails before training.
        dataset, self.info = self._load()
        if not self.info.num_examples:
            raise ValueError(f"detection source {name!r} holds no examples")
        self._held = None
        if name.startswith("shapes_detection"):
            self._held = next(iter(dataset.batch(self.info.num_examples)))

    def batches(self, start=0, stop=None):
        """The stream from batch `start` (to batch `stop`, exclusive, or
        on; VOC needs `stop`): dicts of `image`, `boxes`, `labels`,
        `difficult` and `extent`, `batch_size` examples each."""
        count, batch = self.info.num_examples, self.batch_size
        first_epoch, offset = divmod(int(start) * batch, count)
        if self._held is not None:
            examples = self._permuted(first_epoch).skip(offset)
        else:
            if stop is None:
                raise ValueError(
                    f"a stream of {self.info.name!r} is read up to a last "
                    "batch: give stop"
                )
            # At least one epoch, so that a finished run's stream (start
            # == stop) is an empty one.
            last_epoch = max(first_epoch, (int(stop) * batch - 1) // count)
            examples, _ = self._load(
                order=lambda source: self._shuffled(
                    source, first_epoch, last_epoch
                ).skip(offset)
            )
        dataset = examples.batch(batch, drop_remainder=True)
        if stop is not None:
            dataset = dataset.take(max(0, int(stop) - int(start)))
        dataset = dataset.enumerate(int(start)).map(self._flipped)
        return dataset.prefetch(tf.data.AUTOTUNE)

    def _permuted(self, first_epoch):
        held, count = self._held, self.info.num_examples

        def epoch(index):
            key = tf.stack([tf.constant(self.seed, tf.int64), index])
            order = tf.random.experimental.stateless_shuffle(
                tf.range(count, dtype=tf.int64), seed=key
            )
            return tf.data.Dataset.from_tensor_slices(order)

        indices = tf.data.Dataset.counter(first_epoch).flat_map(epoch)
        return indices.map(
            lambda i: {k: tf.gather(v, i) for k, v in held.items()}
        )

    def _shuffled(self, source, first_epoch, last_epoch):
        epochs = [
            source.shuffle(self.buffer, seed=_epoch_seed(self.seed, e))
            for e in range(first_epoch, last_epoch + 1)
        ]
        return functools.reduce(lambda a, b: a.concatenate(b), epochs)

    def _flipped(self, index, examples):
        if not self.mirror:
            return examples
        key = tf.stack([tf.constant(self.seed, tf.int64), index])
        return mirrored(examples, key)


def _epoch_seed(seed, epoch):
    """A Python int seed of one epoch's shuffle."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def mirrored(examples, seed):
    """A batch of examples with each image flipped left-right or not (one
    fair draw per image from `seed`), its boxes with it. An image that
    fills part of its square (`extent`, VOC's) is mirrored within that
    part, so that its padding stays at the right."""
    images, boxes = examples["image"], examples["boxes"]
    flip = nda_random.uniform(tf.shape(images)[:1], seed) < 0.5
    width = tf.shape(images)[2]
    extent = examples.get("extent")
    if extent is None:
        extent = tf.ones([tf.shape(images)[0], 2])
    # The fitted image's width in pixels, as `_fit` rounded it.
    columns = tf.cast(
        tf.round(extent[:, 1] * tf.cast(width, tf.float32)), tf.int32
    )
    turned = tf.reverse_sequence(images, columns, seq_axis=2, batch_axis=0)
    right = extent[:, 1][:, None]
    ymin, xmin, ymax, xmax = tf.unstack(boxes, axis=-1)
    flipped_boxes = tf.stack([ymin, right - xmax, ymax, right - xmin], -1)
    # Padding stays zeros.
    real = (examples["labels"] >= 0)[..., None]
    return {
        **examples,
        "image": tf.where(flip[:, None, None, None], turned, images),
        "boxes": tf.where(flip[:, None, None] & real, flipped_boxes, boxes),
    }
