"""CLEVR scenes by object count, for the numerosity study (Appendix A).

`clevr(counts=(4,))` is the tfds `clevr` dataset (CLEVR v1.0) restricted to
the scenes whose metadata lists exactly one of `counts` objects; the label
of a scene is the position of its count in `counts`, as for `dots`.

CLEVR v1.0 scenes hold 3 to 10 objects, so the paper's setting (Zhao et
al.'s renders with exactly two objects, negatives with one and three) has
no scenes in tfds: `clevr(counts=(2,))` is refused with an error. Its
nearest analogue there is k = 4 with negatives of 3 and 5 objects.

`clevr(counts=(2,), folder="PATH")` reads a CLEVR folder instead: the
layout of the official CLEVR_v1.0 zip, which the official generator
(facebookresearch/clevr-dataset-gen) writes too,

    PATH/images/<split>/CLEVR_<split>_000000.png ...
    PATH/scenes/CLEVR_<split>_scenes.json   {"scenes": [{"image_filename":
                                              ..., "objects": [...]}, ...]}

with any object counts, so scenes rendered with one, two and three objects
give the paper's setting. The split "validation" (tfds' name) reads the
zip's "val" folder when there is no "validation" one.
"""

import ast
import json
import os

import tensorflow as tf

from nda_tf import checks
from nda_tf.data.downloads import DatasetUnavailable

# CLEVR v1.0: every scene has between 3 and 10 objects.
SCENE_COUNTS = range(3, 11)
DEFAULT_RESOLUTION = 64


def parse(name):
    """The object counts of a "clevr(counts=(...))" source name."""
    return parse_options(name)[0]


def parse_options(name):
    """`(counts, folder)` of a "clevr(counts=(...), folder=...)" name;
    folder is None for tfds' CLEVR v1.0 (counts 3..10 only)."""
    text = name.strip()
    try:
        node = ast.parse(text, mode="eval").body
        keywords = [k.arg for k in getattr(node, "keywords", ())]
        ok = (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "clevr"
            and not node.args
            and keywords in (["counts"], ["counts", "folder"])
        )
        if not ok:
            raise ValueError
        counts = ast.literal_eval(node.keywords[0].value)
        counts = (counts,) if isinstance(counts, int) else tuple(counts)
        folder = None
        if len(keywords) == 2:
            folder = ast.literal_eval(node.keywords[1].value)
            if not isinstance(folder, str) or not folder:
                raise ValueError
    except (SyntaxError, ValueError, TypeError):
        raise ValueError(
            f"cannot parse dataset {name!r}: expected clevr(counts=(4,)), "
            "clevr(counts=(3, 5)) or clevr(counts=(2,), folder='PATH')"
        ) from None
    checked = [checks.check_int("clevr object count", c, 1) for c in counts]
    if not checked or len(set(checked)) != len(checked):
        raise ValueError(
            f"clevr counts must be distinct ints, at least one; received "
            f"{counts!r} in {name!r}"
        )
    missing = [c for c in checked if c not in SCENE_COUNTS]
    if missing and folder is None:
        raise ValueError(
            f"CLEVR v1.0 has no scenes with {missing} objects (its scenes "
            "hold 3 to 10); the paper's two-object renders are not in tfds: "
            "render them and read them with clevr(counts=..., folder=PATH)"
        )
    return tuple(checked), folder


def source_name(counts, folder=None):
    """The source name of the scenes with `counts` objects: tfds' CLEVR,
    or the CLEVR folder `folder`."""
    name = f"clevr(counts={tuple(counts)!r}"
    return name + (f", folder={folder!r})" if folder else ")")


