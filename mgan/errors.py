"""Errors of a training run that the command line reports as one message (no traceback)."""


class RunError(RuntimeError):
    """A run cannot start or continue; the message says why and what to do."""


class NonFiniteLossError(RunError):
    """A logged value became NaN or Inf; the last good checkpoint is kept."""


class CheckpointError(RunError):
    """A run's checkpoint cannot be read; it is left in place."""
