"""Out-of-distribution image sets, by name, for anomaly detection.

Names (comma-separated in the command line):

- any name `nda_tf.data.load` accepts: `svhn_cropped`, `dtd`,
  `places365_small`, `cifar100`, `folder:PATH` (e.g. TinyImageNet), ...
  loaded from the test split at the in-distribution resolution;
- `cifar10_corrupted`: the 19 CIFAR-10-C corruptions at severity 5 (tfds
  configs `cifar10_corrupted/<corruption>_5`), scored one by one and
  averaged, as in the paper's Table 5; `cifar10_corrupted/<name>_<s>` is one;
- `corrupt:<name>_<severity>`: the in-distribution test images corrupted
  here (severity 1..5; corruption names as in CIFAR-10-C or in the
  `imagecorruptions` package); `corrupt` alone is all 19 at severity 5.
  For machines without CIFAR-10-C. All 19 use CIFAR-10-C's own formulas
  and parameters (`nda_tf.eval.ood.corruptions`), with another random stream, so
  they are distributed as CIFAR-10-C but are not its pixels. Computed once
  and cached (`corrupted`);
- `noise:gaussian`: pixels i.i.d. N(0, 0.5^2) in [-1, 1] units, clipped;
  `noise:uniform`: pixels i.i.d. uniform in [-1, 1]. Neither needs any data;
- `nda:<transform>`: the in-distribution test images transformed by an NDA
  transform (`nda:jigsaw`, `nda:stitch`, `nda:jigsaw(grid=4)`; anything
  `nda_tf.transforms.get` takes), seeded by `(seed, batch index)`: how well
  D rejects the negatives it may have been trained on.

CIFAR-10-C comes from tfds (`cifar10_corrupted`) or is computed here
(`corrupt`); `choose_corruptions` rewrites names from one source to the
other, so one command line serves both (the OOD command's
`--corruptions=tfds|local`). As a transform T of D(x) - D(T(x)) (Figure 8),
`cifar10_corrupted/<name>_<severity>` pairs each CIFAR-10 test image with
its CIFAR-10-C copy by position (`check_pairing` verifies the labels) and
`corrupt:<name>_<severity>` corrupts it here.

Every set is an `OODSet(name, data, group)`: `data` is an unbatched
`tf.data.Dataset` of `(image, label)`, and sets that belong together
(the 19 corruptions) share a `group`, whose mean is reported.
"""

import collections
import hashlib
import os
import pathlib

import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf.eval import batching
from nda_tf.eval.ood import corruptions

OODSet = collections.namedtuple("OODSet", ["name", "data", "group"])

# CIFAR-10-C corruption names (the tfds config prefixes), in tfds order.
CORRUPTIONS = (
    "brightness",
    "contrast",
    "defocus_blur",
    "elastic",
    "fog",
    "frost",
    "frosted_glass_blur",
    "gaussian_blur",
    "gaussian_noise",
    "impulse_noise",
    "jpeg_compression",
    "motion_blur",
    "pixelate",
    "saturate",
    "shot_noise",
    "snow",
    "spatter",
    "speckle_noise",
    "zoom_blur",
)
# Where the imagecorruptions package spells a corruption differently (both
# spellings are accepted).
_PACKAGE_NAMES = {
    "elastic": "elastic_transform",
    "frosted_glass_blur": "glass_blur",
}
_ALIASES = {v: k for k, v in _PACKAGE_NAMES.items()}
_SEVERITIES = ("1", "2", "3", "4", "5")
NOISE_KINDS = ("gaussian", "uniform")
GAUSSIAN_STD = 0.5
DEFAULT_SEVERITY = 5
# Names that stand for all 19 corruptions at the default severity.
_GROUPS = {
    "cifar10_corrupted": f"cifar10_corrupted/{{}}_{DEFAULT_SEVERITY}",
    "corrupt": f"corrupt:{{}}_{DEFAULT_SEVERITY}",
}
# Where corruption sets come from: tfds's CIFAR-10-C or computed here.
CORRUPTION_SOURCES = ("tfds", "local")
_PREFIXES = {"tfds": "cifar10_corrupted", "local": "corrupt"}
# Images per step when corrupting a set.
CORRUPTION_BATCH = 256
# Synthetic noise sets have this many images unless told otherwise (the
# size of the CIFAR-10 test split).
DEFAULT_NOISE_IMAGES = 10_000


