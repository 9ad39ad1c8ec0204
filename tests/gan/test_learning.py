"""A small NDAGAN learns a simple image distribution."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.gan import NDAGAN
from tests.gan import tiny

SIZE = tiny.SIZE
# Four fixed random +-1 patterns. Unlike simple bars, no 2x2 jigsaw of one
# of them equals any of them, so the jigsaw negatives are never real data.
TEMPLATES = np.where(
    np.random.default_rng(7).uniform(size=[4, SIZE, SIZE, 1]) < 0.5, -1.0, 1.0
).astype("float32")


def _dataset(batch, seed=0):
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, 4, 20000)
    noise = rng.normal(0, 0.05, [20000, SIZE, SIZE, 1]).astype("float32")
    images = np.clip(TEMPLATES[picks] + noise, -1, 1)
    return tf.data.Dataset.from_tensor_slices(images).repeat().batch(batch)


def distance_to_data(images):
    """Mean over samples of the RMS pixel distance to the nearest pattern."""
    flat = images.reshape(len(images), 1, -1)
    distances = np.sqrt(
        np.mean((flat - TEMPLATES.reshape(1, 4, -1)) ** 2, axis=2)
    )
    return float(distances.min(axis=1).mean())


@pytest.mark.parametrize("nda", [None, "jigsaw(grid=2)"])
def test_training_moves_samples_to_the_data(nda):
    gan = NDAGAN(
        tiny.generator(z_dim=8, hidden=64),
        tiny.discriminator(hidden=64),
        nda=nda,
        lam=0.5,
        d_steps=2,
        z_dim=8,
        seed=0,
        ema_decay=0.99,
        ema_start=50,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    )
    before = distance_to_data(gan.generate(500, seed=1))
    gan.fit(_dataset(2 * 32), steps_per_epoch=1500, epochs=1, verbose=0)
    after = distance_to_data(gan.generate(500, seed=1))
    # Random patterns sit about 1 away; the data itself about 0.05.
    assert before > 0.6
    assert after < 0.5 * before, (before, after)
