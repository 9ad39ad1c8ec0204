"""The NDA-CPC contrastive logits and loss (paper Eq. 8)."""

import tensorflow as tf


def contrastive_logits(queries, keys, queue, nda_negatives=()):
    """Cosine-similarity logits of each query, positive first.

    Columns: `[q.k+, q.queue_1, ..., q.queue_K, q.n_1, ..., q.n_m]`, where the
    NDA negatives `n_j` are per query (row `i` of each tensor in
    `nda_negatives` belongs to query `i`). Without NDA negatives this is
    MoCo's logit matrix; with them it only gains `m` columns.

    Args:
        queries: `[B, D]` L2-normalised query embeddings.
        keys: `[B, D]` L2-normalised positive keys.
        queue: `[K, D]` L2-normalised negative keys.
        nda_negatives: a sequence of `[B, D]` L2-normalised embeddings of
            negative augmentations (paper: of the query and of the key image).

    Returns:
        float32 `[B, 1 + K + m]`, not yet divided by the temperature.
    """
    columns = [
        tf.reduce_sum(queries * keys, axis=1, keepdims=True),
        tf.matmul(queries, queue, transpose_b=True),
    ]
    for negatives in nda_negatives:
        columns.append(tf.reduce_sum(queries * negatives, 1, keepdims=True))
    return tf.concat(columns, axis=1)


def contrastive_loss(logits, temperature):
    """Mean cross-entropy of picking column 0 (the positive) per row.

    Minimising it maximises Eq. 8 of the paper: `log((n+m) g+ / sum g)`
    with `g = exp(logit / temperature)`, up to the constant `log(n+m)`.
    """
    labels = tf.zeros([tf.shape(logits)[0]], tf.int32)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels, logits / temperature
    )
    return tf.reduce_mean(losses)


def positive_accuracy(logits):
    """Fraction of rows whose largest logit is the positive (column 0)."""
    top = tf.argmax(logits, axis=1, output_type=tf.int32)
    return tf.reduce_mean(tf.cast(tf.equal(top, 0), tf.float32))
