"""The C4 Faster R-CNN's small heads: the RPN and the box predictor."""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf.keras_config import KeepArguments


def _conv(filters, kernel, name):
    # Detectron's initialisation of the RPN: N(0, 0.01), zero bias.
    return keras.layers.Conv2D(
        filters,
        kernel,
        padding="same",
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
        name=name,
    )


@keras.saving.register_keras_serializable(package="nda_tf")
class RPNHead(KeepArguments, keras.layers.Layer):
    """Region proposal head: a 3x3 convolution and ReLU, then 1x1
    convolutions for each anchor's objectness logit and its 4 deltas.

    Args:
        anchors: int, anchors per feature cell (sizes x ratios).
        channels: int, width of the 3x3 convolution (Detectron: the
            feature map's, 1024 for ResNet-50).

    Call arguments:
        features: `[B, H, W, C]`.

    Returns:
        `(logits [B, H * W * anchors], deltas [B, H * W * anchors, 4])`,
        in `nda_tf.detection.boxes.anchor_grid`'s order, float32.

    Example:

    >>> logits, deltas = RPNHead(15, 8)(tf.zeros([2, 4, 4, 16]))
    >>> logits.shape, deltas.shape
    (TensorShape([2, 240]), TensorShape([2, 240, 4]))

    Reference: Ren et al., "Faster R-CNN", NeurIPS 2015.
    """

    def __init__(self, anchors, channels, **kwargs):
        super().__init__(**kwargs)
        self.keep_arguments(
            anchors=checks.check_int("anchors", anchors, 1),
            channels=checks.check_int("channels", channels, 1),
        )
        self.hidden = _conv(channels, 3, "hidden")
        self.objectness = _conv(anchors, 1, "objectness")
        self.deltas = _conv(4 * anchors, 1, "deltas")

    def build(self, input_shape):
        self.hidden.build(input_shape)
        shape = (*input_shape[:-1], self.channels)
        self.objectness.build(shape)
        self.deltas.build(shape)

    def call(self, features):
        hidden = tf.nn.relu(self.hidden(features))
        batch = tf.shape(features)[0]
        logits = tf.reshape(self.objectness(hidden), [batch, -1])
        deltas = tf.reshape(self.deltas(hidden), [batch, -1, 4])
        return tf.cast(logits, tf.float32), tf.cast(deltas, tf.float32)


@keras.saving.register_keras_serializable(package="nda_tf")
class BoxPredictor(KeepArguments, keras.layers.Layer):
    """Class logits (the classes and background) and class-specific
    deltas of pooled RoI features.

    Args:
        num_classes: int, object classes; the background is class
            `num_classes`, as in Detectron.

    Call arguments:
        features: `[N, D]`, the box head's pooled features.

    Returns:
        `(logits [N, num_classes + 1], deltas [N, num_classes, 4])`,
        float32.

    Example:

    >>> logits, deltas = BoxPredictor(3)(tf.zeros([5, 32]))
    >>> logits.shape, deltas.shape
    (TensorShape([5, 4]), TensorShape([5, 3, 4]))

    Reference: Ren et al., "Faster R-CNN", NeurIPS 2015.
    """

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.keep_arguments(
            num_classes=checks.check_int("num_classes", num_classes, 1)
        )
        # Detectron's initialisation: N(0, 0.01) logits, N(0, 0.001)
        # deltas, so a new head predicts near-uniform classes, no shift.
        self.logits = keras.layers.Dense(
            num_classes + 1,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
            name="logits",
        )
        self.deltas = keras.layers.Dense(
            4 * num_classes,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.001),
            name="deltas",
        )

    def build(self, input_shape):
        self.logits.build(input_shape)
        self.deltas.build(input_shape)

    def call(self, features):
        deltas = tf.reshape(self.deltas(features), [-1, self.num_classes, 4])
        return tf.cast(self.logits(features), tf.float32), tf.cast(
            deltas, tf.float32
        )
