"""Cross-replica pieces of MoCo: shuffled batch norm, momentum, the queue.

Everything here also runs without a strategy (one replica), where the
gathers are no-ops.
"""

import keras
import tensorflow as tf

from nda_tf import random as nda_random


def replica_info():
    """`(number of replicas, this replica's id)`; `(1, 0)` outside one."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def all_gather(tensor):
    """Concatenates `tensor` from every replica along axis 0 (replica order)."""
    replicas, _ = replica_info()
    if replicas == 1:
        return tensor
    # An identity made here is placed on the replica's device: an input
    # of the step has no device under MultiWorkerMirroredStrategy, and
    # its all_gather then fails ("destinations can not be empty").
    tensor = tf.identity(tensor)
    return tf.distribute.get_replica_context().all_gather(tensor, axis=0)


def split_call(network, images, splits):
    """`network(images)` with batch statistics over `splits` equal groups.

    Each group is a separate call in training mode, so a batch-norm layer
    normalises every image with the statistics of its own group only.
    """
    if splits == 1:
        return network(images, training=True)
    groups = tf.split(images, splits, axis=0)
    return tf.concat([network(g, training=True) for g in groups], axis=0)


def shuffled_call(network, images, splits, seed):
    """`network(images)` with MoCo's shuffled batch norm.

    The images of all replicas are gathered and put in one random order,
    the same on every replica (`seed` must be equal across replicas: it is
    not folded with the replica id); each replica encodes its slice of that
    order in `splits` groups, and the outputs are gathered and put back in
    the original order. An image is thus normalised together with images
    other than those its query was normalised with, so batch statistics
    cannot tell a positive pair apart (MoCo, He et al. 2020, Sec. 3.3).

    Args:
        network: called as `network(images, training=True)`.
        images: this replica's `[B, ...]` batch; B divisible by `splits`.
        splits: int, batch-norm groups per replica.
        seed: `[2]` integer seed, the same on every replica.

    Returns:
        `[B, ...]` outputs for this replica's images, in their order.
    """
    replicas, replica = replica_info()
    local = tf.shape(images)[0]
    everything = all_gather(images)
    total = tf.shape(everything)[0]
    order = tf.argsort(nda_random.uniform([total], seed), stable=True)
    mine = order[replica * local : (replica + 1) * local]
    outputs = split_call(network, tf.gather(everything, mine), splits)
    gathered = all_gather(outputs)
    # `gathered[j]` is the output for image `order[j]`: invert the order.
    position = tf.scatter_nd(order[:, None], tf.range(total), [total])
    return tf.gather(
        gathered, position[replica * local : (replica + 1) * local]
    )


def momentum_update(targets, sources, momentum):
    """`target = m * target + (1 - m) * source` for paired variables.

    Under a strategy the mirrored targets are updated in cross-replica
    context (a replica may not assign a mirrored variable on its own).
    """
    pairs = list(zip(targets, sources, strict=True))
    context = tf.distribute.get_replica_context()
    if context is None or not tf.distribute.has_strategy():
        for target, source in pairs:
            target.assign(_blend(target, source, momentum))
        return

    def update(strategy):
        for target, source in pairs:
            strategy.extended.update(
                _tf_variable(target),
                lambda t, s: t.assign(_blend(t, s, momentum)),
                args=(_tf_variable(source),),
            )

    context.merge_call(update)


def enqueue(queue, pointer, keys):
    """Writes `keys` into the ring buffer `queue` at `pointer` (FIFO).

    The oldest rows are overwritten, wrapping around the end. `keys` must
    be the same on every replica (gathered), since each replica writes.
    """
    size = tf.shape(queue)[0]
    count = tf.shape(keys)[0]
    rows = (tf.cast(pointer, tf.int32) + tf.range(count)) % size
    updated = tf.tensor_scatter_nd_update(
        queue.value, rows[:, None], tf.cast(keys, queue.dtype)
    )
    queue.assign(updated)
    advanced = tf.cast(pointer, tf.int32) + count
    pointer.assign(tf.cast(advanced % size, pointer.dtype))


def _blend(target, source, momentum):
    return momentum * target + (1.0 - momentum) * tf.cast(source, target.dtype)


def _tf_variable(variable):
    return variable.value if isinstance(variable, keras.Variable) else variable
