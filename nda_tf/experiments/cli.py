"""Command lines from `Option`s: one flag per option, one error path.

`run_command(options, command, prog)` defines one flag per option, runs
`command(FLAGS)` and ends a ValueError (a bad value, a missing file) with
one line `PROG: error: MESSAGE`. `run(recipe, prog)` is the training
command of a recipe on it. The flags are defined when a command runs, not
at import, so commands can be imported side by side.
"""

import dataclasses
import functools
import logging
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


def define_flags(options, flag_values=FLAGS, required=()):
    """Defines an absl flag for each `Option`; enumerations come from the
    option's choices (its registry). Flags named in `required` must be
    given."""
    for option in options:
        args = (option.name, option.default, option.help)
        # Listed by --help as the running command's own flags.
        kwargs = {
            "flag_values": flag_values,
            "module_name": sys.argv[0],
            "required": option.name in required,
        }
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


def values(options, flag_values=FLAGS):
    """The parsed value of each option's flag, by name."""
    return {o.name: flag_values[o.name].value for o in options}


def run_command(options, command, prog, required=(), positional=False):
    """Runs `command(FLAGS)`, or `command(FLAGS, args)` with the positional
    arguments if `positional`, as the program `prog` with one flag per
    option; the flags named in `required` must be given."""
    define_flags(options, required=required)

    def main(argv):
        quiet_logs()
        try:
            command(FLAGS, *([argv[1:]] if positional else []))
        except ValueError as error:
            # Bad values, missing weights or data: the message says what.
            sys.exit(f"{prog}: error: {error}")

    app.run(main)


def quiet_logs():
    """Our progress messages only; TensorFlow's INFO lines are noise here."""
    from absl import logging as absl_logging

    # Some TensorFlow modules log through absl directly (checkpoint saves).
    absl_logging.set_verbosity(absl_logging.WARNING)
    # The logger `tf.get_logger()` returns, without importing TensorFlow.
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    ours = logging.getLogger("nda_tf")
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False


def run(recipe, prog):
    """The training command of `recipe`: its flags, the loop's and
    `COMMAND_OPTIONS`."""
    options = (*recipe.all_options(), *COMMAND_OPTIONS)
    run_command(options, functools.partial(_train, recipe), prog)


def _train(recipe, fv):
    """Trains (or resumes) a run as the parsed flags say."""
    from nda_tf import training

    config = values(recipe.all_options(), fv)
    # Downloads and bad files: the same for the evaluators' data.
    training.apply_data_access(config)
    logdir = fv.logdir or _safe(recipe.default_logdir(config))
    if fv.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    options = RunOptions(**values(_RUN_FIELDS, fv))
    strategy = training.make_strategy(fv.strategy, tpu=fv.tpu)
    _, summary = training.train(
        recipe, config, logdir, options, strategy=strategy
    )
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
    if fv.export_dir:
        _export(recipe, logdir, summary["step"], fv.export_dir)


def _safe(logdir):
    head, name = os.path.split(logdir)
    return os.path.join(head, re.sub(r"[^A-Za-z0-9_.=-]+", "_", name))


def _export(recipe, logdir, step, out):
    from nda_tf.experiments import export

    has_best = os.path.isdir(os.path.join(logdir, "best"))
    paths = export.export_run(
        logdir,
        out,
        recipe.exports,
        checkpoint="best" if has_best else "latest",
        version=step,
        overwrite=True,
    )
    for what, path in paths.items():
        print(f"Exported the {what} to {os.path.abspath(path)}")
