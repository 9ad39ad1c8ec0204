"""The interface between an algorithm and the one run loop.

A recipe says what a run of its algorithm is: its settings (`Option`s, from
which the command line is generated), the settings a resumed run must share,
how a configuration is checked and completed, how the model is built, the
seekable stream of training batches, its default evaluators and what it
exports. The loop (`nda_tf.training.train`) does everything else.
See docs/architecture.md, "Adding an algorithm".
"""

import abc
import math

from nda_tf.training.options import DATA_ACCESS_OPTIONS, Option, fill
from nda_tf.training.strategies import STRATEGIES

# Settings every recipe has: they change how a run computes, not what.
COMMON_OPTIONS = (
    Option(
        "seed", 0, "Seed of weights, data order, noise and negatives.", low=0
    ),
    Option("mixed_precision", False, "float16 compute (bfloat16 on TPU)."),
    Option("jit", False, "Compile the train step with XLA (one device)."),
    Option(
        "strategy", "default", "tf.distribute strategy.", choices=STRATEGIES
    ),
)


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
        Option(
            "data_dir",
            None,
            "tfds data directory; missing data is downloaded into it.",
            kind="str",
        ),
        Option(
            "resolution", None, "Image size (default: dataset's).", kind="int"
        ),
        *DATA_ACCESS_OPTIONS,
    )


def watch_option(name, default, help, **kwargs):
    """An option of how a run is watched (evaluation, samples): not part
    of the run, so not recorded in config.json nor compared on resume."""
    return Option(name, default, help, recorded=False, **kwargs)


# Derived from the data when a run starts, recorded in config.json.
DERIVED = ("num_classes", "num_examples")


class Recipe(abc.ABC):
    """Base class of an algorithm's recipe. Subclasses set the attributes
    and implement `build`, `batches` and `checkpoint_items`; the rest default.

    Attributes:
        name: the algorithm's name, recorded in `config.json`.
        options: its `Option`s (COMMON_OPTIONS are added by the base).
        resume_keys: the settings a run resumed from a logdir must share
            with the run that wrote it: every recorded setting that
            changes what is learned.
        resume_may_change: the other recorded settings, which a resumed
            run may change (how long it runs, where its data lives, how it
            computes). Each recorded setting and each derived one is in
            exactly one of the two (tests/training/test_resume.py).
        legacy_defaults: settings that older versions did not record,
            with the value their runs were trained with: a `config.json`
            without one is compared and loaded with that value, so that
            a new default does not silently change a resumed run.
    """

    name = None
    options = ()
    resume_keys = ()
    legacy_defaults = {}
    resume_may_change = ("steps", "epochs", "data_dir", "jit", "strategy")

    def all_options(self):
        return with_common(self.options)

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

    @abc.abstractmethod
    def checkpoint_items(self, model, layout):
        """What a checkpoint holds, as `tf.train.Checkpoint` keywords, for
        a run directory of `layout` (older layouts named them otherwise)."""

    def scalars(self, model):
        """Extra scalars logged with the step's metrics (learning rates)."""
        return {}

    def best_metric(self, config):
        """`(metric, "min" | "max")` that selects `best/`, or None."""
        return None

    def default_logdir(self, config):
        return f"runs/{self.name}"

    def export(self, logdir, export_dir, step):
        """Writes the run's SavedModels under `export_dir`; returns a dict
        of what was exported to where."""
        return {}

    def done_message(self, summary, logdir):
        """What the command prints after a run finished."""
        return f"Done: {summary['step']} steps. TensorBoard: tensorboard " + (
            f"--logdir={logdir}"
        )
