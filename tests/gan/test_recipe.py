"""The GAN recipe on the run loop: data sources, logs, PDA, strategies,
settings. Resume, signals and the best checkpoint: tests/training."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from nda_tf import training
from nda_tf.gan import recipe
from nda_tf.gan.recipe import GAN
from tests.training.test_loop import GAN_TINY as TINY
from tests.training.test_loop import options


@pytest.mark.parametrize("conditional", [False, True])
def test_mock_cifar10_trains_resumes_logs_and_loads(tmp_path, conditional):
    logdir = str(tmp_path / "run")
    config = dict(TINY, dataset="cifar10", conditional=conditional, steps=1)
    with tfds.testing.mock_data(num_examples=16):
        training.train(GAN, config, logdir, options())
        _, summary = training.train(
            GAN, dict(config, steps=2), logdir, options()
        )
    assert summary["step"] == 2
    gan, saved = training.load_run(GAN, logdir)
    classes = 10 if conditional else 1
    assert saved["num_classes"] == classes and gan.num_classes == classes
    assert int(gan.step) == 2
    assert os.path.isfile(os.path.join(logdir, "samples", "step_0000002.png"))
    tags = _event_tags(os.path.join(logdir, "train"))
    assert {"d_loss", "g_loss", "d_gap", "lr_g", "lr_d"} <= tags
    eval_tags = _event_tags(os.path.join(logdir, "eval"))
    assert {"ema_samples", "d_real", "d_nda", "d_real_minus_d_nda"} <= eval_tags
    assert "eval_d_gap" in eval_tags
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
    gan, summary = training.train(
        GAN,
        dict(TINY, steps=2),
        str(tmp_path / "m"),
        options(),
        strategy=mirrored,
    )
    assert summary["step"] == 2
    assert keras.ops.convert_to_numpy(gan.step) == 2
    assert np.isfinite(summary["logs"]["d_loss"])
    with pytest.raises(ValueError, match="batch_size 5 is not divisible"):
        training.train(
            GAN,
            dict(TINY, batch_size=5),
            str(tmp_path / "n"),
            options(),
            strategy=mirrored,
        )


def test_pda_with_probability_one_transforms_every_real_image():
    images = tf.random.uniform([4, 8, 8, 3], -1, 1, seed=0)
    labels = tf.range(4)
    dataset = tf.data.Dataset.from_tensors((images, labels))
    config = {"pda": "vertical_flip(probability=1.0)", "seed": 0}
    flipped, _ = next(
        iter(recipe.with_pda(dataset, dict(config, pda_probability=1.0), 0))
    )
    np.testing.assert_array_equal(flipped, images[:, ::-1])
    kept, _ = next(
        iter(recipe.with_pda(dataset, dict(config, pda_probability=0.0), 0))
    )
    np.testing.assert_array_equal(kept, images)


def test_a_folder_of_images_trains(tmp_path):
    rng = np.random.default_rng(0)
    for index in range(6):
        pixels = rng.integers(0, 255, [40, 36, 3], dtype=np.uint8)
        tf.io.write_file(
            str(tmp_path / f"{index}.png"), tf.io.encode_png(pixels)
        )
    config = dict(TINY, dataset=f"folder:{tmp_path}", resolution=32, steps=1)
    _, summary = training.train(GAN, config, str(tmp_path / "run"), options())
    assert summary["step"] == 1
    assert training.read_config(str(tmp_path / "run"))["num_examples"] == 6


def test_epochs_give_the_step_count():
    info = type("Info", (), {"resolution": 8, "num_examples": 1000,
                             "num_classes": 1, "name": "x"})  # fmt: skip
    # 500 epochs of 1000 images, 4 D steps of 64 per G step.
    assert GAN.resolve({}, info)["steps"] == -(-500 * 1000 // 256)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"lam": 0.0}, r"lam must be in \(0, 1\], received 0.0"),
        ({"nda": "jigsw"}, "unknown transform 'jigsw'"),
        ({"steps": None}, "endless"),
        ({"conditional": True, "dataset": "dots"}, "needs labels"),
        ({"arch": "vgg"}, "unknown arch 'vgg'"),
        ({"loss": "l2"}, "unknown loss 'l2'"),
        ({"d_steps": True}, "d_steps must be an int >= 1, received True"),
        ({"eval_metrics": ["fdi"]}, "unknown eval_metrics 'fdi'"),
        ({"shuffle": True}, "unknown configuration keys"),
    ],
)
def test_bad_settings_name_the_value(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        training.train(GAN, dict(TINY, **change), str(tmp_path), options())
