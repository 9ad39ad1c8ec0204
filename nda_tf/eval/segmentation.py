"""Scores of generated label maps (Pix2Pix's photos -> labels protocol).

A generated colour label image is mapped to class ids by its nearest
palette colour; against the ground-truth ids (IGNORE pixels left out) the
confusion matrix gives per-pixel accuracy, per-class accuracy (mean over
the classes present in the ground truth) and mIoU (mean over the classes
present in the ground truth or the prediction).

    >>> truth = np.array([[0, 0], [1, 255]])
    >>> predicted = np.array([[0, 1], [1, 1]])
    >>> scores(confusion(predicted, truth, 2))
    {'pixel_accuracy': 0.666..., 'class_accuracy': 0.75, 'miou': 0.5}
"""

import numpy as np
import tensorflow as tf

from nda_tf.data.paired import IGNORE, palette_ids


def confusion(predicted, truth, num_classes, ignore=IGNORE):
    """`[K, K]` int64 counts, rows the true class, columns the predicted;
    pixels whose truth is `ignore` (or outside [0, K)) are left out."""
    predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
    truth = np.asarray(truth).reshape(-1).astype(np.int64)
    keep = (truth != ignore) & (truth >= 0) & (truth < num_classes)
    # A prediction outside the classes (IGNORE from a palette match)
    # counts as wrong: it goes to an extra column that is dropped.
    predicted = np.where(
        (predicted >= 0) & (predicted < num_classes), predicted, num_classes
    )
    counts = np.bincount(
        truth[keep] * (num_classes + 1) + predicted[keep],
        minlength=num_classes * (num_classes + 1),
    )
    return counts.reshape(num_classes, num_classes + 1)[:, :num_classes]


def scores(matrix):
    """Per-pixel accuracy, per-class accuracy and mIoU of a confusion
    matrix (with `confusion`'s conventions), as floats."""
    matrix = np.asarray(matrix, np.float64)
    hits = np.diag(matrix)
    true_counts = matrix.sum(1)
    total = true_counts.sum()
    union = true_counts + matrix.sum(0) - hits
    present = true_counts > 0
    return {
        "pixel_accuracy": float(hits.sum() / total) if total else 0.0,
        "class_accuracy": (
            float(np.mean(hits[present] / true_counts[present]))
            if present.any()
            else 0.0
        ),
        "miou": (
            float(np.mean(hits[union > 0] / union[union > 0]))
            if (union > 0).any()
            else 0.0
        ),
    }


def label_scores(generated, truth_ids, palette):
    """Scores of generated colour label images (uint8 or [-1, 1] floats,
    `[N, H, W, 3]`) against ground-truth ids `[N, H, W]`."""
    generated = np.asarray(generated)
    if generated.dtype != np.uint8:
        generated = (np.clip(generated, -1, 1) + 1) * 127.5
    predicted = palette_ids(generated, palette).numpy()
    num_classes = len(_colours(palette))
    return scores(confusion(predicted, truth_ids, num_classes))


def translate(generator, conditions, batch_size=16):
    """The generator's outputs for float conditions, in batches (NumPy)."""
    outputs = []
    for start in range(0, len(conditions), batch_size):
        chunk = tf.convert_to_tensor(conditions[start : start + batch_size])
        outputs.append(np.asarray(generator(chunk, training=False)))
    return np.concatenate(outputs)


def _colours(palette):
    from nda_tf.data.paired import PALETTES

    return PALETTES[palette] if isinstance(palette, str) else palette
