"""Average precision of object detections: AP (IoU .50:.95), AP50, AP75.

COCO's evaluator (pycocotools, the "detection" extra) does the matching
and the interpolation; this module turns our padded layout into its
records and reads the three numbers the paper reports for Pascal VOC.

The layout (the detection sources' and the detector's, `nda_tf.data.
detection`): a batch of ground truth is a dict of `boxes` `[B, N, 4]`
(`[ymin, xmin, ymax, xmax]`), `labels` `[B, N]` (class ids, -1 for the
padding) and, optionally, `difficult` `[B, N]` (VOC's flag); a batch of
detections is a dict of `boxes` `[B, M, 4]`, `scores` `[B, M]` and
`labels` `[B, M]` (-1 for the padding). Boxes may be normalized or in
pixels, as long as both sides use the same: IoU does not change when an
axis is scaled.

    >>> gt = {"boxes": [[[0.1, 0.1, 0.5, 0.5]]], "labels": [[0]]}
    >>> found = {"boxes": [[[0.1, 0.1, 0.5, 0.5]]], "scores": [[0.9]],
    ...          "labels": [[0]]}
    >>> {k: round(v, 6) for k, v in average_precision(gt, found).items()}
    {'ap': 1.0, 'ap50': 1.0, 'ap75': 1.0}

Difficult boxes are COCO crowd regions: a detection on one counts
neither right nor wrong and missing one is no miss, as in VOC; their
overlap is COCO's crowd overlap (intersection over the detection's area)
where VOC uses IoU. `interpolation="voc07"` samples precision at 11
recall levels, VOC 2007's metric (the paper's evaluator, detectron2's,
uses it for VOC 2007 test); "coco" samples 101.
"""

import contextlib
import io

import numpy as np

from nda_tf import extras

# Recall levels at which precision is sampled.
INTERPOLATIONS = {"coco": 101, "voc07": 11}


def average_precision(
    ground_truth, detections, interpolation="coco", max_detections=100
):
    """`{"ap", "ap50", "ap75"}` of one batch (see the module docstring)."""
    metric = DetectionAP(interpolation, max_detections)
    metric.update(ground_truth, detections)
    return metric.result()


