"""`nda_tf.experiments.linear_eval` on MoCo runs."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.contrastive import evaluation
from nda_tf.contrastive.recipe import MOCO
from nda_tf.experiments import linear_eval
from tests.contrastive import runs


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    return runs.two_runs(tmp_path_factory.mktemp("runs"))


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
