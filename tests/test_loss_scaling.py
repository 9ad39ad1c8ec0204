"""Loss scaling and per-replica division, with hand values."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import loss_scaling


def test_wraps_only_float16_and_only_once():
    sgd = keras.optimizers.SGD(0.1)
    assert loss_scaling.with_loss_scaling(sgd) is sgd
    dense = keras.layers.Dense(2, dtype="mixed_float16")
    wrapped = loss_scaling.with_loss_scaling(sgd, dense)
    assert isinstance(wrapped, keras.optimizers.LossScaleOptimizer)
    assert wrapped.inner_optimizer is sgd
    assert loss_scaling.with_loss_scaling(wrapped) is wrapped
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        assert loss_scaling.with_loss_scaling(sgd) is sgd
        keras.mixed_precision.set_global_policy("mixed_float16")
        wrapped = loss_scaling.with_loss_scaling(sgd)
        assert isinstance(wrapped, keras.optimizers.LossScaleOptimizer)
        assert loss_scaling.with_loss_scaling(wrapped) is wrapped
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize(
    "optimizer, factor",
    [
        (keras.optimizers.SGD(1.0), 1.0),
        (keras.optimizers.SGD(1.0, loss_scale_factor=4.0), 4.0),
        (keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(1.0)), 2**15),
    ],
)
def test_one_device_loss_is_only_scaled(optimizer, factor):
    loss = loss_scaling.loss_to_differentiate(optimizer, tf.constant(3.0))
    assert float(loss) == 3.0 * factor


def _two_replica_step(strategy, wrap):
    """Replica r has the loss (r + 1) * w; returns w after one SGD(1) step
    and the gradient each replica differentiated."""
    with strategy.scope():
        w = tf.Variable(0.0)
        optimizer = keras.optimizers.SGD(1.0)
        if wrap:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build([w])

    def step():
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        with tf.GradientTape() as tape:
            loss = tf.cast(replica + 1, tf.float32) * w
            scaled = loss_scaling.loss_to_differentiate(optimizer, loss)
        grad = tape.gradient(scaled, w)
        optimizer.apply([grad], [w])
        return grad

    grads = strategy.run(tf.function(step))
    local = strategy.experimental_local_results(grads)
    return float(w.numpy()), [float(g) for g in local]


@pytest.mark.parametrize("wrap", [False, True])
def test_two_replicas_step_by_the_mean_gradient(mirrored, wrap):
    """Keras sums the replicas' gradients: halving each replica's loss makes
    the step that of the mean loss (1 + 2) / 2, with or without a loss
    scale, which `apply` divides back out."""
    w, grads = _two_replica_step(mirrored, wrap)
    scale = 2.0**15 if wrap else 1.0
    assert grads == [0.5 * scale, 1.0 * scale]
    assert w == -1.5


def _adam_on_a_table(labels, dense):
    """One Adam step on a 3 x 2 table looked up at `labels`; returns how
    far each entry moved."""
    table = keras.Variable(tf.zeros([3, 2]))
    optimizer = keras.optimizers.Adam(0.1, beta_1=0.0, epsilon=1e-8)
    optimizer.build([table])
    with tf.GradientTape() as tape:
        rows = tf.gather(table, labels)
        loss = tf.reduce_sum(rows * [[1.0, -2.0]])
    gradients = tape.gradient(loss, [table])
    assert isinstance(gradients[0], tf.IndexedSlices)
    if dense:
        gradients = loss_scaling.dense_gradients(gradients)
    optimizer.apply(gradients, [table])
    return table.numpy()


def test_dense_gradients_give_adam_the_summed_gradient_of_a_repeated_row():
    """Row 0 is looked up three times. Adam's first step moves every entry
    with a gradient by lr (= 0.1) against its sign, whatever its size, as
    PyTorch's Adam does; with the slices squared one by one (Keras 3 on an
    IndexedSlices gradient) row 0 moves sqrt(3) times as far."""
    labels = [0, 0, 2, 0]
    expected = [[-0.1, 0.1], [0.0, 0.0], [-0.1, 0.1]]
    np.testing.assert_allclose(
        _adam_on_a_table(labels, dense=True), expected, rtol=1e-5
    )
    sparse = _adam_on_a_table(labels, dense=False)
    np.testing.assert_allclose(sparse[0], [-0.1 * 3**0.5, 0.1 * 3**0.5], 1e-5)
    others = [tf.zeros([2]), tf.constant([[1.0]])]
    kept = loss_scaling.dense_gradients(others)
    assert all(a is b for a, b in zip(kept, others, strict=True))
