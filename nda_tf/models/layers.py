"""Layers and builders the GAN networks share: BN, self-attention, D head."""

import keras
from keras import ops

from nda_tf import checks
from nda_tf.keras_config import KeepArguments
from nda_tf.models.spectral_norm import (
    DEFAULT_INITIALIZER,
    SNConv2D,
    SNDense,
    SNEmbedding,
)


@keras.saving.register_keras_serializable(package="nda_tf")
class ConditionalBatchNorm(KeepArguments, keras.layers.Layer):
    """Batch norm with a per-class gain `1 + E_g[y]` and bias `E_b[y]`.

    This is BigGAN-PyTorch's `ccbn` without shared embeddings
    (`G_shared=False`, the CIFAR setting): the gain and bias tables are plain
    (not spectrally normalized) embeddings, N(0, 0.02) initialized, because
    BigGAN found that normalizing G's embeddings "randomly cripples G".
    Running statistics use PyTorch's momentum 0.1 and eps 1e-5.

    Args:
        num_classes: int >= 1, number of label values.
        momentum: float, Keras-style moving-average momentum (0.9 equals
            PyTorch's 0.1).
        epsilon: float, variance epsilon.
        synchronized: bool; under a `tf.distribute` strategy, compute the
            batch statistics over the global batch (cross-replica BN).
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: list `[x, labels]`: `x` is `[B, H, W, C]`, `labels` int `[B]`.
        training: bool, use batch statistics and update the running ones.

    Example:

    >>> bn = ConditionalBatchNorm(num_classes=10)
    >>> bn([keras.ops.ones((2, 4, 4, 8)), keras.ops.array([0, 3])]).shape
    TensorShape([2, 4, 4, 8])

    Reference: Brock et al., "Large Scale GAN Training", ICLR 2019;
    de Vries et al., "Modulating early visual processing by language", 2017.
    """

    def __init__(
        self,
        num_classes,
        momentum=0.9,
        epsilon=1e-5,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.keep_arguments(
            num_classes=checks.check_int("num_classes", num_classes, 1),
            momentum=momentum,
            epsilon=epsilon,
            synchronized=synchronized,
        )
        self.batch_norm = keras.layers.BatchNormalization(
            momentum=momentum,
            epsilon=epsilon,
            center=False,
            scale=False,
            synchronized=synchronized,
            dtype=self.dtype_policy,
            name="batch_norm",
        )

    def build(self, input_shape):
        x_shape = input_shape[0]
        self.batch_norm.build(x_shape)
        table = (self.num_classes, x_shape[-1])
        self.gain = self.add_weight(
            name="gain", shape=table, initializer=DEFAULT_INITIALIZER
        )
        self.bias = self.add_weight(
            name="bias", shape=table, initializer=DEFAULT_INITIALIZER
        )

    def call(self, inputs, training=None):
        x, labels = inputs
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        out = self.batch_norm(x, training=training)
        gain = 1.0 + ops.take(self.gain, labels, axis=0)
        bias = ops.take(self.bias, labels, axis=0)
        return out * gain[:, None, None, :] + bias[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package="nda_tf")
class SelfAttention(KeepArguments, keras.layers.Layer):
    """SAGAN/BigGAN non-local block: `x + gamma * o(attention(x))`.

    theta, phi, g and o are spectrally normalized 1x1 convolutions without
    bias (widths C/8, C/8, C/2, C); phi and g are 2x2 max-pooled, so the
    attention map is `[HW, HW/4]`. gamma starts at 0, so the block is the
    identity at initialization. The softmax runs in float32.

    Args:
        power_iterations: int >= 1, spectral-norm power iterations.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[B, H, W, C]` with C divisible by 8, H and W even.
        training: bool, update the spectral-norm vectors.

    Example: with gamma at 0 a new block returns its input.

    >>> x = keras.random.normal((2, 8, 8, 16))
    >>> bool(keras.ops.all(SelfAttention()(x) == x))
    True

    Reference: Zhang et al., "Self-Attention GANs", ICML 2019; Brock et al.,
    "Large Scale GAN Training", ICLR 2019.
    """

    def __init__(self, power_iterations=1, **kwargs):
        super().__init__(**kwargs)
        self.keep_arguments(power_iterations=power_iterations)

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if channels % 8 or height % 2 or width % 2:
            raise ValueError(
                "SelfAttention needs channels divisible by 8 and even height "
                f"and width, received input shape {tuple(input_shape)}"
            )

        def conv(filters, name):
            return SNConv2D(
                filters,
                kernel_size=1,
                use_bias=False,
                power_iterations=self.power_iterations,
                dtype=self.dtype_policy,
                name=name,
            )

        self.theta = conv(channels // 8, "theta")
        self.phi = conv(channels // 8, "phi")
        self.g = conv(channels // 2, "g")
        self.o = conv(channels, "o")
        for layer in (self.theta, self.phi, self.g):
            layer.build(input_shape)
        self.o.build((None, height, width, channels // 2))
        self.gamma = self.add_weight(
            name="gamma", shape=(), initializer="zeros"
        )

    def call(self, inputs, training=None):
        _, height, width, channels = inputs.shape
        pixels = height * width

        def pooled(layer):
            return ops.max_pool(layer(inputs, training=training), 2, 2)

        theta = ops.reshape(
            self.theta(inputs, training=training), (-1, pixels, channels // 8)
        )
        phi = ops.reshape(pooled(self.phi), (-1, pixels // 4, channels // 8))
        g = ops.reshape(pooled(self.g), (-1, pixels // 4, channels // 2))
        logits = ops.matmul(theta, ops.transpose(phi, (0, 2, 1)))
        beta = ops.cast(ops.softmax(ops.cast(logits, "float32")), g.dtype)
        attended = ops.reshape(
            ops.matmul(beta, g), (-1, height, width, channels // 2)
        )
        return inputs + self.gamma * self.o(attended, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape


def batch_norm(
    labels, num_classes, synchronized, dtype, name, noisy_affine=False
):
    """Affine BN when unconditional (`labels` None), else class-conditional.

    Returns a callable on `x`. Momentum and epsilon are PyTorch's defaults
    (0.1 and 1e-5), which BigGAN-PyTorch uses. `noisy_affine` starts an
    affine BN's gain at 1 + N(0, 0.02) and its bias at N(0, 0.02): BigGAN's
    one-class conditional BN, whose gain and bias come from N(0, 0.02)
    embeddings (a conditional BN here always starts that way).
    """
    if labels is None:
        noise = {}
        if noisy_affine:
            noise = {
                "gamma_initializer": keras.initializers.RandomNormal(1.0, 0.02),
                "beta_initializer": keras.initializers.RandomNormal(0.0, 0.02),
            }
        return keras.layers.BatchNormalization(
            momentum=0.9,
            epsilon=1e-5,
            synchronized=synchronized,
            dtype=dtype,
            name=name,
            **noise,
        )
    layer = ConditionalBatchNorm(
        num_classes, synchronized=synchronized, dtype=dtype, name=name
    )
    return lambda x: layer([x, labels])


def projection_head(features, labels, num_classes, power_iterations):
    """ReLU, global sum pooling, SN-linear + projection; float32 logits.

    Sum pooling grows with the feature-map area: it and the head run in
    float32 so that mixed precision cannot overflow the logits.
    """
    h = ops.cast(ops.relu(features), "float32")
    h = ops.sum(h, axis=(1, 2))
    head = {"power_iterations": power_iterations, "dtype": "float32"}
    logits = SNDense(1, name="linear", **head)(h)
    if labels is None:
        return logits
    embedding = SNEmbedding(num_classes, h.shape[-1], name="embedding", **head)
    return logits + ops.sum(embedding(labels) * h, axis=-1, keepdims=True)
