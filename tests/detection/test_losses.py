"""The four losses on hand-made cases."""

import math

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.detection import losses


def test_smooth_l1_is_l1_at_beta_zero_and_quadratic_below_beta():
    x = tf.constant([-2.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(losses.smooth_l1(x, 0.0), [2, 0.5, 0, 0.5, 3])
    np.testing.assert_allclose(
        losses.smooth_l1(x, 1.0), [1.5, 0.125, 0.0, 0.125, 2.5]
    )


def test_rpn_losses_average_over_sampled_anchors_boxes_over_positives():
    logits = tf.constant([[0.0, 2.0, -1.0, 5.0]])
    positive = tf.constant([[True, False, False, False]])
    valid = tf.constant([[True, True, True, False]])  # last: padding
    deltas = tf.constant([[[1.0, 0, 0, 0], [9.0, 9, 9, 9], [0.0] * 4,
                           [7.0] * 4]])  # fmt: skip
    targets = tf.zeros([1, 4, 4])
    objectness, box = losses.rpn_losses(
        logits, deltas, positive, valid, targets, 0.0
    )
    expected = (
        math.log(2) + math.log(1 + math.exp(2)) + math.log(1 + math.exp(-1))
    ) / 3
    assert float(objectness) == pytest.approx(expected, rel=1e-6)
    # Only the positive's |1| counts, over the 3 sampled anchors.
    assert float(box) == pytest.approx(1.0 / 3)


def test_head_losses_use_the_deltas_of_the_roi_s_class():
    # 2 classes and background (class 2); 3 RoIs: class 1, background,
    # padding.
    logits = tf.constant([[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [9.0, 0, 0]]])
    deltas = tf.constant(
        [[[[5.0] * 4, [0.5, 0, 0, 0]], [[8.0] * 4] * 2, [[7.0] * 4] * 2]]
    )
    classes = tf.constant([[1, 2, 0]])
    valid = tf.constant([[True, True, False]])
    targets = tf.zeros([1, 3, 4])
    classification, box = losses.head_losses(
        logits, deltas, classes, valid, targets, 1.0
    )
    assert float(classification) == pytest.approx(math.log(3), rel=1e-6)
    # Class 1's deltas of RoI 0: smooth L1 (beta 1) of 0.5, over 2 RoIs.
    assert float(box) == pytest.approx(0.125 / 2)
