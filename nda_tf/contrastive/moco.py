"""MoCo-v2 with NDA negatives (NDA-CPC, paper Eq. 8 and Appendix N)."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks, loss_scaling, transforms
from nda_tf import random as nda_random
from nda_tf.contrastive import distributed, losses
from nda_tf.keras_config import KeepArguments

_METRICS = ("loss", "accuracy", "positive_similarity")
_NDA_METRICS = ("nda_similarity",)


@keras.saving.register_keras_serializable(package="nda_tf")
class MoCo(KeepArguments, keras.Model):
    """Momentum contrast (MoCo-v2) whose queries also reject NDA images.

    Each query's logits are `[positive key, K queue keys, NDA negatives]`
    divided by the temperature, and the loss picks the positive. The NDA
    negatives are the key network's embeddings of `nda(query image)` and
    `nda(key image)`: two extra columns per query (paper Appendix N). They
    are encoded in a key-network call of their own, so the positive and
    queue columns are exactly those of MoCo-v2, and `nda=None` *is* MoCo-v2.

    The key network (encoder and head) is a momentum copy of the query
    network, updated before the keys are computed; the queue is a FIFO of
    the latest `queue_size` keys of all replicas.

    Batch norm is shuffled, as in MoCo: keys (and NDA images) are encoded
    in an order shuffled across all replicas, so batch statistics cannot
    reveal which key belongs to a query. On one device, `bn_splits > 1`
    gives the same protection by normalising groups of the (shuffled) batch
    separately, as MoCo's single-GPU CIFAR recipe does. An encoder built
    with synchronized batch norm is the alternative (then use
    `shuffle_bn=False`).

    Args:
        encoder: functional or built `keras.Model`, float images
            `[B, H, W, C]` -> features `[B, D]` (the representation).
        nda: anything `nda_tf.transforms.get` accepts, or None.
        queue_size: int, number of queued negative keys (paper: 65536).
            Must hold at least one global batch.
        temperature: float > 0 (paper: 0.07).
        momentum: float in [0, 1], key-network momentum (paper: 0.999).
        projection_dim: int, embedding size of the MLP head (paper: 128).
        hidden_dim: int, hidden width of the head; default `D`.
        bn_splits: int >= 1, batch-norm groups per replica.
        shuffle_bn: bool, shuffle the key batch across replicas and groups.
        seed: optional int for the queue, shuffles and NDA transforms.

    Example, one step on 8 (query, key) pairs, the batches `fit` takes:

    >>> from nda_tf.models import resnet
    >>> moco = MoCo(resnet.small_resnet(width=4), nda="cutout", queue_size=64)
    >>> moco.compile(optimizer=keras.optimizers.SGD(0.3, momentum=0.9))
    >>> queries, keys = tf.random.uniform([2, 8, 32, 32, 3], -1, 1)
    >>> sorted(moco.train_on_batch((queries, keys), return_dict=True))
    ['accuracy', 'loss', 'nda_similarity', 'positive_similarity']
    >>> int(moco.queue_pointer)  # the 8 keys joined the queue
    8

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021;
    He et al., "Momentum Contrast", CVPR 2020; Chen et al., "Improved
    Baselines with Momentum Contrastive Learning" (MoCo-v2), 2020.
    """

    def __init__(
        self,
        encoder,
        nda=None,
        queue_size=65536,
        temperature=0.07,
        momentum=0.999,
        projection_dim=128,
        hidden_dim=None,
        bn_splits=1,
        shuffle_bn=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.check_int("queue_size", queue_size, 1)
        checks.check_number("temperature", temperature, 0.0, low_open=True)
        checks.check_number("momentum", momentum, 0.0, 1.0)
        checks.check_int("projection_dim", projection_dim, 1)
        checks.check_int("bn_splits", bn_splits, 1)
        seed = checks.check_int("seed", seed, 0, allow_none=True)
        if not isinstance(encoder, keras.Model) or not encoder.built:
            raise ValueError(
                "encoder must be a built keras.Model (e.g. functional), "
                f"received {encoder!r}"
            )
        feature_dim = encoder.output_shape[-1]
        if hidden_dim is None:
            hidden_dim = feature_dim
        checks.check_int("hidden_dim", hidden_dim, 1)
        self.keep_arguments(
            encoder=encoder,
            nda=transforms.get(nda),
            queue_size=int(queue_size),
            temperature=float(temperature),
            momentum=float(momentum),
            projection_dim=int(projection_dim),
            hidden_dim=int(hidden_dim),
            bn_splits=int(bn_splits),
            shuffle_bn=bool(shuffle_bn),
            seed=seed,
        )
        if self.nda is not None:
            self.nda.build(None)  # An unbuilt sub-layer makes fit trace call.
        self.head = _head(feature_dim, self.hidden_dim, projection_dim, "head")
        # Keys come from momentum copies. They stay `trainable` because a
        # non-trainable Keras batch norm would use its moving statistics;
        # the optimizer never sees them.
        self.key_encoder = keras.models.clone_model(encoder)
        self.key_encoder.set_weights(encoder.get_weights())
        self.key_head = _head(
            feature_dim, self.hidden_dim, projection_dim, "key_head"
        )
        self.key_head.set_weights(self.head.get_weights())
        self.seed_generator = keras.random.SeedGenerator(seed, name="moco_rng")
        # Held as an attribute so checkpoints restore the random stream.
        self.rng_state = self.seed_generator.state
        self.queue = keras.Variable(
            _initial_queue(self.queue_size, projection_dim, seed),
            trainable=False,
            name="queue",
            aggregation="only_first_replica",
        )
        self.queue_pointer = keras.Variable(
            0,
            dtype="int64",
            trainable=False,
            name="queue_pointer",
            aggregation="only_first_replica",
        )
        names = _METRICS + (_NDA_METRICS if self.nda is not None else ())
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, optimizer, **kwargs):
        """`optimizer` for the query network (paper: SGD, lr 0.3); other
        arguments go to `keras.Model.compile`. Call it in the strategy's
        scope. Under float16 it is wrapped for loss scaling."""
        optimizer = loss_scaling.prepared(
            optimizer, self.encoder, self.query_variables
        )
        super().compile(optimizer=optimizer, **kwargs)

    @property
    def query_variables(self):
        """The trainable weights of the query encoder and its head."""
        return self.encoder.trainable_variables + self.head.trainable_variables

    def call(self, images, training=False):
        """The representation: query-encoder features `[B, D]`."""
        return self.encoder(images, training=training)

    def train_step(self, data):
        queries, keys_images = self._unpack(data)
        shuffle_seed, nda_shuffle_seed, nda_seed = _split(
            self.seed_generator.next(), 3
        )
        distributed.momentum_update(
            self.key_encoder.trainable_variables
            + self.key_head.trainable_variables,
            self.query_variables,
            self.momentum,
        )
        keys = tf.stop_gradient(self._keys(keys_images, shuffle_seed))
        negatives = ()
        if self.nda is not None:
            # NDA: the key network's embeddings of negatives made from the
            # query and the key images, in a call of their own so that the
            # MoCo columns stay as they are.
            negatives = tf.split(
                self._nda_embeddings(
                    queries, keys_images, nda_seed, nda_shuffle_seed
                ),
                2,
            )
        queue = tf.stop_gradient(tf.convert_to_tensor(self.queue))
        with tf.GradientTape() as tape:
            embedded = self._normalized(
                distributed.split_call(self._query_net, queries, self.bn_splits)
            )
            logits = losses.contrastive_logits(embedded, keys, queue, negatives)
            loss = losses.contrastive_loss(logits, self.temperature)
            scaled = loss_scaling.loss_to_differentiate(self.optimizer, loss)
        variables = self.query_variables
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        distributed.enqueue(
            self.queue, self.queue_pointer, distributed.all_gather(keys)
        )
        self._record(loss, logits, negatives)
        return {name: t.result() for name, t in self.trackers.items()}

    def _query_net(self, images, training=True):
        features = self.encoder(images, training=training)
        return self.head(features, training=training)

    def _key_net(self, images, training=True):
        features = self.key_encoder(images, training=training)
        return self.key_head(features, training=training)

    def _keys(self, images, seed):
        if self.shuffle_bn:
            out = distributed.shuffled_call(
                self._key_net, images, self.bn_splits, seed
            )
        else:
            out = distributed.split_call(self._key_net, images, self.bn_splits)
        return self._normalized(out)

    def _nda_embeddings(self, queries, keys_images, seed, shuffle_seed):
        query_seed, key_seed = _split(seed, 2)
        images = tf.concat(
            [
                self._negative(queries, query_seed),
                self._negative(keys_images, key_seed),
            ],
            axis=0,
        )
        return tf.stop_gradient(self._keys(images, shuffle_seed))

    def _negative(self, images, seed):
        # The transform folds the replica id into the seed itself.
        return self.nda.transform_with_seed(images, seed)

    @staticmethod
    def _normalized(embeddings):
        return tf.math.l2_normalize(tf.cast(embeddings, tf.float32), axis=1)

    def _record(self, loss, logits, negatives):
        self.trackers["loss"].update_state(loss)
        self.trackers["accuracy"].update_state(losses.positive_accuracy(logits))
        self.trackers["positive_similarity"].update_state(
            tf.reduce_mean(logits[:, 0])
        )
        if negatives:
            self.trackers["nda_similarity"].update_state(
                tf.reduce_mean(logits[:, -len(negatives) :])
            )

    def _unpack(self, data):
        views = data
        if isinstance(data, (tuple, list)) and isinstance(
            data[0], (tuple, list)
        ):
            views = data[0]  # ((query, key), labels): labels are unused.
        if not isinstance(views, (tuple, list)) or len(views) != 2:
            raise ValueError(
                "MoCo expects batches of two views, (query_images, "
                "key_images) or ((query_images, key_images), labels); "
                f"received {type(views).__name__}"
            )
        queries, keys = (tf.convert_to_tensor(v) for v in views)
        for name, images in (("query", queries), ("key", keys)):
            if images.dtype.is_integer or images.shape.rank != 4:
                raise ValueError(
                    f"{name} images must be float [B, H, W, C]; received "
                    f"dtype {images.dtype.name} and shape {images.shape}"
                )
        self._check_batch(queries)
        return queries, keys

    def _check_batch(self, images):
        batch = images.shape[0]
        replicas = distributed.replica_info()[0]
        if batch is not None and batch % self.bn_splits:
            raise ValueError(
                f"the per-replica batch ({batch}) must be divisible by "
                f"bn_splits={self.bn_splits} (batch with drop_remainder)"
            )
        if batch is not None:
            what = f"the per-replica batch ({batch})"
            check_group_size(batch, self.bn_splits, what)
        if batch is not None and batch * replicas > self.queue_size:
            raise ValueError(
                f"queue_size={self.queue_size} must hold a global batch of "
                f"{batch * replicas} keys"
            )


def check_group_size(per_replica, bn_splits, what, larger="batch"):
    """A ValueError unless each of the `bn_splits` batch-norm groups of a
    replica's `per_replica` images holds two or more.

    Batch statistics of one image are degenerate, and TensorFlow's batch
    norm trained on one image corrupts the heap (a native crash, not an
    error). `what` names the batch in the message, `larger` what to raise.
    """
    group = per_replica // bn_splits
    if group >= 2:
        return
    fix = f"a larger {larger}"
    if per_replica >= 2:
        fix = f"bn_splits <= {per_replica // 2} or {fix}"
    raise ValueError(
        f"{what} in bn_splits={bn_splits} batch-norm groups gives groups of "
        f"{group} image; each group needs 2 or more (batch norm of one "
        f"image crashes TensorFlow): use {fix}"
    )


def _head(feature_dim, hidden_dim, projection_dim, name):
    """MoCo-v2's projection: linear, ReLU, linear."""
    return keras.Sequential(
        [
            keras.Input((feature_dim,)),
            keras.layers.Dense(hidden_dim, activation="relu"),
            keras.layers.Dense(projection_dim),
        ],
        name=name,
    )


def _initial_queue(size, dim, seed):
    # Random unit vectors, as MoCo starts: the first steps see negatives
    # that carry no information, until real keys replace them.
    rng = np.random.default_rng(seed)
    queue = rng.standard_normal([size, dim]).astype("float32")
    return queue / np.linalg.norm(queue, axis=1, keepdims=True)


def _split(seed, num):
    return nda_random.split_seed(tf.cast(seed, tf.int64), num)
