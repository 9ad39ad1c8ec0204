"""Tools on finished runs: linear evaluation and Figure 9's distances."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.contrastive import evaluation
from nda_tf.contrastive.recipe import MOCO
from nda_tf.data import DatasetInfo
from nda_tf.data import images as image_ops
from nda_tf.experiments import linear_eval, nda_distance_study
from nda_tf.training import CheckpointKeeper, write_json_atomic
from tests.training.test_loop import MOCO_TINY as TINY


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run directories without and with NDA (jigsaw), saved at step 2.

    Their weights are freshly initialised (seeds 0 and 1), not trained: the
    tools read runs through `load_run` whatever the weights are, and the
    trained path is covered by tests/experiments/test_moco_command.py.
    Skipping the training keeps these tests fast.
    """
    root = tmp_path_factory.mktemp("runs")
    info = DatasetInfo(TINY["dataset"], 2, 16, None)
    logdirs = {}
    for seed, nda in enumerate(("none", "jigsaw")):
        logdirs[nda] = str(root / nda)
        config = MOCO.resolve(dict(TINY, nda=nda, seed=seed), info)
        write_json_atomic(os.path.join(logdirs[nda], "config.json"), config)
        keras.utils.set_random_seed(seed)
        moco = MOCO.build(config, compile=False)
        state = tf.train.Checkpoint(model=moco)
        CheckpointKeeper(os.path.join(logdirs[nda], "checkpoints"), state).save(
            2
        )
    return logdirs


def test_linear_eval_probes_the_restored_encoder(two_runs):
    logdir = two_runs["jigsaw"]
    summary = linear_eval.evaluate_run(
        logdir, epochs=5, learning_rate=1.0, num_train=64, num_test=32
    )
    with open(os.path.join(logdir, "linear_eval.json")) as file:
        assert json.load(file) == summary
    assert summary["step"] == 2 and summary["nda"] == "jigsaw"
    assert (summary["train_images"], summary["test_images"]) == (64, 32)
    # The same probe, by hand, on the checkpoint's encoder.
    moco, config = training.load_run(MOCO, logdir)
    train = evaluation.labelled_images(config, False, 64)
    test = evaluation.labelled_images(config, True, 32)
    expected = evaluation.linear_probe(
        evaluation.encode(moco.encoder, train[0]),
        train[1],
        evaluation.encode(moco.encoder, test[0]),
        test[1],
        2,
        epochs=5,
        learning_rate=1.0,
    )
    assert summary["test_top1"] == 100 * expected["test_accuracy"]
    # Test images are not the training images.
    assert not np.array_equal(train[0][:32], test[0])
    with open(os.path.join(logdir, "linear_eval.md")) as file:
        assert f"| {summary['test_top1']:.2f} |" in file.read()
    events = os.listdir(os.path.join(logdir, "eval"))
    tags = {
        value.tag
        for name in events
        for event in tf.compat.v1.train.summary_iterator(
            os.path.join(logdir, "eval", name)
        )
        for value in event.summary.value
    }
    assert "linear_top1" in tags
    with pytest.raises(ValueError, match="dots is endless"):
        linear_eval.evaluate_run(logdir, num_train=64)
    with pytest.raises(ValueError, match="learning_rate .* received 0.0"):
        linear_eval.evaluate_run(logdir, learning_rate=0.0)


def test_figure9_distances_and_histogram(two_runs, tmp_path):
    out = str(tmp_path / "fig9.png")
    labels = {"MoCo-v2": two_runs["none"], "NDA": two_runs["jigsaw"]}
    distances, summary = nda_distance_study.figure9(labels, out, num_images=24)
    # Each run's distances, recomputed from its encoder on the same images.
    moco, config = training.load_run(MOCO, two_runs["none"])
    pixels, _ = evaluation.labelled_images(config, True, 24)
    images = image_ops.to_float(pixels).numpy()
    expected = evaluation.nda_cosine_distance(moco.encoder, images, "jigsaw")
    np.testing.assert_allclose(distances["MoCo-v2"], expected, rtol=1e-6)
    assert not np.allclose(distances["MoCo-v2"], distances["NDA"])
    picture = tf.io.decode_png(tf.io.read_file(out))
    assert picture.shape[0] > 100 and picture.shape[1] > 100
    with open(str(tmp_path / "fig9.json")) as file:
        saved = json.load(file)
    assert saved["distance"]["NDA"]["mean"] == pytest.approx(
        float(np.mean(distances["NDA"]))
    )
    assert summary["distance"]["MoCo-v2"]["images"] == 24
    with pytest.raises(ValueError, match="at least one run"):
        nda_distance_study.figure9({}, out)
