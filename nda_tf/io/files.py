"""Atomic JSON and the modes of what a run writes: 0755 / 0644 whatever
the umask (a serving or evaluating user need not be the trainer), or
0700 / 0600 when private."""

import json
import os
import tempfile

# (folder, file) modes: readable by all, or by the owner only.
SHARED_MODES = (0o755, 0o644)
PRIVATE_MODES = (0o700, 0o600)


def write_json_atomic(path, value, private=False):
    """Writes JSON to a temporary file, then renames it over `path`; the
    file is 0644 (0600 when `private`), not mkstemp's 0600."""
    folder = os.path.dirname(path) or "."
    make_folders(folder, private)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    os.fchmod(handle, (PRIVATE_MODES if private else SHARED_MODES)[1])
    with os.fdopen(handle, "w") as file:
        json.dump(value, file, indent=2, sort_keys=True)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def make_folders(path, private=False):
    """`os.makedirs(path)`, the folders it creates set to 0755 (0700 when
    `private`) whatever the umask; existing folders are left as they are."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for folder in reversed(missing):
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, (PRIVATE_MODES if private else SHARED_MODES)[0])


def set_modes(root, private=False):
    """Sets the modes of the folder `root` and of everything in it:
    `SHARED_MODES` (0755 folders, 0644 files), or `PRIVATE_MODES`."""
    folder_mode, file_mode = PRIVATE_MODES if private else SHARED_MODES
    os.chmod(root, folder_mode)
    for parent, folders, files in os.walk(root):
        for name in folders:
            os.chmod(os.path.join(parent, name), folder_mode)
        for name in files:
            os.chmod(os.path.join(parent, name), file_mode)
