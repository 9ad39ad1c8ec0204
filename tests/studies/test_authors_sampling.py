"""The study tool's `sampling` samples a generator with batch statistics
without changing it: the moving statistics it scores next are the
checkpoint's."""

import numpy as np

from nda_tf.gan import NDAGAN
from tests.gan import tiny
from tools import authors_biggan_study as study


def _gan():
    gan = NDAGAN(tiny.generator(), tiny.discriminator(), z_dim=4)
    gan.generator(np.zeros((2, 4), np.float32), training=False)
    # Moving statistics far from a batch's, so that the two modes differ.
    for weight in gan.generator.weights:
        if "moving_variance" in weight.path:
            weight.assign(np.full(weight.shape, 9.0, np.float32))
    return gan


def test_batch_statistics_leave_the_generator_as_loaded():
    gan = _gan()
    # Frozen, as the EMA generator is: Keras' batch norm would then use
    # its moving statistics even in training mode.
    gan.generator.trainable = False
    before = [np.asarray(w) for w in gan.generator.weights]
    batch = study.sampler(gan, gan.generator, True, seed=3)(6)
    after = [np.asarray(w) for w in gan.generator.weights]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert gan.generator.trainable is False
    moving = study.sampler(gan, gan.generator, False, seed=3)(6)
    # The same latents, the two statistics: different images.
    assert batch.shape == moving.shape == (6, tiny.SIZE, tiny.SIZE, 1)
    assert np.abs(batch - moving).max() > 1e-3


def test_each_call_draws_new_latents_and_a_seed_repeats_them():
    gan = _gan()
    first = study.sampler(gan, gan.generator, False, seed=3)
    again = study.sampler(gan, gan.generator, False, seed=3)
    a, b = first(4), first(4)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(
        np.concatenate([a, b]), np.concatenate([again(4), again(4)])
    )


def test_a_short_call_takes_the_statistics_of_a_full_batch():
    gan = _gan()
    gan.generator.trainable = False
    short = study.sampler(gan, gan.generator, True, seed=3, stats_batch=8)(3)
    full = study.sampler(gan, gan.generator, True, seed=3, stats_batch=8)(8)
    assert short.shape[0] == 3
    np.testing.assert_allclose(short, full[:3], atol=1e-6)
    alone = study.sampler(gan, gan.generator, True, seed=3)(3)
    assert np.abs(alone - short).max() > 1e-3  # statistics of 3 differ
