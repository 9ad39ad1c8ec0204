"""Discriminator scores against direct calls of the discriminator."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import transforms
from nda_tf.eval.ood import scoring
from nda_tf.eval.ood import sets as ood_sets
from tests.gan import tiny


def _images(n=10, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n, tiny.SIZE, tiny.SIZE, 1)
    return rng.uniform(-1, 1, shape).astype(np.float32)


def test_unconditional_scores_equal_direct_calls_across_batches():
    D = tiny.discriminator(seed=3)
    images = _images(10)
    expected = D(images, training=False).numpy()[:, 0]
    # Batch 4 leaves a remainder of 2: every image is scored exactly once.
    scores = scoring.score_images(D, images, batch_size=4)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)


def test_datasets_batched_or_not_with_labels_give_the_same_scores():
    D = tiny.discriminator(seed=3)
    images = _images(7)
    expected = scoring.score_images(D, images, batch_size=3)
    labels = np.arange(7, dtype=np.int32)
    pairs = tf.data.Dataset.from_tensor_slices((images, labels))
    for data in (pairs, pairs.batch(2), pairs.map(lambda x, y: x)):
        np.testing.assert_allclose(
            scoring.score_images(D, data, batch_size=3), expected, rtol=1e-6
        )


def test_uint8_images_are_scaled_to_minus_one_one():
    D = tiny.discriminator(seed=3)
    pixels = np.random.default_rng(1).integers(0, 256, (5, 8, 8, 1), np.uint8)
    expected = D(pixels / 127.5 - 1.0, training=False).numpy()[:, 0]
    np.testing.assert_allclose(
        scoring.score_images(D, pixels), expected, rtol=1e-5, atol=1e-6
    )


def test_num_images_limits_a_stream():
    D = tiny.discriminator(seed=3)
    endless = tf.data.Dataset.from_tensor_slices(_images(4)).repeat()
    scores = scoring.score_images(D, endless, batch_size=3, num_images=7)
    assert scores.shape == (7,)
    np.testing.assert_allclose(scores[4:], scores[:3], rtol=1e-6)


def test_conditional_scores_use_the_label_or_the_best_label():
    D = tiny.discriminator(num_classes=3, seed=4)
    images = _images(6)
    per_label = np.stack(
        [
            D([images, np.full(6, y, np.int32)], training=False).numpy()[:, 0]
            for y in range(3)
        ]
    )
    best = scoring.score_images(D, images, num_classes=3, batch_size=4)
    np.testing.assert_allclose(best, per_label.max(0), rtol=1e-5, atol=1e-6)
    second = scoring.score_images(D, images, label=2, batch_size=4)
    np.testing.assert_allclose(second, per_label[2], rtol=1e-5, atol=1e-6)
    # The labels really matter for this discriminator.
    assert np.abs(per_label[0] - per_label[2]).max() > 1e-3


def test_score_difference_equals_direct_transform_and_calls():
    D = tiny.discriminator(seed=3)
    images = _images(6)
    jigsaw = transforms.get("jigsaw(grid=2)")
    differences = scoring.score_difference(
        D, images, jigsaw, batch_size=4, seed=5
    )
    expected = []
    for index, start in enumerate((0, 4)):
        batch = tf.constant(images[start : start + 4])
        sampled = jigsaw.get_random_transformation(
            batch, seed=tf.constant([5, index], tf.int64)
        )
        moved = jigsaw.transform_images(batch, sampled)
        expected.append((D(batch) - D(moved)).numpy()[:, 0])
    np.testing.assert_allclose(
        differences, np.concatenate(expected), rtol=1e-5, atol=1e-6
    )
    assert np.abs(differences).max() > 1e-4  # jigsaw moved pixels


def test_score_difference_with_a_callable():
    D = tiny.mean_pixel_discriminator()  # D(x) = mean(x)
    images = _images(5)
    differences = scoring.score_difference(D, images, lambda x: x - 0.5)
    np.testing.assert_allclose(differences, np.full(5, 0.5), rtol=1e-5)


def test_score_difference_seeds_a_local_corruption_by_batch():
    # D(x) = sum of the channel means.
    D = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, use_bias=False, kernel_initializer="ones"),
        ]
    )
    images = np.random.default_rng(2).uniform(-1, 1, (5, 32, 32, 3))
    differences = scoring.score_difference(
        D, images, "corrupt:shot_noise_3", batch_size=2, seed=5
    )
    corrupt = ood_sets.corruption_function("shot_noise", 3)
    expected = [
        (batch - corrupt(batch, (5, index))).mean((1, 2)).sum(-1)
        for index, batch in enumerate(np.split(images, [2, 4]))
    ]
    np.testing.assert_allclose(
        differences, np.concatenate(expected), rtol=1e-4, atol=1e-5
    )


def test_clear_errors():
    conditional = tiny.discriminator(num_classes=3)
    with pytest.raises(ValueError, match="num_classes"):
        scoring.DiscriminatorScorer(conditional)
    with pytest.raises(ValueError, match="label must be"):
        scoring.DiscriminatorScorer(conditional, label=3, num_classes=3)
    with pytest.raises(ValueError, match="batch_size"):
        scoring.DiscriminatorScorer(tiny.discriminator(), batch_size=0)
    with pytest.raises(ValueError, match=r"shape \(8, 8, 1\)"):
        scoring.score_images(tiny.discriminator(), np.zeros((2, 4, 4, 1)))
    with pytest.raises(ValueError, match="dtype int64"):
        scoring.score_images(tiny.discriminator(), np.zeros((2, 8, 8, 1), int))
    with pytest.raises(ValueError, match="needs a transform"):
        scoring.score_difference(tiny.discriminator(), _images(2), "none")


def test_a_subclassed_discriminator_with_num_classes():
    class Projection(keras.Model):
        num_classes = 2

        def call(self, inputs, training=False):
            images, labels = inputs
            mean = keras.ops.mean(images, axis=(1, 2, 3))
            sign = 1.0 - 2.0 * keras.ops.cast(labels, "float32")
            return (mean * sign)[:, None]

    images = _images(4)
    scores = scoring.score_images(Projection(), images)
    # max(mean, -mean) over the two labels.
    np.testing.assert_allclose(
        scores, np.abs(images.mean(axis=(1, 2, 3))), rtol=1e-5, atol=1e-6
    )
