"""Named inputs and conditioning layers shared by the GAN model builders."""

import keras
from keras import ops

from nda_tf import checks
from nda_tf.models.layers import ConditionalBatchNorm
from nda_tf.models.spectral_norm import SNDense, SNEmbedding


def attention_set(attention_resolution, allowed):
    """Normalizes None / int / list of ints to a tuple of resolutions."""
    if attention_resolution is None:
        return ()
    values = attention_resolution
    if isinstance(values, int):
        values = (values,)
    values = tuple(values)
    for value in values:
        checks.check_choice("attention_resolution", value, allowed)
    return values


def label_input(num_classes):
    """The int labels input, or None for an unconditional model."""
    if num_classes == 1:
        return None
    # Shape (): Keras' functional models squeeze a trailing [B, 1] axis.
    return keras.Input(shape=(), dtype="int32", name="labels")


def model_inputs(first, labels):
    """`first` alone when unconditional, else `[first, labels]`."""
    return first if labels is None else [first, labels]


def batch_norm(labels, num_classes, synchronized, dtype, name):
    """Affine BN when unconditional (`labels` None), else class-conditional.

    Returns a callable on `x`. Momentum and epsilon are PyTorch's defaults
    (0.1 and 1e-5), which BigGAN-PyTorch uses.
    """
    if labels is None:
        return keras.layers.BatchNormalization(
            momentum=0.9,
            epsilon=1e-5,
            synchronized=synchronized,
            dtype=dtype,
            name=name,
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
