"""OOD sets by name: noise, local corruptions, named datasets."""

import threading

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.eval.ood import sets as ood_sets


def _array(dataset):
    return np.stack([x for x, _ in dataset.as_numpy_iterator()])


def _test_images(n=4, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size, 3), np.uint8)


@pytest.mark.parametrize("kind", ["gaussian", "uniform"])
def test_noise_shapes_ranges_and_determinism(kind):
    dataset = ood_sets.noise(kind, 200, 16, seed=3)
    images = _array(dataset)
    assert images.shape == (200, 16, 16, 3) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    np.testing.assert_array_equal(
        images, _array(ood_sets.noise(kind, 200, 16, 3))
    )
    assert not np.array_equal(images, _array(ood_sets.noise(kind, 200, 16, 4)))
    if kind == "uniform":
        assert abs(images.std() - 2 / np.sqrt(12)) < 0.01
    else:
        # Clipping at +-2 standard deviations barely changes the spread.
        assert abs(images.std() - 0.5 * 0.94) < 0.02
        assert 0.03 < np.mean(np.abs(images) == 1.0) < 0.06


def test_corrupted_images_are_deterministic_and_changed():
    images = _test_images()
    floats = images / 127.5 - 1
    for name in ("gaussian_noise", "frosted_glass_blur", "impulse_noise"):
        first = _array(ood_sets.corrupted(images, name, 5, seed=1))
        assert first.shape == (4, 32, 32, 3) and first.dtype == np.float32
        assert first.min() >= -1.0 and first.max() <= 1.0
        # Corruption changes the pixels substantially at severity 5
        # (CIFAR-10-C's impulse noise replaces 7% of the values).
        assert np.abs(first - floats).mean() > 0.05, name
        again = _array(ood_sets.corrupted(images, name, 5, seed=1))
        np.testing.assert_array_equal(first, again)
        other = _array(ood_sets.corrupted(images, name, 5, seed=2))
        assert not np.array_equal(first, other), name


def test_every_corruption_works_on_32x32_images():
    image = _test_images(1)[0] / 127.5 - 1.0
    for name in ood_sets.CORRUPTIONS:
        out = ood_sets.corruption_function(name, 5)(image, seed=0)
        assert out.shape == (32, 32, 3), name
        assert out.min() >= -1.0 and out.max() <= 1.0, name
        assert not np.array_equal(out, image), name


def test_corruption_function_maps_batches_with_per_image_seeds():
    batch = np.repeat(_test_images(1) / 127.5 - 1.0, 2, axis=0)
    out = ood_sets.corruption_function("shot_noise", 3)(batch, seed=(7, 0))
    assert out.shape == batch.shape
    # The same image twice gets two different noise draws.
    assert not np.array_equal(out[0], out[1])


def test_parse_corruption_accepts_both_spellings():
    assert ood_sets.parse_corruption("glass_blur_3") == (
        "frosted_glass_blur",
        3,
    )
    assert ood_sets.parse_corruption("elastic_transform_5") == ("elastic", 5)
    assert ood_sets.parse_corruption("fog_1") == ("fog", 1)
    for bad in ("fog_6", "fog", "blur_5", "fog_05"):
        with pytest.raises(ValueError, match="unknown corruption"):
            ood_sets.parse_corruption(bad)


def test_resolve_names():
    calls = []

    def loader(name, split, resolution, data_dir):
        calls.append((name, split, resolution, data_dir))
        data = tf.zeros([2, resolution, resolution, 3])
        return tf.data.Dataset.from_tensor_slices((data, [0, 0])), None

    images = _test_images(3)
    sets = ood_sets.resolve(
        "svhn_cropped, cifar10_corrupted,noise:uniform,corrupt:fog_2,corrupt",
        images,
        32,
        data_dir="/d",
        num_images=5,
        loader=loader,
    )
    names = [s.name for s in sets]
    assert names[0] == "svhn_cropped"
    assert names[1] == "cifar10_corrupted/brightness_5"
    assert names[19] == "cifar10_corrupted/zoom_blur_5"
    assert names[20:22] == ["noise:uniform", "corrupt:fog_2"]
    assert names[22] == "corrupt:brightness_5" and len(names) == 41
    groups = [s.group for s in sets]
    assert groups.count("cifar10_corrupted") == 19
    assert groups.count("corrupt") == 19
    assert calls[0] == ("svhn_cropped", "test", 32, "/d")
    assert len(calls) == 20
    assert _array(sets[20].data).shape == (5, 32, 32, 3)
    assert _array(sets[21].data).shape == (3, 32, 32, 3)


def test_clear_errors():
    with pytest.raises(
        ValueError,
        match="noise kind must be one of \\['gaussian', 'uniform'\\], "
        "received 'pink'",
    ):
        ood_sets.resolve("noise:pink", None, 32)
    with pytest.raises(ValueError, match="no OOD set names"):
        ood_sets.resolve(" , ", None, 32)
    with pytest.raises(ValueError, match="at least 32x32"):
        ood_sets.corrupted(np.zeros((2, 16, 16, 3), np.uint8), "fog")
    with pytest.raises(ValueError, match="RGB"):
        ood_sets.corrupted(np.zeros((2, 32, 32, 1), np.uint8), "fog")


