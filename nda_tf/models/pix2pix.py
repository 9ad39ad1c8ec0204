"""Pix2Pix networks (Isola et al., 2017): the U-Net generator and the
PatchGAN discriminator, with the normalisation and dropout they use.

    >>> G = unet_generator(depth=3, filters=4)
    >>> G(tf.zeros([2, 16, 16, 3])).shape
    TensorShape([2, 16, 16, 3])
    >>> D = patch_discriminator(layers=2, filters=4)
    >>> D(tf.zeros([2, 16, 16, 6])).shape
    TensorShape([2, 2, 2, 1])
    >>> patch_receptive_field(3)
    70
"""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.keras_config import KeepArguments
from nda_tf.models.names import NORMS

# Pix2Pix initialises every convolution (and the norms' gains) from
# N(0, 0.02) (resp. N(1, 0.02)).
_INIT = keras.initializers.RandomNormal(0.0, 0.02)
_EPSILON = 1e-5


@keras.saving.register_keras_serializable(package="nda_tf")
class BatchStatNormalization(KeepArguments, keras.layers.Layer):
    """Batch normalisation that always uses the batch's own statistics.

    Pix2Pix normalises with the statistics of the batch at training and
    (its test script runs the nets in training mode) at test time, so at
    batch 1 the layer is instance normalisation. No moving averages exist.

    Args:
        epsilon: float > 0 added to the variance.

    Example: at batch 1 each channel of the image is standardised.

    >>> x = tf.random.normal([1, 4, 4, 2]) * 3 + 1
    >>> y = BatchStatNormalization()(x)
    >>> bool(tf.reduce_all(tf.abs(tf.reduce_mean(y, [1, 2])) < 1e-5))
    True

    Reference: Isola et al., "Image-to-Image Translation with Conditional
    Adversarial Networks", CVPR 2017.
    """

    def __init__(self, epsilon=_EPSILON, **kwargs):
        super().__init__(**kwargs)
        checks.check_number("epsilon", epsilon, low=0.0, low_open=True)
        self.keep_arguments(epsilon=float(epsilon))

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(
            (channels,),
            keras.initializers.RandomNormal(1.0, 0.02),
            name="gamma",
        )
        self.beta = self.add_weight((channels,), "zeros", name="beta")

    def call(self, inputs):
        x = tf.cast(inputs, tf.float32)
        mean, variance = tf.nn.moments(x, [0, 1, 2], keepdims=True)
        x = (x - mean) * tf.math.rsqrt(variance + self.epsilon)
        x = x * tf.cast(self.gamma, tf.float32) + tf.cast(self.beta, x.dtype)
        return tf.cast(x, inputs.dtype)


@keras.saving.register_keras_serializable(package="nda_tf")
class InferenceDropout(KeepArguments, keras.layers.Layer):
    """Dropout that can stay on outside training, as Pix2Pix's does: its
    dropout is the generator's only source of noise.

    Masks are drawn statelessly from a seed generator whose state is a
    tracked attribute (so checkpoints carry it and a resumed run drops the
    same units); under a strategy each replica folds in its id.

    Args:
        rate: float in [0, 1), the dropped fraction.
        at_inference: keep dropping when called with `training=False`.
            Read when the call is traced: set it before tracing.
        seed: optional int.

    Example:

    >>> layer = InferenceDropout(0.5, seed=0)
    >>> x = tf.ones([1, 64])
    >>> float(tf.reduce_mean(tf.cast(layer(x) == 0, tf.float32))) > 0.2
    True
    >>> layer.at_inference = False
    >>> bool(tf.reduce_all(layer(x) == x))
    True

    Reference: Isola et al., "Image-to-Image Translation with Conditional
    Adversarial Networks", CVPR 2017.
    """

    def __init__(self, rate, at_inference=True, seed=None, **kwargs):
        checks.check_number("rate", rate, 0.0, 1.0, high_open=True)
        seed = checks.check_int("seed", seed, 0, allow_none=True)
        super().__init__(**kwargs)
        self.keep_arguments(
            rate=float(rate), at_inference=bool(at_inference), seed=seed
        )
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Checkpoints do not save a SeedGenerator, only this variable.
        self.rng_state = self.seed_generator.state

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, training=False):
        if not (training or self.at_inference) or self.rate == 0:
            return inputs
        seed = nda_random.replica_seed(self.seed_generator.next())
        kept = nda_random.uniform(tf.shape(inputs), seed) >= self.rate
        scale = tf.cast(1.0 / (1.0 - self.rate), inputs.dtype)
        return tf.where(kept, inputs * scale, tf.zeros_like(inputs))


