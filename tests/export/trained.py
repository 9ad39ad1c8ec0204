"""A tiny NDA-GAN trained for a few seconds, shared by the export tests.

Data: 32x32 RGB vertical colour gradients. Their 2x2 jigsaws have sharp
seams, so the discriminator quickly learns to score them below real images.
"""

import atexit
import functools
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from nda_tf import export, models
from nda_tf.gan import NDAGAN

RESOLUTION = 32
Z_DIM = 8
STEPS = 150


def gradients(count, seed):
    """uint8 images `[count, 32, 32, 3]`: top colour fading to bottom colour."""
    rng = np.random.default_rng(seed)
    top = rng.uniform(0, 255, [count, 1, 1, 3])
    bottom = rng.uniform(0, 255, [count, 1, 1, 3])
    ramp = np.linspace(0, 1, RESOLUTION).reshape(1, RESOLUTION, 1, 1)
    images = top + (bottom - top) * ramp
    images = np.broadcast_to(images, [count, RESOLUTION, RESOLUTION, 3])
    return np.round(images).astype(np.uint8)


@functools.cache
def trained_gan(num_classes=1):
    """An `NDAGAN` (SNGAN nets, ch=4, jigsaw NDA) after `STEPS` G steps."""
    keras.utils.set_random_seed(0)
    generator, discriminator = models.build_gan(
        "sngan", RESOLUTION, ch=4, num_classes=num_classes, z_dim=Z_DIM
    )
    gan = NDAGAN(
        generator,
        discriminator,
        nda="jigsaw",
        lam=0.5,
        d_steps=1,
        z_dim=Z_DIM,
        num_classes=num_classes,
        ema_start=0,
        ema_decay=0.9,
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.0, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.0, beta_2=0.9),
    )
    images = gradients(2048, seed=0).astype("float32") / 127.5 - 1.0
    labels = np.arange(2048) % num_classes
    data = tf.data.Dataset.from_tensor_slices((images, labels))
    gan.fit(data.repeat().batch(32), steps_per_epoch=STEPS, verbose=0)
    return gan


_ROOT = None


def export_root():
    """One temporary serving folder per test process, removed at exit."""
    global _ROOT
    if _ROOT is None:
        _ROOT = tempfile.mkdtemp(prefix="nda_export_test_")
        atexit.register(shutil.rmtree, _ROOT, True)
    return _ROOT


@functools.cache
def exported_detector():
    """The trained discriminator exported as `ROOT/nda_ood/1`."""
    gan = trained_gan()
    return export.export_ood_detector(
        gan.discriminator,
        RESOLUTION,
        gradients(200, seed=1),
        export_root(),
        metadata={"nda": "jigsaw", "lam": 0.5, "eval": {"fid": 1.0}},
    )
