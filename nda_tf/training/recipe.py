"""The interface between an algorithm and the one run loop.

A recipe says what a run of its algorithm is: its settings (`Option`s, from
which the command line is generated), the settings a resumed run must share,
how a configuration is checked and completed, how the model is built, the
seekable stream of training batches, its default evaluators and what it
exports (`exports`, `export`, which `nda_tf.training.export_run` calls).
The loop (`nda_tf.training.train`) does everything else.
See docs/architecture.md, "Adding an algorithm".
"""

import abc
import math

import numpy as np

from nda_tf.training.options import DATA_ACCESS_OPTIONS, Option, fill, shared
from nda_tf.training.strategies import STRATEGIES

# Settings every recipe has: they change how a run computes, not what.
COMMON_OPTIONS = (
    shared("seed", "Seed of weights, data order, noise and negatives."),
    Option("mixed_precision", False, "float16 compute (bfloat16 on TPU)."),
    Option("jit", False, "Compile the train step with XLA (one device)."),
    Option(
        "strategy", "default", "tf.distribute strategy.", choices=STRATEGIES
    ),
)


def learning_rate(optimizer):
    """The optimizer's current learning rate (schedules evaluated)."""
    return float(np.asarray(optimizer.learning_rate))


def with_common(options):
    """A recipe's options and the common ones: `Recipe.all_options`."""
    return (*options, *COMMON_OPTIONS)


# How data and weights are reached, in every command that reads them: not
# what a run learns, so not recorded.
def apply_data_access(values):
    """Makes `no_download` and `bad_files` of `values` (a config or the
    flags' values) the process settings of `nda_tf.data`, so that every
    reader of the command (training stream, evaluators, test sets) obeys
    them."""
    # Here, not at import: `nda_tf.data` loads TensorFlow, and the options
    # of this module are read by `--help`.
    from nda_tf import data

    data.downloads.set_allowed(False if values.get("no_download") else None)
    data.set_bad_files(values.get("bad_files") or "stop")


def data_options(dataset, help):
    """The options of the training source that `Recipe.stream` reads."""
    return (
        Option("dataset", dataset, help),
        Option("split", "train", "tfds split to train on."),
        shared(
            "data_dir",
            "tfds data directory; missing data is downloaded into it.",
        ),
        Option(
            "resolution", None, "Image size (default: dataset's).", kind="int"
        ),
        *DATA_ACCESS_OPTIONS,
    )


def length_options(epochs, steps="Steps"):
    """A run's length: `epochs` by default, or `steps` (what one counts)."""
    return (
        Option("epochs", epochs, "Training length when --steps is unset."),
        Option("steps", None, f"{steps} (default: from --epochs).", kind="int"),
    )


def watch_option(name, default, help, **kwargs):
    """An option of how a run is watched (evaluation, samples): not part
    of the run, so not recorded in config.json nor compared on resume."""
    return Option(name, default, help, recorded=False, **kwargs)


# Derived from the data when a run starts, recorded in config.json.
DERIVED = ("num_classes", "num_examples")


def recipe_of(saved):
    """The name of the recipe that wrote a saved configuration (layout 0
    recorded none: its MoCo runs are told by their queue)."""
    return saved.get("recipe", "moco" if "queue_size" in saved else "gan")


