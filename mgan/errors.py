"""Errors a user can fix, reported by every command line as one or two lines (no traceback) and a non-zero exit.

``UserError`` is the one class the command lines catch (with ``OSError``, turned into the same kind of message by
:func:`describe_os_error`). Subclasses say where the problem is; every message names the problem and the fix. Any
other exception is a bug and keeps its traceback.

Exit codes, the same for every command (``mgan.train``, ``mgan.sample``, ``mgan.evaluate``, ``mgan.demo`` and every
reproduce script; docs/ERRORS.md):

    0    success (also ``--help`` / ``--helpfull``)
    1    user error: a bad flag value, a bad or missing file, bad input, missing data or Inception weights
    2    usage error: a bad command line (unknown flag, unparsable value, stray argument), as absl reports it
    130  interrupted by Ctrl-C (SIGINT); a training run first writes a checkpoint of the current step
    143  terminated by SIGTERM; likewise
    any other: an internal error (a bug), with its traceback
"""
import contextlib
import errno
import os
import signal
import sys
import threading

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


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


def check_choice(name, value, choices, flag=None):
    """``value`` when it is one of ``choices``; else ConfigError naming the value, the valid ones, the argument
    ``name`` and its command-line flag (``--name`` unless ``flag`` says otherwise). The package's one "must be one
    of" check (the model options, the noise, the BN mode of sampling)."""
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r} (argument {name}, flag --{flag or name}); valid: "
                          f"{list(choices)}")
    return value


class InputFileError(UserError, ValueError):
    """An input file (samples npz, generator) is missing, unreadable or of the wrong kind."""


class InputDataError(UserError, ValueError):
    """Arrays passed to the Python API (``fit``, ``predict``, the data helpers) have the wrong range, dtype, shape or
    labels; checked once, at the first batch."""


class OutputExistsError(UserError, FileExistsError):
    """An output file exists and ``--overwrite`` was not given: nothing is replaced without asking."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt (inside :func:`handle_signals`) so the same clean-up runs."""
    exit_code = EXIT_TERMINATED


class RunInterrupted(Exception):
    """A command stopped by Ctrl-C or SIGTERM after saving what it could; the message says where to resume."""

    def __init__(self, message, exit_code=EXIT_INTERRUPTED):
        super().__init__(message)
        self.exit_code = exit_code


def interrupt_exit_code(e):
    """130 for Ctrl-C's KeyboardInterrupt, 143 for :class:`Terminated` (SIGTERM)."""
    return getattr(e, "exit_code", EXIT_INTERRUPTED)


def check_output(path, overwrite, flag="--out"):
    """OutputExistsError when ``path`` exists and ``overwrite`` is false (checked before any work is done)."""
    if path and os.path.lexists(path) and not overwrite:
        kind = "a directory" if os.path.isdir(path) else "a file"
        raise OutputExistsError(f"{flag}={path} already exists ({kind}); nothing was written. Choose another {flag}, "
                                f"or pass --overwrite to replace it.")


_pending = []  # the signal numbers received inside handle_signals and not yet acted on
_deferred = []  # those received inside signals_deferred, not yet raised
_defer_depth = [0]  # how many signals_deferred blocks are open


def _interrupt(signum):
    """The exception of a signal: :class:`Terminated` for SIGTERM, KeyboardInterrupt for Ctrl-C."""
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _raise_on_signal(signum, frame):
    _pending.append(signum)
    if _defer_depth[0]:
        _deferred.append(signum)  # raised where it is safe: the block's end or raise_pending_signal
        return
    raise _interrupt(signum)


def raise_pending_signal():
    """Raise a Ctrl-C or SIGTERM received inside :func:`handle_signals` and not acted on: one deferred by
    :func:`signals_deferred`, or one whose exception was swallowed.

    Python runs a signal handler wherever the main thread is; when that is a ``__del__`` or a library's
    ``except BaseException``, the exception is printed ("Exception ignored in ...") or dropped and the command would
    go on. A training run calls this after every iteration (``callbacks.SignalStop``), so it stops there instead."""
    if _pending:
        del _deferred[:]  # acted on here
        raise _interrupt(_pending[-1])


@contextlib.contextmanager
def signals_deferred():
    """Inside the block a Ctrl-C or SIGTERM is recorded, not raised; it is raised when the block ends (or earlier by
    :func:`raise_pending_signal`).

    For code that an exception must not cut at an arbitrary bytecode: an exception raised inside TensorFlow's own
    context managers (e.g. the device scope of a checkpoint save) can be replaced by "RuntimeError: Exiting device
    scope without proper scope nesting". A training run defers signals for its ``fit`` (stopping after the iteration,
    ``callbacks.SignalStop``) and for each checkpoint write."""
    _defer_depth[0] += 1
    try:
        yield
    finally:
        _defer_depth[0] -= 1
    if _deferred:
        signum = _deferred[-1]
        del _deferred[:]
        raise _interrupt(signum)


@contextlib.contextmanager
def handle_signals():
    """Ctrl-C raises KeyboardInterrupt and SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) while the block
    runs, so a command cleans up the same way for both; each is also remembered for :func:`raise_pending_signal`.
    The previous handlers are restored after. Only in the main thread (elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    del _pending[:], _deferred[:]
    previous = {s: signal.signal(s, _raise_on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        del _pending[:], _deferred[:]


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
    """Run ``command()`` for a command line and return its exit code (see the module docstring).

    A ``UserError`` or an ``OSError`` (about ``path``, with ``resume_hint`` added; ``resume_hint`` may be a function
    called then, so the hint appears only when there is something to resume) is printed as one or two lines on
    stderr, exit code 1. Ctrl-C and SIGTERM end with one line and 130 / 143. Any other exception is a bug: it
    propagates with its traceback.
    """
    try:
        with handle_signals():
            return command()
    except RunInterrupted as e:
        print(str(e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:
        name = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted (Ctrl-C)"
        print(f"{name}; nothing was written after the last saved file.", file=sys.stderr)
        return interrupt_exit_code(e)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as e:
        hint = resume_hint() if callable(resume_hint) else resume_hint
        print("error: " + describe_os_error(e, path, hint), file=sys.stderr)
        return EXIT_USER_ERROR
