"""The Pix2Pix recipe: a short run learns, its translator exports, its
settings are checked. (Exact resume: tests/training/test_loop.py.)"""

import os

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import export, training
from nda_tf.data import paired
from nda_tf.eval import segmentation
from nda_tf.studies.paper import numbers as paper
from nda_tf.studies.paper import tables as gather
from nda_tf.translation.recipe import PIX2PIX, sample_grid

SHAPES = "shapes(count=400, size=32)"
LEARN = {
    "dataset": SHAPES,
    "filters": 8,
    "d_filters": 8,
    "batch_size": 8,
    "steps": 240,
    "lr": 1e-3,
    # cGAN alone: stable in all six shapes-study runs (L1 + cGAN at this
    # rate collapsed once in three plain runs; experiments/RESULTS.md).
    "loss": "cgan",
    "nda": "jigsaw",
    "eval_every": 240,
    "eval_images": 200,
    "num_grid_images": 4,
}


def run_options():
    return training.RunOptions(save_every=1000, log_every=60, progress=False)


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("p2p"))
    model, summary = training.train(PIX2PIX, LEARN, logdir, run_options())
    return model, summary, logdir


def test_a_short_run_on_shapes_beats_a_constant_prediction(learned):
    model, summary, logdir = learned
    val = paired.read_pairs(SHAPES, split="val")
    constant = segmentation.scores(
        segmentation.confusion(np.zeros_like(val.ids[:200]), val.ids[:200], 4)
    )["miou"]
    assert constant < 0.25
    logs = summary["logs"]
    assert logs["miou"] > constant + 0.25, logs
    assert logs["pixel_accuracy"] > 0.85 and "d_nda" in logs
    grid = os.path.join(logdir, "samples", "step_0000240.png")
    image = tf.io.decode_png(tf.io.read_file(grid))
    assert image.shape == (4 * 32, 3 * 32, 3)


def test_the_translator_exports_with_parity_and_checks_sizes(learned, tmp_path):
    model, _, logdir = learned
    paths = training.export_run(
        PIX2PIX, logdir, str(tmp_path), version=3, overwrite=True
    )
    path = paths["translator"]
    assert path.endswith(os.path.join("nda_pix2pix", "3"))
    metadata = export.read_metadata(path)
    assert metadata["kind"] == "nda_pix2pix" and metadata["depth"] == 5
    # Parity with the generator, dropout off on both sides.
    from nda_tf.models import pix2pix

    pix2pix.set_inference_dropout(model.generator, False)
    served = export.Translator(model.generator, dropout=False)
    folder = export.export_translator(
        model.generator, str(tmp_path), "plain", dropout=False
    )
    serve = tf.saved_model.load(folder).signatures["serving_default"]
    images = paired.read_pairs(SHAPES, split="test").condition[:3]
    out = serve(images=tf.constant(images))["images"].numpy()
    expected = model.generator(images / 127.5 - 1.0, training=False)
    expected = np.round((np.clip(expected, -1, 1) + 1) * 127.5)
    assert out.dtype == np.uint8 and out.shape == images.shape
    assert np.abs(out.astype(int) - expected).max() <= 1
    assert np.mean(out == expected) > 0.99
    assert served.depth == 5
    with pytest.raises(tf.errors.InvalidArgumentError, match="divisible by 32"):
        serve(images=tf.zeros([1, 48, 32, 3], tf.uint8))


def test_the_gatherer_tabulates_pix2pix_runs_beside_table_4(learned):
    _, _, logdir = learned
    table = gather.pix2pix_markdown([gather.pix2pix_row(logdir)])
    row = table.splitlines()[2]
    assert "| cgan | jigsaw | 0.25 |" in row and "240/240" in row
    config = {
        "dataset": "cityscapes",
        "loss": "cgan",
        "nda": "jigsaw",
        "lam": 0.25,
    }
    assert paper.pix2pix_paper(config) == (0.84, 0.34, 0.28)


def test_settings_are_checked_before_any_step():
    with pytest.raises(ValueError, match=r"2\*\*6 = 64; received 32"):
        training.train(PIX2PIX, {**LEARN, "depth": 6}, "/nonexistent/x")
    with pytest.raises(ValueError, match="decay_epochs 300 exceeds epochs"):
        PIX2PIX.resolve({"decay_epochs": 300})
    resolved = PIX2PIX.resolve({})
    assert (resolved["batch_size"], resolved["lr"], resolved["beta_1"]) == (
        1,
        2e-4,
        0.5,
    )


def test_sample_grid_puts_each_set_in_a_column():
    a = np.zeros([3, 2, 2, 3], np.uint8)
    b = np.ones([3, 2, 2, 3], np.float32)
    grid = sample_grid([a, b], 2)
    assert grid.shape == (4, 4, 3)
    assert grid[:, :2].max() == 0 and grid[:, 2:].min() == 255


def test_the_evaluation_command_scores_a_run_and_draws_figure_7(
    learned, tmp_path
):
    from nda_tf.experiments import pix2pix_eval

    _, summary, logdir = learned
    scores, generated, pairs, count = pix2pix_eval.score_run(
        logdir, "val", 200, dropout=False
    )
    assert count == 200 and generated.shape == (200, 32, 32, 3)
    # The in-loop evaluator scored the same pairs with dropout on.
    assert abs(scores["miou"] - summary["logs"]["miou"]) < 0.05
    path = str(tmp_path / "fig" / "figure7.png")
    grid = pix2pix_eval.figure7(path, pairs, [generated, generated], 3)
    assert grid.shape == (3 * 32, 4 * 32, 3)
    assert tf.io.decode_png(tf.io.read_file(path)).shape == grid.shape
    assert any(n.startswith("events.") for n in os.listdir(tmp_path / "fig"))


def test_the_learning_rate_is_constant_then_decays_linearly_to_zero():
    from nda_tf.translation.recipe import LinearDecay

    decay = LinearDecay(1.0, 5, 10)
    values = [float(decay(step)) for step in (0, 5, 6, 9, 10, 12)]
    np.testing.assert_allclose(values, [1, 1, 0.8, 0.2, 0, 0], atol=1e-6)
    # Paper: 200 epochs, the last 100 decaying: half the steps.
    from nda_tf.translation.recipe import _adam

    schedule = _adam(PIX2PIX.resolve({"steps": 1000}), "g")._learning_rate
    assert (schedule.start, schedule.end, schedule.rate) == (500, 1000, 2e-4)
