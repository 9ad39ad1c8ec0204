"""AP, AP50 and AP75 on hand-made cases whose values are known exactly.

COCO's AP at one IoU threshold: detections of a class, by decreasing
score, give (recall, precision) after each one; precision is made
non-increasing in recall (each point takes the best precision at any
higher recall), then sampled at the recall levels 0, 0.01, ..., 1 (101
levels; "voc07": 0, 0.1, ..., 1, 11 levels), a level beyond the highest
recall reached scoring 0; AP is the mean of the samples, then of the
classes. AP is the mean over the IoU thresholds 0.50, 0.55, ..., 0.95.
"""

import numpy as np
import pytest

from nda_tf.eval.detection import DetectionAP, average_precision

SQUARE = [0.0, 0.0, 10.0, 10.0]
OTHER = [20.0, 20.0, 30.0, 30.0]
FAR = [40.0, 40.0, 50.0, 50.0]


def _truth(boxes, labels, difficult=None):
    truth = {"boxes": [boxes], "labels": [labels]}
    if difficult is not None:
        truth["difficult"] = [difficult]
    return truth


def _found(boxes, scores, labels):
    return {"boxes": [boxes], "scores": [scores], "labels": [labels]}


def _assert(result, ap, ap50, ap75):
    assert result == pytest.approx({"ap": ap, "ap50": ap50, "ap75": ap75})


def test_perfect_detections_of_two_classes_on_two_images():
    truth = {
        "boxes": [[SQUARE, OTHER], [FAR, SQUARE]],
        "labels": [[0, 1], [1, -1]],  # -1: padding
    }
    found = {
        "boxes": [[OTHER, SQUARE], [FAR, FAR]],
        "scores": [[0.7, 0.9], [0.8, 0.1]],
        "labels": [[1, 0], [1, -1]],  # the padded box is not a detection
    }
    _assert(average_precision(truth, found), 1.0, 1.0, 1.0)


def test_one_of_two_objects_found():
    # Recall 0.5 at precision 1, nothing beyond: the levels 0 .. 0.50
    # score 1 (51 of the 101), the 50 above score 0, at every IoU
    # threshold: 51 / 101 (not 0.5). With 11 levels, 0 .. 0.5: 6 / 11.
    truth = _truth([SQUARE, OTHER], [0, 0])
    found = _found([SQUARE], [0.9], [0])
    _assert(average_precision(truth, found), *[51 / 101] * 3)
    voc = average_precision(truth, found, interpolation="voc07")
    _assert(voc, *[6 / 11] * 3)


def test_a_box_at_iou_0625_counts_up_to_the_threshold_060():
    # Ground truth 16 x 16 (area 256); the detection is its top 16 x 10
    # (area 160, inside it): IoU = 160 / 256 = 0.625. It is right at the
    # thresholds 0.50, 0.55, 0.60 (AP 1 each), a false positive with
    # the object missed at 0.65 .. 0.95 (AP 0 each): AP = 3 / 10.
    truth = _truth([[0.0, 0.0, 16.0, 16.0]], [0])
    found = _found([[0.0, 0.0, 16.0, 10.0]], [0.9], [0])
    _assert(average_precision(truth, found), 0.3, 1.0, 0.0)


def test_a_false_positive_ranked_first_halves_precision():
    # One object. Ranked first, the false positive gives (recall 0,
    # precision 0), then the hit (recall 1, precision 1/2): precision is
    # 1/2 at every recall level, AP = 0.5. Ranked last, it comes after
    # recall 1 was reached at precision 1: the envelope is 1, AP = 1.
    truth = _truth([SQUARE], [0])
    first = _found([FAR, SQUARE], [0.9, 0.8], [0, 0])
    _assert(average_precision(truth, first), 0.5, 0.5, 0.5)
    last = _found([FAR, SQUARE], [0.8, 0.9], [0, 0])
    _assert(average_precision(truth, last), 1.0, 1.0, 1.0)


def test_a_detection_of_the_wrong_class_is_a_false_positive():
    # Class 0: the right box with class 1 misses it (AP 0). Class 1 has
    # no ground truth, so it is left out of the mean (COCO's rule).
    truth = _truth([SQUARE], [0])
    _assert(average_precision(truth, _found([SQUARE], [0.9], [1])), 0, 0, 0)


