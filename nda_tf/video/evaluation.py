"""Linear probe of clip embeddings: how well a frozen encoder separates
actions (the pretraining monitor and the CPU study's measure)."""

import numpy as np
import tensorflow as tf

from nda_tf import extras

with extras.needs("video", __name__):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler


def embeddings(embed, clips, batch_size=32):
    """Clip-averaged embeddings `[V, D]` of uint8 clips `[V, K, F, H, W, C]`
    (`embed`: float clips in [-1, 1] -> `[N, D]`)."""
    videos, per_video = clips.shape[:2]
    flat = clips.reshape(videos * per_video, *clips.shape[2:])
    # One graph for the batches (eager 3D convolutions are slow).
    compiled = tf.function(lambda x: embed(tf.cast(x, tf.float32) / 127.5 - 1))
    out = []
    for i in range(0, len(flat), batch_size):
        out.append(np.asarray(compiled(flat[i : i + batch_size]), np.float64))
    return np.concatenate(out).reshape(videos, per_video, -1).mean(1)


def linear_probe(embed, train, test, seed=0):
    """Test accuracy of a logistic regression on standardised embeddings.

    Args:
        embed: float clips -> embeddings `[N, D]`.
        train: `(uint8 clips [V, K, F, H, W, C], labels [V])`.
        test: the same for the test videos.

    Example: a "feature" that is the clip's mean brightness separates dark
    from bright clips.

    >>> clips = np.zeros([8, 1, 2, 4, 4, 3], np.uint8)
    >>> clips[4:] = 255
    >>> labels = np.array([0] * 4 + [1] * 4)
    >>> mean = lambda c: tf.reduce_mean(c, [1, 2, 3, 4])[:, None]
    >>> linear_probe(mean, (clips, labels), (clips, labels))
    1.0
    """
    scaler = StandardScaler()
    x_train = scaler.fit_transform(embeddings(embed, train[0]))
    x_test = scaler.transform(embeddings(embed, test[0]))
    probe = LogisticRegression(max_iter=2000, random_state=seed)
    probe.fit(x_train, train[1])
    return float(np.mean(probe.predict(x_test) == np.asarray(test[1])))
