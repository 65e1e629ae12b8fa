"""Step-numbered checkpoints of a run: the model (weights, BN statistics, centers, iteration counter) and both
optimizers, written by ``tf.train.CheckpointManager`` (atomic: the index is updated after the files are complete).

The layout (``model``, ``d_optimizer``, ``g_optimizer``, ``step``) is the one runs have always written, so older run
directories resume. ``step`` is the model's iteration counter, which also seeds the noise of the next iteration.

Damaged checkpoints never stop a resume that can go on: :meth:`RunCheckpoints.restore` tries the checkpoints from the
newest down, sets the files of each one that does not restore aside under ``checkpoints/corrupt/`` (renamed, never
deleted), and resumes from the newest that restores; an empty, garbled or missing ``checkpoint`` index is rebuilt
from the checkpoint files present (the old index is set aside too). Each such step is reported in one line.
"""
import os
import re
import sys

import tensorflow as tf

from mgan.errors import CheckpointError, signals_deferred
from mgan.records.atomic_files import atomic_write_text

CORRUPT_DIR = "corrupt"
INDEX = "checkpoint"
_FILE = re.compile(r"^ckpt-(\d+)\.(index|data-\d+-of-\d+)$")


def checkpoint_steps(directory):
    """Steps of the checkpoints whose index file is in ``directory`` (ascending), whatever the index says."""
    if not os.path.isdir(directory):
        return []
    return sorted({int(m.group(1)) for m in map(_FILE.match, os.listdir(directory)) if m and m.group(2) == "index"})


def newest_step(directory):
    """The step of the newest checkpoint in ``directory`` by its files (None when there is none); reads no model."""
    steps = checkpoint_steps(directory)
    return steps[-1] if steps else None


def _write_index(directory, newest, steps):
    """The ``checkpoint`` index (the text format tf.train.CheckpointManager writes), atomically."""
    lines = [f'model_checkpoint_path: "ckpt-{newest}"'] + [f'all_model_checkpoint_paths: "ckpt-{s}"' for s in steps]
    atomic_write_text(os.path.join(directory, INDEX), "\n".join(lines) + "\n")


def _say(msg):
    print(msg, file=sys.stderr, flush=True)


class RunCheckpoints:
    def __init__(self, model, directory, keep):
        self.directory = directory
        self.keep = keep
        self.notes = []  # what restore() set aside or rebuilt, one line each (also printed)
        self.checkpoint = tf.train.Checkpoint(model=model, d_optimizer=model.d_optimizer,
                                              g_optimizer=model.g_optimizer, step=model.iteration)
        self._check_index()
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=keep)

    def _set_aside(self, names, why):
        """Rename ``names`` (files of the checkpoint directory) into ``checkpoints/corrupt/``; never deletes."""
        target = os.path.join(self.directory, CORRUPT_DIR)
        os.makedirs(target, exist_ok=True)
        moved = []
        for name in names:
            src, dst = os.path.join(self.directory, name), os.path.join(target, name)
            if not os.path.exists(src):
                continue
            k = 1
            while os.path.exists(dst):  # an earlier file of the same name set aside before: keep both
                dst, k = os.path.join(target, f"{name}.{k}"), k + 1
            os.replace(src, dst)
            moved.append(name)
        if moved:
            note = (f"{why}; set aside (not deleted): {', '.join(moved)} -> "
                    f"{os.path.join(self.directory, CORRUPT_DIR)}/")
            self.notes.append(note)
            _say("warning: " + note)

    def _check_index(self):
        """An index tf cannot parse is set aside; restore() then rebuilds it from the checkpoint files."""
        path = os.path.join(self.directory, INDEX)
        if not os.path.exists(path):
            return
        try:
            state = tf.train.get_checkpoint_state(self.directory)
            ok = state is not None and state.model_checkpoint_path
        except (ValueError, tf.errors.OpError) as e:  # "Invalid checkpoint state": empty or garbled
            ok, why = False, f"{type(e).__name__}"
        else:
            why = "it names no checkpoint"
        if not ok:
            self._set_aside([INDEX], f"the checkpoint index {path} is empty or unreadable ({why}); it will be rebuilt "
                                     f"from the checkpoint files")

    @property
    def latest(self):
        return self.manager.latest_checkpoint

    def _files_of(self, step):
        return sorted(f for f in os.listdir(self.directory) if (m := _FILE.match(f)) and int(m.group(1)) == step)

    def restore(self):
        """Restore the newest checkpoint that can be read; returns its step (0 for a new run).

        Checkpoints newer than it that fail to restore are set aside under ``checkpoints/corrupt/`` and reported;
        the index is rewritten to list the checkpoints that remain. Raises CheckpointError only when checkpoint
        files exist and none of them restores (they are all set aside then, so nothing is lost).
        """
        steps = checkpoint_steps(self.directory)
        listed = self.latest
        if listed is not None and not os.path.exists(listed + ".index"):
            self.notes.append(f"the index names {os.path.basename(listed)}, whose files are gone")
            _say(f"warning: {self.notes[-1]}; resuming from the newest checkpoint present")
        if not steps:
            if listed is not None:  # an index without any checkpoint files
                self._set_aside([INDEX], "the checkpoint index names checkpoints whose files are all gone")
                self.manager = tf.train.CheckpointManager(self.checkpoint, self.directory, max_to_keep=self.keep)
            return 0
        failed = []
        for step in reversed(steps):
            prefix = os.path.join(self.directory, f"ckpt-{step}")
            try:
                self.checkpoint.restore(prefix).assert_existing_objects_matched()
            except Exception as e:  # noqa: BLE001  any failure to read is a corrupt or foreign checkpoint
                first_line = str(e).splitlines()[0][:200] if str(e) else ""
                failed.append(f"ckpt-{step} ({type(e).__name__}: {first_line})")
                self._set_aside(self._files_of(step), f"checkpoint ckpt-{step} could not be restored "
                                                      f"({type(e).__name__}: {first_line})")
                continue
            if listed != prefix or failed:
                _write_index(self.directory, step, [s for s in steps if s <= step])
                self.manager = tf.train.CheckpointManager(self.checkpoint, self.directory, max_to_keep=self.keep)
            if failed or listed != prefix:
                self.notes.append(f"resuming from the newest intact checkpoint, ckpt-{step}")
                _say(f"warning: {self.notes[-1]}")
            return int(self.checkpoint.step.numpy())
        raise CheckpointError(
            f"none of the checkpoints in {self.directory} could be restored: {'; '.join(failed)}. They were set aside "
            f"under {os.path.join(self.directory, CORRUPT_DIR)}/ (not deleted). They are corrupt or from another "
            f"configuration; choose a new --out (or move the run directory away to train it again from step 0).")

    def latest_step(self, default=0):
        """The step of the newest checkpoint (``default`` when there is none)."""
        latest = self.latest
        return int(latest.rsplit("-", 1)[1]) if latest else default

    def save(self, step):
        """Write the checkpoint of ``step``; a failed write (disk full, ...) raises CheckpointError and leaves the
        index pointing to the previous checkpoint, so the run resumes from there."""
        try:
            with signals_deferred():  # a signal inside TF's save would surface as a device-scope RuntimeError
                self.manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as e:
            reason = getattr(e, "message", None) or str(e)
            raise CheckpointError(
                f"the checkpoint of step {step} could not be written to {self.directory} "
                f"({reason.splitlines()[0] if reason else type(e).__name__}). Free space (or fix the directory) and "
                f"re-run the same command: it resumes from {self.latest or 'the start'}.") from None