def split_names(names):
    """`"a,b"` or `["a", "b"]` -> `["a", "b"]`, whitespace stripped; commas
    inside parentheses (`nda:jigsaw(grid=2),svhn_cropped`) stay."""
    if isinstance(names, str):
        names = split_top_level(names)
    names = [n.strip() for n in names if n and n.strip()]
    if not names:
        raise ValueError("no OOD set names given")
    return names


def resolve(
    names,
    in_data,
    resolution,
    split="test",
    data_dir=None,
    num_images=None,
    seed=0,
    loader=None,
    cache_dir=None,
):
    """Turns OOD set names into a list of `OODSet`s.

    Args:
        names: comma-separated string or list of names (see module doc).
        in_data: the in-distribution test images (a dataset of images or
            `(image, label)` pairs, or an array): the source of `corrupt:`
            and `nda:` sets.
        resolution: int, the discriminator's image size.
        split: the split loaded for named datasets.
        data_dir: tfds data directory, passed to the loader.
        num_images: optional int, size of the noise sets (default 10,000)
            and of the named datasets: a seeded random subset, stratified
            by label (`subset`), never the first images.
        seed: int, for noise, local corruptions and subsets.
        loader: `load(name, split=, resolution=, data_dir=)` returning
            `(dataset, info)`; `nda_tf.data.load` by default.
        cache_dir: optional cache folder of the `corrupt:` sets (see
            `corrupted`).

    Raises:
        ValueError: an unknown noise kind or corruption, a bad severity; the
            loader's errors (e.g. `nda_tf.data.DatasetUnavailable`).
    """
    sets, in_pixels = [], None
    for name in split_names(names):
        group = name if name in _GROUPS else None
        members = (
            [_GROUPS[name].format(c) for c in CORRUPTIONS] if group else [name]
        )
        for member in members:
            if member.startswith("corrupt:"):
                corruption = parse_corruption(member[len("corrupt:") :])
                if in_pixels is None:  # read once for all corruptions
                    in_pixels = uint8_images(in_data)
                data = corrupted(in_pixels, *corruption, seed, cache_dir)
            elif member.startswith("nda:"):
                data = transformed(in_data, member[len("nda:") :], seed)
            elif member.startswith("noise:"):
                count = num_images or DEFAULT_NOISE_IMAGES
                data = noise(member[len("noise:") :], count, resolution, seed)
            else:
                data = _load(
                    loader,
                    member,
                    split,
                    resolution,
                    data_dir,
                    num_images,
                    seed,
                )
            sets.append(OODSet(member, data, group))
    return sets


def choose_corruptions(names, source):
    """Names with every corruption set taken from `source`.

    `"tfds"` turns `corrupt` into `cifar10_corrupted` and
    `corrupt:<name>_<s>` into `cifar10_corrupted/<name>_<s>` (CIFAR-10-C's
    own images); `"local"` does the reverse (computed here, for machines
    without the tfds data). Other names pass unchanged.

    Args:
        names: comma-separated string or list of set or transform names.
        source: "tfds" or "local".

    Returns:
        `(names, changed)`: the list of names, and `[(old, new), ...]`.

    >>> choose_corruptions("dtd,corrupt,corrupt:snow_5", "tfds")[0]
    ['dtd', 'cifar10_corrupted', 'cifar10_corrupted/snow_5']
    """
    checks.check_choice("corruptions", source, CORRUPTION_SOURCES)
    other = _PREFIXES["local" if source == "tfds" else "tfds"]
    separator = {"corrupt": ":", "cifar10_corrupted": "/"}
    result, changed = [], []
    for name in split_names(names):
        new = name
        if name == other:
            new = _PREFIXES[source]
        elif name.startswith(other + separator[other]):
            corruption, severity = parse_corruption(name[len(other) + 1 :])
            new = (
                f"{_PREFIXES[source]}{separator[_PREFIXES[source]]}"
                f"{corruption}_{severity}"
            )
        result.append(new)
        if new != name:
            changed.append((name, new))
    return result, changed


def is_tfds_corruption(name):
    """True for `cifar10_corrupted/<name>_<severity>` (one tfds set)."""
    return isinstance(name, str) and name.startswith("cifar10_corrupted/")


def labels_of(data):
    """The labels of an unbatched `(image, label, ...)` dataset, in order,
    as an int64 array (one pass over the data)."""
    if not isinstance(data, tf.data.Dataset):
        raise ValueError(
            "pairing with CIFAR-10-C needs labelled in-distribution data "
            "(a dataset of (image, label)); received an array"
        )
    if is_endless(data):
        raise ValueError("an endless dataset has no list of labels to read")
    return np.fromiter(
        data.map(lambda image, label, *rest: label).as_numpy_iterator(),
        np.int64,
    )


