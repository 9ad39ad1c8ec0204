"""Loss scaling for float16 and the per-replica loss of a custom train step.

Every algorithm's `compile` passes its optimizers through
`with_loss_scaling` (`prepared`), and every `train_step` differentiates
`loss_to_differentiate(optimizer, loss)` instead of the loss itself; a
step whose model looks rows up in a table (class embeddings) hands its
gradients to the optimizer through `dense_gradients`.
"""

import keras
import tensorflow as tf


def with_loss_scaling(optimizer, model=None):
    """`optimizer` in a `keras.optimizers.LossScaleOptimizer` if needed.

    float16 gradients underflow without loss scaling: the optimizer is
    wrapped when the global dtype policy, or `model`'s own, computes in
    float16. An optimizer already wrapped is returned as it is.
    """
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    dtypes = {keras.mixed_precision.global_policy().compute_dtype}
    if model is not None:
        dtypes.add(model.compute_dtype)
    if "float16" in dtypes:
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def prepared(optimizer, model, variables):
    """`optimizer` through `with_loss_scaling` and built for `variables`:
    an algorithm's `compile` calls it in the strategy's scope, so that no
    replica builds it lazily."""
    optimizer = with_loss_scaling(optimizer, model)
    optimizer.build(variables)
    return optimizer


def loss_to_differentiate(optimizer, loss):
    """The per-replica mean `loss` as the loss to take gradients of.

    Keras 3 optimizers sum gradients over replicas (DESIGN.md pitfall 3), so
    each replica's loss is divided by the replica count; `scale_loss` then
    multiplies by the loss scale of a `LossScaleOptimizer` (or a
    `loss_scale_factor`), which `optimizer.apply` divides back out.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return optimizer.scale_loss(loss / tf.cast(replicas, loss.dtype))


def dense_gradients(gradients):
    """`gradients` with every `tf.IndexedSlices` made dense.

    A table lookup (`ops.take`, an `Embedding`) gives an IndexedSlices
    gradient with one slice per looked-up row, so a class seen k times in
    a batch has k slices. Keras 3's Adam squares the slices before they
    are summed into its second moment: the row gets `sum(g_i ** 2)`
    instead of `(sum g_i) ** 2`, and steps up to sqrt(k) times larger than
    PyTorch's Adam (or Keras 2's, which summed duplicates first) would
    take. Found by the BigGAN training parity with the authors' code
    (experiments/RESULTS.md); the dense gradient sums the slices first.
    """
    return [
        tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
        for g in gradients
    ]
