"""Precision, recall, density and coverage on hand-made feature sets."""

import numpy as np
import pytest

from nda_tf.eval import pipeline, stats, support


def test_values_worked_out_by_hand_on_the_line_k1():
    # k = 1: each ball reaches the nearest other point of its own set.
    # Real 0, 1, 2, 10: squared radii 1, 1, 1, 64. Generated 1.5, 2.5, 9:
    # squared radii 1, 1, 42.25.
    real = np.array([[0.0], [1.0], [2.0], [10.0]])
    fake = np.array([[1.5], [2.5], [9.0]])
    values = support.support_metrics(real, fake, k=1)
    # precision: 1.5 in B(1), 2.5 in B(2), 9 in B(10): all three.
    # recall: 0 is in no generated ball (2.25 > 1, 6.25 > 1, 81 > 42.25);
    # 1, 2 and 10 are: 3 of 4.
    # density: 1.5 is in B(1), B(2); 2.5 in B(2), B(10) (56.25 <= 64);
    # 9 in B(10): 5 memberships / (k=1 * 3 generated).
    # coverage: B(0) holds no generated point; B(1), B(2), B(10) do.
    assert values == {
        "precision": 1.0,
        "recall": 0.75,
        "density": pytest.approx(5 / 3, abs=1e-15),
        "coverage": 0.75,
    }


def test_values_worked_out_by_hand_in_the_plane_k3():
    # Real: two unit squares, at (0, 0) and (10, 0). Within a square the
    # other corners are at squared distances 1, 1, 2: every squared radius
    # is 2 (the other square is >= 81 away).
    square = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], float)
    real = np.concatenate([square, square + [10, 0]])
    # Generated p, q, r near the first square and one far outlier s.
    fake = np.array([[0.5, 0.5], [1, 1], [2, 1], [30, 30]])
    values = support.support_metrics(real, fake)  # k = 3, the papers' k
    # precision: p, q, r lie in balls of the first square (r on the
    # boundary of B((1, 0)): squared distance 2, balls are closed); s none.
    # recall: s makes every generated ball huge (squared radius >= 1625),
    # so all 8 real points are inside one: 1.
    # density: p is in 4 balls, q in 4 ((0, 0) at exactly 2), r in 2
    # ((1, 0) at 2 and (1, 1) at 1), s in none: 10 / (3 * 4).
    # coverage: each ball of the first square holds p; no ball of the
    # second square holds a generated point: 4 of 8.
    assert values == {
        "precision": 0.75,
        "recall": 1.0,
        "density": pytest.approx(10 / 12, abs=1e-15),
        "coverage": 0.5,
    }


def test_chunked_distances_match_a_direct_computation(monkeypatch):
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(70, 5)), rng.normal(0.3, 1.2, (50, 5))
    whole = support.support_metrics(real, fake)
    monkeypatch.setattr(support, "_CHUNK", 16)
    assert support.support_metrics(real, fake) == whole
    # The same four numbers from the pairwise distances written out.
    d_rr = ((real[:, None] - real[None]) ** 2).sum(-1)
    d_ff = ((fake[:, None] - fake[None]) ** 2).sum(-1)
    d_rf = ((real[:, None] - fake[None]) ** 2).sum(-1)
    r_real = np.sort(d_rr, 1)[:, 3]
    r_fake = np.sort(d_ff, 1)[:, 3]
    inside = d_rf <= r_real[:, None] + 1e-12
    assert whole["precision"] == pytest.approx(inside.any(0).mean())
    assert whole["density"] == pytest.approx(inside.sum() / (3 * len(fake)))
    assert whole["coverage"] == pytest.approx(inside.any(1).mean())
    recall = (d_rf <= r_fake[None, :] + 1e-12).any(1).mean()
    assert whole["recall"] == pytest.approx(recall)


def test_bad_inputs_are_named():
    ok = np.zeros((5, 2))
    with pytest.raises(ValueError, match="more than 3 fake feature vectors"):
        support.support_metrics(ok, ok[:3])
    with pytest.raises(ValueError, match="same dimension; received 2 and 3"):
        support.support_metrics(ok, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="real features must be a finite"):
        support.support_metrics(np.full((5, 2), np.nan), ok)
    with pytest.raises(ValueError, match="k must be"):
        support.support_metrics(ok, ok, k=0)


def test_pipeline_scores_only_the_asked_support_metrics():
    real = np.array([[0.0], [1.0], [2.0], [10.0]])
    fake = np.array([[1.5], [2.5], [9.0]])

    def statistics(features):
        return stats.Statistics(
            features.mean(0),
            np.cov(features.T)[None, None],
            len(features),
            features=features,
        )

    results = pipeline.score(
        statistics(fake), statistics(real), "fid,recall,coverage", support_k=1
    )
    assert set(results) == {"fid", "recall", "coverage"}
    assert results["recall"] == results["coverage"] == 0.75
    assert pipeline.METRICS["precision"] == "max"
    assert pipeline.keeps_features(["fid", "density"])
    assert not pipeline.keeps_features(["fid", "is"])
    with pytest.raises(ValueError, match="precision need the features"):
        pipeline.score(
            stats.Statistics([0.0], [[1.0]], 5),
            statistics(real),
            ["precision"],
        )
