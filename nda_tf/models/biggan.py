"""BigGAN generator and discriminator at 32, 64 and 128 pixels.

The architecture follows BigGAN-PyTorch (`BigGAN.py`, `layers.py`), the code
base of the NDA paper's GAN experiments; see DESIGN.md section 1.
"""

import keras
from keras import ops

from nda_tf import checks
from nda_tf.keras_config import KeepArguments
from nda_tf.models import common, layers
from nda_tf.models.spectral_norm import (
    FAN_IN_UNIFORM,
    SNConv2D,
    SNDense,
    SNEmbedding,
)

# Channel multipliers of `ch`, from BigGAN-PyTorch's G_arch / D_arch. G: the
# width of the 4x4 seed, then each up-block's output width. D: each block's
# output width; only the last block(s) keep the resolution.
G_WIDTHS = {32: (4, 4, 4, 4), 64: (16, 16, 8, 4, 2), 128: (16, 16, 8, 4, 2, 1)}
D_WIDTHS = {32: (4, 4, 4, 4), 64: (1, 2, 4, 8, 16), 128: (1, 2, 4, 8, 16, 16)}
D_DOWNSAMPLES = {32: 2, 64: 4, 128: 5}
SUPPORTED_RESOLUTIONS = tuple(G_WIDTHS)
# Initialisations (`init=`). "zero_bias": zero biases, BN gain 1 and bias 0.
# "authors": as the authors' code starts its N02 models: every SN conv and
# linear bias U(+-1/sqrt(fan_in)) (PyTorch's layer default, which N02 leaves
# alone) and a one-class G's block BNs at gain 1 + N(0, 0.02), bias
# N(0, 0.02) (their one-class conditional BN, whose gain and bias are N02
# embeddings). The kernels are N(0, 0.02) in both.
INITS = ("zero_bias", "authors")


def _sn_arguments(init, power_iterations, dtype):
    """Keyword arguments of every SN conv / linear layer of a model."""
    checks.check_choice("init", init, INITS)
    bias = FAN_IN_UNIFORM if init == "authors" else "zeros"
    return {
        "power_iterations": power_iterations,
        "dtype": dtype,
        "bias_initializer": bias,
    }


def _relu(dtype):
    return keras.layers.ReLU(dtype=dtype)


@keras.saving.register_keras_serializable(package="nda_tf.biggan")
class ClassEmbedding(SNEmbedding):
    """The projection discriminator's SN class embedding, BigGAN's way.

    BigGAN-PyTorch's `SNEmbedding` runs the power iteration on the table
    `[classes, features]` as stored, so its singular vector `u` has one
    entry per class; `SNEmbedding` iterates on the transpose (one entry
    per feature). Both estimate the same largest singular value, but one
    step from a stored `u` gives different estimates, so the BigGAN
    discriminator uses this orientation to compute exactly the authors'
    function (and to load their `embed.u0`).

    Args:
        input_dim: int, number of classes.
        output_dim: int, embedding width.
        **kwargs: see `SNEmbedding`.

    Example:

    >>> table = ClassEmbedding(10, 4)
    >>> table(keras.ops.array([1, 2])).shape, tuple(table.sn_u.shape)
    (TensorShape([2, 4]), (1, 10))

    Reference: Miyato & Koyama, "cGANs with Projection Discriminator",
    ICLR 2018; Brock et al., ICLR 2019.
    """

    def _sn_u_size(self, shape):
        return shape[0]

    def _sn_matrix(self, kernel):
        return ops.transpose(kernel)


def _projection_head(features, labels, num_classes, sn):
    """ReLU, global sum pooling, `SN-linear(h) + <SN-embed(y), h>`.

    Unconditional models have one class and y = 0: the authors' forward
    always adds the projection, so the one-row embedding is a live term.
    Runs in float32 (sum pooling grows with the area; mixed precision must
    not overflow the logits).
    """
    h = ops.cast(ops.relu(features), "float32")
    h = ops.sum(h, axis=(1, 2))
    head = {**sn, "dtype": "float32"}
    logits = SNDense(1, name="linear", **head)(h)
    if labels is None:
        labels = ops.zeros_like(ops.cast(h[:, 0], "int32"))
    embedding = ClassEmbedding(
        num_classes,
        h.shape[-1],
        name="embedding",
        power_iterations=sn["power_iterations"],
        dtype="float32",
    )
    return logits + ops.sum(embedding(labels) * h, axis=-1, keepdims=True)


