"""MoCo-v2 augmentation: exact pieces, seeding, tf.data."""

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import transforms
from nda_tf.contrastive.augment import MoCoV2Augment, two_views


def _images(count=4, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, [count, size, size, 3]).astype("float32")


def _identity(augment, batch, **changes):
    t = augment.get_random_transformation(_images(batch), [0, 0])
    t = dict(t)
    t["boxes"] = tf.constant([[0.0, 0.0, 1.0, 1.0]] * batch)
    for key in ("apply_jitter", "gray", "blur", "flip"):
        t[key] = tf.zeros([batch], tf.bool)
    t.update(changes)
    return t


def test_full_box_without_effects_is_the_identity_and_flip_is_exact():
    augment = MoCoV2Augment(8, blur=True)
    images = _images()
    t = _identity(augment, 4)
    np.testing.assert_allclose(
        augment.transform_images(images, t), images, atol=1e-6
    )
    flipped = augment.transform_images(
        images, _identity(augment, 4, flip=tf.constant([1, 0, 0, 1]) > 0)
    ).numpy()
    np.testing.assert_allclose(flipped[0], images[0, :, ::-1], atol=1e-6)
    np.testing.assert_allclose(flipped[1], images[1], atol=1e-6)
    gray = augment.transform_images(
        images, _identity(augment, 4, gray=tf.ones([4], tf.bool))
    ).numpy()
    np.testing.assert_allclose(gray[..., 0], gray[..., 2], atol=1e-6)
    # A blur keeps a constant image constant.
    flat = np.full([4, 8, 8, 3], 0.5, "float32")
    blurred = augment.transform_images(
        flat, _identity(augment, 4, blur=tf.ones([4], tf.bool))
    )
    np.testing.assert_allclose(blurred, flat, atol=1e-5)


def test_same_seed_same_views_in_tf_data_and_eagerly():
    augment = MoCoV2Augment(6)
    images = _images()
    a = augment.transform_with_seed(images, [1, 2]).numpy()
    b = augment.transform_with_seed(images, [1, 2]).numpy()
    c = augment.transform_with_seed(images, [1, 3]).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.shape == (4, 6, 6, 3) and a.min() >= -1 and a.max() <= 1
    batches = tf.data.Dataset.from_tensors((images, np.arange(4))).repeat(3)
    first = list(two_views(batches, augment, seed=0))
    again = list(two_views(batches, augment, seed=0))
    resumed = list(two_views(batches.skip(1), augment, seed=0, start=1))
    (query, key), labels = first[0]
    assert not np.allclose(query, key)
    np.testing.assert_array_equal(labels, np.arange(4))
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x[0][0], y[0][0])
    np.testing.assert_array_equal(first[1][0][1], resumed[0][0][1])
    assert not np.allclose(first[0][0][0], first[1][0][0])


def test_jitter_probability_is_respected():
    augment = MoCoV2Augment(8, jitter_p=0.8, gray_p=0.2)
    t = augment.get_random_transformation(_images(4000, 2), [3, 4])
    assert abs(np.mean(t["apply_jitter"]) - 0.8) < 0.03
    assert abs(np.mean(t["gray"]) - 0.2) < 0.03
    area = (t["boxes"][:, 2] - t["boxes"][:, 0]) * (
        t["boxes"][:, 3] - t["boxes"][:, 1]
    )
    assert np.min(area) >= 0.2 - 1e-5 and np.max(area) <= 1 + 1e-5


def test_validation():
    with pytest.raises(ValueError, match="scale"):
        MoCoV2Augment(8, scale=(0.5, 0.2))
    with pytest.raises(ValueError, match="jitter_p"):
        MoCoV2Augment(8, jitter_p=1.5)
    with pytest.raises(ValueError, match="resolution"):
        MoCoV2Augment(1)
    with pytest.raises(ValueError, match="resolution .* received True"):
        MoCoV2Augment(True)


def test_follows_the_transform_protocol_and_round_trips_its_config():
    augment = MoCoV2Augment(6, jitter_p=0.5, seed=4)
    assert isinstance(augment, transforms.NDATransform)
    images = _images()
    sampled = augment.get_random_transformation(images, seed=9)
    np.testing.assert_array_equal(
        augment.transform_with_seed(images, 9),
        augment.transform_images(images, sampled),
    )
    clone = MoCoV2Augment.from_config(augment.get_config())
    np.testing.assert_array_equal(augment(images), clone(images))
    np.testing.assert_array_equal(augment(images, training=False), images)
