"""experiments/authors_study/cifar10.sh keeps what was measured: `keep`
copies every run's score files out of the study folder, and `score` puts
the kept scores of a lost run back before it reports, never over a run
that is still there. The script runs with a stand-in `python`."""

import json
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SCRIPT = os.path.join(ROOT, "experiments", "authors_study", "cifar10.sh")


def _script(action, tmp_path, **env_vars):
    shim = tmp_path / "bin" / "python"
    if not shim.exists():
        shim.parent.mkdir(parents=True)
        shim.write_text('#!/bin/sh\necho "$@" >> "$RECORD"\n')
        shim.chmod(0o755)
    env = dict(
        os.environ,
        STUDY=str(tmp_path / "study"),
        KEPT=str(tmp_path / "kept"),
        PYTHON=str(shim),
        RECORD=str(tmp_path / "calls.txt"),
        **env_vars,
    )
    return subprocess.run(
        ["bash", SCRIPT, action], env=env, capture_output=True, text=True
    )


def _recorded(tmp_path, count, timeout=60):
    """The stand-in's recorded calls, once there are `count` of them (the
    queues call it in the background) or after `timeout` seconds."""
    record = tmp_path / "calls.txt"
    deadline = time.monotonic() + timeout
    while True:
        lines = record.read_text().splitlines() if record.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def _score_file(folder, step, fid):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"ckpt-{step}.json").write_text(json.dumps({"fid": fid}))


def test_keep_copies_scores_and_score_restores_only_lost_runs(tmp_path):
    runs = tmp_path / "study" / "runs"
    kept = tmp_path / "kept"
    _score_file(runs / "ai_plain_s0" / "real_study" / "scores", 500, 60.0)
    _score_file(runs / "ai_plain_s0" / "real_study" / "scores", 1000, 50.0)
    _score_file(kept / "ai_plain_s0", 1500, 99.0)  # an older attempt's
    done = _script("keep", tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(kept / "ai_plain_s0")) == [
        "ckpt-1000.json",
        "ckpt-500.json",
    ]
    assert "ai_plain_s0: 2 scores" in done.stdout

    # A run lost with the machine: its kept scores come back; a run still
    # there keeps its own files.
    _score_file(kept / "authors_plain_s1", 4000, 55.6)
    _score_file(kept / "ai_plain_s0", 2000, 1.0)
    done = _script("score", tmp_path)
    assert done.returncode == 0, done.stderr
    restored = runs / "authors_plain_s1" / "real_study" / "scores"
    assert json.loads((restored / "ckpt-4000.json").read_text()) == {
        "fid": 55.6
    }
    own = runs / "ai_plain_s0" / "real_study" / "scores"
    assert sorted(os.listdir(own)) == ["ckpt-1000.json", "ckpt-500.json"]
    calls = _recorded(tmp_path, 2)
    assert any("--action=score" in c for c in calls)
    assert any(" report " in f" {c} " for c in calls)


def test_an_unknown_action_names_the_choices(tmp_path):
    done = _script("plot", tmp_path)
    assert done.returncode == 2
    assert (
        "prepare|train|train_same_negatives|train_first_round|score|keep"
        in (done.stderr)
    )


def test_train_queues_the_second_round_with_the_shared_settings(tmp_path):
    # Both queues run in the background: each stand-in run returns at once,
    # so every command of both queues is recorded in the end.
    done = _script(
        "train", tmp_path, TORCH_PYTHON=str(tmp_path / "bin" / "python")
    )
    assert done.returncode == 0, done.stderr
    lines = _recorded(tmp_path, 8)
    theirs = sorted(
        (flag(line, "--lam"), flag(line, "--seed"), flag(line, "--out"))
        for line in lines
        if line.startswith("tools/authors_biggan_study.py train")
    )
    study = tmp_path / "study"
    assert theirs == [
        ("0.25", str(s), f"{study}/authors/jigsaw_s{s}") for s in (0, 1)
    ] + [("1.0", str(s), f"{study}/authors/plain_s{s}") for s in (0, 1)]
    ours = sorted(
        (flag(line, "--arms"), flag(line, "--seeds"))
        for line in lines
        if "--action=train" in line
    )
    assert ours == [
        *(("ai_jigsaw=jigsaw", s) for s in "01"),
        *(("ai_plain=none", s) for s in "01"),
    ]
    settings = {flag(line, "--set") for line in lines if "--set=" in line}
    assert settings == {
        "arch=biggan,ch=16,batch_size=16,d_steps=2,ema_decay=0.999,"
        "ema_start=1000,d_calls=2,init=authors"
    }
    assert len(lines) == 8


def test_train_skips_a_run_whose_kept_scores_reach_the_last_step(tmp_path):
    # The machine lost the runs' folders, not their kept scores: a run
    # measured to the last step is not trained again; one kept only part
    # of the way is.
    kept = tmp_path / "kept"
    _score_file(kept / "ai_jigsaw_s0", 5000, 113.8)
    _score_file(kept / "authors_jigsaw_s1", 5000, 104.4)
    _score_file(kept / "ai_plain_s0", 4000, 55.7)
    done = _script(
        "train", tmp_path, TORCH_PYTHON=str(tmp_path / "bin" / "python")
    )
    assert done.returncode == 0, done.stderr
    assert len(_recorded(tmp_path, 6)) == 6
    lines = _recorded(tmp_path, 7, timeout=3)  # a seventh would be wrong
    trained = sorted(
        flag(line, "--out").rsplit("/", 1)[1]
        if "--out=" in line
        else flag(line, "--arms").split("=")[0] + "_s" + flag(line, "--seeds")
        for line in lines
    )
    assert trained == [
        "ai_jigsaw_s1",
        "ai_plain_s0",
        "ai_plain_s1",
        "jigsaw_s0",
        "plain_s0",
        "plain_s1",
    ]
    logs = tmp_path / "study" / "logs"
    said = (logs / "queue_x.log").read_text() + (
        logs / "queue_y.log"
    ).read_text()
    assert "ai_jigsaw_s0: kept scores reach step 5000" in said
    assert "authors_jigsaw_s1: kept scores reach step 5000" in said


def flag(line, name):
    """The value of `name=` among the words of `line`."""
    (value,) = [
        w.split("=", 1)[1] for w in line.split() if w.startswith(name + "=")
    ]
    return value


def test_same_negatives_queues_ours_with_their_jigsaw_layout(tmp_path):
    # A transform with arguments survives the queue's quoting, and the
    # arm it names is one real_study builds.
    from nda_tf.studies.real_study import runs
    from nda_tf.transforms import registry

    done = _script("train_same_negatives", tmp_path)
    assert done.returncode == 0, done.stderr
    lines = _recorded(tmp_path, 2)
    assert sorted(flag(line, "--seeds") for line in lines) == ["0", "1"]
    (arms,) = {flag(line, "--arms") for line in lines}
    spec = runs.parse_arms([arms])["ai_jigsaw_cm"]
    assert registry.get(spec).reassembly == "column_major"
    # `score` scores that arm with the others.
    done = _script("score", tmp_path)
    assert done.returncode == 0, done.stderr
    (score,) = [c for c in _recorded(tmp_path, 3) if "--action=score" in c]
    assert f",{arms}," in flag(score, "--arms")
