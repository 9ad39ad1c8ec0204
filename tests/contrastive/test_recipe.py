"""The MoCo recipe on the run loop: run directory, logs, kNN, two replicas,
settings. Resume and signals on one device: tests/training."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf import training
from nda_tf.contrastive.recipe import MOCO
from tests.training.test_loop import MOCO_TINY as TINY
from tests.training.test_loop import options, send_sigterm_at, state


def test_the_run_directory_logs_lr_and_knn(tmp_path):
    logdir = str(tmp_path / "a")
    _, summary = training.train(MOCO, TINY, logdir, options())
    with open(os.path.join(logdir, "config.json")) as file:
        config = json.load(file)
    assert config["resolution"] == 16 and config["steps"] == 4
    assert config["stem"] == "cifar" and config["bn_splits"] == 1
    assert {"num_classes", "bn_splits", "lr", "nda"} <= set(config)
    scalars = _event_scalars(os.path.join(logdir, "train"))
    assert {"loss", "accuracy", "positive_similarity", "nda_similarity"} <= (
        set(scalars)
    )
    # Cosine decay of lr 0.3 over 4 steps, logged after steps 1 to 4.
    expected = [0.15 * (1 + np.cos(np.pi * k / 4)) for k in range(1, 5)]
    np.testing.assert_allclose(scalars["lr"], expected, atol=1e-6)
    knn = _event_scalars(os.path.join(logdir, "eval"))["knn_accuracy"]
    assert len(knn) == 2 and all(0.0 <= a <= 1.0 for a in knn)
    assert knn[-1] == pytest.approx(summary["logs"]["knn_accuracy"])
    assert "kNN accuracy" in MOCO.done_message(summary, logdir)


def _event_scalars(folder):
    values = {}
    for name in sorted(os.listdir(folder)):
        for event in tf.compat.v1.train.summary_iterator(
            os.path.join(folder, name)
        ):
            for value in event.summary.value:
                number = float(tf.make_ndarray(value.tensor))
                values.setdefault(value.tag, []).append(number)
    return values


def test_mock_cifar10_on_two_replicas_resumes_exactly(tmp_path, mirrored):
    config = dict(TINY, dataset="cifar10", steps=None, epochs=1)
    with tfds.testing.mock_data(num_examples=16):
        whole, summary = training.train(
            MOCO, config, str(tmp_path / "m"), options(), strategy=mirrored
        )
        # 16 images, batch 8: one epoch is 2 steps; 16 keys in the queue.
        assert summary["step"] == 2
        assert int(whole.queue_pointer.numpy()) == 16
        assert np.isfinite(summary["logs"]["loss"])
        assert 0.0 <= summary["logs"]["knn_accuracy"] <= 1.0
        saved = training.read_config(str(tmp_path / "m"))
        assert saved["num_classes"] == 10 and saved["num_examples"] == 16
        # Stopped after step 1 and resumed: shuffled batch norm across the
        # replicas, per-replica NDA draws and the distributed data stream
        # all continue where they were.
        logdir = str(tmp_path / "s")
        _, summary = training.train(
            MOCO,
            config,
            logdir,
            options(),
            [send_sigterm_at(1)],
            strategy=mirrored,
        )
        assert summary["step"] == 1
        resumed, _ = training.train(
            MOCO, config, logdir, options(), strategy=mirrored
        )
    for a, b in zip(state(whole), state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    for change, message in (
        ({"batch_size": 7}, "batch_size 7 is not divisible by the 2"),
        ({"jit": True}, "jit does not compile"),
    ):
        with pytest.raises(ValueError, match=message):
            training.train(
                MOCO,
                dict(config, **change),
                str(tmp_path / "n"),
                options(),
                strategy=mirrored,
            )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"temperature": 0.0}, "temperature must be > 0, received 0.0"),
        ({"nda": "jigsw"}, "unknown transform 'jigsw'"),
        ({"arch": "vgg"}, "unknown arch 'vgg'"),
        ({"stem": "tiny"}, "unknown stem 'tiny'"),
        ({"queue_size": 4}, "queue_size 4 must hold a batch of 8"),
        # The default bn_splits on one device is 8: batch_size 8 made
        # groups of one image, which crashed natively.
        (
            {"bn_splits": None},
            r"batch_size 8 on 1 replica\(s\) in bn_splits=8 batch-norm "
            r"groups gives groups of 1 image; .*: use bn_splits <= 4 or a "
            "larger batch_size",
        ),
        ({"batch_size": 0}, "batch_size must be an int >= 1, received 0"),
        ({"knn_k": 0}, "knn_k must be an int >= 1, received 0"),
        ({"steps": None}, "endless"),
        ({"shuffle": True}, "unknown configuration keys"),
    ],
)
def test_bad_settings_name_the_value(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        training.train(MOCO, dict(TINY, **change), str(tmp_path), options())
