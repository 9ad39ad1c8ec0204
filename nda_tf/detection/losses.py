"""The four Faster R-CNN losses on sampled anchors and RoIs.

Each loss is a sum over the sampled (valid) candidates of an image batch
divided by their number, as Detectron normalises by the sampled anchors
and RoIs; the box losses sum over positives only, so they weigh less
when few candidates are positive.

    >>> smooth_l1(tf.constant([0.5, 2.0]), beta=1.0).numpy().tolist()
    [0.125, 1.5]
"""

import tensorflow as tf


def smooth_l1(x, beta):
    """Huber-like: `0.5 x**2 / beta` below `beta`, `|x| - beta / 2` above;
    plain L1 at `beta = 0` (Detectron2's default for both heads)."""
    x = tf.abs(x)
    if beta == 0:
        return x
    return tf.where(x < beta, 0.5 * x * x / beta, x - 0.5 * beta)


def _mean(values, valid):
    weights = tf.cast(valid, values.dtype)
    total = tf.maximum(tf.reduce_sum(weights), 1.0)
    return tf.reduce_sum(values * weights) / total, total


def rpn_losses(logits, deltas, positive, valid, targets, beta):
    """`(objectness, box)` losses of sampled anchors.

    Args:
        logits: `[B, S]` objectness logits of the sampled anchors.
        deltas: `[B, S, 4]` their predicted deltas.
        positive: bool `[B, S]`, the positive anchors.
        valid: bool `[B, S]`, False for padding.
        targets: `[B, S, 4]` deltas to the matched boxes.
        beta: the smooth L1's `beta`.
    """
    labels = tf.cast(positive, logits.dtype)
    entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels, logits)
    objectness, total = _mean(entropy, valid)
    distance = tf.reduce_sum(smooth_l1(deltas - targets, beta), -1)
    box = tf.reduce_sum(distance * tf.cast(positive & valid, distance.dtype))
    return objectness, box / total


def head_losses(logits, deltas, classes, valid, targets, beta):
    """`(class, box)` losses of sampled RoIs.

    Args:
        logits: `[B, S, K + 1]` class logits (background last).
        deltas: `[B, S, K, 4]` class-specific deltas.
        classes: int `[B, S]` target classes, `K` for the background.
        valid: bool `[B, S]`.
        targets: `[B, S, 4]` deltas to the matched boxes (read on the
            positives only).
        beta: the smooth L1's `beta`.
    """
    entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(classes, logits)
    classification, total = _mean(entropy, valid)
    num_classes = tf.shape(deltas)[2]
    positive = valid & (classes < num_classes)
    # Only the deltas of the RoI's own class are trained.
    own = tf.gather(deltas, tf.minimum(classes, num_classes - 1), batch_dims=2)
    distance = tf.reduce_sum(smooth_l1(own - targets, beta), -1)
    box = tf.reduce_sum(distance * tf.cast(positive, distance.dtype))
    return classification, box / total
