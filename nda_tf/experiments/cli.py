"""Command lines from `Option`s: one flag per option, one error path.

`run_command(options, command, prog)` defines one flag per option (and
`--verbose`), checks every value, starts TensorFlow without its start-up
noise, runs `command(FLAGS)` and ends any error with one line `PROG:
error: MESSAGE` and a non-zero exit status (the traceback only with
`--verbose`). `run(recipe, prog)` is the training command of a recipe on
it. Flags are defined when a command runs, not at import, and this module
imports no TensorFlow, so `--help` answers without loading it.
"""

import contextlib
import dataclasses
import errno
import functools
import importlib
import logging
import os
import re
import signal
import sys
import tempfile

from absl import app, flags

from nda_tf import extras as nda_extras
from nda_tf.io import files as nda_files
from nda_tf.training.options import Option, shared
from nda_tf.training.peers import DEFAULT_PEER_TIMEOUT

# TensorFlow reads this when it loads. Its C++ lines are not for users of
# a command: even its ERROR lines are mostly internal (Grappler's "remapper
# failed"), and real failures reach Python as exceptions, which the error
# path prints. An explicit setting is kept; --verbose shows everything.
if not any(a in ("--verbose", "--verbose=true") for a in sys.argv[1:]):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FLAGS = flags.FLAGS

VERBOSE = Option(
    "verbose",
    False,
    "On an error, print the full traceback (and TensorFlow's start-up log).",
    recorded=False,
)

# What TensorFlow writes to stderr while it loads and looks for a GPU,
# whatever TF_CPP_MIN_LOG_LEVEL says (it logs before absl's logging is
# initialised): meaningless on a machine without one.
_STARTUP_NOISE = re.compile(
    "|".join(
        (
            r"All log messages before absl::InitializeLog",
            r"cudart_stub\.cc",
            r"cuInit",
            r"cuda_(driver|platform|diagnostics|dnn|fft|blas)\.cc",
            r"Could not find cuda drivers",
            r"Unable to register cu(DNN|FFT|BLAS) factory",
            r"oneDNN custom operations are on",
            r"cpu_feature_guard\.cc",
            r"To enable the following instructions",
            r"TF-TRT Warning",
            r"computation_placer\.cc",
        )
    )
)


def _run_option_fields():
    from nda_tf.training.run_options import RunOptions

    return [f for f in dataclasses.fields(RunOptions) if "help" in f.metadata]


def strategy_options():
    """How `--strategy` finds its devices: `--tpu` and `--peer_timeout`,
    shared by the training commands and `evaluate`."""
    return (
        Option(
            "tpu", None, "TPU name or address for --strategy=tpu.", kind="str"
        ),
        Option(
            "peer_timeout",
            DEFAULT_PEER_TIMEOUT,
            "--strategy=multiworker: seconds to wait for the other workers "
            "to start before stopping with the names of those missing.",
            low=1,
        ),
    )


def command_options():
    """The loop's options of a training command, beside the recipe's."""
    return (
        shared("logdir", "Run directory (default: runs/<name>)."),
        *strategy_options(),
        Option(
            "deterministic",
            False,
            "Deterministic TF ops (bitwise reproducible).",
        ),
        Option(
            "export_dir",
            None,
            "Export the trained model here at the end, as SavedModels "
            "versioned by the final step (the best checkpoint where the run "
            "keeps one).",
            kind="str",
        ),
        *(
            Option(
                f.name,
                f.default,
                f.metadata["help"],
                choices=f.metadata["choices"],
            )
            for f in _run_option_fields()
        ),
    )


def define_flags(options, flag_values=None, required=()):
    """Defines an absl flag for each `Option`; enumerations come from the
    option's choices (its registry). Flags named in `required` must be
    given."""
    flag_values = FLAGS if flag_values is None else flag_values
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


def values(options, flag_values=None):
    """The parsed value of each option's flag, by name."""
    flag_values = FLAGS if flag_values is None else flag_values
    return {o.name: flag_values[o.name].value for o in options}


def check_values(options, flag_values=None):
    """Checks every given value against its `Option` (kind, bounds,
    choices), so that a bad one is refused before any work; the error
    names the flag. Defaults are the command's own and pass as they are."""
    flag_values = FLAGS if flag_values is None else flag_values
    for option in options:
        value = flag_values[option.name].value
        if value != option.default:
            try:
                option.check(value)
            except ValueError as error:
                if option.name in str(error):
                    raise
                raise ValueError(f"--{option.name}: {error}") from None


