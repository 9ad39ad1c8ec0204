"""The one run loop: steps, logs, evaluators, checkpoints, exact resume.

`train(recipe, config, logdir)` runs, or resumes, one run of any algorithm
that has a `Recipe`. The loop knows nothing of what it trains: the recipe
builds the model and its batches, evaluators measure it.

    >>> import tempfile
    >>> from nda_tf.gan.recipe import GAN
    >>> config = {"dataset": "dots", "arch": "sngan", "ch": 4, "z_dim": 8,
    ...           "d_steps": 1, "batch_size": 4, "steps": 2,
    ...           "eval_metrics": ["none"], "num_grid_samples": 4}
    >>> gan, summary = train(GAN, config, tempfile.mkdtemp(),
    ...                      RunOptions(progress=False))
    >>> summary["step"], summary["interrupted"], int(gan.step)
    (2, None, 2)
"""

import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import tempfile

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks
from nda_tf.io import files
from nda_tf.training import (
    divergence,
    peers,
    run_directory,
    run_lock,
    signals,
)
from nda_tf.training.checkpoints import CheckpointKeeper
from nda_tf.training.divergence import DivergenceError
from nda_tf.training.progress import Progress
from nda_tf.training.recipe import DERIVED
from nda_tf.training.run_options import RunOptions
from nda_tf.training.strategies import make_strategy

_LOG = logging.getLogger("nda_tf")


# Bad steps in a row after which a run with on_nonfinite="skip" stops: a
# run that keeps diverging from the same weights will not recover.
MAX_SKIPS_IN_A_ROW = 10


class Evaluator:
    """Measures the model every `every` steps and at the last step.

    Args:
        fn: `fn(model, step)` returning a dict of named floats (or None).
            It runs with the run's `eval/` TensorBoard writer as default,
            so `tf.summary.image` / `histogram` calls inside land there.
        every: int >= 1, steps between calls.
    """

    def __init__(self, fn, every):
        checks.check_int("every", every, 1)
        self.fn, self.every = fn, every

    def due(self, step, last):
        return step % self.every == 0 or step == last

    def __call__(self, model, step):
        return dict(self.fn(model, step) or {})


@dataclasses.dataclass
class RunContext:
    """What a recipe's evaluators may need of their run."""

    config: dict
    logdir: str
    stream: object
    strategy: object


def train(
    recipe,
    config,
    logdir,
    options=None,
    evaluators=(),
    strategy=None,
    on_finish=None,
):
    """Trains, or resumes, the run of `recipe` in `logdir`.

    Args:
        recipe: the algorithm's `Recipe`.
        config: dict of the recipe's option overrides.
        logdir: the run directory; a checkpoint there is resumed exactly.
        options: `RunOptions`.
        evaluators: more `Evaluator`s, after the recipe's own.
        strategy: a `tf.distribute.Strategy`; default from
            `config["strategy"]`.
        on_finish: called as `on_finish(summary)` once the run has all
            its steps (not when a signal stopped it), by the chief only
            and while it still holds the run directory's lock: what it
            reads of `logdir` (the commands' `--export_dir` reads `best/`)
            is this run's, and one worker does it. A SIGTERM while it
            runs raises `SystemExit(143)` in it, so the lock is released.

    Returns:
        `(model, summary)`, summary a dict with `step`, `interrupted` (the
        signal name or None) and the last `logs`.

    Raises:
        run_lock.RunDirectoryLockedError: another process is running in
            `logdir` (its lock is held from after the settings and the
            data are checked until the run ends).
        OSError: the file system of `logdir` cannot lock it.
        peers.PeerLostError: a worker of a multi-worker run stopped.
    """
    options = options or RunOptions()
    strategy = strategy or make_strategy(config.get("strategy", "default"))
    replicas = strategy.num_replicas_in_sync
    # Every setting is checked before the (maybe long) read of the data.
    stream = recipe.stream(recipe.resolve(config, replicas=replicas))
    config = recipe.resolve(config, stream.info, replicas)
    # Multi-worker: every worker computes, saves and evaluates (saving and
    # evaluating may use collectives), but only the chief writes the run
    # directory; the others write into a temporary folder, then drop it.
    # So only the chief takes the run directory's lock: the workers of one
    # run never wait on each other, and a second run's chief stops.
    chief = strategy.extended.should_checkpoint
    lock = run_lock.holding if chief else _not_locking
    # Everything the run writes (events and samples too, which TensorFlow
    # creates) is no wider than the umask allows, never group-writable.
    with files.narrowed_umask(options.private):
        with lock(logdir, options.private), peers.naming_lost_peers(strategy):
            run = RunContext(config, logdir, stream, strategy)
            model, summary = _train(recipe, run, options, evaluators, chief)
            if on_finish is not None and chief and not summary["interrupted"]:
                # SIGTERM stops it through the lock's release (exit 143).
                with signals.raising_on_sigterm(_exit_status):
                    on_finish(summary)
            return model, summary


