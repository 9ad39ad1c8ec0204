"""The Pix2Pix networks: shapes, U-Net wiring, PatchGAN receptive field,
normalisation and dropout as the original."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.models import pix2pix


def test_the_paper_unet_has_its_levels_and_dropout_where_the_paper_says():
    G = pix2pix.unet_generator()
    assert G.output_shape == (None, None, None, 3)
    widths = [G.get_layer(f"down{i}_conv").filters for i in range(8)]
    assert widths == [64, 128, 256, 512, 512, 512, 512, 512]
    dropped = [
        layer.name
        for layer in G.layers
        if isinstance(layer, pix2pix.InferenceDropout)
    ]
    assert dropped == ["up0_dropout", "up1_dropout", "up2_dropout"]
    # Innermost and outermost encoder convolutions are not normalised.
    names = {layer.name for layer in G.layers}
    assert "down0_norm" not in names and "down7_norm" not in names
    assert {f"down{i}_norm" for i in range(1, 7)} <= names
    assert pix2pix.unet_depth(G) == 8
    # Paper net size: 54.4 M parameters (the PyTorch net: 54.41 M).
    assert 54.3e6 < G.count_params() < 54.5e6


def test_unet_shapes_dtypes_and_each_skip_joins_its_own_level():
    G = pix2pix.unet_generator(depth=3, filters=4, seed=0)
    out = G(tf.random.uniform([2, 16, 24, 3], -1, 1))
    assert out.shape == (2, 16, 24, 3) and out.dtype == tf.float32
    assert float(tf.reduce_max(tf.abs(out))) <= 1.0
    for block, level in enumerate([1, 0]):
        skip = G.get_layer(f"up{block}_skip")
        sources = [t._keras_history.operation.name for t in skip.input]
        expected = "down1_norm" if level == 1 else "down0_conv"
        assert sources[1] == expected
        assert (
            skip.output.shape[-1]
            == 2 * G.get_layer(f"down{level}_conv").filters
        )


def test_the_skips_carry_the_image_past_a_dead_bottleneck():
    G = pix2pix.unet_generator(depth=3, filters=4, inference_dropout=False)
    inner = G.get_layer("down2_conv")
    inner.set_weights([np.zeros_like(w) for w in inner.get_weights()])
    x = tf.random.uniform([1, 16, 16, 3], -1, 1, seed=1)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(G(x) ** 2)
    assert float(tf.reduce_max(tf.abs(tape.gradient(y, x)))) > 0


def test_a_size_the_depth_cannot_handle_is_a_clear_error():
    with pytest.raises(ValueError, match=r"2\*\*5 = 32; received 48"):
        pix2pix.unet_generator(depth=5, filters=2, image_size=48)
    with pytest.raises(ValueError, match="depth must be an int >= 2"):
        pix2pix.unet_generator(depth=1)


def test_patchgan_receptive_field_is_70_pixels_measured_by_gradients():
    assert pix2pix.patch_receptive_field(3) == 70
    D = pix2pix.patch_discriminator(3, filters=2, norm="none")
    assert D.compute_output_shape((1, 256, 256, 6)) == (1, 30, 30, 1)
    x = tf.random.uniform([1, 128, 128, 6], -1, 1, seed=2)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logit = D(x)[0, 7, 7, 0]
    seen = np.abs(tape.gradient(logit, x).numpy()[0]).sum(-1) > 0
    rows, cols = np.nonzero(seen.any(1))[0], np.nonzero(seen.any(0))[0]
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70


def test_batch_norm_is_instance_norm_at_batch_one():
    x = tf.random.normal([1, 6, 6, 4], seed=3) * 2 + 1
    batch = pix2pix.BatchStatNormalization()
    instance = keras.layers.GroupNormalization(groups=-1, epsilon=1e-5)
    batch.build(x.shape)
    instance.build(x.shape)
    batch.gamma.assign(tf.ones([4]))
    np.testing.assert_allclose(batch(x), instance(x), atol=1e-5)
    # At batch 2 it normalises over both images: not instance norm.
    two = tf.concat([x, x * 3 + 2], 0)
    assert np.abs(batch(two) - instance(two)).max() > 0.1


def test_dropout_stays_on_at_inference_unless_turned_off():
    G = pix2pix.unet_generator(depth=3, filters=4, seed=0)
    x = tf.random.uniform([1, 16, 16, 3], -1, 1, seed=4)
    assert np.abs(G(x) - G(x)).max() > 0
    pix2pix.set_inference_dropout(G, False)
    np.testing.assert_array_equal(G(x), G(x))
    assert np.abs(G(x, training=True) - G(x, training=True)).max() > 0


def test_layers_round_trip_their_config():
    for layer in (
        pix2pix.BatchStatNormalization(epsilon=1e-3),
        pix2pix.InferenceDropout(0.25, at_inference=False, seed=5),
    ):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    with pytest.raises(ValueError, match="rate must be"):
        pix2pix.InferenceDropout(1.0)