def folder_scenes(folder, split):
    """`(image paths, object counts)` of a CLEVR folder's split, in the
    order of its scenes file.

    Args:
        folder: a folder with `images/<split>/` and
            `scenes/CLEVR_<split>_scenes.json` (the CLEVR_v1.0 zip's layout
            and the official generator's).
        split: its split name ("train", "val", ...); "validation" reads
            "val" when the folder has no "validation" split.

    Raises:
        ValueError: no such folder or scenes file, a scenes file without
            a "scenes" list, or a scene whose image file is missing (the
            message names the path).
    """
    if not os.path.isdir(folder):
        raise ValueError(f"CLEVR folder not found: {folder!r}")
    scenes_file = os.path.join(folder, "scenes", f"CLEVR_{split}_scenes.json")
    if split == "validation" and not os.path.exists(scenes_file):
        split = "val"  # the CLEVR_v1.0 zip's name; tfds says "validation"
        scenes_file = os.path.join(folder, "scenes", "CLEVR_val_scenes.json")
    if not os.path.exists(scenes_file):
        raise ValueError(
            f"CLEVR folder {folder!r} has no scenes file {scenes_file!r} "
            "(expected the CLEVR_v1.0 layout: images/<split>/*.png and "
            "scenes/CLEVR_<split>_scenes.json)"
        )
    with open(scenes_file) as file:
        scenes = json.load(file)
    if not isinstance(scenes, dict) or not isinstance(
        scenes.get("scenes"), list
    ):
        raise ValueError(f"{scenes_file!r} holds no 'scenes' list")
    paths, counts = [], []
    for scene in scenes["scenes"]:
        path = os.path.join(folder, "images", split, scene["image_filename"])
        if not os.path.exists(path):
            raise ValueError(
                f"{scenes_file!r} lists {scene['image_filename']!r}, but "
                f"{path!r} does not exist"
            )
        paths.append(path)
        counts.append(len(scene["objects"]))
    return paths, counts


def _folder_records(folder, counts, split):
    """(dataset of (uint8 image, label)) of a CLEVR folder's scenes with
    one of `counts` objects; labels index the counts."""
    paths, found = folder_scenes(folder, split)
    kept = [
        (path, counts.index(count))
        for path, count in zip(paths, found, strict=True)
        if count in counts
    ]
    if not kept:
        raise ValueError(
            f"CLEVR folder {folder!r} split {split!r}: no scenes with "
            f"{list(counts)} objects among its {len(paths)} scenes (counts "
            f"found: {sorted(set(found))})"
        )
    files, labels = zip(*kept, strict=True)
    dataset = tf.data.Dataset.from_tensor_slices(
        (list(files), tf.constant(labels, tf.int32))
    )
    # The generator writes RGBA PNGs with an opaque alpha: keep RGB.
    return dataset.map(
        lambda path, label: (
            tf.io.decode_png(tf.io.read_file(path), channels=3),
            label,
        )
    )


def object_count(example):
    """Objects in a tfds CLEVR example, from its scene metadata."""
    return tf.shape(example["objects"]["color"])[0]


def records(name, split, data_dir, download):
    """(dataset of (raw image, label), counts) of the scenes whose object
    count is in the name's counts; labels index the counts."""
    import tensorflow_datasets as tfds

    counts, folder = parse_options(name)
    if folder is not None:
        return _folder_records(folder, counts, split), counts
    try:
        dataset = tfds.load(
            "clevr", split=split, data_dir=data_dir, download=download
        )
    except (AssertionError, tfds.core.DatasetNotFoundError) as error:
        raise DatasetUnavailable(
            f"tfds dataset 'clevr' is not prepared in "
            f"{data_dir or tfds.core.constants.DATA_DIR}: prepare it where "
            "the network allows (`tfds build clevr`, about 18 GB) and pass "
            f"its directory as data_dir (tfds: {str(error).splitlines()[0]})"
        ) from None
    wanted = tf.constant(counts, tf.int32)

    def keep(example):
        return tf.reduce_any(tf.equal(object_count(example), wanted))

    def pair(example):
        label = tf.argmax(
            tf.cast(tf.equal(object_count(example), wanted), tf.int32),
            output_type=tf.int32,
        )
        return example["image"], label

    return dataset.filter(keep).map(pair), counts
