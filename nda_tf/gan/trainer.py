"""The GAN training loop: data, steps, logs, checkpoints, resume, signals.

`train(config, logdir)` runs (or resumes) one NDA-GAN run; the command
`python -m nda_tf.experiments.gan` is a thin layer of flags over it.
"""

import dataclasses
import logging
import os

import keras
import tensorflow as tf

from nda_tf import data, transforms
from nda_tf import random as nda_random
from nda_tf.gan import monitoring, runs
from nda_tf.training import (
    CheckpointKeeper,
    Progress,
    StopOnSignals,
    check_positive_ints,
    floats,
    learning_rate,
    make_strategy,
    step_function,
    write_run_config,
)

_LOG = logging.getLogger("nda_tf")


@dataclasses.dataclass
class RunOptions:
    """How a run is watched and saved (not what it learns).

    Attributes:
        save_every: steps between checkpoints (one is also written at the
            end, on Ctrl-C and on SIGTERM).
        keep: newest checkpoints kept.
        eval_every: steps between evaluations (samples, histograms and the
            callbacks' metrics).
        log_every: steps between TensorBoard scalars.
        best_metric: a `logs` key that selects the best checkpoint (e.g.
            "fid"), or None.
        best_mode: "min" or "max" for `best_metric`.
        num_grid_samples: images in each sample grid.
        progress: show the progress line.
    """

    save_every: int = 5000
    keep: int = 3
    eval_every: int = 5000
    log_every: int = 100
    best_metric: str | None = None
    best_mode: str = "min"
    num_grid_samples: int = 64
    progress: bool = True

    def __post_init__(self):
        check_positive_ints(
            self, ("save_every", "keep", "eval_every", "log_every")
        )
        if self.best_mode not in ("min", "max"):
            raise ValueError(
                f"best_mode must be 'min' or 'max', got {self.best_mode!r}"
            )


def train(
    config,
    logdir,
    options=None,
    callbacks=(),
    strategy=None,
    make_callbacks=None,
):
    """Trains, or resumes, the run in `logdir`; returns the GAN and a summary.

    Args:
        config: dict of `nda_tf.gan.runs.DEFAULTS` overrides.
        logdir: the run directory; a checkpoint there is resumed.
        options: `RunOptions`.
        callbacks: Keras callbacks, called with `on_train_batch_end(step,
            logs)` (1-based G steps) every `options.eval_every` steps and at
            the last step; they may add metrics to `logs` (see
            `RunOptions.best_metric`).
        strategy: a `tf.distribute.Strategy`; default from
            `config["strategy"]`.
        make_callbacks: optional `fn(resolved_config, strategy)` returning
            more callbacks, for those that need the data's resolution or
            classes (the FID callback's reference statistics).

    Returns:
        `(gan, summary)`, summary a dict with `step`, `interrupted` (the
        signal name or None) and the last `logs`.
    """
    options = options or RunOptions()
    config = dict(config)
    strategy = strategy or make_strategy(config.get("strategy", "default"))
    replicas = strategy.num_replicas_in_sync
    # Checks the settings before the (maybe long) read of the data.
    resolved = runs.resolve(config, derive_steps=False)
    if resolved["batch_size"] % replicas:
        raise ValueError(
            f"batch_size {resolved['batch_size']} is not divisible by the "
            f"{replicas} replicas"
        )
    if resolved["jit"] and replicas > 1:
        raise ValueError(
            "jit does not compile under a multi-replica strategy "
            f"({replicas} replicas): use jit=False"
        )
    stream = data.training_stream(
        resolved["dataset"],
        resolved["d_steps"] * resolved["batch_size"],
        split=resolved["split"],
        resolution=resolved["resolution"],
        seed=resolved["seed"],
        data_dir=resolved["data_dir"],
    )
    config = runs.resolve(config, stream.info)
    _write_config(logdir, config)
    runs.set_precision(config)
    # Seeded initial weights: the same settings give the same run.
    keras.utils.set_random_seed(config["seed"])
    with strategy.scope():
        gan = runs.build(config)
    if make_callbacks is not None:
        callbacks = [*callbacks, *make_callbacks(config, strategy)]
    return _Loop(gan, config, logdir, options, stream, strategy).run(callbacks)


def _write_config(logdir, config):
    write_run_config(logdir, config, runs.ARCHITECTURE_KEYS, "GAN")


