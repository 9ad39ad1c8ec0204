"""`python -m nda_tf.experiments.evaluate` end to end on a tiny run."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from nda_tf import data
from nda_tf.eval import stats
from nda_tf.gan.recipe import GAN
from nda_tf.training import CheckpointKeeper, write_json_atomic
from tests.eval import graphs
from tests.training.test_multiworker import _free_ports, _kill


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run directory as the GAN trainer leaves it, with an npz dataset."""
    root = tmp_path_factory.mktemp("evaluate")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    np.savez(root / "real.npz", images=images)
    _, info = data.load(f"npz:{root / 'real.npz'}")
    config = GAN.resolve(
        {
            "dataset": f"npz:{root / 'real.npz'}",
            "arch": "sngan",
            "ch": 4,
            "z_dim": 8,
            "steps": 1,
            "nda": "jigsaw",
        },
        info,
    )
    logdir = root / "run"
    write_json_atomic(str(logdir / "config.json"), config)
    gan = GAN.build(config, compile=False)
    keeper = CheckpointKeeper(
        str(logdir / "checkpoints"), tf.train.Checkpoint(gan=gan)
    )
    keeper.save(1)
    return root, logdir


def _evaluate(*flags):
    command = [sys.executable, "-m", "nda_tf.experiments.evaluate", *flags]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300
    )


def test_inception_graph_protocol(run_dir, tmp_path):
    root, logdir = run_dir
    graph = tmp_path / "classify_image_graph_def.pb"
    graph.write_bytes(graphs.inception_like_graph_def().SerializeToString())
    flags = [
        f"--logdir={logdir}",
        "--metrics=fid,kid,is,precision,recall,density,coverage",
        "--backbone=inception",
        f"--weights={graph}",
        "--num_samples=30",
        "--batch_size=16",
        "--is_splits=3",
        f"--cache_dir={tmp_path / 'cache'}",
        "--noprogress",
    ]
    result = _evaluate(*flags)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads(
        (logdir / "eval" / "metrics_latest_inception.json").read_text()
    )
    assert set(record["results"]) == {
        *("fid", "kid", "kid_std", "is", "is_std"),
        *("precision", "recall", "density", "coverage"),
    }
    assert all(0 <= record["results"][m] <= 1 for m in ("recall", "coverage"))
    assert (record["num_generated"], record["num_reference"]) == (30, 30)
    assert record["support_k"] == 3
    # An SNGAN samples with its moving statistics unless told otherwise.
    assert record["sample_stats_batch"] == 0
    assert "moving batch-norm statistics" in record["generated"]
    assert record["results"]["fid"] > 0
    assert 1.0 <= record["results"]["is"] <= graphs.CLASSES
    assert "comparable with published FIDs" in record["protocol"]
    assert "30 images of npz:" in record["reference"]
    assert "| fid | " in result.stdout
    assert "| inception | 30 | 30 |" in result.stdout
    cached = stats.reference_path(
        f"npz:{root / 'real.npz'}", "test", "inception", 30, tmp_path / "cache"
    )
    assert stats.Statistics.load(cached).count == 30
    # Batch statistics of each 16 samples: other images, another FID.
    batch = _evaluate(*flags, "--sample_stats_batch=16")
    assert batch.returncode == 0, batch.stderr[-3000:]
    batch_record = json.loads(
        (logdir / "eval" / "metrics_latest_inception.json").read_text()
    )
    assert batch_record["sample_stats_batch"] == 16
    assert "statistics of each batch of 16" in batch_record["generated"]
    assert batch_record["results"]["fid"] != record["results"]["fid"]
    # The npz split holds 40 images: asking for 50 is an error, not a
    # warning and a smaller reference.
    short = _evaluate(*flags, "--num_reference=50")
    assert short.returncode != 0
    assert "asked for 50 images but npz:" in short.stderr
    assert "(test split) has only 40" in short.stderr
    assert "Traceback" not in short.stderr


def test_batch_statistics_are_drawn_in_whole_batches(
    run_dir, tmp_path, monkeypatch
):
    from absl import flags

    from nda_tf.experiments import cli, evaluate
    from nda_tf.gan import NDAGAN

    _, logdir = run_dir
    graph = tmp_path / "classify_image_graph_def.pb"
    graph.write_bytes(graphs.inception_like_graph_def().SerializeToString())
    fv = flags.FlagValues()
    cli.define_flags(evaluate.OPTIONS, fv)
    fv(
        [
            "evaluate",
            f"--logdir={logdir}",
            "--metrics=fid",
            "--backbone=inception",
            f"--weights={graph}",
            "--num_samples=30",
            "--batch_size=16",
            "--sample_stats_batch=12",
            f"--cache_dir={tmp_path / 'cache'}",
            "--noprogress",
        ]
    )
    drawn = []
    generate = NDAGAN.generate

    def recording(self, count, **kwargs):
        drawn.append((count, kwargs["stats_batch"], kwargs["seed"]))
        return generate(self, count, **kwargs)

    monkeypatch.setattr(NDAGAN, "generate", recording)
    record = evaluate._evaluate(fv, None)
    # 30 images in batches of 16 from calls of 12: 24 then 12 (36 made),
    # not 24 for each batch of 16 and 14 (48 made).
    assert drawn == [(24, 12, 0), (12, 12, 24)]
    assert record["num_generated"] == 30
    assert record["sample_stats_batch"] == 12


