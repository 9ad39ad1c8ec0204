"""GAN losses with the NDA term (paper Eq. 3 and Appendix M).

The discriminator's fake distribution is the mixture `lam * G + (1 - lam) *
NDA`, so each loss weighs its fake term by `lam` and adds the same term on the
negatives weighted by `1 - lam`. The generator's loss has no NDA term.
"""

import tensorflow as tf

from nda_tf import random as nda_random
from nda_tf.gan import names

# The losses' names live in a module without TensorFlow (flag choices).
LOSSES = names.LOSSES


def _real_term(loss, logits):
    if loss == "hinge":
        return tf.reduce_mean(tf.nn.relu(1.0 - logits))
    if loss == "non_saturating":
        return tf.reduce_mean(tf.nn.softplus(-logits))
    return -tf.reduce_mean(logits)


def _fake_term(loss, logits):
    if loss == "hinge":
        return tf.reduce_mean(tf.nn.relu(1.0 + logits))
    if loss == "non_saturating":
        return tf.reduce_mean(tf.nn.softplus(logits))
    return tf.reduce_mean(logits)


def discriminator_loss(
    loss, real_logits, fake_logits, nda_logits=None, lam=1.0
):
    """`real + lam * fake + (1 - lam) * nda` for the named loss.

    Args:
        loss: "hinge", "non_saturating" or "wasserstein" (the gradient
            penalty, if any, is added by the caller).
        real_logits: float32 `[B, 1]` discriminator outputs on reals.
        fake_logits: float32 `[B, 1]` outputs on generated images.
        nda_logits: float32 `[B, 1]` outputs on the negatives, or None when
            there are none (then `lam` must be 1).
        lam: weight of the generator's samples in the fake mixture.
    """
    value = _real_term(loss, real_logits)
    value += lam * _fake_term(loss, fake_logits)
    if nda_logits is not None:
        value += (1.0 - lam) * _fake_term(loss, nda_logits)
    return value


def generator_loss(loss, fake_logits):
    """The generator's loss; NDA does not enter it."""
    if loss == "non_saturating":
        return tf.reduce_mean(tf.nn.softplus(-fake_logits))
    return -tf.reduce_mean(fake_logits)


def gradient_penalty(critic, real, fake, labels, seed):
    """WGAN-GP: `mean((|grad critic(x_hat)| - 1)^2)` on random interpolates
    `x_hat` between real and fake images (Gulrajani et al., 2017)."""
    batch = tf.shape(real)[0]
    alpha = nda_random.uniform(
        [batch] + [1] * (real.shape.rank - 1), seed, dtype=real.dtype
    )
    mixed = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = tf.cast(critic(mixed, labels), tf.float32)
    grads = tf.cast(tape.gradient(scores, mixed), tf.float32)
    norms = tf.sqrt(
        tf.reduce_sum(tf.square(grads), axis=list(range(1, real.shape.rank)))
        + 1e-12
    )
    return tf.reduce_mean(tf.square(norms - 1.0))


def consistency_loss(logits, augmented_logits):
    """`mean((D(x) - D(T(x)))^2)`: consistency regularisation (Zhang et
    al., 2020) between the scores of images and of their augmentations."""
    difference = tf.cast(logits, tf.float32) - tf.cast(
        augmented_logits, tf.float32
    )
    return tf.reduce_mean(tf.square(difference))
