"""Frechet distance, KID and IS against independent computations."""

import numpy as np
import pytest
import scipy.linalg

from nda_tf.eval import fid


def _scipy_frechet(mu1, sigma1, mu2, sigma2):
    # The textbook formula with a general matrix square root.
    root = scipy.linalg.sqrtm(sigma1 @ sigma2)
    diff = mu1 - mu2
    return float(
        diff @ diff
        + np.trace(sigma1)
        + np.trace(sigma2)
        - 2 * np.trace(np.real(root))
    )


def _gaussian_stats(rng, n, d, scale=1.0, shift=0.0):
    mixing = rng.normal(size=(d, d)) * scale / np.sqrt(d)
    x = rng.normal(size=(n, d)) @ mixing + shift
    return x.mean(0), np.cov(x, rowvar=False), x


@pytest.mark.parametrize("n, d", [(500, 16), (300, 64), (2000, 128)])
def test_frechet_matches_scipy_sqrtm(n, d):
    rng = np.random.default_rng(d)
    mu1, sigma1, _ = _gaussian_stats(rng, n, d)
    mu2, sigma2, _ = _gaussian_stats(rng, n, d, scale=1.5, shift=0.3)
    ours = fid.frechet_distance(mu1, sigma1, mu2, sigma2)
    reference = _scipy_frechet(mu1, sigma1, mu2, sigma2)
    assert ours == pytest.approx(reference, abs=1e-3, rel=1e-6)
    assert ours > 1.0


def test_frechet_of_a_set_to_itself_is_zero():
    rng = np.random.default_rng(0)
    mu, sigma, _ = _gaussian_stats(rng, 3000, 256)
    assert abs(fid.frechet_distance(mu, sigma, mu, sigma)) < 1e-6


def test_frechet_closed_forms():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    a, b = rng.uniform(0.1, 3, 8), rng.uniform(0.1, 3, 8)
    # Diagonal covariances: sum of (sqrt a - sqrt b)^2 plus the mean term.
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    got = fid.frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_singular_covariances_stay_real_and_finite():
    # Fewer samples than dimensions, as with small evaluation runs.
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(20, 64)), rng.normal(size=(20, 64)) + 1.0
    value = fid.frechet_distance(
        x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False)
    )
    assert np.isfinite(value) and value > 64 * 0.5


def _direct_mmd2(x, y):
    # O(n^2) double loops over pairs, the estimator as written on paper.
    d, m = x.shape[1], len(x)

    def k(a, b):
        return (a @ b / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2 * xy / (m * m)


def test_kid_matches_direct_mmd():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(25, 6))
    y = rng.normal(size=(25, 6)) * 1.3 + 0.2
    mean, std = fid.kid(x, y, num_subsets=1, subset_size=25)
    assert mean == pytest.approx(_direct_mmd2(x, y), rel=1e-10)
    assert std == 0.0


def test_kid_subsets_average_direct_estimates():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(50, 5)) + 0.5
    mean, std = fid.kid(x, y, num_subsets=3, subset_size=10, seed=7)
    draws = np.random.default_rng(7)
    values = []
    for _ in range(3):
        xs = x[draws.choice(40, 10, replace=False)]
        ys = y[draws.choice(50, 10, replace=False)]
        values.append(_direct_mmd2(xs, ys))
    assert mean == pytest.approx(np.mean(values), rel=1e-10)
    assert std == pytest.approx(np.std(values), rel=1e-10)


def test_kid_separates_distributions():
    rng = np.random.default_rng(5)
    x, same = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    shifted = rng.normal(size=(400, 8)) + 0.5
    same_kid, _ = fid.kid(x, same, num_subsets=20, subset_size=200)
    far_kid, _ = fid.kid(x, shifted, num_subsets=20, subset_size=200)
    assert abs(same_kid) < 0.02 < far_kid


def test_inception_score_known_values():
    # Confident and spread evenly over K classes: IS = K.
    one_hot = np.eye(4)[np.arange(40) % 4]
    assert fid.inception_score(one_hot, splits=1) == pytest.approx((4.0, 0.0))
    # Identical predictions for every image: IS = 1.
    uniform = np.full((30, 5), 0.2)
    assert fid.inception_score(uniform, splits=3)[0] == pytest.approx(1.0)
    # Splits: one half covers 2 classes, the other 8 -> mean 5, std 3.
    halves = np.concatenate(
        [np.eye(8)[np.arange(16) % 2], np.eye(8)[np.arange(16) % 8]]
    )
    assert fid.inception_score(halves, splits=2) == pytest.approx((5.0, 3.0))


def test_inception_score_from_logits_equals_from_probs():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(50, 10)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    from_logits = fid.inception_score(logits, splits=5)
    assert from_logits == pytest.approx(fid.inception_score(probs, splits=5))
    assert from_logits == pytest.approx(
        fid.inception_score(logits, splits=5, from_logits=True)
    )


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="sigma1"):
        fid.frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="same size"):
        fid.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="mu1"):
        fid.frechet_distance([np.nan], [[1.0]], [0.0], [[1.0]])
    with pytest.raises(ValueError, match="same dimension"):
        fid.kid(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="num_subsets"):
        fid.kid(np.zeros((5, 3)), np.zeros((5, 3)), num_subsets=0)
    with pytest.raises(ValueError, match="subset_size .*, received True"):
        fid.kid(np.zeros((5, 3)), np.zeros((5, 3)), subset_size=True)
    with pytest.raises(ValueError, match="at least 2"):
        fid.kid(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="splits=20"):
        fid.inception_score(np.full((10, 2), 0.5), splits=20)
