"""Values that were taken silently or checked late (issue 28, item 8):
each is now one line naming the flag and the value, before any work, and
nothing is written to the run directory."""

import json

import pytest

from nda_tf import training
from nda_tf.experiments import export, gather
from nda_tf.gan.recipe import GAN
from nda_tf.translation import options as pix2pix_options
from tests.experiments.test_cli_errors import TINY_GAN


@pytest.mark.parametrize(
    "flag, message",
    [
        # Adam's bias correction divides by 1 - beta ** t.
        ("--beta_2=1", "beta_2 must be in [0, 1), received 1.0"),
        ("--beta_1=1", "beta_1 must be in [0, 1), received 1.0"),
        ("--nda=", "--nda: a transform name is empty (''); write 'none'"),
        ("--lr_g=1e400", "lr_g must be a finite number, received inf"),
        ("--lr_d=nan", "lr_d must be a finite number, received nan"),
        (
            "--nda=mixup(alpha=1e400)",
            "--nda: bad arguments in transform 'mixup(alpha=1e400)': inf is "
            "not a finite number",
        ),
        (
            "--nda=dots(counts=(0,))",
            "--nda: bad arguments in transform 'dots(counts=(0,))': dots "
            "counts (0,) give blank images only",
        ),
        (
            "--steps=99999999999999999999",
            "steps must be an int in [1, 2**63 - 1] (an int64), received "
            "99999999999999999999",
        ),
        (
            "--dataset=dots(counts=(0,))",
            "dots counts (0,) give blank images only",
        ),
    ],
)
def test_training_values_are_refused_before_any_work(
    command_line, tmp_path, flag, message
):
    logdir = tmp_path / "run"
    code = command_line(GAN, [*TINY_GAN, f"--logdir={logdir}", flag])
    assert isinstance(code, str) and "\n" not in code
    assert code.startswith(f"prog: error: {message}"), code
    assert not logdir.exists()


def test_the_pix2pix_betas_are_the_shared_ones():
    by_name = {o.name: o for o in pix2pix_options.OPTIONS}
    assert by_name["beta_1"].default == 0.5
    with pytest.raises(ValueError, match=r"beta_2 must be in \[0, 1\)"):
        by_name["beta_2"].check(1.0)


def test_gather_refuses_an_unknown_metric(command_line, tmp_path):
    code = command_line(
        (gather.OPTIONS, gather.main),
        [f"--runs={tmp_path}", "--metric=nosuch"],
        tensorflow=False,
    )
    assert code.startswith("prog: error: flag --metric=nosuch: value should ")
    assert "fid" in code and "\n" not in code


def _run_without_checkpoints(tmp_path, num_classes=1):
    """A GAN run directory of config.json only: getting past the checks
    fails at loading the checkpoint, so a check that passes is seen."""
    run = tmp_path / "run"
    run.mkdir(parents=True)
    config = GAN.resolve(
        {"dataset": "dots", "ch": 4, "steps": 2, "arch": "sngan"}
    )
    config.update(
        recipe="gan",
        layout=training.LAYOUT,
        resolution=32,
        num_classes=num_classes,
    )
    (run / "config.json").write_text(json.dumps(config))
    return run


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_ood_checks_the_label_and_the_output_before_scoring(
    command_line, tmp_path
):
    run = _run_without_checkpoints(tmp_path)
    ood = "nda_tf.experiments.ood"
    code = command_line(ood, [f"--logdir={run}", "--label=5"])
    assert code == (
        f"{ood}: error: --label=5: the run's discriminator is unconditional "
        "and takes no label; leave --label at max"
    )
    code = command_line(ood, [f"--logdir={run}", "--out=/proc/x"])
    assert code.startswith(
        f"{ood}: error: --out=/proc/x is not writable (in /proc)"
    )
    conditional = _run_without_checkpoints(tmp_path / "c", num_classes=10)
    code = command_line(ood, [f"--logdir={conditional}", "--label=10"])
    assert code == f"{ood}: error: --label=10 is no class of the run (0 to 9)"
    # A class of the run passes the check and fails at the checkpoint.
    code = command_line(ood, [f"--logdir={conditional}", "--label=9"])
    assert code.startswith(f"{ood}: error: no latest checkpoint in ")
    assert _files(run) == _files(conditional) == ["config.json"]


def test_evaluate_names_a_bad_checkpoint_not_the_backbone(
    command_line, tmp_path
):
    run = _run_without_checkpoints(tmp_path)
    evaluate = "nda_tf.experiments.evaluate"
    code = command_line(
        evaluate,
        [f"--logdir={run}", "--checkpoint=/etc", "--weights=/none.pb"],
    )
    assert code == (
        f"{evaluate}: error: checkpoint must be 'latest', 'best', a step or "
        "a checkpoint folder, received '/etc'"
    )
    assert _files(run) == ["config.json"]


def test_export_and_score_refuse_values_beyond_their_types(
    command_line, tmp_path
):
    run = _run_without_checkpoints(tmp_path)
    code = command_line(
        (export.OPTIONS, export.main),
        [
            f"--logdir={run}",
            f"--out={tmp_path / 'serving'}",
            "--version=99999999999999999999",
        ],
        check=export.check,
    )
    assert code == (
        "prog: error: version must be an int in [1, 2**63 - 1] (an "
        "int64), received 99999999999999999999"
    )
    assert not (tmp_path / "serving").exists()
    score = "nda_tf.experiments.score"
    code = command_line(
        score,
        [
            "--url=http://127.0.0.1:9",
            "--model_name=m",
            "--timeout=1e400",
            str(tmp_path / "image.png"),
        ],
    )
    assert code == (
        f"{score}: error: timeout must be a finite number, received inf "
        "(beyond what a float holds)"
    )
    # Resized to 100000 x 100000 float32 (40 GB an image) once read.
    code = command_line(
        score,
        [
            "--url=http://127.0.0.1:9",
            "--model_name=m",
            "--resolution=100000",
            "--max_pixels=1000000",
            str(tmp_path / "image.png"),
        ],
    )
    assert code == (
        f"{score}: error: --resolution=100000 makes images of 10000000000 "
        "pixels, more than --max_pixels=1000000"
    )
