"""Pix2Pix losses on hand-made logits."""

import math

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.translation import losses


def softplus(x):
    return math.log1p(math.exp(x))


def test_discriminator_loss_weights_fakes_and_negatives_by_lam():
    real = tf.constant([[[[0.0], [2.0]]]])
    fake = tf.constant([[[[-1.0], [1.0]]]])
    nda = tf.constant([[[[3.0], [3.0]]]])
    real_term = (softplus(0.0) + softplus(-2.0)) / 2
    fake_term = (softplus(-1.0) + softplus(1.0)) / 2
    nda_term = softplus(3.0)
    plain = losses.discriminator_loss(real, fake)
    assert float(plain) == pytest.approx(0.5 * (real_term + fake_term))
    mixed = losses.discriminator_loss(real, fake, nda, lam=0.25)
    expected = 0.5 * (real_term + 0.25 * fake_term + 0.75 * nda_term)
    assert float(mixed) == pytest.approx(expected, rel=1e-6)
    # lam = 1: the negatives carry no weight, the plain loss exactly.
    assert float(losses.discriminator_loss(real, fake, nda, 1.0)) == float(
        plain
    )


def test_generator_loss_is_non_saturating_plus_weighted_l1():
    logits = tf.constant([[[[1.0]], [[-1.0]]]])
    fakes = tf.constant(np.full([2, 1, 1, 3], 0.5, np.float32))
    targets = tf.constant(np.full([2, 1, 1, 3], -0.5, np.float32))
    total, gan, l1 = losses.generator_loss(logits, fakes, targets, 100.0)
    assert float(gan) == pytest.approx((softplus(-1.0) + softplus(1.0)) / 2)
    assert float(l1) == pytest.approx(1.0)
    assert float(total) == pytest.approx(float(gan) + 100.0)
    assert float(losses.generator_loss(logits, fakes, targets, 0.0)[0]) == (
        pytest.approx(float(gan))
    )
