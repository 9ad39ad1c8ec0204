"""Pieces shared by the training loops of the experiments (GAN, MoCo)."""

import json
import os
import signal

import keras
import numpy as np
import tensorflow as tf

from nda_tf.training.checkpoints import write_json_atomic


def step_function(train_step, strategy, jit=False):
    """One distributed `train_step`, its outputs reduced to replica means."""
    step = tf.function(train_step, jit_compile=bool(jit), autograph=False)

    # No autograph: the step is plain Python control flow over tensors, and
    # converting every layer's code costs seconds per run.
    @tf.function(autograph=False)
    def distributed(batch):
        outputs = strategy.run(step, args=(batch,))
        return {
            name: strategy.reduce("MEAN", value, axis=None)
            for name, value in outputs.items()
        }

    return distributed


def set_precision(config):
    """Sets Keras' global dtype policy for a run (and returns it).

    `config["mixed_precision"]` computes in bfloat16 on TPUs
    (`config["strategy"] == "tpu"`) and float16 elsewhere.
    """
    policy = "float32"
    if config["mixed_precision"]:
        tpu = config["strategy"] == "tpu"
        policy = "mixed_bfloat16" if tpu else "mixed_float16"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def learning_rate(optimizer):
    """The optimizer's current learning rate (schedules evaluated)."""
    return float(np.asarray(optimizer.learning_rate))


def floats(logs):
    return {k: float(v) for k, v in logs.items()}


def check_positive_ints(owner, names):
    """Raises a ValueError naming the first attribute that is no int >= 1."""
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def read_run_config(logdir, kind):
    """`LOGDIR/config.json` as a dict; `kind` names the run in the error."""
    path = os.path.join(logdir, "config.json")
    if not os.path.isfile(path):
        raise ValueError(f"{logdir!r} is not a {kind} run: no config.json")
    with open(path) as file:
        return json.load(file)


def check_same_run(saved, config, keys):
    """Raises if `config` differs from `saved` in any of `keys`."""
    different = {
        k: (saved.get(k), config.get(k))
        for k in keys
        if saved.get(k) != config.get(k)
    }
    if different:
        details = ", ".join(
            f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in different.items()
        )
        raise ValueError(
            f"the logdir holds a different run ({details}); use a new "
            "--logdir or the same settings"
        )


def write_run_config(logdir, config, keys, kind):
    """Writes `LOGDIR/config.json`, refusing a logdir of another run."""
    if os.path.isfile(os.path.join(logdir, "config.json")):
        check_same_run(read_run_config(logdir, kind), config, keys)
    write_json_atomic(os.path.join(logdir, "config.json"), config)


class StopOnSignals:
    """Turns SIGINT / SIGTERM into a request to save and stop.

    Use as a context manager; `received` is then None or the signal's name.
    Outside the main thread the signals are left alone.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.received = None
        self.previous = {}

    def __enter__(self):
        for number in self.SIGNALS:
            try:
                self.previous[number] = signal.signal(number, self._handle)
            except ValueError:  # not the main thread
                pass
        return self

    def _handle(self, number, frame):
        self.received = signal.Signals(number).name

    def __exit__(self, *exc):
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        return False
