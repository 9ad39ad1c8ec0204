"""How a run is saved and logged: `RunOptions`, without TensorFlow.

The command lines define a flag for each field with a help (its metadata),
so this module is read by `--help` and imports no TensorFlow.
"""

import dataclasses

from nda_tf import checks

# What the loop does after a step with a non-finite loss or weight
# (`nda_tf.training.divergence`).
NONFINITE_ACTIONS = ("stop", "skip")


def _field(default, help, choices=None):
    # The help lives beside the default: the command lines read both.
    metadata = {"help": help, "choices": choices}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass
class RunOptions:
    """How a run is saved and logged (not what it learns).

    Attributes:
        save_every: steps between checkpoints (one is also written at the
            end, on Ctrl-C and on SIGTERM).
        keep: newest checkpoints kept.
        log_every: steps between TensorBoard scalars.
        best_metric: an evaluator's value that selects `best/` (e.g.
            "fid"); None: the recipe's choice (`Recipe.best_metric`).
        best_mode: "min" or "max" for an explicit `best_metric`.
        progress: show the progress line (its metrics are those logged
            every `log_every` steps, and the latest evaluation's).
        progress_stream: where it goes (default stderr); redrawn in place
            only on a terminal, plain lines otherwise.
        private: everything the run writes (checkpoints, config.json,
            samples, events, the lock; a command's `--export_dir` export)
            readable by the owner only (0700 folders, 0600 files);
            default: by every user the umask allows (0755, 0644 at most:
            never group- or other-writable), so that other users can
            evaluate, export or serve.
        on_nonfinite: a NaN or infinite loss or weight after a step:
            "stop" raises `DivergenceError` (nothing of that step is saved;
            the checkpoints kept are all finite) or "skip" puts back the
            state of before the step (one copy of the weights and optimizer
            state is kept on the host each step) and goes on, stopping after
            `loop.MAX_SKIPS_IN_A_ROW` bad steps in a row.
    """

    save_every: int = _field(5000, "Steps between checkpoints.")
    keep: int = _field(3, "Newest checkpoints kept.")
    log_every: int = _field(100, "Steps between TensorBoard scalars.")
    best_metric: str | None = None
    best_mode: str = "min"
    progress: bool = True
    progress_stream: object = None
    private: bool = _field(
        False,
        "Everything the run writes (checkpoints, config.json, samples, "
        "events, the --export_dir export) readable by its owner only (0700 "
        "folders, 0600 files) instead of by every user the umask allows.",
    )
    on_nonfinite: str = _field(
        "stop",
        "A NaN or infinite loss or weight: stop (keep the finite "
        "checkpoints, exit non-zero) or skip the step.",
        choices=NONFINITE_ACTIONS,
    )

    def __post_init__(self):
        for name in ("save_every", "keep", "log_every"):
            checks.check_int(name, getattr(self, name), 1)
        checks.check_choice("best_mode", self.best_mode, ("min", "max"))
        checks.check_choice(
            "on_nonfinite", self.on_nonfinite, NONFINITE_ACTIONS
        )
