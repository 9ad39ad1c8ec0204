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

import keras
from keras import ops

# BigGAN-PyTorch uses N(0, 0.02) ("N02") for CIFAR runs (DESIGN.md 1).
DEFAULT_INITIALIZER = {
    "class_name": "RandomNormal",
    "config": {"mean": 0.0, "stddev": 0.02},
}


def _l2_normalize(x, epsilon):
    # Same as torch.nn.functional.normalize: x / max(||x||, eps).
    norm = ops.sqrt(ops.sum(ops.square(x)))
    return x / ops.maximum(norm, epsilon)


class SpectralNormLayer(keras.layers.Layer):
    """Base class: a kernel whose last axis is the output axis, plus `sn_u`.

    Args:
        power_iterations: int >= 1, power-method steps per call.
        epsilon: float > 0, guards the normalizations against zero vectors.
        kernel_initializer: initializer for the kernel; N(0, 0.02) default.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`).
    """

    def __init__(
        self,
        power_iterations=1,
        epsilon=1e-12,
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(power_iterations, int) or power_iterations < 1:
            raise ValueError(
                "power_iterations must be an int >= 1, received "
                f"{power_iterations!r}"
            )
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0, received {epsilon!r}")
        self.power_iterations = power_iterations
        self.epsilon = epsilon
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or DEFAULT_INITIALIZER
        )

    def _add_kernel(self, shape):
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
            shape=(1, shape[-1]),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            dtype="float32",
            trainable=False,
            autocast=False,
            aggregation="only_first_replica",
        )

    def normalized_kernel(self, training=False):
        """Returns `kernel / sigma` in float32; updates `sn_u` if training."""
        kernel = self.kernel
        matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))
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

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "power_iterations": self.power_iterations,
                "epsilon": self.epsilon,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
            }
        )
        return config


def _check_positive_int(name, value):
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, received {value!r}")


@keras.saving.register_keras_serializable(package="nda_tf")
class SNDense(SpectralNormLayer):
    """Dense layer with a spectrally normalized kernel (BigGAN `SNLinear`).

    Args:
        units: int, output width.
        use_bias: bool, add a (not normalized) bias.
        **kwargs: see `SpectralNormLayer`.

    Example:

    >>> SNDense(4)(keras.ops.ones((2, 3))).shape
    TensorShape([2, 4])

    A 3 x 4 kernel of ones has one singular value, sqrt(12), and is divided
    by it: each output is 3 / sqrt(12).

    >>> layer = SNDense(4, kernel_initializer="ones")
    >>> layer(keras.ops.ones((1, 3))).numpy().round(6)
    array([[0.866025, 0.866025, 0.866025, 0.866025]], dtype=float32)

    Reference: Miyato et al., "Spectral Normalization for GANs", ICLR 2018.
    """

    def __init__(self, units, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("units", units)
        self.units = units
        self.use_bias = use_bias

    def build(self, input_shape):
        self._add_kernel((input_shape[-1], self.units))
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer="zeros"
            )

    def call(self, inputs, training=None):
        outputs = ops.matmul(inputs, self._compute_kernel(training))
        return outputs + self.bias if self.use_bias else outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "use_bias": self.use_bias})
        return config


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
        _check_positive_int("filters", filters)
        _check_positive_int("kernel_size", kernel_size)
        _check_positive_int("strides", strides)
        if padding not in ("same", "valid"):
            raise ValueError(
                f"padding must be 'same' or 'valid', received {padding!r}"
            )
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.use_bias = use_bias

    def build(self, input_shape):
        size = self.kernel_size
        self._add_kernel((size, size, input_shape[-1], self.filters))
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer="zeros"
            )

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

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "use_bias": self.use_bias,
            }
        )
        return config


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
        _check_positive_int("input_dim", input_dim)
        _check_positive_int("output_dim", output_dim)
        self.input_dim = input_dim
        self.output_dim = output_dim

    def build(self, input_shape):
        self._add_kernel((self.input_dim, self.output_dim))

    def call(self, inputs, training=None):
        labels = ops.cast(inputs, "int32")
        return ops.take(self._compute_kernel(training), labels, axis=0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"input_dim": self.input_dim, "output_dim": self.output_dim}
        )
        return config
