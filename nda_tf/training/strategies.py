"""tf.distribute strategies by name, for the experiments' --strategy flag.

TensorFlow is imported when a strategy is made, so that commands list the
names in `--help` without loading it.
"""

from nda_tf.training.peers import DEFAULT_PEER_TIMEOUT, wait_for_peers

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def make_strategy(name, tpu=None, peer_timeout=DEFAULT_PEER_TIMEOUT):
    """Returns the `tf.distribute.Strategy` called `name`.

    Args:
        name: "default" (one device), "mirrored" (all local GPUs, or the
            logical CPUs when there is no GPU), "multiworker" (reads
            TF_CONFIG) or "tpu".
        tpu: the TPU name or address for "tpu" (None: the local TPU or the
            TPU_NAME environment variable).
        peer_timeout: for "multiworker", how many seconds to wait for the
            other workers before raising `PeerWaitError` (see
            `nda_tf.training.peers`).
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
        if not peer_timeout > 0:
            raise ValueError(f"peer_timeout must be > 0, got {peer_timeout}")
        # Before the strategy, whose own wait for them cannot be bounded
        # or interrupted.
        wait_for_peers(peer_timeout)
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
