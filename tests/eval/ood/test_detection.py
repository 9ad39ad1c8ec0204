"""AUROC against hand-made scores, and the report built from it."""

import numpy as np
import pytest

from nda_tf.eval.ood import detection as ood


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


def test_fpr_at_95_tpr_and_aupr_by_hand():
    report = _report()
    # To keep 95% of 4 in-distribution images the threshold must keep all
    # 4 (scores >= 1): "perfect" lets no OOD image through, c/a and c/b
    # both of theirs.
    assert {n: m["fpr95"] for n, m in report.measures.items()} == {
        "perfect": 0.0,
        "c/a": 1.0,
        "c/b": 1.0,
    }
    # AUPR-in of c/a: ranked 6, 5 (OOD), 4, 3, 2, 1 (in): each in-image
    # adds recall 1/4 at precision 1/3, 2/4, 3/5, 4/6.
    assert report.measures["c/a"]["aupr_in"] == pytest.approx(
        (1 / 3 + 2 / 4 + 3 / 5 + 4 / 6) / 4
    )
    # AUPR-out of c/a: OOD positive, scores negated: the two OOD images
    # rank last, at precision 1/5 and 2/6, each adding recall 1/2.
    assert report.measures["c/a"]["aupr_out"] == pytest.approx(
        (1 / 5 + 2 / 6) / 2
    )
    # c/b: the tie at 2.5 is one threshold: precisions 1, 1, (2/4 adding no
    # recall), 3/5, 4/6; AUPR-out reaches recall 1 at precision 2/4.
    assert report.measures["c/b"]["aupr_in"] == pytest.approx(
        (1 + 1 + 3 / 5 + 4 / 6) / 4
    )
    assert report.measures["c/b"]["aupr_out"] == pytest.approx(0.5)
    assert report.measures["perfect"]["aupr_in"] == 1.0
    averages = report.averages()
    assert averages["fpr95"] == 0.5  # (0 + mean(1, 1)) / 2
    assert averages["aupr_out"] == pytest.approx(
        (1 + ((1 / 5 + 2 / 6) / 2 + 0.5) / 2) / 2
    )


def test_difference_statistics_per_transform():
    report = ood.OODReport(
        [1.0, 2.0],
        {"x": [0.0, 1.0]},
        differences={"jigsaw": [-1.0, 0.0, 2.0, 3.0], "stitch": [1.0]},
    )
    assert report.difference_statistics() == {
        "jigsaw": {
            "median": 1.0,
            "mean": 1.0,
            "std": pytest.approx(np.std([-1, 0, 2, 3])),
            "share_positive": 0.5,  # 0 is not > 0
            "count": 4,
        },
        "stitch": {
            "median": 1.0,
            "mean": 1.0,
            "std": 0.0,
            "share_positive": 1.0,
            "count": 1,
        },
    }
    assert report.transform == "jigsaw"
    assert report.to_dict()["differences"] == report.difference_statistics()


def test_report_tables():
    report = _report()
    markdown = report.to_markdown().splitlines()
    assert markdown[0] == (
        "| OOD set | AUROC | FPR@95%TPR | AUPR-in | AUPR-out | images "
        "| mean D(x) |"
    )
    assert "| (in-distribution) | - | - | - | - | 4 | 2.5000 |" in markdown
    assert "| perfect | 1.0000 | 0.0000 | 1.0000 | 1.0000 | 2 | -0.5000 |" in (
        markdown
    )
    assert "| c (mean of 2) | 0.2500 | 1.0000 | 0.6708 | 0.3833 | - | - |" in (
        markdown
    )
    assert (
        markdown[-1]
        == "| average | 0.6250 | 0.5000 | 0.8354 | 0.6917 | - | - |"
    )
    csv = report.to_csv().splitlines()
    assert (
        csv[0] == "ood_set,auroc,num_images,mean_score,fpr95,aupr_in,aupr_out"
    )
    assert "c/a,0.000000,2,5.500000,1.000000,0.525000,0.266667" in csv
    assert csv[-1] == "average,0.625000,,,0.500000,0.835417,0.691667"
    record = report.to_dict()
    assert record["entries"]["c"]["auroc"] == 0.25
    assert record["sets"]["c/b"]["group"] == "c"
    assert record["average"]["auroc"] == report.average
