"""Modules that moved keep their old names (`nda_tf.lazy.moved`): the
old name imports as the new module, and runs as the new program."""

import importlib
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# old name -> new module
MOVED = {
    "nda_tf.eval.pth": "nda_tf.io.pth",
    "nda_tf.experiments.real_study_report": "nda_tf.studies.real_study.report",
    "nda_tf.experiments.real_study_scores": "nda_tf.studies.real_study.scores",
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_name_is_the_new_module(old):
    new = importlib.import_module(MOVED[old])
    assert importlib.import_module(old) is new
    package, _, name = old.rpartition(".")
    assert getattr(__import__(package, fromlist=[name]), name) is new


def test_an_old_command_name_runs_the_command(tmp_path):
    out = tmp_path / "grid.png"
    process = subprocess.run(
        [sys.executable, "-m", "nda_tf.transforms.demo", f"--out={out}",
         "--size=16", "--transforms=jigsaw"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3"),
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]
    assert f"wrote {out}" in process.stdout
    assert out.read_bytes()[:4] == b"\x89PNG"
    # A bad value is answered in the new command's name.
    process = subprocess.run(
        [sys.executable, "-m", "nda_tf.transforms.demo", "--size=2"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3"),
        capture_output=True,
        text=True,
    )
    assert process.returncode == 1
    # (Running the old name first loads its package, nda_tf.transforms,
    # whose TensorFlow start-up lines come before.)
    error = "nda_tf.experiments.demo: error: size must be an int >= 6"
    assert error in process.stderr
