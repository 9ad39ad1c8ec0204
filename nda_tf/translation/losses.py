"""Pix2Pix losses: the non-saturating cGAN loss on patch logits, with the
NDA mixture in the discriminator's fake term, and L1.

    >>> real, fake = tf.fill([1, 2, 2, 1], 2.0), tf.fill([1, 2, 2, 1], -2.0)
    >>> round(float(discriminator_loss(real, fake)), 4)  # softplus(-2)
    0.1269
"""

import tensorflow as tf

from nda_tf import checks
from nda_tf.translation import names

# The losses' names live in a module without TensorFlow (flag choices).
LOSSES = names.LOSSES


def _mean_softplus(logits):
    return tf.reduce_mean(tf.math.softplus(tf.cast(logits, tf.float32)))


def discriminator_loss(real_logits, fake_logits, nda_logits=None, lam=1.0):
    """`0.5 * (BCE(real, 1) + lam * BCE(fake, 0) + (1 - lam) * BCE(nda, 0))`.

    BCE with logits, averaged over patches and images; the 0.5 is
    Pix2Pix's (it slows D relative to G). With `nda_logits=None` the fake
    term has weight 1 whatever `lam`.
    """
    real = _mean_softplus(-real_logits)
    if nda_logits is None:
        return 0.5 * (real + _mean_softplus(fake_logits))
    checks.check_number("lam", lam, 0.0, 1.0)
    fake = lam * _mean_softplus(fake_logits)
    return 0.5 * (real + fake + (1.0 - lam) * _mean_softplus(nda_logits))


def generator_loss(fake_logits, fakes, targets, l1_weight):
    """`(total, gan, l1)`: the non-saturating `BCE(D(fake), 1)` plus
    `l1_weight` times the mean absolute error to the target (0: cGAN)."""
    gan = _mean_softplus(-fake_logits)
    l1 = tf.reduce_mean(
        tf.abs(tf.cast(targets, tf.float32) - tf.cast(fakes, tf.float32))
    )
    return gan + l1_weight * l1, gan, l1
