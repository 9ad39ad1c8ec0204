"""How well `nda_tf.eval.counting.count_objects` counts CLEVR scenes of
known count (the counter of the CLEVR numerosity runs, Figure 6(b))."""

import json
import os

import numpy as np

from nda_tf import checks, data
from nda_tf.data import clevr
from nda_tf.eval import counting


def check_counter(
    counts,
    per_count=200,
    split="validation",
    resolution=64,
    data_dir=None,
    folder=None,
    threshold=40.0,
    min_area_fraction=0.004,
    out=None,
):
    """Counts `per_count` scenes of each true count; returns the markdown
    table (confusion by true count, exact and within-one accuracy) and,
    with `out`, writes it as `counter.md` with `counter.json` beside."""
    images, truth = scenes_by_count(
        counts,
        per_count=per_count,
        split=split,
        resolution=resolution,
        data_dir=data_dir,
        folder=folder,
    )
    predicted = counting.count_objects(
        images, threshold=threshold, min_area_fraction=min_area_fraction
    )
    result = counting.counter_accuracy(truth, predicted)
    where = f" in {folder}" if folder else ""
    title = (
        f"count_objects on CLEVR {split} scenes{where} ({resolution}x"
        f"{resolution}, metadata counts)"
    )
    text = counting.counter_markdown(result, title)
    if out:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "counter.md"), "w") as file:
            file.write(text)
        record = {
            **result._asdict(),
            "split": split,
            "folder": folder,
            "resolution": resolution,
            "per_count": per_count,
            "threshold": threshold,
            "min_area_fraction": min_area_fraction,
        }
        with open(os.path.join(out, "counter.json"), "w") as file:
            json.dump(record, file, indent=2)
    return text


def scenes_by_count(
    counts=tuple(clevr.SCENE_COUNTS),
    per_count=100,
    split="validation",
    resolution=clevr.DEFAULT_RESOLUTION,
    data_dir=None,
    download=None,
    folder=None,
):
    """Real CLEVR scenes of known object count, up to `per_count` of each.

    The split is read in its stored order until every count has
    `per_count` scenes (or the split ends); the count of a scene is its
    metadata's (`object_count`, or the scenes file's object list).

    Args:
        counts: object counts wanted, each within `SCENE_COUNTS` (3..10)
            for tfds; any counts >= 1 for a folder.
        per_count: int >= 1, scenes kept per count.
        split: tfds split of `clevr` ("validation": 15,000 scenes).
        resolution: image size (centre crop and resize, as training sees
            the scenes).
        data_dir: see `nda_tf.data.load`.
        download: see `nda_tf.data.load`.
        folder: optional CLEVR folder (see the module docstring) read
            instead of tfds; its split "validation" is the zip's "val".

    Returns:
        `(images, true_counts)`: uint8 `[N, resolution, resolution, 3]` and
        int64 `[N]`, grouped by count in the order of `counts`.

    Raises:
        ValueError: a count outside 3..10 for tfds (CLEVR v1.0 has none;
            the paper's 1- to 3-object renders are not in tfds), or a
            count of which the split read has no scene (the message names
            it).
        DatasetUnavailable: `clevr` is not prepared and cannot be
            downloaded.
    """
    name = clevr.source_name(counts, folder)
    counts = clevr.parse(name)
    checks.check_int("per_count", per_count, 1)
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
