"""AUROC against hand-made scores, and the report built from it."""

import numpy as np
import pytest

from nda_tf.eval import ood


def test_perfectly_separated_is_one_and_reversed_is_zero():
    normal, anomalous = [3.0, 4.0, 5.0], [0.0, 1.0, 2.0]
    assert ood.auroc(normal, anomalous) == 1.0
    assert ood.auroc(anomalous, normal) == 0.0


def test_hand_computed_auroc_with_a_tie():
    # Pairs (in, ood) where in > ood: 0.9 beats 3, 0.4 beats 1, 0.7 beats 2
    # and ties 1 (a tie counts half): (3 + 1 + 2.5) / 9.
    auroc = ood.auroc([0.9, 0.4, 0.7], [0.5, 0.1, 0.7])
    assert auroc == pytest.approx(6.5 / 9)


def test_identical_distributions_give_one_half():
    scores = np.arange(10.0)
    assert ood.auroc(scores, scores) == 0.5


def test_auroc_equals_pairwise_probability_on_random_scores():
    rng = np.random.default_rng(0)
    normal, anomalous = rng.normal(1, 1, 300), rng.normal(0, 1, 200)
    wins = (normal[:, None] > anomalous[None]).mean()
    assert ood.auroc(normal, anomalous) == pytest.approx(wins)


def test_roc_curve_ends_at_the_corners():
    fpr, tpr = ood.roc_curve([2.0, 3.0], [1.0, 2.5])
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    # One normal image (3.0) is above every OOD image: TPR 0.5 at FPR 0.
    assert tpr[fpr == 0].max() == 0.5


@pytest.mark.parametrize(
    "bad, message",
    [([], "non-empty"), ([1.0, np.nan], "NaN"), ([[1.0]], "1-D")],
)
def test_bad_scores_are_rejected(bad, message):
    with pytest.raises(ValueError, match=message):
        ood.auroc(bad, [0.0])


def _report():
    in_scores = np.array([1.0, 2.0, 3.0, 4.0])
    ood_scores = {
        "perfect": np.array([-1.0, 0.0]),  # AUROC 1
        "c/a": np.array([5.0, 6.0]),  # AUROC 0
        "c/b": np.array([2.5, 2.5]),  # 2 of 4 above: 0.5
    }
    groups = {"c/a": "c", "c/b": "c"}
    return ood.OODReport(in_scores, ood_scores, groups)


def test_report_averages_groups_once():
    report = _report()
    assert report.aurocs == {"perfect": 1.0, "c/a": 0.0, "c/b": 0.5}
    assert report.entries() == {"perfect": 1.0, "c": 0.25}
    # The group counts once: (1 + 0.25) / 2, not (1 + 0 + 0.5) / 3.
    assert report.average == pytest.approx(0.625)


def test_report_tables():
    report = _report()
    markdown = report.to_markdown().splitlines()
    assert markdown[0] == "| OOD set | AUROC | images | mean D(x) |"
    assert "| (in-distribution) | - | 4 | 2.5000 |" in markdown
    assert "| perfect | 1.0000 | 2 | -0.5000 |" in markdown
    assert "| c (mean of 2) | 0.2500 | - | - |" in markdown
    assert markdown[-1] == "| average | 0.6250 | - | - |"
    csv = report.to_csv().splitlines()
    assert csv[0] == "ood_set,auroc,num_images,mean_score"
    assert "c/a,0.000000,2,5.500000" in csv
    assert csv[-1] == "average,0.625000,,"
