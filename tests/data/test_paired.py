"""Paired sources and their seekable, jittered stream."""

import os
import time

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.data import DatasetUnavailable, paired


def write_png(path, array):
    tf.io.write_file(path, tf.io.encode_png(array))


def test_shapes_are_seeded_split_apart_and_labelled_by_the_palette():
    a = paired.read_pairs("shapes(count=6, size=16)")
    again = paired.read_pairs("shapes(count=6, size=16)")
    val = paired.read_pairs("shapes(count=6, size=16)", split="val")
    np.testing.assert_array_equal(a.condition, again.condition)
    assert not np.array_equal(a.condition, val.condition)
    ids = paired.palette_ids(a.target, "shapes").numpy()
    np.testing.assert_array_equal(ids, a.ids)
    assert set(np.unique(a.ids)) <= {0, 1, 2, 3} and a.ids.max() > 0
    assert a.info.num_classes == 4 and a.info.resolution == 16
    with pytest.raises(ValueError, match="unknown shapes options"):
        paired.read_pairs("shapes(colour=1)")


def test_side_by_side_files_split_into_a_and_b_in_either_direction(tmp_path):
    rng = np.random.default_rng(0)
    os.makedirs(tmp_path / "train")
    sides = rng.integers(0, 256, [3, 2, 8, 8, 3], dtype=np.uint8)
    for n, (a, b) in enumerate(sides):
        write_png(
            str(tmp_path / "train" / f"{n}.png"), np.concatenate([a, b], 1)
        )
    pairs = paired.read_pairs(f"paired:{tmp_path}", split="train")
    np.testing.assert_array_equal(pairs.condition, sides[:, 0])
    np.testing.assert_array_equal(pairs.target, sides[:, 1])
    assert pairs.ids is None and pairs.palette == "cityscapes"
    swapped = paired.read_pairs(f"paired:{tmp_path}", direction="BtoA")
    np.testing.assert_array_equal(swapped.condition, sides[:, 1])


def test_a_folder_without_the_split_says_its_pairs_are_trained_on(
    tmp_path, caplog
):
    write_png(str(tmp_path / "0.png"), np.zeros([8, 16, 3], np.uint8))
    with caplog.at_level("WARNING", "nda_tf.data.paired"):
        paired.read_pairs(f"paired:{tmp_path}", split="train")
    assert caplog.records == []
    with caplog.at_level("WARNING", "nda_tf.data.paired"):
        pairs = paired.read_pairs(f"paired:{tmp_path}", split="val")
    assert len(pairs.condition) == 1
    (record,) = caplog.records
    assert f"{tmp_path} has no 'val' folder" in record.getMessage()


def test_two_folders_pair_by_file_name(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, [2, 2, 8, 8, 3], dtype=np.uint8)
    for side, folder in enumerate("ab"):
        os.makedirs(tmp_path / folder)
        for n in range(2):
            write_png(str(tmp_path / folder / f"{n}.png"), images[n, side])
    name = f"paired:{tmp_path / 'a'},{tmp_path / 'b'}"
    pairs = paired.read_pairs(name, resolution=4)
    assert pairs.condition.shape == (2, 4, 4, 3)
    os.remove(tmp_path / "b" / "1.png")
    with pytest.raises(ValueError, match="have no match in"):
        paired.read_pairs(name)


def test_the_stream_is_seekable_and_jitters_both_sides_alike():
    pairs = paired.read_pairs("shapes(count=5, size=16)")
    pairs.target = pairs.condition.copy()  # identical sides
    stream = paired.PairedStream(pairs, 2, load_size=20, seed=3)
    read = list(stream.batches(0).take(4))
    for n in (1, 3):
        seeked = next(iter(stream.batches(n)))
        for x, y in zip(read[n], seeked, strict=True):
            np.testing.assert_array_equal(x, y)
    condition, target = read[2]
    np.testing.assert_array_equal(condition, target)
    # Jitter happened: the crop of a 20 px resize is not the 16 px image.
    plain = paired.PairedStream(pairs, 2, load_size=16, mirror=False, seed=3)
    assert np.abs(read[0][0] - next(iter(plain.batches(0)))[0]).max() > 0


def test_cityscapes_missing_is_a_fast_clear_error(tmp_path):
    started = time.monotonic()
    with pytest.raises(DatasetUnavailable, match="manual"):
        paired.read_pairs("cityscapes", data_dir=str(tmp_path))
    assert time.monotonic() - started < 20


def test_unknown_names_are_named():
    with pytest.raises(ValueError, match="unknown paired dataset 'cifar10'"):
        paired.read_pairs("cifar10")
    with pytest.raises(ValueError, match="paired:PATH or paired:A_DIR,B_DIR"):
        paired.read_pairs("paired:a,b,c")


def test_cityscapes_maps_label_ids_to_train_ids_and_palette_colours():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=2):
        pairs = paired.read_pairs("cityscapes", split="val", resolution=16)
    assert pairs.condition.shape == (2, 16, 16, 3)
    assert pairs.info.num_classes == 19 and pairs.palette == "cityscapes"
    known = pairs.ids != paired.IGNORE
    assert known.any() and not known.all()
    assert set(np.unique(pairs.ids[known])) <= set(range(19))
    colours = np.asarray(paired.CITYSCAPES_PALETTE, np.uint8)
    np.testing.assert_array_equal(
        pairs.target[known], colours[pairs.ids[known]]
    )
    np.testing.assert_array_equal(
        paired.palette_ids(pairs.target[known], "cityscapes"),
        pairs.ids[known],
    )
