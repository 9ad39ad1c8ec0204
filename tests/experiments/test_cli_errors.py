"""The commands' one error path: a bad value, file or state is answered
with one line naming it and a non-zero exit, before any work is done.

Commands run in-process on fresh flags (`command_line`); two subprocesses
check what only a fresh interpreter shows (`--help` without TensorFlow,
no CUDA probing lines).
"""

import errno
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.contrastive.recipe import MOCO
from nda_tf.experiments import cli, export, gather, numerosity
from nda_tf.gan.recipe import GAN
from nda_tf.studies.paper import tables
from nda_tf.training import CheckpointError, Option

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
TINY_GAN = [
    "--dataset=dots(counts=(2,))",
    "--arch=sngan",
    "--ch=4",
    "--z_dim=8",
    "--d_steps=1",
    "--batch_size=4",
    "--steps=2",
    "--eval_metrics=none",
]


def test_bad_values_name_their_flag_before_any_work(command_line, tmp_path):
    logdir = tmp_path / "run"
    cases = {
        "--eval_metrics=fdi": "prog: error: unknown "
        "eval_metrics 'fdi'; choose from fid, kid, is, precision, recall, "
        "density, coverage, none",
        "--eval_num_samples=0": "prog: error: "
        "eval_num_samples must be an int >= 1, received 0",
        "--lam=0": "prog: error: lam must be in (0, 1], received 0.0",
        "--nda=jigsw": "prog: error: --nda: unknown transform 'jigsw'",
        "--steps=abc": "prog: error: flag --steps=abc: invalid literal",
    }
    for flag, message in cases.items():
        code = command_line(GAN, [*TINY_GAN, f"--logdir={logdir}", flag])
        assert code.startswith(message), (flag, code)
        assert "\n" not in code
    assert not logdir.exists()  # nothing was started


def test_outputs_are_checked_before_training(command_line, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("")
    logdir = tmp_path / "run"
    code = command_line(
        GAN, [*TINY_GAN, f"--logdir={logdir}", f"--export_dir={a_file}"]
    )
    assert code == f"prog: error: --export_dir={a_file} is a file, not a folder"
    assert not logdir.exists()
    code = command_line(GAN, [*TINY_GAN, f"--logdir={a_file}/run"])
    assert code == (
        f"prog: error: --logdir={a_file}/run has a file in the way: {a_file}, "
        "not a folder"
    )
    # Not writable even for root: /proc takes no new folders.
    code = command_line(GAN, [*TINY_GAN, "--logdir=/proc/nda_tf_run"])
    assert code.startswith(
        "prog: error: --logdir=/proc/nda_tf_run is not writable (in /proc)"
    )
    assert cli.check_output_dir("out", str(tmp_path / "new" / "folder")) is None
    assert not (tmp_path / "new").exists()  # checked, not created


def test_a_url_logdir_is_refused_and_nothing_is_written(
    command_line, tmp_path, monkeypatch
):
    # os.* would take gs://bucket/run for the relative folder "gs:".
    monkeypatch.chdir(tmp_path)
    code = command_line(GAN, [*TINY_GAN, "--logdir=gs://bucket/run"])
    assert code == (
        "prog: error: --logdir=gs://bucket/run is a URL: nda_tf writes run "
        "directories on local or mounted file systems only (e.g. mount the "
        "bucket with gcsfuse and pass the mount path)"
    )
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match=r"^--out=s3://b/x is a URL: "):
        cli.check_output_dir("out", "s3://b/x")
    with pytest.raises(ValueError, match=r"^--out=gs://b/x.png is a URL: "):
        cli.check_output_file("out", "gs://b/x.png")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", ["import_biggan", "clevr_counter"])
