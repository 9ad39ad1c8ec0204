"""A tiny stand-in for the TF Inception graph, with the same tensor names."""

import numpy as np
import tensorflow as tf

SIZE = 8
FEATURES = 5
CLASSES = 7


def weights(seed=0):
    rng = np.random.default_rng(seed)
    conv = rng.normal(size=(1, 1, 3, FEATURES)).astype("float32")
    logits = rng.normal(size=(FEATURES, CLASSES)).astype("float32")
    return conv, logits


def inception_like_graph_def(seed=0):
    """JPEG decoder -> ExpandDims -> resize -> normalize -> conv -> pool_3.

    Like the real graph, its reshape before the logits fixes the batch at
    one, so only a loader that bypasses it handles batches.
    """
    conv, logits = weights(seed)
    graph = tf.Graph()
    with graph.as_default():
        contents = tf.compat.v1.placeholder(
            tf.string, [], name="DecodeJpeg/contents"
        )
        decoded = tf.io.decode_jpeg(contents, channels=3, name="DecodeJpeg")
        cast = tf.cast(decoded, tf.float32, name="Cast")
        expanded = tf.expand_dims(cast, 0, name="ExpandDims")
        resized = tf.compat.v1.image.resize_bilinear(
            expanded, [SIZE, SIZE], name="ResizeBilinear"
        )
        normalized = (resized - 128.0) / 128.0
        hidden = tf.nn.relu(tf.nn.conv2d(normalized, conv, 1, "VALID"))
        pool = tf.nn.avg_pool2d(hidden, SIZE, 1, "VALID", name="pool_3")
        flat = tf.reshape(pool, [1, FEATURES], name="pool_3/_reshape")
        tf.matmul(flat, tf.constant(logits), name="softmax/logits/MatMul")
    return graph.as_graph_def()


def expected_outputs(images_0_255, seed=0):
    """What the graph computes, written out eagerly."""
    conv, logits = weights(seed)
    resized = tf.compat.v1.image.resize_bilinear(
        tf.constant(images_0_255, tf.float32), [SIZE, SIZE]
    ).numpy()
    normalized = (resized - 128.0) / 128.0
    hidden = np.maximum(normalized @ conv[0, 0], 0.0)
    features = hidden.mean(axis=(1, 2))
    return features, features @ logits
