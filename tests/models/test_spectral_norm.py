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
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "use_bias",
    ]
    assert [config[k] for k in list(config)[3:5]] == [1, 1e-12]
    assert [config[k] for k in list(config)[6:]] == [4, 5, 2, "valid", False]
    assert config["kernel_initializer"]["class_name"] == "RandomNormal"
    assert config["kernel_initializer"]["config"]["stddev"] == 0.02
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
