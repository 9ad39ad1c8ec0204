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
        "init": "zero_bias",
    }
    config = biggan.Discriminator(
        64, ch=4, power_iterations=2, init="authors"
    ).get_config()
    assert {k: config[k] for k in list(config)[3:]} == {
        "resolution": 64,
        "ch": 4,
        "num_classes": 1,
        "attention_resolution": None,
        "power_iterations": 2,
        "init": "authors",
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


def _biases_and_fan_ins(model):
    """(bias, fan_in of its kernel) of every SN conv / linear layer."""
    found = []
    for layer in model._flatten_layers(include_self=False):
        if getattr(layer, "use_bias", False) and hasattr(layer, "kernel"):
            fan_in = int(np.prod(layer.kernel.shape[:-1]))
            found.append((layer.bias.numpy(), fan_in))
    return found


def test_the_authors_init_starts_biases_and_one_class_bn_as_their_code():
    """Their N02 init redraws weights only: each bias keeps PyTorch's
    U(+-1/sqrt(fan_in)); a one-class G's block BN gain and bias are N02
    embeddings (gain 1 + e). The output BN starts at 1 and 0 in both."""
    keras.utils.set_random_seed(0)
    generator = biggan.Generator(32, ch=16, init="authors")
    discriminator = biggan.Discriminator(32, ch=16, init="authors")
    for model in (generator, discriminator):
        found = _biases_and_fan_ins(model)
        assert len(found) == 11  # at 32: 9 in blocks + 2 (G), 10 + 1 (D)
        for bias, fan_in in found:
            limit = 1.0 / np.sqrt(fan_in)
            assert np.abs(bias).max() <= limit
            assert np.abs(bias).max() > 0.5 * limit
    gains = [w.numpy() for w in generator.weights if w.path.endswith("gamma")]
    block = np.concatenate(gains[:-1])  # 6 block BNs of 64 channels
    assert abs(block.mean() - 1.0) < 0.005
    assert 0.015 < block.std() < 0.025
    assert np.all(gains[-1] == 1.0)  # output_bn


def test_zero_bias_init_starts_every_bias_at_zero_and_bn_at_one():
    keras.utils.set_random_seed(0)
    generator = biggan.Generator(32, ch=4)
    discriminator = biggan.Discriminator(32, ch=4)
    for model in (generator, discriminator):
        for bias, _ in _biases_and_fan_ins(model):
            assert np.all(bias == 0.0)
    for weight in generator.weights:
        if weight.path.endswith("gamma"):
            assert np.all(weight.numpy() == 1.0)


def test_an_unknown_init_is_refused_by_name():
    with pytest.raises(ValueError, match="init.*pytorch"):
        biggan.Generator(32, ch=4, init="pytorch")
    with pytest.raises(ValueError, match="init.*pytorch"):
        biggan.Discriminator(32, ch=4, init="pytorch")
