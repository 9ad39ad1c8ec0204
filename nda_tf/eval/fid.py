"""Frechet distance, KID and Inception Score from backbone features.

All three take NumPy arrays (features or class scores of some backbone);
which backbone produced them decides what the numbers mean: only the TF
Inception graph (`nda_tf.eval.backbones.InceptionGraph`) gives numbers
comparable with published FIDs.
"""

import numpy as np

from nda_tf import checks


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

    `|mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2))`.
    The trace of the matrix square root is computed in float64 from the
    symmetric matrix `S1^(1/2) sigma2 S1^(1/2)` (same eigenvalues as
    `sigma1 sigma2`), whose eigendecomposition is stable and real, unlike
    a general `sqrtm` of the non-symmetric product.

    Args:
        mu1: feature means of the first set, shape `[d]`.
        sigma1: its feature covariance, shape `[d, d]`, symmetric positive
            semi-definite.
        mu2: feature means of the second set, shape `[d]`.
        sigma2: its feature covariance, as `sigma1`.

    Returns:
        float, >= 0 up to rounding.
    """
    mu1, mu2 = _finite("mu1", mu1, [None]), _finite("mu2", mu2, [None])
    sigma1 = _finite("sigma1", sigma1, [len(mu1)] * 2)
    sigma2 = _finite("sigma2", sigma2, [len(mu2)] * 2)
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"mu1 and mu2 must have the same size; received {mu1.shape} "
            f"and {mu2.shape}"
        )
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    diff = mu1 - mu2
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2)
    return float(distance - 2.0 * trace_sqrt)


def kid(features1, features2, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: unbiased MMD^2, cubic polynomial kernel.

    `k(x, y) = (x . y / d + 1)^3` (Binkowski et al., 2018). The unbiased
    MMD^2 estimate is averaged over `num_subsets` random subsets of
    `subset_size` rows drawn without replacement from each set.

    Args:
        features1: array `[n1, d]`.
        features2: array `[n2, d]`.
        num_subsets: int >= 1.
        subset_size: int >= 2; capped at `min(n1, n2)`, so small runs work
            (the cap is part of the protocol: report it).
        seed: int, seeds the subset draws.

    Returns:
        `(mean, std)` of the per-subset estimates, floats.
    """
    x = _finite("features1", features1, [None, None])
    y = _finite("features2", features2, [None, None])
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            "features1 and features2 must have the same dimension; "
            f"received {x.shape[1]} and {y.shape[1]}"
        )
    checks.check_int("num_subsets", num_subsets, 1)
    checks.check_int("subset_size", subset_size, 2)
    size = min(subset_size, len(x), len(y))
    if size < 2:
        raise ValueError(
            f"KID needs at least 2 rows in each set; received {len(x)} and "
            f"{len(y)}"
        )
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for index in range(num_subsets):
        xs = x[rng.choice(len(x), size, replace=False)]
        ys = y[rng.choice(len(y), size, replace=False)]
        estimates[index] = _unbiased_mmd2(xs, ys)
    return float(estimates.mean()), float(estimates.std())


def _unbiased_mmd2(x, y):
    d = x.shape[1]
    k_xx = (x @ x.T / d + 1.0) ** 3
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    m = len(x)
    # The diagonals k(x_i, x_i) are what make the plain estimate biased.
    same = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (
        m * (m - 1)
    )
    return same - 2.0 * k_xy.mean()


def inception_score(logits_or_probs, splits=10, from_logits=None):
    """Inception Score `exp(E_x KL(p(y|x) || p(y)))`, mean and std over splits.

    Args:
        logits_or_probs: array `[n, classes]`.
        splits: int >= 1, number of equal chunks (the standard protocol uses
            10 on 50k samples).
        from_logits: True for logits, False for probabilities; None decides
            from the values (rows of non-negative numbers summing to 1 are
            probabilities).

    Returns:
        `(mean, std)` over the splits, floats.
    """
    scores = _finite("logits_or_probs", logits_or_probs, [None, None])
    checks.check_int("splits", splits, 1)
    if splits > len(scores):
        raise ValueError(
            f"splits={splits} is more than the {len(scores)} samples"
        )
    if from_logits is None:
        from_logits = not (
            (scores >= 0).all() and np.allclose(scores.sum(1), 1.0, atol=1e-3)
        )
    if from_logits:
        log_p = scores - scores.max(1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    else:
        log_p = np.log(np.clip(scores, 1e-30, None))
    values = []
    for chunk in np.array_split(log_p, splits):
        p = np.exp(chunk)
        log_marginal = np.log(np.clip(p.mean(0), 1e-30, None))
        kl = (p * (chunk - log_marginal)).sum(1).mean()
        values.append(np.exp(kl))
    return float(np.mean(values)), float(np.std(values))


def _psd_sqrt(matrix):
    eigenvalues, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T


def _finite(name, value, shape):
    """`value` as float64; a ValueError unless it is finite and of `shape`
    (a list of sizes, None where any size goes)."""
    array = np.asarray(value, np.float64)
    fits = array.ndim == len(shape) and all(
        want is None or want == got
        for want, got in zip(shape, array.shape, strict=True)
    )
    if not fits or not np.isfinite(array).all():
        wanted = ", ".join("n" if size is None else str(size) for size in shape)
        raise ValueError(
            f"{name} must be a finite [{wanted}] array; received shape "
            f"{array.shape}"
        )
    return array
