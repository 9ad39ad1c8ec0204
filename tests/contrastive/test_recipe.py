"""The MoCo training loop: exact resume, logs, signals, two replicas."""

import json
import os
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf.contrastive import runs, trainer

TINY = {
    "dataset": "dots(counts=(1,2),size=16)",
    "arch": "small",
    "width": 4,
    "nda": "cutout",
    "queue_size": 32,
    "projection_dim": 8,
    "hidden_dim": 16,
    "batch_size": 8,
    "bn_splits": 1,
    "momentum": 0.9,
    "steps": 4,
}


def _options(**kwargs):
    base = {
        "save_every": 100,
        "eval_every": 2,
        "log_every": 1,
        "knn_k": 5,
        "knn_examples": 32,
        "progress": False,
    }
    return trainer.RunOptions(**{**base, **kwargs})


def _state(moco):
    variables = moco.weights + moco.optimizer.variables + [moco.rng_state]
    return [np.asarray(v) for v in variables]


class _SendSignal(keras.callbacks.Callback):
    def __init__(self, step=2):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.step:
            os.kill(os.getpid(), signal.SIGTERM)


def test_a_stopped_run_resumes_to_the_uninterrupted_result(tmp_path):
    whole, summary = trainer.train(TINY, str(tmp_path / "a"), _options())
    assert summary["step"] == 4 and summary["interrupted"] is None
    _check_run_directory(str(tmp_path / "a"), summary)
    logdir = str(tmp_path / "b")
    stopped, summary = trainer.train(
        TINY, logdir, _options(), callbacks=[_SendSignal()]
    )
    assert summary["interrupted"] == "SIGTERM" and summary["step"] == 2
    saved = sorted(os.listdir(os.path.join(logdir, "checkpoints")))
    assert saved == ["ckpt-2", "manifest.json"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    # Different from the whole run after 2 of its 4 steps...
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(_state(whole), _state(stopped), strict=True)
    )
    # ...and the same, bit for bit, once resumed to step 4: weights, key
    # network, queue, optimizer slots and the random stream.
    resumed, summary = trainer.train(TINY, logdir, _options())
    assert summary["step"] == 4 and int(resumed.optimizer.iterations) == 4
    for a, b in zip(_state(whole), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    loaded, config = runs.load_run(logdir)
    assert config["step"] == 4 and config["num_classes"] == 2
    for a, b in zip(loaded.weights, resumed.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Another run's settings are refused before anything is trained.
    with pytest.raises(ValueError, match="different run.*nda"):
        trainer.train(dict(TINY, nda="jigsaw"), logdir, _options())


def _check_run_directory(logdir, summary):
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
        whole, summary = trainer.train(
            config, str(tmp_path / "m"), _options(), strategy=mirrored
        )
        # 16 images, batch 8: one epoch is 2 steps; 16 keys in the queue.
        assert summary["step"] == 2
        assert int(whole.queue_pointer.numpy()) == 16
        assert np.isfinite(summary["logs"]["loss"])
        assert 0.0 <= summary["logs"]["knn_accuracy"] <= 1.0
        saved = runs.read_config(str(tmp_path / "m"))
        assert saved["num_classes"] == 10 and saved["num_examples"] == 16
        # Stopped after step 1 and resumed: shuffled batch norm across the
        # replicas, per-replica NDA draws and the distributed data stream
        # all continue where they were.
        logdir = str(tmp_path / "s")
        _, summary = trainer.train(
            config,
            logdir,
            _options(eval_every=1),
            callbacks=[_SendSignal(1)],
            strategy=mirrored,
        )
        assert summary["step"] == 1
        resumed, _ = trainer.train(
            config, logdir, _options(), strategy=mirrored
        )
    for a, b in zip(_state(whole), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="batch_size 7 must split evenly"):
        trainer.train(
            dict(config, batch_size=7),
            str(tmp_path / "n"),
            _options(),
            strategy=mirrored,
        )
    with pytest.raises(ValueError, match="jit does not compile"):
        trainer.train(
            dict(config, jit=True),
            str(tmp_path / "n"),
            _options(),
            strategy=mirrored,
        )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"temperature": 0.0}, "temperature must be > 0, received 0.0"),
        ({"nda": "jigsw"}, "unknown transform 'jigsw'"),
        ({"arch": "vgg"}, "unknown arch 'vgg'"),
        ({"stem": "tiny"}, "stem must be 'cifar' or 'imagenet'"),
        ({"queue_size": 4}, "queue_size 4 must hold a batch of 8"),
        ({"batch_size": 0}, "batch_size must be an int >= 1, received 0"),
        ({"steps": None}, "endless"),
        ({"shuffle": True}, "unknown configuration keys"),
    ],
)
def test_bad_settings_name_the_value(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        trainer.train(dict(TINY, **change), str(tmp_path), _options())


def test_bad_options_name_the_value():
    with pytest.raises(ValueError, match="knn_k must be an int >= 1, got 0"):
        _options(knn_k=0)
