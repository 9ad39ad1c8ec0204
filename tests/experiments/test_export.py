"""`python -m nda_tf.experiments.export` on a tiny trained run."""

import json

import numpy as np
import pytest
import tensorflow as tf
from absl import flags

from nda_tf import data, export, training
from nda_tf.experiments import cli
from nda_tf.experiments import export as export_cli
from nda_tf.gan.recipe import GAN
from nda_tf.training import CheckpointKeeper

CONFIG = {
    "dataset": "dots(counts=(3,), size=32)",
    "arch": "sngan",
    "ch": 4,
    "z_dim": 8,
    "d_steps": 1,
    "batch_size": 8,
    "steps": 4,
    "lam": 0.5,
    "nda": "jigsaw",
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder as the GAN trainer leaves it: config, checkpoint, eval.

    Written here with the trainer's own pieces (`GAN.resolve`,
    `GAN.build`, `CheckpointKeeper`) after a few `fit` steps.
    """
    logdir = tmp_path_factory.mktemp("run")
    ds, info = data.load(CONFIG["dataset"])
    config = GAN.resolve(CONFIG, info)
    gan = GAN.build(config)
    gan.fit(ds.batch(8), steps_per_epoch=4, verbose=0)
    (logdir / "config.json").write_text(json.dumps(config))
    keeper = CheckpointKeeper(
        str(logdir / "checkpoints"), tf.train.Checkpoint(gan=gan)
    )
    keeper.save(4)
    writer = tf.summary.create_file_writer(str(logdir / "eval"))
    with writer.as_default():
        tf.summary.scalar("eval_d_gap", 0.25, step=4)
    writer.flush()
    return logdir


def test_command_exports_both_models(run_dir, tmp_path, capsys):
    out = tmp_path / "serving"
    fv = flags.FlagValues()
    cli.define_flags(export_cli.OPTIONS, fv)
    fv(
        [
            "export",
            f"--logdir={run_dir}",
            f"--out={out}",
            "--num_calibration=40",
            "--calibration_split=train",
        ]
    )
    export_cli.main(fv)
    printed = capsys.readouterr().out
    detector = out / "nda_ood" / "1"
    generator = out / "nda_generator" / "1"
    assert f"discriminator: {detector}" in printed
    assert f"generator: {generator}" in printed
    meta = export.read_metadata(str(detector))
    config = json.loads((run_dir / "config.json").read_text())
    assert meta["run"]["config"] == config
    assert meta["run"]["transform"] == "jigsaw" and meta["run"]["lam"] == 0.5
    assert meta["run"]["step"] == 4
    assert meta["calibration"]["num_in_distribution"] == 40
    assert meta["run"]["evaluation"] == {
        "eval_d_gap": {"step": 4, "value": 0.25}
    }
    d = tf.saved_model.load(str(detector)).signatures["serving_default"]
    images = np.zeros([2, 50, 50, 3], np.uint8)
    assert d(images=tf.constant(images))["score"].shape == (2,)
    g = tf.saved_model.load(str(generator)).signatures["sample"]
    sample = g(num_images=tf.constant(3), seed=tf.constant(0, tf.int64))
    assert sample["images"].shape == (3, 32, 32, 3)


def test_export_run_arguments(run_dir, tmp_path):
    paths = export_cli.export_run(str(run_dir), str(tmp_path), ["generator"])
    assert list(paths) == ["generator"]
    with pytest.raises(ValueError, match="what must list"):
        export_cli.export_run(str(run_dir), str(tmp_path), ["critic"])
    with pytest.raises(ValueError, match="not a run directory"):
        export_cli.export_run(str(tmp_path), str(tmp_path), ["generator"])


def test_latest_scalars(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        for step, value in ((1, 5.0), (2, 3.5)):
            tf.summary.scalar("fid", value, step=step)
    writer.flush()
    assert training.latest_scalars(str(tmp_path)) == {
        "fid": {"step": 2, "value": 3.5}
    }
