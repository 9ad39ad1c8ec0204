"""The seeded, class-stratified split of an image folder (data.split)."""

import os

import numpy as np
import pytest
from PIL import Image

from nda_tf.data import split


def make_folder(root, counts, size=32, seed=0):
    """Class subfolders of random JPEGs: `{class name: count}`."""
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        os.makedirs(root / name)
        for i in range(count):
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.jpg")
    return root


def test_split_counts_are_proportional_and_exact():
    assert split.split_counts([5000] * 10, 5000) == [500] * 10
    # 10 * 5/25 = 2, 10 * 5/25 = 2, 5 * 5/25 = 1
    assert split.split_counts([10, 10, 5], 5) == [2, 2, 1]
    # Exact shares 1.5, 1.5: the remainder goes to the first class.
    assert split.split_counts([3, 3], 3) == [2, 1]
    with pytest.raises(ValueError, match="received 6"):
        split.split_counts([3, 3], 6)


def test_the_split_is_stratified_seeded_and_refuses_another(tmp_path):
    source = make_folder(tmp_path / "all", {"a": 10, "b": 10, "c": 5})
    record = split.split_folder(source, tmp_path / "s", 5, seed=0)
    val, train = record["files"]["val"], record["files"]["train"]
    assert [sum(f.startswith(c + "/") for f in val) for c in "abc"] == [2, 2, 1]
    assert not set(val) & set(train) and len(val) + len(train) == 25
    for part, files in record["files"].items():
        on_disk = sorted(
            f"{c}/{n}"
            for c in "abc"
            for n in os.listdir(tmp_path / "s" / part / c)
        )
        assert on_disk == sorted(files)
    # The same seed, another folder: the same split; another seed: another.
    again = split.split_folder(source, tmp_path / "t", 5, seed=0)
    assert again["files"] == record["files"]
    other = split.split_folder(source, tmp_path / "u", 5, seed=1)
    assert other["files"]["val"] != val
    # Splitting again into the same folder: found, nothing changes.
    assert split.split_folder(source, tmp_path / "s", 5, 0) == record
    with pytest.raises(ValueError, match="holds another split"):
        split.split_folder(source, tmp_path / "s", 5, seed=1)
