"""Small DCGAN-style generator and SNGAN discriminator for fast experiments.

About 30x fewer multiply-adds than BigGAN at 32x32 with the same `ch`, so
CPU tests and smoke runs of the NDA-GAN training loop finish in seconds.
Same constructor style and call conventions as `nda_tf.models.biggan`.
"""

import keras

from nda_tf import checks
from nda_tf.keras_config import KeepArguments
from nda_tf.models import common, layers
from nda_tf.models.spectral_norm import DEFAULT_INITIALIZER, SNConv2D

SUPPORTED_RESOLUTIONS = (32, 64, 128)


def _num_steps(resolution):
    # 4x4 at the bottom, one x2 step per level.
    return resolution.bit_length() - 3


@keras.saving.register_keras_serializable(package="nda_tf.sngan")
class Generator(KeepArguments, keras.Model):
    """DCGAN generator: linear seed, (nearest x2, conv3x3, BN, ReLU) steps.

    Widths go 4ch (4x4 seed), 2ch, ch, ch/2 and then stay at ch/2. BN is
    class-conditional when `num_classes > 1`. No spectral norm in G, as in
    the SNGAN paper's standard CNN. Output images are float32 in [-1, 1].

    Args:
        resolution: int, output size: 32, 64 or 128.
        ch: int >= 2, channel width multiplier.
        z_dim: int, latent size.
        num_classes: int; 1 is unconditional (input `z`), more takes
            `[z, labels]`.
        sync_batch_norm: bool, BN statistics over the global batch under a
            `tf.distribute` strategy.
        **kwargs: standard `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: `z` `[B, z_dim]`, or `[z, labels]` with int labels `[B]`.
        training: bool, use and update batch statistics.

    Example:

    >>> G = Generator(32, ch=16)
    >>> G(keras.random.normal((2, 128))).shape
    TensorShape([2, 32, 32, 3])

    Reference: Radford et al., "DCGAN", ICLR 2016; Miyato et al., "Spectral
    Normalization for GANs", ICLR 2018.
    """

    def __init__(
        self,
        resolution,
        ch=64,
        z_dim=128,
        num_classes=1,
        sync_batch_norm=False,
        dtype=None,
        **kwargs,
    ):
        checks.check_choice("resolution", resolution, SUPPORTED_RESOLUTIONS)
        checks.check_int("ch", ch, 2)
        checks.check_int("z_dim", z_dim, 1)
        checks.check_int("num_classes", num_classes, 1)
        z = keras.Input(shape=(z_dim,), name="z")
        inputs, labels = common.inputs_and_labels(z, num_classes)
        conv = {"kernel_initializer": DEFAULT_INITIALIZER, "dtype": dtype}

        h = keras.layers.Dense(4 * 4 * 4 * ch, name="linear", **conv)(z)
        h = keras.layers.Reshape((4, 4, 4 * ch), dtype=dtype)(h)
        for i in range(_num_steps(resolution)):
            width = max(4 * ch // 2 ** (i + 1), ch // 2)
            h = keras.layers.UpSampling2D(2, dtype=dtype)(h)
            h = keras.layers.Conv2D(
                width, 3, padding="same", name=f"conv{i + 1}", **conv
            )(h)
            h = layers.batch_norm(
                labels, num_classes, sync_batch_norm, dtype, f"bn{i + 1}"
            )(h)
            h = keras.layers.ReLU(dtype=dtype)(h)
        h = keras.layers.Conv2D(
            3, 3, padding="same", name="output_conv", **conv
        )(h)
        tanh = keras.layers.Activation("tanh", dtype="float32", name="tanh")
        images = tanh(h)
        super().__init__(inputs=inputs, outputs=images, dtype=dtype, **kwargs)
        self.keep_arguments(
            resolution=resolution,
            ch=ch,
            z_dim=z_dim,
            num_classes=num_classes,
            sync_batch_norm=sync_batch_norm,
        )


@keras.saving.register_keras_serializable(package="nda_tf.sngan")
class Discriminator(KeepArguments, keras.Model):
    """SNGAN discriminator: SN convs with LeakyReLU(0.1), projection head.

    An SN-conv3x3 (ch/2 channels), then stride-2 SN-conv4x4 steps down to
    4x4 with widths ch, 2ch, 4ch, 4ch, ...; then ReLU, global sum pooling
    and `SN-linear(h) + <SN-embedding(y), h>` when `num_classes > 1`, in
    float32, as in the BigGAN discriminator.

    Args:
        resolution: int, input size: 32, 64 or 128.
        ch: int >= 2, channel width multiplier.
        num_classes: int; 1 is unconditional (input `images`), more takes
            `[images, labels]`.
        power_iterations: int, spectral-norm power iterations per call.
        **kwargs: standard `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: `images` `[B, R, R, 3]`, or `[images, labels]`.
        training: bool, update the spectral-norm vectors.

    Returns:
        float32 logits `[B, 1]`.

    Example:

    >>> D = Discriminator(32, ch=16, num_classes=10)
    >>> D([keras.ops.zeros((2, 32, 32, 3)), keras.ops.array([0, 9])]).shape
    TensorShape([2, 1])

    Reference: Miyato et al., "Spectral Normalization for GANs", ICLR 2018;
    Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    """

    def __init__(
        self,
        resolution,
        ch=64,
        num_classes=1,
        power_iterations=1,
        dtype=None,
        **kwargs,
    ):
        checks.check_choice("resolution", resolution, SUPPORTED_RESOLUTIONS)
        checks.check_int("ch", ch, 2)
        checks.check_int("num_classes", num_classes, 1)
        checks.check_int("power_iterations", power_iterations, 1)
        images = keras.Input(shape=(resolution, resolution, 3), name="images")
        inputs, labels = common.inputs_and_labels(images, num_classes)
        sn = {"power_iterations": power_iterations, "dtype": dtype}

        h = SNConv2D(ch // 2, 3, name="conv0", **sn)(images)
        for i in range(_num_steps(resolution)):
            width = min(ch * 2**i, 4 * ch)
            h = keras.layers.LeakyReLU(0.1, dtype=dtype)(h)
            h = SNConv2D(width, 4, strides=2, name=f"conv{i + 1}", **sn)(h)
        # The head's ReLU ends the last step.
        logits = layers.projection_head(
            h, labels, num_classes, power_iterations
        )
        super().__init__(inputs=inputs, outputs=logits, dtype=dtype, **kwargs)
        self.keep_arguments(
            resolution=resolution,
            ch=ch,
            num_classes=num_classes,
            power_iterations=power_iterations,
        )
