"""`python -m nda_tf.experiments.pix2pix` as a user runs it: flags made
from the recipe's options, a short run with export, a bad value's line."""

import os
import subprocess
import sys

import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def run(*flags):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, "-m", "nda_tf.experiments.pix2pix", *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_short_run_trains_scores_and_exports(tmp_path):
    logdir, serving = tmp_path / "run", tmp_path / "serving"
    done = run(
        "--dataset=shapes(count=8, size=16)",
        "--depth=2",
        "--filters=4",
        "--d_filters=4",
        "--d_layers=1",
        "--batch_size=2",
        "--steps=2",
        "--eval_every=2",
        "--eval_images=4",
        "--nda=jigsaw",
        "--joint_nda",
        "--loss=l1_cgan",
        f"--logdir={logdir}",
        f"--export_dir={serving}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Done: 2 steps" in done.stdout
    assert "Exported the translator" in done.stdout
    version = serving / "nda_pix2pix" / "2"
    serve = tf.saved_model.load(str(version)).signatures["serving_default"]
    out = serve(images=tf.zeros([1, 16, 16, 3], tf.uint8))["images"]
    assert out.shape == (1, 16, 16, 3)


def test_a_bad_value_ends_with_one_line_naming_it(tmp_path):
    done = run("--dataset=shapes(count=8, size=16)", "--depth=5", "--steps=1")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "nda_tf.experiments.pix2pix: error: a U-Net of depth 5 needs an "
        "image size divisible by 2**5 = 32; received 16"
    )
