"""Step-numbered checkpoints of a run: the model (weights, BN statistics, centers, iteration counter) and both
optimizers, written by ``tf.train.CheckpointManager`` (atomic: the index is updated after the files are complete).

The layout (``model``, ``d_optimizer``, ``g_optimizer``, ``step``) is the one runs have always written, so older run
directories resume. ``step`` is the model's iteration counter, which also seeds the noise of the next iteration.
"""
import os

import tensorflow as tf

from mgan.errors import CheckpointError


class RunCheckpoints:
    def __init__(self, model, directory, keep):
        self.directory = directory
        self.checkpoint = tf.train.Checkpoint(model=model, d_optimizer=model.d_optimizer,
                                              g_optimizer=model.g_optimizer, step=model.iteration)
        try:
            self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=keep)
        except ValueError as e:  # "Invalid checkpoint state": the index file is empty or garbled
            raise CheckpointError(_bad_index_message(directory, e)) from None

    @property
    def latest(self):
        return self.manager.latest_checkpoint

    def restore(self):
        """Restore the latest checkpoint, if any; returns its step (0 for a new run).

        Raises CheckpointError when checkpoint files exist but cannot be read; nothing is deleted or replaced.
        """
        latest = self.latest
        if latest is None:
            if os.path.isdir(self.directory) and any(f.startswith("ckpt") for f in os.listdir(self.directory)):
                raise CheckpointError(f"{self.directory} holds checkpoint files but no readable 'checkpoint' index; "
                                      f"the run cannot be resumed safely. Move the directory away to start afresh.")
            return 0
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except Exception as e:  # noqa: BLE001  any failure to read is a corrupt or foreign checkpoint
            first_line = str(e).splitlines()[0] if str(e) else ""
            raise CheckpointError(
                f"checkpoint {latest} could not be restored ({type(e).__name__}: {first_line}). It is corrupt or "
                f"from another configuration; it was NOT replaced. Delete it (and its 'checkpoint' index entry) to "
                f"resume from an earlier one, or choose a new --out.") from e
        return int(self.checkpoint.step.numpy())

    def latest_step(self, default=0):
        """The step of the newest checkpoint (``default`` when there is none)."""
        latest = self.latest
        return int(latest.rsplit("-", 1)[1]) if latest else default

    def save(self, step):
        """Write the checkpoint of ``step``; a failed write (disk full, ...) raises CheckpointError and leaves the
        index pointing to the previous checkpoint, so the run resumes from there."""
        try:
            self.manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as e:
            reason = getattr(e, "message", None) or str(e)
            raise CheckpointError(
                f"the checkpoint of step {step} could not be written to {self.directory} "
                f"({reason.splitlines()[0] if reason else type(e).__name__}). Free space (or fix the directory) and "
                f"re-run the same command: it resumes from {self.latest or 'the start'}.") from None


def _bad_index_message(directory, error):
    steps = sorted(int(f[5:-6]) for f in os.listdir(directory) if f.startswith("ckpt-") and f.endswith(".index")
                   and f[5:-6].isdigit())
    fix = (f"write the line  model_checkpoint_path: \"ckpt-{steps[-1]}\"  into it to resume from step {steps[-1]}"
           if steps else "delete it to start the run afresh")
    return (f"{os.path.join(directory, 'checkpoint')} (the checkpoint index) is empty or unreadable ({error}); "
            f"nothing was changed.\nTo fix it, {fix}, or choose a new --out.")
