"""The lam-weighted losses against hand computations."""

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.gan import losses

REAL = np.array([[2.0], [0.5], [-1.0]], "float32")
FAKE = np.array([[-2.0], [0.0], [1.5]], "float32")
NDA = np.array([[0.3], [-0.7], [-3.0]], "float32")


def test_hinge():
    real = np.mean(np.maximum(0, 1 - REAL))  # (0 + 0.5 + 2) / 3
    fake = np.mean(np.maximum(0, 1 + FAKE))  # (0 + 1 + 2.5) / 3
    nda = np.mean(np.maximum(0, 1 + NDA))  # (1.3 + 0.3 + 0) / 3
    value = losses.discriminator_loss("hinge", REAL, FAKE, NDA, lam=0.25)
    np.testing.assert_allclose(value, real + 0.25 * fake + 0.75 * nda, 1e-6)
    np.testing.assert_allclose(
        losses.generator_loss("hinge", FAKE), -np.mean(FAKE), 1e-6
    )


def test_non_saturating():
    softplus = lambda v: np.log1p(np.exp(v))  # noqa: E731
    expected = (
        np.mean(softplus(-REAL))
        + 0.5 * np.mean(softplus(FAKE))
        + 0.5 * np.mean(softplus(NDA))
    )
    value = losses.discriminator_loss("non_saturating", REAL, FAKE, NDA, 0.5)
    np.testing.assert_allclose(value, expected, 1e-6)
    np.testing.assert_allclose(
        losses.generator_loss("non_saturating", FAKE),
        np.mean(softplus(-FAKE)),
        1e-6,
    )


def test_wasserstein():
    expected = -REAL.mean() + 0.25 * FAKE.mean() + 0.75 * NDA.mean()
    value = losses.discriminator_loss("wasserstein", REAL, FAKE, NDA, 0.25)
    np.testing.assert_allclose(value, expected, 1e-6)


def test_without_negatives_the_loss_is_the_plain_gan():
    plain = losses.discriminator_loss("hinge", REAL, FAKE)
    expected = np.mean(np.maximum(0, 1 - REAL)) + np.mean(
        np.maximum(0, 1 + FAKE)
    )
    np.testing.assert_allclose(plain, expected, 1e-6)
    with_lam_one = losses.discriminator_loss("hinge", REAL, FAKE, NDA, 1.0)
    np.testing.assert_allclose(with_lam_one, plain, 1e-6)


def test_gradient_penalty_of_a_linear_critic():
    """critic(x) = sum(x) * c has gradient norm |c| * sqrt(n) everywhere."""
    real = tf.zeros([4, 2, 2, 1])
    fake = tf.ones([4, 2, 2, 1])
    for scale in [0.5, 1.0]:

        def critic(x, labels, scale=scale):
            return tf.reduce_sum(x, axis=[1, 2, 3])[:, None] * scale

        penalty = losses.gradient_penalty(
            critic, real, fake, None, tf.constant([1, 2], tf.int64)
        )
        np.testing.assert_allclose(penalty, (scale * 2.0 - 1.0) ** 2, 1e-5)


def test_unknown_loss():
    with pytest.raises(ValueError, match="received 'lsgan'"):
        losses.check_loss("lsgan")