# `gs://bucket/run` and the like: os.* would take it for a relative folder
# named "gs:" (run lock and checkpoints included).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _refuse_url(name, path):
    if _URL.match(path):
        raise ValueError(
            f"--{name}={path} is a URL: nda_tf writes run directories on "
            "local or mounted file systems only (e.g. mount the bucket with "
            "gcsfuse and pass the mount path)"
        )


def check_output_dir(name, path):
    """Raises a ValueError naming the flag `name` unless the folder `path`
    exists and is writable, or can be created: checked by writing, so a
    read-only file system and a file in the way are found before any work.
    A URL (`gs://...`) is refused. Creates nothing."""
    if not path:
        raise ValueError(f"--{name} must name a folder, received {path!r}")
    _refuse_url(name, path)
    absolute = os.path.abspath(path)
    existing = absolute
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        what = (
            "is a file"
            if existing == absolute
            else f"has a file in the way: {existing}"
        )
        raise ValueError(f"--{name}={path} {what}, not a folder")
    try:
        descriptor, probe = tempfile.mkstemp(
            prefix=".nda_tf_probe", dir=existing
        )
    except OSError as error:
        because = "" if existing == absolute else f" (in {existing})"
        raise ValueError(
            f"--{name}={path} is not writable{because}: "
            f"{error.strerror or error}"
        ) from None
    os.close(descriptor)
    os.remove(probe)


def check_output_file(name, path):
    """Raises a ValueError naming the flag `name` unless a file can be
    written at `path` (its folder writable or creatable, no folder in the
    way)."""
    if not path:
        raise ValueError(f"--{name} must name a file, received {path!r}")
    _refuse_url(name, path)
    if os.path.isdir(path):
        raise ValueError(f"--{name}={path} is a folder, not a file")
    check_output_dir(name, os.path.dirname(os.path.abspath(path)))


def run_command(
    options,
    command,
    prog,
    required=(),
    positional=False,
    tensorflow=True,
    check=None,
    extras=(),
):
    """Runs `command(FLAGS)`, or `command(FLAGS, args)` with the positional
    arguments if `positional`, as the program `prog` with one flag per
    option (plus `--verbose`); the flags named in `required` must be given.

    Every value is checked first (`check_values`), then that the `extras`
    the command needs are installed (`nda_tf.extras.require`: a missing
    one is one line naming it), then `check(FLAGS)` if given (checks
    across values, or of outputs, that need no TensorFlow);
    TensorFlow is started quietly unless `tensorflow=False`; any error ends
    the program with one line naming it (`error_line`) and exit status 1
    (130 on Ctrl-C).
    """
    if not any(o.name == VERBOSE.name for o in options):
        options = (*options, VERBOSE)
    # Choices read from registries may load TensorFlow already.
    with _quietly(_asks_verbose()):
        define_flags(options, required=required)

    def main(argv):
        verbose = FLAGS.verbose
        try:
            if not positional and len(argv) > 1:
                raise ValueError(
                    f"unexpected argument {argv[1]!r}: flags are written "
                    "--name=value"
                )
            with _quietly(verbose):
                check_values(options)
            nda_extras.require(extras, "this command")
            if check is not None:
                check(FLAGS)
            if tensorflow:
                start_tensorflow(verbose)
            quiet_logs()
            # No command writes files that others may change, whatever
            # the umask (nda_tf.io.files).
            with nda_files.narrowed_umask():
                command(FLAGS, *([argv[1:]] if positional else []))
        except KeyboardInterrupt:
            if verbose:
                raise
            print(f"{prog}: interrupted", file=sys.stderr)
            sys.exit(128 + signal.SIGINT)
        except SystemExit:
            raise
        except Exception as error:
            if verbose:
                raise
            sys.exit(f"{prog}: error: {error_line(error)}")

    app.run(main, flags_parser=functools.partial(_parse_flags, prog))


def _verbose():
    return VERBOSE.name in FLAGS and FLAGS[VERBOSE.name].value


def _asks_verbose():
    # Before the flags are parsed.
    return any(a in ("--verbose", "--verbose=true") for a in sys.argv[1:])


def _parse_flags(prog, argv):
    # absl's own answer to a bad flag is two lines and a FATAL. Parsing
    # may start TensorFlow's devices (flags that TensorFlow watches).
    try:
        with _quietly(_asks_verbose()):
            return FLAGS(argv)
    except flags.Error as error:
        sys.exit(f"{prog}: error: {_one_line(str(error))}")


