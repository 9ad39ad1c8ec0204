"""experiments/real_study/cifar10.sh asks for valid study commands: each
action's flags parse as `real_study`'s, name the study's folders and arms,
and `split` unpacks the archive it is given. The script runs with a
stand-in `python` that records its arguments."""

import json
import os
import subprocess
import sys
import tarfile
import time

from absl import flags

from nda_tf.experiments import cli, real_study
from nda_tf.studies.real_study import runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SCRIPT = os.path.join(ROOT, "experiments", "real_study", "cifar10.sh")


def _run(action, tmp_path, calls=1, **env_vars):
    """Runs `cifar10.sh action`; returns (completed process, the recorded
    argv of the `calls` python calls it started, background ones too)."""
    record = tmp_path / f"{action}.jsonl"
    shim = tmp_path / "bin" / "python"
    if not shim.exists():
        shim.parent.mkdir(parents=True)
        shim.write_text(
            "#!/bin/sh\n"
            f'"{sys.executable}" -c "import json, os, sys; '
            "open(os.environ['RECORD'], 'a').write("
            'json.dumps(sys.argv[1:]) + chr(10))" "$@"\n'
        )
        shim.chmod(0o755)
    env = dict(
        os.environ,
        STUDY=str(tmp_path / "study"),
        PYTHON=str(shim),
        RECORD=str(record),
        **env_vars,
    )
    done = subprocess.run(
        ["bash", SCRIPT, action], env=env, capture_output=True, text=True
    )
    deadline = time.monotonic() + 60  # `train` starts them in background
    while time.monotonic() < deadline and done.returncode == 0:
        lines = record.read_text().splitlines() if record.exists() else []
        if len(lines) >= calls:
            break
        time.sleep(0.2)
    lines = record.read_text().splitlines() if record.exists() else []
    return done, [json.loads(line) for line in lines]


def _parse(argv):
    assert argv[:2] == ["-m", "nda_tf.experiments.real_study"]
    values = flags.FlagValues()
    cli.define_flags(real_study.OPTIONS, values)
    values(["real_study", *argv[2:]])
    return values


def test_split_unpacks_the_archive_and_asks_for_the_seeded_split(tmp_path):
    source = tmp_path / "train" / "cat"
    source.mkdir(parents=True)
    (source / "0.jpg").write_bytes(b"jpeg")
    archive = tmp_path / "jpegs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "train", arcname="train")
    done, calls = _run("split", tmp_path, JPEGS=str(archive))
    assert done.returncode == 0, done.stderr
    study = tmp_path / "study"
    assert (study / "data" / "cifar10_all" / "cat" / "0.jpg").exists()
    (argv,) = calls
    fv = _parse(argv)
    assert fv.action == ["split"]
    assert fv.source == str(study / "data" / "cifar10_all")
    assert fv.data_dir == str(study / "data" / "cifar10_split_s0")
    assert (fv.held_out, fv.split_seed) == (5000, 0)


def test_split_without_the_archive_names_it(tmp_path):
    missing = tmp_path / "nowhere.tar.gz"
    done, calls = _run("split", tmp_path, JPEGS=str(missing))
    assert done.returncode == 2 and calls == []
    assert f"no CIFAR-10 JPEG archive at {missing}" in done.stderr


def test_train_starts_one_run_per_seed_with_every_arm(tmp_path):
    done, calls = _run("train", tmp_path, calls=2)
    assert done.returncode == 0, done.stderr
    assert "seed 0: pid" in done.stdout and "seed 1: pid" in done.stdout
    parsed = sorted((_parse(argv) for argv in calls), key=lambda f: f.seeds)
    assert [fv.seeds for fv in parsed] == [["0"], ["1"]]
    for fv in parsed:
        assert fv.action == ["train"]
        assert runs.parse_arms(fv.arms) == {
            "plain": "none",
            "jigsaw": "jigsaw",
            "mix": "jigsaw|stitch|cutout",
        }
        assert (fv.steps, fv.save_every, fv.turn) == (100000, 2500, 2500)
        assert fv.runs_dir == str(tmp_path / "study" / "runs")


def test_score_scores_and_reports_every_seed(tmp_path):
    done, calls = _run("score", tmp_path, ARMS="plain,jigsaw", SEEDS="0 1 2")
    assert done.returncode == 0, done.stderr
    (argv,) = calls
    fv = _parse(argv)
    assert fv.action == ["score", "report"]
    assert fv.seeds == ["0", "1", "2"] and fv.arms == ["plain", "jigsaw"]
    assert not fv.progress
