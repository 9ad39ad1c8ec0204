"""Evaluating representations: linear probe, kNN monitor, NDA distance."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks, transforms
from nda_tf.data import images as image_ops
from nda_tf.data import sources, streams


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
        train_features: `[N, D]` array of the training images.
        test_features: `[N, D]` array of the test images.
        train_labels: int array `[N]` of the training images.
        test_labels: int array `[N]` of the test images.
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


class KNNMonitor:
    """kNN accuracy of `model.encoder` (a `MoCo`'s query encoder): an
    evaluator of the run loop, called as `monitor(model, step)`.

    Labelled memory-bank images (training images without augmentation)
    vote for the classes of test images, as MoCo's CIFAR monitor does.

    Args:
        sets: `((bank_images, bank_labels), (test_images, test_labels))` of
            uint8 images, or a function returning them (read on first use).
        num_classes: int.
        k: int, neighbours (MoCo: 200).
    """

    def __init__(self, sets, num_classes, k=200):
        checks.check_int("k", k, 1)
        self.sets, self.num_classes, self.k = sets, num_classes, k

    def __call__(self, model, step=None):
        if callable(self.sets):
            self.sets = self.sets()
        (bank, bank_labels), (test, test_labels) = self.sets
        accuracy = knn_accuracy(
            encode(model.encoder, bank),
            bank_labels,
            encode(model.encoder, test),
            test_labels,
            self.num_classes,
            k=self.k,
        )
        return {"knn_accuracy": accuracy}


def labelled_images(config, test=False, count=None, seed=0):
    """Unaugmented uint8 images `[N, H, W, 3]` and int32 labels of a run.

    The training split (`test=False`) or the test set (`test_dataset`,
    else the run's dataset at `test_split`). Dots are endless: `count`
    images are drawn with a seed of their own. Otherwise `count` (None:
    all) images are a seeded random subset.
    """
    name = config["dataset"]
    split = config["split"]
    if test:
        name = config["test_dataset"] or name
        split = config["test_split"]
    if name.startswith("dots"):
        if count is None:
            raise ValueError("dots is endless: give a count of images")
        options = sources.dots_options(name, config["resolution"])
        stream = streams.dots_batches(options, count, seed + (7 if test else 3))
        floats, labels = next(iter(stream))
        return image_ops.to_uint8(floats).numpy(), labels.numpy()
    pixels, labels, _ = sources.read_arrays(
        name, split, config["resolution"], config["data_dir"]
    )
    return subset(pixels, labels, count, seed)


def subset(pixels, labels, count, seed=0):
    """`count` seeded random rows of both arrays (all when None)."""
    if count is None or count >= len(pixels):
        return pixels, labels
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(pixels), count, replace=False))
    return pixels[rows], labels[rows]


def encode(encoder, pixels, batch_size=256):
    """Frozen features of uint8 images, scaled as in training."""
    batches = tf.data.Dataset.from_tensor_slices(pixels).batch(batch_size)
    return extract_features(encoder, batches.map(image_ops.to_float))


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
        negative = transform.transform_with_seed(batch, seed + start)
        negatives.append(np.asarray(negative))
    a = extract_features(encoder, images, batch_size)
    b = extract_features(encoder, np.concatenate(negatives), batch_size)
    a /= np.linalg.norm(a, axis=1, keepdims=True) + 1e-12
    b /= np.linalg.norm(b, axis=1, keepdims=True) + 1e-12
    return 1.0 - np.sum(a * b, axis=1)
