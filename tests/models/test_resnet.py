"""CIFAR ResNets: feature sizes, stem, validation."""

import keras
import numpy as np
import pytest

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
