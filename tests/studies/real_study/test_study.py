"""The real-data study (#18): training turns, per-checkpoint scores,
curves."""

import json
import os
import shutil

import keras
import numpy as np
import pytest
from PIL import Image

from nda_tf.data import split
from nda_tf.eval.backbones import KerasFeatureExtractor
from nda_tf.studies.real_study import report as real_study_report
from nda_tf.studies.real_study import runs as real_study
from nda_tf.studies.real_study import scores as real_study_scores
from tests.data.test_split import make_folder

# Tiny runs: 2 G steps, a checkpoint at each.
TINY = {"arch": "sngan", "ch": 4, "z_dim": 8, "batch_size": 4, "d_steps": 1,
        "ema_start": 1, "num_grid_samples": 4}  # fmt: skip


def test_arms_and_overrides_are_parsed_and_checked():
    assert real_study.parse_arms(["plain", "jigsaw", "mix=jigsaw|cutout"]) == {
        "plain": "none",
        "jigsaw": "jigsaw",
        "mix": "jigsaw|cutout",
    }
    with pytest.raises(ValueError, match="given twice"):
        real_study.parse_arms(["plain", "plain=none"])
    assert real_study.parse_overrides(["ch=4", "lam=0.5"]) == {
        "ch": 4,
        "lam": 0.5,
    }
    with pytest.raises(ValueError, match="'seed=3'"):
        real_study.parse_overrides(["seed=3"])
    with pytest.raises(ValueError, match="'x' is not a int"):
        real_study.parse_overrides(["ch=x"])


def test_checkpoints_are_scored_once_and_make_curves(tmp_path):
    source = make_folder(tmp_path / "all", {"a": 14, "b": 14})
    data_dir = tmp_path / "split"
    split.split_folder(source, data_dir, held_out=8, seed=0)
    runs = str(tmp_path / "runs")
    arms = {"plain": "none", "jigsaw": "jigsaw"}
    # Turns of one step: both runs reach step 1, then step 2.
    done = real_study.train_runs(
        data_dir, runs, arms, [0], steps=2, save_every=1, overrides=TINY,
        progress=False, turn=1,
    )  # fmt: skip
    assert sorted(done.values()) == [2, 2]
    plain = real_study_scores.run_dir(runs, "plain", 0)
    # Again: every run is past every turn; nothing is built or trained.
    saved_at = os.path.getmtime(os.path.join(plain, "checkpoints"))
    again = real_study.train_runs(
        data_dir, runs, arms, [0], steps=2, save_every=1, overrides=TINY,
        progress=False, turn=1,
    )  # fmt: skip
    assert again == done
    assert os.path.getmtime(os.path.join(plain, "checkpoints")) == saved_at
    assert real_study_scores.checkpoint_steps(plain) == [1, 2]
    with open(os.path.join(plain, "config.json")) as file:
        config = json.load(file)
    assert config["dataset"].endswith(os.path.join("split", "train"))
    assert config["nda"] == "none" and config["ch"] == 4

    encoder = keras.Sequential(
        [keras.layers.Conv2D(6, 3, strides=4), keras.layers.Flatten()]
    )
    extractor = KerasFeatureExtractor(encoder, name="tiny")
    settings = real_study_scores.scoring_settings(
        num_generated=8,
        backbone="tiny",
        ood_sets=["corrupt:contrast_5", "noise:uniform", "nda:jigsaw"],
        transforms=["jigsaw"],
    )
    scorer = real_study_scores.Scorer(
        data_dir, settings, str(tmp_path / "cache"), extractor=extractor
    )
    assert scorer.score_run(plain) == [1, 2]
    assert scorer.score_run(plain) == []  # cached: nothing new
    record = real_study_scores.read_score(plain, 2, settings)
    assert record["step"] == 2 and record["nda"] == "none"
    assert record["ood"]["in_distribution"]["num_images"] == 8  # held out
    assert set(record["generation"]) == set(
        real_study_scores.GENERATION_METRICS
    )
    # Other settings: the cached scores do not count.
    jigsaw = real_study_scores.run_dir(runs, "jigsaw", 0)
    assert scorer.score_run(jigsaw) == [1, 2]
    changed = dict(settings, seed=1)
    assert real_study_scores.Scorer(
        data_dir, changed, str(tmp_path / "cache"), extractor=extractor
    ).pending(plain) == [1, 2]

    curves, paths = real_study_report.write_report(
        runs, arms, [0], str(tmp_path / "report"), settings
    )
    for name in ("auroc/noise:uniform", "gap_median/jigsaw", "fid"):
        for arm in arms:
            assert curves[name][arm]["steps"] == [1, 2]
            assert curves[name][arm]["seeds"] == [1, 1]
    value = real_study_report.point_values(record)["auroc/nda:jigsaw"]
    assert curves["auroc/nda:jigsaw"]["plain"]["mean"][1] == value
    for path in paths:
        assert os.path.getsize(path) > 0, path
    assert "Step 2;" in real_study_report.table(curves)
    comparison = (tmp_path / "report" / "comparison.md").read_text()
    assert "jigsaw - plain, paired by seed" in comparison
    assert "| auroc/nda:jigsaw | 1-2 |" in comparison
    one = real_study_report.comparison(
        {"fid": {"plain": {0: {5: 1.0}}, "mix": {0: {5: 3.0}}}}
    )
    assert "| fid | 5 | 5: +2.000 [+2.000, +2.000] | 1 of 1 |" in one
    # The sample grids of the last turn, the same step for every run.
    grids = real_study_report.sample_grids(runs, arms, [0])
    assert {step for step, _ in grids.values()} == {2}
    assert sorted(grids) == sorted(f"{arm}_s0" for arm in arms)
    assert str(tmp_path / "report" / "samples.png") in paths
    # A score outlives its checkpoint: with the run's checkpoints gone
    # (rotated, or the machine lost), its measured points stay.
    before = real_study_report.seed_values(runs, arms, [0], settings)
    shutil.rmtree(os.path.join(plain, "checkpoints"))
    assert real_study_scores.scored_steps(plain) == [1, 2]
    assert real_study_report.seed_values(runs, arms, [0], settings) == before
    assert before["fid"]["plain"][0].keys() == {1, 2}
    assert real_study_scores.scored_steps(str(tmp_path / "none")) == []
    # Moving statistics are the settings' default and are not recorded
    # (the scores made before the option keep counting); batch statistics
    # are, and score G_ema's samples otherwise.
    assert "sample_stats_batch" not in settings
    batch = real_study_scores.scoring_settings(
        **{k: settings[k] for k in ("num_generated", "backbone", "seed")},
        ood_sets=settings["ood_sets"],
        transforms=settings["transforms"],
        sample_stats_batch=4,
    )
    assert batch == dict(settings, sample_stats_batch=4)
    batch_scorer = real_study_scores.Scorer(
        data_dir, batch, str(tmp_path / "cache"), extractor=extractor
    )
    assert batch_scorer.pending(jigsaw) == [1, 2]
    moving = real_study_scores.read_score(jigsaw, 2, settings)
    batch_fid = batch_scorer.score(jigsaw, 2)["generation"]["fid"]
    assert batch_fid != moving["generation"]["fid"]
    # Kept apart: the moving-statistics score is still there.
    assert real_study_scores.read_score(jigsaw, 2, settings) == moving
    assert batch_scorer.pending(jigsaw) == [1]
    assert real_study_scores.scored_steps(jigsaw, batch) == [2]
    assert real_study_scores.scored_steps(jigsaw) == [1, 2]


