"""Proposals and detections on hand-made boxes and scores (zero deltas, so
the boxes are the anchors and RoIs themselves): clipping, empty boxes,
NMS order and the padding."""

import numpy as np
import tensorflow as tf

from nda_tf.detection import proposals

# A 10 x 10 image; [ymin, xmin, ymax, xmax] in pixels.
SIZE = (10, 10)


def test_propose_clips_suppresses_and_masks_empty_boxes():
    anchors = tf.constant(
        [
            [0.0, 0.0, 4.0, 4.0],  # the best non-empty box
            [0.0, 0.0, 4.0, 5.0],  # IoU 16 / 20 = 0.8 with it: suppressed
            [5.0, 5.0, 9.0, 9.0],
            [12.0, 12.0, 14.0, 14.0],  # outside: clipped to an empty box
            [6.0, 6.0, 12.0, 12.0],  # clipped to [6, 6, 10, 10]
        ]
    )
    logits = tf.constant([[3.0, 2.0, 1.0, 4.0, 0.5]])
    deltas = tf.zeros([1, 5, 4])
    found, valid = proposals.propose(anchors, logits, deltas, SIZE, 5, 4, 0.7)
    # Best first; the empty box, though best by logit, goes last: NMS
    # kept it to fill the fourth place, and the mask drops it.
    np.testing.assert_array_equal(
        found[0],
        [[0, 0, 4, 4], [5, 5, 9, 9], [6, 6, 10, 10], [10, 10, 10, 10]],
    )
    assert valid.numpy().tolist() == [[True, True, True, False]]


def test_detect_is_per_class_nms_of_valid_rois_normalized_and_padded():
    rois = tf.constant(
        [
            [
                [0.0, 0.0, 4.0, 4.0],
                [-2.0, 0.0, 4.0, 5.0],  # clipped to [0, 0, 4, 5]: IoU 0.8
                [5.0, 5.0, 9.0, 9.0],  # not a proposal (valid False)
            ]
        ]
    )
    valid = tf.constant([[True, True, False]])
    # Two classes, background last: the softmax gives these probabilities.
    probabilities = [[[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.9, 0.05, 0.05]]]
    logits = tf.math.log(tf.constant(probabilities))
    deltas = tf.zeros([1, 3, 2, 4])
    found = proposals.detect(rois, valid, logits, deltas, SIZE, 0.05, 0.5, 4)
    # Class 0: RoI 0 (0.8) suppresses RoI 1 (0.6). Class 1: RoI 1 (0.3)
    # suppresses RoI 0 (0.1). RoI 2's 0.9 is masked; then two paddings.
    np.testing.assert_allclose(
        found["boxes"][0],
        [[0, 0, 0.4, 0.4], [0, 0, 0.4, 0.5], [0, 0, 0, 0], [0, 0, 0, 0]],
        atol=1e-7,
    )
    np.testing.assert_allclose(found["scores"][0], [0.8, 0.3, 0, 0], 1e-6)
    assert found["labels"].numpy().tolist() == [[0, 1, -1, -1]]


def test_an_image_filling_part_of_its_square_keeps_its_boxes_inside_it():
    # Two images of the 10 x 10 square: the first fills all of it, the
    # second its top 6 rows and left 8 columns (a batch's extent).
    extent = tf.constant([[1.0, 1.0], [0.6, 0.8]])
    anchors = tf.constant([[2.0, 2.0, 9.0, 9.0], [7.0, 0.0, 9.0, 3.0]])
    logits = tf.constant([[2.0, 1.0]] * 2)
    deltas = tf.zeros([2, 2, 4])
    found, valid = proposals.propose(
        anchors, logits, deltas, SIZE, 2, 2, 0.7, extent
    )
    np.testing.assert_array_equal(found[0], [[2, 2, 9, 9], [7, 0, 9, 3]])
    # The second anchor lies in the padding below the image: empty.
    np.testing.assert_array_equal(found[1], [[2, 2, 6, 8], [6, 0, 6, 3]])
    assert valid.numpy().tolist() == [[True, True], [True, False]]
    # Detections too, normalized to the padded square as the truth is.
    rois = tf.constant([[[2.0, 2.0, 9.0, 9.0]]] * 2)
    logits = tf.math.log(tf.constant([[[0.9, 0.1]]] * 2))
    detected = proposals.detect(
        rois, tf.ones([2, 1], bool), logits, tf.zeros([2, 1, 1, 4]), SIZE,
        0.05, 0.5, 1, extent,
    )  # fmt: skip
    np.testing.assert_allclose(
        detected["boxes"][:, 0], [[0.2, 0.2, 0.9, 0.9], [0.2, 0.2, 0.6, 0.8]]
    )