def _exit_status(number):
    """A signal's exit as the shell reports it: 128 + its number."""
    return SystemExit(128 + number)


@contextlib.contextmanager
def _not_locking(logdir, private):
    yield None


def _train(recipe, run, options, evaluators, chief):
    """`train` once the settings are checked and the run directory is
    locked; `run.logdir` is the run directory."""
    config, logdir = run.config, run.logdir
    recorded = {o.name for o in recipe.all_options() if o.recorded}
    recorded |= set(DERIVED)
    # A resumed run is compared with its config.json now; a new run's is
    # written only once the model and evaluators are built, since their
    # constructors check how the settings combine (an architecture and
    # its resolution): a refused run leaves no config.json that would
    # then refuse the corrected command as "a different run".
    layout = run_directory.write_config(
        logdir, config, recipe, recorded, options.private, write=False
    )
    write_dir = logdir if chief else tempfile.mkdtemp(prefix="nda_worker_")
    try:
        _set_precision(config)
        # Seeded initial weights: the same settings give the same run.
        keras.utils.set_random_seed(config["seed"])
        with run.strategy.scope():
            model = recipe.build(config)
        run = dataclasses.replace(run, logdir=write_dir)
        evaluators = [*recipe.evaluators(model, config, run), *evaluators]
        best = (
            (options.best_metric, options.best_mode)
            if options.best_metric
            else recipe.best_metric(config)
        )
        run_directory.write_config(
            logdir, config, recipe, recorded, options.private, write=chief
        )
        loop = _Loop(recipe, model, run, options, layout, best, logdir)
        return loop.run(evaluators)
    finally:
        if not chief:
            shutil.rmtree(write_dir, ignore_errors=True)


def _set_precision(config):
    """Keras' global dtype policy: bfloat16 on TPUs, float16 elsewhere."""
    policy = "float32"
    if config["mixed_precision"]:
        tpu = config["strategy"] == "tpu"
        policy = "mixed_bfloat16" if tpu else "mixed_float16"
    keras.mixed_precision.set_global_policy(policy)


