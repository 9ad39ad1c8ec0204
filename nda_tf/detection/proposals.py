"""From head outputs to boxes: RPN proposals and final detections.

Both keep fixed shapes (padding and a validity mask or count), so the
steps compile as one graph whatever an image holds.
"""

import tensorflow as tf

from nda_tf.detection import boxes as box_ops


def propose(
    anchors, logits, deltas, image_size, pre_nms, post_nms, iou, extent=None
):
    """The RPN's proposals of each image: the best `pre_nms` anchors by
    objectness, moved by their deltas, clipped to the image, empty ones
    dropped, then non-maximum suppression at `iou`, at most `post_nms`
    kept.

    Args:
        anchors: `[N, 4]` pixels.
        logits: `[B, N]`, the RPN's objectness logits.
        deltas: `[B, N, 4]`, the RPN's box deltas.
        image_size: `(height, width)` in pixels.
        pre_nms: int, proposals kept before NMS (Detectron C4: 12,000
            in training, 6,000 in testing).
        post_nms: int, proposals kept after it (2,000; 1,000).
        iou: float, the NMS threshold (0.7).
        extent: optional `[B, 2]`, the part of the padded square each
            image fills (`boxes.clip`); None: all of it.

    Returns:
        `(proposals [B, post_nms, 4], valid [B, post_nms])`, best first;
        not differentiated (Detectron's proposals are constants too).
    """
    logits, deltas = tf.stop_gradient(logits), tf.stop_gradient(deltas)
    count = min(pre_nms, anchors.shape[0] or pre_nms)
    scores, index = tf.math.top_k(logits, count)
    moved = box_ops.decode(
        tf.gather(deltas, index, batch_dims=1),
        tf.gather(anchors, index),
        box_ops.RPN_WEIGHTS,
    )
    moved = box_ops.clip(moved, *image_size, extent)
    empty = (moved[..., 2] <= moved[..., 0]) | (moved[..., 3] <= moved[..., 1])
    scores = tf.where(empty, scores.dtype.min, scores)
    kept, found = tf.image.non_max_suppression_padded(
        moved,
        scores,
        post_nms,
        iou_threshold=iou,
        pad_to_max_output_size=True,
    )
    proposals = tf.gather(moved, kept, batch_dims=1)
    valid = tf.range(post_nms)[None, :] < found[:, None]
    # An empty box that NMS kept (when too few others were left) is no
    # proposal.
    valid &= ~tf.gather(empty, kept, batch_dims=1)
    return proposals, valid


def detect(
    rois,
    valid,
    logits,
    deltas,
    image_size,
    score_threshold,
    iou,
    max_detections,
    extent=None,
):
    """Per-class detections of the box head, in the layout of
    `nda_tf.eval.detection` with boxes normalized to the image.

    Args:
        rois: `[B, R, 4]` proposals.
        valid: `[B, R]` their mask.
        logits: `[B, R, K + 1]` class logits (background last).
        deltas: `[B, R, K, 4]` class-specific deltas.
        image_size: `(height, width)` in pixels.
        score_threshold: float, lowest class probability kept (0.05).
        iou: float, the per-class NMS threshold (0.5).
        max_detections: int, kept per image (100).
        extent: optional `[B, 2]`, as for `propose`.

    Returns:
        dict of `boxes` `[B, max_detections, 4]` normalized `[ymin,
        xmin, ymax, xmax]`, `scores` and int32 `labels` (-1 for padding).
    """
    probabilities = tf.nn.softmax(logits)[..., :-1]
    probabilities *= tf.cast(valid, probabilities.dtype)[..., None]
    moved = box_ops.decode(deltas, rois[:, :, None, :], box_ops.HEAD_WEIGHTS)
    height, width = image_size
    scale = tf.cast(tf.stack([height, width, height, width]), moved.dtype)
    moved = box_ops.clip(moved, height, width, extent) / scale
    found, scores, classes, count = tf.image.combined_non_max_suppression(
        moved,
        probabilities,
        max_output_size_per_class=max_detections,
        max_total_size=max_detections,
        iou_threshold=iou,
        score_threshold=score_threshold,
        clip_boxes=False,
    )
    kept = tf.range(max_detections)[None, :] < count[:, None]
    return {
        "boxes": found,
        "scores": scores,
        "labels": tf.where(kept, tf.cast(classes, tf.int32), -1),
    }
