"""Dataset sources: tfds (mocked), folders, npz files and their errors."""

import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf import data
from nda_tf.data import images


def test_mock_cifar10_gives_scaled_images_and_labels():
    with tfds.testing.mock_data(num_examples=12):
        dataset, info = data.load("cifar10", split="test")
        pairs = list(dataset)
    assert (info.num_classes, info.resolution) == (10, 32)
    assert len(pairs) == 12
    image, label = pairs[0]
    assert image.shape == (32, 32, 3) and image.dtype == tf.float32
    assert -1.0 <= image.numpy().min() and image.numpy().max() <= 1.0
    assert label.dtype == tf.int32 and 0 <= int(label) < 10


def test_celeb_a_is_centre_cropped_to_64_and_unlabeled():
    with tfds.testing.mock_data(num_examples=2):
        dataset, info = data.load("celeb_a")
        image, label = next(iter(dataset))
    assert info.num_classes == 1 and image.shape == (64, 64, 3)
    assert int(label) == 0


def test_an_unprepared_tfds_dataset_fails_at_once(tmp_path):
    with pytest.raises(data.DatasetUnavailable, match="not prepared"):
        data.load("cifar10", data_dir=str(tmp_path))


def test_an_unknown_name_is_named_in_the_error():
    with pytest.raises(ValueError, match="unknown dataset 'no_such_set'"):
        data.load("no_such_set")


def test_centre_crop_keeps_the_middle_square_exactly():
    image = tf.reshape(tf.range(4 * 6 * 3, dtype=tf.int32), [4, 6, 3])
    cropped = images.to_uint8_square(tf.cast(image, tf.uint8), 4).numpy()
    np.testing.assert_array_equal(cropped, image.numpy()[:, 1:5])


def _write_png(path, colour, size=(20, 24)):
    pixels = np.full([*size, 3], colour, np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(pixels))


def test_folder_with_class_subfolders(tmp_path):
    for name, colour in (("cat", 10), ("dog", 250)):
        for index in range(2):
            _write_png(str(tmp_path / name / f"{index}.png"), colour)
    dataset, info = data.load(f"folder:{tmp_path}", resolution=8)
    pairs = [(x.numpy(), int(y)) for x, y in dataset]
    assert info.num_classes == 2 and info.num_examples == 4
    assert [y for _, y in pairs] == [0, 0, 1, 1]
    assert pairs[0][0].shape == (8, 8, 3)
    np.testing.assert_allclose(pairs[0][0], 10 / 127.5 - 1, atol=1e-6)
    np.testing.assert_allclose(pairs[3][0], 250 / 127.5 - 1, atol=1e-6)


def test_flat_folder_is_unlabeled_and_empty_folder_is_an_error(tmp_path):
    _write_png(str(tmp_path / "flat" / "a.png"), 0)
    _, info = data.load(f"folder:{tmp_path / 'flat'}")
    assert (info.num_classes, info.resolution) == (1, 20)
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="no images"):
        data.load(f"folder:{tmp_path / 'empty'}")


def test_npz_uint8_and_float_sources(tmp_path):
    pixels = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    np.savez(tmp_path / "a.npz", images=pixels, labels=[0, 3])
    np.savez(tmp_path / "b.npz", x=pixels / 255.0)
    array, labels, info = data.read_arrays(f"npz:{tmp_path / 'a.npz'}")
    np.testing.assert_array_equal(array, pixels)
    assert labels.tolist() == [0, 3] and info.num_classes == 4
    array, _, _ = data.read_arrays(f"npz:{tmp_path / 'b.npz'}")
    np.testing.assert_array_equal(array, pixels)
    np.savez(tmp_path / "c.npz", images=np.zeros([2, 4]))
    with pytest.raises(ValueError, match="shape"):
        data.read_arrays(f"npz:{tmp_path / 'c.npz'}")


def test_indexed_batches_are_permutations_and_can_start_anywhere():
    count, batch = 10, 4
    pixels = np.arange(count, dtype=np.uint8)[:, None, None, None]
    pixels = np.broadcast_to(pixels, [count, 1, 1, 3]).copy()
    labels = np.arange(count)
    stream = data.indexed_batches(pixels, labels, batch, seed=1)
    seen = np.concatenate([y.numpy() for _, y in stream.take(5)])
    # 20 examples = two epochs, each a permutation of all ten images.
    assert sorted(seen[:10]) == list(range(10))
    assert sorted(seen[10:]) == list(range(10))
    assert not np.array_equal(seen[:10], seen[10:])
    later = data.indexed_batches(pixels, labels, batch, seed=1, start=3)
    np.testing.assert_array_equal(next(iter(later))[1], seen[12:16])
    first_images = next(iter(stream))[0].numpy()[:, 0, 0, 0]
    np.testing.assert_allclose(first_images, seen[:4] / 127.5 - 1, atol=1e-6)


def test_training_stream_of_dots_can_start_anywhere():
    stream = data.training_stream("dots(counts=(1, 2))", 4, seed=5)
    assert stream.info.num_classes == 2
    batches = list(stream.batches().take(3))
    later = next(iter(stream.batches(start=2)))
    np.testing.assert_array_equal(batches[2][0], later[0])
    np.testing.assert_array_equal(batches[2][1], later[1])


def test_batches_shuffles_repeats_and_drops_the_remainder():
    dataset = tf.data.Dataset.range(5)
    out = list(data.batches(dataset, 2, shuffle=False).take(3))
    assert [b.numpy().tolist() for b in out] == [[0, 1], [2, 3], [4, 0]]
    with pytest.raises(ValueError, match="batch_size"):
        data.batches(dataset, 0)
