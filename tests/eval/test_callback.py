"""The evaluation callback during NDAGAN training."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from nda_tf.eval import EvaluationCallback, backbones, pipeline
from nda_tf.eval.callback import describe
from nda_tf.gan import NDAGAN
from tests.gan import tiny


def _extractor():
    inputs = keras.Input((tiny.SIZE, tiny.SIZE, 3))
    features = keras.layers.Flatten()(keras.layers.AveragePooling2D(2)(inputs))
    return backbones.KerasFeatureExtractor(
        keras.Model(inputs, features), name="pooled_pixels"
    )


def _gan():
    gan = NDAGAN(
        tiny.generator(),
        tiny.discriminator(),
        nda="jigsaw",
        d_steps=1,
        z_dim=4,
        seed=0,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-2),
        g_optimizer=keras.optimizers.Adam(1e-2),
    )
    return gan


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(dict(logs))


def test_writes_metrics_to_logs_and_tensorboard(tmp_path):
    gan, extractor = _gan(), _extractor()
    # The reference is the generator's own samples under the callback's
    # seeds: before training, FID and KID against it are zero.
    starts = iter(range(0, 48, 16))
    reference = pipeline.compute_statistics(
        lambda size: gan.generate(size, seed=3 + next(starts)),
        extractor,
        48,
        batch_size=16,
        progress=False,
    )
    callback = EvaluationCallback(
        reference,
        extractor,
        every_n_steps=2,
        num_samples=48,
        batch_size=16,
        seed=3,
        logdir=tmp_path / "eval",
        kid_subset_size=48,
        metrics=("fid", "kid", "precision", "coverage"),
        protocol_path=tmp_path / "protocol.json",
    )
    callback.set_model(gan)
    before = callback.evaluate()
    # (Unbiased KID of a set against itself is only near 0.)
    assert abs(before["fid"]) < 1e-6 and abs(before["kid"]) < 1e-2
    # Every generated vector is a real one: inside its ball, and each real
    # ball holds its own twin.
    assert before["precision"] == before["coverage"] == 1.0
    assert json.loads((tmp_path / "protocol.json").read_text()) == {
        "backbone": "pooled_pixels",
        "protocol": extractor.describe(),
        "generated": 48,
        "reference": 48,
        "reference_set": None,
        "sampling": "moving batch-norm statistics",
        "metrics": ["fid", "kid", "precision", "coverage"],
    }
    assert callback.evaluate() == before  # fixed seeds: same images

    recorder = _Recorder()
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1))
    dataset = tf.data.Dataset.from_tensor_slices(images.astype("float32"))
    gan.fit(
        dataset.repeat().batch(8),
        shuffle=False,
        steps_per_epoch=4,
        epochs=1,
        verbose=0,
        callbacks=[callback, recorder],
    )
    # Steps 2 and 4 are evaluated; the next callback sees the metrics.
    assert [step for step, _ in callback.history] == [2, 4]
    assert "fid" not in recorder.seen[0] and "fid" in recorder.seen[1]
    after = callback.history[1][1]
    assert after["fid"] > 1e-3 and after["kid"] > before["kid"]  # G moved
    assert recorder.seen[3]["fid"] == after["fid"]

    events = event_accumulator.EventAccumulator(
        str(tmp_path / "eval"), size_guidance={"tensors": 0}
    )
    events.Reload()
    assert {"eval/fid", "eval/kid", "eval/kid_std"} <= set(
        events.Tags()["tensors"]
    )
    protocol = events.Tensors("eval/protocol")
    assert [e.step for e in protocol] == [2, 4]
    text = tf.make_ndarray(protocol[0].tensor_proto).item().decode()
    assert text.startswith(
        "48 generated images (moving batch-norm statistics) vs 48 "
        "reference images"
    )
    assert "pooled_pixels" in text
    fids = events.Tensors("eval/fid")
    assert [e.step for e in fids] == [2, 4]
    assert float(tf.make_ndarray(fids[1].tensor_proto)) == pytest.approx(
        callback.history[1][1]["fid"], rel=1e-6
    )


def test_the_protocol_says_how_a_gan_sampled():
    extractor = _extractor()
    stats = pipeline.compute_statistics(
        np.zeros((4, 8, 8, 3), "float32"), extractor, 4, progress=False
    )
    callback = EvaluationCallback(stats, extractor, every_n_steps=1)
    gan = _gan()
    gan.sample_stats_batch = 8
    protocol = callback.protocol(4, gan)
    assert protocol["sampling"] == "batch-norm statistics of each batch of 8"
    assert "4 generated images (batch-norm statistics of each batch of 8)" in (
        describe(protocol)
    )
    # A model that is not a GAN has no such setting.
    assert callback.protocol(4, keras.Sequential())["sampling"] is None


def test_checks_its_arguments(tmp_path):
    extractor = _extractor()
    stats = pipeline.compute_statistics(
        np.zeros((4, 8, 8, 3), "float32"),
        extractor,
        4,
        keep_features=False,
        progress=False,
    )
    with pytest.raises(ValueError, match="fid, kid need reference"):
        EvaluationCallback(stats, extractor, every_n_steps=1)
    with pytest.raises(ValueError, match="every_n_steps must be an int >= 1"):
        EvaluationCallback(stats, extractor, every_n_steps=0, metrics="fid")
    with pytest.raises(ValueError, match="no statistics file"):
        EvaluationCallback(tmp_path / "none.npz", extractor, 1)


def test_selects_the_best_checkpoint_in_the_gan_trainer(tmp_path):
    from nda_tf import data, training
    from nda_tf.gan.recipe import GAN

    inputs = keras.Input((32, 32, 3))
    pooled = keras.layers.Flatten()(keras.layers.AveragePooling2D(8)(inputs))
    extractor = backbones.KerasFeatureExtractor(
        keras.Model(inputs, pooled), name="pooled_8x8"
    )
    real, _ = data.load("dots(counts=(2,))")
    reference = pipeline.compute_statistics(
        real, extractor, 64, batch_size=32, progress=False
    )
    callback = EvaluationCallback(
        reference,
        extractor,
        every_n_steps=1,
        num_samples=32,
        batch_size=32,
        kid_subset_size=32,
        logdir=tmp_path / "run" / "eval",
    )
    config = {
        "dataset": "dots(counts=(2,))",
        "arch": "sngan",
        "ch": 4,
        "z_dim": 8,
        "d_steps": 1,
        "batch_size": 4,
        "ema_start": 0,
        "steps": 3,
        "lr_g": 0.02,
        "lr_d": 0.02,
    }
    config.update(eval_every=100, num_grid_samples=4, eval_metrics=["none"])
    options = training.RunOptions(
        save_every=10, log_every=1, best_metric="fid", progress=False
    )
    fids = {}

    def fid(gan, step):
        fids[step] = callback.evaluate(gan)
        return fids[step]

    logdir = str(tmp_path / "run")
    training.train(GAN, config, logdir, options, [training.Evaluator(fid, 1)])
    values = [fids[step]["fid"] for step in (1, 2, 3)]
    assert sorted(fids) == [1, 2, 3] and len(set(values)) == 3
    best, _ = training.load_run(GAN, logdir, checkpoint="best")
    assert int(best.step) == 1 + int(np.argmin(values))


def test_a_gan_with_batch_statistics_is_sampled_in_whole_batches():
    gan, extractor = _gan(), _extractor()
    gan.sample_stats_batch = 8
    drawn = []
    generate = gan.generate

    def recording(count, **kwargs):
        drawn.append(count)
        return generate(count, **kwargs)

    gan.generate = recording
    # The callback's images are the stream of seed 3: 16 from seed 3, then
    # 8 from seed 3 + 16 (24 drawn, not 2 x 16 for batches of 12).
    stream = np.concatenate([generate(16, seed=3), generate(8, seed=3 + 16)])
    reference = pipeline.compute_statistics(
        stream, extractor, 24, batch_size=12, progress=False
    )
    callback = EvaluationCallback(
        reference,
        extractor,
        every_n_steps=1,
        num_samples=24,
        batch_size=12,
        seed=3,
        metrics=["fid"],
    )
    drawn.clear()
    assert abs(callback.evaluate(gan)["fid"]) < 1e-3
    assert drawn == [16, 8]
