"""Runs of layouts 0 and 1 with a BigGAN discriminator stop with one line:
their D had no projection term when unconditional and another embedding
spectral norm, so their checkpoints do not fit the current network."""

import os

import pytest

from nda_tf import training
from nda_tf.gan.recipe import GAN

TINY = {
    "dataset": "dots(counts=(2,))",
    "arch": "biggan",
    "ch": 1,
    "z_dim": 8,
    "d_steps": 1,
    "batch_size": 2,
    "steps": 1,
    "num_grid_samples": 4,
    "eval_metrics": ["none"],
}


def test_an_old_biggan_run_is_refused_with_one_line(tmp_path):
    logdir = str(tmp_path / "run")
    options = training.RunOptions(save_every=100, progress=False)
    training.train(GAN, TINY, logdir, options)
    model, config = training.load_run(GAN, logdir)
    assert config["layout"] == training.LAYOUT == 2
    saved = training.read_config(logdir)
    for layout in (0, 1):
        if layout:
            saved["layout"] = layout
        else:
            del saved["layout"], saved["recipe"]
        training.write_json_atomic(os.path.join(logdir, "config.json"), saved)
        message = f"BigGAN run has run-directory layout {layout}, written"
        with pytest.raises(ValueError, match=message) as error:
            training.load_run(GAN, logdir)
        assert "\n" not in str(error.value)
        with pytest.raises(ValueError, match=message):
            training.train(GAN, dict(TINY, steps=2), logdir, options)
