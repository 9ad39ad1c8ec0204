"""`python -m nda_tf.experiments.gan` as a user runs it, in subprocesses
(and in-process where a signal must land at one exact point)."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

from nda_tf import training
from nda_tf.gan.recipe import GAN

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
TINY_FLAGS = [
    "--dataset=dots(counts=(2,))",
    "--arch=sngan",
    "--ch=4",
    "--z_dim=8",
    "--d_steps=2",
    "--batch_size=4",
    "--ema_start=1",
    "--save_every=2",
    "--eval_every=1000",
    "--log_every=1",
    "--eval_metrics=none",
]


def _command(logdir, steps):
    return [
        sys.executable,
        "-m",
        "nda_tf.experiments.gan",
        *TINY_FLAGS,
        f"--steps={steps}",
        f"--logdir={logdir}",
    ]


def _start(logdir, steps, *extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.Popen(
        [*_command(logdir, steps), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _saved_steps(logdir):
    try:
        with open(os.path.join(logdir, "checkpoints", "manifest.json")) as f:
            return [e["step"] for e in json.load(f)["checkpoints"]]
    except (OSError, ValueError):
        return []


def _weights(logdir):
    gan, _ = training.load_run(GAN, logdir)
    models = (gan.generator, gan.discriminator, gan.ema_generator)
    return [np.asarray(w) for m in models for w in m.weights]


def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    steps = 30
    whole, killed = str(tmp_path / "whole"), str(tmp_path / "killed")
    serving = str(tmp_path / "serving")
    reference = _start(whole, steps, f"--export_dir={serving}")
    victim = _start(killed, steps)
    deadline = time.monotonic() + 240
    while not _saved_steps(killed) and time.monotonic() < deadline:
        assert victim.poll() is None, victim.communicate()[1][-2000:]
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    stopped_at = max(_saved_steps(killed))
    assert 2 <= stopped_at < steps, "the run ended before it was killed"
    resumed = _start(killed, steps)
    for process in (reference, resumed):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
    assert f"Done: {steps} steps" in out
    assert max(_saved_steps(killed)) == steps
    for a, b in zip(_weights(whole), _weights(killed), strict=True):
        np.testing.assert_array_equal(a, b)
    samples = os.listdir(os.path.join(killed, "samples"))
    assert samples == [f"step_{steps:07d}.png"]
    # --export_dir: both models, versioned by the final step, for Serving.
    for model in ("nda_ood", "nda_generator"):
        version = os.path.join(serving, model, str(steps))
        assert os.path.isfile(os.path.join(version, "saved_model.pb"))


def test_fid_and_kid_during_training_pick_the_best_checkpoint(tmp_path):
    logdir = str(tmp_path / "fid")
    process = subprocess.run(
        [
            *_command(logdir, 4),
            "--eval_metrics=fid,kid",
            "--eval_backbone=efficientnet_lite0",
            "--eval_num_samples=24",
            "--eval_every=2",
            f"--eval_cache_dir={tmp_path / 'cache'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    with open(os.path.join(logdir, "best", "manifest.json")) as file:
        best = json.load(file)["checkpoints"]
    assert len(best) == 1 and best[0]["step"] in (2, 4)
    assert best[0]["metrics"]["fid"] > 0 and "kid" in best[0]["metrics"]
    gan, _ = training.load_run(GAN, logdir, checkpoint="best")
    assert int(gan.step.numpy()) == best[0]["step"]


def test_a_missing_inception_graph_names_the_ways_out(tmp_path):
    process = subprocess.run(
        [
            *_command(str(tmp_path / "run"), 2),
            "--eval_metrics=fid",
            f"--eval_cache_dir={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1
    last = process.stderr.strip().splitlines()[-1]
    assert "Inception graph is not available" in last
    assert "--eval_metrics=none" in last


def test_a_bad_flag_exits_with_one_line_naming_it(tmp_path):
    process = subprocess.run(
        [*_command(str(tmp_path), 2), "--lam=1.5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1
    last = process.stderr.strip().splitlines()[-1]
    assert last == (
        "nda_tf.experiments.gan: error: lam must be in (0, 1], received 1.5"
    )


def test_a_refused_run_leaves_no_config_that_refuses_the_fix(tmp_path):
    """The architecture refuses the resolution when the model is built,
    after the settings were resolved: config.json is written only after
    that, so the corrected command is a new run, not "a different run"."""
    logdir = tmp_path / "run"

    def run(*extra):
        return subprocess.run(
            [*_command(str(logdir), 1), "--ema_start=0", *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    refused = run("--resolution=31")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "nda_tf.experiments.gan: error: resolution must be one of "
        "[32, 64, 128], received 31"
    )
    assert not (logdir / "config.json").exists()
    fixed = run("--resolution=32")
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    config = json.loads((logdir / "config.json").read_text())
    assert config["resolution"] == 32


def test_sigterm_during_the_export_leaves_no_lock_and_resumes(tmp_path):
    # "Done" is printed, then the export runs under the run's lock: a
    # SIGTERM there stops the command (143) through its `finally` blocks,
    # so neither the lock file nor a staging folder is left, and the same
    # command exports the complete run.
    logdir, serving = str(tmp_path / "run"), tmp_path / "serving"
    process = _start(logdir, 2, f"--export_dir={serving}")
    for line in process.stdout:
        if line.startswith("Done"):
            process.send_signal(signal.SIGTERM)
            break
    out, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "stopped by SIGTERM" in err and "Run the same command" in err
    assert "Traceback" not in err
    assert not os.path.exists(os.path.join(logdir, "lock"))
    staged = [n for p, d, _ in os.walk(serving) for n in d if "staging" in n]
    assert staged == []
    again = _start(logdir, 2, f"--export_dir={serving}")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    for model in ("nda_ood", "nda_generator"):
        assert (serving / model / "2" / "saved_model.pb").is_file()


def test_sigterm_as_done_is_said_still_names_the_export(
    command_line, monkeypatch, tmp_path, capsys
):
    # A supervisor may answer "Done" at once, before the export begins:
    # the signal lands while the line is being written (here: raised by
    # the message itself, the earliest point), and the command must still
    # say the export did not happen.
    said = GAN.done_message

    def done_then_sigterm(summary, logdir):
        os.kill(os.getpid(), signal.SIGTERM)
        return said(summary, logdir)

    monkeypatch.setattr(GAN, "done_message", done_then_sigterm)
    logdir, serving = tmp_path / "run", tmp_path / "serving"
    flags = [*TINY_FLAGS, "--steps=2", f"--logdir={logdir}"]
    code = command_line(GAN, [*flags, f"--export_dir={serving}"])
    assert code == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert f"Export to {serving} stopped by SIGTERM" in err
    assert not (logdir / "lock").exists()
    assert not (serving / "nda_ood").exists()
