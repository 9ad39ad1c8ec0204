"""One worker of a two-worker test run (tests/training/test_multiworker.py).

    python -m tests.training.multiworker_worker INDEX PORTS OUT RECIPE...
        [--kill_at=STEP] [--peer_timeout=SECONDS]

joins the cluster of `PORTS` (comma-separated, on 127.0.0.1) as worker
INDEX through TF_CONFIG, trains each named recipe's tiny configuration
under MultiWorkerMirroredStrategy (one CPU replica per worker) in
OUT/<recipe>, and saves the final state as OUT/<recipe>-<INDEX>.npz (its
trainable weights also as OUT/<recipe>-<INDEX>-trainable.npz); its
`on_finish` writes the empty file OUT/<recipe>-finished-<INDEX>.
`--kill_at=STEP` makes the worker SIGKILL itself after step STEP. A lost
or missing peer ends it with one line on stderr, as the commands do.
"""

import json
import os
import signal
import sys


def main(argv):
    index, ports, out, *names = argv
    flags = {"--kill_at": None, "--peer_timeout": "60"}
    while names and names[-1].startswith("--"):
        flag, value = names.pop().split("=")
        flags[flag] = value
    kill_at = flags["--kill_at"] and int(flags["--kill_at"])
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports.split(",")]},
            "task": {"type": "worker", "index": int(index)},
        }
    )
    import numpy as np

    from nda_tf import training

    # Before any other TensorFlow work, as the strategy requires.
    strategy = training.make_strategy(
        "multiworker", peer_timeout=float(flags["--peer_timeout"])
    )
    from tests.training.test_multiworker import CONFIGS, OPTIONS, state

    for name in names:
        recipe, config = CONFIGS[name]
        evaluators = []
        if kill_at is not None:

            def kill(model, step):
                if step == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

            evaluators.append(training.Evaluator(kill, 1))
        model, summary = training.train(
            recipe,
            config,
            os.path.join(out, name),
            training.RunOptions(**OPTIONS),
            evaluators,
            strategy=strategy,
            on_finish=lambda summary, name=name: _finished(out, name, index),
        )
        np.savez(
            os.path.join(out, f"{name}-{index}.npz"),
            *state(model),
            step=summary["step"],
        )
        trainable = [np.asarray(w) for w in model.trainable_weights]
        np.savez(os.path.join(out, f"{name}-{index}-trainable.npz"), *trainable)


def _finished(out, name, index):
    """Marks that this worker ran `on_finish` (the chief alone should)."""
    open(os.path.join(out, f"{name}-finished-{index}"), "w").close()


if __name__ == "__main__":
    from nda_tf.training.peers import PeerLostError, PeerWaitError

    try:
        main(sys.argv[1:])
    except (PeerLostError, PeerWaitError) as error:
        sys.exit(f"worker {sys.argv[1]}: {error}")
