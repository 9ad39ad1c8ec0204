"""Linear probe, kNN, NDA distance, and a short run that learns."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import transforms
from nda_tf.contrastive import MoCo, evaluation
from nda_tf.contrastive.augment import MoCoV2Augment, two_views
from nda_tf.data import images as image_ops
from nda_tf.models import resnet
from tests.contrastive import shapes


def test_knn_votes_with_similarity_weights():
    bank = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], "float32")
    labels = np.array([0, 0, 1, 1])
    test = np.array([[1, 0.05], [0.1, 1]], "float32")
    assert evaluation.knn_accuracy(bank, labels, test, [0, 1], 2, k=1) == 1.0
    # k=4: every bank row votes; the first query still goes to class 0.
    assert evaluation.knn_accuracy(bank, labels, test, [0, 0], 2, k=4) == 0.5
    # With k=4 the second query still goes to class 1: its near row (0, 1)
    # outweighs class 0's two far rows (weights exp(cos / 0.1)).
    assert evaluation.knn_accuracy(bank, labels, test, [0, 1], 2, k=4) == 1.0


def test_linear_probe_separates_separable_features():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    features = np.eye(3)[labels] + 0.1 * rng.standard_normal([300, 3])
    result = evaluation.linear_probe(
        features[:200],
        labels[:200],
        features[200:],
        labels[200:],
        3,
        epochs=20,
        batch_size=32,
        learning_rate=1.0,
    )
    assert result["test_accuracy"] == 1.0
    with pytest.raises(ValueError, match="learning_rate"):
        evaluation.linear_probe(
            features, labels, features, labels, 3, learning_rate=0
        )


def test_nda_distance_by_hand():
    images = np.random.default_rng(0).uniform(-1, 1, [3, 4, 4, 3])
    images = images.astype("float32")
    # Jigsaw moves pixels around: a mean-pooling encoder cannot tell.
    pooled = keras.Sequential([keras.layers.GlobalAveragePooling2D()])
    distance = evaluation.nda_cosine_distance(pooled, images, "jigsaw")
    np.testing.assert_allclose(distance, 0.0, atol=1e-6)
    flat = keras.Sequential([keras.layers.Flatten()])
    distance = evaluation.nda_cosine_distance(flat, images, "jigsaw", seed=5)
    jigsaw = transforms.get("jigsaw")
    moved = jigsaw.transform_images(
        images, jigsaw.get_random_transformation(images, seed=5)
    ).numpy()
    a, b = images.reshape(3, -1), moved.reshape(3, -1)
    cos = (
        np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    )
    np.testing.assert_allclose(distance, 1 - cos, rtol=1e-5)
    with pytest.raises(ValueError, match="nda"):
        evaluation.nda_cosine_distance(flat, images, None)


def _probe(encoder, train, test):
    train_features = evaluation.extract_features(encoder, train[0])
    test_features = evaluation.extract_features(encoder, test[0])
    return evaluation.linear_probe(
        train_features,
        train[1],
        test_features,
        test[1],
        len(shapes.CLASSES),
        epochs=30,
        learning_rate=0.1,
        standardize=True,
    )["test_accuracy"]


def test_short_nda_moco_run_beats_a_random_encoder():
    """120 steps of NDA-MoCo (cutout) on coloured shapes: the linear probe
    of the learnt features beats the same encoder at initialisation (both
    probed identically, on standardised features)."""
    train, test = shapes.render(1024, 0), shapes.render(512, 1)
    keras.utils.set_random_seed(0)
    encoder = resnet.small_resnet(width=8, input_shape=(16, 16, 3))
    random_accuracy = _probe(encoder, train, test)
    moco = MoCo(
        encoder,
        nda="cutout",
        queue_size=512,
        temperature=0.2,
        momentum=0.99,
        seed=0,
    )
    moco.compile(optimizer=keras.optimizers.SGD(0.06, momentum=0.9))
    # The run loop's kNN evaluator reads uint8 images, as a run stores them.
    pixels = [(image_ops.to_uint8(x).numpy(), y) for x, y in (train, test)]
    monitor = evaluation.KNNMonitor(lambda: pixels, 4, k=20)
    knn_before = monitor(moco, 0)["knn_accuracy"]
    batches = tf.data.Dataset.from_tensor_slices(train).shuffle(1024, seed=0)
    batches = batches.repeat().batch(64, drop_remainder=True)
    views = two_views(batches, MoCoV2Augment(16, scale=(0.5, 1.0)), seed=0)
    history = moco.fit(views, steps_per_epoch=30, epochs=4, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    knn_after = monitor(moco, 120)["knn_accuracy"]
    assert knn_after > knn_before, (knn_before, knn_after)
    learnt_accuracy = _probe(encoder, train, test)
    assert learnt_accuracy > random_accuracy + 0.05, (
        random_accuracy,
        learnt_accuracy,
    )
