"""tf.distribute strategies by name, for the experiments' --strategy flag.

TensorFlow is imported when a strategy is made, so that commands list the
names in `--help` without loading it.
"""

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def make_strategy(name, tpu=None):
    """Returns the `tf.distribute.Strategy` called `name`.

    Args:
        name: "default" (one device), "mirrored" (all local GPUs, or the
            logical CPUs when there is no GPU), "multiworker" (reads
            TF_CONFIG) or "tpu".
        tpu: the TPU name or address for "tpu" (None: the local TPU or the
            TPU_NAME environment variable).
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}"
        )
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
