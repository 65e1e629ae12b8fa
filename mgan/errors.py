"""Errors a user can fix, reported by every command line as one or two lines (no traceback) and a non-zero exit.

``UserError`` is the one class the command lines catch (with ``OSError``, turned into the same kind of message by
:func:`describe_os_error`). Subclasses say where the problem is; every message names the problem and the fix.
"""
import errno
import os
import sys


class UserError(Exception):
    """A problem with the command, its flags or its files that the user can fix; the message says how."""


class ConfigError(UserError, ValueError):
    """A flag value is out of range or inconsistent; raised before anything is written."""


class RunError(UserError, RuntimeError):
    """A run cannot start or continue; the message says why and what to do."""


class RunLockedError(RunError):
    """Another live process writes the same run or results directory."""


class PrecisionMismatchError(RunError):
    """A run directory trained under one --precision is resumed under another."""


class NonFiniteLossError(RunError):
    """A logged value became NaN or Inf; the last good checkpoint is kept."""


class CheckpointError(RunError):
    """A run's checkpoint cannot be read or written; what was saved before is left in place."""


class InputFileError(UserError, ValueError):
    """An input file (samples npz, generator) is missing, unreadable or of the wrong kind."""


def describe_os_error(e, what="", resume_hint=""):
    """One or two lines for an ``OSError`` of a command: the path, the cause and the fix."""
    path = e.filename or what
    reason = e.strerror or str(e)
    if e.errno == errno.ENOSPC:
        fix = "free space on that disk (or choose another --out)"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "choose a directory you can write to (--out), or fix its permissions"
    elif e.errno in (errno.EEXIST, errno.ENOTDIR) or (path and os.path.isfile(path)):
        fix = "it is a file, not a directory: choose another --out"
    elif e.errno == errno.ENOENT:
        fix = "check the path"
    else:
        fix = "check the path and the disk"
    return f"cannot use {path}: {reason}; {fix}." + (f"\n{resume_hint}" if resume_hint else "")


def report_user_errors(command, path="", resume_hint=""):
    """Run ``command()`` for a command line and return its exit code; a ``UserError`` / ``ValueError`` or an
    ``OSError`` (about ``path``, with ``resume_hint`` added) is printed as one or two lines on stderr, exit code 1."""
    try:
        return command()
    except (UserError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print("error: " + describe_os_error(e, path, resume_hint), file=sys.stderr)
        return 1
