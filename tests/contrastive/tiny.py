"""A tiny batch-norm-free encoder and a hand-written MoCo step to check
the model against."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import transforms

SIZE = 4


def encoder(features=6, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3), name="images"),
            keras.layers.Flatten(),
            keras.layers.Dense(features),
        ],
        name="tiny_encoder",
    )


def images(count, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, [count, SIZE, SIZE, 3]).astype("float32")


class Negate(transforms.NDATransform):
    """A deterministic stand-in transform: the negative of each image."""

    def sample(self, batch_size, height, width, seed):
        return {"unused": tf.zeros([batch_size])}

    def apply(self, images, transformation):
        return -images


def network(weights, x):
    """Encoder (dense) then head (dense, ReLU, dense), from weight arrays."""
    enc_k, enc_b, h1_k, h1_b, h2_k, h2_b = weights
    x = tf.reshape(x, [x.shape[0], -1]) @ enc_k + enc_b
    x = tf.nn.relu(x @ h1_k + h1_b)
    return tf.math.l2_normalize(x @ h2_k + h2_b, axis=1)


def snapshot(moco):
    """Query weights, key weights and queue of a MoCo as NumPy arrays."""
    query = [v.numpy() for v in moco.query_variables]
    key = [
        v.numpy()
        for v in moco.key_encoder.trainable_variables
        + moco.key_head.trainable_variables
    ]
    return query, key, moco.queue.numpy()


def reference_step(
    state, queries, keys, lr, momentum, temperature, nda, pointer=0
):
    """One MoCo-v2 SGD step written out by hand.

    `nda` is None or a function image -> negative image; its embeddings by
    the key network are the two extra columns.
    """
    query_w, key_w, queue = state
    key_w = [
        momentum * k + (1 - momentum) * q
        for k, q in zip(key_w, query_w, strict=True)
    ]
    k = network(key_w, tf.constant(keys))
    extra = []
    if nda is not None:
        extra = [network(key_w, nda(queries)), network(key_w, nda(keys))]
    variables = [tf.Variable(w) for w in query_w]
    with tf.GradientTape() as tape:
        q = network(variables, tf.constant(queries))
        columns = [tf.reduce_sum(q * k, 1, keepdims=True), q @ queue.T]
        columns += [tf.reduce_sum(q * n, 1, keepdims=True) for n in extra]
        logits = tf.concat(columns, 1) / temperature
        loss = -tf.reduce_mean(tf.nn.log_softmax(logits)[:, 0])
    grads = tape.gradient(loss, variables)
    query_w = [w - lr * g.numpy() for w, g in zip(query_w, grads, strict=True)]
    queue = queue.copy()
    queue[(pointer + np.arange(len(keys))) % len(queue)] = k.numpy()
    return (query_w, key_w, queue), float(loss)
