"""Label-map scores, exact on hand-made maps."""

import numpy as np
import pytest

from nda_tf.data import paired
from nda_tf.eval import segmentation


def test_scores_of_a_hand_made_map_with_an_ignored_pixel():
    truth = np.array([[0, 0, 0, 1], [1, 2, 2, 255]])
    predicted = np.array([[0, 0, 1, 1], [2, 2, 0, 1]])
    matrix = segmentation.confusion(predicted, truth, 3)
    np.testing.assert_array_equal(matrix, [[2, 1, 0], [0, 1, 1], [1, 0, 1]])
    result = segmentation.scores(matrix)
    assert result["pixel_accuracy"] == pytest.approx(4 / 7)
    assert result["class_accuracy"] == pytest.approx(
        (2 / 3 + 1 / 2 + 1 / 2) / 3
    )
    # IoU: class 0: 2 / (3 + 3 - 2), class 1: 1 / (2 + 2 - 1), class 2: 1/3.
    assert result["miou"] == pytest.approx((2 / 4 + 1 / 3 + 1 / 3) / 3)


def test_absent_classes_do_not_count_and_a_constant_guess_scores_low():
    truth = np.array([0, 0, 0, 1])
    result = segmentation.scores(segmentation.confusion(np.zeros(4), truth, 5))
    assert result == {
        "pixel_accuracy": 0.75,
        "class_accuracy": 0.5,
        "miou": pytest.approx(0.375),
    }


def test_generated_colours_map_to_the_nearest_palette_colour():
    truth = np.array([[[0, 1], [2, 3]]])
    colours = np.array(paired.SHAPES_PALETTE, np.float64)[truth]
    noisy = np.clip(colours + [[[[40, -30, 20]]]], 0, 255).astype(np.uint8)
    assert segmentation.label_scores(noisy, truth, "shapes")["miou"] == 1.0
    as_float = noisy / 127.5 - 1
    assert segmentation.label_scores(as_float, truth, "shapes")["miou"] == 1.0
    # Ground-truth colours far from every palette colour are ignored.
    far = paired.palette_ids(
        np.array([[81, 0, 81], [128, 64, 128]]),
        "cityscapes",
        paired.MATCH_DISTANCE,
    )
    np.testing.assert_array_equal(far, [paired.IGNORE, 0])
