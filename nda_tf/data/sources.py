"""Dataset sources by name: tfds datasets, image folders, .npz files, dots.

A name is one of
    cifar10 | cifar100 | celeb_a | stl10 | svhn_cropped | dtd |
    places365_small | cifar10_corrupted/<corruption>_<severity> |
    any other tfds name with an "image" feature |
    folder:PATH | npz:PATH | dots | dots(counts=(4, 5, 7), radius=3) |
    clevr(counts=(4,)) (CLEVR scenes with that many objects) |
    clevr(counts=(2,), folder="PATH") (the same from a CLEVR-layout folder)
"""

import ast
import dataclasses
import os

import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf.data import dots, downloads, folder, images
from nda_tf.data.downloads import DatasetUnavailable


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


def load(
    name,
    split="train",
    resolution=None,
    data_dir=None,
    download=None,
    bad_files=None,
):
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
        download: let tfds download and prepare missing data into
            `data_dir`; None: yes, unless downloads are off in this process
            (`nda_tf.data.downloads.set_allowed`, $NDA_TF_NO_DOWNLOAD).
        bad_files: unreadable files of a folder: "stop" (raise, listing
            them) or "skip" (leave them out, warn); None: the process
            setting (`set_bad_files`, default "stop").

    Raises:
        DatasetUnavailable: a tfds dataset that is not prepared in
            `data_dir` and cannot be downloaded (downloads off, or no
            network: then within seconds).
        ValueError: an unknown name, bad options, or bad data (the message
            names the file).
    """
    resolution = checks.check_int("resolution", resolution, 1, allow_none=True)
    if name.startswith("dots"):
        options = dots_options(name, resolution)
        info = DatasetInfo(name, len(options["counts"]), options["size"], None)
        return dots.dataset(**options), info
    records, info, decode = _records(
        name, split, resolution, data_dir, download, bad_files
    )
    dataset = records.map(
        lambda image, label: (images.to_float(decode(image)), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset, info


def read_arrays(
    name,
    split="train",
    resolution=None,
    data_dir=None,
    download=None,
    bad_files=None,
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
        name, split, resolution, data_dir, download, bad_files
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


def _records(name, split, resolution, data_dir, download, bad_files):
    """(dataset of (raw image, label), info, raw image -> uint8 image)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset must be a non-empty name, received {name!r}")
    if name.startswith("folder:"):
        path = name[len("folder:") :]
        records, decode, sizes = folder.records(
            path, resolution, bad_files or _bad_files
        )
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
    dataset, builder = _tfds_load(builder, name, split, data_dir, download)
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


def _tfds_load(builder, name, split, data_dir, download):
    """`(tfds.load(...), builder)`: downloads a missing dataset when
    allowed, and fails within seconds with the how-to message when it
    cannot."""
    import tensorflow_datasets as tfds

    where = data_dir or tfds.core.constants.DATA_DIR
    how_to = (
        "prepare it where the network allows (`tfds build "
        f"{name} --data_dir=DIR`, or any command here without "
        "--no_download) and pass its directory as data_dir, or place a "
        "manual download as tfds documents"
    )
    download = downloads.allowed(download)
    fetched = download and not builder.is_prepared()
    if fetched:
        # tfds retries an unreachable server for minutes (200 s measured
        # for a refused connection): probe its first registered URL.
        for url in list(builder.url_infos or {})[:1]:
            try:
                downloads.check_reachable(url)
            except downloads.DownloadError as error:
                raise DatasetUnavailable(
                    f"dataset {name!r} is not prepared in {where} and "
                    f"cannot be downloaded ({error}): {how_to}"
                ) from None
    try:
        # Every URL tfds opens is probed too (a builder may register none).
        with downloads.probing_tfds_urls():
            dataset = tfds.load(
                name, split=split, data_dir=data_dir, download=download
            )
    except (AssertionError, tfds.core.DatasetNotFoundError) as error:
        raise DatasetUnavailable(
            f"dataset {name!r} is not prepared in {where} and downloads are "
            f"off: {how_to} (tfds: {_first_line(error)})"
        ) from None
    except (OSError, ConnectionError) as error:
        raise DatasetUnavailable(
            f"dataset {name!r} is not prepared in {where} and downloading "
            f"it failed ({_first_line(error)}): {how_to}"
        ) from None
    if fetched:
        # The builder made before the download knows no split sizes.
        builder = tfds.builder(name, data_dir=data_dir)
    return dataset, builder


