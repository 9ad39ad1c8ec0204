"""The MoCo training loop: data, steps, logs, kNN, checkpoints, resume.

`train(config, logdir)` runs (or resumes) one MoCo / NDA-MoCo run; the
command `python -m nda_tf.experiments.moco` is a thin layer of flags over
it. It shares the GAN loop's conventions (`nda_tf.gan.trainer`): the same
run directory layout, atomic checkpoints, exact resume from a seekable data
stream, Ctrl-C / SIGTERM to save and stop.
"""

import dataclasses
import logging
import os

import keras
import tensorflow as tf

from nda_tf import data
from nda_tf.contrastive import evaluation, runs
from nda_tf.contrastive.augment import MoCoV2Augment, two_views
from nda_tf.training import (
    CheckpointKeeper,
    Progress,
    StopOnSignals,
    check_positive_ints,
    floats,
    learning_rate,
    make_strategy,
    set_precision,
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
        eval_every: steps between kNN evaluations (and callbacks).
        log_every: steps between TensorBoard scalars.
        knn_k: neighbours of the kNN monitor (MoCo's: 200).
        knn_examples: at most this many training images (the memory bank)
            and test images for the kNN monitor.
        progress: show the progress line.
    """

    save_every: int = 5000
    keep: int = 3
    eval_every: int = 5000
    log_every: int = 100
    knn_k: int = 200
    knn_examples: int = 10000
    progress: bool = True

    def __post_init__(self):
        check_positive_ints(
            self,
            (
                "save_every",
                "keep",
                "eval_every",
                "log_every",
                "knn_k",
                "knn_examples",
            ),
        )


def train(config, logdir, options=None, callbacks=(), strategy=None):
    """Trains, or resumes, the run in `logdir`; returns the model and a summary.

    Args:
        config: dict of `nda_tf.contrastive.runs.DEFAULTS` overrides.
        logdir: the run directory; a checkpoint there is resumed.
        options: `RunOptions`.
        callbacks: Keras callbacks, called with `on_train_batch_end(step,
            logs)` (1-based steps) every `options.eval_every` steps and at
            the last step.
        strategy: a `tf.distribute.Strategy`; default from
            `config["strategy"]`.

    Returns:
        `(moco, summary)`, summary a dict with `step`, `interrupted` (the
        signal name or None) and the last `logs`.
    """
    options = options or RunOptions()
    config = dict(config)
    strategy = strategy or make_strategy(config.get("strategy", "default"))
    replicas = strategy.num_replicas_in_sync
    # Checks the settings before the (maybe long) read of the data.
    resolved = runs.resolve(config, replicas=replicas, derive_steps=False)
    if resolved["jit"] and replicas > 1:
        raise ValueError(
            "jit does not compile under a multi-replica strategy "
            f"({replicas} replicas): use jit=False"
        )
    stream = data.training_stream(
        resolved["dataset"],
        resolved["batch_size"],
        split=resolved["split"],
        resolution=resolved["resolution"],
        seed=resolved["seed"],
        data_dir=resolved["data_dir"],
    )
    config = runs.resolve(config, stream.info, replicas=replicas)
    write_run_config(logdir, config, runs.ARCHITECTURE_KEYS, "MoCo")
    set_precision(config)
    # Seeded initial weights: the same settings give the same run.
    keras.utils.set_random_seed(config["seed"])
    with strategy.scope():
        moco = runs.build(config)
    loop = _Loop(moco, config, logdir, options, stream, strategy)
    return loop.run(callbacks)


class _Loop:
    def __init__(self, moco, config, logdir, options, stream, strategy):
        self.moco, self.config, self.logdir = moco, config, logdir
        self.options, self.stream, self.strategy = options, stream, strategy
        state = tf.train.Checkpoint(model=moco, optimizer=moco.optimizer)
        self.keeper = CheckpointKeeper(
            os.path.join(logdir, "checkpoints"), state, options.keep
        )
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
        for callback in callbacks:
            callback.set_model(self.moco)
        augment = MoCoV2Augment(
            self.config["resolution"], blur=self.config["blur"]
        )
        views = two_views(
            self.stream.batches(start=step), augment, self.config["seed"], step
        )
        iterator = iter(self.strategy.experimental_distribute_dataset(views))
        train_step = step_function(
            self.moco.train_step, self.strategy, self.config["jit"]
        )
        knn = _KNN(self.config, self.options, self.stream)
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
                    self._evaluate(step, logs, knn, callbacks)
                if step % self.options.save_every == 0:
                    self.keeper.save(step, floats(logs))
                    saved = step
                if progress is not None:
                    progress.update(step, floats(logs))
        if saved != step:
            self.keeper.save(step, floats(logs))
        return self.moco, {
            "step": step,
            "interrupted": stop.received,
            "logs": floats(logs),
        }

    def _log_scalars(self, step, outputs, progress):
        logs = {k: float(v) for k, v in outputs.items()}
        for tracker in self.moco.metrics:
            tracker.reset_state()  # each logged value covers its interval
        with self.train_writer.as_default(step=step):
            for name, value in logs.items():
                tf.summary.scalar(name, value)
            tf.summary.scalar("lr", learning_rate(self.moco.optimizer))
            if progress is not None:
                tf.summary.scalar("steps_per_sec", progress.rate(step))
        return logs

    def _evaluate(self, step, logs, knn, callbacks):
        accuracy = knn(self.moco.encoder)
        if accuracy is not None:
            logs["knn_accuracy"] = accuracy
            with self.eval_writer.as_default(step=step):
                tf.summary.scalar("knn_accuracy", accuracy)
            self.eval_writer.flush()
        for callback in callbacks:
            callback.on_train_batch_end(step, logs)


class _KNN:
    """The kNN monitor of a run: unaugmented training images as the memory
    bank, the test set as queries (read once, on first use)."""

    def __init__(self, config, options, stream):
        self.config, self.options, self.stream = config, options, stream
        self.sets = None

    def __call__(self, encoder):
        if self.config["num_classes"] < 2:
            return None  # unlabelled data: nothing to classify
        if self.sets is None:
            self.sets = self._read()
        (bank, bank_labels), (test, test_labels) = self.sets
        return evaluation.knn_accuracy(
            runs.encode(encoder, bank),
            bank_labels,
            runs.encode(encoder, test),
            test_labels,
            self.config["num_classes"],
            k=self.options.knn_k,
        )

    def _read(self):
        count, seed = self.options.knn_examples, self.config["seed"]
        if self.stream.arrays is not None:
            bank = runs.subset(*self.stream.arrays, count, seed)
        else:
            bank = runs.labelled_images(self.config, False, count, seed)
        test = runs.labelled_images(self.config, True, count, seed)
        return bank, test
