"""Utilities the experiments share: strategies, checkpoints, progress."""

from nda_tf.training.checkpoints import (
    CheckpointError,
    CheckpointKeeper,
    write_json_atomic,
)
from nda_tf.training.progress import Progress
from nda_tf.training.strategies import STRATEGIES, make_strategy

__all__ = [
    "STRATEGIES",
    "CheckpointError",
    "CheckpointKeeper",
    "Progress",
    "make_strategy",
    "write_json_atomic",
]
