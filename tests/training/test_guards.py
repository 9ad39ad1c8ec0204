"""The loop's guards: divergence stops a run (or skips the step) and never
costs a finite checkpoint."""

import os

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.gan.recipe import GANRecipe
from tests.training.test_loop import GAN, GAN_TINY, options


class NaNBatchGAN(GANRecipe):
    """The GAN recipe whose batch of step `bad` (1-based) holds a NaN
    image, as a corrupt example would."""

    bad = 3

    def batches(self, model, c, stream, start):
        def poison(index, batch):
            images, labels = batch
            nan = tf.fill(tf.shape(images), float("nan"))
            hit = tf.equal(index, self.bad - 1)
            return tf.where(hit, nan, images), labels

        found = super().batches(model, c, stream, start)
        return found.enumerate(start).map(poison)


def _finite(recipe, logdir, step):
    model, _ = training.load_run(recipe, logdir, checkpoint=step)
    return all(np.all(np.isfinite(np.asarray(w))) for w in model.weights)


def test_huge_learning_rates_stop_at_the_first_step_saving_nothing(tmp_path):
    logdir = str(tmp_path / "huge")
    config = dict(GAN_TINY, lr_d=1e30, lr_g=1e30)
    with pytest.raises(
        training.DivergenceError,
        match=r"diverged: non-finite values after step 1: d_loss nan.*"
        r"weight variables.*no checkpoint was written before it",
    ) as error:
        training.train(GAN, config, logdir, options(save_every=1))
    assert "\n" not in str(error.value)
    assert not os.path.exists(os.path.join(logdir, "checkpoints"))


def test_a_nan_step_stops_the_run_and_keeps_the_finite_checkpoints(tmp_path):
    recipe, logdir = NaNBatchGAN(), str(tmp_path / "nan")
    config = dict(GAN_TINY, steps=5)
    with pytest.raises(
        training.DivergenceError,
        match=r"after step 3: .*weight variables.*finite checkpoint, "
        r"step 2, is kept in .*checkpoints",
    ):
        training.train(recipe, config, logdir, options(save_every=1, keep=2))
    kept = sorted(os.listdir(os.path.join(logdir, "checkpoints")))
    assert kept == ["ckpt-1", "ckpt-2", "manifest.json"]
    assert _finite(recipe, logdir, 1) and _finite(recipe, logdir, 2)


def test_a_skipped_nan_step_is_undone_and_the_run_goes_on(tmp_path, caplog):
    recipe, logdir = NaNBatchGAN(), str(tmp_path / "skip")
    config = dict(GAN_TINY, steps=4)
    caplog.set_level("WARNING", "nda_tf")
    gan, summary = training.train(
        recipe, config, logdir, options(on_nonfinite="skip")
    )
    assert summary["step"] == 4 and np.isfinite(summary["logs"]["d_loss"])
    # The model counts the three steps it learned from.
    assert int(gan.step) == 3
    assert _finite(recipe, logdir, 4)
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.msg]
    assert [m[:15] for m in skipped] == ["skipped step 3:"]


def test_a_run_that_keeps_diverging_stops_even_when_skipping(tmp_path):
    config = dict(GAN_TINY, lr_d=1e30, steps=20)
    with pytest.raises(training.DivergenceError, match="10 bad steps in a"):
        training.train(
            GAN, config, str(tmp_path / "s"), options(on_nonfinite="skip")
        )


def test_an_unknown_action_is_named():
    with pytest.raises(ValueError, match="on_nonfinite must be one of"):
        options(on_nonfinite="ignore")


def test_export_refuses_nan_weights_in_one_line(tmp_path):
    import keras

    from nda_tf import export

    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    kernel = net.layers[0].kernel
    kernel.assign(np.where(np.eye(4, 2) > 0, np.nan, kernel.numpy()))
    for call, what in (
        (lambda: export.export_generator(net, 4, str(tmp_path)), "generator"),
        (
            lambda: export.export_ood_detector(
                net, 8, np.zeros([2, 8, 8, 3], "uint8"), str(tmp_path)
            ),
            "discriminator",
        ),
    ):
        with pytest.raises(ValueError, match=f"the {what} has NaN") as error:
            call()
        assert "in 1 of 2 variables (first: " in str(error.value)
        assert "\n" not in str(error.value)
    assert os.listdir(tmp_path) == []


def test_export_command_refuses_a_moco_run_with_nan_weights(
    tmp_path, monkeypatch
):
    from nda_tf.contrastive.recipe import MOCO
    from nda_tf.training import run_directory
    from tests.training.test_loop import MOCO_TINY

    logdir = str(tmp_path / "run")
    training.train(MOCO, dict(MOCO_TINY, steps=1), logdir, options())
    load_run = run_directory.load_run

    def load_diverged(*args, **kwargs):
        model, config = load_run(*args, **kwargs)
        weight = model.encoder.trainable_weights[0]
        weight.assign(tf.fill(weight.shape, float("nan")))
        return model, config

    monkeypatch.setattr(run_directory, "load_run", load_diverged)
    out = str(tmp_path / "serving")
    with pytest.raises(ValueError, match="the moco model has NaN"):
        training.export_run(MOCO, logdir, out, what=["encoder"])
    assert not os.path.exists(out) or os.listdir(out) == []
