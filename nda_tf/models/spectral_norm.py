"""Spectrally normalized dense, conv and embedding layers (Miyato et al.).

These layers own their kernel and divide it by an estimate of its largest
singular value on every call, the way BigGAN-PyTorch's `SNConv2d`,
`SNLinear` and `SNEmbedding` do. We do not use
`keras.layers.SpectralNormalization` because (DESIGN.md section 5) it writes
the normalized kernel back into the wrapped layer during training, so the
optimizer then updates W / sigma instead of W, and around an `Embedding` it
casts the output to the integer label dtype.

The power iteration and the division run in float32 whatever the dtype
policy; only the normalized kernel is cast to the compute dtype. The
singular vector `sn_u` is a non-trainable float32 weight that is updated
only when `training=True`.
"""

import math

import keras
from keras import ops

from nda_tf import checks
from nda_tf.keras_config import KeepArguments

# BigGAN-PyTorch uses N(0, 0.02) ("N02") for CIFAR runs (DESIGN.md 1).
DEFAULT_INITIALIZER = {
    "class_name": "RandomNormal",
    "config": {"mean": 0.0, "stddev": 0.02},
}
# `bias_initializer` value: PyTorch's default bias of a linear or conv layer.
FAN_IN_UNIFORM = "fan_in_uniform"


def _l2_normalize(x, epsilon):
    # Same as torch.nn.functional.normalize: x / max(||x||, eps).
    norm = ops.sqrt(ops.sum(ops.square(x)))
    return x / ops.maximum(norm, epsilon)


class SpectralNormLayer(KeepArguments, keras.layers.Layer):
    """Base class: a kernel whose last axis is the output axis, plus `sn_u`.

    Args:
        power_iterations: int >= 1, power-method steps per call.
        epsilon: float > 0, guards the normalizations against zero vectors.
        kernel_initializer: initializer for the kernel; N(0, 0.02) default.
        bias_initializer: initializer for the bias (where there is one):
            `"zeros"` (default), any Keras initializer, or
            `"fan_in_uniform"`: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            fan_in the kernel's inputs per output, which is how PyTorch's
            `nn.Linear` and `nn.Conv2d` start their biases (and so the
            authors' BigGAN, whose N02 init redraws weights only).
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`).
    """

    def __init__(
        self,
        power_iterations=1,
        epsilon=1e-12,
        kernel_initializer=None,
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.check_number("epsilon", epsilon, 0.0, low_open=True)
        self.keep_arguments(
            power_iterations=checks.check_int(
                "power_iterations", power_iterations, 1
            ),
            epsilon=epsilon,
            kernel_initializer=keras.initializers.get(
                kernel_initializer or DEFAULT_INITIALIZER
            ),
            bias_initializer=(
                bias_initializer
                if bias_initializer == FAN_IN_UNIFORM
                else keras.initializers.get(bias_initializer)
            ),
        )

    def _add_weights(self, shape, use_bias=False):
        # autocast=False: reading the kernel inside call() must give the
        # float32 master copy, so that sigma is computed in float32.
        self.kernel = self.add_weight(
            name="kernel",
            shape=shape,
            initializer=self.kernel_initializer,
            dtype="float32",
            autocast=False,
        )
        # Every replica computes the same u from the same weights, so
        # keeping the first replica's value is exact under MirroredStrategy.
        self.sn_u = self.add_weight(
            name="sn_u",
            shape=(1, self._sn_u_size(shape)),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            dtype="float32",
            trainable=False,
            autocast=False,
            aggregation="only_first_replica",
        )
        if use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=shape[-1:],
                initializer=self._bias_initializer(shape),
            )

    def _bias_initializer(self, shape):
        if self.bias_initializer != FAN_IN_UNIFORM:
            return self.bias_initializer
        # The fan-in is the kernel's, which a bias initializer (given the
        # bias shape only) cannot know: hence a string the layer resolves.
        limit = 1.0 / math.sqrt(math.prod(shape[:-1]))
        return keras.initializers.RandomUniform(-limit, limit)

    def _sn_u_size(self, shape):
        """The length of `sn_u` (the columns of `_sn_matrix`) for `shape`."""
        return shape[-1]

    def _sn_matrix(self, kernel):
        """The matrix the power iteration runs on; `sn_u` spans its columns.

        The kernel as `[fan_in, outputs]`; a subclass may choose another
        orientation (the singular values are the same, one power-iteration
        step's estimate is not).
        """
        return ops.reshape(kernel, (-1, kernel.shape[-1]))

    def normalized_kernel(self, training=False):
        """Returns `kernel / sigma` in float32; updates `sn_u` if training."""
        kernel = self.kernel
        matrix = self._sn_matrix(kernel)
        u = ops.convert_to_tensor(self.sn_u)
        for _ in range(self.power_iterations):
            v = _l2_normalize(
                ops.matmul(u, ops.transpose(matrix)), self.epsilon
            )
            u = _l2_normalize(ops.matmul(v, matrix), self.epsilon)
        # As in the reference: no gradient through the singular vectors,
        # but sigma = v W u^T stays differentiable in W.
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(v)
        sigma = ops.sum(ops.matmul(v, matrix) * u)
        if training:
            self.sn_u.assign(u)
        return kernel / sigma

    def _compute_kernel(self, training):
        return ops.cast(self.normalized_kernel(training), self.compute_dtype)


