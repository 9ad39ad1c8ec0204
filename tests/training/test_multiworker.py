"""Multi-worker training for real: two worker processes on 127.0.0.1
(MultiWorkerMirroredStrategy, one CPU replica each) against one process
with two replicas, and a worker killed mid-run."""

import os
import socket
import subprocess
import sys
import time

import numpy as np

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


def _workers(out, names, kill_at=None):
    """Starts the two workers; worker 1 SIGKILLs itself after `kill_at`."""
    ports = _free_ports(2)
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
    assert os.listdir(tmp_path / "tmp") == []


def test_a_killed_worker_and_its_peer_resume_to_the_same_weights(
    tmp_path, mirrored
):
    first = _workers(tmp_path, ["gan"], kill_at=3)
    chief, victim = first
    victim.wait(timeout=240)
    assert victim.returncode == -9, victim.communicate()[1][-3000:]
    # The chief now waits for its peer in a collective: stop it too, as a
    # cluster manager would, and restart both.
    time.sleep(0.5)
    chief.kill()
    chief.communicate()
    checkpoints = tmp_path / "gan" / "checkpoints"
    assert sorted(os.listdir(checkpoints)) == ["ckpt-2", "manifest.json"]
    _finish(_workers(tmp_path, ["gan"]))
    reference, _ = _reference("gan", mirrored, tmp_path / "one")
    for step, weights in _saved(tmp_path, "gan"):
        assert step == 4
        _assert_same(weights, reference)
