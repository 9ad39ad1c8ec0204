"""Image folders: class subfolders give labels, a flat folder is unlabeled.

Every file is decoded once when a folder is opened, so a truncated JPEG, a
text file named `.png` or a dangling symlink is reported by its path
before any work starts, instead of as a TensorFlow error in the middle of
a run (or, for the symlink, not at all). `bad_files`
chooses what then happens: "stop" (the default) raises a ValueError listing
the files; "skip" leaves them out and logs a warning with their count.
"""

import logging
import os
import re

import tensorflow as tf

from nda_tf.data import images

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
BAD_FILES = ("stop", "skip")
# Files named in a message; the count always covers all of them.
_LISTED = 20

_LOG = logging.getLogger(__name__)


def list_images(path):
    """Sorted `(paths, labels, class_names)` of an image folder.

    Images directly in `path` make an unlabeled set (labels 0, no class
    names); otherwise each subfolder is a class, in sorted order, and holds
    its images at any depth.
    """
    if not os.path.isdir(path):
        raise ValueError(f"image folder not found: {path!r}")
    entries = sorted(os.listdir(path))
    flat = [
        os.path.join(path, e)
        for e in entries
        if _is_image(os.path.join(path, e))
    ]
    classes = [e for e in entries if os.path.isdir(os.path.join(path, e))]
    if flat:
        return flat, [0] * len(flat), []
    paths, labels = [], []
    for label, name in enumerate(classes):
        found = sorted(
            os.path.join(root, f)
            for root, _, files in os.walk(os.path.join(path, name))
            for f in files
            if _is_image(os.path.join(root, f))
        )
        paths += found
        labels += [label] * len(found)
    if not paths:
        raise ValueError(
            f"no images ({', '.join(EXTENSIONS)}) in folder {path!r} or its "
            "class subfolders"
        )
    return paths, labels, classes


def check_files(paths, folder="", bad_files="stop"):
    """The `(height, width)` of every readable file, and the unreadable ones.

    Decodes each file (in parallel, once); a file that does not decode to a
    non-empty image is bad.

    Args:
        paths: image file paths.
        folder: the folder they come from, for messages.
        bad_files: "stop": raise when any file is bad; "skip": warn.

    Returns:
        `(sizes, bad)`: `{path: (height, width)}` of the readable files and
        the sorted list of unreadable paths.

    Raises:
        ValueError: a bad file with `bad_files="stop"` (the message lists
            them with the reason of each), or an unknown `bad_files`.
    """
    if bad_files not in BAD_FILES:
        raise ValueError(
            f"bad_files must be one of {', '.join(BAD_FILES)}; received "
            f"{bad_files!r}"
        )

    sizes = _readable_sizes(paths)
    bad = sorted(p for p in paths if p not in sizes)
    if bad:
        listed = "; ".join(f"{p} ({_reason(p)})" for p in bad[:_LISTED])
        more = f"; and {len(bad) - _LISTED} more" if len(bad) > _LISTED else ""
        where = f" in {folder!r}" if folder else ""
        if bad_files == "stop":
            raise ValueError(
                f"{len(bad)} unreadable image file(s){where}: {listed}{more}."
                " Fix or remove them, or skip them (bad_files=skip, "
                "--bad_files=skip)"
            )
        _LOG.warning(
            "Skipping %d unreadable image file(s)%s of %d: %s%s",
            len(bad),
            where,
            len(paths),
            listed,
            more,
        )
    return sizes, bad


# A command reads a folder more than once (training stream, FID reference):
# the files, as fingerprinted by their stat, are decoded once per process.
_SIZES = {}


def _readable_sizes(paths):
    """`{path: (height, width)}` of the files of `paths` that decode."""
    key = tuple(_fingerprint(p) for p in paths)
    if key not in _SIZES:
        _SIZES.clear()  # one folder's worth is enough to keep
        _SIZES[key] = _decode_sizes(paths)
    return dict(_SIZES[key])


def _fingerprint(path):
    try:
        stat = os.stat(path)
    except OSError:  # a dangling symlink: no file to decode
        return path, None, None
    return path, stat.st_size, stat.st_mtime_ns


def _decode_sizes(paths):
    def size(path):
        image = _decode(tf.io.read_file(path))
        return path, tf.shape(image)[:2]

    # ignore_errors drops the elements whose decoding fails: the paths that
    # come out are the readable files, the others are bad.
    readable = (
        tf.data.Dataset.from_tensor_slices(list(paths))
        .map(size, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
        .ignore_errors()
    )
    sizes = {}
    # Batches keep the Python side of 50,000 files to a few dozen steps.
    for names, shapes in readable.batch(4096).as_numpy_iterator():
        for name, (height, width) in zip(names, shapes.tolist(), strict=True):
            if height > 0 and width > 0:
                sizes[name.decode()] = (height, width)
    return sizes


def records(path, resolution, bad_files="stop"):
    """The folder's dataset of `(encoded file, label)`, the function that
    decodes a file to a uint8 image, and the `(num_classes, resolution,
    num_examples)` of a `DatasetInfo`.

    Every file is checked first (`check_files`); with `bad_files="skip"`
    the unreadable ones are left out of the dataset.
    """
    folder = os.path.expanduser(path)
    paths, labels, classes = list_images(folder)
    sizes, bad = check_files(paths, folder, bad_files)
    if bad:
        kept = [
            (p, y) for p, y in zip(paths, labels, strict=True) if p in sizes
        ]
        if not kept:
            raise ValueError(f"no readable images in folder {folder!r}")
        paths, labels = map(list, zip(*kept, strict=True))
    if resolution is None:
        resolution = min(sizes[paths[0]])
    dataset = tf.data.Dataset.from_tensor_slices(
        (paths, tf.constant(labels, tf.int32))
    ).map(lambda p, y: (tf.io.read_file(p), y))

    def decode(encoded):
        return images.to_uint8_square(_decode(encoded), resolution)

    return dataset, decode, (max(1, len(classes)), resolution, len(paths))


def _decode(encoded):
    # Three channels whatever the file holds (grey, grey + alpha, RGBA).
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    return tf.ensure_shape(image, [None, None, 3])


def _reason(path):
    if is_dangling(path):
        return f"a dangling symlink to {os.readlink(path)}"
    try:
        image = _decode(tf.io.read_file(path))
    except (tf.errors.OpError, ValueError) as error:
        text = getattr(error, "message", None) or str(error)
        # TensorFlow wraps the decoder's sentence in op and device names.
        text = re.sub(r"\{\{[^}]*\}\}|\[Op:.*", "", text).strip()
        return text.splitlines()[0] if text else "unreadable"
    return f"empty image of shape {tuple(image.shape)}"


def _is_image(path):
    # A dangling symlink named like an image is a missing image: listed,
    # so that it is reported as a bad file (stop, or skip with a warning)
    # instead of dropped without a word.
    listed = os.path.isfile(path) or is_dangling(path)
    return listed and path.lower().endswith(EXTENSIONS)


def is_dangling(path):
    """True for a symlink whose target does not exist."""
    return os.path.islink(path) and not os.path.exists(path)
