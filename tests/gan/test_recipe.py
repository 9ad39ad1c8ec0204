"""The GAN training loop: resume, data sources, strategies, best, signals."""

import os
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf.gan import runs, trainer

TINY = {
    "dataset": "dots(counts=(2,))",
    "arch": "sngan",
    "ch": 4,
    "z_dim": 8,
    "d_steps": 2,
    "batch_size": 4,
    "ema_start": 1,
    "steps": 4,
}


def _options(**kwargs):
    base = {
        "save_every": 2,
        "eval_every": 2,
        "log_every": 1,
        "num_grid_samples": 16,
    }
    return trainer.RunOptions(progress=False, **{**base, **kwargs})


def _state(gan):
    variables = (
        gan.generator.weights
        + gan.discriminator.weights
        + gan.ema_generator.weights
        + gan.d_optimizer.variables
        + gan.g_optimizer.variables
        + [gan.rng_state, gan.step]
    )
    return [np.asarray(v) for v in variables]


def test_a_resumed_run_matches_an_uninterrupted_one(tmp_path):
    whole, _ = trainer.train(TINY, str(tmp_path / "a"), _options())
    trainer.train(dict(TINY, steps=2), str(tmp_path / "b"), _options())
    resumed, summary = trainer.train(TINY, str(tmp_path / "b"), _options())
    assert summary["step"] == 4 and int(resumed.step) == 4
    for a, b in zip(_state(whole), _state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("conditional", [False, True])
def test_mock_cifar10_trains_resumes_logs_and_loads(tmp_path, conditional):
    logdir = str(tmp_path / "run")
    config = dict(TINY, dataset="cifar10", conditional=conditional, steps=1)
    with tfds.testing.mock_data(num_examples=16):
        trainer.train(config, logdir, _options())
        _, summary = trainer.train(dict(config, steps=2), logdir, _options())
    assert summary["step"] == 2
    gan, saved = runs.load_run(logdir)
    classes = 10 if conditional else 1
    assert saved["num_classes"] == classes and gan.num_classes == classes
    assert int(gan.step) == 2
    assert os.path.isfile(os.path.join(logdir, "samples", "step_0000002.png"))
    tags = _event_tags(os.path.join(logdir, "train"))
    assert {"d_loss", "g_loss", "d_gap", "lr_g", "lr_d"} <= tags
    eval_tags = _event_tags(os.path.join(logdir, "eval"))
    assert {"ema_samples", "d_real", "d_nda", "d_real_minus_d_nda"} <= eval_tags
    labels = [0, 5, 9] if conditional else None
    images = gan.generate(3, labels=labels, seed=1)
    assert images.shape == (3, 32, 32, 3)


def _event_tags(folder):
    tags = set()
    for name in os.listdir(folder):
        for event in tf.compat.v1.train.summary_iterator(
            os.path.join(folder, name)
        ):
            tags |= {value.tag for value in event.summary.value}
    return tags


def test_two_replicas_train_and_a_bad_batch_is_refused(tmp_path, mirrored):
    strategy = mirrored
    gan, summary = trainer.train(
        dict(TINY, steps=2),
        str(tmp_path / "m"),
        _options(),
        strategy=strategy,
    )
    assert summary["step"] == 2
    assert keras.ops.convert_to_numpy(gan.step) == 2
    assert np.isfinite(summary["logs"]["d_loss"])
    with pytest.raises(ValueError, match="batch_size 5 is not divisible"):
        trainer.train(
            dict(TINY, batch_size=5),
            str(tmp_path / "n"),
            _options(),
            strategy=strategy,
        )


class _FakeMetric(keras.callbacks.Callback):
    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_train_batch_end(self, batch, logs=None):
        logs["fid"] = self.values[batch]


def test_the_best_checkpoint_follows_the_metric(tmp_path):
    logdir = str(tmp_path / "best")
    metric = _FakeMetric({1: 5.0, 2: 3.0, 3: 4.0})
    trainer.train(
        dict(TINY, steps=3),
        logdir,
        _options(eval_every=1, best_metric="fid"),
        callbacks=[metric],
    )
    names = [
        n
        for n in os.listdir(os.path.join(logdir, "best"))
        if n.startswith("ckpt-")
    ]
    assert names == ["ckpt-2"]
    gan, _ = runs.load_run(logdir, checkpoint="best")
    assert int(gan.step) == 2


class _SendSignal(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_saves_and_stops_then_the_run_resumes(tmp_path):
    logdir = str(tmp_path / "sig")
    options = _options(save_every=100)
    gan, summary = trainer.train(
        dict(TINY, steps=6), logdir, options, callbacks=[_SendSignal()]
    )
    assert summary["interrupted"] == "SIGTERM" and summary["step"] == 2
    assert os.path.isdir(os.path.join(logdir, "checkpoints", "ckpt-2"))
    # The handler is gone again: the test process keeps its own.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    gan, summary = trainer.train(dict(TINY, steps=3), logdir, options)
    assert summary["step"] == 3 and summary["interrupted"] is None


def test_pda_with_probability_one_transforms_every_real_image():
    images = tf.random.uniform([4, 8, 8, 3], -1, 1, seed=0)
    labels = tf.range(4)
    dataset = tf.data.Dataset.from_tensors((images, labels))
    config = {"pda": "vertical_flip(probability=1.0)", "seed": 0}
    flipped, _ = next(
        iter(trainer._with_pda(dataset, dict(config, pda_probability=1.0), 0))
    )
    np.testing.assert_array_equal(flipped, images[:, ::-1])
    kept, _ = next(
        iter(trainer._with_pda(dataset, dict(config, pda_probability=0.0), 0))
    )
    np.testing.assert_array_equal(kept, images)


def test_a_logdir_of_another_run_is_refused(tmp_path):
    logdir = str(tmp_path / "r")
    trainer.train(dict(TINY, steps=1), logdir, _options())
    with pytest.raises(ValueError, match="different run.*nda"):
        trainer.train(dict(TINY, steps=2, nda="cutout"), logdir, _options())


def test_a_folder_of_images_trains(tmp_path):
    rng = np.random.default_rng(0)
    for index in range(6):
        pixels = rng.integers(0, 255, [40, 36, 3], dtype=np.uint8)
        tf.io.write_file(
            str(tmp_path / f"{index}.png"), tf.io.encode_png(pixels)
        )
    config = dict(TINY, dataset=f"folder:{tmp_path}", resolution=32, steps=1)
    gan, summary = trainer.train(config, str(tmp_path / "run"), _options())
    assert summary["step"] == 1
    assert runs.read_config(str(tmp_path / "run"))["num_examples"] == 6


def test_bad_settings_name_the_value(tmp_path):
    with pytest.raises(ValueError, match="lam must be in"):
        trainer.train(dict(TINY, lam=0.0), str(tmp_path), _options())
    with pytest.raises(ValueError, match="unknown transform 'jigsw'"):
        trainer.train(dict(TINY, nda="jigsw"), str(tmp_path), _options())
    with pytest.raises(ValueError, match="endless"):
        trainer.train(dict(TINY, steps=None), str(tmp_path), _options())
    with pytest.raises(ValueError, match="needs labels"):
        trainer.train(
            dict(TINY, conditional=True, dataset="dots"),
            str(tmp_path),
            _options(),
        )
