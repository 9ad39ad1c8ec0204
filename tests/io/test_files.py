"""`write_json_atomic`: all or nothing, and on disk once it returns."""

import errno
import json
import os
import stat

import pytest

from nda_tf.io import files


def _recording(monkeypatch):
    """Records ("fsync", inode) and ("replace", source, target) in order;
    both still happen."""
    events = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(handle):
        events.append(("fsync", os.fstat(handle).st_ino))
        fsync(handle)

    def recording_replace(source, target):
        events.append(("replace", str(source), str(target)))
        replace(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    return events


def test_a_value_json_cannot_write_leaves_the_old_file_and_no_temporary(
    tmp_path,
):
    path = tmp_path / "config.json"
    files.write_json_atomic(str(path), {"steps": 1})
    with pytest.raises(TypeError, match="not JSON serializable"):
        # json writes "steps" before it meets the object.
        files.write_json_atomic(str(path), {"a": 1, "b": object()})
    assert os.listdir(tmp_path) == ["config.json"]
    assert json.loads(path.read_text()) == {"steps": 1}


def test_the_file_is_synced_before_the_rename_and_the_folder_after(
    tmp_path, monkeypatch
):
    events = _recording(monkeypatch)
    path = str(tmp_path / "config.json")
    files.write_json_atomic(path, {"steps": 1})
    (replace,) = [e for e in events if e[0] == "replace"]
    at = events.index(replace)
    assert replace[2] == path
    # The renamed file is the one synced before it.
    assert ("fsync", os.stat(path).st_ino) in events[:at]
    assert ("fsync", os.stat(tmp_path).st_ino) in events[at:]


def test_a_folder_that_cannot_be_synced_is_no_error(tmp_path, monkeypatch):
    fsync = os.fsync

    def refusing(handle):
        if stat.S_ISDIR(os.fstat(handle).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        fsync(handle)

    monkeypatch.setattr(os, "fsync", refusing)
    path = tmp_path / "config.json"
    files.write_json_atomic(str(path), {"steps": 1})
    assert json.loads(path.read_text()) == {"steps": 1}
