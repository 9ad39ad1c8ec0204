"""BigGAN generator and discriminator (DESIGN.md section 1)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.models import biggan
from nda_tf.models.layers import SelfAttention


def _trainable_count(model):
    # Counted: kernels, biases, BN gamma/beta (or the class-conditional
    # gain/bias tables), attention gamma. Not counted: the spectral-norm
    # vectors `sn_u` and BN moving statistics (non-trainable). PyTorch's
    # `sum(p.numel() for p in G.parameters())` counts the same set.
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _z(batch=2, dim=128, seed=0):
    return tf.random.stateless_normal((batch, dim), seed=(seed, 1))


def _images(batch=2, size=32, seed=0):
    return tf.random.stateless_uniform(
        (batch, size, size, 3), seed=(seed, 2), minval=-1.0, maxval=1.0
    )


def test_parameter_counts_match_the_authors_at_32():
    # BigGAN-PyTorch, resolution 32, ch=64, one class, G_shared=False:
    # G: linear 128->4096 (528,384) + 3 blocks x (2 conv3x3 256->256,
    #    conv1x1 shortcut, 2 one-class ccbn = 2 x 512) (3 x 1,246,976)
    #    + output bn (512) + conv3x3 256->3 (6,915) = 4,276,739.
    # D: blocks 598,272 + 1,245,952 + 2 x 1,180,160, linear 257 and a
    #    one-class embedding (256) = 4,205,057. Our unconditional D has no
    #    projection embedding (256 fewer).
    generator = biggan.Generator(32, ch=64)
    discriminator = biggan.Discriminator(32, ch=64)
    assert _trainable_count(generator) == pytest.approx(4_276_739, rel=0.02)
    assert _trainable_count(discriminator) == pytest.approx(4_205_057, rel=0.02)


@pytest.mark.parametrize("resolution", [32, 64, 128])
@pytest.mark.parametrize("num_classes", [1, 10])
def test_shapes_and_dtypes(resolution, num_classes):
    generator = biggan.Generator(resolution, ch=8, num_classes=num_classes)
    discriminator = biggan.Discriminator(
        resolution, ch=8, num_classes=num_classes
    )
    labels = tf.constant([3, 7])
    g_in = _z() if num_classes == 1 else [_z(), labels]
    images = generator(g_in, training=True)
    assert images.shape == (2, resolution, resolution, 3)
    assert images.dtype == tf.float32
    assert np.abs(images.numpy()).max() <= 1.0
    d_in = images if num_classes == 1 else [images, labels]
    logits = discriminator(d_in, training=True)
    assert logits.shape == (2, 1)
    assert logits.dtype == tf.float32


def test_conditional_generator_uses_the_label():
    generator = biggan.Generator(32, ch=8, num_classes=10)
    z = tf.tile(_z(1), [2, 1])
    images = generator([z, tf.constant([1, 5])]).numpy()
    assert np.abs(images[0] - images[1]).max() > 1e-5


def test_projection_depends_on_the_label_and_accepts_b1_labels():
    discriminator = biggan.Discriminator(32, ch=8, num_classes=10)
    x = tf.tile(_images(1), [2, 1, 1, 1])
    logits = discriminator([x, tf.constant([[1], [5]])]).numpy()
    assert abs(logits[0, 0] - logits[1, 0]) > 1e-6
    flat = discriminator([x, tf.constant([1, 5])]).numpy()
    np.testing.assert_allclose(flat, logits, rtol=1e-6)


def test_config_is_the_constructor_arguments():
    generator = biggan.Generator(32, ch=8, attention_resolution=[16])
    config = generator.get_config()
    assert list(config)[:3] == ["name", "trainable", "dtype"]
    assert {k: config[k] for k in list(config)[3:]} == {
        "resolution": 32,
        "ch": 8,
        "z_dim": 128,
        "num_classes": 1,
        "attention_resolution": [16],
        "sync_batch_norm": False,
        "power_iterations": 1,
    }
    config = biggan.Discriminator(64, ch=4, power_iterations=2).get_config()
    assert {k: config[k] for k in list(config)[3:]} == {
        "resolution": 64,
        "ch": 4,
        "num_classes": 1,
        "attention_resolution": None,
        "power_iterations": 2,
    }


def test_attention_block_placement_and_identity_at_init():
    generator = biggan.Generator(32, ch=8, attention_resolution=[16])
    layers = [x for x in generator.layers if isinstance(x, SelfAttention)]
    assert [x.name for x in layers] == ["block2_attention"]
    assert layers[0].output.shape == (None, 16, 16, 32)
    discriminator = biggan.Discriminator(64, ch=8, attention_resolution=32)
    attention = discriminator.get_layer("block1_attention")
    assert attention.output.shape == (None, 32, 32, 8)
    # gamma = 0: same logits as the model without attention, same weights.
    plain = biggan.Discriminator(64, ch=8)
    for layer in plain.layers:
        if layer.weights:
            source = discriminator.get_layer(layer.name)
            layer.set_weights(source.get_weights())
    x = _images(size=64)
    np.testing.assert_allclose(discriminator(x), plain(x), rtol=1e-5)


def test_invalid_arguments_name_the_value():
    with pytest.raises(
        ValueError,
        match="resolution must be one of \\[32, 64, 128\\], received 48",
    ):
        biggan.Generator(48)
    with pytest.raises(
        ValueError, match="attention_resolution must be .*, received 64"
    ):
        biggan.Discriminator(32, attention_resolution=64)
    with pytest.raises(ValueError, match="num_classes"):
        biggan.Discriminator(32, num_classes=0)


@pytest.fixture(params=["mixed_float16", "mixed_bfloat16"])
def mixed_policy(request):
    previous = keras.config.dtype_policy()
    keras.mixed_precision.set_global_policy(request.param)
    try:
        yield request.param
    finally:
        keras.mixed_precision.set_global_policy(previous)


def test_mixed_precision_gives_float32_outputs(mixed_policy):
    generator = biggan.Generator(32, ch=8, num_classes=10)
    discriminator = biggan.Discriminator(
        32, ch=8, num_classes=10, attention_resolution=8
    )
    labels = tf.constant([1, 2])
    images = generator([_z(), labels], training=True)
    logits = discriminator([images, labels], training=True)
    assert images.dtype == tf.float32
    assert logits.dtype == tf.float32
    conv = discriminator.get_layer("block2_conv1")
    assert conv.compute_dtype == mixed_policy.split("_")[1]
    assert conv.kernel.dtype == "float32"