def test_commands_writing_an_out_folder_refuse_a_url_first(
    command, tmp_path, monkeypatch
):
    """Their --out is checked before any file is read or written."""
    import importlib
    import types

    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(f"nda_tf.experiments.{command}")
    flags = types.SimpleNamespace(out="gs://bucket/out")
    with pytest.raises(ValueError, match=r"^--out=gs://bucket/out is a URL"):
        module.main(flags)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "command", ["gan", "moco", "pix2pix", "dpc", "video_finetune", "detect"]
)
def test_training_commands_import_their_recipe_when_they_run(
    command_line, command
):
    # The command module names its recipe by a string and passes the
    # recipe's options; both are used once the flags are checked: the
    # logdir is checked after the recipe is imported and its options
    # compared with the command's.
    code = command_line(
        f"nda_tf.experiments.{command}", ["--logdir=/proc/nda_tf_run"]
    )
    assert code.startswith(
        f"nda_tf.experiments.{command}: error: --logdir=/proc/nda_tf_run is "
        "not writable (in /proc)"
    )


def test_a_recipe_given_other_options_is_refused(command_line):
    from nda_tf.contrastive import options as moco_options

    code = command_line(
        lambda: cli.run("nda_tf.gan.recipe:GAN", "prog", moco_options.OPTIONS),
        ["--logdir=/proc/nda_tf_run"],
    )
    assert code.startswith(
        "prog: error: TypeError: the options given for gan are not its own"
    )


def test_numerosity_refuses_zero_samples_before_training(
    command_line, tmp_path
):
    logdir = tmp_path / "num"
    code = command_line(
        (numerosity.OPTIONS, numerosity.main),
        ["--quick", "--num_samples=0", f"--logdir={logdir}"],
    )
    assert code == ("prog: error: num_samples must be an int >= 1, received 0")
    assert not logdir.exists()


def test_moco_test_set_is_opened_before_the_first_step(command_line, tmp_path):
    logdir = tmp_path / "moco"
    args = [
        "--dataset=dots(counts=(2,4))",
        "--test_dataset=cifar100",
        f"--data_dir={tmp_path / 'no_data'}",
        "--arch=small",
        "--width=4",
        "--batch_size=8",
        "--bn_splits=2",  # the default 8 would make groups of one image
        "--queue_size=16",
        "--hidden_dim=8",
        "--projection_dim=4",
        "--steps=2",
        f"--logdir={logdir}",
    ]
    code = command_line(MOCO, args)
    assert code.startswith(
        "prog: error: the kNN test set (--test_dataset=cifar100, "
        "--test_split=test) cannot be read: dataset 'cifar100' is not prepared"
    )
    assert not (logdir / "checkpoints").exists()  # no step was taken


