"""Video networks of Dense Predictive Coding: the R2D3D encoder, ConvGRU.

The encoder maps one block of frames `[b, T, H, W, C]` to a spatial
feature map `[b, h, w, D]` (time averaged out), before a final ReLU as
DPC scores its targets. R2D3D-18 is DPC's network: a ResNet-18 whose
first two stages are 2D (1x3x3 kernels) and last two 3D (3x3x3, striding
time too), widths 64, 128, 256, 256, giving `H/32` positions per side.
`"small"` is a CPU-sized variant (no stem striding, three stages).

    >>> encoder = build_encoder("small", (3, 16, 16, 3), width=4)
    >>> encoder.output_shape
    (None, 4, 4, 16)

Reference: Han, Xie, Zisserman, "Video Representation Learning by Dense
Predictive Coding", ICCV workshops 2019; Hara et al., 3D ResNets, 2018.
"""

import keras

from nda_tf import checks
from nda_tf.keras_config import KeepArguments

# arch -> (stem kernel, stem stride, max pool, stages); a stage is
# (width multiple of `width`, blocks, "2d" | "3d", stride).
ENCODERS = {
    "r2d3d18": (
        7, 2, True,
        ((1, 2, "2d", 1), (2, 2, "2d", 2), (4, 2, "3d", 2), (4, 2, "3d", 2)),
    ),
    "r2d3d34": (
        7, 2, True,
        ((1, 3, "2d", 1), (2, 4, "2d", 2), (4, 6, "3d", 2), (4, 3, "3d", 2)),
    ),
    "small": (3, 1, False, ((1, 1, "2d", 1), (2, 1, "2d", 2), (4, 1, "3d", 2))),
}  # fmt: skip
DEFAULT_WIDTHS = {"r2d3d18": 64, "r2d3d34": 64, "small": 8}


def build_encoder(arch, input_shape, width=None, name="encoder"):
    """A functional R2D3D encoder.

    Args:
        arch: a key of `ENCODERS` ("r2d3d18" is DPC's UCF-101 network).
        input_shape: `(T, H, W, C)` of one block.
        width: channels of the first stage (default 64, "small": 8).
        name: model name.

    Returns:
        A `keras.Model`, `[b, T, H, W, C]` -> features `[b, h, w, D]`.
    """
    checks.check_choice("arch", arch, ENCODERS)
    width = checks.check_int(
        "width", DEFAULT_WIDTHS[arch] if width is None else width, 1
    )
    kernel, stride, pool, stages = ENCODERS[arch]
    inputs = keras.Input(input_shape, name="frames")
    x = keras.layers.Conv3D(
        width,
        (1, kernel, kernel),
        strides=(1, stride, stride),
        padding="same",
        use_bias=False,
        name="stem_conv",
    )(inputs)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(name="stem_bn")(x))
    if pool:
        x = keras.layers.MaxPool3D((1, 3, 3), (1, 2, 2), padding="same")(x)
    for s, (multiple, blocks, kind, first_stride) in enumerate(stages):
        for b in range(blocks):
            last = s == len(stages) - 1 and b == blocks - 1
            x = _block(
                x,
                width * multiple,
                kind,
                first_stride if b == 0 else 1,
                relu=not last,  # DPC scores features before the last ReLU
                name=f"stage{s + 1}_block{b + 1}",
            )
    # DPC averages the remaining time steps of a block.
    x = keras.ops.mean(x, axis=1)
    return keras.Model(inputs, x, name=name)


def _block(x, channels, kind, stride, relu, name):
    kernel = (1, 3, 3) if kind == "2d" else (3, 3, 3)
    strides = (1, stride, stride) if kind == "2d" else (stride,) * 3
    shortcut = x
    if stride != 1 or x.shape[-1] != channels:
        shortcut = keras.layers.Conv3D(
            channels, 1, strides=strides, use_bias=False, name=f"{name}_proj"
        )(x)
        shortcut = keras.layers.BatchNormalization(name=f"{name}_proj_bn")(
            shortcut
        )
    y = keras.layers.Conv3D(
        channels,
        kernel,
        strides=strides,
        padding="same",
        use_bias=False,
        name=f"{name}_conv1",
    )(x)
    y = keras.layers.ReLU()(keras.layers.BatchNormalization()(y))
    y = keras.layers.Conv3D(
        channels, kernel, padding="same", use_bias=False, name=f"{name}_conv2"
    )(y)
    y = keras.layers.Add()([keras.layers.BatchNormalization()(y), shortcut])
    return keras.layers.ReLU()(y) if relu else y


@keras.saving.register_keras_serializable(package="nda_tf")
class ConvGRU(KeepArguments, keras.layers.Layer):
    """A convolutional GRU cell over feature maps (DPC's aggregator).

    `h' = (1 - z) * h + z * tanh(conv([x, r * h]))` with update and reset
    gates `z, r = sigmoid(conv([x, h]))`; orthogonal kernels, zero biases.

    Args:
        units: int, hidden channels.
        kernel_size: int, spatial kernel of the gate convolutions (DPC: 1).

    Call arguments:
        inputs: `[B, N, h, w, C]` sequence of feature maps.
        state: optional `[B, h, w, units]` initial hidden state (zeros).

    Returns the hidden state after the last step, `[B, h, w, units]`.

    Example:

    >>> gru = ConvGRU(6)
    >>> gru(keras.ops.ones([2, 3, 4, 4, 5])).shape
    TensorShape([2, 4, 4, 6])

    Reference: Ballas et al., "Delving deeper into convolutional networks
    for learning video representations", ICLR 2016; Han et al. 2019.
    """

    def __init__(self, units, kernel_size=1, **kwargs):
        super().__init__(**kwargs)
        self.keep_arguments(
            units=checks.check_int("units", units, 1),
            kernel_size=checks.check_int("kernel_size", kernel_size, 1),
        )
        conv = dict(
            padding="same",
            kernel_initializer="orthogonal",
            bias_initializer="zeros",
        )
        self.gates = keras.layers.Conv2D(
            2 * units, kernel_size, activation="sigmoid", name="gates", **conv
        )
        self.candidate = keras.layers.Conv2D(
            units, kernel_size, activation="tanh", name="candidate", **conv
        )

    def build(self, input_shape):
        spatial = tuple(input_shape[-3:-1])
        joined = (None, *spatial, input_shape[-1] + self.units)
        self.gates.build(joined)
        self.candidate.build(joined)
        self.built = True

    def step(self, x, h):
        """One step: input map `x` `[B, h, w, C]`, state `h`."""
        gates = self.gates(keras.ops.concatenate([x, h], -1))
        update, reset = keras.ops.split(gates, 2, axis=-1)
        joined = keras.ops.concatenate([x, reset * h], -1)
        return (1 - update) * h + update * self.candidate(joined)

    def call(self, inputs, state=None):
        if state is None:
            shape = keras.ops.shape(inputs)
            state = keras.ops.zeros(
                (shape[0], shape[2], shape[3], self.units), inputs.dtype
            )
        for t in range(inputs.shape[1]):
            state = self.step(inputs[:, t], state)
        return state

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:4], self.units)