class Recipe(abc.ABC):
    """Base class of an algorithm's recipe. Subclasses set the attributes
    and implement `build` and `batches`; the rest default.

    Attributes:
        name: the algorithm's name, recorded in `config.json`.
        options: its `Option`s (COMMON_OPTIONS are added by the base).
        resume_may_change: the recorded settings a resumed run may change
            (how long it runs, where its data lives, how it computes);
            every other recorded and derived setting changes what is
            learned, so a run resumed from a logdir must share it with the
            run that wrote it (`resume_keys`).
        legacy_defaults: settings that older versions did not record,
            with the value their runs were trained with: a `config.json`
            without one is compared and loaded with that value, so that
            a new default does not silently change a resumed run.
    """

    name = None
    options = ()
    # What `export` writes: part -> the export option that names its
    # served model (None: the part is written as OUT/<version>); and the
    # settings `export` reads besides `EXPORT_OPTIONS`.
    exports = {}
    export_options = ()
    legacy_defaults = {}
    resume_may_change = ("steps", "epochs", "data_dir", "jit", "strategy")

    def all_options(self):
        return with_common(self.options)

    @property
    def resume_keys(self):
        """The settings a resumed run must share: every recorded and
        derived one but `resume_may_change`."""
        recorded = [o.name for o in self.all_options() if o.recorded]
        keys = (*recorded, *DERIVED)
        return tuple(k for k in keys if k not in self.resume_may_change)

    def resolve(self, config, info=None, replicas=1):
        """Fills the defaults, checks every value, derives what the data
        fixes (`info`: a `nda_tf.data.DatasetInfo`) and the step count."""
        derived = DERIVED + ("layout", "recipe")
        c = fill(self.all_options(), config, derived)
        c.pop("layout", None)
        c.pop("recipe", None)
        if replicas > 1 and c["jit"]:
            raise ValueError(
                "jit does not compile under a multi-replica strategy "
                f"({replicas} replicas): use jit=False"
            )
        if c["batch_size"] % replicas:
            raise ValueError(
                f"batch_size {c['batch_size']} is not divisible by the "
                f"{replicas} replicas"
            )
        self.validate(c, replicas)
        if info is not None:
            c["resolution"] = info.resolution
            c["num_examples"] = info.num_examples
            c["num_classes"] = info.num_classes
            self.derive(c, info)
            if c["steps"] is None:
                c["steps"] = self.steps_from_epochs(c)
        return c

    def validate(self, config, replicas):  # noqa: B027 (an optional hook)
        """Checks that involve several settings (each alone is checked by
        its `Option`)."""

    def derive(self, config, info):  # noqa: B027 (an optional hook)
        """Sets what follows from the data (after `resolve` set
        `resolution`, `num_examples` and `num_classes`)."""

    def examples_per_step(self, config):
        return config["batch_size"]

    def steps_from_epochs(self, c):
        if not c.get("num_examples"):
            raise ValueError(
                f"{c['dataset']!r} is endless: give steps, not epochs"
            )
        return math.ceil(
            c["epochs"] * c["num_examples"] / self.examples_per_step(c)
        )

    def stream(self, config):
        """The training source as a seekable `nda_tf.data.TrainingStream`
        of `examples_per_step` images per batch."""
        from nda_tf import data

        return data.training_stream(
            config["dataset"],
            self.examples_per_step(config),
            split=config["split"],
            resolution=config["resolution"],
            seed=config["seed"],
            data_dir=config["data_dir"],
            download=False if config.get("no_download") else None,
            bad_files=config.get("bad_files"),
        )

    @abc.abstractmethod
    def build(self, config, compile=True):
        """The model of a resolved config (called in the strategy's scope,
        after the precision policy is set); compiled unless asked not to."""

    @abc.abstractmethod
    def batches(self, model, config, stream, start):
        """A `tf.data.Dataset` of the train step's inputs from step `start`
        on, the same whether read from 0 or from `start`."""

    def evaluators(self, model, config, run):
        """The default `Evaluator`s of a run (`run`: its `RunContext`)."""
        return []

    def checkpoint_items(self, model, layout):
        """What a checkpoint holds, as `tf.train.Checkpoint` keywords, for
        a run directory of `layout` (older layouts named them otherwise):
        by default the model and its optimizers that it does not track."""
        items = {"model": model}
        for name in ("optimizer", "backbone_optimizer"):
            if getattr(model, name, None) is not None:
                items[name] = getattr(model, name)
        return items

    def scalars(self, model):
        """Extra scalars logged with the step's metrics: the learning rates
        of the model's optimizers (a GAN's two as `lr_g` and `lr_d`)."""
        if getattr(model, "g_optimizer", None) is not None:
            return {
                "lr_g": learning_rate(model.g_optimizer),
                "lr_d": learning_rate(model.d_optimizer),
            }
        if getattr(model, "optimizer", None) is None:
            return {}
        return {"lr": learning_rate(model.optimizer)}

    def best_metric(self, config):
        """`(metric, "min" | "max")` that selects `best/`, or None."""
        return None

    def default_logdir(self, config):
        return f"runs/{self.name}"

    def check_export(self, config, what, options):  # noqa: B027 (optional)
        """Checks what `export` will read (its data), before the model of
        the run whose saved config is `config` is loaded."""

    def export(self, model, config, what, out, options, metadata):
        """Writes the parts `what` (keys of `exports`) of a loaded run as
        TF Serving versions under `out` with `nda_tf.export` (warm-up
        requests, `metadata` in the asset, the overwrite guard); `options`
        are the filled export settings. Returns `{part: folder}`."""
        raise NotImplementedError(f"the {self.name} recipe cannot export")

    def done_message(self, summary, logdir):
        """What the command prints after a run finished."""
        return f"Done: {summary['step']} steps. TensorBoard: tensorboard " + (
            f"--logdir={logdir}"
        )
