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


def records(path, resolution):
    """The folder's dataset of `(encoded file, label)`, the function that
    decodes a file to a uint8 image, and the `(num_classes, resolution,
    num_examples)` of a `DatasetInfo`."""
    paths, labels, classes = list_images(os.path.expanduser(path))
    if resolution is None:
        resolution = _first_image_size(paths[0])
    dataset = tf.data.Dataset.from_tensor_slices(
        (paths, tf.constant(labels, tf.int32))
    ).map(lambda p, y: (tf.io.read_file(p), y))

    def decode(encoded):
        image = tf.io.decode_image(encoded, expand_animations=False)
        return images.to_uint8_square(image, resolution)

    return dataset, decode, (max(1, len(classes)), resolution, len(paths))


def _is_image(path):
    return os.path.isfile(path) and path.lower().endswith(EXTENSIONS)


def _first_image_size(path):
    image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    height, width = image.shape[:2]
    return int(min(height, width))
