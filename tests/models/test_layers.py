"""Class-conditional batch norm and the self-attention block."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.models.layers import ConditionalBatchNorm, SelfAttention


def test_conditional_batch_norm_uses_the_label():
    layer = ConditionalBatchNorm(num_classes=3)
    x = tf.random.stateless_normal((2, 4, 4, 8), seed=(1, 2))
    same = layer([x, tf.constant([0, 0])], training=True).numpy()
    other = layer([x, tf.constant([0, 2])], training=True).numpy()
    np.testing.assert_allclose(same[0], other[0], rtol=1e-6)
    assert np.abs(same[1] - other[1]).max() > 1e-4
    # Trainable: two [classes, C] tables; the inner BN has no affine part.
    assert [w.shape for w in layer.trainable_weights] == [(3, 8), (3, 8)]


def test_conditional_batch_norm_normalizes_with_gain_one_at_zero_tables():
    layer = ConditionalBatchNorm(num_classes=2)
    x = tf.random.stateless_normal((16, 2, 2, 4), seed=(3, 4)) * 5 + 3
    layer([x, tf.zeros(16, "int32")])
    layer.gain.assign(tf.zeros((2, 4)))
    layer.bias.assign(tf.zeros((2, 4)))
    out = layer([x, tf.zeros(16, "int32")], training=True).numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1.0, atol=1e-3)


def test_conditional_batch_norm_rejects_a_bad_num_classes():
    with pytest.raises(ValueError, match="num_classes must be an int >= 1"):
        ConditionalBatchNorm(0)
    with pytest.raises(ValueError, match="received True"):
        ConditionalBatchNorm(True)


def test_self_attention_is_identity_at_init_then_mixes():
    layer = SelfAttention()
    x = tf.random.stateless_normal((2, 8, 8, 16), seed=(5, 6))
    out = layer(x, training=True)
    assert out.shape == (2, 8, 8, 16)
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    layer.gamma.assign(1.0)
    assert np.abs(layer(x).numpy() - x.numpy()).max() > 1e-4
    # theta, phi: C/8; g: C/2; o: C; no biases; plus gamma.
    sizes = sorted(int(np.prod(w.shape)) for w in layer.trainable_weights)
    assert sizes == [1, 16 * 2, 16 * 2, 16 * 8, 8 * 16]


def test_self_attention_rejects_bad_shapes():
    with pytest.raises(ValueError, match="divisible by 8"):
        SelfAttention()(tf.zeros((1, 8, 8, 12)))


def test_self_attention_mixed_precision():
    layer = SelfAttention(dtype="mixed_bfloat16")
    out = layer(keras.ops.ones((1, 4, 4, 8)))
    assert out.dtype == tf.bfloat16
