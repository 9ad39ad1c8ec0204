"""Command lines generated from recipes: one flag per `Option`.

`run(recipe, prog)` defines the recipe's flags, the run loop's and the
command's own, then trains as they say; a bad value exits with one line
that names it. The flags are defined when the command runs, not at import,
so commands can be imported side by side.
"""

import dataclasses
import os
import re
import signal
import sys

from absl import app, flags

from nda_tf.training import RunOptions
from nda_tf.training.options import Option

FLAGS = flags.FLAGS

_RUN_FIELDS = [
    f for f in dataclasses.fields(RunOptions) if "help" in f.metadata
]
COMMAND_OPTIONS = (
    Option("logdir", None, "Run directory (default: runs/<name>).", kind="str"),
    Option("tpu", None, "TPU name or address for --strategy=tpu.", kind="str"),
    Option(
        "deterministic", False, "Deterministic TF ops (bitwise reproducible)."
    ),
    Option(
        "export_dir",
        None,
        "Export the trained model here at the end, as SavedModels versioned "
        "by the final step (the best checkpoint where the run keeps one).",
        kind="str",
    ),
    *(Option(f.name, f.default, f.metadata["help"]) for f in _RUN_FIELDS),
)


def define_flags(options, flag_values=FLAGS):
    """Defines an absl flag for each `Option`; enumerations come from the
    option's choices (its registry)."""
    for option in options:
        args = (option.name, option.default, option.help)
        # Listed by --help as the running command's own flags.
        kwargs = {"flag_values": flag_values, "module_name": sys.argv[0]}
        allowed = option.allowed()
        if option.kind == "bool":
            flags.DEFINE_boolean(*args, **kwargs)
        elif option.kind == "int":
            flags.DEFINE_integer(*args, **kwargs)
        elif option.kind == "float":
            flags.DEFINE_float(*args, **kwargs)
        elif option.kind == "list":
            flags.DEFINE_list(*args, **kwargs)
        elif allowed is not None:
            values = [str(a) for a in allowed]
            flags.DEFINE_enum(
                option.name, option.default, values, option.help, **kwargs
            )
        else:
            flags.DEFINE_string(*args, **kwargs)


def run(recipe, prog):
    """Defines the flags of `recipe`'s command and runs it."""
    define_flags((*recipe.all_options(), *COMMAND_OPTIONS))
    app.run(lambda argv: main(recipe, prog))


def main(recipe, prog):
    """Trains (or resumes) a run as the parsed flags say."""
    from nda_tf import training
    from nda_tf.experiments import common

    common.quiet_logs()
    config = {o.name: FLAGS[o.name].value for o in recipe.all_options()}
    logdir = FLAGS.logdir or _safe(recipe.default_logdir(config))
    if FLAGS.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    try:
        options = RunOptions(
            **{f.name: FLAGS[f.name].value for f in _RUN_FIELDS}
        )
        strategy = training.make_strategy(FLAGS.strategy, tpu=FLAGS.tpu)
        _, summary = training.train(
            recipe, config, logdir, options, strategy=strategy
        )
    except ValueError as error:
        sys.exit(f"{prog}: error: {error}")
    where = os.path.abspath(logdir)
    if summary["interrupted"]:
        print(
            f"Stopped by {summary['interrupted']} at step {summary['step']}; "
            f"checkpoint saved in {where}. Run the same command to resume."
        )
        if summary["interrupted"] == "SIGINT":
            sys.exit(128 + signal.SIGINT)
        return
    print(recipe.done_message(summary, where))
    if FLAGS.export_dir:
        _export(recipe, logdir, summary["step"])


def _safe(logdir):
    head, name = os.path.split(logdir)
    return os.path.join(head, re.sub(r"[^A-Za-z0-9_.=-]+", "_", name))


def _export(recipe, logdir, step):
    from nda_tf.experiments import export

    has_best = os.path.isdir(os.path.join(logdir, "best"))
    paths = export.export_run(
        logdir,
        FLAGS.export_dir,
        recipe.exports,
        checkpoint="best" if has_best else "latest",
        version=step,
        overwrite=True,
    )
    for what, path in paths.items():
        print(f"Exported the {what} to {os.path.abspath(path)}")
