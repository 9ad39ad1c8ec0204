"""One process at a time in a run directory (`nda_tf.training.run_lock`)."""

import errno
import fcntl
import logging
import os
import signal
import subprocess
import sys

import pytest

from nda_tf import training
from nda_tf.training import run_lock
from tests.experiments.test_gan_command import ROOT, _command
from tests.training.test_loop import GAN, GAN_TINY, options

# Holds the lock of argv[1] until killed; says so on stdout first.
HOLDER = """
import sys, time
from nda_tf.training import run_lock
with run_lock.holding(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(600)
"""


def _snapshot(root):
    """`{relative path: (mtime_ns, contents)}` of the files under `root`."""
    found = {}
    for parent, _, names in os.walk(root):
        for name in names:
            path = os.path.join(parent, name)
            with open(path, "rb") as file:
                found[os.path.relpath(path, root)] = (
                    os.stat(path).st_mtime_ns,
                    file.read(),
                )
    return found


def _is_locked(logdir):
    """Whether some open file holds the flock of `logdir`'s lock file."""
    path = os.path.join(logdir, run_lock.LOCK_FILE)
    if not os.path.exists(path):
        return False
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)


def test_a_second_gan_command_stops_naming_the_first_and_writes_nothing(
    tmp_path,
):
    logdir = str(tmp_path / "run")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, logdir],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        before = _snapshot(logdir)
        second = subprocess.run(
            [*_command(logdir, 2), "--ema_decay=0"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        after = _snapshot(logdir)
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith(
        f"nda_tf.experiments.gan: error: {logdir} is in use by another run "
        f"(PID {holder.pid} on "
    )
    # Only the holder's lock file, untouched.
    assert list(before) == ["lock"] and after == before


def test_a_second_holder_in_one_process_is_refused_too(tmp_path):
    # flock belongs to an open file, not a process: a second `train` in
    # the same program is refused as well.
    logdir = str(tmp_path / "run")
    with run_lock.holding(logdir):
        with pytest.raises(
            run_lock.RunDirectoryLockedError,
            match=f"in use by another run \\(PID {os.getpid()} on ",
        ):
            with run_lock.holding(logdir):
                pass
        assert _is_locked(logdir)
    assert not os.path.exists(logdir)  # it made the folder, now empty


def test_a_stale_lock_of_a_dead_process_is_taken_over_and_said(
    tmp_path, caplog
):
    logdir = tmp_path / "run"
    logdir.mkdir()
    # The lock file of a killed run: its flock went with its process.
    (logdir / "lock").write_text("PID 4194304 on elsewhere\n")
    with caplog.at_level(logging.WARNING, logger="nda_tf"):
        _, summary = training.train(
            GAN,
            dict(GAN_TINY, steps=1, ema_start=0, ema_decay=0.0),
            str(logdir),
            options(),
        )
    assert summary["step"] == 1
    assert [r.getMessage() for r in caplog.records] == [
        f"took over the stale lock of {logdir}: PID 4194304 on elsewhere "
        "ended without releasing it"
    ]
    assert not (logdir / "lock").exists()


def test_the_lock_is_released_after_a_run_and_after_a_failure(tmp_path):
    logdir = str(tmp_path / "run")
    seen = []

    def look(model, step):
        seen.append(_is_locked(logdir))  # held while the run writes

    def fail(model, step):
        raise RuntimeError("an evaluator failed")

    training.train(
        GAN,
        dict(GAN_TINY, steps=1),
        logdir,
        options(),
        [training.Evaluator(look, 1)],
    )
    assert seen == [True]
    assert not os.path.exists(os.path.join(logdir, "lock"))
    with pytest.raises(RuntimeError, match="an evaluator failed"):
        training.train(
            GAN,
            dict(GAN_TINY, steps=2),
            logdir,
            options(),
            [training.Evaluator(fail, 2)],
        )
    assert not os.path.exists(os.path.join(logdir, "lock"))
    # The failed run did not keep it: the next one runs.
    _, summary = training.train(GAN, dict(GAN_TINY, steps=2), logdir, options())
    assert summary["step"] == 2
    assert not os.path.exists(os.path.join(logdir, "lock"))


def test_a_run_refused_while_building_leaves_no_folder(tmp_path):
    logdir = tmp_path / "new" / "run"
    with pytest.raises(ValueError, match="received 31"):
        training.train(
            GAN, dict(GAN_TINY, resolution=31), str(logdir), options()
        )
    assert not (tmp_path / "new").exists()


def test_on_finish_runs_under_the_lock_and_not_after_a_signal(tmp_path):
    logdir = str(tmp_path / "run")
    finished = []

    def on_finish(summary):
        with open(os.path.join(logdir, run_lock.LOCK_FILE)) as file:
            holder = file.read()
        finished.append((summary["step"], _is_locked(logdir), holder))

    def stop(model, step):
        if step == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    config = dict(GAN_TINY, steps=3)
    _, summary = training.train(
        GAN,
        config,
        logdir,
        options(),
        [training.Evaluator(stop, 1)],
        on_finish=on_finish,
    )
    # Stopped by a signal: the run is not finished, nothing to export.
    assert summary["interrupted"] == "SIGTERM"
    assert finished == []
    _, summary = training.train(
        GAN, config, logdir, options(), on_finish=on_finish
    )
    assert summary["step"] == 3
    assert finished == [(3, True, run_lock._holder())]
    assert not os.path.exists(os.path.join(logdir, run_lock.LOCK_FILE))


def test_sigterm_during_on_finish_stops_and_releases_the_lock(tmp_path):
    # The end-of-run work (the commands' export) is stopped by SIGTERM
    # through an exception, not the signal's default action: the lock
    # file goes, what on_finish holds is released, the exit code is 143.
    logdir = str(tmp_path / "run")
    released = []

    def on_finish(summary):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.sigtimedwait([], 5)  # the handler raises before this ends
        finally:
            released.append(_is_locked(logdir))

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stopped:
        training.train(
            GAN, dict(GAN_TINY, steps=1), logdir, options(), on_finish=on_finish
        )
    assert stopped.value.code == 128 + signal.SIGTERM
    assert released == [True]  # on_finish ran, holding the lock
    assert not os.path.exists(os.path.join(logdir, run_lock.LOCK_FILE))
    assert signal.getsignal(signal.SIGTERM) is before
    # The run is complete: running it again finishes at once.
    _, summary = training.train(GAN, dict(GAN_TINY, steps=1), logdir, options())
    assert summary["step"] == 1 and not summary["interrupted"]


def _failing_flock(monkeypatch, number, times):
    """flock fails with `number` the first `times` calls."""
    calls = []
    real = fcntl.flock

    def flock(descriptor, operation):
        calls.append(number)
        if len(calls) <= times:
            raise OSError(number, os.strerror(number))
        return real(descriptor, operation)

    monkeypatch.setattr(run_lock.fcntl, "flock", flock)
    return calls


@pytest.mark.parametrize("number", [errno.ENOLCK, errno.ESTALE])
def test_a_file_system_without_locks_is_named_and_leaves_nothing(
    tmp_path, monkeypatch, number
):
    calls = _failing_flock(monkeypatch, number, times=10)
    logdir = tmp_path / "nfs" / "run"
    with pytest.raises(OSError) as raised:
        with run_lock.holding(str(logdir)):
            pass
    assert raised.value.errno == number
    assert str(raised.value) == (
        f"[Errno {number}] {os.strerror(number)}: cannot lock the run "
        f"directory {logdir} (its file system must support flock(2): a "
        "local disk, or NFS with locking); give a logdir on such a file "
        "system"
    )
    # ESTALE is the holder's file removed as it was opened: tried again.
    assert len(calls) == (3 if number == errno.ESTALE else 1)
    assert not (tmp_path / "nfs").exists()


def test_a_stale_handle_once_is_opened_again(tmp_path, monkeypatch):
    calls = _failing_flock(monkeypatch, errno.ESTALE, times=1)
    logdir = tmp_path / "run"
    with run_lock.holding(str(logdir)):
        assert len(calls) == 2  # the stale one, then the lock
        assert (logdir / "lock").read_text() == run_lock._holder()
        assert _is_locked(str(logdir))
    assert not logdir.exists()