def _norm(kind, name):
    if kind == "batch":
        return BatchStatNormalization(name=name)
    if kind == "instance":
        # One group per channel: instance normalisation.
        return keras.layers.GroupNormalization(
            groups=-1,
            epsilon=_EPSILON,
            gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
            name=name,
        )
    return None


def _conv(filters, strides, norm, name, transpose=False):
    layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    # A norm's shift makes a bias redundant (as in Pix2Pix with batch norm).
    return layer(
        filters,
        4,
        strides,
        padding="same",
        use_bias=norm != "batch",
        kernel_initializer=_INIT,
        name=name,
    )


def check_size(size, depth):
    """A ValueError unless the U-Net of `depth` levels accepts `size`."""
    checks.check_int("image size", size, 1)
    if size % 2**depth:
        raise ValueError(
            f"a U-Net of depth {depth} needs an image size divisible by "
            f"2**{depth} = {2**depth}; received {size}"
        )
    return size


def unet_generator(
    depth=8,
    filters=64,
    in_channels=3,
    out_channels=3,
    norm="batch",
    dropout=0.5,
    dropout_blocks=3,
    inference_dropout=True,
    image_size=None,
    seed=None,
    name="unet_generator",
):
    """The Pix2Pix U-Net: `depth` stride-2 4x4 convolutions down, as many
    transposed ones up, each decoder level concatenated with its encoder
    level, tanh output. Defaults: the paper's 256x256 generator (8 down /
    8 up: C64-C128-C256-C512-C512-C512-C512-C512, dropout 0.5 in the first
    three decoder blocks; the official PyTorch code puts it in the second
    to fourth instead). The encoder's innermost and outermost convolutions
    are not normalised (a 1x1 map at batch 1 would be zeroed).

    Args:
        depth: int >= 2, down-sampling steps; the image size must be a
            multiple of 2**depth (256 for 8, 32 for 5).
        filters: int, channels of the first level (64); levels double it,
            up to 8 times.
        in_channels: int, channels of the condition.
        out_channels: int, channels of the output.
        norm: "batch" (batch statistics, also at test time: instance norm
            at batch 1), "instance" or "none".
        dropout: float in [0, 1), rate of the decoder's dropout.
        dropout_blocks: int >= 0, decoder blocks with dropout (first ones).
        inference_dropout: keep dropout on when called with training=False,
            as the original; `set_inference_dropout` changes it.
        image_size: optional int, checked against `depth` and fixed in the
            input shape; None accepts any valid size.
        seed: optional int for the dropout masks.

    Returns:
        A functional `keras.Model` `[B, H, W, in] -> [B, H, W, out]` in
        [-1, 1].

    Example: `unet_generator()` is the paper's net (54 M parameters).

    >>> G = unet_generator(depth=5, filters=8, image_size=32)
    >>> G.output_shape
    (None, 32, 32, 3)

    Reference: Isola et al., "Image-to-Image Translation with Conditional
    Adversarial Networks", CVPR 2017 (Appendix 6.1.1).
    """
    checks.check_int("depth", depth, 2)
    checks.check_int("filters", filters, 1)
    checks.check_int("dropout_blocks", dropout_blocks, 0)
    checks.check_choice("norm", norm, NORMS)
    size = None if image_size is None else check_size(image_size, depth)
    inputs = keras.Input((size, size, in_channels), name="condition")
    widths = [filters * min(2**i, 8) for i in range(depth)]
    skips, x = [], inputs
    for i, width in enumerate(widths):
        if i:
            x = keras.layers.LeakyReLU(0.2, name=f"down{i}_act")(x)
        inner = i in (0, depth - 1)
        x = _conv(width, 2, "none" if inner else norm, f"down{i}_conv")(x)
        if not inner and norm != "none":
            x = _norm(norm, f"down{i}_norm")(x)
        skips.append(x)
    for block, i in enumerate(range(depth - 2, -1, -1)):
        x = keras.layers.ReLU(name=f"up{block}_act")(x)
        x = _conv(widths[i], 2, norm, f"up{block}_conv", transpose=True)(x)
        if norm != "none":
            x = _norm(norm, f"up{block}_norm")(x)
        if block < dropout_blocks and dropout > 0:
            x = InferenceDropout(
                dropout,
                inference_dropout,
                None if seed is None else seed + block,
                name=f"up{block}_dropout",
            )(x)
        x = keras.layers.Concatenate(name=f"up{block}_skip")([x, skips[i]])
    x = keras.layers.ReLU(name="out_act")(x)
    x = keras.layers.Conv2DTranspose(
        out_channels, 4, 2, "same", kernel_initializer=_INIT, name="out_conv"
    )(x)
    outputs = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def set_inference_dropout(generator, active):
    """Turns the generator's dropout at inference on or off (for the next
    traced call)."""
    for layer in generator.layers:
        if isinstance(layer, InferenceDropout):
            layer.at_inference = bool(active)


