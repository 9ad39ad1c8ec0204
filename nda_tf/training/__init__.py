"""The one run loop that every algorithm plugs into as a `Recipe`.

`train(recipe, config, logdir)` runs or resumes a run; `load_run(recipe,
logdir)` restores its model. See docs/architecture.md.

The names load on first use (PEP 562), so that `Option` (the settings of
the command lines) is importable without TensorFlow: `--help` answers
without loading it.
"""

import importlib

# name -> the module that defines it
_EXPORTS = {
    "CheckpointError": "checkpoints",
    "CheckpointKeeper": "checkpoints",
    "write_json_atomic": "checkpoints",
    "make_folders": "checkpoints",
    "set_modes": "checkpoints",
    "DivergenceError": "divergence",
    "PeerLostError": "peers",
    "PeerWaitError": "peers",
    "RunDirectoryLockedError": "run_lock",
    "Evaluator": "loop",
    "RunContext": "loop",
    "RunOptions": "run_options",
    "adam": "loop",
    "learning_rate": "recipe",
    "train": "loop",
    "Option": "options",
    "DATA_ACCESS_OPTIONS": "options",
    "EXPORT_OPTIONS": "options",
    "pick": "options",
    "shared": "options",
    "Progress": "progress",
    "Recipe": "recipe",
    "apply_data_access": "recipe",
    "LAYOUT": "run_directory",
    "export_run": "run_directory",
    "latest_scalars": "run_directory",
    "load_run": "run_directory",
    "recipe_of": "recipe",
    "read_config": "run_directory",
    "restore_parts": "run_directory",
    "STRATEGIES": "strategies",
    "make_strategy": "strategies",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_EXPORTS})
