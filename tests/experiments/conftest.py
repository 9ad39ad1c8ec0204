"""Fixtures of the command tests."""

import logging
import runpy
import sys

import pytest
from absl import logging as absl_logging

from nda_tf.experiments import cli


@pytest.fixture
def command_line(monkeypatch):
    """`run(target, args)` runs a command as `prog` on its own flags and
    returns its exit code (an int, or the message it exited with).
    `target` is a recipe (the training command), `(options, fn)` or a
    command module's name (run as `__main__`)."""
    ours = logging.getLogger("nda_tf")
    saved = (list(ours.handlers), ours.level, ours.propagate)
    verbosity = absl_logging.get_verbosity()

    def run(target, args, **kwargs):
        monkeypatch.setattr(sys, "argv", ["prog", *args])
        try:
            with pytest.raises(SystemExit) as stopped:
                if isinstance(target, tuple):
                    cli.run_command(*target, "prog", **kwargs)
                elif isinstance(target, str):
                    runpy.run_module(target, run_name="__main__")
                elif callable(target):
                    target()
                else:
                    cli.run(target, "prog")
        finally:
            # The command's flags go, so that the next one defines its own.
            for flag in cli.FLAGS.get_flags_for_module("prog"):
                delattr(cli.FLAGS, flag.name)
            cli.FLAGS.unparse_flags()
        return stopped.value.code

    yield run
    # The commands set these for their process; other tests log as usual.
    ours.handlers[:], ours.level, ours.propagate = saved
    absl_logging.set_verbosity(verbosity)
    import keras

    keras.config.enable_interactive_logging()
