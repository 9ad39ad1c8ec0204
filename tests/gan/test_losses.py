"""The lam-weighted losses against hand computations."""

import numpy as np
import tensorflow as tf

from nda_tf import random as nda_random
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


def test_gradient_penalty_at_random_interpolates():
    """critic(x) = sum(x**2) has gradient 2x, so between real = 0 and
    fake = 1 the interpolate alpha has gradient norm 2 * alpha * sqrt(n)."""
    real = tf.zeros([6, 2, 2, 1])
    fake = tf.ones([6, 2, 2, 1])
    seed = tf.constant([1, 2], tf.int64)

    def critic(x, labels):
        return tf.reduce_sum(tf.square(x), axis=[1, 2, 3])[:, None]

    penalty = losses.gradient_penalty(critic, real, fake, None, seed)
    alpha = nda_random.uniform([6, 1, 1, 1], seed).numpy().ravel()
    assert len(set(alpha)) == 6  # distinct interpolates per image
    expected = np.mean((2.0 * alpha * 2.0 - 1.0) ** 2)  # sqrt(n) = 2
    np.testing.assert_allclose(penalty, expected, rtol=1e-5)
