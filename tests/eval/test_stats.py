"""Streaming statistics and their cache."""

import numpy as np
import pytest

from nda_tf.eval import stats


def test_running_statistics_match_numpy_over_uneven_batches():
    rng = np.random.default_rng(0)
    # A large offset is where naive sum-of-squares accumulators lose digits.
    x = rng.normal(size=(1000, 12)) * 0.01 + 1e4
    running = stats.RunningStatistics(keep_features=True)
    for start, stop in [(0, 1), (1, 300), (300, 301), (301, 1000)]:
        running.update(x[start:stop])
    np.testing.assert_allclose(running.mean, x.mean(0), rtol=1e-14)
    np.testing.assert_allclose(
        running.covariance, np.cov(x, rowvar=False), rtol=1e-8, atol=1e-14
    )
    assert running.count == 1000
    np.testing.assert_array_equal(running.result().features, x.astype("f4"))


def test_running_statistics_errors():
    running = stats.RunningStatistics()
    with pytest.raises(ValueError, match="at least 1"):
        _ = running.mean
    running.update(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="at least 2"):
        _ = running.covariance
    with pytest.raises(ValueError, match="dimension 4"):
        running.update(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        running.update(np.full((2, 3), np.nan))


def test_statistics_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    original = stats.Statistics(
        rng.normal(size=4),
        np.eye(4),
        7,
        features=rng.normal(size=(7, 4)).astype("f4"),
        metadata={"backbone": "efficientnet_lite0", "split": "test"},
    )
    path = tmp_path / "a" / "stats.npz"
    original.save(path)
    loaded = stats.Statistics.load(path)
    np.testing.assert_array_equal(loaded.mean, original.mean)
    np.testing.assert_array_equal(loaded.covariance, original.covariance)
    np.testing.assert_array_equal(loaded.features, original.features)
    assert loaded.logits is None and loaded.count == 7
    assert loaded.metadata == original.metadata
    assert [p.name for p in path.parent.iterdir()] == ["stats.npz"]
    with pytest.raises(ValueError, match="no statistics file"):
        stats.Statistics.load(tmp_path / "missing.npz")


def test_reference_paths_are_distinct_and_file_safe(tmp_path):
    keys = [
        ("cifar10", "test", "inception", 10000),
        ("cifar10", "test", "inception", 5000),
        ("cifar10", "train", "inception", 10000),
        ("cifar10", "test", "efficientnet_lite0", 10000),
        ("folder:/data/my images", "train", "inception", 10000),
        ("folder:/data/my_images", "train", "inception", 10000),
    ]
    paths = [stats.reference_path(*key, cache_dir=tmp_path) for key in keys]
    assert len(set(paths)) == len(paths)
    for path in paths:
        assert path.parent == tmp_path / "fid_stats"
        assert "/" not in path.name and " " not in path.name
