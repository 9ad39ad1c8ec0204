"""Support metrics: precision, recall, density and coverage of features.

FID mixes two failures into one number: generated images that fall outside
the real data (poor fidelity) and real data that the generator never
reaches (poor diversity). NDA claims to shape the generator's support, so
these metrics measure the two separately, on the same backbone features as
FID. Each real (or generated) feature vector `x` gets a ball `B(x, r_k(x))`
whose radius is the distance to its k-th nearest neighbour in its own set
(the point itself not counted), and balls are closed (`<=`).

- precision (Kynkaanniemi et al., 2019): the share of generated vectors
  inside at least one real ball;
- recall (same paper): the share of real vectors inside at least one
  generated ball;
- density (Naeem et al., 2020): the number of real balls holding each
  generated vector, averaged and divided by k (about 1 when the two sets
  come from one distribution; above 1 when samples crowd the dense parts);
- coverage (same paper): the share of real vectors whose own ball holds at
  least one generated vector.

Both papers use k = 3 for these metrics on 10k vs 10k Inception features.
Distances are compared squared, in float64, chunk by chunk, so 10k x 10k
sets need about 100 MB, and integer-valued test sets are exact.

Example, on the line: real points 0, 1, 2, 10 and generated 1.5, 20 with
k = 1 (each real ball reaches its nearest real neighbour):

>>> real = np.array([[0.0], [1.0], [2.0], [10.0]])
>>> fake = np.array([[1.5], [20.0]])
>>> values = support_metrics(real, fake, k=1)
>>> {name: round(value, 4) for name, value in values.items()}
{'precision': 0.5, 'recall': 1.0, 'density': 1.0, 'coverage': 0.5}

Recall is 1 because the outlier 20 makes the generated balls huge (radius
18.5): one reason why Naeem et al. proposed coverage.
"""

import numpy as np

from nda_tf import checks

METRICS = ("precision", "recall", "density", "coverage")
DEFAULT_K = 3
_CHUNK = 1024


def support_metrics(real, fake, k=DEFAULT_K):
    """Precision, recall, density and coverage of `fake` against `real`.

    Args:
        real: features of real images, `[n, d]`, n > k.
        fake: features of generated images, `[m, d]`, m > k.
        k: int >= 1, the neighbour that sets each ball's radius.

    Returns:
        dict of floats: `precision`, `recall`, `density`, `coverage`.
    """
    checks.check_int("k", k, 1)
    real = _features("real", real, k)
    fake = _features("fake", fake, k)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real and fake features must have the same dimension; received "
            f"{real.shape[1]} and {fake.shape[1]}"
        )
    real_radii = kth_neighbour_distances(real, k)
    fake_radii = kth_neighbour_distances(fake, k)
    # For each generated vector: how many real balls hold it; for each real
    # vector: is it in a generated ball, and is a generated vector in its ball.
    holding = np.zeros(len(fake), np.int64)
    in_fake_ball = np.zeros(len(real), bool)
    covered = np.zeros(len(real), bool)
    for start in range(0, len(real), _CHUNK):
        stop = min(start + _CHUNK, len(real))
        distances = squared_distances(real[start:stop], fake)
        inside_real = distances <= real_radii[start:stop, None]
        holding += inside_real.sum(0)
        covered[start:stop] = inside_real.any(1)
        in_fake_ball[start:stop] = (distances <= fake_radii[None, :]).any(1)
    return {
        "precision": float(np.mean(holding > 0)),
        "recall": float(np.mean(in_fake_ball)),
        "density": float(holding.sum() / (k * len(fake))),
        "coverage": float(np.mean(covered)),
    }


def kth_neighbour_distances(features, k):
    """Squared distance of each row to its k-th nearest other row."""
    features = np.asarray(features, np.float64)
    radii = np.empty(len(features))
    for start in range(0, len(features), _CHUNK):
        stop = min(start + _CHUNK, len(features))
        distances = squared_distances(features[start:stop], features)
        # Column k of the sorted row: column 0 is the point itself (or a
        # duplicate of it, at the same distance 0).
        radii[start:stop] = np.partition(distances, k, axis=1)[:, k]
    return radii


def squared_distances(a, b):
    """`[len(a), len(b)]` squared Euclidean distances, clipped at 0."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    distances = (
        np.sum(a * a, 1)[:, None] + np.sum(b * b, 1)[None, :] - 2.0 * a @ b.T
    )
    return np.maximum(distances, 0.0)


def _features(name, value, k):
    array = np.asarray(value, np.float64)
    if array.ndim != 2 or not np.isfinite(array).all():
        raise ValueError(
            f"{name} features must be a finite [n, d] array; received shape "
            f"{array.shape}"
        )
    if len(array) <= k:
        raise ValueError(
            f"support metrics with k={k} need more than {k} {name} feature "
            f"vectors; received {len(array)}"
        )
    return array
