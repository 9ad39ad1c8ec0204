"""Multi-worker training for real: two worker processes on 127.0.0.1
(MultiWorkerMirroredStrategy, one CPU replica each) against one process
with two replicas, a worker killed mid-run, and a worker whose peer never
starts."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from nda_tf import training
from tests.training.test_loop import (
    GAN,
    GAN_TINY,
    MOCO,
    MOCO_TINY,
    state,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
# Evaluations only at the last step (sample grid, kNN): the runs are about
# the weights.
CONFIGS = {
    "gan": (GAN, dict(GAN_TINY, eval_every=100)),
    "moco": (MOCO, dict(MOCO_TINY, eval_every=100)),
}
OPTIONS = {"save_every": 2, "log_every": 1, "progress": False}


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ",".join(map(str, ports))


def _workers(out, names, kill_at=None, ports=None):
    """Starts the two workers; worker 1 SIGKILLs itself after `kill_at`."""
    ports = ports or _free_ports(2)
    # The workers' temporary folders go to OUT/tmp, to be seen removed.
    os.makedirs(os.path.join(out, "tmp"), exist_ok=True)
    env = dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=ROOT,
        TMPDIR=os.path.join(out, "tmp"),
    )
    env.pop("TF_CONFIG", None)
    processes = []
    for index in (0, 1):
        extra = [f"--kill_at={kill_at}"] if kill_at and index == 1 else []
        command = [sys.executable, "-m", "tests.training.multiworker_worker"]
        processes.append(
            subprocess.Popen(
                [*command, str(index), ports, str(out), *names, *extra],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return processes


def _finish(processes, timeout=240):
    for process in processes:
        _, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, err[-3000:]


def _saved(out, name, part=""):
    """The final state (or `part="-trainable"` weights) of each worker,
    with its step."""
    found = []
    for index in (0, 1):
        path = os.path.join(out, f"{name}-{index}{part}.npz")
        with np.load(path) as saved:
            count = len([k for k in saved.files if k.startswith("arr_")])
            arrays = [saved[f"arr_{i}"] for i in range(count)]
            found.append(
                (int(saved["step"]) if "step" in saved else None, arrays)
            )
    return found


def _reference(name, mirrored, logdir):
    recipe, config = CONFIGS[name]
    model, _ = training.train(
        recipe,
        config,
        str(logdir),
        training.RunOptions(**OPTIONS),
        strategy=mirrored,
    )
    return state(model), [np.asarray(w) for w in model.trainable_weights]


def _assert_same(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_two_workers_train_like_one_process_with_two_replicas(
    tmp_path, mirrored
):
    _finish(_workers(tmp_path, ["gan", "moco"]))
    for name in ("gan", "moco"):
        reference, trainable = _reference(
            name, mirrored, tmp_path / f"one-{name}"
        )
        (step0, chief), (step1, _) = _saved(tmp_path, name)
        assert step0 == step1 == 4
        # The chief's state is the checkpoint: that of one process.
        _assert_same(chief, reference)
        # Every worker holds the same trained weights. (Not the same batch
        # statistics: a batch norm that is not synchronized, as MoCo's
        # shuffled one, keeps each replica's own moving averages, and a
        # checkpoint those of the first replica, as with one process.)
        for _, weights in _saved(tmp_path, name, "-trainable"):
            _assert_same(weights, trainable)
        # Only the chief wrote the run directory (the other worker's
        # checkpoints went to a temporary folder, since removed).
        run = tmp_path / name
        assert sorted(os.listdir(run / "checkpoints")) == [
            "ckpt-2",
            "ckpt-4",
            "manifest.json",
        ]
        assert (run / "config.json").is_file()
        # The chief alone runs on_finish (the commands' export).
        assert (tmp_path / f"{name}-finished-0").is_file()
        assert not (tmp_path / f"{name}-finished-1").exists()
    assert os.listdir(tmp_path / "tmp") == []


def test_a_killed_worker_is_named_and_both_resume_to_the_same_weights(
    tmp_path, mirrored
):
    ports = _free_ports(2)
    first = _workers(tmp_path, ["gan"], kill_at=3, ports=ports)
    chief, victim = first
    try:
        victim.wait(timeout=240)
        assert victim.returncode == -9, victim.communicate()[1][-3000:]
        # The chief hears of it within TensorFlow's heartbeat timeout
        # (10 s) and stops by itself, naming its lost peer.
        _, err = chief.communicate(timeout=60)
    finally:
        _kill(first)
    assert chief.returncode == 1, err[-3000:]
    assert err.strip().splitlines()[-1] == (
        f"worker 0: worker 1 (127.0.0.1:{ports.split(',')[1]}) stopped, so "
        "this worker stops too; start every worker again with the same "
        "command: they resume from the last checkpoint"
    )
    checkpoints = tmp_path / "gan" / "checkpoints"
    assert sorted(os.listdir(checkpoints)) == ["ckpt-2", "manifest.json"]
    _finish(_workers(tmp_path, ["gan"]))
    reference, _ = _reference("gan", mirrored, tmp_path / "one")
    for step, weights in _saved(tmp_path, "gan"):
        assert step == 4
        _assert_same(weights, reference)


def _kill(processes):
    # A failed test leaves no worker behind.
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()


GAN_COMMAND = (
    "nda_tf.experiments.gan",
    "--dataset=dots(counts=(3,))",
    *("--arch=sngan", "--ch=8", "--z_dim=16", "--steps=4"),
)


def _lone_worker(tmp_path, peer_timeout, command=GAN_COMMAND):
    """Worker 0 of two, by `command` (a module and its flags); worker 1
    never starts."""
    ports = _free_ports(2).split(",")
    tf_config = {
        "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
        "task": {"type": "worker", "index": 0},
    }
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CONFIG=json.dumps(tf_config))
    module, *flags = command
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", module, *flags),
            "--strategy=multiworker",
            f"--peer_timeout={peer_timeout}",
            f"--logdir={tmp_path / 'run'}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # pytest-xdist's workers ignore SIGINT and a child inherits that
        # (Python then installs no KeyboardInterrupt handler): the worker
        # starts as a user's shell starts it, with SIGINT at its default.
        preexec_fn=_default_sigint,
    )
    return process, ports


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_a_worker_whose_peer_never_starts_stops_in_one_line(tmp_path):
    start = time.monotonic()
    process, ports = _lone_worker(tmp_path, peer_timeout=10)
    try:
        _, err = process.communicate(timeout=120)
    finally:
        _kill([process])
    assert process.returncode == 1, err[-3000:]
    assert err.strip().splitlines() == [
        f"nda_tf.experiments.gan: error: worker 1 (127.0.0.1:{ports[1]}) "
        "did not start within 10 s (--peer_timeout): start every worker "
        "with the same command and its own TF_CONFIG, or give them longer "
        "with --peer_timeout"
    ]
    # TensorFlow's start-up and the 10 s wait, not an unbounded one.
    assert time.monotonic() - start < 60
    assert not (tmp_path / "run").exists()


def test_evaluate_takes_peer_timeout_for_multiworker(tmp_path):
    # The evaluation waits for its peers as training does, for as long as
    # --peer_timeout says, and stops before reading the run.
    command = ("nda_tf.experiments.evaluate", "--noprogress")
    process, ports = _lone_worker(tmp_path, peer_timeout=3, command=command)
    try:
        _, err = process.communicate(timeout=120)
    finally:
        _kill([process])
    assert process.returncode == 1, err[-3000:]
    assert err.strip().splitlines() == [
        f"nda_tf.experiments.evaluate: error: worker 1 "
        f"(127.0.0.1:{ports[1]}) did not start within 3 s (--peer_timeout): "
        "start every worker with the same command and its own TF_CONFIG, "
        "or give them longer with --peer_timeout"
    ]
    assert not (tmp_path / "run").exists()


def _answering(port, process, timeout=60):
    """Waits until the worker answers probes on `port`: it is waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), 1) as probe:
                return probe.recv(1)
        except OSError:
            time.sleep(0.2)
    return None


@pytest.mark.parametrize(
    "number, status, line",
    [
        (signal.SIGTERM, 1, "error: stopped by SIGTERM while waiting for "),
        (signal.SIGINT, 128 + signal.SIGINT, "interrupted"),
    ],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_stops_the_wait_for_peers_in_one_line(
    tmp_path, number, status, line
):
    process, ports = _lone_worker(tmp_path, peer_timeout=600)
    try:
        # "W": up, and still waiting for its peer.
        assert _answering(int(ports[0]), process) == b"W"
        sent = time.monotonic()
        process.send_signal(number)
        _, err = process.communicate(timeout=30)
        waited = time.monotonic() - sent
    finally:
        _kill([process])
    assert process.returncode == status, err[-3000:]
    missing = (
        f"worker 1 (127.0.0.1:{ports[1]})" if number == signal.SIGTERM else ""
    )
    assert err.strip().splitlines() == [
        f"nda_tf.experiments.gan: {line}{missing}"
    ]
    assert waited < 5