class _Loop:
    def __init__(self, gan, config, logdir, options, stream, strategy):
        self.gan, self.config, self.logdir = gan, config, logdir
        self.options, self.stream, self.strategy = options, stream, strategy
        state = tf.train.Checkpoint(gan=gan)
        self.keeper = CheckpointKeeper(
            os.path.join(logdir, "checkpoints"), state, options.keep
        )
        self.best = CheckpointKeeper(os.path.join(logdir, "best"), state, 1)
        self.train_writer = tf.summary.create_file_writer(
            os.path.join(logdir, "train")
        )
        self.eval_writer = tf.summary.create_file_writer(
            os.path.join(logdir, "eval")
        )

    def run(self, callbacks):
        step = self.keeper.restore() or 0
        if step:
            _LOG.info("resuming %s from step %d", self.logdir, step)
        callbacks = [self._monitor(), *callbacks]
        for callback in callbacks:
            callback.set_model(self.gan)
        iterator = iter(
            self.strategy.experimental_distribute_dataset(
                _with_pda(self.stream.batches(start=step), self.config, step)
            )
        )
        train_step = step_function(
            self.gan.train_step, self.strategy, self.config["jit"]
        )
        total = self.config["steps"]
        progress = Progress(total, step) if self.options.progress else None
        logs, saved = {}, step
        with StopOnSignals() as stop:
            while step < total and stop.received is None:
                outputs = train_step(next(iterator))
                step += 1
                if step % self.options.log_every == 0 or step == total:
                    logs = self._log_scalars(step, outputs, progress)
                if step % self.options.eval_every == 0 or step == total:
                    self._evaluate(step, logs, callbacks)
                if step % self.options.save_every == 0:
                    self.keeper.save(step, floats(logs))
                    saved = step
                if progress is not None:
                    progress.update(step, floats(logs))
        if saved != step:
            self.keeper.save(step, floats(logs))
        return self.gan, {
            "step": step,
            "interrupted": stop.received,
            "logs": floats(logs),
        }

    def _monitor(self):
        first = next(iter(self.stream.batches(start=0)))
        size = min(64, int(first[0].shape[0]))
        real = (first[0][:size].numpy(), first[1][:size].numpy())
        return monitoring.SampleMonitor(
            self.logdir,
            self.eval_writer,
            real,
            num_samples=self.options.num_grid_samples,
            seed=self.config["seed"],
        )

    def _log_scalars(self, step, outputs, progress):
        logs = {k: float(v) for k, v in outputs.items()}
        for tracker in self.gan.metrics:
            tracker.reset_state()  # each logged value covers its interval
        with self.train_writer.as_default(step=step):
            for name, value in logs.items():
                tf.summary.scalar(name, value)
            tf.summary.scalar("lr_g", learning_rate(self.gan.g_optimizer))
            tf.summary.scalar("lr_d", learning_rate(self.gan.d_optimizer))
            if progress is not None:
                tf.summary.scalar("steps_per_sec", progress.rate(step))
        return logs

    def _evaluate(self, step, logs, callbacks):
        for callback in callbacks:
            callback.on_train_batch_end(step, logs)
        with self.eval_writer.as_default(step=step):
            for name, value in logs.items():
                if name.startswith("eval_") or name == self.options.best_metric:
                    tf.summary.scalar(name, value)
        self.eval_writer.flush()
        metric = self.options.best_metric
        if metric is None or metric not in logs:
            return
        previous = self.best.latest()
        value = logs[metric]
        if previous is not None and metric in previous["metrics"]:
            old = previous["metrics"][metric]
            better = (
                value < old
                if self.options.best_mode == "min"
                else (value > old)
            )
            if not better:
                return
        self.best.save(step, floats(logs))


def _with_pda(dataset, config, start):
    """Positive augmentation of real images (Table 1's PDA column).

    Each real image is replaced by its transformed version with probability
    `pda_probability`, seeded by the batch index, so resumed streams match.
    """
    layer = transforms.get(config["pda"])
    if layer is None:
        return dataset
    probability, seed = config["pda_probability"], config["seed"]

    def augment(index, batch):
        images, labels = batch
        key = tf.stack([tf.constant(seed, tf.int64), index])
        apply_seed, choose_seed = nda_random.split_seed(key, 2)
        changed = layer.transform_with_seed(images, apply_seed)
        chosen = nda_random.uniform([tf.shape(images)[0], 1, 1, 1], choose_seed)
        return tf.where(chosen < probability, changed, images), labels

    return dataset.enumerate(start).map(augment)
