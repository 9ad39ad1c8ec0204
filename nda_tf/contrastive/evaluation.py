"""Evaluating representations: linear probe, kNN monitor, NDA distance."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks, transforms


def extract_features(encoder, images, batch_size=256):
    """Frozen features (`training=False`) of `images` as float32 NumPy.

    Args:
        encoder: model images -> `[B, D]`.
        images: float `[N, H, W, C]` array, or a `tf.data.Dataset` of image
            batches or `(images, labels)` batches.
    """
    if isinstance(images, tf.data.Dataset):
        batches = images
    else:
        batches = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    chunks = []
    for batch in batches:
        if isinstance(batch, (tuple, list)):
            batch = batch[0]
        chunks.append(np.asarray(encoder(batch, training=False), "float32"))
    return np.concatenate(chunks)


def linear_probe(
    train_features,
    train_labels,
    test_features,
    test_labels,
    num_classes,
    epochs=100,
    batch_size=256,
    learning_rate=10.0,
    standardize=False,
    seed=0,
    verbose=0,
):
    """Top-1 accuracy of a linear classifier on frozen features.

    Paper settings for CIFAR (Appendix K): 100 epochs, batch 256, lr 10,
    SGD with momentum 0.9 (MoCo's linear protocol), here with cosine decay.

    Args:
        train_features, test_features: `[N, D]` arrays.
        train_labels, test_labels: int arrays `[N]`.
        num_classes: int.
        standardize: scale each feature by the training mean and deviation
            first (useful to compare encoders whose features differ in
            scale; the paper's protocol does not).

    Returns:
        dict with `train_accuracy`, `test_accuracy` and the `classifier`.
    """
    checks.check_int("epochs", epochs, 1)
    checks.check_int("batch_size", batch_size, 1)
    checks.check_number("learning_rate", learning_rate, 0.0, low_open=True)
    train_x = np.asarray(train_features, "float32")
    test_x = np.asarray(test_features, "float32")
    if standardize:
        mean, std = train_x.mean(0), train_x.std(0) + 1e-6
        train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    keras.utils.set_random_seed(seed)
    classifier = keras.Sequential(
        [keras.Input((train_x.shape[1],)), keras.layers.Dense(num_classes)]
    )
    steps = epochs * -(-len(train_x) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    classifier.compile(
        optimizer=keras.optimizers.SGD(schedule, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    classifier.fit(
        train_x,
        np.asarray(train_labels),
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
    )

    def accuracy(x, y):
        predicted = np.argmax(classifier.predict(x, verbose=0), axis=1)
        return float(np.mean(predicted == np.asarray(y).reshape(-1)))

    return {
        "train_accuracy": accuracy(train_x, train_labels),
        "test_accuracy": accuracy(test_x, test_labels),
        "classifier": classifier,
    }


def knn_accuracy(
    bank_features,
    bank_labels,
    test_features,
    test_labels,
    num_classes,
    k=200,
    temperature=0.1,
):
    """Weighted kNN top-1 accuracy on cosine similarity (Wu et al. 2018).

    Each test feature's `k` most similar bank features vote for their
    class with weight `exp(similarity / temperature)`.
    """
    bank = tf.math.l2_normalize(tf.constant(bank_features, tf.float32), 1)
    test = tf.math.l2_normalize(tf.constant(test_features, tf.float32), 1)
    k = min(int(k), bank.shape[0])
    similarity = tf.matmul(test, bank, transpose_b=True)
    top, index = tf.math.top_k(similarity, k)
    votes = tf.one_hot(
        tf.gather(tf.constant(bank_labels, tf.int32), index), num_classes
    )
    scores = tf.reduce_sum(votes * tf.exp(top / temperature)[..., None], 1)
    predicted = tf.argmax(scores, axis=1, output_type=tf.int32).numpy()
    return float(np.mean(predicted == np.asarray(test_labels).reshape(-1)))


class KNNMonitor(keras.callbacks.Callback):
    """Writes `logs["knn_accuracy"]` every `every` epochs during `fit`.

    Uses `model.encoder` (a `MoCo`'s query encoder) on a labelled memory
    bank and a labelled test set, as MoCo's CIFAR monitor does (k = 200).

    Args:
        bank: `(images, labels)` arrays, e.g. training images without
            augmentation.
        test: `(images, labels)` arrays.
        num_classes: int.
        k: int, neighbours.
        every: int, epochs between evaluations.
    """

    def __init__(self, bank, test, num_classes, k=200, every=1):
        super().__init__()
        checks.check_int("k", k, 1)
        checks.check_int("every", every, 1)
        self.bank, self.test = bank, test
        self.num_classes, self.k, self.every = num_classes, k, every
        self.history = []

    def evaluate(self):
        encoder = self.model.encoder
        return knn_accuracy(
            extract_features(encoder, self.bank[0]),
            self.bank[1],
            extract_features(encoder, self.test[0]),
            self.test[1],
            self.num_classes,
            self.k,
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        accuracy = self.evaluate()
        self.history.append((epoch + 1, accuracy))
        if logs is not None:
            logs["knn_accuracy"] = accuracy


def nda_cosine_distance(encoder, images, nda="jigsaw", seed=0, batch_size=256):
    """`1 - cos(h(x), h(nda(x)))` per image (paper Figure 9).

    Large values mean the encoder keeps an image and its negative
    augmentation apart, as NDA training asks.

    Returns:
        float32 NumPy array `[N]`.
    """
    transform = transforms.get(nda)
    if transform is None:
        raise ValueError(f"nda must name a transform, received {nda!r}")
    images = np.asarray(images, "float32")
    negatives = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        t = transform.get_random_transformation(batch, seed=seed + start)
        negatives.append(np.asarray(transform.transform_images(batch, t)))
    a = extract_features(encoder, images, batch_size)
    b = extract_features(encoder, np.concatenate(negatives), batch_size)
    a /= np.linalg.norm(a, axis=1, keepdims=True) + 1e-12
    b /= np.linalg.norm(b, axis=1, keepdims=True) + 1e-12
    return 1.0 - np.sum(a * b, axis=1)
