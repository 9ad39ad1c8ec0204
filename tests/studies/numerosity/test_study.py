"""The numerosity study: configurations, both runs, and its reports."""

import json
import os

import numpy as np
import pytest

from nda_tf import training
from nda_tf.eval import counting
from nda_tf.studies.numerosity import study as numerosity_study

QUICK = {
    "arch": "sngan",
    "ch": 4,
    "z_dim": 8,
    "steps": 2,
    "batch_size": 8,
    "d_steps": 2,
    "ema_start": 1,
    "seed": 3,
    "num_grid_samples": 16,
    "eval_metrics": ["none"],
}


def test_the_two_runs_differ_only_in_their_nda():
    configs = numerosity_study.study_configs(6, [4, 5, 7], QUICK)
    plain, nda = configs["without NDA"], configs["with NDA"]
    assert (
        plain["dataset"]
        == nda["dataset"]
        == ("dots(counts=(6,), size=32, radius=3)")
    )
    assert plain["nda"] == "none"
    assert nda["nda"] == "dots(counts=(4, 5, 7), size=32, radius=3)"
    assert {k: v for k, v in plain.items() if k != "nda"} == {
        k: v for k, v in nda.items() if k != "nda"
    }
    with pytest.raises(ValueError, match="exclude k=6"):
        numerosity_study.study_configs(6, [5, 6], QUICK)


def test_the_study_trains_both_runs_and_writes_its_reports(tmp_path):
    options = training.RunOptions(progress=False)
    summaries = numerosity_study.run_study(
        2, [1, 3], QUICK, str(tmp_path), num_samples=32, options=options
    )
    assert list(summaries) == ["without NDA", "with NDA"]
    for name in (
        "counts.png",
        "results.md",
        "results.json",
        "with_nda_samples.png",
        "without_nda_samples.png",
    ):
        assert os.path.isfile(tmp_path / name), name
    with open(tmp_path / "results.json") as file:
        results = json.load(file)
    assert results["k"] == 2 and results["negative_counts"] == [1, 3]
    for name, summary in summaries.items():
        assert sum(results["runs"][name]["histogram"]) == 32
        assert results["runs"][name]["config"]["steps"] == 2
        assert summary.exact == results["runs"][name]["exact_fraction"]
    for run in ("with_nda", "without_nda"):
        assert os.path.isfile(tmp_path / run / "config.json")


def test_markdown_table_of_hand_made_counts():
    summaries = {
        "a": counting.summarize_counts(np.array([2, 2, 1, 3]), target=2),
        "b": counting.summarize_counts(np.array([2, 2, 2, 2]), target=2),
    }
    lines = numerosity_study.markdown(summaries, 2).splitlines()
    assert lines[0] == (
        "| run | exactly 2 | mean abs(count - 2) | mean count | 0 | 1 | 2 | 3 |"
    )
    assert lines[2] == (
        "| a | 0.500 | 0.500 | 2.00 | 0.000 | 0.250 | 0.500 | 0.250 |"
    )
    assert lines[3] == (
        "| b | 1.000 | 0.000 | 2.00 | 0.000 | 0.000 | 1.000 | 0.000 |"
    )