class _Loop:
    def __init__(self, recipe, model, run, options, layout, best, logdir):
        self.recipe, self.model, self.context = recipe, model, run
        self.options, self.best_metric = options, best
        state = tf.train.Checkpoint(**recipe.checkpoint_items(model, layout))
        self.state = state
        # Restored from the run directory; saved into `run.logdir`, which
        # is a worker's temporary folder unless it is the chief.
        self.restorer = CheckpointKeeper(
            os.path.join(logdir, "checkpoints"), state
        )
        self.keeper = CheckpointKeeper(
            os.path.join(run.logdir, "checkpoints"),
            state,
            options.keep,
            options.private,
        )
        self.best = CheckpointKeeper(
            os.path.join(run.logdir, "best"), state, 1, options.private
        )
        self.watched = divergence.floating(model.weights)
        self.evaluated = {}  # the latest evaluators' values
        self.writers = {
            kind: tf.summary.create_file_writer(os.path.join(run.logdir, kind))
            for kind in ("train", "eval")
        }

    def run(self, evaluators):
        config, strategy = self.context.config, self.context.strategy
        step = self.restorer.restore() or 0
        if step:
            _LOG.info("resuming %s from step %d", self.restorer.directory, step)
        batches = self.recipe.batches(
            self.model, config, self.context.stream, step
        )
        # Each worker reads the whole stream and keeps its replicas' parts
        # of every global batch (no file sharding): the batches, and so the
        # run, are those of one process with as many replicas.
        sharding = tf.data.Options()
        sharding.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA
        )
        batches = batches.with_options(sharding)
        iterator = iter(strategy.experimental_distribute_dataset(batches))
        train_step = _step_function(
            self.model.train_step, strategy, config["jit"], self.watched
        )
        total = config["steps"]
        progress = None
        if self.options.progress:
            progress = Progress(total, step, self.options.progress_stream)
        logs, saved, skips = {}, step, 0
        with _StopOnSignals() as stop:
            while step < total and stop.received is None:
                backup = self._backup()
                outputs, finite = train_step(next(iterator))
                step += 1
                if not bool(finite):
                    skips = self._diverged(step, outputs, backup, skips)
                    continue
                skips = 0
                if step % self.options.log_every == 0 or step == total:
                    logs = self._log_scalars(step, outputs, progress)
                due = [e for e in evaluators if e.due(step, total)]
                if due:
                    self._evaluate(step, logs, due)
                if step % self.options.save_every == 0:
                    self._save(self.keeper, step, logs)
                    saved = step
                if progress is not None:
                    progress.update(step, {**logs, **self.evaluated})
        if saved != step:
            self._save(self.keeper, step, logs)
        summary = {"step": step, "interrupted": stop.received, "logs": logs}
        return self.model, summary

    def _save(self, keeper, step, logs):
        """Saves unless a weight is not finite (an evaluator may change the
        model after the step's check): no checkpoint holds a NaN."""
        if not bool(divergence.all_finite(self.watched)):
            self._diverged(step, {}, None, 0)
        keeper.save(step, logs)

    def _backup(self):
        """The state a skipped step puts back (None unless skipping)."""
        if self.options.on_nonfinite != "skip":
            return None
        variables = _state_variables(self.state, self.model)
        return variables, [np.array(v) for v in variables]

    def _diverged(self, step, outputs, backup, skips):
        """Stops the run (a `DivergenceError`), or puts back the weights
        of before the step; returns the bad steps in a row."""
        logs = {k: float(v) for k, v in outputs.items()}
        what = divergence.describe(step, logs, self.model.weights)
        for writer in self.writers.values():
            writer.flush()
        if backup is not None and skips + 1 < MAX_SKIPS_IN_A_ROW:
            for variable, value in zip(*backup, strict=True):
                variable.assign(value)
            for tracker in self.model.metrics:
                tracker.reset_state()  # they averaged the bad step in
            _LOG.warning("skipped step %d: %s", step, what)
            return skips + 1
        latest = self.restorer.latest()
        kept = (
            f"the last finite checkpoint, step {latest['step']}, is kept in "
            f"{self.restorer.directory}"
            if latest
            else "no checkpoint was written before it"
        )
        if backup is not None:
            what += f" ({MAX_SKIPS_IN_A_ROW} bad steps in a row)"
        raise DivergenceError(
            f"training diverged: {what}; {kept}. Lower the learning rates "
            "and start a new run in a new logdir (or skip bad steps with "
            "on_nonfinite=skip)"
        )

    def _log_scalars(self, step, outputs, progress):
        logs = {k: float(v) for k, v in outputs.items()}
        for tracker in self.model.metrics:
            tracker.reset_state()  # each logged value covers its interval
        with self.writers["train"].as_default(step=step):
            scalars = dict(logs, **self.recipe.scalars(self.model))
            if progress is not None:
                scalars["steps_per_sec"] = progress.rate(step)
            for name, value in scalars.items():
                tf.summary.scalar(name, value)
        return logs

    def _evaluate(self, step, logs, evaluators):
        values = {}
        with self.writers["eval"].as_default(step=step):
            for evaluator in evaluators:
                values.update(evaluator(self.model, step))
            for name, value in values.items():
                tf.summary.scalar(name, value)
        self.writers["eval"].flush()
        logs.update({k: float(v) for k, v in values.items()})
        self.evaluated.update({k: float(v) for k, v in values.items()})
        if self.best_metric is not None and self.best_metric[0] in values:
            self._keep_if_best(step, logs, *self.best_metric)

    def _keep_if_best(self, step, logs, metric, mode):
        previous = self.best.latest()
        if previous is not None and metric in previous["metrics"]:
            old, new = previous["metrics"][metric], logs[metric]
            if not (new < old if mode == "min" else new > old):
                return
        self._save(self.best, step, logs)


def _step_function(train_step, strategy, jit=False, watched=()):
    """One distributed `train_step`: its outputs reduced to replica means,
    and whether those and the `watched` variables are all finite."""
    step = tf.function(train_step, jit_compile=bool(jit), autograph=False)

    # No autograph: the step is plain Python control flow over tensors, and
    # converting every layer's code costs seconds per run.
    @tf.function(autograph=False)
    def distributed(batch):
        outputs = strategy.run(step, args=(batch,))
        reduced = {
            name: strategy.reduce("MEAN", value, axis=None)
            for name, value in outputs.items()
        }
        # One bool read per step: the guard names the very step that broke.
        finite = divergence.all_finite([*reduced.values(), *watched])
        return reduced, finite

    return distributed


def _state_variables(state, model):
    """Every variable a checkpoint holds (weights, optimizer slots, random
    states) but the metric trackers, which a skipped step resets."""
    trackers = {id(v) for m in model.metrics for v in m.variables}
    return [
        v
        for v in tf.train.TrackableView(state).descendants()
        if isinstance(v, (keras.Variable, tf.Variable))
        and id(v) not in trackers
    ]


def adam(config, learning_rate, **kwargs):
    """Adam with a recipe's `beta_1`, `beta_2` and `epsilon` (Keras'
    default where the recipe has none)."""
    return keras.optimizers.Adam(
        learning_rate,
        beta_1=config["beta_1"],
        beta_2=config["beta_2"],
        epsilon=config.get("epsilon", 1e-7),
        **kwargs,
    )


class _StopOnSignals:
    """Turns SIGINT / SIGTERM into a request to save and stop; `received`
    is then the signal's name. Outside the main thread signals are left
    alone."""

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
