"""Boxes of the C4 Faster R-CNN: anchors, deltas, IoU, matching, sampling.

Boxes are `[ymin, xmin, ymax, xmax]` in pixels of the input image (a box
covers `ymin <= y < ymax`); batched tensors are `[B, N, 4]` with a
`[B, N]` validity mask where padding can occur. The deltas are Faster
R-CNN's `(dy, dx, dh, dw)` (Keras' "center_yxhw" encoding) multiplied by
per-coordinate weights: (1, 1, 1, 1) for the RPN, (10, 10, 5, 5) for the
box head, as in Detectron.

    >>> anchors = anchor_grid(2, 2, stride=16, sizes=(32,), ratios=(1.0,))
    >>> anchors.numpy()[0].tolist()  # centred on the first cell's centre
    [-8.0, -8.0, 24.0, 24.0]

Reference: Ren et al., "Faster R-CNN", NeurIPS 2015; Sinha et al.,
"Negative Data Augmentation", ICLR 2021 (Section 6, detection).
"""

import math

import keras
import tensorflow as tf

from nda_tf import random as nda_random

# Detectron's clamp of dh, dw before exp: no box grows past 1000/16
# times its anchor, so an untrained head cannot overflow.
SCALE_CLAMP = math.log(1000.0 / 16)
RPN_WEIGHTS = (1.0, 1.0, 1.0, 1.0)
HEAD_WEIGHTS = (10.0, 10.0, 5.0, 5.0)


def anchor_grid(height, width, stride, sizes, ratios):
    """Anchors `[height * width * A, 4]` of a feature map, A = sizes x
    ratios, in the order of a conv output `[height, width, A]` reshaped.

    Each cell's anchors are centred on the cell's centre, `((i + 0.5) *
    stride, (j + 0.5) * stride)`; an anchor of size s and ratio r
    (height / width) is `s * sqrt(r)` high and `s / sqrt(r)` wide, so its
    area is `s**2`. Sizes vary slowest, as in Detectron.
    """
    shapes = [
        (size * math.sqrt(ratio), size / math.sqrt(ratio))
        for size in sizes
        for ratio in ratios
    ]
    half = tf.constant(shapes, tf.float32) / 2.0  # [A, 2]
    rows = (tf.range(height, dtype=tf.float32) + 0.5) * stride
    columns = (tf.range(width, dtype=tf.float32) + 0.5) * stride
    y, x = tf.meshgrid(rows, columns, indexing="ij")
    centres = tf.stack([y, x], -1)[:, :, None, :]  # [H, W, 1, 2]
    anchors = tf.concat([centres - half, centres + half], -1)
    return tf.reshape(anchors, [-1, 4])


def encode(boxes, reference, weights):
    """The weighted deltas that move `reference` boxes onto `boxes`."""
    return keras.utils.bounding_boxes.encode_box_to_deltas(
        reference,
        boxes,
        anchor_format="yxyx",
        box_format="yxyx",
        variance=[1.0 / w for w in weights],
    )


def decode(deltas, reference, weights):
    """The boxes that weighted `deltas` make of `reference` boxes."""
    scaled = deltas / tf.constant(weights, deltas.dtype)
    scaled = tf.concat(
        [scaled[..., :2], tf.minimum(scaled[..., 2:], SCALE_CLAMP)], -1
    )
    return keras.utils.bounding_boxes.decode_deltas_to_boxes(
        reference, scaled, anchor_format="yxyx", box_format="yxyx"
    )


def clip(boxes, height, width, extent=None):
    """`boxes` inside the image `[0, height] x [0, width]`.

    `extent`: optional `[B, 2]`, the (height, width) fraction of the
    padded `height x width` square that image `b` of `boxes` `[B, ..., 4]`
    fills from its top-left corner (`nda_tf.data.detection`): its boxes
    stay inside that part, not in the padding, as detectron2 clips to an
    image's own size.
    """
    limit = tf.cast(tf.stack([height, width, height, width]), boxes.dtype)
    if extent is not None:
        extent = tf.cast(extent, boxes.dtype)
        limit = limit * tf.concat([extent, extent], -1)
        middle = tf.ones([tf.rank(boxes) - 2], tf.int32)
        limit = tf.reshape(limit, tf.concat([[-1], middle, [4]], 0))
    return tf.clip_by_value(boxes, 0.0, limit)


