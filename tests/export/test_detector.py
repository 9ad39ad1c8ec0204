"""The exported OOD detector: signatures, scores, calibration, warm-up."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import export
from tests.export import trained


@pytest.fixture(scope="module")
def model_dir():
    return trained.exported_detector()


@pytest.fixture(scope="module")
def loaded(model_dir):
    return tf.saved_model.load(model_dir)


def keras_scores(images_uint8):
    """The Keras discriminator on images resized as the export does."""
    d = trained.trained_gan().discriminator
    x = tf.constant(images_uint8, tf.float32) / 127.5 - 1.0
    if x.shape[1:3] != (trained.RESOLUTION, trained.RESOLUTION):
        size = [trained.RESOLUTION] * 2
        x = tf.image.resize(x, size, method="bilinear", antialias=True)
    return d(x, training=False).numpy()[:, 0]


def test_layout(model_dir):
    root = trained.export_root()
    assert model_dir == os.path.join(root, "nda_ood", "1")
    for name in ("saved_model.pb", "variables", "assets/metadata.json"):
        assert os.path.exists(os.path.join(model_dir, name)), name
    assert os.path.isfile(
        os.path.join(model_dir, "assets.extra", "tf_serving_warmup_requests")
    )
    # Only the finished version: no staging folder left behind.
    assert os.listdir(os.path.join(root, "nda_ood")) == ["1"]


def test_saved_model_cli_lists_the_signatures(model_dir):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    text = subprocess.run(
        [cli, "show", "--all", "--dir", model_dir],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    ).stdout
    blocks = dict(
        (b.split("']", 1)[0], b) for b in text.split("signature_def['")[1:]
    )
    assert {"serving_default", "serving_float"} <= set(blocks)
    for name, dtype in (
        ("serving_default", "DT_UINT8"),
        ("serving_float", "DT_FLOAT"),
    ):
        block = blocks[name].split("Concrete Functions")[0]
        inputs, outputs = block.split("output(s):")
        assert "inputs['images']" in inputs
        assert f"dtype: {dtype}" in inputs
        # Any rank is accepted so that the checks inside can name it.
        assert "shape: unknown_rank" in inputs
        for key, out_dtype in (
            ("score", "DT_FLOAT"),
            ("is_outlier", "DT_BOOL"),
            ("in_distribution_probability", "DT_FLOAT"),
        ):
            part = outputs.split(f"outputs['{key}']")[1].split("name:")[0]
            assert f"dtype: {out_dtype}" in part and "shape: (-1)" in part
        assert "Method name is: tensorflow/serving/predict" in block


@pytest.mark.parametrize("size", [(32, 32), (20, 20), (48, 64), (100, 7)])
def test_reloaded_scores_match_keras(loaded, size):
    rng = np.random.default_rng(size[0] * 1000 + size[1])
    images = rng.integers(0, 256, [5, *size, 3]).astype(np.uint8)
    out = loaded.signatures["serving_default"](images=tf.constant(images))
    expected = keras_scores(images)
    assert np.abs(out["score"].numpy() - expected).max() < 1e-5
    floats = loaded.signatures["serving_float"](
        images=tf.constant(images.astype(np.float32) / 255.0)
    )
    assert np.abs(floats["score"].numpy() - expected).max() < 1e-5


def test_outputs_follow_the_stored_threshold_and_calibration(model_dir, loaded):
    meta = export.read_metadata(model_dir)
    images = np.concatenate(
        [trained.gradients(50, seed=3), _jigsaw(trained.gradients(50, seed=4))]
    )
    out = loaded.signatures["serving_default"](images=tf.constant(images))
    score = out["score"].numpy()
    np.testing.assert_array_equal(
        out["is_outlier"].numpy(), score < meta["threshold"]
    )
    cal = meta["calibration"]
    np.testing.assert_allclose(
        out["in_distribution_probability"].numpy(),
        1 / (1 + np.exp(-(cal["slope"] * score + cal["intercept"]))),
        rtol=1e-5,
    )


def test_threshold_and_calibration_from_training(model_dir, loaded):
    meta = export.read_metadata(model_dir)
    assert meta["tpr"] == 0.95
    held_out = trained.gradients(200, seed=1)  # the calibration images
    out = loaded.signatures["serving_default"](images=tf.constant(held_out))
    # Exactly the promised rate: 190 of 200 at or above the threshold.
    assert int(np.sum(out["score"].numpy() >= meta["threshold"])) == 190
    assert meta["calibration"]["tpr_achieved"] == 0.95
    # The trained discriminator tells images from their jigsaws and from
    # noise: the calibration is steep and separates them.
    cal = meta["calibration"]
    assert cal["auroc_vs_negatives"] > 0.85, cal
    assert cal["slope"] > 0
    fresh = loaded.signatures["serving_default"](
        images=tf.constant(trained.gradients(100, seed=5))
    )
    puzzled = loaded.signatures["serving_default"](
        images=tf.constant(_jigsaw(trained.gradients(100, seed=5)))
    )
    p_in = fresh["in_distribution_probability"].numpy().mean()
    p_out = puzzled["in_distribution_probability"].numpy().mean()
    assert p_in > p_out + 0.2, (p_in, p_out)


def test_metadata(model_dir):
    meta = export.read_metadata(model_dir)
    assert meta["kind"] == "nda_ood_detector"
    assert meta["resolution"] == 32 and meta["num_classes"] == 1
    assert meta["run"] == {"nda": "jigsaw", "lam": 0.5, "eval": {"fid": 1.0}}
    assert meta["calibration"]["negatives"] == {
        "uniform_noise": 200,
        "nda:jigsaw": 200,
    }


def test_warmup_requests_parse_and_run(model_dir, loaded):
    logs = export.read_warmup_requests(model_dir)
    assert len(logs) == 4
    shapes = []
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.name == "nda_ood"
        images = tf.make_ndarray(request.inputs["images"])
        shapes.append(images.shape)
        signature = loaded.signatures[request.model_spec.signature_name]
        out = signature(images=tf.constant(images))
        assert out["score"].shape == (images.shape[0],)
    assert shapes == [
        (1, 32, 32, 3),
        (8, 32, 32, 3),
        (1, 64, 64, 3),
        (1, 32, 32, 3),
    ]


def _jigsaw(images):
    """Swaps the top and bottom halves: a jigsaw that breaks the gradient."""
    half = images.shape[1] // 2
    return np.concatenate([images[:, half:], images[:, :half]], axis=1)