@keras.saving.register_keras_serializable(package="nda_tf.biggan")
class Generator(KeepArguments, keras.Model):
    """BigGAN generator: SN-linear seed, residual up-blocks, BN-ReLU-conv.

    Each up-block is BN -> ReLU -> nearest x2 -> SN-conv3x3 -> BN -> ReLU ->
    SN-conv3x3, plus an SN-conv1x1 shortcut on the upsampled input. With
    `num_classes > 1` every block BN is class-conditional (gain 1 + E_g[y],
    bias E_b[y]); with one class it is an affine BN, which has the same
    parameters as BigGAN's one-class `ccbn`. The output BN is always
    unconditional, as in BigGAN. Output images are float32 in [-1, 1].

    Args:
        resolution: int, output size: 32, 64 or 128.
        ch: int, channel width multiplier (64 gives 256 channels at 32).
        z_dim: int, latent size.
        num_classes: int; 1 builds the unconditional model with input `z`,
            more builds a conditional one with inputs `[z, labels]`.
        attention_resolution: None, an int or a list of ints: add a
            self-attention block after the up-block with that output size.
        sync_batch_norm: bool, compute BN statistics over the global batch
            under a `tf.distribute` strategy.
        power_iterations: int, spectral-norm power iterations per call.
        init: `"zero_bias"` (default) or `"authors"`: how biases and a
            one-class model's BN gains start (`INITS`; the kernels are
            N(0, 0.02) either way).
        **kwargs: standard `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: `z` `[B, z_dim]`, or `[z, labels]` with int labels `[B]` or
            `[B, 1]` when conditional.
        training: bool, update BN statistics and spectral-norm vectors.

    Example:

    >>> G = Generator(32, ch=8, num_classes=10)
    >>> G([keras.random.normal((2, 128)), keras.ops.array([1, 7])]).shape
    TensorShape([2, 32, 32, 3])

    Reference: Brock et al., "Large Scale GAN Training for High Fidelity
    Natural Image Synthesis", ICLR 2019; used by Sinha et al., "Negative
    Data Augmentation", ICLR 2021.
    """

    def __init__(
        self,
        resolution,
        ch=64,
        z_dim=128,
        num_classes=1,
        attention_resolution=None,
        sync_batch_norm=False,
        power_iterations=1,
        init="zero_bias",
        dtype=None,
        **kwargs,
    ):
        checks.check_choice("resolution", resolution, SUPPORTED_RESOLUTIONS)
        checks.check_int("ch", ch, 1)
        checks.check_int("z_dim", z_dim, 1)
        checks.check_int("num_classes", num_classes, 1)
        checks.check_int("power_iterations", power_iterations, 1)
        widths = [m * ch for m in G_WIDTHS[resolution]]
        block_sizes = [8 * 2**i for i in range(len(widths) - 1)]
        attention = common.attention_set(attention_resolution, block_sizes)
        sn = _sn_arguments(init, power_iterations, dtype)
        # Attention's convolutions have no bias.
        attention_sn = {"power_iterations": power_iterations, "dtype": dtype}

        z = keras.Input(shape=(z_dim,), name="z")
        inputs, labels = common.inputs_and_labels(z, num_classes)

        def bn(name):
            return layers.batch_norm(
                labels,
                num_classes,
                sync_batch_norm,
                dtype,
                name,
                noisy_affine=init == "authors",
            )

        h = SNDense(4 * 4 * widths[0], name="linear", **sn)(z)
        h = keras.layers.Reshape((4, 4, widths[0]), dtype=dtype)(h)
        for i, width in enumerate(widths[1:]):
            prefix = f"block{i + 1}_"
            x = keras.layers.UpSampling2D(2, dtype=dtype)(h)
            h = _relu(dtype)(bn(prefix + "bn1")(h))
            h = keras.layers.UpSampling2D(2, dtype=dtype)(h)
            h = SNConv2D(width, 3, name=prefix + "conv1", **sn)(h)
            h = _relu(dtype)(bn(prefix + "bn2")(h))
            h = SNConv2D(width, 3, name=prefix + "conv2", **sn)(h)
            x = SNConv2D(width, 1, name=prefix + "shortcut", **sn)(x)
            h = keras.layers.Add(dtype=dtype)([h, x])
            if block_sizes[i] in attention:
                h = layers.SelfAttention(
                    name=prefix + "attention", **attention_sn
                )(h)
        # BigGAN's output BN is unconditional even in conditional models.
        h = layers.batch_norm(None, 1, sync_batch_norm, dtype, "output_bn")(h)
        h = SNConv2D(3, 3, name="output_conv", **sn)(_relu(dtype)(h))
        # float32 output, whatever the mixed-precision policy.
        tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        images = tanh(h)
        super().__init__(inputs=inputs, outputs=images, dtype=dtype, **kwargs)
        self.keep_arguments(
            resolution=resolution,
            ch=ch,
            z_dim=z_dim,
            num_classes=num_classes,
            attention_resolution=attention_resolution,
            sync_batch_norm=sync_batch_norm,
            power_iterations=power_iterations,
            init=init,
        )