def power_iteration_step(model):
    """Moves every spectral-norm estimate inside `model` one step.

    Each `SpectralNormLayer` (at any depth) takes the power-iteration
    step(s) a training call would take, from its current kernel, without
    the call: what a call whose output is unused does to the layer's state
    (a model with other training-time state, batch statistics say, would
    also change that in a call; this leaves it alone). Returns the number
    of layers moved.
    """
    layers = [
        layer
        for layer in model._flatten_layers(include_self=True)
        if isinstance(layer, SpectralNormLayer)
    ]
    for layer in layers:
        layer.normalized_kernel(training=True)
    return len(layers)


@keras.saving.register_keras_serializable(package="nda_tf")
class SNDense(SpectralNormLayer):
    """Dense layer with a spectrally normalized kernel (BigGAN `SNLinear`).

    Args:
        units: int, output width.
        use_bias: bool, add a (not normalized) bias.
        **kwargs: see `SpectralNormLayer`.

    Example: a 3 x 4 kernel of ones has one singular value, sqrt(12), and is
    divided by it, so each output is 3 / sqrt(12).

    >>> layer = SNDense(4, kernel_initializer="ones")
    >>> layer(keras.ops.ones((1, 3))).numpy().round(6)
    array([[0.866025, 0.866025, 0.866025, 0.866025]], dtype=float32)

    Reference: Miyato et al., "Spectral Normalization for GANs", ICLR 2018.
    """

    def __init__(self, units, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.keep_arguments(
            units=checks.check_int("units", units, 1), use_bias=use_bias
        )

    def build(self, input_shape):
        self._add_weights((input_shape[-1], self.units), self.use_bias)

    def call(self, inputs, training=None):
        outputs = ops.matmul(inputs, self._compute_kernel(training))
        return outputs + self.bias if self.use_bias else outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)


@keras.saving.register_keras_serializable(package="nda_tf")
class SNConv2D(SpectralNormLayer):
    """2-D convolution (channels last) with a spectrally normalized kernel.

    The kernel `[kh, kw, in, out]` is normalized as the 2-D matrix
    `[kh * kw * in, out]`, like PyTorch's `weight.view(out, -1)`.

    Args:
        filters: int, output channels.
        kernel_size: int, square kernel size.
        strides: int, square stride.
        padding: `"same"` or `"valid"`.
        use_bias: bool, add a (not normalized) bias.
        **kwargs: see `SpectralNormLayer`.

    Example:

    >>> SNConv2D(8, 3)(keras.ops.ones((2, 16, 16, 3))).shape
    TensorShape([2, 16, 16, 8])

    Reference: Miyato et al., "Spectral Normalization for GANs", ICLR 2018.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        strides=1,
        padding="same",
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.keep_arguments(
            filters=checks.check_int("filters", filters, 1),
            kernel_size=checks.check_int("kernel_size", kernel_size, 1),
            strides=checks.check_int("strides", strides, 1),
            padding=checks.check_choice("padding", padding, ("same", "valid")),
            use_bias=use_bias,
        )

    def build(self, input_shape):
        size = self.kernel_size
        shape = (size, size, input_shape[-1], self.filters)
        self._add_weights(shape, self.use_bias)

    def call(self, inputs, training=None):
        outputs = ops.conv(
            inputs,
            self._compute_kernel(training),
            strides=self.strides,
            padding=self.padding,
        )
        return outputs + self.bias if self.use_bias else outputs

    def compute_output_shape(self, input_shape):
        batch, height, width = input_shape[:3]

        def size(n):
            if n is None:
                return None
            if self.padding == "same":
                return -(-n // self.strides)
            return (n - self.kernel_size) // self.strides + 1

        return (batch, size(height), size(width), self.filters)


@keras.saving.register_keras_serializable(package="nda_tf")
class SNEmbedding(SpectralNormLayer):
    """Embedding table `[input_dim, output_dim]` with spectral norm.

    Used for the projection discriminator's class embedding. Integer labels
    `[B]` give float `[B, output_dim]` in the compute dtype.

    Args:
        input_dim: int, number of classes.
        output_dim: int, embedding width.
        **kwargs: see `SpectralNormLayer`.

    Example:

    >>> embedded = SNEmbedding(10, 4)(keras.ops.array([1, 2]))
    >>> embedded.shape, embedded.dtype
    (TensorShape([2, 4]), tf.float32)

    Reference: Miyato & Koyama, "cGANs with Projection Discriminator",
    ICLR 2018.
    """

    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.keep_arguments(
            input_dim=checks.check_int("input_dim", input_dim, 1),
            output_dim=checks.check_int("output_dim", output_dim, 1),
        )

    def build(self, input_shape):
        self._add_weights((self.input_dim, self.output_dim))

    def call(self, inputs, training=None):
        labels = ops.cast(inputs, "int32")
        return ops.take(self._compute_kernel(training), labels, axis=0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)
