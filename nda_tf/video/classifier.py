"""Action classification on a (DPC-pretrained) video encoder."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks, loss_scaling
from nda_tf.keras_config import KeepArguments
from nda_tf.models.video import ConvGRU


@keras.saving.register_keras_serializable(package="nda_tf")
class VideoClassifier(KeepArguments, keras.Model):
    """DPC's downstream classifier: encoder, ConvGRU, pooling, linear.

    The clip's blocks are encoded, the ConvGRU aggregates their ReLU
    features, the last state is averaged over positions and batch
    normalised, and dropout and a linear layer give the class logits (as
    DPC's evaluation model). Fine-tuning (`linear_probe=False`) trains
    everything, the encoder and GRU with `backbone_optimizer` (DPC: a tenth
    of the head's learning rate); a linear probe trains only the head and
    runs the encoder in inference mode.

    Args:
        encoder: built `keras.Model`, block `[b, T, H, W, C]` -> `[b, h, w, D]`.
        block_frames: int, frames per block.
        num_classes: int >= 2.
        dropout: float in [0, 1) before the linear layer (DPC: 0.5).
        linear_probe: bool, train only the head.
        weight_decay: float, L2 penalty added to the loss (DPC: 1e-3).

    Call arguments:
        clips: float `[B, n * block_frames, H, W, C]`; returns logits.

    Example:

    >>> from nda_tf.models.video import build_encoder
    >>> model = VideoClassifier(build_encoder("small", (2, 8, 8, 3), width=2),
    ...                         block_frames=2, num_classes=3)
    >>> model(tf.zeros([4, 6, 8, 8, 3])).shape
    TensorShape([4, 3])

    Reference: Han, Xie, Zisserman, "Video Representation Learning by Dense
    Predictive Coding", 2019 (Section 4.2).
    """

    def __init__(
        self,
        encoder,
        block_frames,
        num_classes,
        dropout=0.5,
        linear_probe=False,
        weight_decay=1e-3,
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.check_int("block_frames", block_frames, 1)
        checks.check_int("num_classes", num_classes, 2)
        checks.check_number("dropout", dropout, 0.0, 1.0, high_open=True)
        checks.check_number("weight_decay", weight_decay, 0.0)
        self.keep_arguments(
            encoder=encoder,
            block_frames=int(block_frames),
            num_classes=int(num_classes),
            dropout=float(dropout),
            linear_probe=bool(linear_probe),
            weight_decay=float(weight_decay),
        )
        _, height, width, depth = encoder.output_shape
        self.aggregator = ConvGRU(depth, 1, name="aggregator")
        self.aggregator.build((None, None, height, width, depth))
        self.head = keras.Sequential(
            [
                keras.Input((depth,)),
                keras.layers.BatchNormalization(),
                keras.layers.Dropout(dropout),
                keras.layers.Dense(num_classes, dtype="float32"),
            ],
            name="head",
        )
        self.trackers = {
            n: keras.metrics.Mean(name=n) for n in ("loss", "accuracy")
        }
        self.backbone_optimizer = None
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def backbone_variables(self):
        return (
            self.encoder.trainable_variables
            + self.aggregator.trainable_variables
        )

    def compile(self, optimizer, backbone_optimizer=None, **kwargs):
        """`optimizer` for the head; `backbone_optimizer` for the encoder
        and GRU (required unless `linear_probe`). Call in the strategy's
        scope."""
        optimizer = loss_scaling.with_loss_scaling(optimizer, self.encoder)
        super().compile(optimizer=optimizer, **kwargs)
        optimizer.build(self.head.trainable_variables)
        if not self.linear_probe:
            if backbone_optimizer is None:
                raise ValueError(
                    "fine-tuning needs a backbone_optimizer (or use "
                    "linear_probe=True)"
                )
            self.backbone_optimizer = loss_scaling.with_loss_scaling(
                backbone_optimizer, self.encoder
            )
            self.backbone_optimizer.build(self.backbone_variables)

    def embed(self, clips, training=False):
        """The pooled GRU state `[B, D]` of `clips`."""
        shape = tf.shape(clips)
        blocks = clips.shape[1] // self.block_frames
        frames = tf.reshape(
            clips,
            tf.concat([[shape[0] * blocks, self.block_frames], shape[2:]], 0),
        )
        backbone_training = training and not self.linear_probe
        features = self.encoder(frames, training=backbone_training)
        out = tf.shape(features)
        features = tf.reshape(
            features, tf.concat([[shape[0], blocks], out[1:]], 0)
        )
        hidden = self.aggregator(tf.nn.relu(features))
        return tf.reduce_mean(hidden, axis=[1, 2])

    def call(self, clips, training=False):
        return self.head(self.embed(clips, training), training=training)

    def train_step(self, data):
        # (clips, labels) from a dataset, with a sample weight from
        # `train_on_batch(x, y)` or `fit(x, y)`.
        clips, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        head_variables = self.head.trainable_variables
        variables = head_variables
        if not self.linear_probe:
            variables = head_variables + self.backbone_variables
        with tf.GradientTape() as tape:
            logits = self(clips, training=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    tf.cast(labels, tf.int32), logits
                )
            )
            total = loss
            if self.weight_decay:
                total += self.weight_decay * tf.add_n(
                    [tf.nn.l2_loss(tf.cast(v, tf.float32)) for v in variables]
                )
            scaled = loss_scaling.loss_to_differentiate(self.optimizer, total)
        gradients = tape.gradient(scaled, variables)
        count = len(head_variables)
        self.optimizer.apply(gradients[:count], head_variables)
        if not self.linear_probe:
            self.backbone_optimizer.apply(
                gradients[count:], self.backbone_variables
            )
        correct = tf.equal(tf.argmax(logits, 1, tf.int32), labels)
        self.trackers["loss"].update_state(loss)
        self.trackers["accuracy"].update_state(tf.cast(correct, tf.float32))
        return {name: t.result() for name, t in self.trackers.items()}


def clip_averaged_top1(predict, clips, labels, batch_size=32):
    """Top-1 accuracy of the softmax averaged over each video's clips.

    Args:
        predict: `clips -> logits`, float clips `[N, F, H, W, C]`.
        clips: uint8 `[V, K, F, H, W, C]`, K clips of each of V videos.
        labels: int `[V]`.
    """
    videos, per_video = clips.shape[:2]
    flat = clips.reshape(videos * per_video, *clips.shape[2:])
    probabilities = []
    for i in range(0, len(flat), batch_size):
        batch = tf.cast(flat[i : i + batch_size], tf.float32) / 127.5 - 1.0
        probabilities.append(tf.nn.softmax(predict(batch)).numpy())
    averaged = np.concatenate(probabilities).reshape(videos, per_video, -1)
    predicted = averaged.mean(1).argmax(1)
    return float(np.mean(predicted == np.asarray(labels)))