def check_pairing(in_labels, labels, name):
    """Raises a one-line ValueError unless image i of the CIFAR-10-C set
    `name` can be the corrupted copy of in-distribution image i: same count
    and the same label at every position.

    tfds stores CIFAR-10's test split and each CIFAR-10-C config in the
    same order (both keyed 0..9999 and shuffled by the same split salt),
    so the labels agree exactly; a different in-distribution set or order
    (another dataset, another tfds version) fails here instead of giving a
    histogram of unrelated pairs.
    """
    in_labels, labels = np.asarray(in_labels), np.asarray(labels)
    if len(in_labels) != len(labels):
        raise ValueError(
            f"cannot pair {name} with the in-distribution images: "
            f"{len(labels)} images against {len(in_labels)}; pairing needs "
            "--in=cifar10 (test split), or --corruptions=local"
        )
    mismatch = np.flatnonzero(in_labels != labels)
    if mismatch.size:
        raise ValueError(
            f"cannot pair {name} with the in-distribution images: labels "
            f"differ at {mismatch.size} of {len(labels)} positions (first "
            f"{mismatch[0]}); pairing needs --in=cifar10 (test split, "
            "prepared by the same tfds version), or --corruptions=local"
        )


def split_top_level(text):
    """Splits `text` at the commas outside parentheses and brackets."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char in "([") - (char in ")]")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


NDA_BATCH = 64


def transformed(in_data, transform, seed=0, batch_size=NDA_BATCH):
    """`in_data` transformed by an NDA transform, as an OOD set.

    Args:
        in_data: images as `batching.batches` takes them (a dataset or an
            array), in [-1, 1] or uint8.
        transform: anything `nda_tf.transforms.get` takes ("jigsaw").
        seed: int; batch `i` of `batch_size` images is transformed with
            seed `(seed, i)`, so the set is the same at every call.
        batch_size: images per transform call (mixup-like transforms pair
            images within a batch).

    Returns:
        An unbatched dataset of `(image, 0)`, float32 in [-1, 1].
    """
    from nda_tf import transforms  # layer 1; loaded only for nda: sets

    layer = transforms.get(transform)
    if layer is None:
        raise ValueError(f"nda: needs a transform; received {transform!r}")
    checks.check_int("batch_size", batch_size, 1)
    dataset = _as_image_dataset(in_data).batch(batch_size).enumerate()

    def apply(index, images):
        key = tf.stack([tf.cast(seed, tf.int64), index])
        return layer.transform_with_seed(images, key)

    return (
        dataset.map(apply)
        .unbatch()
        .map(lambda image: (image, tf.constant(0, tf.int32)))
    )


def _load(loader, name, split, resolution, data_dir, num_images, seed):
    if loader is None:
        from nda_tf import data

        loader = data.load
    dataset, _ = loader(
        name, split=split, resolution=resolution, data_dir=data_dir
    )
    if num_images is None:
        if is_endless(dataset):
            raise ValueError(
                f"OOD set {name!r} is endless: pass num_images to score it"
            )
        return dataset
    return subset(dataset, num_images, seed)


def is_endless(data):
    """True for a dataset that never ends (a generated source: dots)."""
    return (
        isinstance(data, tf.data.Dataset)
        and data.cardinality() == tf.data.INFINITE_CARDINALITY
    )


def subset_indices(labels, num_images, seed=0):
    """Sorted indices of a seeded random subset, stratified by label.

    Each label gets its share of `num_images` (rounded down, the remainder
    going to the labels with the largest fractions, ties broken by the
    seeded draw), then that many of its indices drawn without replacement:
    a folder sorted by class yields every class, not the first ones.

    Args:
        labels: int array `[N]` (all equal for unlabeled data).
        num_images: int >= 1; all indices when >= N.
        seed: int.

    Example, 3 classes of 4 images, sorted by class:

    >>> subset_indices(np.repeat([0, 1, 2], 4), 6, seed=0) // 4
    array([0, 0, 1, 1, 2, 2])
    """
    labels = np.asarray(labels).reshape(-1)
    checks.check_int("num_images", num_images, 1)
    if num_images >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng([int(seed), len(labels)])
    classes, counts = np.unique(labels, return_counts=True)
    exact = num_images * counts / len(labels)
    quota = np.floor(exact).astype(int)
    remainder = num_images - quota.sum()
    # Largest fractions first; a random key breaks ties reproducibly.
    order = np.lexsort((rng.random(len(classes)), -(exact - quota)))
    quota[order[:remainder]] += 1
    chosen = [
        rng.choice(np.flatnonzero(labels == c), q, replace=False)
        for c, q in zip(classes, quota, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def subset(dataset, num_images, seed=0):
    """A seeded, label-stratified random subset of a finite dataset; the
    first `num_images` of an endless one.

    Args:
        dataset: an unbatched `tf.data.Dataset` of `(image, label)`.
        num_images: int >= 1; the whole dataset when it has no more.
        seed: int.

    Returns:
        The dataset of the chosen elements, in their original order. The
        labels of a finite dataset are read in one pass first (the images
        are read again when the subset is used).
    """
    checks.check_int("num_images", num_images, 1)
    if is_endless(dataset):
        # Its labels never end, so there is nothing to stratify; a
        # generated source's images are random draws already.
        return dataset.take(num_images)
    labels = np.fromiter(
        dataset.map(lambda image, label, *rest: label).as_numpy_iterator(),
        np.int64,
    )
    if num_images >= len(labels):
        return dataset
    keep = np.zeros(len(labels), bool)
    keep[subset_indices(labels, num_images, seed)] = True
    keep = tf.constant(keep)
    chosen = dataset.enumerate().filter(lambda index, item: keep[index])
    chosen = chosen.map(lambda index, item: item)
    # The filter hides the size from tf.data; it is known.
    return chosen.apply(tf.data.experimental.assert_cardinality(num_images))


def parse_corruption(text):
    """`"gaussian_noise_5"` -> `("gaussian_noise", 5)`; validates both."""
    corruption, _, severity = text.rpartition("_")
    corruption = _ALIASES.get(corruption, corruption)
    if corruption not in CORRUPTIONS or severity not in _SEVERITIES:
        raise ValueError(
            f"unknown corruption {text!r}: expected <name>_<severity> with "
            f"severity 1..5 and name one of {', '.join(CORRUPTIONS)}"
        )
    return corruption, int(severity)


def noise(kind, count, resolution, seed=0, channels=3):
    """A dataset of `count` noise images `(image, 0)` in [-1, 1].

    Image `i` depends only on `(seed, i)`. `kind` is "gaussian" (N(0, 0.5^2),
    clipped) or "uniform" (U[-1, 1]).
    """
    checks.check_choice("noise kind", kind, NOISE_KINDS)
    checks.check_int("count", count, 1)
    checks.check_int("resolution", resolution, 1)
    shape = [resolution, resolution, channels]

    def draw(index):
        key = tf.stack([tf.cast(seed, tf.int64), index])
        if kind == "gaussian":
            image = tf.random.stateless_normal(shape, key) * GAUSSIAN_STD
            image = tf.clip_by_value(image, -1.0, 1.0)
        else:
            image = tf.random.stateless_uniform(shape, key, -1.0, 1.0)
        return image, tf.constant(0, tf.int32)

    return tf.data.Dataset.range(count).map(draw)


def corrupted(
    in_data,
    corruption,
    severity=DEFAULT_SEVERITY,
    seed=0,
    cache_dir=None,
    batch_size=CORRUPTION_BATCH,
):
    """`in_data` with one corruption applied to each image.

    The corrupted images are computed once, a batch at a time, and, with
    `cache_dir`, kept on disk as uint8 (`corruption_cache_path`): the next
    run on the same images loads them instead of corrupting 10k images
    again (minutes on a CPU for the slow corruptions).

    Args:
        in_data: images as `nda_tf.eval.batching.batches` takes them (a
            dataset or an array), in [-1, 1] or uint8.
        corruption: a CIFAR-10-C name (see `CORRUPTIONS`).
        severity: int 1..5.
        seed: image `i` is corrupted with randomness from `(seed, i)`.
        cache_dir: optional folder of the cache (the OOD command uses
            `$NDA_TF_CACHE` or ~/.cache/nda_tf); None computes in memory.
        batch_size: images per step of the computation.

    Returns:
        An unbatched dataset of `(image, 0)`, float32 in [-1, 1], in the
        order of `in_data`.
    """
    corruption, severity = parse_corruption(f"{corruption}_{severity}")
    checks.check_int("batch_size", batch_size, 1)
    images = in_data if _is_uint8_array(in_data) else uint8_images(in_data)
    path = None
    if cache_dir is not None:
        path = corruption_cache_path(
            cache_dir, images, corruption, severity, seed
        )
    if path is not None and path.is_file():
        with np.load(path) as stored:
            result = stored["images"]
    else:
        apply = _uint8_corruption(corruption, severity)
        result = np.empty_like(images)
        for start in range(0, len(images), batch_size):
            for j, image in enumerate(images[start : start + batch_size]):
                result[start + j] = apply(image, (seed, start + j))
        if path is not None:
            _save_atomically(path, images=result)
    labels = np.zeros(len(result), np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((result, labels))
    return dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 127.5 - 1.0, y))


def uint8_images(data):
    """RGB images of at least 32x32 as one uint8 array `[N, H, W, 3]`
    (float images in [-1, 1] are rounded back to 0..255)."""
    if isinstance(data, tf.data.Dataset):
        parts = [
            np.asarray(batch)
            for batch in batching.batches(data, 1024)  # a pass over `data`
        ]
        array = np.concatenate(parts) if parts else np.zeros([0, 32, 32, 3])
    else:
        array = np.asarray(data)
    if array.dtype != np.uint8:
        array = np.clip(
            np.round((batching.to_float(array) + 1.0) * 127.5), 0, 255
        )
        array = array.astype(np.uint8)
    if array.ndim != 4 or array.shape[-1] != 3 or min(array.shape[1:3]) < 32:
        raise ValueError(
            "local corruptions need RGB images of at least 32x32; received "
            f"images of shape {array.shape[1:]}"
        )
    return array


def corruption_cache_path(cache_dir, images, corruption, severity, seed):
    """Cache file of one corruption of one image array: its name holds the
    corruption, severity and seed, and a digest of the images' bytes."""
    digest = hashlib.sha1(str(images.shape).encode())
    digest.update(np.ascontiguousarray(images).data)
    # "c10c": made with CIFAR-10-C's parameters (caches of the nine that
    # once used ImageNet-C's were named "inc" and are not read).
    source = "c10c"
    name = (
        f"corrupt-{corruption}_{severity}-{source}-seed{seed}-"
        f"{digest.hexdigest()[:16]}"
    )
    return pathlib.Path(cache_dir) / "ood_sets" / f"{name}.npz"


