"""How `NDAGAN.generate` runs G's batch norms: moving statistics, or the
statistics of each batch of samples as the authors' evaluation does."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import random as nda_random
from nda_tf.gan import NDAGAN
from nda_tf.gan.recipe import GAN
from nda_tf.models import build_gan
from nda_tf.studies.real_study.scores import scoring_settings
from tests.gan import tiny

SIZE = tiny.SIZE
Z_DIM = SIZE * SIZE
EPSILON = 1e-3
MOVING_MEAN, MOVING_VARIANCE = 3.0, 4.0


def _normalizing_generator():
    """G(z) = batch_norm(z), reshaped: the image is the normalized z."""
    z = keras.Input((Z_DIM,), name="z")
    h = keras.layers.BatchNormalization(
        center=False, scale=False, epsilon=EPSILON, name="bn"
    )(z)
    return keras.Model(z, keras.layers.Reshape((SIZE, SIZE, 1))(h))


def _gan(**kwargs):
    gan = NDAGAN(
        _normalizing_generator(),
        tiny.discriminator(),
        nda=None,
        lam=1.0,
        z_dim=Z_DIM,
        **kwargs,
    )
    bn = gan.ema_generator.get_layer("bn")
    bn.moving_mean.assign(np.full(Z_DIM, MOVING_MEAN, "float32"))
    bn.moving_variance.assign(np.full(Z_DIM, MOVING_VARIANCE, "float32"))
    return gan


def _latents(gan, size, seed, start):
    """The z that `generate(seed=seed)` draws for its call at `start`."""
    base = tf.constant([seed, 0], tf.int64)
    z, _ = gan.sample_latents(size, nda_random.fold_in(base, start))
    return z.numpy()


def _images(values):
    return values.reshape(-1, SIZE, SIZE, 1)


def test_moving_statistics_by_default():
    gan = _gan()
    z = _latents(gan, 10, seed=5, start=0)
    expected = (z - MOVING_MEAN) / np.sqrt(MOVING_VARIANCE + EPSILON)
    np.testing.assert_allclose(
        gan.generate(10, seed=5), _images(expected), rtol=1e-5, atol=1e-5
    )


def test_batch_statistics_of_each_call_and_nothing_kept():
    gan = _gan(sample_stats_batch=16)
    before = [w.numpy() for w in gan.ema_generator.weights]
    images = gan.generate(20, seed=5)
    assert images.shape == (20, SIZE, SIZE, 1)
    # Two calls of 16: the second is drawn full and cut to its 4 images.
    for start, wanted in ((0, 16), (16, 4)):
        z = _latents(gan, 16, seed=5, start=start)
        expected = (z - z.mean(0)) / np.sqrt(z.var(0) + EPSILON)
        np.testing.assert_allclose(
            images[start : start + wanted],
            _images(expected[:wanted]),
            rtol=1e-4,
            atol=1e-4,
        )
    # The moving statistics, and the EMA generator's frozen state, stay.
    for kept, weight in zip(before, gan.ema_generator.weights, strict=True):
        np.testing.assert_array_equal(kept, weight.numpy())
    assert not gan.ema_generator.trainable
    # The argument overrides the model's setting, both ways.
    moving = gan.generate(4, seed=5, stats_batch=0)
    z = _latents(gan, 4, seed=5, start=0)
    expected = (z - MOVING_MEAN) / np.sqrt(MOVING_VARIANCE + EPSILON)
    np.testing.assert_allclose(moving, _images(expected), atol=1e-5)


def test_g_itself_samples_the_same_way():
    gan = _gan()
    generator_bn = gan.generator.get_layer("bn")
    kept = generator_bn.moving_mean.numpy()
    images = gan.generate(8, seed=1, use_ema=False, stats_batch=8)
    z = _latents(gan, 8, seed=1, start=0)
    expected = (z - z.mean(0)) / np.sqrt(z.var(0) + EPSILON)
    np.testing.assert_allclose(images, _images(expected), atol=1e-4)
    np.testing.assert_array_equal(generator_bn.moving_mean.numpy(), kept)
    assert gan.generator.trainable


def test_a_biggan_keeps_its_spectral_norm_and_batch_norm_state():
    generator, discriminator = build_gan("biggan", 32, ch=4)
    gan = NDAGAN(generator, discriminator, nda=None, lam=1.0)
    weights = gan.ema_generator.weights
    before = [w.numpy() for w in weights]
    assert any("sn_u" in w.path for w in weights)
    batch = gan.generate(6, seed=0, stats_batch=6)
    moving = gan.generate(6, seed=0)
    assert batch.shape == moving.shape == (6, 32, 32, 3)
    assert np.abs(batch - moving).max() > 1e-3  # the statistics differ
    for kept, weight in zip(before, weights, strict=True):
        np.testing.assert_array_equal(kept, weight.numpy())


def test_bad_values_are_named():
    with pytest.raises(ValueError, match="sample_stats_batch"):
        _gan(sample_stats_batch=-1)
    # One sample's batch norm leaves nothing of the sample.
    one = "must be 0 .moving statistics. or >= 2 .* received 1"
    with pytest.raises(ValueError, match="sample_stats_batch " + one):
        _gan(sample_stats_batch=1)
    with pytest.raises(ValueError, match="sample_stats_batch " + one):
        GAN.resolve({"sample_stats_batch": 1})
    with pytest.raises(ValueError, match="sample_stats_batch " + one):
        scoring_settings(sample_stats_batch=1)
    with pytest.raises(ValueError, match="stats_batch " + one):
        _gan().generate(4, stats_batch=1)
    gan = _gan()
    with pytest.raises(ValueError, match="stats_batch"):
        gan.generate(4, stats_batch=True)
    with pytest.raises(ValueError, match="batch_size=32 differs"):
        gan.generate(4, batch_size=32, stats_batch=16)
    assert _gan(sample_stats_batch=64).get_config()["sample_stats_batch"] == 64


def test_a_partly_frozen_generator_stays_partly_frozen():
    gan = _gan()
    dense = gan.generator.layers[-1]
    gan.generator.get_layer("bn").trainable = False
    flags = [layer.trainable for layer in gan.generator._flatten_layers()]
    gan.generate(4, seed=0, use_ema=False, stats_batch=4)
    assert [
        layer.trainable for layer in gan.generator._flatten_layers()
    ] == flags
    assert not gan.generator.get_layer("bn").trainable and dense.trainable
