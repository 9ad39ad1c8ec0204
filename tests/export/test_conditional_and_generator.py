"""Conditional scoring, the generator SavedModel and export arguments."""

import os

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import export, models
from tests.export import trained

IMAGES = trained.gradients(40, seed=7)


@pytest.fixture(scope="module")
def conditional(tmp_path_factory):
    """A 3-class generator / discriminator pair and its export folder."""
    tf.keras.utils.set_random_seed(3)
    g, d = models.build_gan("sngan", 32, ch=4, num_classes=3, z_dim=8)
    return g, d, tmp_path_factory.mktemp("conditional")


def d_logits(d, images, label):
    x = tf.constant(images, tf.float32) / 127.5 - 1.0
    labels = tf.fill([len(images)], label)
    return d([x, labels], training=False).numpy()[:, 0]


def test_conditional_max_over_labels_and_fixed_label(conditional):
    _, d, root = conditional
    best = export.export_ood_detector(d, 32, IMAGES, root, num_classes=3)
    fixed = export.export_ood_detector(
        d, 32, IMAGES, root, "fixed", num_classes=3, label=1
    )
    per_class = np.stack([d_logits(d, IMAGES[:6], c) for c in range(3)], 1)
    scores = {}
    for path in (best, fixed):
        sig = tf.saved_model.load(path).signatures["serving_default"]
        scores[path] = sig(images=tf.constant(IMAGES[:6]))["score"].numpy()
    assert np.abs(scores[best] - per_class.max(1)).max() < 1e-5
    assert np.abs(scores[fixed] - per_class[:, 1]).max() < 1e-5
    # The classes disagree somewhere, so the two modes differ.
    assert np.abs(per_class[:, 1] - per_class.max(1)).max() > 1e-4
    assert export.read_metadata(fixed)["scoring"] == "logit for class 1"


def test_conditional_generator(conditional):
    g, _, root = conditional
    path = export.export_generator(g, 8, root, num_classes=3, resolution=32)
    sigs = tf.saved_model.load(path).signatures
    z = np.random.default_rng(0).normal(size=[4, 8]).astype(np.float32)
    labels = np.array([0, 1, 2, 1], np.int32)
    images = sigs["serving_default"](z=tf.constant(z), labels=labels)["images"]
    expected = g([z, labels], training=False).numpy()
    expected = np.round((np.clip(expected, -1, 1) + 1) * 127.5)
    assert images.dtype == tf.uint8 and images.shape == (4, 32, 32, 3)
    # Rounding can differ by one level where float noise sits on a .5.
    assert np.abs(images.numpy().astype(int) - expected).max() <= 1
    assert np.mean(images.numpy() == expected) > 0.99
    with pytest.raises(tf.errors.InvalidArgumentError, match="< num_classes=3"):
        sigs["serving_default"](z=tf.constant(z), labels=labels + 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="one entry per"):
        sigs["serving_default"](z=tf.constant(z), labels=labels[:3])
    sample = sigs["sample"](
        num_images=tf.constant(5), seed=tf.constant(9, tf.int64)
    )
    assert sample["labels"].shape == (5,)
    assert set(sample["labels"].numpy()) <= {0, 1, 2}


def test_generator_signatures_and_sampling(tmp_path):
    gan = trained.trained_gan()
    path = export.export_generator(
        gan.ema_generator, trained.Z_DIM, tmp_path, metadata={"lam": 0.5}
    )
    sigs = tf.saved_model.load(path).signatures
    z = np.random.default_rng(1).normal(size=[3, 8]).astype(np.float32)
    out = sigs["serving_default"](z=tf.constant(z))["images"].numpy()
    expected = gan.ema_generator(z, training=False).numpy()
    assert (
        np.abs(out.astype(float) - (expected + 1) * 127.5).max() <= 0.5 + 1e-3
    )

    def sample(n, seed):
        return sigs["sample"](
            num_images=tf.constant(n), seed=tf.constant(seed, tf.int64)
        )["images"].numpy()

    np.testing.assert_array_equal(sample(4, 1), sample(4, 1))
    assert not np.array_equal(sample(4, 1), sample(4, 2))
    assert sample(7, 1).shape == (7, 32, 32, 3)
    for n, message in ((0, "num_images must be >= 1"), (2000, "<= 1024")):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sample(n, 0)
    for bad, message in (
        (z[:, :5], "8 entries in the last axis"),
        (z[0], "rank 2"),
        (np.full([1, 8], np.nan, np.float32), "NaN"),
        (z[:0], "must not be empty"),
    ):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sigs["serving_default"](z=tf.constant(bad))
    logs = export.read_warmup_requests(path)
    assert [
        log.predict_log.request.model_spec.signature_name for log in logs
    ] == [
        "serving_default",
        "sample",
    ]
    meta = export.read_metadata(path)
    assert meta["kind"] == "nda_generator" and meta["run"] == {"lam": 0.5}


def test_versions_and_names(tmp_path):
    d = trained.trained_gan().discriminator
    first = export.export_ood_detector(d, 32, IMAGES, tmp_path, version=3)
    assert first.endswith(os.path.join("nda_ood", "3"))
    with pytest.raises(ValueError, match="already exists"):
        export.export_ood_detector(d, 32, IMAGES, tmp_path, version=3)
    again = export.export_ood_detector(
        d, 32, IMAGES, tmp_path, version=3, overwrite=True, tpr=0.5
    )
    assert export.read_metadata(again)["tpr"] == 0.5
    for kwargs, message in (
        ({"model_name": "a/b"}, "model_name must be"),
        ({"version": 0}, "version must be an int >= 1, received 0"),
        ({"version": "2"}, "version must be"),
        ({"label": 0}, "label must be None"),
        ({"tpr": 0.0}, "tpr must be in"),
    ):
        with pytest.raises(ValueError, match=message):
            export.export_ood_detector(d, 32, IMAGES, tmp_path, **kwargs)
    for images, message in (
        (IMAGES[:1], "at least 2 calibration images"),
        (IMAGES[..., :1], "calibration_images must be \\[N, H, W, 3\\]"),
        (IMAGES.astype(np.float32), "in \\[-1, 1\\]"),
        (IMAGES.astype(np.int64), "calibration_images must be uint8"),
    ):
        with pytest.raises(ValueError, match=message):
            export.export_ood_detector(d, 32, images, tmp_path, version=9)
    assert sorted(os.listdir(tmp_path / "nda_ood")) == ["3"]
