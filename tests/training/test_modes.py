"""What a run and an export write is never wider than the umask allows,
never group- or other-writable, and the owner's only when private."""

import os
import stat

import pytest
import tensorflow as tf

from nda_tf import training
from nda_tf.export import servable
from nda_tf.io import files
from tests.training.test_loop import GAN, GAN_TINY, options

# Two steps with samples every step: every kind of file a GAN run writes.
RUN = dict(GAN_TINY, steps=2, eval_every=1, ema_start=0, ema_decay=0.0)


@pytest.fixture
def umask(request):
    """The umask of `request.param` during the test, the old one after."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def modes(root):
    """`{relative path: mode}` of `root` and everything in it."""
    found = {".": stat.S_IMODE(os.stat(root).st_mode)}
    for parent, folders, names in os.walk(root):
        for name in folders + names:
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


def kinds(root):
    """The top-level entries of a run and whether events and samples are
    among its files: the test saw every kind it claims to."""
    found = modes(root)
    return (
        sorted(p for p in found if os.sep not in p and p != "."),
        any("tfevents" in p for p in found if p.startswith("train")),
        any(p.endswith(".png") for p in found if p.startswith("samples")),
    )


RUN_KINDS = (
    ["checkpoints", "config.json", "eval", "samples", "train"],
    True,
    True,
)


class Doubler(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def serve(self, x):
        return {"y": 2 * x}

    def signatures(self):
        return {"serving_default": self.serve}


def _export(out, private=False):
    args = ({"kind": "test"}, None, [], str(out), "m", 1, False, private)
    with files.narrowed_umask(private):
        return servable.save_servable(Doubler(), *args)


@pytest.mark.parametrize("umask", [0o077, 0o000], indirect=True)
def test_the_modes_are_the_umask_s_and_never_group_writable(umask):
    assert files.current_umask() == umask
    shared = (0o755, 0o644) if umask == 0 else (0o700, 0o600)
    assert files.modes() == shared
    assert files.modes(private=True) == (0o700, 0o600)
    with files.narrowed_umask():
        assert files.current_umask() == umask | 0o022
        with files.narrowed_umask(private=True):
            assert files.current_umask() == 0o077
        assert files.current_umask() == umask | 0o022
    assert files.current_umask() == umask


@pytest.mark.parametrize("umask", [0o077, 0o000], indirect=True)
def test_checkpoints_follow_the_umask(tmp_path, umask):
    keeper = training.CheckpointKeeper(
        str(tmp_path / "c"), tf.train.Checkpoint(v=tf.Variable(1.0))
    )
    keeper.save(1)
    found = modes(str(tmp_path / "c"))
    folder, file = (0o755, 0o644) if umask == 0 else (0o700, 0o600)
    assert found["ckpt-1"] == folder and found["manifest.json"] == file
    assert found == expected(str(tmp_path / "c"), folder, file)
    assert len(found) >= 5  # the folders, manifest, index and data files


@pytest.mark.parametrize("umask", [0o000], indirect=True)
def test_under_umask_000_a_run_and_an_export_are_not_writable_by_others(
    tmp_path, umask
):
    logdir = str(tmp_path / "run")
    training.train(GAN, RUN, logdir, options())
    assert kinds(logdir) == RUN_KINDS
    assert modes(logdir) == expected(logdir, 0o755, 0o644)
    path = _export(tmp_path / "out")
    assert modes(path)["saved_model.pb"] == 0o644
    assert modes(str(tmp_path / "out")) == expected(
        str(tmp_path / "out"), 0o755, 0o644
    )
    # The narrowing ends with the run and the export.
    assert files.current_umask() == 0


@pytest.mark.parametrize("umask", [0o077], indirect=True)
def test_under_umask_077_a_run_and_an_export_are_the_owner_s(tmp_path, umask):
    logdir = str(tmp_path / "run")
    training.train(GAN, RUN, logdir, options())
    assert kinds(logdir) == RUN_KINDS
    assert modes(logdir) == expected(logdir, 0o700, 0o600)
    out = str(tmp_path / "out")
    _export(out)
    assert modes(out) == expected(out, 0o700, 0o600)
    assert modes(out)[os.path.join("m", "1", "saved_model.pb")] == 0o600


@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True)
def test_private_covers_everything_a_run_and_an_export_write(tmp_path, umask):
    logdir = str(tmp_path / "run")
    training.train(GAN, RUN, logdir, options(private=True))
    assert kinds(logdir) == RUN_KINDS
    assert modes(logdir) == expected(logdir, 0o700, 0o600)
    assert files.current_umask() == umask
    out = str(tmp_path / "out")
    paths = training.export_run(GAN, logdir, out, ["generator"], private=True)
    assert modes(out) == expected(out, 0o700, 0o600)
    assert modes(paths["generator"])["saved_model.pb"] == 0o600
    assert files.current_umask() == umask


@pytest.mark.parametrize("umask", [0o022], indirect=True)
def test_by_default_a_run_is_readable_by_every_user(tmp_path, umask):
    # The common umask: other users can evaluate, export and serve.
    logdir = str(tmp_path / "run")
    training.train(GAN, RUN, logdir, options())
    assert modes(logdir) == expected(logdir, 0o755, 0o644)
