"""Checkpoints, config.json and exports are readable by other users
(0755 folders, 0644 files) unless asked to be private, whatever the umask."""

import os
import stat

import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.export import servable
from tests.training.test_loop import GAN, GAN_TINY, options


@pytest.fixture
def umask():
    """A restrictive umask: the modes below must not come from it."""
    previous = os.umask(0o077)
    yield
    os.umask(previous)


def modes(root):
    """`{relative path: mode}` of `root` and everything in it."""
    found = {".": stat.S_IMODE(os.stat(root).st_mode)}
    for parent, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(parent, name)
            found[os.path.relpath(path, root)] = stat.S_IMODE(
                os.stat(path).st_mode
            )
    return found


def expected(root, folder_mode, file_mode):
    return {
        path: folder_mode
        if os.path.isdir(os.path.join(root, path))
        else file_mode
        for path in modes(root)
    }


def test_checkpoints_and_manifest_are_readable_by_all(tmp_path, umask):
    keeper = training.CheckpointKeeper(
        str(tmp_path / "c"), tf.train.Checkpoint(v=tf.Variable(1.0))
    )
    keeper.save(1)
    found = modes(str(tmp_path / "c"))
    # Folders the keeper creates are traversable by all, the run's too.
    assert found["ckpt-1"] == 0o755 and found["manifest.json"] == 0o644
    assert found == expected(str(tmp_path / "c"), 0o755, 0o644)
    assert len(found) >= 5  # the folders, manifest, index and data files


def test_a_private_run_is_readable_by_its_owner_only(tmp_path):
    logdir = str(tmp_path / "run")
    training.train(GAN, dict(GAN_TINY, steps=1), logdir, options(private=True))
    folder = os.path.join(logdir, "checkpoints")
    assert modes(folder) == expected(folder, 0o700, 0o600)
    assert modes(logdir)["config.json"] == 0o600


def test_a_run_and_an_export_are_readable_by_all(tmp_path, umask):
    logdir = str(tmp_path / "run")
    training.train(GAN, dict(GAN_TINY, steps=1), logdir, options())
    folder = os.path.join(logdir, "checkpoints")
    assert modes(folder) == expected(folder, 0o755, 0o644)
    assert modes(logdir)["config.json"] == 0o644
    assert modes(logdir)["."] == 0o755

    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def serve(self, x):
            return {"y": 2 * x}

        def signatures(self):
            return {"serving_default": self.serve}

    path = servable.save_servable(
        Doubler(),
        {"kind": "test"},
        None,
        [],
        str(tmp_path / "out"),
        "m",
        1,
        False,
    )
    found = modes(path)
    assert found == expected(path, 0o755, 0o644)
    assert modes(str(tmp_path / "out")) == expected(
        str(tmp_path / "out"), 0o755, 0o644
    )
    assert found["saved_model.pb"] == 0o644 and found["."] == 0o755
    assert found[os.path.join("assets", "metadata.json")] == 0o644