def test_efficientnet_backbone_and_clear_errors(run_dir, tmp_path):
    _, logdir = run_dir
    result = _evaluate(
        f"--logdir={logdir}",
        "--backbone=efficientnet_lite0",
        "--num_samples=12",
        "--kid_subset_size=12",
        f"--cache_dir={tmp_path}",
        "--noprogress",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads(
        (logdir / "eval" / "metrics_latest_efficientnet_lite0.json").read_text()
    )
    assert record["results"]["fid"] > 0 and "kid" in record["results"]
    assert "not comparable" in record["protocol"]
    # No graph, no network: the error names the file to provide.
    offline = _evaluate(f"--logdir={logdir}", f"--cache_dir={tmp_path}")
    assert offline.returncode != 0
    assert "classify_image_graph_def.pb" in offline.stderr
    assert str(tmp_path) in offline.stderr
    assert "Traceback" not in offline.stderr


# Worker 1 of `_two_workers(dying=True)`: evaluate as typed, but the
# process kills itself where the generated images' statistics begin, once
# the reference statistics (collectives of both workers) are done.
DYING = """
import os, runpy, signal, sys
from nda_tf.eval import pipeline
pipeline.compute_statistics = lambda *a, **k: os.kill(os.getpid(), 9)
sys.argv[0] = "evaluate"
runpy.run_module("nda_tf.experiments.evaluate", run_name="__main__")
"""


def _two_workers(logdir, tmp_path, dying=False):
    """Evaluates with two workers on 127.0.0.1, each on its own copy of
    the run `logdir` (TMP/run for the chief, TMP/copy for worker 1, to be
    seen writing or not); returns the processes, started, and the ports."""
    logdirs = tmp_path / "run", tmp_path / "copy"
    for folder in logdirs:
        shutil.copytree(logdir, folder, ignore=shutil.ignore_patterns("eval"))
    graph = tmp_path / "classify_image_graph_def.pb"
    graph.write_bytes(graphs.inception_like_graph_def().SerializeToString())
    ports = _free_ports(2).split(",")
    processes = []
    for index in (0, 1):
        tf_config = {
            "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
            "task": {"type": "worker", "index": index},
        }
        env = dict(
            os.environ,
            TF_CPP_MIN_LOG_LEVEL="3",
            TF_CONFIG=json.dumps(tf_config),
        )
        start = ["-m", "nda_tf.experiments.evaluate"]
        if dying and index == 1:
            start = ["-c", DYING]
        command = [
            *(sys.executable, *start, f"--logdir={logdirs[index]}"),
            *("--metrics=fid,precision", "--noprogress"),
            *("--backbone=inception", f"--weights={graph}"),
            *("--num_samples=24", "--batch_size=8", "--strategy=multiworker"),
            f"--cache_dir={tmp_path / f'cache{index}'}",
        ]
        processes.append(
            subprocess.Popen(
                command,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return processes, ports


def test_a_worker_lost_during_evaluation_is_named_in_one_line(
    run_dir, tmp_path
):
    _, logdir = run_dir
    own = tmp_path / "run"
    (chief, victim), ports = _two_workers(logdir, tmp_path, dying=True)
    try:
        victim.wait(timeout=300)
        assert victim.returncode == -9, victim.communicate()[1][-3000:]
        # TensorFlow's heartbeat timeout (10 s), then one line.
        _, err = chief.communicate(timeout=90)
    finally:
        _kill([chief, victim])
    assert chief.returncode == 1, err[-3000:]
    assert err.strip().splitlines()[-1] == (
        f"nda_tf.experiments.evaluate: error: worker 1 (127.0.0.1:{ports[1]})"
        " stopped, so this worker stops too; start every worker again with "
        "the same command"
    )
    assert "Traceback" not in err
    assert not list(own.glob("eval/*"))  # no record of a half evaluation


def test_two_workers_evaluate_together_and_the_chief_alone_writes(
    run_dir, tmp_path
):
    # Every worker of a multi-worker evaluation computes the statistics
    # (all-reduced, so each prints the same numbers); only the chief writes
    # the record, so the file is written once and never raced. Worker 1
    # reads its own copy of the run, to be seen not writing.
    _, logdir = run_dir
    own, copy = tmp_path / "run", tmp_path / "copy"
    processes, _ = _two_workers(logdir, tmp_path)
    outputs = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, err[-3000:]
            outputs.append(out)
    finally:
        _kill(processes)
    assert os.listdir(own / "eval") == ["metrics_latest_inception.json"]
    assert not list(copy.glob("eval/*"))  # worker 1 wrote nothing
    assert f"written to {own / 'eval'}" in outputs[0]
    assert "the chief worker writes the record" in outputs[1]
    assert "written to" not in outputs[1]
    record = json.loads(
        (own / "eval" / os.listdir(own / "eval")[0]).read_text()
    )
    assert (record["num_generated"], record["num_reference"]) == (24, 24)
    fid_lines = [
        [line for line in out.splitlines() if line.startswith("| fid |")]
        for out in outputs
    ]
    assert fid_lines[0] == fid_lines[1] and len(fid_lines[0]) == 1
    assert f"{record['results']['fid']:.6g}" in fid_lines[0][0]
