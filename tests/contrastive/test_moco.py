"""MoCo's training step: hand-computed steps, queue, momentum, strategies."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.contrastive import MoCo, distributed
from tests.contrastive import tiny

LR, T = 0.5, 0.2


def _moco(nda=None, **kwargs):
    settings = dict(
        queue_size=12,
        temperature=T,
        momentum=0.9,
        projection_dim=3,
        hidden_dim=5,
        seed=0,
    )
    settings.update(kwargs)
    return MoCo(tiny.encoder(), nda=nda, **settings)


def _compiled(moco):
    moco.compile(optimizer=keras.optimizers.SGD(LR))
    return moco


@pytest.mark.parametrize("nda", [None, "negate"])
def test_two_steps_match_a_hand_written_moco_v2_step(nda):
    """nda=None is exactly MoCo-v2; with NDA the key network's embeddings of
    nda(query) and nda(key) are the only change (two more columns)."""
    moco = _compiled(_moco(tiny.Negate() if nda else None))
    state = tiny.snapshot(moco)
    negate = (lambda x: -tf.constant(x)) if nda else None
    for step in range(2):
        queries, keys = tiny.images(4, 2 * step), tiny.images(4, 2 * step + 1)
        logs = moco.train_on_batch((queries, keys), return_dict=True)
        state, loss = tiny.reference_step(
            state, queries, keys, LR, 0.9, T, negate, pointer=4 * step
        )
        np.testing.assert_allclose(logs["loss"], loss, rtol=1e-5)
        got = tiny.snapshot(moco)
        for a, b in zip(got[0] + got[1], state[0] + state[1], strict=True):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(got[2], state[2], rtol=1e-5, atol=1e-6)
        state = got
    assert ("nda_similarity" in logs) == bool(nda)


def test_step_loss_is_the_hand_computed_loss():
    moco = _compiled(_moco(tiny.Negate()))
    state = tiny.snapshot(moco)
    queries, keys = tiny.images(4, 0), tiny.images(4, 1)
    logs = moco.train_on_batch((queries, keys), return_dict=True)
    _, loss = tiny.reference_step(
        state, queries, keys, LR, 0.9, T, lambda x: -tf.constant(x)
    )
    np.testing.assert_allclose(logs["loss"], loss, rtol=1e-5)


def test_nda_raises_the_loss_of_identical_weights():
    logs = [
        _compiled(_moco(nda)).train_on_batch(
            (tiny.images(4, 0), tiny.images(4, 1)), return_dict=True
        )
        for nda in (None, tiny.Negate())
    ]
    assert logs[1]["loss"] > logs[0]["loss"]


def test_queue_is_fifo_and_holds_the_latest_keys():
    # momentum=1 keeps the key network at its initial weights, so the keys
    # of every batch can be computed up front. Batches of 4, queue of 6.
    moco = _compiled(_moco(queue_size=6, momentum=1.0))
    key_w = tiny.snapshot(moco)[1]
    batches = [tiny.images(4, 10 + i) for i in range(3)]
    expected = [tiny.network(key_w, tf.constant(b)).numpy() for b in batches]
    initial = moco.queue.numpy()
    moco.train_on_batch((tiny.images(4, 0), batches[0]))
    np.testing.assert_allclose(moco.queue.numpy()[:4], expected[0], atol=1e-6)
    np.testing.assert_array_equal(moco.queue.numpy()[4:], initial[4:])
    moco.train_on_batch((tiny.images(4, 1), batches[1]))
    # Rows 4, 5 then wrap to 0, 1: the oldest keys go first.
    queue = moco.queue.numpy()
    np.testing.assert_allclose(queue[4:], expected[1][:2], atol=1e-6)
    np.testing.assert_allclose(queue[:2], expected[1][2:], atol=1e-6)
    np.testing.assert_allclose(queue[2:4], expected[0][2:], atol=1e-6)
    moco.train_on_batch((tiny.images(4, 2), batches[2]))
    latest = np.concatenate([expected[1], expected[2]])[-6:]
    order = (moco.queue_pointer.numpy() + np.arange(6)) % 6
    np.testing.assert_allclose(moco.queue.numpy()[order], latest, atol=1e-6)


def test_momentum_update_blends_the_query_weights_into_the_keys():
    moco = _compiled(_moco(momentum=0.75))
    for seed in range(2):
        before_query, before_key, _ = tiny.snapshot(moco)
        moco.train_on_batch((tiny.images(4, seed), tiny.images(4, seed + 5)))
        after_key = tiny.snapshot(moco)[1]
        for k, q, new in zip(before_key, before_query, after_key, strict=True):
            np.testing.assert_allclose(new, 0.75 * k + 0.25 * q, rtol=1e-6)
    # After two steps the key network has moved but lags the query network.
    query, key, _ = tiny.snapshot(moco)
    assert not np.allclose(query[0], key[0])


def _bn_like(images, training=True):
    """Subtracts the batch mean: the output depends on the whole group."""
    return images - tf.reduce_mean(images, axis=0, keepdims=True)


def test_shuffled_batch_norm_restores_order_and_mixes_groups():
    images = tf.constant(np.arange(8, dtype="float32")[:, None] ** 2)
    seed = tf.constant([3, 4], tf.int64)
    per_image = distributed.shuffled_call(
        lambda x, training: 2 * x, images, 2, seed
    )
    np.testing.assert_array_equal(per_image, 2 * images)
    out = distributed.shuffled_call(_bn_like, images, 2, seed).numpy()[:, 0]
    means = np.round(images.numpy()[:, 0] - out, 4)
    groups = [np.flatnonzero(means == m) for m in np.unique(means)]
    assert sorted(len(g) for g in groups) == [4, 4]
    for group in groups:  # Each mean is its own group's mean.
        np.testing.assert_allclose(
            means[group[0]], images.numpy()[group, 0].mean(), rtol=1e-5
        )
    # The groups are not the contiguous halves that queries are split into.
    assert not any(set(g) == {0, 1, 2, 3} for g in groups)


def test_validation():
    with pytest.raises(ValueError, match="temperature"):
        _moco(temperature=0.0)
    with pytest.raises(ValueError, match="momentum"):
        _moco(momentum=1.5)
    with pytest.raises(ValueError, match="queue_size"):
        _moco(queue_size=0)
    with pytest.raises(ValueError, match="unknown transform"):
        _moco(nda="jigsawz")
    with pytest.raises(ValueError, match="encoder"):
        MoCo("resnet")
    moco = _compiled(_moco(queue_size=2))
    with pytest.raises(ValueError, match="queue_size=2"):
        moco.train_on_batch((tiny.images(4), tiny.images(4)))
    moco = _compiled(_moco(bn_splits=3))
    with pytest.raises(ValueError, match="bn_splits=3"):
        moco.train_on_batch((tiny.images(4), tiny.images(4)))
    with pytest.raises(ValueError, match="two views"):
        moco.train_on_batch(tiny.images(6))


@pytest.mark.parametrize(
    "batch, bn_splits, fix",
    [
        (4, 4, "use bn_splits <= 2 or a larger batch"),
        (1, 1, "use a larger batch"),
    ],
)
def test_batch_norm_groups_of_one_image_are_refused(batch, bn_splits, fix):
    """A group of one image crashed TensorFlow natively (a double free),
    with any encoder that has batch norm: refused before the step runs."""
    moco = _compiled(_moco(bn_splits=bn_splits))
    message = (
        rf"the per-replica batch \({batch}\) in bn_splits={bn_splits} "
        rf"batch-norm groups gives groups of 1 image; .*: {fix}$"
    )
    with pytest.raises(ValueError, match=message):
        moco.train_on_batch((tiny.images(batch), tiny.images(batch)))


def _one_step(moco):
    moco.train_on_batch((tiny.images(4, 0), tiny.images(4, 1)))
    return tiny.snapshot(moco)[0]


def test_a_moco_compiled_under_mixed_float16_scales_its_loss():
    """A MoCo compiled directly (no run machinery) gets a loss-scale
    optimizer, and its step matches float32 up to float16 rounding: with
    plain SGD a loss scale left in the gradients would move the weights
    32768 times further."""
    initial = tiny.snapshot(_moco())[0]
    reference = _one_step(_compiled(_moco()))
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        moco = _compiled(_moco())
        assert isinstance(moco.optimizer, keras.optimizers.LossScaleOptimizer)
        current = _one_step(moco)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    # The step moves weights by up to 0.7; float16 rounds them by ~1e-3.
    for start, a, b in zip(initial, reference, current, strict=True):
        assert np.isfinite(b).all()
        assert not np.allclose(b, start)
        np.testing.assert_allclose(b, a, atol=5e-3)
