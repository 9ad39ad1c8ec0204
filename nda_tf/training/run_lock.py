"""One process at a time in a run directory: `LOGDIR/lock`.

Two commands training in one logdir would delete each other's checkpoint
staging folders, or both run to the end writing the same checkpoints and
two event files. A run therefore holds an exclusive flock(2) on
`LOGDIR/lock` while it writes the run directory; a second one stops with
one line naming the holder's PID and host, which the file holds. The
kernel drops the lock when its process ends, however it ends, so a lock
file left behind by a killed run is not a held lock: the next run takes
it over and says so. A normal end, or an exception, removes the file.
"""

import contextlib
import errno
import fcntl
import logging
import os
import socket

from nda_tf.io import files

LOCK_FILE = "lock"
_LOG = logging.getLogger("nda_tf")


class RunDirectoryLockedError(RuntimeError):
    """Another process holds the run directory's lock."""


@contextlib.contextmanager
def holding(logdir, private=False):
    """Holds the lock of `logdir` (created if missing) within the block.

    Raises:
        RunDirectoryLockedError: another live process holds it; nothing
            was written.
        OSError: the file system cannot lock (ENOLCK, or ESTALE again
            and again); the message names `logdir`.
    """
    created = files.make_folders(logdir, private)
    path = os.path.join(logdir, LOCK_FILE)
    try:
        descriptor = _acquire(path, logdir, private)
    except BaseException:
        _remove_empty(created)
        raise
    try:
        yield path
    finally:
        # Removed while still held: a process waiting on this file finds
        # it gone (`_acquire` checks) rather than taking a dead lock.
        if _is_current(descriptor, path):
            os.unlink(path)
        os.close(descriptor)
        # A refused run (a bad setting found while building) leaves no
        # empty logdir behind.
        _remove_empty(created)


def _acquire(path, logdir, private):
    stale = 0
    while True:
        descriptor = os.open(
            path, os.O_RDWR | os.O_CREAT, files.modes(private)[1]
        )
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(descriptor) or "a process that is starting"
            os.close(descriptor)
            raise RunDirectoryLockedError(
                f"{logdir} is in use by another run ({holder}): wait for "
                "it to end, or give another logdir"
            ) from None
        except OSError as error:
            _drop_new(descriptor, path)
            # ESTALE: on NFS, the holder removed the file as we opened it
            # (a local disk opens the new one below): open it again.
            stale += 1
            if error.errno == errno.ESTALE and stale < 3:
                continue
            # ENOLCK, as on an NFS mount without its lock service: said
            # with the run directory, not errno alone.
            raise OSError(
                error.errno,
                f"{error.strerror}: cannot lock the run directory {logdir} "
                "(its file system must support flock(2): a local disk, or "
                "NFS with locking); give a logdir on such a file system",
            ) from error
        if _is_current(descriptor, path):
            break
        # Its holder removed the file as we opened it: open the new one.
        os.close(descriptor)
    left = _read(descriptor)
    if left:
        _LOG.warning(
            "took over the stale lock of %s: %s ended without releasing it",
            logdir,
            left,
        )
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, _holder().encode(), 0)
    return descriptor


def _drop_new(descriptor, path):
    """Closes `descriptor`; removes `path` if it is still that file and
    empty (made by this open), since no lock was taken on it."""
    try:
        with contextlib.suppress(OSError):
            if (
                _is_current(descriptor, path)
                and not os.fstat(descriptor).st_size
            ):
                os.unlink(path)
    finally:
        os.close(descriptor)


def _holder():
    return f"PID {os.getpid()} on {socket.gethostname()}"


def _read(descriptor):
    return os.pread(descriptor, 256, 0).decode("utf-8", "replace").strip()


def _is_current(descriptor, path):
    """Whether the open `descriptor` is still the file named `path`."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _remove_empty(folders):
    for folder in reversed(folders):
        try:
            os.rmdir(folder)
        except OSError:  # not empty: the run wrote in it
            return
