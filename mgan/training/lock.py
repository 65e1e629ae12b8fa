"""One writer per directory: an exclusive ``fcntl.flock`` on ``<dir>/.lock``, held while the process writes there.

The operating system releases the lock when the process ends in any way (exit, exception, SIGKILL, crash), so a
killed run can be resumed at once; there is no stale lock file to delete. The lock file holds the holder's pid, so a
second process names it in its error. Locks are re-entrant within a process (the run store locks a run directory
and then calls the runner, which locks it again), keyed by the directory's real path.
"""
import contextlib
import fcntl
import os

from mgan.errors import RunLockedError

LOCK_NAME = ".lock"
_HELD = {}  # real path of the directory -> [open lock file, depth]


def _holder(f):
    try:
        f.seek(0)
        return f.read().strip() or "unknown"
    except OSError:
        return "unknown"


def _open_locked(directory, wait, what):
    f = open(os.path.join(directory, LOCK_NAME), "a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise RunLockedError(
                    f"{directory} is in use by process {_holder(f)} (another {what} writes there). Wait for it to "
                    f"finish (a killed process releases it at once), or choose another --out.") from None
            print(f"waiting for process {_holder(f)}, which writes {directory} ...", flush=True)
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
    except BaseException:
        f.close()
        raise
    return f


def acquire(directory, wait=False, what="run"):
    """Lock ``directory`` (created if needed) for this process; RunLockedError naming the holder's pid when another
    process holds it (or wait for it with ``wait=True``). Call :func:`release` once per acquire."""
    os.makedirs(directory, exist_ok=True)
    key = os.path.realpath(directory)
    if key in _HELD:
        _HELD[key][1] += 1
        return
    _HELD[key] = [_open_locked(directory, wait, what), 1]


def release(directory):
    key = os.path.realpath(directory)
    entry = _HELD.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] == 0:
        del _HELD[key]
        fcntl.flock(entry[0], fcntl.LOCK_UN)
        entry[0].close()


@contextlib.contextmanager
def hold(directory, wait=False, what="run"):
    """``with hold(dir):`` the directory is this process' alone (see :func:`acquire`)."""
    acquire(directory, wait, what)
    try:
        yield
    finally:
        release(directory)
