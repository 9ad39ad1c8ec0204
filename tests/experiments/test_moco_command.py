"""`python -m nda_tf.experiments.moco` and `linear_eval` as a user runs
them, in subprocesses."""

import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from nda_tf import training
from nda_tf.contrastive.recipe import MOCO
from nda_tf.data import images as image_ops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
TINY_FLAGS = [
    "--dataset=dots(counts=(1,2),size=16)",
    "--arch=small",
    "--width=4",
    "--nda=jigsaw",
    "--queue_size=32",
    "--projection_dim=8",
    "--hidden_dim=16",
    "--batch_size=8",
    "--bn_splits=1",
    "--save_every=2",
    "--eval_every=2",
    "--log_every=1",
    "--knn_k=5",
    "--knn_examples=32",
]


def _run(module, *flags, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", f"nda_tf.experiments.{module}", *flags],
        cwd=ROOT,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_train_export_and_linear_eval(tmp_path):
    logdir, exported = str(tmp_path / "run"), str(tmp_path / "export")
    process = _run(
        "moco",
        *TINY_FLAGS,
        "--steps=3",
        f"--logdir={logdir}",
        f"--export_dir={exported}",
    )
    assert process.returncode == 0, process.stderr[-2000:]
    assert "Done: 3 steps" in process.stdout
    assert "kNN accuracy" in process.stdout
    with open(os.path.join(logdir, "checkpoints", "manifest.json")) as file:
        steps = [e["step"] for e in json.load(file)["checkpoints"]]
    assert steps == [2, 3]
    # The SavedModel gives the checkpoint's encoder features from uint8.
    moco, config = training.load_run(MOCO, logdir)
    pixels = np.random.default_rng(0).integers(0, 256, [4, 16, 16, 3])
    pixels = pixels.astype(np.uint8)
    served = tf.saved_model.load(os.path.join(exported, "3"))
    embedding = served.signatures["serving_default"](images=pixels)
    expected = moco.encoder(image_ops.to_float(pixels), training=False)
    assert np.max(np.abs(embedding["embedding"] - expected)) < 1e-5

    process = _run(
        "linear_eval",
        f"--logdir={logdir}",
        "--num_train=64",
        "--num_test=32",
        "--epochs=3",
        "--lr=1",
    )
    assert process.returncode == 0, process.stderr[-2000:]
    with open(os.path.join(logdir, "linear_eval.json")) as file:
        summary = json.load(file)
    assert summary["step"] == 3 and summary["test_images"] == 32
    assert f"Linear top-1 {summary['test_top1']:.2f}%" in process.stdout


def test_a_bad_flag_exits_with_one_line_naming_it(tmp_path):
    process = _run(
        "moco",
        *TINY_FLAGS,
        "--steps=2",
        "--temperature=-1",
        f"--logdir={tmp_path}",
        timeout=120,
    )
    assert process.returncode == 1
    last = process.stderr.strip().splitlines()[-1]
    assert last == (
        "nda_tf.experiments.moco: error: temperature must be > 0, received -1.0"
    )
