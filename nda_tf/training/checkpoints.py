"""Atomic checkpoints that survive a crash while saving.

Each checkpoint is written into a temporary folder that is renamed to
`ckpt-<step>` only once complete; the rename is atomic on a local file
system, so a crash leaves either the old set or the new one, never a partial
checkpoint under a final name. `manifest.json` (also replaced atomically)
lists the checkpoints with their metrics; without it the folder is scanned.

Checkpoints are readable by every user the umask allows (folders 0755,
files 0644 at most: a serving or evaluating user need not be the trainer),
never group- or other-writable, or by their owner only (0700, 0600) when
asked (`nda_tf.io.files.modes`).
"""

import json
import logging
import os
import re
import shutil
import tempfile

from nda_tf.io.files import (
    make_folders,
    set_modes,
    sync_folder,
    sync_tree,
    write_json_atomic,
)

# Under "nda_tf", whose records the commands print: the root logger's
# warnings are silenced there with TensorFlow's.
_LOG = logging.getLogger(__name__)
_NAME = re.compile(r"^ckpt-(\d+)$")
_MANIFEST = "manifest.json"
_PREFIX = "state"


class CheckpointError(RuntimeError):
    """No checkpoint in a folder could be restored."""


class CheckpointKeeper:
    """Saves and restores a `tf.train.Checkpoint` in `directory`.

    Args:
        directory: folder of the checkpoints (created when needed).
        checkpoint: the `tf.train.Checkpoint` to save and restore.
        max_to_keep: int >= 1, newest checkpoints kept.
        private: readable by the owner only (0700 / 0600) instead of by
            every user the umask allows (0755 / 0644 at most).

    Example:

    >>> import tempfile
    >>> weight = tf.Variable(1.0)
    >>> folder = tempfile.mkdtemp()
    >>> keeper = CheckpointKeeper(folder, tf.train.Checkpoint(w=weight), 3)
    >>> path = keeper.save(step=100, metrics={"fid": 23.4})
    >>> _ = weight.assign(5.0)
    >>> keeper.restore(), float(weight.numpy())
    (100, 1.0)
    """

    def __init__(self, directory, checkpoint, max_to_keep=3, private=False):
        if isinstance(max_to_keep, bool) or not isinstance(max_to_keep, int):
            raise ValueError(f"max_to_keep must be an int, got {max_to_keep!r}")
        if max_to_keep < 1:
            raise ValueError(f"max_to_keep must be >= 1, got {max_to_keep}")
        self.directory = directory
        self.checkpoint = checkpoint
        self.max_to_keep = max_to_keep
        self.private = private

    def entries(self):
        """Complete checkpoints, oldest first (name, step and metrics)."""
        if not os.path.isdir(self.directory):
            return []
        on_disk = {
            n
            for n in os.listdir(self.directory)
            if _NAME.match(n) and os.path.isdir(self._path(n))
        }
        listed = _read_json(os.path.join(self.directory, _MANIFEST))
        entries = [
            e
            for e in (listed or {}).get("checkpoints", [])
            if e.get("name") in on_disk
        ]
        known = {e["name"] for e in entries}
        entries += [
            {"name": n, "step": int(_NAME.match(n).group(1)), "metrics": {}}
            for n in on_disk - known
        ]
        return sorted(entries, key=lambda e: e["step"])

    def save(self, step, metrics=None):
        """Writes the checkpoint of `step`; returns its folder."""
        make_folders(self.directory, self.private)
        name = f"ckpt-{int(step)}"
        staging = tempfile.mkdtemp(prefix=f".{name}-", dir=self.directory)
        self.checkpoint.write(os.path.join(staging, _PREFIX))
        # mkdtemp made the folder 0700; set the modes before it appears.
        set_modes(staging, self.private)
        # TensorFlow's checkpoint writer need not fsync its files: without
        # this, a power loss after the rename (and the removal of older
        # checkpoints below) could leave only a checkpoint with empty files.
        sync_tree(staging)
        final = self._path(name)
        if os.path.exists(final):  # the same step saved again (at exit)
            shutil.rmtree(final)
        os.replace(staging, final)
        # The rename on disk before the older checkpoints are removed.
        sync_folder(self.directory)
        entries = [e for e in self.entries() if e["name"] != name]
        entries.append(
            {"name": name, "step": int(step), "metrics": dict(metrics or {})}
        )
        entries.sort(key=lambda e: e["step"])
        for old in entries[: -self.max_to_keep]:
            shutil.rmtree(self._path(old["name"]), ignore_errors=True)
        self._write_manifest(entries[-self.max_to_keep :])
        self._remove_leftovers()
        return final

    def restore(self, name=None):
        """Restores the newest readable checkpoint (or the one named).

        A checkpoint that fails to read (corrupt or truncated files) is
        reported and skipped for the one before it.

        Returns:
            The restored step, or None when the folder holds none.

        Raises:
            CheckpointError: checkpoints exist but none could be read.
        """
        entries = self.entries()
        if name is not None:
            entries = [e for e in entries if e["name"] == name]
            if not entries:
                raise CheckpointError(
                    f"no checkpoint {name!r} in {self.directory}"
                )
        if not entries:
            return None
        errors = []
        for entry in reversed(entries):
            path = os.path.join(self._path(entry["name"]), _PREFIX)
            try:
                status = self.checkpoint.read(path)
                # Objects of this program must all be in the checkpoint; the
                # checkpoint may hold more (optimizers, when only the
                # networks are loaded).
                status.assert_existing_objects_matched().expect_partial()
                return entry["step"]
            # A damaged file surfaces as OpError, IndexError (truncated),
            # ValueError or AssertionError (missing objects), among others.
            except Exception as error:
                message = str(error).strip().splitlines()[0]
                _LOG.warning(
                    "checkpoint %s unreadable, trying the one before: %s",
                    path,
                    message,
                )
                errors.append(f"{entry['name']}: {message}")
        raise CheckpointError(
            f"no checkpoint in {self.directory} could be restored: "
            + "; ".join(errors)
        )

    def latest(self):
        entries = self.entries()
        return entries[-1] if entries else None

    def _path(self, name):
        return os.path.join(self.directory, name)

    def _write_manifest(self, entries):
        write_json_atomic(
            os.path.join(self.directory, _MANIFEST),
            {"checkpoints": entries},
            self.private,
        )

    def _remove_leftovers(self):
        for name in os.listdir(self.directory):
            if name.startswith(".ckpt-"):  # staging folders of crashed saves
                shutil.rmtree(self._path(name), ignore_errors=True)


def _read_json(path):
    try:
        with open(path) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None
