"""A seeded, class-stratified split of an image folder into a training part
and a held-out part, both `folder:` sources (`split_folder`).

Used by the real-image study (`nda_tf.studies.real_study`), whose
scores are all on the held-out part.
"""

import json
import os
import shutil

import numpy as np

SPLIT_FILE = "split.json"
PARTS = ("train", "val")


def split_counts(counts, held_out):
    """How many images of each class go to the held-out part.

    Proportional to the class sizes, rounded by largest remainder so that
    the total is exactly `held_out` (ties go to the earlier class).

    Args:
        counts: images per class, e.g. `[5000] * 10`.
        held_out: int, images held out in total, 0 < held_out < sum.

    Returns:
        list of ints, per class.

    >>> split_counts([5000] * 10, 5000)[:3]
    [500, 500, 500]
    """
    counts = [int(c) for c in counts]
    total = sum(counts)
    if not 0 < held_out < total:
        raise ValueError(
            f"held_out must be between 1 and {total - 1} (the folder has "
            f"{total} images); received {held_out}"
        )
    exact = [c * held_out / total for c in counts]
    chosen = [int(e) for e in exact]
    order = sorted(
        range(len(counts)), key=lambda i: (-(exact[i] - chosen[i]), i)
    )
    for i in order[: held_out - sum(chosen)]:
        chosen[i] += 1
    return chosen


def plan_split(paths, labels, held_out, seed):
    """`{"train": [...], "val": [...]}` indices of a class-stratified split.

    Each class's images (in sorted path order) are permuted by a generator
    seeded with `(seed, class)`, and the first `split_counts` of them are
    held out: the same folder and seed always give the same split, and
    adding a class does not move the other classes' images.
    """
    labels = np.asarray(labels)
    classes = sorted(set(labels.tolist()))
    members = {c: np.flatnonzero(labels == c) for c in classes}
    order = {c: members[c][np.argsort(np.asarray(paths)[members[c]])]
             for c in classes}  # fmt: skip
    quota = split_counts([len(order[c]) for c in classes], held_out)
    parts = {"train": [], "val": []}
    for c, count in zip(classes, quota, strict=True):
        rng = np.random.default_rng([int(seed), int(c)])
        shuffled = order[c][rng.permutation(len(order[c]))]
        parts["val"] += sorted(shuffled[:count].tolist())
        parts["train"] += sorted(shuffled[count:].tolist())
    return parts


def split_folder(source, out_dir, held_out, seed=0):
    """Splits an image folder into `out_dir/train` and `out_dir/val`.

    Files are hard links where the file system allows (else copies), under
    the same class subfolders and names, so that both parts are
    `folder:` sources. `out_dir/split.json` records the source, seed and
    every file of each part; splitting again with the same arguments finds
    it and does nothing, with other arguments it is an error.

    Args:
        source: an image folder with class subfolders (or a flat folder).
        out_dir: where the two parts go; must not hold another split.
        held_out: int, images in the validation part, stratified by class.
        seed: int, seed of the split.

    Returns:
        the split record (dict): `{"source", "seed", "held_out", "files":
        {"train": [...], "val": [...]}, "classes"}`, paths relative to
        `source`.

    Example:
        split_folder("cifar10_all", "cifar10_split", held_out=5000, seed=0)
        # then --dataset=folder:cifar10_split/train and
        # --in=folder:cifar10_split/val
    """
    from nda_tf.data import folder as folder_lib

    source = os.path.abspath(source)
    paths, labels, classes = folder_lib.list_images(source)
    # A split of a missing image could be neither linked nor copied.
    dangling = [p for p in paths if folder_lib.is_dangling(p)]
    if dangling:
        raise ValueError(
            f"{len(dangling)} dangling symlink(s) in {source!r}, e.g. "
            f"{dangling[0]}: fix or remove them"
        )
    parts = plan_split(paths, labels, int(held_out), int(seed))
    record = {
        "source": source,
        "seed": int(seed),
        "held_out": int(held_out),
        "classes": list(classes),
        "files": {
            part: [os.path.relpath(paths[i], source) for i in parts[part]]
            for part in PARTS
        },
    }
    record_path = os.path.join(out_dir, SPLIT_FILE)
    if os.path.exists(record_path):
        with open(record_path) as file:
            existing = json.load(file)
        if existing != record:
            raise ValueError(
                f"{out_dir} holds another split ({SPLIT_FILE}: seed "
                f"{existing.get('seed')}, held_out "
                f"{existing.get('held_out')}, source "
                f"{existing.get('source')}); choose another folder"
            )
        return record
    if os.path.exists(out_dir) and os.listdir(out_dir):
        raise ValueError(
            f"{out_dir} is not empty and holds no {SPLIT_FILE}: choose an "
            "empty or new folder"
        )
    for part in PARTS:
        for relative in record["files"][part]:
            target = os.path.join(out_dir, part, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            _link_or_copy(os.path.join(source, relative), target)
    # Written last: a split cut short has no record and is refused above.
    temporary = record_path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(record, file, indent=1)
    os.replace(temporary, record_path)
    return record


def _link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def check_split(data_dir):
    """Stops with one line unless `data_dir` holds a finished split."""
    if not os.path.isfile(os.path.join(data_dir, SPLIT_FILE)):
        raise ValueError(
            f"{data_dir} holds no {SPLIT_FILE}: make the split first "
            "(--action=split)"
        )
