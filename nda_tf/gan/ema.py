"""Exponential moving average of a generator's weights."""

import keras
import tensorflow as tf


def clone_generator(generator, sample_inputs):
    """A structural copy of `generator` with its current weights."""
    clone = type(generator).from_config(generator.get_config())
    clone(sample_inputs, training=False)
    clone.set_weights(generator.get_weights())
    clone.trainable = False
    return clone


def update_ema(ema_model, model, step, decay, start):
    """`ema = d * ema + (1 - d) * w` for every weight, with `d = 0` (a plain
    copy) while `step < start`, as BigGAN does. Includes non-trainable state
    (batch-norm statistics), which the EMA generator uses when sampling.

    Runs in cross-replica context under a distribution strategy, where the
    EMA weights are mirrored and replicas may not assign them on their own.
    """
    decay = tf.where(step >= start, tf.constant(decay, tf.float32), 0.0)
    pairs = [
        (e, w)
        for e, w in zip(ema_model.weights, model.weights, strict=True)
        if tf.as_dtype(e.dtype).is_floating
    ]
    context = tf.distribute.get_replica_context()
    if context is None or not tf.distribute.has_strategy():
        _assign(pairs, decay)
        return
    context.merge_call(
        lambda strategy: _assign_mirrored(strategy, pairs, decay)
    )


def _assign(pairs, decay):
    for ema_weight, weight in pairs:
        ema_weight.assign(_blend(ema_weight, weight, decay))


def _assign_mirrored(strategy, pairs, decay):
    for ema_weight, weight in pairs:
        strategy.extended.update(
            _tf_variable(ema_weight),
            lambda e, w: e.assign(_blend(e, w, decay)),
            args=(_tf_variable(weight),),
        )


def _tf_variable(variable):
    """The (mirrored) tf.Variable behind a Keras variable."""
    return variable.value if isinstance(variable, keras.Variable) else variable


def _blend(ema_weight, weight, decay):
    decay = tf.cast(decay, ema_weight.dtype)
    return decay * ema_weight + (1.0 - decay) * tf.cast(
        weight, ema_weight.dtype
    )
