"""CIFAR ResNets: feature sizes, stem, validation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.models import resnet


def test_feature_sizes_and_cifar_stem():
    r18 = resnet.resnet18()
    assert r18.output_shape == (None, 512)
    convs = [
        layer for layer in r18.layers if isinstance(layer, keras.layers.Conv2D)
    ]
    assert convs[0].kernel_size == (3, 3) and convs[0].strides == (1, 1)
    assert not any(
        isinstance(layer, keras.layers.MaxPooling2D) for layer in r18.layers
    )
    # 1 stem conv + 8 blocks x 2 convs + 3 projection shortcuts.
    assert len(convs) == 20
    assert resnet.resnet50().output_shape == (None, 2048)
    small = resnet.small_resnet(width=4)
    x = np.zeros([2, 16, 16, 3], "float32")
    assert small(x).shape == (2, 32)
    imagenet = resnet.resnet18(stem="imagenet", width=4)
    assert any(
        isinstance(layer, keras.layers.MaxPooling2D)
        for layer in imagenet.layers
    )


def test_validation():
    with pytest.raises(ValueError, match="blocks"):
        resnet.resnet((1, 1, 1))
    with pytest.raises(ValueError, match="blocks must be an int >= 1"):
        resnet.resnet((1, 1, 0, 1))
    with pytest.raises(ValueError, match="width must be an int >= 1"):
        resnet.resnet18(width=True)
    with pytest.raises(ValueError, match="stem"):
        resnet.resnet18(stem="vit")
    with pytest.raises(ValueError, match="backbone"):
        resnet.build_backbone("resnet19")


def test_a_strided_shortcut_is_the_strided_1x1_convolution():
    model = resnet.small_resnet(width=4, input_shape=(15, 15, 3))
    projections = [
        layer
        for layer in model.layers
        if isinstance(layer, resnet.SubsampledConv2D)
    ]
    # Stages 2, 3 and 4 halve the size, each with a projection.
    assert [layer.stride for layer in projections] == [2, 2, 2]
    conv = projections[0]
    rng = np.random.default_rng(0)
    for size in (15, 16):  # odd and even: ceil(size / 2) pixels
        x = rng.normal(size=(2, size, size, 4)).astype("float32")
        kernel = rng.normal(size=(1, 1, 4, 8)).astype("float32")
        conv.set_weights([kernel])
        strided = keras.ops.conv(x, kernel, strides=2, padding="same")
        np.testing.assert_allclose(conv(x), strided, rtol=1e-6, atol=1e-6)
        assert conv.compute_output_shape(x.shape) == strided.shape
    config = conv.get_config()
    assert config["stride"] == 2 and "strides" not in config
    again = resnet.SubsampledConv2D.from_config(config)
    assert again.get_config() == config


def test_a_checkpoint_of_the_strided_layout_restores(monkeypatch, tmp_path):
    """Runs saved when the shortcut was `Conv2D(..., strides=2)` resume:
    the layers and their variables keep their places."""
    x = np.random.default_rng(1).normal(size=(2, 16, 16, 3))

    def strided(filters, stride, **kwargs):
        return keras.layers.Conv2D(filters, 1, stride, padding="same", **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(resnet, "SubsampledConv2D", strided)
        keras.utils.set_random_seed(1)
        old = resnet.small_resnet(width=4, input_shape=(16, 16, 3))
    assert not any(
        isinstance(layer, resnet.SubsampledConv2D) for layer in old.layers
    )
    path = tf.train.Checkpoint(model=old).write(str(tmp_path / "ckpt"))
    keras.utils.set_random_seed(2)
    new = resnet.small_resnet(width=4, input_shape=(16, 16, 3))
    assert len(new.layers) == len(old.layers)
    tf.train.Checkpoint(model=new).read(path).assert_consumed()
    np.testing.assert_allclose(
        new(x, training=False), old(x, training=False), rtol=1e-5, atol=1e-5
    )


def test_a_narrow_resnet_trains_at_48_pixels():
    """Width 8 at 48 pixels is the case whose weight gradient, as a
    strided 1x1 convolution, crashed TensorFlow's oneDNN kernel on
    AVX-512 CPUs (a heap corruption, the process killed)."""
    keras.utils.set_random_seed(0)
    model = resnet.small_resnet(width=8, input_shape=(48, 48, 3))
    head = keras.Sequential([model, keras.layers.Dense(1)])
    head.compile(keras.optimizers.SGD(0.01), "mse")
    x = np.random.default_rng(0).normal(size=(8, 48, 48, 3))
    y = x.mean(axis=(1, 2, 3))[:, None]
    losses = head.fit(x, y, epochs=5, batch_size=8, verbose=0)
    losses = losses.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