def test_export_checks_before_calibration(command_line, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    # A run directory with no checkpoint: getting past the checks would
    # fail differently (at the load, before the calibration).
    config = GAN.resolve({"dataset": "dots", "ch": 4, "steps": 2})
    config.update(
        recipe="gan", layout=training.LAYOUT, resolution=32, num_classes=1
    )
    (run / "config.json").write_text(json.dumps(config))
    out = tmp_path / "serving"
    (out / "nda_ood" / "1").mkdir(parents=True)
    target = (export.OPTIONS, export.main)
    check = {"check": export.check}  # as the module runs it
    common = [f"--logdir={run}", f"--out={out}"]
    assert command_line(target, [*common, "--tpr=1.5"], **check) == (
        "prog: error: tpr must be in (0, 1], received 1.5"
    )
    code = command_line(target, [*common, "--what=discriminator"], **check)
    assert code == (
        f"prog: error: {out}/nda_ood/1 already exists: give another "
        "--version, or --overwrite to replace it"
    )
    code = command_line(target, [*common, "--what=generator"], **check)
    assert (
        code
        == f"prog: error: no latest checkpoint in {str(run / 'checkpoints')!r}"
    )
    assert "CheckpointError" not in code
    code = command_line(
        target, [f"--logdir={run}", f"--out={run}/config.json"], **check
    )
    assert code.endswith("config.json is a file, not a folder")


def _raising(error):
    def command(fv):
        raise error

    return (Option("x", 1, "an option", low=0),), command


def test_every_error_is_one_line(command_line, tmp_path):
    checkpoint_error = CheckpointError(
        "no checkpoint in /r/checkpoints could be restored: ckpt-4: Data "
        "loss:\n  file is too short"
    )
    disk_full = tf.errors.ResourceExhaustedError(
        None, None, "/r/ckpt-4.data; No space left on device\n\t [[node save]]"
    )
    # Named like the loop's error for a diverged run; any nda_tf error
    # that ends in "Error" is a user's problem, told in one line.
    DivergenceError = type("DivergenceError", (RuntimeError,), {})
    DivergenceError.__module__ = "nda_tf.training.loop"
    cases = [
        (
            OSError(errno.ENOSPC, "No space left on device", "/r/a.png"),
            "prog: error: the disk is full writing /r/a.png",
        ),
        (disk_full, "prog: error: the disk is full (/r/ckpt-4.data;"),
        (
            checkpoint_error,
            "prog: error: no checkpoint in /r/checkpoints could be restored: "
            "ckpt-4: Data loss: file is too short. The run's checkpoints are "
            "all damaged",
        ),
        (
            DivergenceError("the loss is NaN at step 12"),
            "prog: error: the loss is NaN at step 12",
        ),
        (
            TypeError("unsupported operand"),
            "prog: error: TypeError: unsupported operand (unexpected: "
            "--verbose shows the traceback",
        ),
    ]
    for error, line in cases:
        code = command_line(_raising(error), [], tensorflow=False)
        assert code.startswith(line), code
        assert "\n" not in code
    assert "run the same command again" in cli.error_line(disk_full)
    with pytest.raises(TypeError):
        command_line(
            _raising(TypeError("shown")), ["--verbose"], tensorflow=False
        )
    assert command_line(_raising(KeyboardInterrupt()), []) == 130
    assert command_line(_raising(ValueError("x")), ["extra"]) == (
        "prog: error: unexpected argument 'extra': flags are written "
        "--name=value"
    )
    assert command_line(_raising(ValueError("x")), ["--x=-1"]) == (
        "prog: error: x must be an int >= 0, received -1"
    )


def test_a_full_disk_is_one_line(command_line, tmp_path):
    run = tmp_path / "runs" / "a"
    run.mkdir(parents=True)
    config = {
        "dataset": "dots", "conditional": False, "nda": "jigsaw",
        "pda": "none", "lam": 0.25, "steps": 10,
    }  # fmt: skip
    (run / "config.json").write_text(json.dumps(config))
    # A MoCo run beside it is not a row of the GAN table.
    (tmp_path / "runs" / "moco").mkdir()
    moco_config = {"recipe": "moco", "dataset": "dots", "queue_size": 16}
    (tmp_path / "runs" / "moco" / "config.json").write_text(
        json.dumps(moco_config)
    )
    assert tables.find_runs(str(tmp_path / "runs"), ("gan",)) == [str(run)]
    target = (gather.OPTIONS, gather.main)
    # /dev/full answers every write with ENOSPC.
    code = command_line(
        target, [f"--runs={tmp_path / 'runs'}", "--out=/dev/full"]
    )
    assert code.startswith("prog: error: the disk is full")
    assert "free some space" in code and "\n" not in code


def _python(*args, **env):
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT, **env},
        timeout=300,
    )