def pairwise_iou(boxes, others):
    """IoU `[..., N, M]` of every box of `boxes` `[..., N, 4]` with every
    box of `others` `[..., M, 4]` (leading axes broadcast); 0 where a box
    is empty."""
    a, b = boxes[..., :, None, :], others[..., None, :, :]
    height = tf.maximum(
        tf.minimum(a[..., 2], b[..., 2]) - tf.maximum(a[..., 0], b[..., 0]), 0
    )
    width = tf.maximum(
        tf.minimum(a[..., 3], b[..., 3]) - tf.maximum(a[..., 1], b[..., 1]), 0
    )
    overlap = height * width
    union = _area(a) + _area(b) - overlap
    return tf.math.divide_no_nan(overlap, union)


def _area(boxes):
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def match(iou, truth_valid, low, high, low_quality=False):
    """Each candidate's ground-truth box and label from IoU `[B, N, G]`.

    Args:
        iou: candidates x ground-truth boxes.
        truth_valid: bool `[B, G]`, False for padded boxes.
        low: a candidate whose best IoU is below `low` is negative.
        high: one whose best IoU is >= `high` is positive; one between
            `low` and `high` is ignored.
        low_quality: also make positive each box's best candidates (all
            of them on a tie; Detectron's RPN rule, so every box has an
            anchor even when none reaches `high`); a box that overlaps no
            candidate gives none.

    Returns:
        `(index [B, N], label [B, N])`: the best box's index, and 1
        (positive), 0 (negative) or -1 (ignored). With no valid box,
        every candidate is negative.
    """
    iou = tf.where(truth_valid[:, None, :], iou, -1.0)
    best = tf.reduce_max(iou, -1)
    index = tf.argmax(iou, -1, output_type=tf.int32)
    label = tf.where(best >= high, 1, tf.where(best < low, 0, -1))
    if low_quality:
        best_of_box = tf.reduce_max(iou, 1, keepdims=True)  # [B, 1, G]
        chosen = (iou == best_of_box) & (best_of_box > 0)
        label = tf.where(tf.reduce_any(chosen, -1), 1, label)
    return index, label


def sample(positive, negative, count, positive_fraction, seed):
    """`count` candidates per image, at most `positive_fraction` of them
    positive, the rest negative, each group drawn uniformly (stateless).

    Args:
        positive: bool `[B, N]`, the positive candidates.
        negative: bool `[B, N]`, the negative ones (disjoint from them).
        count: int, candidates kept per image (at most N).
        positive_fraction: float in [0, 1].
        seed: `[2]` integer seed.

    Returns:
        `(indices [B, count], is_positive [B, count], valid [B, count])`:
        when an image has too few candidates the last places are padding
        (`valid` False), as Detectron takes fewer.
    """
    count = min(count, positive.shape[-1] or count)
    draws = nda_random.uniform(tf.shape(positive), seed)
    wanted = int(count * positive_fraction)
    positives = tf.minimum(_count(positive), wanted)
    negatives = tf.minimum(_count(negative), count - positives)
    positive_rank = _rank(draws, positive)
    negative_rank = _rank(draws, negative)
    chosen_positive = positive & (positive_rank < positives[:, None])
    chosen_negative = negative & (negative_rank < negatives[:, None])
    # Chosen positives rank first, chosen negatives next (each by draw),
    # the rest last. Integer keys: float ones (1 + draw) round to 2.0 for
    # a draw near 1, which put a negative among the positives.
    n = tf.shape(positive)[-1]
    key = tf.where(
        chosen_positive,
        3 * n - positive_rank,
        tf.where(chosen_negative, 2 * n - negative_rank, 0),
    )
    _, indices = tf.math.top_k(key, count)
    # What each place holds, read from the masks, not from the keys.
    is_positive = tf.gather(chosen_positive, indices, batch_dims=1)
    valid = tf.gather(chosen_positive | chosen_negative, indices, batch_dims=1)
    return indices, is_positive, valid


def _count(mask):
    return tf.reduce_sum(tf.cast(mask, tf.int32), -1)


def _rank(draws, mask):
    """Each candidate's place `[B, N]` among the `mask`ed ones, by draw
    (the masked ones take places 0, 1, ...)."""
    order = tf.argsort(tf.where(mask, draws, -1.0), -1, "DESCENDING")
    return tf.argsort(order, -1)
