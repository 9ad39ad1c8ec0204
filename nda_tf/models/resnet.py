"""ResNet encoders for contrastive learning (MoCo-v2 / NDA-CPC).

CIFAR variants replace the ImageNet stem (7x7 stride-2 convolution and
max-pool) by a single 3x3 stride-1 convolution, as the MoCo CIFAR
experiments do: at 32x32 the ImageNet stem would throw away most of the
image before the first block. Every builder returns a functional
`keras.Model` mapping float images `[B, H, W, 3]` (any size) to globally
average-pooled features `[B, D]`.

    >>> encoder = resnet18()
    >>> encoder.output_shape
    (None, 512)
"""

import keras

from nda_tf import checks

_STEM = ("cifar", "imagenet")


def resnet(
    blocks,
    bottleneck=False,
    width=64,
    stem="cifar",
    synchronized_bn=False,
    input_shape=(None, None, 3),
    name="resnet",
):
    """A ResNet-v1 feature extractor.

    Args:
        blocks: four ints, residual blocks per stage (ResNet-18: 2, 2, 2, 2;
            ResNet-50: 3, 4, 6, 3).
        bottleneck: use 1x1-3x3-1x1 bottleneck blocks (expansion 4).
        width: channels of the first stage; later stages double it.
        stem: "cifar" (3x3 conv, stride 1, no max-pool) or "imagenet"
            (7x7 conv, stride 2, 3x3 max-pool).
        synchronized_bn: batch statistics over all replicas (Keras
            `BatchNormalization(synchronized=True)`); an alternative to
            MoCo's shuffled batch norm (see `nda_tf.contrastive.MoCo`).
        input_shape: image shape; height and width may be None.
        name: model name.

    Returns:
        `keras.Model` from images named "images" to features `[B, D]`, with
        `D = 8 * width` (times 4 with bottlenecks).
    """
    if len(blocks) != 4:
        raise ValueError(
            f"blocks must be four ints >= 1, one per stage; received {blocks}"
        )
    for count in blocks:
        checks.check_int("blocks", count, 1)
    checks.check_int("width", width, 1)
    checks.check_choice("stem", stem, _STEM)

    def norm(x, zero=False):
        # Zero-initialised last BN of each block: every residual block
        # starts as the identity, which steadies early training.
        return keras.layers.BatchNormalization(
            momentum=0.9,
            epsilon=1e-5,
            synchronized=synchronized_bn,
            gamma_initializer="zeros" if zero else "ones",
        )(x)

    inputs = keras.Input(input_shape, name="images")
    x = inputs
    if stem == "cifar":
        x = _conv(x, width, 3, 1)
    else:
        x = _conv(x, width, 7, 2)
    x = keras.layers.ReLU()(norm(x))
    if stem == "imagenet":
        x = keras.layers.MaxPooling2D(3, 2, padding="same")(x)
    for stage, count in enumerate(blocks):
        channels = width * 2**stage
        for index in range(int(count)):
            stride = 2 if stage > 0 and index == 0 else 1
            block = _bottleneck if bottleneck else _basic
            # Each stage's output is named, so that a detector can cut the
            # encoder there (`nda_tf.detection`: stage3 is C4).
            last = index == count - 1
            name_out = f"stage{stage + 1}" if last else None
            x = block(x, channels, stride, norm, name_out)
    x = keras.layers.GlobalAveragePooling2D(name="features")(x)
    return keras.Model(inputs, x, name=name)


def resnet18(**kwargs):
    """CIFAR ResNet-18 (512-d features). Arguments as for `resnet`."""
    kwargs.setdefault("name", "resnet18")
    return resnet((2, 2, 2, 2), **kwargs)


def resnet50(**kwargs):
    """ResNet-50 (2048-d features); CIFAR stem unless `stem="imagenet"`."""
    kwargs.setdefault("name", "resnet50")
    return resnet((3, 4, 6, 3), bottleneck=True, **kwargs)