@keras.saving.register_keras_serializable(package="nda_tf.biggan")
class Discriminator(KeepArguments, keras.Model):
    """BigGAN projection discriminator with residual down-blocks.

    Block = [ReLU] -> SN-conv3x3 -> ReLU -> SN-conv3x3 -> [avg-pool 2x2],
    plus a shortcut (SN-conv1x1 where the width or size changes). The first
    block has no pre-activation and pools before its shortcut conv, the
    others convolve first, as in BigGAN. Then ReLU, global sum pooling and
    `SN-linear(h) + <SN-embedding(y), h>`. An unconditional model has one
    class and always adds `<SN-embedding(0), h>`, as the authors' code
    does. The head runs in float32.

    Args:
        resolution: int, input size: 32, 64 or 128.
        ch: int, channel width multiplier (64 gives 256 channels at 32).
        num_classes: int; 1 builds the unconditional model with input
            `images`, more a conditional one with inputs `[images, labels]`.
        attention_resolution: None, an int or a list of ints: add a
            self-attention block after the first block whose output has that
            size.
        power_iterations: int, spectral-norm power iterations per call.
        init: `"zero_bias"` (default) or `"authors"`: how the biases start
            (`INITS`; the kernels are N(0, 0.02) either way).
        **kwargs: standard `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: `images` `[B, R, R, 3]` in [-1, 1], or `[images, labels]`.
        training: bool, update the spectral-norm vectors.

    Returns:
        float32 logits `[B, 1]`.

    Example:

    >>> D = Discriminator(32, ch=8)
    >>> D(keras.ops.zeros((2, 32, 32, 3))).shape
    TensorShape([2, 1])

    Reference: Brock et al., ICLR 2019; Miyato & Koyama, "cGANs with
    Projection Discriminator", ICLR 2018; Sinha et al., ICLR 2021.
    """

    def __init__(
        self,
        resolution,
        ch=64,
        num_classes=1,
        attention_resolution=None,
        power_iterations=1,
        init="zero_bias",
        dtype=None,
        **kwargs,
    ):
        checks.check_choice("resolution", resolution, SUPPORTED_RESOLUTIONS)
        checks.check_int("ch", ch, 1)
        checks.check_int("num_classes", num_classes, 1)
        checks.check_int("power_iterations", power_iterations, 1)
        widths = [m * ch for m in D_WIDTHS[resolution]]
        downsamples = D_DOWNSAMPLES[resolution]
        sizes = [
            resolution // 2 ** min(i + 1, downsamples)
            for i in range(len(widths))
        ]
        attention = common.attention_set(
            attention_resolution, sorted(set(sizes))
        )
        sn = _sn_arguments(init, power_iterations, dtype)
        attention_sn = {"power_iterations": power_iterations, "dtype": dtype}

        images = keras.Input(shape=(resolution, resolution, 3), name="images")
        inputs, labels = common.inputs_and_labels(images, num_classes)
        h, in_width = images, 3
        for i, width in enumerate(widths):
            prefix = f"block{i + 1}_"
            down = i < downsamples
            h = self._block(h, in_width, width, down, i > 0, prefix, sn)
            if sizes[i] in attention and sizes.index(sizes[i]) == i:
                h = layers.SelfAttention(
                    name=prefix + "attention", **attention_sn
                )(h)
            in_width = width
        logits = _projection_head(h, labels, num_classes, sn)
        super().__init__(inputs=inputs, outputs=logits, dtype=dtype, **kwargs)
        self.keep_arguments(
            resolution=resolution,
            ch=ch,
            num_classes=num_classes,
            attention_resolution=attention_resolution,
            power_iterations=power_iterations,
            init=init,
        )

    @staticmethod
    def _block(x, in_width, width, down, preactivation, prefix, sn):
        dtype = sn["dtype"]
        h = _relu(dtype)(x) if preactivation else x
        h = SNConv2D(width, 3, name=prefix + "conv1", **sn)(h)
        h = SNConv2D(width, 3, name=prefix + "conv2", **sn)(_relu(dtype)(h))
        if down:
            h = keras.layers.AveragePooling2D(2, dtype=dtype)(h)
        if in_width == width and not down:
            return keras.layers.Add(dtype=dtype)([h, x])
        shortcut = SNConv2D(width, 1, name=prefix + "shortcut", **sn)
        if preactivation:
            x = shortcut(x)
        if down:
            x = keras.layers.AveragePooling2D(2, dtype=dtype)(x)
        if not preactivation:
            x = shortcut(x)
        return keras.layers.Add(dtype=dtype)([h, x])
