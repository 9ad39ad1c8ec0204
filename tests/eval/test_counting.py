"""Dot counting: exact on clean rendered dots, robust to mild noise."""

import numpy as np
import pytest

from nda_tf.data import dots
from nda_tf.eval import counting as numerosity

# Every count the default 32x32, radius-3 dots allow, 20 images each.
COUNTS = np.repeat(np.arange(dots.max_dots(32, 3) + 1), 20)


@pytest.fixture(scope="module")
def clean():
    return dots.render(COUNTS, seed=4)


def test_exact_on_clean_default_dots(clean):
    np.testing.assert_array_equal(numerosity.count_dots(clean), COUNTS)
    floats = clean / 127.5 - 1.0
    np.testing.assert_array_equal(numerosity.count_dots(floats), COUNTS)


@pytest.mark.parametrize("size, radius", [(32, 2), (48, 4)])
def test_exact_on_clean_dots_for_every_count(size, radius):
    largest = dots.max_dots(size, radius)
    counts = np.repeat(np.arange(largest + 1), 5)
    images = dots.render(counts, size=size, radius=radius, seed=1)
    np.testing.assert_array_equal(numerosity.count_dots(images), counts)
    # Float images in [-1, 1], as generators produce them, too.
    floats = images / 127.5 - 1.0
    np.testing.assert_array_equal(numerosity.count_dots(floats), counts)


def test_radius_one_dots_need_the_median_filter_off():
    counts = np.arange(dots.max_dots(32, 1) + 1)
    images = dots.render(counts, size=32, radius=1, seed=2)
    found = numerosity.count_dots(images, median_size=1)
    np.testing.assert_array_equal(found, counts)


def test_grey_background_and_single_image():
    image = dots.render([5], background=30, seed=3)[0]
    assert numerosity.count_dots(image) == 5


@pytest.mark.parametrize("std, exact", [(10, 1.0), (15, 1.0), (20, 0.95)])
def test_robust_to_gaussian_noise(clean, std, exact):
    noise = np.random.default_rng(0).normal(0, std, clean.shape)
    noisy = np.clip(clean + noise, 0, 255).astype(np.uint8)
    found = numerosity.count_dots(noisy)
    assert np.mean(found == COUNTS) >= exact
    # Without the median filter, noise of std 20 breaks many counts: the
    # filter is what makes the difference.
    if std == 20:
        unfiltered = numerosity.count_dots(noisy, median_size=1)
        assert np.mean(unfiltered == COUNTS) < 0.9


def test_summary_of_counts():
    summary = numerosity.summarize_counts(
        np.array([4, 5, 5, 6, 8]), target=5, max_count=10
    )
    np.testing.assert_array_equal(
        summary.histogram, [0, 0, 0, 0, 1, 2, 1, 0, 1, 0, 0]
    )
    np.testing.assert_allclose(summary.fractions[5], 0.4)
    assert summary.exact == pytest.approx(0.4)
    assert summary.mean_abs_error == pytest.approx((1 + 0 + 0 + 1 + 3) / 5)
    assert summary.mean == pytest.approx(5.6)
    assert numerosity.summarize_counts([2, 2]).exact is None


def test_plot_counts(tmp_path):
    path = tmp_path / "counts.png"
    summaries = {
        "GAN": numerosity.summarize_counts([3, 4, 6, 6, 8], target=6),
        "NDA-GAN": numerosity.summarize_counts([6, 6, 6, 5], target=6),
    }
    numerosity.plot_counts(summaries, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_clear_errors():
    images = dots.render([1])
    with pytest.raises(ValueError, match="threshold"):
        numerosity.count_dots(images, threshold=-1)
    with pytest.raises(ValueError, match="min_area"):
        numerosity.count_dots(images, min_area=0)
    with pytest.raises(ValueError, match="connectivity"):
        numerosity.count_dots(images, connectivity=6)
    with pytest.raises(ValueError, match="shape"):
        numerosity.count_dots(images[0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        numerosity.summarize_counts(np.array([-1]))
    with pytest.raises(ValueError, match="target"):
        numerosity.summarize_counts([1], target=-2)
    with pytest.raises(ValueError, match="max_count .*, received True"):
        numerosity.summarize_counts([1], max_count=True)
