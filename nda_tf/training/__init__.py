"""The one run loop that every algorithm plugs into as a `Recipe`.

`train(recipe, config, logdir)` runs or resumes a run; `load_run(recipe,
logdir)` restores its model. See docs/architecture.md.
"""

from nda_tf.training.checkpoints import (
    CheckpointError,
    CheckpointKeeper,
    make_folders,
    set_modes,
    write_json_atomic,
)
from nda_tf.training.divergence import DivergenceError
from nda_tf.training.loop import (
    Evaluator,
    RunContext,
    RunOptions,
    learning_rate,
    train,
)
from nda_tf.training.options import Option
from nda_tf.training.progress import Progress
from nda_tf.training.recipe import Recipe
from nda_tf.training.run_directory import LAYOUT, load_run, read_config
from nda_tf.training.strategies import STRATEGIES, make_strategy

__all__ = [
    "LAYOUT",
    "STRATEGIES",
    "CheckpointError",
    "CheckpointKeeper",
    "DivergenceError",
    "Evaluator",
    "Option",
    "Progress",
    "Recipe",
    "RunContext",
    "RunOptions",
    "learning_rate",
    "load_run",
    "make_folders",
    "make_strategy",
    "read_config",
    "set_modes",
    "train",
    "write_json_atomic",
]