def test_subset_indices_are_stratified_seeded_and_shuffled():
    sorted_labels = np.repeat([0, 1, 2], 4)
    chosen = ood_sets.subset_indices(sorted_labels, 6, seed=0)
    assert list(sorted_labels[chosen]) == [0, 0, 1, 1, 2, 2]
    # Not the first images of each class, and another seed draws others.
    draws = {
        tuple(ood_sets.subset_indices(sorted_labels, 6, s)) for s in range(6)
    }
    assert len(draws) > 1
    np.testing.assert_array_equal(
        chosen, ood_sets.subset_indices(sorted_labels, 6, seed=0)
    )
    # Shares 6:3:1 of 5 images: 3, 1.5, 0.5 -> 3 and 1, and the one left
    # goes to class 1 or 2 (equal fractions; the seed decides).
    uneven = np.repeat([0, 1, 2], [6, 3, 1])
    for seed in range(4):
        counts = np.bincount(
            uneven[ood_sets.subset_indices(uneven, 5, seed)], minlength=3
        )
        assert counts[0] == 3 and sorted(counts[1:]) in ([1, 1], [0, 2])
        assert counts[1] >= 1
    assert list(ood_sets.subset_indices(uneven, 50)) == list(range(10))


def test_subset_of_a_class_sorted_dataset_has_every_class():
    labels = np.repeat(np.arange(4, dtype=np.int32), 5)
    images = np.broadcast_to(
        np.arange(20, dtype=np.float32)[:, None, None, None], (20, 2, 2, 3)
    )
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    chosen = ood_sets.subset(dataset, 8, seed=1)
    assert int(chosen.cardinality()) == 8
    pairs = list(chosen.as_numpy_iterator())
    assert sorted(int(y) for _, y in pairs) == [0, 0, 1, 1, 2, 2, 3, 3]
    index = [int(x[0, 0, 0]) for x, _ in pairs]
    np.testing.assert_array_equal(
        index, ood_sets.subset_indices(labels, 8, seed=1)
    )
    assert ood_sets.subset(dataset, 20) is dataset


def _within(seconds, function):
    """`function()`, or a failure after `seconds`: a hang fails the test
    instead of the suite (the daemon thread is left behind)."""
    result = {}

    def run():
        try:
            result["value"] = function()
        except Exception as error:  # handed to the test's thread
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_an_endless_ood_set_is_taken_by_count_not_read_to_its_end():
    # Issue 28: the label-stratified subset read every label of the dots
    # stream, which never ends, so `--ood="dots(counts=(4, 5, 7))"` hung.
    (found,) = _within(
        60,
        lambda: ood_sets.resolve(
            "dots(counts=(4, 5, 7))", None, 32, num_images=6
        ),
    )
    assert found.name == "dots(counts=(4, 5, 7))"
    pairs = _within(60, lambda: list(found.data.as_numpy_iterator()))
    assert len(pairs) == 6 and pairs[0][0].shape == (32, 32, 3)
    assert {int(y) for _, y in pairs} <= {0, 1, 2}
    endless = tf.data.Dataset.counter().map(lambda i: (i, i % 2))
    assert ood_sets.is_endless(endless)
    assert not ood_sets.is_endless(endless.take(3))
    taken = _within(60, lambda: ood_sets.subset(endless, 4, seed=1))
    assert [int(x) for x, _ in taken.as_numpy_iterator()] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="is endless: pass num_images"):
        _within(60, lambda: ood_sets.resolve("dots", None, 32))
    with pytest.raises(ValueError, match="endless dataset has no list"):
        _within(60, lambda: ood_sets.labels_of(endless))


def test_nda_sets_are_the_test_images_transformed_with_seeds():
    from nda_tf import transforms

    images = _test_images(5)
    sets = ood_sets.resolve(
        "nda:jigsaw(grid=2), noise:uniform", images, 32, seed=7
    )
    assert [s.name for s in sets] == ["nda:jigsaw(grid=2)", "noise:uniform"]
    made = _array(sets[0].data)
    floats = images.astype(np.float32) / 127.5 - 1
    expected = transforms.get("jigsaw(grid=2)").transform_with_seed(
        floats, tf.constant([7, 0], tf.int64)
    )
    np.testing.assert_allclose(made, expected.numpy(), atol=1e-6)
    assert not np.allclose(made, floats)
    np.testing.assert_array_equal(made, _array(sets[0].data))  # seeded
    # Batches of 2: batch 1 gets seed (7, 1), not batch 0's.
    small = _array(ood_sets.transformed(images, "jigsaw", 7, batch_size=2))
    np.testing.assert_allclose(
        small[:2],
        _array(ood_sets.transformed(images[:2], "jigsaw", 7, batch_size=2)),
    )
    with pytest.raises(ValueError, match="nda: needs a transform"):
        ood_sets.transformed(images, "none")


def test_corruption_sets_are_cached_on_disk_once(tmp_path, monkeypatch):
    images = _test_images(5)
    first = _array(ood_sets.corrupted(images, "snow", 5, 3, tmp_path, 2))
    pattern = "corrupt-snow_5-c10c-seed3-*.npz"
    files = list((tmp_path / "ood_sets").glob(pattern))
    assert len(files) == 1
    # The same images from a dataset of floats: the same cache entry, and
    # nothing is corrupted again.
    floats = tf.data.Dataset.from_tensor_slices(
        (images.astype(np.float32) / 127.5 - 1, np.zeros(5, np.int32))
    )
    monkeypatch.setattr(
        ood_sets, "_uint8_corruption", lambda *a: pytest.fail("recomputed")
    )
    again = _array(ood_sets.corrupted(floats, "snow", 5, 3, tmp_path))
    np.testing.assert_array_equal(first, again)
    monkeypatch.undo()
    # Image i is seeded by (seed, i) whatever the batch size and cache.
    single = ood_sets.corruption_function("snow", 5)(
        images[3] / 127.5 - 1, (3, 3)
    )
    np.testing.assert_allclose(first[3], single, atol=1e-6)
    other = _array(ood_sets.corrupted(images[:4], "snow", 5, 3, tmp_path))
    np.testing.assert_array_equal(other, first[:4])
    assert len(list((tmp_path / "ood_sets").iterdir())) == 2  # other images
