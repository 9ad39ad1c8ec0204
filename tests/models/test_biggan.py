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
    #    one-class projection embedding (256) = 4,205,057.
    generator = biggan.Generator(32, ch=64)
    discriminator = biggan.Discriminator(32, ch=64)
    assert _trainable_count(generator) == 4_276_739
    assert _trainable_count(discriminator) == 4_205_057


def test_unconditional_discriminator_adds_the_projection_of_class_0():
    # Hand-set head: linear picks feature 0, the one-row embedding picks
    # feature 1 (a unit row: its spectral norm is 1), so the logit is
    # h[0] + h[1] of the sum-pooled ReLU features, and flipping the row's
    # sign subtracts h[1]: the projection term is in the output.
    discriminator = biggan.Discriminator(32, ch=2)
    last_block = [
        layer
        for layer in discriminator.layers
        if isinstance(layer, keras.layers.Add)
    ][-1]
    features = keras.Model(discriminator.input, last_block.output)
    x = _images(3)
    h = np.maximum(features(x).numpy(), 0).sum(axis=(1, 2))
    linear = discriminator.get_layer("linear")
    embedding = discriminator.get_layer("embedding")
    assert isinstance(embedding, biggan.ClassEmbedding)
    assert tuple(embedding.kernel.shape) == (1, 8)
    unit = np.eye(8, dtype="float32")
    linear.kernel.assign(unit[:, :1])
    for sign in (1.0, -1.0):
        embedding.kernel.assign(sign * unit[1:2])
        logits = discriminator(x).numpy()[:, 0]
        np.testing.assert_allclose(logits, h[:, 0] + sign * h[:, 1], rtol=1e-5)


def test_class_embedding_iterates_over_classes_like_biggan_pytorch():
    # One power-iteration step from a stored u over the classes, as in
    # BigGAN-PyTorch's SN.W_(): v = norm(u W), u' = norm(v W^T),
    # sigma = v W^T u'^T with W the [classes, features] table.
    rng = np.random.default_rng(0)
    table = rng.normal(size=(5, 7)).astype("float32")
    u = rng.normal(size=(1, 5)).astype("float32")
    layer = biggan.ClassEmbedding(5, 7)
    layer.build((None,))
    layer.kernel.assign(table)
    layer.sn_u.assign(u)
    v = u @ table
    v /= np.linalg.norm(v)
    u_next = v @ table.T
    u_next /= np.linalg.norm(u_next)
    sigma = (v @ table.T @ u_next.T).item()
    out = layer(keras.ops.array([3, 0]), training=True).numpy()
    np.testing.assert_allclose(out, table[[3, 0]] / sigma, rtol=1e-5)
    np.testing.assert_allclose(layer.sn_u.numpy(), u_next, rtol=1e-5)


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
