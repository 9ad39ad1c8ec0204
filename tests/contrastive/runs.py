"""MoCo run directories without and with NDA for the tools that read
runs (linear evaluation, Figure 9)."""

import os

import keras
import tensorflow as tf

from nda_tf.contrastive.recipe import MOCO
from nda_tf.data import DatasetInfo
from nda_tf.training import CheckpointKeeper, write_json_atomic
from tests.training.test_loop import MOCO_TINY as TINY


def two_runs(root):
    """Run directories without and with NDA (jigsaw), saved at step 2.

    Their weights are freshly initialised (seeds 0 and 1), not trained: the
    tools read runs through `load_run` whatever the weights are, and the
    trained path is covered by tests/experiments/test_moco_command.py.
    Skipping the training keeps these tests fast.
    """
    info = DatasetInfo(TINY["dataset"], 2, 16, None)
    logdirs = {}
    for seed, nda in enumerate(("none", "jigsaw")):
        logdirs[nda] = str(root / nda)
        config = MOCO.resolve(dict(TINY, nda=nda, seed=seed), info)
        write_json_atomic(os.path.join(logdirs[nda], "config.json"), config)
        keras.utils.set_random_seed(seed)
        moco = MOCO.build(config, compile=False)
        state = tf.train.Checkpoint(model=moco)
        CheckpointKeeper(os.path.join(logdirs[nda], "checkpoints"), state).save(
            2
        )
    return logdirs
