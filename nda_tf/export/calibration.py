"""Export-time threshold and probability calibration of OOD scores.

The score is the raw discriminator logit (higher = in-distribution). Two
numbers turn it into decisions a service can act on:

* the threshold: it keeps a chosen fraction (the true-positive rate,
  default 95%) of held-out in-distribution images at or above it; below
  it an image is an outlier.
* a Platt-style calibration `p = sigmoid(slope * score + intercept)`,
  fitted by logistic regression of in-distribution images (label 1)
  against negatives (label 0): NDA transforms of the same images and
  uniform-noise images, both classes weighted equally.
"""

import numpy as np

from nda_tf import checks
from nda_tf.eval.ood.detection import check_scores


def threshold_at_tpr(in_scores, tpr):
    """A threshold that keeps the top `ceil(tpr * n)` in-distribution scores.

    It lies midway between the lowest kept score and the next lower one,
    so that float noise between export-time and serving-time scores (a
    different kernel or batch) does not flip images at the boundary; with
    `tpr = 1` it lies a small margin below the lowest score.

    Args:
        in_scores: 1-D array of in-distribution scores (non-empty, finite).
        tpr: float in (0, 1].

    Returns:
        float threshold `t` with `mean(in_scores >= t) >= tpr`.
    """
    scores = check_scores("in_scores", in_scores)
    checks.check_number("tpr", tpr, 0.0, 1.0, low_open=True)
    ordered = np.sort(scores)
    # The tolerance keeps 0.95 * 20 from rounding up to 20 in floats.
    keep = int(np.ceil(tpr * len(ordered) - 1e-9))
    lowest_kept = ordered[len(ordered) - keep]
    if keep == len(ordered):
        return float(lowest_kept - 1e-4 * max(1.0, abs(lowest_kept)))
    return float((lowest_kept + ordered[len(ordered) - keep - 1]) / 2)


def fit_logistic(in_scores, out_scores, l2=1e-4, iterations=100):
    """Fits `P(in | s) = sigmoid(slope * s + intercept)` by Newton's method.

    Classes get equal total weight, so the fit does not depend on how many
    negatives were made. A small L2 penalty on the slope keeps it finite
    when the classes are perfectly separated.

    Returns:
        `(slope, intercept)` floats; `slope >= 0` when in-distribution
        images score higher.
    """
    positives = check_scores("in_scores", in_scores)
    negatives = check_scores("out_scores", out_scores)
    scores = np.concatenate([positives, negatives])
    targets = np.concatenate(
        [np.ones_like(positives), np.zeros_like(negatives)]
    )
    weights = np.concatenate(
        [
            np.full(len(positives), 0.5 / len(positives)),
            np.full(len(negatives), 0.5 / len(negatives)),
        ]
    )
    # Standardized scores keep the Newton steps well conditioned.
    center, scale = scores.mean(), max(scores.std(), 1e-12)
    x = np.stack([(scores - center) / scale, np.ones_like(scores)], axis=1)
    params = np.zeros(2)
    penalty = np.diag([l2, 0.0])
    for _ in range(iterations):
        probs = 1.0 / (1.0 + np.exp(-(x @ params)))
        grad = x.T @ (weights * (probs - targets)) + penalty @ params
        hessian = (x.T * (weights * probs * (1 - probs))) @ x + penalty
        step = np.linalg.solve(hessian + 1e-12 * np.eye(2), grad)
        params -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    slope = params[0] / scale
    return float(slope), float(params[1] - slope * center)
