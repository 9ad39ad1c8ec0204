"""MoCo under MirroredStrategy (2 logical CPUs): without NDA, and a
ResNet; a checkpoint resumes exactly. Its contract case (modes, replicas
with NDA, config, resume through the loop) is test_contract.py."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf.contrastive import MoCo
from nda_tf.models import resnet
from tests import contract
from tests.contrastive import tiny


def _views(count, seed=0):
    return (tiny.images(count, seed), tiny.images(count, seed + 100))


def _moco(nda, **compile_arguments):
    moco = MoCo(
        tiny.encoder(),
        nda=nda,
        queue_size=20,
        temperature=0.2,
        momentum=0.9,
        projection_dim=3,
        hidden_dim=5,
        seed=0,
    )
    moco.compile(optimizer=keras.optimizers.SGD(0.5), **compile_arguments)
    return moco


def shared_batches(replicas):
    """The global batch of 8 is split 4 + 4; with per-replica loss scaling
    and gathered keys (16 in the queue after two steps, in global batch
    order), weights and queue match one device on all 8."""
    return tf.data.Dataset.from_tensor_slices(_views(16)).batch(8)


def test_two_replicas_train_like_one_device_without_nda(mirrored):
    contract.assert_one_and_two_replicas_agree(
        lambda: _moco(None), shared_batches, mirrored, atol=1e-5
    )


def _resnet_moco(seed):
    # One batch-norm group: every group is one more traced encoder call.
    return MoCo(
        resnet.small_resnet(width=4, input_shape=(16, 16, 3)),
        nda="cutout",
        queue_size=32,
        seed=seed,
    )


def _images16(count, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, [count, 16, 16, 3]).astype("float32")


def test_resnet_steps_under_mirrored_strategy(mirrored):
    with mirrored.scope():
        moco = _resnet_moco(0)
        moco.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    before = [v.numpy() for v in moco.query_variables]
    data = tf.data.Dataset.from_tensor_slices(
        (_images16(24, 0), _images16(24, 1))
    )
    history = moco.fit(data.batch(8), epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    assert -1 <= history["nda_similarity"][0] <= 1
    assert moco.queue_pointer.numpy() == 24
    after = [v.numpy() for v in moco.query_variables]
    assert any(
        not np.allclose(a, b) for a, b in zip(before, after, strict=True)
    )


def test_checkpoint_resume_is_exact(tmp_path):
    views = [(_images16(8, s), _images16(8, s + 50)) for s in range(3)]

    def build(seed):
        moco = _resnet_moco(seed)
        moco.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
        checkpoint = tf.train.Checkpoint(model=moco, optimizer=moco.optimizer)
        return moco, checkpoint

    moco, checkpoint = build(0)
    moco.train_on_batch(views[0])
    path = checkpoint.write(str(tmp_path / "ckpt"))
    for batch in views[1:]:
        moco.train_on_batch(batch)
    # Another seed: only the restored state can make the runs agree.
    resumed, checkpoint = build(7)
    checkpoint.read(path).assert_consumed()
    for batch in views[1:]:
        resumed.train_on_batch(batch)
    for a, b in zip(moco.weights, resumed.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    np.testing.assert_array_equal(moco.queue.numpy(), resumed.queue.numpy())