def start_tensorflow(verbose=False):
    """Imports TensorFlow and looks for GPUs with the start-up noise on
    stderr (CUDA probing on a machine without GPU, the absl pre-init
    warning) filtered out, unless `verbose`; other lines pass. When stdout
    is not a terminal, Keras progress bars (ANSI codes, backspaces) are
    turned into log records, which the commands do not print."""
    global _started
    if not _started:
        with _quietly(verbose):
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")
        _started = True
    if not _is_terminal(sys.stdout):
        import keras

        keras.config.disable_interactive_logging()


_started = False


def _quietly(verbose):
    return contextlib.nullcontext() if verbose else _filtered_stderr()


def _is_terminal(stream):
    return getattr(stream, "isatty", lambda: False)()


@contextlib.contextmanager
def _filtered_stderr():
    """Sends file descriptor 2 (where TensorFlow's C++ logs go) to a
    temporary file, then writes its lines back without `_STARTUP_NOISE`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
            kept = [
                line
                for line in text.splitlines(keepends=True)
                if not _STARTUP_NOISE.search(line)
            ]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


def error_line(error):
    """One line that says what went wrong and, where known, what to do."""
    message = _message(error)
    if _disk_full(error, message):
        where = getattr(error, "filename", None)
        where = f" writing {where}" if where else ""
        return (
            f"the disk is full{where} ({message}): free some space (or "
            "write elsewhere) and run the same command again; a training "
            "run resumes from its last checkpoint"
        )
    name = type(error).__name__
    if name == "CheckpointError":
        return (
            f"{message}. The run's checkpoints are all damaged: restore them "
            "from a copy, or move the run directory away to start afresh"
        )
    if name == "ResourceExhaustedError":
        return (
            f"out of memory ({message}): try a smaller --batch_size or "
            "model, or free the device"
        )
    if _expected(error):
        return message
    return (
        f"{name}: {message} (unexpected: --verbose shows the traceback; "
        "please report it)"
    )


def _message(error):
    # TensorFlow's errors carry the op and node below the first line.
    text = getattr(error, "message", None)
    if not isinstance(text, str):
        text = str(error)
        if isinstance(error, KeyError) and error.args:
            text = f"missing key {error.args[0]!r}"
    if text.strip() and (
        type(error).__module__.startswith("tensorflow") or "Traceback" in text
    ):
        text = text.strip().splitlines()[0]
        # The op's device and name say nothing to a user.
        text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", text)
        text = re.sub(r"\s*\[Op:[^\]]*\].*$", "", text)
    return _one_line(text) or type(error).__name__


def _one_line(text, limit=600):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _disk_full(error, message):
    if isinstance(error, OSError) and error.errno in (
        errno.ENOSPC,
        errno.EDQUOT,
    ):
        return True
    return "No space left on device" in message or "Disk quota" in message


def _expected(error):
    """Errors a user can cause (bad values, files, data, a diverged or
    interrupted run): the message is the answer. Anything else is a bug."""
    if isinstance(error, (ValueError, OSError, RuntimeError, EOFError)):
        return True
    for kind in type(error).__mro__:
        module = kind.__module__ or ""
        if module.startswith("nda_tf") and kind.__name__.endswith("Error"):
            return True
        if kind.__name__ == "OpError" and module.startswith("tensorflow"):
            return True
    return False


def quiet_logs():
    """Our progress messages only; TensorFlow's and absl's INFO and WARNING
    lines are noise here (all shown with --verbose)."""
    from absl import logging as absl_logging

    verbose = FLAGS.is_parsed() and _verbose()
    # Some TensorFlow modules log through absl directly (checkpoint saves).
    absl_logging.set_verbosity(
        absl_logging.INFO if verbose else absl_logging.ERROR
    )
    # The logger `tf.get_logger()` returns, without importing TensorFlow:
    # its warnings (deprecations) are for the library's authors.
    logging.getLogger("tensorflow").setLevel(
        logging.INFO if verbose else logging.ERROR
    )
    ours = logging.getLogger("nda_tf")
    if not any(getattr(h, "_nda_tf", False) for h in ours.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._nda_tf = True
        ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    ours.propagate = False


def run(recipe, prog, options=None, extras=()):
    """The training command of `recipe`: its flags, the loop's and
    `command_options()`.

    Args:
        recipe: a `Recipe`, or "module:NAME" to import it when the command
            runs (after its flags are checked, TensorFlow started quietly).
        prog: the program's name in error lines.
        options: the recipe's own `Option`s (its `options`, from a module
            without TensorFlow such as `nda_tf.gan.options`), so that
            `--help` and a bad value need no import of the recipe; default:
            read from the recipe.
        extras: the extras the command needs (`nda_tf.extras`), checked
            before any work; `--export_dir` adds "serving".
    """
    from nda_tf.training.recipe import with_common

    if options is None:
        with _quietly(_asks_verbose()):
            recipe = _recipe(recipe)
            options = recipe.options
    all_options = with_common(options)
    run_command(
        (*all_options, *command_options()),
        functools.partial(_train, recipe, all_options),
        prog,
        check=_check_export_extra,
        extras=extras,
    )


def _check_export_extra(fv):
    # The export at the end of a run needs TF Serving's protos: a missing
    # extra stops the command before training, not after.
    if fv.export_dir:
        nda_extras.require(("serving",), "--export_dir")


def _recipe(recipe):
    if isinstance(recipe, str):
        module, name = recipe.split(":")
        recipe = getattr(importlib.import_module(module), name)
    return recipe


def _train(recipe, options, fv):
    """Trains (or resumes) a run as the parsed flags say; `options` are
    the recipe's, with the common ones."""
    from nda_tf import training

    with _quietly(_verbose()):
        recipe = _recipe(recipe)
    if tuple(recipe.all_options()) != tuple(options):
        # The command's table is not the recipe's: a bug, not a user error.
        raise TypeError(f"the options given for {recipe.name} are not its own")
    config = values(options, fv)
    # Downloads and bad files: the same for the evaluators' data.
    training.apply_data_access(config)
    logdir = fv.logdir or _safe(recipe.default_logdir(config))
    # Where the results go is checked before any work.
    check_output_dir("logdir", logdir)
    if fv.export_dir:
        if not recipe.exports:
            raise ValueError(f"--export_dir: {recipe.name} runs export nothing")
        check_output_dir("export_dir", fv.export_dir)
    if fv.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    options = training.RunOptions(**values(_run_option_fields(), fv))
    strategy = training.make_strategy(
        fv.strategy, tpu=fv.tpu, peer_timeout=fv.peer_timeout
    )
    where = os.path.abspath(logdir)
    told = []

    def on_finish(summary):
        # The chief alone, before the lock is released: the export reads
        # best/ as this run left it. "Done" first: said even if the
        # export fails (the same command then resumes and exports).
        # A supervisor may send SIGTERM as soon as it reads "Done", before
        # the export has begun: the `try` starts before the line is out,
        # so that signal too is answered with how to export.
        try:
            print(recipe.done_message(summary, where), flush=True)
            told.append(True)
            if fv.export_dir:
                _export(
                    recipe, logdir, summary["step"], fv.export_dir, fv.private
                )
        except SystemExit:  # SIGTERM (train's handler while this runs)
            if fv.export_dir:
                print(
                    f"Export to {fv.export_dir} stopped by SIGTERM; the run "
                    f"in {where} is complete. Run the same command to "
                    "export it.",
                    file=sys.stderr,
                    flush=True,
                )
            raise

    _, summary = training.train(
        recipe, config, logdir, options, strategy=strategy, on_finish=on_finish
    )
    if summary["interrupted"]:
        print(
            f"Stopped by {summary['interrupted']} at step {summary['step']}; "
            f"checkpoint saved in {where}. Run the same command to resume."
        )
        if summary["interrupted"] == "SIGINT":
            sys.exit(128 + signal.SIGINT)
        return
    if not told:  # another worker of a multi-worker run
        print(recipe.done_message(summary, where))


def _safe(logdir):
    head, name = os.path.split(logdir)
    return os.path.join(head, re.sub(r"[^A-Za-z0-9_.=-]+", "_", name))


def _export(recipe, logdir, step, out, private):
    from nda_tf import training

    has_best = os.path.isdir(os.path.join(logdir, "best"))
    paths = training.export_run(
        recipe,
        logdir,
        out,
        checkpoint="best" if has_best else "latest",
        version=step,
        overwrite=True,
        private=private,
    )
    for what, path in paths.items():
        print(f"Exported the {what} to {os.path.abspath(path)}")