def unet_depth(generator):
    """The number of down-sampling steps of a `unet_generator`."""
    return (
        sum(1 for layer in generator.layers if layer.name.endswith("_conv"))
        // 2
    )


def patch_discriminator(
    layers=3, filters=64, in_channels=6, norm="batch", name="patch_gan"
):
    """The PatchGAN: a logit per overlapping patch of its input.

    `layers` stride-2 4x4 convolutions (LeakyReLU 0.2, normalised except
    the first), one stride-1 convolution, then a stride-1 convolution to
    one channel; each padded by 1 pixel as the original. `layers=3` is the
    70x70 PatchGAN (`patch_receptive_field(3) == 70`): a 256x256 input
    gives 30x30 logits.

    Args:
        layers: int >= 1, stride-2 convolutions.
        filters: int, channels of the first convolution (64), doubled per
            layer up to 8 times.
        in_channels: int, channels of (condition, image) concatenated.
        norm: "batch", "instance" or "none".

    Returns:
        A functional `keras.Model` `[B, H, W, in] -> [B, h, w, 1]` float32
        logits.

    Example:

    >>> patch_discriminator(filters=4).compute_output_shape((1, 256, 256, 6))
    (1, 30, 30, 1)

    Reference: Isola et al., "Image-to-Image Translation with Conditional
    Adversarial Networks", CVPR 2017 (Appendix 6.1.2).
    """
    checks.check_int("layers", layers, 1)
    checks.check_int("filters", filters, 1)
    checks.check_choice("norm", norm, NORMS)
    inputs = keras.Input((None, None, in_channels), name="pair")
    x = inputs
    for i in range(layers + 1):
        strides = 2 if i < layers else 1
        x = keras.layers.ZeroPadding2D(1, name=f"pad{i}")(x)
        use_norm = i > 0 and norm != "none"
        x = keras.layers.Conv2D(
            filters * min(2**i, 8),
            4,
            strides,
            use_bias=not (use_norm and norm == "batch"),
            kernel_initializer=_INIT,
            name=f"conv{i}",
        )(x)
        if use_norm:
            x = _norm(norm, f"norm{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"act{i}")(x)
    x = keras.layers.ZeroPadding2D(1, name="pad_out")(x)
    x = keras.layers.Conv2D(
        1, 4, 1, kernel_initializer=_INIT, dtype="float32", name="logits"
    )(x)
    return keras.Model(inputs, x, name=name)


def patch_receptive_field(layers):
    """Side in pixels of the input patch that one PatchGAN logit sees,
    from its kernel sizes and strides (4x4 everywhere; `layers` stride 2,
    then two stride 1)."""
    checks.check_int("layers", layers, 1)
    field = 1
    # From one output unit back to the input: each layer widens the field
    # by (kernel - stride) input steps of its own stride.
    for stride in reversed([2] * layers + [1, 1]):
        field = field * stride + (4 - stride)
    return field