def test_difficult_boxes_are_neither_missed_nor_found():
    # Two objects, one found. Marked difficult, the missed one is no
    # miss (AP 1, not 51 / 101); a detection on a difficult box is no
    # false positive even ranked first (AP stays 1, not 0.5).
    truth = _truth([SQUARE, OTHER], [0, 0], [False, True])
    _assert(average_precision(truth, _found([SQUARE], [0.9], [0])), 1, 1, 1)
    both = _found([OTHER, SQUARE], [0.9, 0.8], [0, 0])
    _assert(average_precision(truth, both), 1.0, 1.0, 1.0)


def test_batches_accumulate_as_one():
    # The case of test_one_of_two_objects_found, one object per batch.
    metric = DetectionAP()
    metric.update(_truth([SQUARE], [0]), _found([SQUARE], [0.9], [0]))
    metric.update(_truth([OTHER], [0]), _found([FAR], [0.0], [-1]))
    _assert(metric.result(), *[51 / 101] * 3)


def test_only_the_best_detections_per_image_are_kept():
    # The hit scores lowest of three: kept with max_detections=3 (after
    # two false positives, precision 1/3 at recall 1), dropped with 2.
    truth = _truth([SQUARE], [0])
    found = _found([FAR, OTHER, SQUARE], [0.9, 0.8, 0.7], [0, 0, 0])
    _assert(average_precision(truth, found, max_detections=3), *[1 / 3] * 3)
    _assert(average_precision(truth, found, max_detections=2), 0, 0, 0)


def test_no_detections_score_zero():
    truth = _truth([SQUARE], [0])
    _assert(average_precision(truth, _found([SQUARE], [0.5], [-1])), 0, 0, 0)


@pytest.mark.parametrize(
    ("truth", "found", "message"),
    [
        (_truth([SQUARE], [-1]), _found([SQUARE], [1.0], [0]), "no ground"),
        ({"boxes": [[SQUARE]]}, _found([SQUARE], [1.0], [0]), "keys boxes"),
        (
            {"boxes": [SQUARE], "labels": [0]},
            _found([SQUARE], [1.0], [0]),
            r"boxes must be \[images, boxes, 4\]; received shape \(1, 4\)",
        ),
        (
            _truth([SQUARE], [0]),
            _found([SQUARE], [1.0, 0.5], [0]),
            r"scores must be \[images, boxes\] = \[1, 1\]",
        ),
        (
            _truth([[5.0, 0.0, 1.0, 10.0]], [0]),
            _found([SQUARE], [1.0], [0]),
            r"ground_truth box \(0, 0\) is not \[ymin, xmin, ymax, xmax\]",
        ),
        (
            {"boxes": [[SQUARE], [SQUARE]], "labels": [[0], [0]]},
            _found([SQUARE], [1.0], [0]),
            "ground_truth holds 2 images and detections 1",
        ),
    ],
)
def test_bad_input_is_named_in_one_line(truth, found, message):
    with pytest.raises(ValueError, match=message):
        average_precision(truth, found)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="interpolation .* received 'voc'"):
        DetectionAP("voc")
    with pytest.raises(ValueError, match="max_detections .* received 0"):
        DetectionAP(max_detections=0)


def test_boxes_in_pixels_or_normalized_give_the_same_ap():
    # IoU is unchanged when each axis is scaled, so AP is too.
    truth = _truth([SQUARE, OTHER], [0, 1])
    found = _found([[0.0, 0.0, 10.0, 6.0], OTHER], [0.9, 0.8], [0, 1])
    scale = np.array([1 / 50, 1 / 80, 1 / 50, 1 / 80])

    def scaled(batch):
        return {**batch, "boxes": np.asarray(batch["boxes"]) * scale}

    pixels = average_precision(truth, found)
    assert average_precision(scaled(truth), scaled(found)) == pytest.approx(
        pixels
    )
    # Class 0's box has IoU 0.6 (AP 1 at 0.50 .. 0.60: 3 of 10
    # thresholds, allowing for rounding at 0.60), class 1's is exact.
    assert (pixels["ap50"], pixels["ap75"]) == pytest.approx((1.0, 0.5))