# Every command of the package: a module of nda_tf.experiments that runs
# as a program.
COMMANDS = sorted(
    name[: -len(".py")]
    for name in os.listdir(os.path.join(ROOT, "nda_tf", "experiments"))
    if name.endswith(".py")
    and 'if __name__ == "__main__"'
    in open(os.path.join(ROOT, "nda_tf", "experiments", name)).read()
)
# Flag choices that come from registries, listed without TensorFlow.
SHOWN = {
    "evaluate": [
        "<inception|inception_v3_keras|efficientnet_lite0>",
        "<default|mirrored|multiworker|tpu>",
    ],
    "export": ["--calibration_data"],
    "gan": [
        "--arch: <biggan|sngan>",
        "--loss: <hinge|non_saturating|wasserstein>",
        "<inception|inception_v3_keras|efficientnet_lite0>",
        "--on_nonfinite: <stop|skip>",
    ],
    "moco": ["--arch: <resnet18|resnet50|small>"],
    "pix2pix": ["--norm: <batch|instance|none>", "--loss: <cgan|l1_cgan>"],
    "dpc": ["--arch: <r2d3d18|r2d3d34|small>"],
    "video_finetune": ["--arch: <r2d3d18|r2d3d34|small>"],
    "detect": ["--arch: <resnet18|resnet50|small>"],
    "numerosity": ["--arch: <biggan|sngan>"],
}
# Runs a command (its module, then its arguments) in this fresh
# interpreter, then lists what it imported of TensorFlow and Keras.
_RUN_THEN_MODULES = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
except SystemExit as stop:
    if isinstance(stop.code, str):  # printed as the interpreter would
        print(stop.code, file=sys.stderr)
loaded = [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")]
print("loaded:", ",".join(sorted(loaded)), file=sys.stderr)
"""


def test_every_command_is_listed():
    # A broken listing would make the test below vacuous.
    assert len(COMMANDS) >= 15
    assert {"gan", "moco", "numerosity", "export", "score"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_loads_no_tensorflow(command):
    """`--help` answers without importing TensorFlow or Keras (issue 14:
    it took 4-5 s of CPU for the training commands); each command in a
    fresh interpreter."""
    done = _python(
        "-c", _RUN_THEN_MODULES, f"nda_tf.experiments.{command}", "--help"
    )
    assert "--[no]verbose" in done.stdout, done.stderr[-2000:]
    shown = SHOWN.get(command, [])
    assert [s for s in shown if s in done.stdout] == shown
    assert done.stderr.splitlines()[-1] == "loaded: "


@pytest.mark.parametrize(
    "args, error",
    [
        (
            ["--k=4", "--negative_counts=3,4"],
            "--negative_counts must be non-empty and exclude --k=4; "
            "received ['3', '4']",
        ),
        (
            ["--negative_counts=a,b"],
            "--negative_counts must be integers, received ['a', 'b']",
        ),
        (["--k=0"], "k must be an int >= 1, received 0"),
        (
            ["--logdir=/proc/nda_tf_run"],
            "--logdir=/proc/nda_tf_run is not writable (in /proc): "
            "No such file or directory",
        ),
    ],
)
def test_numerosity_checks_before_tensorflow_starts(args, error):
    """Its one-line answers come before TensorFlow is imported, so no
    start-up line of TensorFlow's precedes them (benchmarks/bad_inputs.py
    --subprocess)."""
    done = _python(
        "-c",
        _RUN_THEN_MODULES,
        "nda_tf.experiments.numerosity",
        "--quick",
        *args,
        TF_CPP_MIN_LOG_LEVEL="0",
    )
    assert done.stderr.splitlines() == [
        f"nda_tf.experiments.numerosity: error: {error}",
        "loaded: ",
    ]


def test_no_cuda_probing_lines_whatever_the_log_level(tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(tf.io.encode_png(np.zeros([4, 4, 3], np.uint8)).numpy())
    done = _python(
        "-m",
        "nda_tf.experiments.score",
        "--url=http://127.0.0.1:9",
        "--model_name=nda_ood",
        str(image),
        TF_CPP_MIN_LOG_LEVEL="0",
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "nda_tf.experiments.score: error: no answer from "
        "http://127.0.0.1:9/v1/models/nda_ood:predict: [Errno 111] "
        "Connection refused"
    ]
