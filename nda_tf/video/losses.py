"""DPC's dense contrastive loss, with NDA features as extra negatives.

Every predicted feature (clip b, future step p, position s) is scored by a
dot product against every true feature of the batch (all clips, steps and
positions); the true feature at the same (b, p, s) is the positive, all
others negatives: spatial (same clip and step, other positions), temporal
(same clip, other steps) and easy ones (other clips). NDA features (the
encoder's features of NDA clips, paper Eq. 8) are appended as further
columns, which are never positives.

    >>> predictions = tf.ones([2, 1, 1, 1, 3])
    >>> targets = tf.constant([[[[[1., 0, 0]]]], [[[[0., 1, 0]]]]])
    >>> dense_logits(predictions, targets).numpy()
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    >>> round(float(dense_loss(dense_logits(predictions, targets))), 4)
    0.6931

Reference: Han, Xie, Zisserman, "Video Representation Learning by Dense
Predictive Coding", 2019; Sinha et al., "Negative Data Augmentation",
ICLR 2021, Eq. 8 and Table 7.
"""

import tensorflow as tf


def _flat(features):
    features = tf.cast(features, tf.float32)
    return tf.reshape(features, [-1, tf.shape(features)[-1]])


def dense_logits(predictions, targets, negatives=None):
    """Scores `[M, M + K]` of every prediction against every feature.

    Args:
        predictions: `[B, P, h, w, D]` predicted future feature maps.
        targets: `[B, P, h, w, D]` the true (encoder) features of those
            blocks; row `i` of the flattened predictions has its positive
            in column `i`.
        negatives: optional `[B', P', h', w', D]` NDA features; all of
            them (K = B' P' h' w') are extra columns after the M targets.

    Returns:
        float32 logits; with `negatives=None` exactly DPC's scores.
    """
    flat = _flat(predictions)
    columns = _flat(targets)
    if negatives is not None:
        columns = tf.concat([columns, _flat(negatives)], 0)
    return tf.matmul(flat, columns, transpose_b=True)


def dense_loss(logits):
    """Mean softmax cross-entropy with the diagonal as the positives."""
    labels = tf.range(tf.shape(logits)[0])
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    )


def dense_accuracy(logits):
    """Fraction of predictions whose best-scoring column is the positive."""
    labels = tf.range(tf.shape(logits)[0], dtype=tf.int64)
    return tf.reduce_mean(
        tf.cast(tf.equal(tf.argmax(logits, 1), labels), tf.float32)
    )
