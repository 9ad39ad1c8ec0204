"""CheckpointKeeper: atomic saves, rotation, fallback past corrupt files."""

import io
import json
import logging
import os
import shutil

import pytest
import tensorflow as tf

from nda_tf.training import (
    CheckpointError,
    CheckpointKeeper,
    Progress,
    make_strategy,
)


def _keeper(tmp_path, keep=2):
    value = tf.Variable(0.0)
    return value, CheckpointKeeper(
        str(tmp_path / "ckpts"), tf.train.Checkpoint(v=value), keep
    )


def test_saves_restore_and_keep_only_the_newest(tmp_path):
    value, keeper = _keeper(tmp_path)
    for step in (1, 2, 3):
        value.assign(step * 10.0)
        keeper.save(step, {"fid": 50.0 - step})
    assert [e["step"] for e in keeper.entries()] == [2, 3]
    assert keeper.latest()["metrics"] == {"fid": 47.0}
    value.assign(-1.0)
    assert keeper.restore() == 3 and value.numpy() == 30.0
    assert keeper.restore("ckpt-2") == 2 and value.numpy() == 20.0


def test_a_corrupt_newest_checkpoint_falls_back_to_the_one_before(
    tmp_path, caplog
):
    value, keeper = _keeper(tmp_path)
    for step in (1, 2):
        value.assign(float(step))
        keeper.save(step)
    data_file = next(
        f
        for f in os.listdir(tmp_path / "ckpts" / "ckpt-2")
        if f.startswith("state.data")
    )
    with open(tmp_path / "ckpts" / "ckpt-2" / data_file, "r+b") as file:
        file.truncate(1)
    value.assign(-1.0)
    with caplog.at_level(logging.WARNING):
        assert keeper.restore() == 1 and value.numpy() == 1.0
    # Under "nda_tf", which the commands print (issue 28: the root
    # logger's warning was silenced with TensorFlow's), naming the file.
    (record,) = caplog.records
    assert record.name.startswith("nda_tf.") and record.levelname == "WARNING"
    assert str(tmp_path / "ckpts" / "ckpt-2" / "state") in record.getMessage()


def test_when_nothing_is_readable_the_error_says_so(tmp_path):
    value, keeper = _keeper(tmp_path)
    keeper.save(5)
    os.remove(tmp_path / "ckpts" / "ckpt-5" / "state.index")
    with pytest.raises(CheckpointError, match="ckpt-5"):
        keeper.restore()


def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path):
    value, keeper = _keeper(tmp_path)
    value.assign(7.0)
    keeper.save(1)
    # What a save killed mid-write leaves: a staging folder, no rename.
    os.makedirs(tmp_path / "ckpts" / ".ckpt-2-abc")
    (tmp_path / "ckpts" / "manifest.json").write_text("{truncated")
    value.assign(0.0)
    assert [e["step"] for e in keeper.entries()] == [1]
    assert keeper.restore() == 1 and value.numpy() == 7.0
    keeper.save(2)
    assert not os.path.exists(tmp_path / "ckpts" / ".ckpt-2-abc")
    manifest = json.loads((tmp_path / "ckpts" / "manifest.json").read_text())
    assert [e["name"] for e in manifest["checkpoints"]] == ["ckpt-1", "ckpt-2"]


def test_an_empty_folder_restores_nothing(tmp_path):
    _, keeper = _keeper(tmp_path)
    assert keeper.restore() is None
    with pytest.raises(ValueError, match="max_to_keep"):
        CheckpointKeeper(str(tmp_path), tf.train.Checkpoint(), 0)


def test_progress_line_reports_rate_and_time_left(monkeypatch):
    clock = iter([100.0, 110.0, 110.0])
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    out = io.StringIO()
    bar = Progress(100, initial_step=50, stream=out, log_every_s=0)
    bar.update(70, {"d_loss": 1.5})
    line = out.getvalue().strip()
    assert line.startswith("step 70/100 [")
    assert "2.00 steps/s" in line and "0m15s left" in line
    assert "d_loss 1.5" in line


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="'gpu'"):
        make_strategy("gpu")


def test_a_checkpoint_is_on_disk_before_it_replaces_the_one_kept(
    tmp_path, monkeypatch
):
    # With one kept, a save removes the only other checkpoint: its files,
    # and its rename, must be synced first, or a power loss could leave
    # no readable checkpoint.
    _, keeper = _keeper(tmp_path, keep=1)
    keeper.save(1)
    events = _recording(monkeypatch)
    final = keeper.save(2)
    (publish,) = [e for e in events if e[:1] == ("replace",) and e[2] == final]
    (remove,) = [e for e in events if e[0] == "rmtree"]
    assert remove[1].endswith("ckpt-1")
    before = {e[1] for e in events[: events.index(publish)] if e[0] == "fsync"}
    staged = [final] + [
        os.path.join(parent, name)
        for parent, folders, names in os.walk(final)
        for name in folders + names
    ]
    assert len(staged) > 2  # the folder, state.index and a data file
    assert {os.stat(path).st_ino for path in staged} <= before
    between = events[events.index(publish) : events.index(remove)]
    assert ("fsync", os.stat(keeper.directory).st_ino) in between
    assert keeper.restore() == 2


def _recording(monkeypatch):
    """Records ("fsync", inode), ("replace", source, target) and
    ("rmtree", path) in order; each still happens."""
    events = []
    fsync, replace, rmtree = os.fsync, os.replace, shutil.rmtree

    def recording_fsync(handle):
        events.append(("fsync", os.fstat(handle).st_ino))
        fsync(handle)

    def recording_replace(source, target):
        events.append(("replace", str(source), str(target)))
        replace(source, target)

    def recording_rmtree(path, *args, **kwargs):
        events.append(("rmtree", str(path)))
        rmtree(path, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    monkeypatch.setattr(shutil, "rmtree", recording_rmtree)
    return events