def _save_atomically(path, **arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.tmp{os.getpid()}.npz")
    np.savez(temp, **arrays)
    os.replace(temp, path)


def _is_uint8_array(data):
    return (
        isinstance(data, np.ndarray)
        and data.dtype == np.uint8
        and (
            data.ndim == 4
            and data.shape[-1] == 3
            and min(data.shape[1:3]) >= 32
        )
    )


def corruption_function(corruption, severity=DEFAULT_SEVERITY):
    """`f(image, seed)`: one float image in [-1, 1] -> its corrupted copy.

    `seed` is an int or a tuple of ints; the result depends only on it.
    Also maps a batch `[B, H, W, C]` (image `j` seeded by `(*seed, j)`),
    so it can serve as the transform of `score_difference`.
    """
    uint8_corruption = _uint8_corruption(corruption, severity)

    def one(image, seed):
        pixels = np.clip(np.round((image + 1.0) * 127.5), 0, 255)
        out = uint8_corruption(pixels.astype(np.uint8), seed)
        return out.astype(np.float32) / 127.5 - 1.0

    def apply(images, seed=0):
        images = np.asarray(images, np.float32)
        seed = tuple(np.atleast_1d(seed).tolist())
        if images.ndim == 3:
            return one(images, seed)
        return np.stack([one(x, seed + (j,)) for j, x in enumerate(images)])

    return apply


def _uint8_corruption(corruption, severity):
    """`f(uint8 image, seed) -> uint8 image` with CIFAR-10-C's parameters
    (`corruptions`), its randomness drawn from `seed` only."""
    corruption, severity = parse_corruption(f"{corruption}_{severity}")

    def apply(pixels, seed):
        seed = tuple(np.atleast_1d(seed).tolist())
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        return corruptions.corrupt(pixels, corruption, severity, rng)

    return apply


def _as_image_dataset(data):
    if not isinstance(data, tf.data.Dataset):
        return tf.data.Dataset.from_tensor_slices(batching.to_float(data))
    data = batching.images_only(data)
    if data.element_spec.dtype == tf.uint8:
        data = data.map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0)
    return data
