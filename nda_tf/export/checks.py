"""Runtime input checks for exported signatures.

The signatures declare their inputs with unknown rank on purpose: neither
the SavedModel signature call nor TF Serving enforces a declared shape,
and a static shape in the graph lets the graph optimizer fold these checks
away. With unknown rank every check runs, and a bad request gets the
message below instead of a failure deep inside the network.
"""

import numpy as np
import tensorflow as tf


def checked(tensor, name, rank, last=None, min_dims=None):
    """`tensor` after asserting its rank, last axis and positive dims.

    Args:
        tensor: the input.
        name: str used in the messages, e.g. "images".
        rank: int, the required rank.
        last: optional int, the required size of the last axis.
        min_dims: how many leading axes must be non-empty (default all
            but a checked last one).

    Returns:
        `tensor` with its static rank (and last axis) known.
    """
    actual_rank = tf.rank(tensor)
    rank_ok = tf.equal(actual_rank, rank)
    # Padded, so the slices below stay in bounds whatever the rank; the
    # later checks pass when the rank is wrong, so that only the rank
    # check reports (the graph optimizer may run checks in any order).
    shape = tf.pad(tf.shape(tensor), [[0, rank]])
    checks = [
        tf.debugging.Assert(
            rank_ok,
            [f"{name} must have rank {rank}; received rank", actual_rank],
        )
    ]
    if last is not None:
        checks.append(
            tf.debugging.Assert(
                tf.logical_or(
                    tf.logical_not(rank_ok), tf.equal(shape[rank - 1], last)
                ),
                [
                    f"{name} must have {last} entries in the last axis; "
                    "received shape",
                    tf.shape(tensor),
                ],
                summarize=8,
            )
        )
    if min_dims is None:
        min_dims = rank - 1 if last is not None else rank
    if min_dims:
        checks.append(
            tf.debugging.Assert(
                tf.logical_or(
                    tf.logical_not(rank_ok),
                    tf.reduce_all(shape[:min_dims] > 0),
                ),
                [f"{name} must not be empty; received shape", tf.shape(tensor)],
                summarize=8,
            )
        )
    # A reshape, not `ensure_shape` or `set_shape`, gives the result its
    # static shape: the graph optimizer reads those back onto the input and
    # then folds the checks above into constants.
    dims = [shape[i] for i in range(rank)]
    if last is not None:
        dims[-1] = last
    with tf.control_dependencies(checks):
        return tf.reshape(tensor, tf.stack(dims))


def finite_in_range(tensor, name, low=None, high=None):
    """`tensor` after asserting it is finite (and within [low, high])."""
    checks = [
        tf.debugging.assert_all_finite(
            tensor, f"{name} must not contain NaN or infinite values"
        )
    ]
    if low is not None:
        # After the finiteness check: a NaN gets that message, not these.
        with tf.control_dependencies(checks):
            checks = [
                tf.debugging.assert_greater_equal(
                    tf.reduce_min(tensor),
                    tf.cast(low, tensor.dtype),
                    message=f"{name} must be in [{low}, {high}]; minimum is",
                ),
                tf.debugging.assert_less_equal(
                    tf.reduce_max(tensor),
                    tf.cast(high, tensor.dtype),
                    message=f"{name} must be in [{low}, {high}]; maximum is",
                ),
            ]
    with tf.control_dependencies(checks):
        return tf.identity(tensor)


def require_finite_weights(model, what):
    """Raises a one-line ValueError when a weight of `model` is NaN or
    infinite (a diverged run): such a model would serve NaN scores."""
    weights = [w for w in model.weights if tf.as_dtype(w.dtype).is_floating]
    bad = [
        getattr(w, "path", w.name)
        for w in weights
        if not np.all(np.isfinite(np.asarray(w)))
    ]
    if bad:
        raise ValueError(
            f"the {what} has NaN or infinite weights in {len(bad)} of "
            f"{len(weights)} variables (first: {bad[0]}): the run diverged; "
            "export an earlier, finite checkpoint or train again"
        )
