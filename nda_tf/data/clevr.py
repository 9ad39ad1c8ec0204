"""CLEVR scenes by object count, for the numerosity study (Appendix A).

`clevr(counts=(4,))` is the tfds `clevr` dataset (CLEVR v1.0) restricted to
the scenes whose metadata lists exactly one of `counts` objects; the label
of a scene is the position of its count in `counts`, as for `dots`.

CLEVR v1.0 scenes hold 3 to 10 objects, so the paper's setting (Zhao et
al.'s renders with exactly two objects, negatives with one and three) has
no scenes here: `clevr(counts=(2,))` is empty and stops with an error.
Its nearest analogue is k = 4 with negatives of 3 and 5 objects.
"""

import ast

import tensorflow as tf

from nda_tf import checks

# CLEVR v1.0: every scene has between 3 and 10 objects.
SCENE_COUNTS = range(3, 11)
DEFAULT_RESOLUTION = 64


def parse(name):
    """The object counts of a "clevr(counts=(...))" source name."""
    text = name.strip()
    try:
        node = ast.parse(text, mode="eval").body
        ok = (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "clevr"
            and not node.args
            and [k.arg for k in node.keywords] == ["counts"]
        )
        if not ok:
            raise ValueError
        counts = ast.literal_eval(node.keywords[0].value)
        counts = (counts,) if isinstance(counts, int) else tuple(counts)
    except (SyntaxError, ValueError, TypeError):
        raise ValueError(
            f"cannot parse dataset {name!r}: expected clevr(counts=(4,)) "
            "or clevr(counts=(3, 5))"
        ) from None
    checked = [checks.check_int("clevr object count", c, 1) for c in counts]
    if not checked or len(set(checked)) != len(checked):
        raise ValueError(
            f"clevr counts must be distinct ints, at least one; received "
            f"{counts!r} in {name!r}"
        )
    missing = [c for c in checked if c not in SCENE_COUNTS]
    if missing:
        raise ValueError(
            f"CLEVR v1.0 has no scenes with {missing} objects (its scenes "
            "hold 3 to 10); the paper's two-object renders are not in tfds"
        )
    return tuple(checked)


def object_count(example):
    """Objects in a tfds CLEVR example, from its scene metadata."""
    return tf.shape(example["objects"]["color"])[0]


def records(name, split, data_dir, download):
    """(dataset of (raw image, label), counts) of the scenes whose object
    count is in the name's counts; labels index the counts."""
    import tensorflow_datasets as tfds

    from nda_tf.data.sources import DatasetUnavailable

    counts = parse(name)
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


def scenes_by_count(
    counts=tuple(SCENE_COUNTS),
    per_count=100,
    split="validation",
    resolution=DEFAULT_RESOLUTION,
    data_dir=None,
    download=None,
):
    """Real CLEVR scenes of known object count, up to `per_count` of each.

    The split is read in its stored order until every count has
    `per_count` scenes (or the split ends); the count of a scene is its
    metadata's (`object_count`).

    Args:
        counts: object counts wanted, each within `SCENE_COUNTS` (3..10).
        per_count: int >= 1, scenes kept per count.
        split: tfds split of `clevr` ("validation": 15,000 scenes).
        resolution: image size (centre crop and resize, as training sees
            the scenes).
        data_dir, download: see `nda_tf.data.load`.

    Returns:
        `(images, true_counts)`: uint8 `[N, resolution, resolution, 3]` and
        int64 `[N]`, grouped by count in the order of `counts`.

    Raises:
        ValueError: a count outside 3..10 (CLEVR v1.0 has none; the
            paper's 1- to 3-object renders are not in tfds), or a count of
            which the split read has no scene (the message names it).
        DatasetUnavailable: `clevr` is not prepared and cannot be
            downloaded.
    """
    import numpy as np

    from nda_tf import data

    counts = parse(f"clevr(counts={tuple(counts)!r})")
    checks.check_int("per_count", per_count, 1)
    name = f"clevr(counts={counts!r})"
    dataset, _ = data.load(
        name,
        split=split,
        resolution=resolution,
        data_dir=data_dir,
        download=download,
    )
    kept = {c: [] for c in counts}
    read = 0
    for images, labels in dataset.batch(256).as_numpy_iterator():
        read += len(labels)
        for image, label in zip(images, labels, strict=True):
            found = kept[counts[label]]
            if len(found) < per_count:
                found.append(np.round((image + 1.0) * 127.5).astype(np.uint8))
        if all(len(v) >= per_count for v in kept.values()):
            break
    empty = [c for c in counts if not kept[c]]
    if empty:
        raise ValueError(
            f"clevr {split} split: no scenes with {empty} objects among the "
            f"{read} scenes with {list(counts)} objects read; ask for other "
            "counts (--counts)"
        )
    images = np.stack([image for c in counts for image in kept[c]])
    truth = np.concatenate([np.full(len(kept[c]), c) for c in counts])
    return images, truth.astype(np.int64)
