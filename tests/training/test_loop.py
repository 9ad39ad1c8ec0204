"""The shared run loop, once where behaviour does not depend on the
recipe: evaluator frequencies, best checkpoint, run-directory layouts,
damaged checkpoints. Exact resume is each algorithm's contract case
(tests/contract.py); the tiny configurations of every recipe are here."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.contrastive.recipe import MOCO
from nda_tf.gan.recipe import GAN
from tests import contract

GAN_TINY = {
    "dataset": "dots(counts=(2,))",
    "arch": "sngan",
    "ch": 4,
    "z_dim": 8,
    "d_steps": 2,
    "batch_size": 4,
    "ema_start": 1,
    "steps": 4,
    "eval_every": 2,
    "num_grid_samples": 16,
    "eval_metrics": ["none"],
}
MOCO_TINY = {
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
    "eval_every": 2,
    "knn_k": 5,
    "knn_examples": 32,
}
PIX2PIX_TINY = {
    "dataset": "shapes(count=12, size=16)",
    "depth": 2,
    "filters": 4,
    "d_filters": 4,
    "d_layers": 1,
    "batch_size": 2,
    "steps": 4,
    "eval_every": 2,
    "eval_images": 4,
    "num_grid_images": 2,
}
DPC_TINY = {
    "dataset": "moving_shapes(videos=16,size=16,frames=8)",
    "arch": "small",
    "width": 2,
    "num_blocks": 3,
    "block_frames": 2,
    "pred_steps": 1,
    "stride": 1,
    "nda": "cutout",
    "batch_size": 4,
    "steps": 4,
    "eval_every": 2,
    "probe_videos": 0,  # the probe is tested on its own
}
VIDEO_FINETUNE_TINY = {
    "dataset": "moving_shapes(videos=16,size=16,frames=8)",
    "arch": "small",
    "width": 2,
    "num_blocks": 3,
    "block_frames": 2,
    "stride": 1,
    "dropout": 0.0,
    "batch_size": 4,
    "steps": 4,
    "eval_every": 2,
    "test_videos": 4,
    "test_clips": 1,
}
# The loop's helpers of the tests, from the contract.
options = contract.run_options
state = contract.run_state
send_sigterm_at = contract.send_sigterm_at


def test_each_evaluator_keeps_its_own_frequency_and_the_best_is_kept(
    tmp_path,
):
    calls = {"every1": [], "every2": []}
    fids = {1: 5.0, 2: 3.0, 3: 4.0}

    def fid(model, step):
        calls["every1"].append(step)
        return {"fid": fids[step]}

    def other(model, step):
        calls["every2"].append(step)

    logdir = str(tmp_path / "best")
    training.train(
        GAN,
        dict(GAN_TINY, steps=3, eval_every=100),
        logdir,
        options(best_metric="fid"),
        [training.Evaluator(fid, 1), training.Evaluator(other, 2)],
    )
    # Every step, and every second step plus the last one.
    assert calls == {"every1": [1, 2, 3], "every2": [2, 3]}
    best = os.listdir(os.path.join(logdir, "best"))
    assert sorted(n for n in best if n.startswith("ckpt-")) == ["ckpt-2"]
    gan, config = training.load_run(GAN, logdir, checkpoint="best")
    assert int(gan.step) == 2 and config["step"] == 2
    gan, config = training.load_run(GAN, logdir, checkpoint=3)
    assert int(gan.step) == 3
    with pytest.raises(ValueError, match="received 'ckpt-9'"):
        training.load_run(GAN, logdir, checkpoint="ckpt-9")


def test_a_run_directory_of_layout_0_resumes(tmp_path):
    """Runs written before the shared loop named the GAN's root `gan`."""
    logdir = str(tmp_path / "old")
    config = dict(GAN_TINY, steps=2)
    gan, _ = training.train(GAN, config, logdir, options())
    path = os.path.join(logdir, "checkpoints", "ckpt-2")
    tf.train.Checkpoint(gan=gan).write(os.path.join(path, "state"))
    with open(os.path.join(logdir, "config.json")) as file:
        saved = json.load(file)
    del saved["layout"], saved["recipe"]
    training.write_json_atomic(os.path.join(logdir, "config.json"), saved)
    resumed, summary = training.train(
        GAN, dict(config, steps=3), logdir, options()
    )
    assert summary["step"] == 3 and int(resumed.step) == 3
    # config.json is left as the old run wrote it: still layout 0.
    assert "layout" not in training.read_config(logdir)
    loaded, _ = training.load_run(GAN, logdir)
    assert int(loaded.step) == 3


def test_unreadable_layouts_and_other_runs_stop_with_one_line(tmp_path):
    logdir = str(tmp_path / "r")
    training.train(GAN, dict(GAN_TINY, steps=1), logdir, options())
    with pytest.raises(ValueError, match="different run.*nda"):
        training.train(
            GAN, dict(GAN_TINY, steps=2, nda="cutout"), logdir, options()
        )
    with pytest.raises(ValueError, match="holds a gan run.*not a moco run"):
        training.train(MOCO, MOCO_TINY, logdir, options())
    saved = training.read_config(logdir)
    training.write_json_atomic(
        os.path.join(logdir, "config.json"), dict(saved, layout=7)
    )
    with pytest.raises(ValueError, match="layout 7; this nda_tf reads"):
        training.load_run(GAN, logdir)


def test_bad_options_name_the_value():
    with pytest.raises(ValueError, match="save_every must be an int >= 1"):
        options(save_every=0)
    with pytest.raises(ValueError, match="best_mode must be"):
        options(best_mode="lowest")
    with pytest.raises(ValueError, match="every must be an int >= 1"):
        training.Evaluator(lambda model, step: None, 0)


def test_a_damaged_newest_checkpoint_falls_back_and_ends_the_same(tmp_path):
    whole, _ = training.train(
        GAN, GAN_TINY, str(tmp_path / "a"), options(save_every=2)
    )
    logdir = str(tmp_path / "b")
    training.train(GAN, GAN_TINY, logdir, options(save_every=2))
    newest = os.path.join(logdir, "checkpoints", "ckpt-4")
    for name in os.listdir(newest):
        if name.startswith("state.data"):
            with open(os.path.join(newest, name), "r+b") as file:
                file.truncate(16)
    # Step 4 is unreadable: the run restarts from step 2 and redoes 3 and 4.
    resumed, summary = training.train(
        GAN, dict(GAN_TINY, steps=4), logdir, options(save_every=2)
    )
    assert summary["step"] == 4
    for a, b in zip(state(whole), state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_recipe_without_its_required_hooks_cannot_be_made():
    class Half(training.Recipe):
        name = "half"

        def build(self, config, compile=True):
            return None

    # Python 3.12 quotes the method's name, 3.11 does not.
    with pytest.raises(TypeError, match="abstract method '?batches"):
        Half()
