"""Anchors, deltas, IoU, matching and sampling on hand-made cases."""

import math

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.detection import boxes


def test_anchor_grid_places_every_size_and_ratio_on_each_cell_centre():
    anchors = boxes.anchor_grid(2, 3, 16, (32, 64), (0.5, 1.0, 2.0)).numpy()
    assert anchors.shape == (2 * 3 * 6, 4)
    cell = anchors.reshape(2, 3, 6, 4)
    # Cell (1, 2)'s centre is ((1 + 0.5) * 16, (2 + 0.5) * 16).
    centres = (cell[1, 2, :, :2] + cell[1, 2, :, 2:]) / 2
    np.testing.assert_allclose(centres, [[24.0, 40.0]] * 6)
    heights = cell[0, 0, :, 2] - cell[0, 0, :, 0]
    widths = cell[0, 0, :, 3] - cell[0, 0, :, 1]
    root = math.sqrt(2.0)
    # Sizes vary slowest; ratio is height / width; area is size**2.
    np.testing.assert_allclose(
        heights, [32 / root, 32, 32 * root, 64 / root, 64, 64 * root], 1e-6
    )
    np.testing.assert_allclose(
        widths, [32 * root, 32, 32 / root, 64 * root, 64, 64 / root], 1e-6
    )
    np.testing.assert_allclose(cell[0, 0, 1], [-8.0, -8.0, 24.0, 24.0])


def test_deltas_are_faster_rcnn_s_and_decode_inverts_encode():
    reference = tf.constant([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 15.0, 10.0]])
    target = tf.constant([[[1.0, 2.0, 12.0, 18.0], [4.0, 4.0, 20.0, 30.0]]])
    deltas = boxes.encode(target, reference, boxes.HEAD_WEIGHTS).numpy()
    # Box 0: centre (6.5, 10) vs (5, 10), size (11, 16) vs (10, 20).
    expected = [
        10 * 1.5 / 10, 10 * 0.0 / 20, 5 * math.log(1.1), 5 * math.log(0.8),
    ]  # fmt: skip
    np.testing.assert_allclose(deltas[0, 0], expected, rtol=1e-5)
    decoded = boxes.decode(deltas, reference, boxes.HEAD_WEIGHTS)
    np.testing.assert_allclose(decoded, target, atol=1e-4)


def test_decode_clamps_the_growth_of_wild_deltas():
    reference = tf.constant([[0.0, 0.0, 16.0, 16.0]])
    grown = boxes.decode(tf.constant([[0.0, 0.0, 50.0, 50.0]]), reference,
                         boxes.RPN_WEIGHTS)  # fmt: skip
    np.testing.assert_allclose(grown, [[-492.0, -492.0, 508.0, 508.0]], 1e-4)


def test_pairwise_iou_of_hand_made_boxes():
    a = tf.constant([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 0.0, 0.0]])
    b = tf.constant([[5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    np.testing.assert_allclose(
        boxes.pairwise_iou(a, b), [[50 / 150, 0.0], [0.0, 0.0]]
    )


def test_match_labels_by_thresholds_padding_and_best_anchor():
    # 4 candidates x 2 boxes (the second is padding).
    iou = tf.constant([[[0.8, 0.9], [0.5, 0.0], [0.1, 0.0], [0.6, 0.95]]])
    valid = tf.constant([[True, False]])
    index, label = boxes.match(iou, valid, 0.3, 0.7)
    assert index.numpy().tolist() == [[0, 0, 0, 0]]  # padding never wins
    assert label.numpy().tolist() == [[1, -1, 0, -1]]
    # Low quality: box 0's best candidates are positive even below 0.7.
    iou = tf.constant([[[0.6], [0.6], [0.2]]])
    _, label = boxes.match(iou, tf.constant([[True]]), 0.3, 0.7, True)
    assert label.numpy().tolist() == [[1, 1, 0]]
    # A box that overlaps nothing makes no candidate positive.
    _, label = boxes.match(tf.zeros([1, 2, 1]), tf.constant([[True]]), 0.3,
                           0.7, True)  # fmt: skip
    assert label.numpy().tolist() == [[0, 0]]
    # No valid box: all negative.
    _, label = boxes.match(iou, tf.constant([[False]]), 0.3, 0.7, True)
    assert label.numpy().tolist() == [[0, 0, 0]]


def _sample(positive, negative, count, fraction, seed=(1, 2), run=None):
    run = run or boxes.sample
    found = run(
        tf.constant(positive), tf.constant(negative), count, fraction,
        tf.constant(seed, tf.int64),
    )  # fmt: skip
    return tuple(np.asarray(x) for x in found)


def test_sample_caps_positives_fills_with_negatives_and_pads():
    positive = [[True] * 6 + [False] * 6, [False] * 10 + [True, False]]
    negative = [[False] * 6 + [True] * 6, [False] * 11 + [True]]
    index, is_positive, valid = _sample(positive, negative, 4, 0.5)
    # Image 0: 2 of its 6 positives, then 2 of its 6 negatives.
    assert is_positive[0].tolist() == [True, True, False, False]
    assert valid[0].all()
    assert set(index[0, :2]) <= set(range(6))
    assert set(index[0, 2:]) <= set(range(6, 12))
    assert len(set(index[0])) == 4
    # Image 1: its one positive, its one negative, then padding.
    assert index[1, :2].tolist() == [10, 11]
    assert is_positive[1].tolist() == [True, False, False, False]
    assert valid[1].tolist() == [True, True, False, False]


def test_sample_keeps_a_negative_drawn_near_1_negative(monkeypatch):
    # 1 + (1 - 2**-24) is 2.0 in float32, and nda_random.uniform can
    # return 1.0 itself: keys of 1 + draw made such negatives positive.
    draws = [[0.25, 1 - 2**-24, 1.0, 0.5]]
    monkeypatch.setattr(
        boxes.nda_random, "uniform", lambda shape, seed: tf.constant(draws)
    )
    positive = [[True, False, False, False]]
    negative = [[False, True, True, True]]
    index, is_positive, valid = _sample(positive, negative, 3, 0.5)
    assert is_positive.tolist() == [[True, False, False]]
    # The positive, then the two negatives of highest draw (1.0 first).
    assert index.tolist() == [[0, 2, 1]]
    assert valid.tolist() == [[True, True, True]]


@pytest.mark.parametrize("function", [tf.function, lambda f: f])
def test_sample_is_a_function_of_its_seed(function):
    positive = [[i % 3 == 0 for i in range(30)]]
    negative = [[i % 3 != 0 for i in range(30)]]
    sample = function(boxes.sample)

    def run(seed):
        return _sample(positive, negative, 8, 0.25, seed, sample)

    first, again, other = run((1, 2)), run((1, 2)), run((3, 4))
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])
    # Every positive is as likely: over many seeds all are drawn.
    drawn = set()
    for s in range(40):
        index, is_positive, _ = _sample(positive, negative, 8, 0.25, (s, 0))
        drawn |= set(index[0][is_positive[0]])
    assert drawn == set(range(0, 30, 3))
