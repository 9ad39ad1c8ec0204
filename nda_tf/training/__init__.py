"""Utilities the experiments share: strategies, checkpoints, progress."""

from nda_tf.training.checkpoints import (
    CheckpointError,
    CheckpointKeeper,
    write_json_atomic,
)
from nda_tf.training.loop import (
    StopOnSignals,
    check_positive_ints,
    check_same_run,
    floats,
    learning_rate,
    read_run_config,
    set_precision,
    step_function,
    write_run_config,
)
from nda_tf.training.progress import Progress
from nda_tf.training.strategies import STRATEGIES, make_strategy

__all__ = [
    "STRATEGIES",
    "CheckpointError",
    "CheckpointKeeper",
    "Progress",
    "StopOnSignals",
    "check_positive_ints",
    "check_same_run",
    "floats",
    "learning_rate",
    "read_run_config",
    "set_precision",
    "step_function",
    "write_run_config",
    "make_strategy",
    "write_json_atomic",
]
