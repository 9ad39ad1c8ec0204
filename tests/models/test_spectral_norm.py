"""Spectral-norm layers: sigma -> 1, u updated only in training, dtypes."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.models.spectral_norm import SNConv2D, SNDense, SNEmbedding

# A wide init so that the raw kernel's sigma is far from 1.
WIDE = keras.initializers.RandomNormal(stddev=1.0, seed=1)


def _top_singular_value(kernel):
    matrix = np.reshape(np.asarray(kernel), (-1, kernel.shape[-1]))
    return np.linalg.svd(matrix, compute_uv=False)[0]


def _make(kind):
    if kind == "dense":
        return SNDense(16, kernel_initializer=WIDE), tf.ones((4, 24))
    if kind == "conv":
        return SNConv2D(16, 3, kernel_initializer=WIDE), tf.ones((4, 8, 8, 3))
    return SNEmbedding(10, 16, kernel_initializer=WIDE), tf.constant([1, 2])


@pytest.mark.parametrize("kind", ["dense", "conv", "embedding"])
def test_power_iteration_normalizes_top_singular_value(kind):
    layer, inputs = _make(kind)
    layer(inputs)
    raw_kernel = layer.kernel.numpy().copy()
    assert _top_singular_value(raw_kernel) > 2.0
    # The gap between the top two singular values of a random matrix can be
    # small: iterate well past it (each call is one power iteration).
    for _ in range(200):
        layer(inputs, training=True)
    effective = layer.normalized_kernel(training=False).numpy()
    np.testing.assert_allclose(_top_singular_value(effective), 1.0, atol=1e-3)
    # Unlike keras.layers.SpectralNormalization, the trainable kernel itself
    # is never overwritten with W / sigma.
    np.testing.assert_array_equal(layer.kernel.numpy(), raw_kernel)


def test_u_updates_only_in_training():
    layer, inputs = _make("conv")
    layer(inputs)
    u = layer.sn_u.numpy().copy()
    layer(inputs, training=False)
    np.testing.assert_array_equal(layer.sn_u.numpy(), u)
    layer(inputs, training=True)
    assert not np.allclose(layer.sn_u.numpy(), u)
    assert not layer.sn_u.trainable
    assert len(layer.trainable_weights) == 2  # kernel and bias


def test_gradient_reaches_kernel():
    layer, inputs = _make("dense")
    layer(inputs)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(inputs, training=True) ** 2)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None for g in grads)


def test_embedding_returns_float_for_int_labels():
    layer = SNEmbedding(10, 8)
    out = layer(tf.constant([[3], [4]]))
    assert out.shape == (2, 1, 8)
    assert out.dtype == tf.float32
    np.testing.assert_allclose(
        layer(tf.constant([3])).numpy()[0],
        layer.normalized_kernel().numpy()[3],
        rtol=1e-6,
    )


def test_mixed_precision_keeps_sn_in_float32():
    layer = SNConv2D(8, 3, dtype="mixed_float16")
    out = layer(tf.ones((2, 8, 8, 3)), training=True)
    assert out.dtype == tf.float16
    assert layer.kernel.dtype == "float32"
    assert layer.sn_u.dtype == "float32"
    assert layer.normalized_kernel().dtype == tf.float32


def test_config_holds_the_base_and_the_layer_arguments_in_order():
    # Checkpointed runs rebuild layers from these configs: the keys, their
    # order and the saved initializer must stay as they are.
    layer = SNConv2D(4, 5, strides=2, padding="valid", use_bias=False)
    config = layer.get_config()
    assert list(config)[3:] == [
        "power_iterations",
        "epsilon",
        "kernel_initializer",
        "bias_initializer",
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "use_bias",
    ]
    assert [config[k] for k in list(config)[3:5]] == [1, 1e-12]
    assert [config[k] for k in list(config)[7:]] == [4, 5, 2, "valid", False]
    assert config["kernel_initializer"]["class_name"] == "RandomNormal"
    assert config["kernel_initializer"]["config"]["stddev"] == 0.02
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert list(SNEmbedding(10, 3).get_config())[-2:] == [
        "input_dim",
        "output_dim",
    ]


def test_invalid_arguments():
    with pytest.raises(ValueError, match="power_iterations"):
        SNDense(4, power_iterations=0)
    with pytest.raises(ValueError, match="padding"):
        SNConv2D(4, padding="causal")
    with pytest.raises(ValueError, match="units must be an int >= 1"):
        SNDense(0)
    with pytest.raises(ValueError, match="received True"):
        SNDense(True)
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        SNDense(4, epsilon=0.0)


@pytest.mark.parametrize(
    "layer, fan_in",
    [
        (lambda bias: SNConv2D(256, 3, bias_initializer=bias), 3 * 3 * 5),
        (lambda bias: SNConv2D(256, 1, bias_initializer=bias), 5),
        (lambda bias: SNDense(256, bias_initializer=bias), 5),
    ],
)
def test_fan_in_uniform_bias_starts_as_pytorch_starts_a_bias(layer, fan_in):
    """PyTorch's nn.Conv2d / nn.Linear draw a bias from U(+-1/sqrt(fan_in)),
    fan_in = in_channels * k * k (`weight.view(out, -1)`'s columns); the
    authors' N02 init redraws only the weights, so their biases start so.
    """
    keras.utils.set_random_seed(0)
    built = layer("fan_in_uniform")
    built.build((None, 8, 8, 5) if isinstance(built, SNConv2D) else (None, 5))
    bias = keras.ops.convert_to_numpy(built.bias)
    limit = 1.0 / np.sqrt(fan_in)
    assert np.abs(bias).max() <= limit
    # 256 draws of U(-l, l): max |b| below 0.9 l has chance 0.9 ** 256.
    assert np.abs(bias).max() > 0.9 * limit
    assert abs(bias.std() - limit / np.sqrt(3)) < 0.15 * limit
    config = built.get_config()
    assert config["bias_initializer"] == "fan_in_uniform"
    assert type(built).from_config(config).bias_initializer == (
        "fan_in_uniform"
    )


def test_a_config_saved_before_bias_initializer_existed_starts_at_zero():
    config = SNDense(4).get_config()
    del config["bias_initializer"]
    layer = SNDense.from_config(config)
    layer.build((None, 3))
    assert np.all(keras.ops.convert_to_numpy(layer.bias) == 0.0)


def test_an_unknown_bias_initializer_is_refused_by_name():
    with pytest.raises(ValueError, match="fan_in_normal"):
        SNDense(4, bias_initializer="fan_in_normal")
