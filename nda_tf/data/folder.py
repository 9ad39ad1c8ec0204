"""Image folders: class subfolders give labels, a flat folder is unlabeled."""

import os

import tensorflow as tf

from nda_tf.data import images

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


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


def records(path, name, resolution):
    """(dataset of (encoded file, label), DatasetInfo, decode function)."""
    from nda_tf.data.sources import DatasetInfo

    paths, labels, classes = list_images(os.path.expanduser(path))
    if resolution is None:
        resolution = _first_image_size(paths[0])
    dataset = tf.data.Dataset.from_tensor_slices(
        (paths, tf.constant(labels, tf.int32))
    ).map(lambda p, y: (tf.io.read_file(p), y))
    info = DatasetInfo(name, max(1, len(classes)), resolution, len(paths))

    def decode(encoded):
        image = tf.io.decode_image(encoded, expand_animations=False)
        return images.to_uint8_square(image, resolution)

    return dataset, info, decode


def _is_image(path):
    return os.path.isfile(path) and path.lower().endswith(EXTENSIONS)


def _first_image_size(path):
    image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    height, width = image.shape[:2]
    return int(min(height, width))
