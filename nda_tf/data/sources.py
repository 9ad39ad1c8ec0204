"""Dataset sources by name: tfds datasets, image folders, .npz files, dots.

A name is one of
    cifar10 | cifar100 | celeb_a | stl10 | svhn_cropped | dtd |
    places365_small | cifar10_corrupted/<corruption>_<severity> |
    any other tfds name with an "image" feature |
    folder:PATH | npz:PATH | dots | dots(counts=(4, 5, 7), radius=3) |
    clevr(counts=(4,)) (CLEVR scenes with that many objects)
"""

import ast
import dataclasses
import os

import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf.data import dots, folder, images


class DatasetUnavailable(ValueError):
    """A dataset that is neither prepared locally nor allowed to download."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a source holds.

    Attributes:
        name: the source name as given.
        num_classes: number of labels (1 for unlabeled data).
        resolution: image height and width after loading.
        num_examples: size of the split, or None for endless sources.
    """

    name: str
    num_classes: int
    resolution: int
    num_examples: int | None


# tfds datasets the paper uses: default resolution and label feature.
TFDS_DATASETS = {
    "cifar10": (32, "label"),
    "cifar100": (32, "label"),
    "celeb_a": (64, None),
    "stl10": (32, "label"),
    "svhn_cropped": (32, "label"),
    "dtd": (32, "label"),
    "places365_small": (32, "label"),
    "cifar10_corrupted": (32, "label"),
}
PREFIXES = ("folder:", "npz:", "dots")