_bad_files = "stop"


def set_bad_files(policy):
    """What folders of this process do with unreadable files by default:
    "stop" or "skip" (see `nda_tf.data.folder`)."""
    global _bad_files
    if policy not in folder.BAD_FILES:
        raise ValueError(
            f"bad_files must be one of {', '.join(folder.BAD_FILES)}; "
            f"received {policy!r}"
        )
    _bad_files = policy


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
    try:
        array, labels = _npz_arrays(path)
    except ValueError as error:
        if str(error).startswith(repr(path)):
            raise
        raise ValueError(
            f"{path!r} is not a readable .npz of arrays: {_first_line(error)}"
        ) from None
    except Exception as error:  # zip, pickle and OS errors of a bad file
        raise ValueError(
            f"{path!r} is not a readable .npz file "
            f"({type(error).__name__}: {_first_line(error)})"
        ) from None
    array = _npz_uint8(array, path)
    labels = _npz_labels(labels, len(array), path)
    if resolution is not None and array.shape[1:3] != (resolution,) * 2:
        array = np.stack(
            [images.to_uint8_square(x, resolution).numpy() for x in array]
        )
    elif array.shape[1] != array.shape[2]:
        raise ValueError(
            f"{path!r}: images are {array.shape[1]}x{array.shape[2]} (shape "
            f"{array.shape}), not square: pass a resolution to centre-crop "
            "and resize them"
        )
    info = DatasetInfo(name, int(labels.max()) + 1, array.shape[1], len(array))
    return array, labels, info


def _npz_arrays(path):
    """The images and labels (or None) arrays of an .npz file."""
    with open(path, "rb") as file:
        start = file.read(6)
    if not start.startswith((b"PK\x03\x04", b"\x93NUMPY")):
        # np.load would try to unpickle it and say so: name what it is.
        raise ValueError(
            f"{path!r} is not an .npz file (no zip signature; it starts "
            f"with {start!r})"
        )
    data = np.load(path, allow_pickle=False)
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path!r} holds one array, not an .npz archive of 'images' "
            "(and 'labels')"
        )
    with data:
        keys = list(data.keys())
        image_key = next((k for k in ("images", "x") if k in data), None)
        if image_key is None:
            raise ValueError(
                f"{path!r} needs an 'images' (or 'x') array; found {keys}"
            )
        label_key = next((k for k in ("labels", "y") if k in data), None)
        labels = None if label_key is None else data[label_key]
        return data[image_key], labels


def _npz_labels(labels, count, path):
    """int32 labels of an npz: integers >= 0, one per image."""
    if labels is None:
        return np.zeros(count, np.int32)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"{path!r}: labels must be integers (class indices); received "
            f"dtype {labels.dtype}"
        )
    labels = labels.reshape(-1)
    if len(labels) != count or (labels < 0).any():
        raise ValueError(
            f"{path!r}: labels must be {count} ints >= 0, received "
            f"{len(labels)} (min {labels.min() if len(labels) else None})"
        )
    return labels.astype(np.int32)


def _npz_uint8(array, path):
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4) or not len(array):
        raise ValueError(
            f"{path!r}: images must be a non-empty [N, H, W, C] array with "
            f"C in 1, 3, 4; received shape {array.shape}"
        )
    if array.dtype != np.uint8 and array.dtype.kind == "f":
        finite = np.isfinite(array).reshape(len(array), -1).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"{path!r}: {len(bad)} image(s) hold NaN or infinite values "
                f"(first at index {bad[0]}): refused"
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