def synthetic_values():
    """`seed_values`-shaped scores: plain seeds 0, 1 at steps 10, 20;
    jigsaw seed 0 at 10, 20 and seed 1 at 10 only (still training)."""
    return {
        "auroc/corrupt": {
            "plain": {0: {10: 0.8, 20: 0.7}, 1: {10: 0.6, 20: 0.9}},
            "jigsaw": {0: {10: 0.5, 20: 0.75}, 1: {10: 0.7}},
        },
        "corruption/fog_5": {
            "plain": {0: {10: 0.9, 20: 0.8}, 1: {10: 0.7, 20: 0.6}},
            "jigsaw": {0: {10: 0.4, 20: 0.3}, 1: {10: 0.2}},
        },
    }


def test_paired_differences_pair_by_seed_and_step():
    values = synthetic_values()
    differences = real_study_report.paired_differences(
        values, "auroc/corrupt", "jigsaw", "plain"
    )
    assert differences.keys() == {10, 20}
    assert np.allclose(differences[10], [0.5 - 0.8, 0.7 - 0.6])
    assert np.allclose(differences[20], [0.75 - 0.7])  # seed 1 unpaired
    text = real_study_report.comparison(values, curves=["auroc/corrupt"])
    # -0.3 and +0.1 at step 10 (mean -0.1), +0.05 at 20: 2 of 3 higher.
    assert "| auroc/corrupt | 10-20 | 10: -0.100 [-0.300, +0.100]; " in text
    assert "20: +0.050 [+0.050, +0.050] | 2 of 3 |" in text
    assert "baseline arm 'none'" in real_study_report.comparison(
        values, baseline="none"
    )
    alone = {"fid": {"plain": values["auroc/corrupt"]["plain"]}}
    assert "Only the baseline" in real_study_report.comparison(alone)


def test_last_shared_step_needs_every_seed_of_every_arm(tmp_path):
    curves = real_study_report.curves_of(synthetic_values())
    assert curves["auroc/corrupt"]["jigsaw"]["seeds"] == [2, 1]
    # Step 20 has one jigsaw seed of two: not a full point.
    assert real_study_report.last_shared_step(curves, "auroc/corrupt") == 10
    assert real_study_report.corruption_names(curves) == ["fog_5"]
    paths = real_study_report.write_corruptions(curves, str(tmp_path), step=10)
    assert [os.path.basename(p) for p in paths] == [
        "corruptions.png",
        "corruption_curves.png",
    ]
    for path in paths:
        assert Image.open(path).size[0] > 100