class DetectionAP:
    """AP, AP50 and AP75 over many batches: `update` each, then `result`.

    Args:
        interpolation: "coco" (101 recall levels) or "voc07" (11).
        max_detections: the highest-scoring detections kept per image
            and class (COCO's rule; 100 as in COCO and detectron2, whose
            detectors keep at most 100 per image).
    """

    def __init__(self, interpolation="coco", max_detections=100):
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {', '.join(INTERPOLATIONS)}; "
                f"received {interpolation!r}"
            )
        if not isinstance(max_detections, int) or max_detections < 1:
            raise ValueError(
                f"max_detections must be an int >= 1, received "
                f"{max_detections!r}"
            )
        self.interpolation = interpolation
        self.max_detections = max_detections
        self.images = 0
        self.truths = []
        self.found = []

    def update(self, ground_truth, detections):
        """Adds a batch: the images of `ground_truth` and `detections`."""
        truth = _batch(ground_truth, ("boxes", "labels"), "ground_truth")
        found = _batch(detections, ("boxes", "scores", "labels"), "detections")
        if len(truth["boxes"]) != len(found["boxes"]):
            raise ValueError(
                f"ground_truth holds {len(truth['boxes'])} images and "
                f"detections {len(found['boxes'])}: one entry per image"
            )
        difficult = truth.get("difficult")
        if difficult is None:
            difficult = np.zeros(truth["labels"].shape, bool)
        for i in range(len(truth["boxes"])):
            image = self.images + i + 1
            for box, label, hard in zip(
                truth["boxes"][i], truth["labels"][i], difficult[i], strict=True
            ):
                if label >= 0:
                    self.truths.append((image, _xywh(box), int(label), hard))
            for box, score, label in zip(
                found["boxes"][i], found["scores"][i], found["labels"][i],
                strict=True,
            ):  # fmt: skip
                if label >= 0:
                    self.found.append((image, _xywh(box), int(label), score))
        self.images += len(truth["boxes"])

    def result(self):
        """`{"ap": ..., "ap50": ..., "ap75": ...}` of every batch so far."""
        if not any(not hard for *_, hard in self.truths):
            raise ValueError(
                "no ground-truth boxes (other than padding and difficult "
                "ones): AP is undefined"
            )
        if not self.found:
            return {"ap": 0.0, "ap50": 0.0, "ap75": 0.0}
        precision, thresholds = self._precision()

        def mean(p):
            # -1 marks a class without ground truth: COCO leaves it out.
            return float(np.mean(p[p > -1]))

        return {
            "ap": mean(precision),
            "ap50": mean(precision[np.isclose(thresholds, 0.5)]),
            "ap75": mean(precision[np.isclose(thresholds, 0.75)]),
        }

    def _precision(self):
        """COCOeval's precision `[IoU, recall, class]` at every IoU
        threshold, over all box sizes, and the thresholds."""
        with extras.needs("detection", __name__):
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval

        labels = sorted({t[2] for t in self.truths})
        truth = COCO()
        truth.dataset = {
            "images": [{"id": i} for i in range(1, self.images + 1)],
            "categories": [{"id": c} for c in labels],
            # Ids start at 1: COCOeval marks an unmatched detection with 0.
            "annotations": [
                {"id": n, "image_id": image, "bbox": box,
                 "area": box[2] * box[3], "category_id": label,
                 "iscrowd": int(hard)}
                for n, (image, box, label, hard) in enumerate(self.truths, 1)
            ],
        }  # fmt: skip
        # pycocotools prints its progress: keep it off our output.
        with contextlib.redirect_stdout(io.StringIO()):
            truth.createIndex()
            found = truth.loadRes(
                [
                    {"image_id": image, "bbox": box, "category_id": label,
                     "score": float(score)}
                    for image, box, label, score in self.found
                ]
            )  # fmt: skip
            evaluation = COCOeval(truth, found, iouType="bbox")
            params = evaluation.params
            params.recThrs = np.linspace(
                0.0, 1.0, INTERPOLATIONS[self.interpolation]
            )
            params.maxDets = [self.max_detections]
            params.areaRng, params.areaRngLbl = [[0.0, np.inf]], ["all"]
            evaluation.evaluate()
            evaluation.accumulate()
        # [IoU, recall, class, area range, max detections]
        return evaluation.eval["precision"][..., 0, 0], params.iouThrs


def _batch(batch, keys, name):
    """`batch`'s arrays (NumPy), checked: the keys, one layout."""
    if not isinstance(batch, dict) or any(k not in batch for k in keys):
        found = sorted(batch) if isinstance(batch, dict) else type(batch)
        raise ValueError(
            f"{name} must be a dict with keys {', '.join(keys)}; received "
            f"{found}"
        )
    # Other keys (a dataset batch's image, extent) are not read.
    wanted = (*keys, "difficult")
    arrays = {
        k: np.asarray(v)
        for k, v in batch.items()
        if v is not None and k in wanted
    }
    boxes = arrays["boxes"]
    if boxes.ndim != 3 or boxes.shape[-1] != 4:
        raise ValueError(
            f"{name} boxes must be [images, boxes, 4]; received shape "
            f"{boxes.shape}"
        )
    for key in set(arrays) - {"boxes"}:
        if arrays[key].shape != boxes.shape[:2]:
            raise ValueError(
                f"{name} {key} must be [images, boxes] = "
                f"{list(boxes.shape[:2])}; received shape {arrays[key].shape}"
            )
    wrong = (boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1])
    wrong &= arrays["labels"] >= 0
    if wrong.any():
        at = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise ValueError(
            f"{name} box {at} is not [ymin, xmin, ymax, xmax]: "
            f"{boxes[at].tolist()}"
        )
    return arrays


def _xywh(box):
    """COCO's `[x, y, width, height]` of a `[ymin, xmin, ymax, xmax]`."""
    ymin, xmin, ymax, xmax = (float(v) for v in box)
    return [xmin, ymin, xmax - xmin, ymax - ymin]
