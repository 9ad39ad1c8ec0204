"""Small SNGAN pair and the build_gan helper."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import models
from nda_tf.models import biggan, sngan
from nda_tf.models.spectral_norm import SNConv2D


@pytest.mark.parametrize("resolution", [32, 64, 128])
@pytest.mark.parametrize("num_classes", [1, 10])
def test_shapes_and_dtypes(resolution, num_classes):
    generator, discriminator = models.build_gan(
        "sngan", resolution, ch=8, num_classes=num_classes
    )
    labels = tf.constant([0, 9])
    z = tf.random.stateless_normal((2, 128), seed=(1, 2))
    images = generator(z if num_classes == 1 else [z, labels], training=True)
    assert images.shape == (2, resolution, resolution, 3)
    assert images.dtype == tf.float32
    inputs = images if num_classes == 1 else [images, labels]
    logits = discriminator(inputs, training=True)
    assert logits.shape == (2, 1)
    assert logits.dtype == tf.float32


def test_labels_change_both_networks():
    # Seeded: with some initial weights the embeddings of classes 1 and 2
    # give logits closer than float32 can tell apart reliably.
    keras.utils.set_random_seed(0)
    generator, discriminator = models.build_gan("sngan", 32, 8, 10)
    z = tf.tile(tf.random.stateless_normal((1, 128), seed=(3, 4)), [2, 1])
    images = generator([z, tf.constant([1, 2])]).numpy()
    assert np.abs(images[0] - images[1]).max() > 1e-5
    same = tf.constant(np.repeat(images[:1], 2, axis=0))
    logits = discriminator([same, tf.constant([1, 2])]).numpy()
    assert abs(logits[0, 0] - logits[1, 0]) > 1e-6


def test_discriminator_is_spectrally_normalized():
    discriminator = sngan.Discriminator(32, ch=8)
    convs = [x for x in discriminator.layers if isinstance(x, SNConv2D)]
    assert len(convs) == 4


def test_much_cheaper_than_biggan():
    # Multiply-adds of all convolutions at 32x32, ch=64, from the layers'
    # output shapes: the small pair must be at least 10x cheaper.
    def conv_macs(model):
        total = 0
        for layer in model.layers:
            if hasattr(layer, "kernel") and len(layer.kernel.shape) == 4:
                _, h, w, _ = layer.output.shape
                total += h * w * int(np.prod(layer.kernel.shape))
        return total

    small = sum(map(conv_macs, models.build_gan("sngan", 32, 64)))
    big = sum(map(conv_macs, models.build_gan("biggan", 32, 64)))
    assert 10 * small < big < 60 * small


def test_build_gan_routes_arguments():
    generator, discriminator = models.build_gan(
        "biggan", 32, ch=8, z_dim=64, sync_batch_norm=True, power_iterations=2
    )
    assert isinstance(generator, biggan.Generator)
    assert generator.z_dim == 64 and generator.sync_batch_norm
    assert discriminator.power_iterations == 2
    with pytest.raises(
        ValueError,
        match="arch must be one of \\['biggan', 'sngan'\\], received 'dcgan'",
    ):
        models.build_gan("dcgan", 32)
    with pytest.raises(ValueError, match="ch must be an int >= 2, received 1"):
        sngan.Generator(32, ch=1)
    with pytest.raises(ValueError, match="num_classes .* received True"):
        sngan.Discriminator(32, num_classes=True)
