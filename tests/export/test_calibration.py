"""Threshold and logistic calibration: exact values."""

import numpy as np
import pytest

from nda_tf.export import calibration


def test_threshold_keeps_exactly_the_top_scores():
    scores = np.arange(20, dtype=float)[::-1]  # 19..0, order is irrelevant
    # 95% of 20 = 19 images kept (1..19): midway between 1 and 0.
    assert calibration.threshold_at_tpr(scores, 0.95) == 0.5
    assert calibration.threshold_at_tpr(scores, 0.5) == 9.5
    # 0.96 * 20 = 19.2: at least that many means all 20, so just below 0.
    assert -1e-3 < calibration.threshold_at_tpr(scores, 0.96) < 0.0
    assert calibration.threshold_at_tpr(scores, 1.0) < 0.0
    assert calibration.threshold_at_tpr([-50.0], 1.0) == -50.005


def test_threshold_rate_on_random_scores():
    scores = np.random.default_rng(0).normal(size=1001)
    for tpr in (0.5, 0.9, 0.95, 0.99):
        t = calibration.threshold_at_tpr(scores, tpr)
        kept = np.sum(scores >= t)
        assert kept == int(np.ceil(tpr * 1001)), tpr


def test_logistic_fit_recovers_known_parameters():
    rng = np.random.default_rng(1)
    slope, intercept = 2.0, -1.0
    # Equal-sized classes drawn from the logistic model itself.
    scores = rng.uniform(-4, 4, 200000)
    labels = rng.uniform(size=scores.size) < 1 / (
        1 + np.exp(-(slope * scores + intercept))
    )
    positives, negatives = scores[labels], scores[~labels]
    n = min(len(positives), len(negatives))
    fit = calibration.fit_logistic(positives[:n], negatives[:n], l2=0.0)
    # Balanced subsampling leaves the slope; the intercept moves by the
    # log of the class-size ratio, which is ~0 here as sizes are near equal.
    assert fit[0] == pytest.approx(slope, rel=0.03)
    ratio = np.log(len(positives) / len(negatives))
    assert fit[1] == pytest.approx(intercept - ratio, abs=0.05)


def test_logistic_fit_stays_finite_when_separable():
    slope, intercept = calibration.fit_logistic([3.0, 4.0], [-4.0, -3.0])
    assert np.isfinite([slope, intercept]).all() and slope > 0
    # Symmetric classes: the decision boundary sits at score 0.
    assert intercept == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: calibration.threshold_at_tpr([], 0.9), "non-empty"),
        (lambda: calibration.threshold_at_tpr([1.0], 0.0), "tpr must be"),
        (lambda: calibration.threshold_at_tpr([1.0], 1.5), "1.5"),
        (
            lambda: calibration.threshold_at_tpr([1.0], True),
            "tpr must be in \\(0, 1\\], received True",
        ),
        (lambda: calibration.fit_logistic([1.0], [np.nan]), "out_scores"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