def small_resnet(width=16, **kwargs):
    """A one-block-per-stage ResNet (`8 * width` features) for CPU runs."""
    kwargs.setdefault("name", "small_resnet")
    return resnet((1, 1, 1, 1), width=width, **kwargs)


BACKBONES = {
    "resnet18": resnet18,
    "resnet50": resnet50,
    "small": small_resnet,
}


def build_backbone(name, **kwargs):
    """`resnet18`, `resnet50` or `small` by name."""
    checks.check_choice("backbone", name, BACKBONES)
    return BACKBONES[name](**kwargs)


def _conv(x, filters, kernel, stride):
    return keras.layers.Conv2D(
        filters,
        kernel,
        stride,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
    )(x)


def _shortcut(x, channels, stride, norm):
    if stride == 1 and x.shape[-1] == channels:
        return x
    if stride == 1:
        return norm(_conv(x, channels, 1, 1))
    projection = SubsampledConv2D(
        channels, stride, use_bias=False, kernel_initializer="he_normal"
    )
    return norm(projection(x))


@keras.saving.register_keras_serializable(package="nda_tf")
class SubsampledConv2D(keras.layers.Conv2D):
    """A 1x1 convolution of stride `stride`, computed as every
    `stride`-th pixel (from the first) followed by a stride-1 1x1
    convolution: the same values as `Conv2D(filters, 1, stride,
    padding="same")`, with the same weights and checkpoint names.

    Why: TensorFlow's oneDNN kernel for the weight gradient of a strided
    1x1 convolution corrupts the heap on AVX-512 CPUs when the input has
    fewer than 16 channels (a ResNet's projection shortcut at the small
    CPU widths), killing the process; a stride-1 one is not affected.

    Args:
        filters: int >= 1, output channels.
        stride: int >= 1, the subsampling step in height and width.
        **kwargs: `keras.layers.Conv2D` arguments but `kernel_size`,
            `strides`, `padding` and `data_format` (channels last).

    Example:

    >>> conv = SubsampledConv2D(8, 2)
    >>> conv(keras.ops.ones((1, 5, 5, 3))).shape
    TensorShape([1, 3, 3, 8])
    """

    def __init__(self, filters, stride=2, **kwargs):
        # A saved config carries Conv2D's own values of these: fixed here.
        for fixed in ("kernel_size", "strides", "padding", "data_format"):
            kwargs.pop(fixed, None)
        super().__init__(filters, 1, strides=1, padding="valid", **kwargs)
        self.stride = checks.check_int("stride", stride, 1)

    def call(self, inputs):
        return super().call(inputs[:, :: self.stride, :: self.stride, :])

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return super().compute_output_shape(
            (batch, _ceil_div(height, self.stride),
             _ceil_div(width, self.stride), channels)
        )  # fmt: skip

    def get_config(self):
        config = super().get_config()
        for fixed in ("kernel_size", "strides", "padding", "data_format"):
            config.pop(fixed)
        return {**config, "stride": self.stride}


def _ceil_div(size, step):
    return None if size is None else -(-size // step)


def _basic(x, channels, stride, norm, name=None):
    shortcut = _shortcut(x, channels, stride, norm)
    y = keras.layers.ReLU()(norm(_conv(x, channels, 3, stride)))
    y = norm(_conv(y, channels, 3, 1), zero=True)
    return keras.layers.ReLU(name=name)(keras.layers.Add()([y, shortcut]))


def _bottleneck(x, channels, stride, norm, name=None):
    shortcut = _shortcut(x, 4 * channels, stride, norm)
    y = keras.layers.ReLU()(norm(_conv(x, channels, 1, 1)))
    y = keras.layers.ReLU()(norm(_conv(y, channels, 3, stride)))
    y = norm(_conv(y, 4 * channels, 1, 1), zero=True)
    return keras.layers.ReLU(name=name)(keras.layers.Add()([y, shortcut]))
