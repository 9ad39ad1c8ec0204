"""Atomic JSON and the modes of what a run writes.

Folders are 0755 and files 0644, or 0700 / 0600 when private, narrowed by
the user's umask: nothing is ever wider than the umask allows, and
nothing is group- or other-writable even under umask 000 (a run directory
shared with the users who evaluate or serve it is theirs to read, not to
change). `narrowed_umask` applies the same rule to everything written
while it is active, TensorFlow's event files and SavedModels included.
"""

import contextlib
import json
import os
import tempfile

# (folder, file) modes before the umask: readable by all, or by the owner.
SHARED_MODES = (0o755, 0o644)
PRIVATE_MODES = (0o700, 0o600)
# The bits a run never grants, and those it withholds when private.
NEVER_GRANTED = 0o022
PRIVATE_MASK = 0o077


def current_umask():
    """The process's umask. Linux tells it in /proc, so it is read without
    being changed; elsewhere it is set and put back at once."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # The brief change is to the narrowest mask: a file another thread
    # makes meanwhile is private, never more open than asked.
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def modes(private=False):
    """`(folder mode, file mode)`: `SHARED_MODES` (`PRIVATE_MODES` when
    `private`) without the bits the umask withholds."""
    mask = current_umask()
    folder, file = PRIVATE_MODES if private else SHARED_MODES
    return folder & ~mask, file & ~mask


@contextlib.contextmanager
def narrowed_umask(private=False):
    """Within the block the umask also withholds group and other write
    (022), or every group and other bit (077) when `private`; it is put
    back after. Files that TensorFlow, Keras or PIL create (events,
    SavedModels, sample images) then get modes no wider than
    `modes(private)`. The umask belongs to the process: other threads'
    files are narrowed too while the block runs."""
    extra = PRIVATE_MASK if private else NEVER_GRANTED
    previous = os.umask(0o077)
    os.umask(previous | extra)
    try:
        yield
    finally:
        os.umask(previous)


def write_json_atomic(path, value, private=False):
    """Writes JSON to a temporary file, then renames it over `path`; the
    file gets `modes(private)`, not mkstemp's 0600. A value that fails to
    write leaves `path` as it was and no temporary file."""
    folder = os.path.dirname(path) or "."
    make_folders(folder, private)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(handle, "w") as file:
            os.fchmod(file.fileno(), modes(private)[1])
            json.dump(value, file, indent=2, sort_keys=True)
            # On disk before the rename: else a power loss may leave the
            # new name on an empty file.
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        # json.dump raises part-way (a value json cannot write) and leaves
        # its partial file; a killed write (KeyboardInterrupt) too.
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    sync_folder(folder)


def sync_folder(path):
    """Fsyncs the folder `path`, so that a rename or removal in it is on
    disk (and survives a power loss). Best effort: some systems refuse to
    open or sync a folder (Windows; some network file systems)."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def sync_tree(root):
    """Fsyncs every file under the folder `root` (one fsync each), then
    its folders, innermost first: what a rename of `root` then publishes
    is on disk, whole."""
    for parent, _, names in os.walk(root, topdown=False):
        for name in names:
            handle = os.open(os.path.join(parent, name), os.O_RDONLY)
            try:
                os.fsync(handle)
            finally:
                os.close(handle)
        sync_folder(parent)


def make_folders(path, private=False):
    """`os.makedirs(path)`, the folders it creates set to `modes(private)`;
    existing folders are left as they are. Returns the created folders,
    outermost first."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    folder_mode = modes(private)[0]
    for folder in reversed(missing):
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, folder_mode)
    return list(reversed(missing))


def set_modes(root, private=False):
    """Sets the folder `root` and everything in it to `modes(private)`
    (e.g. a staging folder that mkdtemp made 0700)."""
    folder_mode, file_mode = modes(private)
    os.chmod(root, folder_mode)
    for parent, folders, files in os.walk(root):
        for name in folders:
            os.chmod(os.path.join(parent, name), folder_mode)
        for name in files:
            os.chmod(os.path.join(parent, name), file_mode)
