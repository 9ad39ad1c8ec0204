"""The divergence guard: a NaN or infinite loss or weight ends a run.

After every step the loop asks one in-graph question, "are the step's
metrics and the model's floating-point weights all finite?", and when the
answer is no it stops the run before anything is saved (so no checkpoint
ever holds a non-finite weight, and no finite checkpoint is rotated out for
one) or, with `RunOptions(on_nonfinite="skip")`, puts back the weights of
before the step and goes on.
"""

import numpy as np
import tensorflow as tf

from nda_tf.training import run_options

# Read by `RunOptions`, which the command lines load without TensorFlow.
ACTIONS = run_options.NONFINITE_ACTIONS


class DivergenceError(RuntimeError):
    """A run's loss or weights became NaN or infinite (the run diverged).

    Its message is one line: the step, what is not finite, the last finite
    checkpoint kept and what to do.
    """


def floating(variables):
    """The floating-point variables among `variables` (counters, seeds and
    random states are integers and cannot be non-finite)."""
    return [v for v in variables if tf.as_dtype(v.dtype).is_floating]


def all_finite(values):
    """A scalar bool tensor: every float in `values` (tensors or variables)
    is finite."""
    flags = [
        tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(value)))
        for value in values
        if tf.as_dtype(value.dtype).is_floating
    ]
    return tf.reduce_all(tf.stack(flags)) if flags else tf.constant(True)


def nonfinite_names(variables):
    """Paths (or names) of the variables that hold a NaN or an infinity."""
    return [
        getattr(v, "path", v.name)
        for v in floating(variables)
        if not np.all(np.isfinite(np.asarray(v)))
    ]


def describe(step, logs, variables):
    """What is not finite after `step`: the metrics by value, the weights
    by count and the first variable's name."""
    parts = [
        f"{name} {value:g}"
        for name, value in logs.items()
        if not np.all(np.isfinite(value))
    ]
    bad = nonfinite_names(variables)
    if bad:
        parts.append(
            f"{len(bad)} of {len(floating(variables))} weight variables "
            f"(first: {bad[0]})"
        )
    return f"non-finite values after step {step}: " + ", ".join(parts)
