"""DPC with NDA clips: shapes through every part, the dense loss by hand,
the NDA columns, and two replicas."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf import transforms
from nda_tf.models.video import ConvGRU, build_encoder
from nda_tf.video import DPC, dense_logits, dense_loss
from nda_tf.video.augment import ClipAugment
from nda_tf.video.classifier import VideoClassifier, clip_averaged_top1

# 4 blocks of 3 frames at 16 x 16: the encoder gives 4 x 4 maps.
BLOCKS, FRAMES, SIZE = 4, 3, 16


def _clips(count, seed=0):
    rng = np.random.default_rng(seed)
    shape = [count, BLOCKS * FRAMES, SIZE, SIZE, 3]
    return rng.uniform(-1, 1, shape).astype("float32")


def _dpc(nda=None, width=2, **kwargs):
    keras.utils.set_random_seed(0)
    encoder = build_encoder("small", (FRAMES, SIZE, SIZE, 3), width=width)
    kwargs.setdefault("weight_decay", 0.0)
    return DPC(encoder, BLOCKS, FRAMES, pred_steps=2, nda=nda, seed=3, **kwargs)


def test_shapes_through_every_part():
    small = build_encoder("small", (FRAMES, SIZE, SIZE, 3), width=2)
    assert small(tf.zeros([5, FRAMES, SIZE, SIZE, 3])).shape == (5, 4, 4, 8)
    # DPC's network: 128 px -> 4 x 4 maps of 256 channels (H / 32).
    r2d3d = build_encoder("r2d3d18", (5, 128, 128, 3))
    assert r2d3d.output_shape == (None, 4, 4, 256)
    gru = ConvGRU(6)
    assert gru(tf.zeros([2, 3, 4, 4, 8])).shape == (2, 4, 4, 6)
    dpc = _dpc()
    clips = _clips(2)
    features = dpc.encode(clips)
    assert features.shape == (2, BLOCKS, 4, 4, 8)
    assert dpc.predict_future(features[:, :2]).shape == (2, 2, 4, 4, 8)
    # Rows: 2 clips x 2 steps x 16 positions, against as many features.
    assert dpc.dense_logits(clips).shape == (64, 64)
    assert dpc(clips).shape == (2, 8)
    classifier = VideoClassifier(dpc.encoder, FRAMES, num_classes=5)
    assert classifier(clips).shape == (2, 5)


def test_the_conv_gru_step_is_the_gru_formula():
    gru = ConvGRU(2)
    x = tf.constant(np.random.default_rng(0).normal(size=[1, 1, 1, 1, 3]))
    x = tf.cast(x, tf.float32)
    h = gru(x)  # from a zero state
    w_gates, b_gates = (v.numpy() for v in gru.gates.weights)
    w_cand, b_cand = (v.numpy() for v in gru.candidate.weights)
    xv, h0 = x.numpy().reshape(3), np.zeros(2)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    gates = sigmoid(np.concatenate([xv, h0]) @ w_gates[0, 0] + b_gates)
    update, reset = gates[:2], gates[2:]
    joined = np.concatenate([xv, reset * h0])
    candidate = np.tanh(joined @ w_cand[0, 0] + b_cand)
    expected = (1 - update) * h0 + update * candidate
    np.testing.assert_allclose(h.numpy().reshape(2), expected, atol=1e-6)


def test_dense_loss_matches_a_hand_computation():
    rng = np.random.default_rng(1)
    # 2 clips, 2 steps, 1 x 2 positions, 3 channels: 8 rows.
    predictions = rng.normal(size=[2, 2, 1, 2, 3]).astype("float32")
    targets = rng.normal(size=[2, 2, 1, 2, 3]).astype("float32")
    negatives = rng.normal(size=[1, 2, 1, 2, 3]).astype("float32")
    rows = predictions.reshape(8, 3)
    columns = targets.reshape(8, 3)
    extra = negatives.reshape(4, 3)
    logits = dense_logits(predictions, targets, negatives).numpy()
    np.testing.assert_allclose(
        logits, np.concatenate([rows @ columns.T, rows @ extra.T], 1), 1e-5
    )
    # Cross-entropy, positive = the same (clip, step, position).
    losses = []
    for i in range(8):
        scores = np.concatenate([rows[i] @ columns.T, rows[i] @ extra.T])
        losses.append(np.log(np.exp(scores).sum()) - scores[i])
    np.testing.assert_allclose(dense_loss(logits), np.mean(losses), 1e-5)


def test_nda_negatives_are_extra_columns_of_transformed_clips():
    plain, with_nda = _dpc(), _dpc("jigsaw")
    with_nda.set_weights(plain.get_weights())
    clips = _clips(2)
    seed = tf.constant([4, 5], tf.int64)
    dpc_logits = plain.dense_logits(clips, seed, training=False)
    logits = with_nda.dense_logits(clips, seed, training=False)
    # nda=None is DPC; NDA adds one column per NDA feature (2 x 2 x 16).
    assert dpc_logits.shape == (64, 64) and logits.shape == (64, 128)
    np.testing.assert_allclose(logits[:, :64], dpc_logits, atol=1e-5)
    # The NDA columns score predictions against the encoder's features
    # of the jigsawed last two blocks, one permutation for all frames.
    last = clips[:, 2 * FRAMES :]
    jigsaw = transforms.get("jigsaw")
    transformation = jigsaw.get_random_transformation(last, seed)
    nda_clips = with_nda.nda_clips(clips, seed).numpy()
    np.testing.assert_array_equal(
        nda_clips, jigsaw.transform_images(last, transformation)
    )
    for frame in range(1, 2 * FRAMES):
        np.testing.assert_array_equal(
            nda_clips[:, frame],
            jigsaw.transform_images(last[:, frame], transformation),
        )
    assert not np.array_equal(nda_clips, last)
    features = with_nda.encode(clips)
    predictions = with_nda.predict_future(features[:, :2])
    expected = dense_logits(
        predictions, features[:, 2:], with_nda.encode(nda_clips)
    )
    np.testing.assert_allclose(logits, expected, atol=1e-4)


def test_two_replicas_average_the_per_replica_dpc_gradients(mirrored):
    """Each replica scores its own half (DPC's data-parallel loss); the
    update is the mean of the halves' gradients."""
    clips = _clips(4)
    reference = _dpc()
    variables = reference.trainable_variables
    before = [v.numpy() for v in variables]
    gradients = []
    for half in (clips[:2], clips[2:]):
        with tf.GradientTape() as tape:
            loss = dense_loss(reference.dense_logits(half, training=True))
        gradients.append(tape.gradient(loss, variables))
    with mirrored.scope():
        two = _dpc()
        two.set_weights(reference.get_weights())
        two.compile(optimizer=keras.optimizers.SGD(0.1))
    data = tf.data.Dataset.from_tensors(clips)
    two.fit(data, epochs=1, verbose=0)
    for weight, start, a, b in zip(
        two.trainable_variables, before, *gradients, strict=True
    ):
        expected = start - 0.1 * (a.numpy() + b.numpy()) / 2
        np.testing.assert_allclose(weight.numpy(), expected, atol=1e-5)


def test_the_clip_augmentation_changes_all_frames_alike():
    frame = np.random.default_rng(2).uniform(-1, 1, [3, 1, 8, 8, 3])
    clips = tf.constant(np.repeat(frame, 4, axis=1), tf.float32)
    out = ClipAugment().transform_with_seed(clips, [1, 2]).numpy()
    for t in range(1, 4):
        np.testing.assert_array_equal(out[:, t], out[:, 0])
    assert not np.allclose(out, clips.numpy())


def test_clip_averaged_top1_averages_softmax_over_clips():
    clips = np.zeros([2, 3, 1, 1, 1, 1], np.uint8)
    clips[0, 0] = 255  # video 0: one confident clip for class 1, two weak
    logits = {255: [0.0, 9.0], 0: [0.4, 0.0]}

    def predict(batch):
        values = np.round((batch.numpy().reshape(-1) + 1) * 127.5)
        return tf.constant([logits[int(v)] for v in values])

    assert clip_averaged_top1(predict, clips, np.array([1, 0])) == 1.0
    assert clip_averaged_top1(predict, clips, np.array([0, 0])) == 0.5


@pytest.mark.parametrize("bad", [{"pred_steps": 4}, {"block_frames": 0}])
def test_bad_settings_name_the_value(bad):
    encoder = build_encoder("small", (FRAMES, SIZE, SIZE, 3), width=2)
    arguments = dict({"num_blocks": 4, "block_frames": 3}, **bad)
    with pytest.raises(ValueError, match=next(iter(bad))):
        DPC(encoder, **arguments)