def parse_dots(name):
    """Keyword options of "dots(...)" as a dict ("dots" gives {})."""
    text = name.strip()
    if text == "dots":
        return {}
    try:
        node = ast.parse(text, mode="eval").body
        if not (isinstance(node, ast.Call) and not node.args):
            raise ValueError
        return {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    except (SyntaxError, ValueError):
        raise ValueError(
            f"cannot parse dataset {name!r}: expected dots or "
            "dots(counts=(6,), size=32, radius=3, background=0)"
        ) from None


def dots_options(name, resolution):
    options = parse_dots(name)
    unknown = set(options) - {"counts", "k", "size", "radius", "background"}
    if unknown:
        raise ValueError(f"unknown dots options {sorted(unknown)} in {name!r}")
    if "k" in options:
        options["counts"] = options.pop("k")
    options.setdefault("size", resolution or 32)
    if resolution is not None and options["size"] != resolution:
        raise ValueError(
            f"dots size {options['size']} differs from resolution {resolution}"
        )
    options.setdefault("counts", (6,))
    options["counts"] = dots.check_options(
        options["counts"],
        options["size"],
        options.get("radius", 3),
        options.get("background", 0),
    )
    return options


def load(name, split="train", resolution=None, data_dir=None, download=False):
    """An unbatched dataset of `(image, label)` and its `DatasetInfo`.

    Images are float32 `[resolution, resolution, 3]` in [-1, 1] (centre-
    cropped to a square and resized when needed), labels int32 scalars (0 for
    unlabeled sources). `dots` is endless; every other source is one pass.

    Args:
        name: a source name (see the module docstring).
        split: the tfds split ("train", "test", "train[:90%]", ...); ignored
            by folders, npz files and dots.
        resolution: output size; None keeps the source's default.
        data_dir: tfds data directory (default: tfds' own).
        download: allow tfds to download and prepare the data.

    Raises:
        DatasetUnavailable: a tfds dataset that is not prepared in
            `data_dir` and `download` is False.
        ValueError: an unknown name or bad options.
    """
    resolution = checks.check_int("resolution", resolution, 1, allow_none=True)
    if name.startswith("dots"):
        options = dots_options(name, resolution)
        info = DatasetInfo(name, len(options["counts"]), options["size"], None)
        return dots.dataset(**options), info
    records, info, decode = _records(
        name, split, resolution, data_dir, download
    )
    dataset = records.map(
        lambda image, label: (images.to_float(decode(image)), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset, info


def read_arrays(
    name, split="train", resolution=None, data_dir=None, download=False
):
    """A whole finite source in memory: uint8 images, int32 labels, info.

    Training streams index these arrays, so that any position of the stream
    can be reproduced from a seed and a count (exact resume).
    """
    resolution = checks.check_int("resolution", resolution, 1, allow_none=True)
    if name.startswith("dots"):
        raise ValueError("dots is endless: use nda_tf.data.dots instead")
    if name.startswith("npz:"):
        return _read_npz(name, resolution)
    records, info, decode = _records(
        name, split, resolution, data_dir, download
    )
    decoded = records.map(
        lambda image, label: (decode(image), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).batch(1024)
    parts = [(x.numpy(), y.numpy()) for x, y in decoded]
    if not parts:
        raise ValueError(f"dataset {name!r} split {split!r} is empty")
    image_array = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts]).astype(np.int32)
    info = dataclasses.replace(info, num_examples=len(image_array))
    return image_array, labels, info


def _records(name, split, resolution, data_dir, download):
    """(dataset of (raw image, label), info, raw image -> uint8 image)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset must be a non-empty name, received {name!r}")
    if name.startswith("folder:"):
        path = name[len("folder:") :]
        records, decode, sizes = folder.records(path, resolution)
        return records, DatasetInfo(name, *sizes), decode
    if name.startswith("npz:"):
        array, labels, info = _read_npz(name, resolution)
        records = tf.data.Dataset.from_tensor_slices((array, labels))
        return records, info, lambda image: image
    if name.startswith("clevr("):
        return _clevr_records(name, split, resolution, data_dir, download)
    return _tfds_records(name, split, resolution, data_dir, download)


def _clevr_records(name, split, resolution, data_dir, download):
    from nda_tf.data import clevr

    found, counts = clevr.records(name, split, data_dir, download)
    resolution = resolution or clevr.DEFAULT_RESOLUTION
    info = DatasetInfo(name, len(counts), resolution, None)
    return found, info, lambda x: images.to_uint8_square(x, resolution)


def _tfds_records(name, split, resolution, data_dir, download):
    import tensorflow_datasets as tfds

    base = name.split("/")[0]
    default_resolution, label_key = TFDS_DATASETS.get(base, (None, "label"))
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # tfds raises several types here
        raise ValueError(
            f"unknown dataset {name!r}: not a tfds dataset nor one of "
            f"{', '.join(PREFIXES)} (known paper datasets: "
            f"{', '.join(TFDS_DATASETS)}); tfds: {_first_line(error)}"
        ) from None
    try:
        dataset = tfds.load(
            name, split=split, data_dir=data_dir, download=download
        )
    except (AssertionError, tfds.core.DatasetNotFoundError) as error:
        raise DatasetUnavailable(
            f"dataset {name!r} is not prepared in "
            f"{data_dir or tfds.core.constants.DATA_DIR}: prepare it where "
            f"the network allows (`tfds build {name}` or "
            f"tfds.load({name!r}, download=True)) and pass its directory as "
            "data_dir, or place a manual download as tfds documents "
            f"(tfds: {_first_line(error)})"
        ) from None
    features = builder.info.features
    if "image" not in features:
        raise ValueError(f"tfds dataset {name!r} has no 'image' feature")
    if label_key not in features or "unlabelled" in split:
        label_key = None
    num_classes = features[label_key].num_classes if label_key else 1
    resolution = resolution or default_resolution
    if resolution is None:
        resolution = features["image"].shape[0]
        if resolution is None:
            raise ValueError(
                f"{name!r} has images of varying size: pass a resolution"
            )
    records = dataset.map(
        lambda ex: (
            ex["image"],
            tf.cast(ex[label_key], tf.int32) if label_key else tf.constant(0),
        )
    )
    info = DatasetInfo(
        name, num_classes, resolution, _split_size(builder, split)
    )
    return records, info, lambda x: images.to_uint8_square(x, resolution)


def _first_line(error):
    return str(error).strip().splitlines()[0]


def _split_size(builder, split):
    try:
        return int(builder.info.splits[split].num_examples)
    except Exception:  # unprepared (mocked) data or a split expression
        return None


def _read_npz(name, resolution):
    path = os.path.expanduser(name[len("npz:") :])
    if not os.path.isfile(path):
        raise ValueError(f"npz file not found: {path!r} (from {name!r})")
    with np.load(path) as data:
        keys = list(data.keys())
        image_key = next((k for k in ("images", "x") if k in data), None)
        if image_key is None:
            raise ValueError(
                f"{path!r} needs an 'images' (or 'x') array; found {keys}"
            )
        array = data[image_key]
        label_key = next((k for k in ("labels", "y") if k in data), None)
        labels = None if label_key is None else data[label_key]
    array = _npz_uint8(array, path)
    if labels is None:
        labels = np.zeros(len(array), np.int32)
    labels = np.asarray(labels).reshape(-1).astype(np.int32)
    if len(labels) != len(array) or (labels < 0).any():
        raise ValueError(
            f"{path!r}: labels must be {len(array)} ints >= 0, received "
            f"{len(labels)} (min {labels.min() if len(labels) else None})"
        )
    if resolution is not None and array.shape[1:3] != (resolution,) * 2:
        array = np.stack(
            [images.to_uint8_square(x, resolution).numpy() for x in array]
        )
    info = DatasetInfo(name, int(labels.max()) + 1, array.shape[1], len(array))
    return array, labels, info


def _npz_uint8(array, path):
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4) or not len(array):
        raise ValueError(
            f"{path!r}: images must be a non-empty [N, H, W, C] array with "
            f"C in 1, 3, 4; received shape {array.shape}"
        )
    if array.dtype != np.uint8:
        low, high = float(array.min()), float(array.max())
        if not np.issubdtype(array.dtype, np.floating) or low < -1 or high > 1:
            raise ValueError(
                f"{path!r}: images must be uint8, or floats in [0, 1] or "
                f"[-1, 1]; received {array.dtype} in [{low}, {high}]"
            )
        scaled = (array + 1) * 127.5 if low < 0 else array * 255.0
        array = np.round(scaled).astype(np.uint8)
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    return array[..., :3]
