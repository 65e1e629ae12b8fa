"""The Keras callbacks of a training run: every side effect of ``python -m mgan.train`` around ``model.fit``.

Each callback reads the step from the model's iteration counter (``model.iteration``, the number of finished
iterations), so a resumed run writes at the same steps as an uninterrupted one. ``run_callbacks`` lists them in the
order they must run after each iteration: a swallowed Ctrl-C or SIGTERM first, the NaN/Inf stop (nothing of a
broken step is written), the timer, the metrics log, the sample grids, and the checkpoint last.
"""
import json
import math
import os
import time

import keras
import tensorflow as tf

from mgan import images
from mgan.errors import NonFiniteLossError, raise_pending_signal
from mgan.nets import sampling
from mgan.records.atomic_files import atomic_write_text


def _step(model):
    return int(model.iteration.numpy())


class NonFiniteStop(keras.callbacks.Callback):
    """Raise NonFiniteLossError as soon as a logged value is NaN or Inf; the last good checkpoint stays the latest.

    Stricter than ``keras.callbacks.TerminateOnNaN`` (which watches ``loss`` only and lets later callbacks run):
    it checks every logged value and stops before anything of the broken step is written.
    """

    def __init__(self, checkpoints, suspects=()):
        super().__init__()
        self.checkpoints = checkpoints
        self.suspects = tuple(suspects)  # "--lam=1e+30": flags set by the user that shape the losses or the steps

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: v for k, v in (logs or {}).items() if not math.isfinite(v)}
        if bad:
            raise NonFiniteLossError(nonfinite_message(_step(self.model), bad, self.checkpoints.latest,
                                                       self.suspects))


class SignalStop(keras.callbacks.Callback):
    """Stop after the iteration during which Ctrl-C or SIGTERM arrived, when the signal's exception was swallowed
    where it was raised (``mgan.errors.raise_pending_signal``); the runner then checkpoints as for any interrupt."""

    def on_train_batch_end(self, batch, logs=None):
        raise_pending_signal()


# Flags that shape the losses or the optimizer steps: when the user set one, it is the first suspect of a NaN.
LOSS_FLAGS = ("lam", "gamma", "alpha", "sigma", "reg_lambda", "gp_weight", "lr", "d_lr", "clip", "adam_betas",
              "center_sgd_lr", "weight_adaption", "norm_eps", "wa_eps", "bn_epsilon", "init_stddev")


def suspect_flags(cfg, explicit):
    """``--name=value`` of the loss and optimizer flags the user set explicitly, in LOSS_FLAGS order."""
    return [f"--{n}={getattr(cfg, n)!r}" for n in LOSS_FLAGS if n in set(explicit)]


def nonfinite_message(step, bad, latest, suspects):
    """What a NaN/Inf stop says: the values, what is kept, the likely cause, and a fix that can work."""
    cause = (f"The flags you set that shape the losses or steps are the first suspects: {', '.join(suspects)}; "
             f"try other values" if suspects else
             "Try a lower --lr, a --clip, or check the data (it must be finite, in [-1, 1])")
    if latest:
        keep = (f"The run stopped; the last good checkpoint ({os.path.basename(latest)}) is kept: re-running the same "
                f"command resumes from it (and may diverge again). {cause} in a new --out (a run keeps its flags).")
    else:
        keep = (f"The run stopped before its first checkpoint, so there is nothing to resume. {cause}, in a new "
                f"--out (or after moving this one away).")
    return f"non-finite values at step {step}: {bad}. {keep}"


class PlainProgress(keras.callbacks.Callback):
    """The progress of a run whose stdout is not a terminal (a log file, a pipe): one plain line every ``every``
    steps and at the last, instead of a progress bar's control characters."""

    def __init__(self, every, total_steps):
        super().__init__()
        self.every, self.total_steps = every, total_steps

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if (self.every and step % self.every == 0) or step == self.total_steps:
            values = " ".join(f"{k}={float(v):.4g}" for k, v in (logs or {}).items())
            print(f"step {step}/{self.total_steps} {values}", flush=True)


class StepTimer(keras.callbacks.Callback):
    """Wall time of each iteration (the logs are numbers, so the step has finished); the first ``skip`` iterations
    of a fit call trace and compile and are not counted."""

    def __init__(self, skip=2):
        super().__init__()
        self.skip = skip
        self.seen = self.timed_steps = 0
        self.timed_seconds = self.last_seconds = 0.0
        self._t0 = None

    def on_train_batch_begin(self, batch, logs=None):
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.last_seconds = time.perf_counter() - self._t0
        self.seen += 1
        if self.seen > self.skip:
            self.timed_steps += 1
            self.timed_seconds += self.last_seconds

    @property
    def ms_per_step(self):
        return 1000.0 * self.timed_seconds / self.timed_steps if self.timed_steps else None


def keep_lines_up_to(path, step):
    """Drop the JSON lines of ``path`` logged after ``step`` (and lines cut by a kill): a resumed run rewrites them."""
    if not os.path.exists(path):
        return
    keep = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if rec.get("step", 0) <= step:
                keep.append(line if line.endswith("\n") else line + "\n")
    atomic_write_text(path, "".join(keep))


class Periodic(keras.callbacks.Callback):
    """Calls ``act(step, logs)`` after every ``every``-th iteration (never when ``every`` is 0) and after the last
    one when ``total_steps`` is given."""

    def __init__(self, every, total_steps=None):
        super().__init__()
        self.every, self.total_steps = every, total_steps

    def on_train_batch_end(self, batch, logs=None):
        step = _step(self.model)
        if (self.every and step % self.every == 0) or step == self.total_steps:
            self.act(step, logs)

    def act(self, step, logs):
        raise NotImplementedError


class IntervalLog(Periodic):
    """Every ``every`` steps and at the last one: the metrics averaged over the interval, as a line of the JSON-lines
    log and as TensorBoard scalars (``tf.summary`` at the global step); the model's metric trackers then restart
    with the next iteration (so the progress bar's final line still shows the last interval)."""

    def __init__(self, jsonl_path, tensorboard_dir, every, total_steps, timer):
        super().__init__(every, total_steps)
        self.jsonl_path, self.tensorboard_dir, self.timer = jsonl_path, tensorboard_dir, timer
        self.writer = None
        self.restart = False

    def on_train_begin(self, logs=None):
        keep_lines_up_to(self.jsonl_path, _step(self.model))
        self.writer = tf.summary.create_file_writer(self.tensorboard_dir)

    def on_train_batch_begin(self, batch, logs=None):
        if self.restart:
            self.model.reset_metrics()
            self.restart = False

    def act(self, step, logs):
        with open(self.jsonl_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"step": step, **logs, "sec_per_step": self.timer.last_seconds}) + "\n")
        with self.writer.as_default(step=step):
            for name, value in logs.items():
                tf.summary.scalar(name, value)
        self.writer.flush()
        self.restart = True

    def on_train_end(self, logs=None):
        self.writer.close()


class SampleGrids(Periodic):
    """Every ``every`` steps: the generator's grid from the run's fixed noise, as ``samples/step_XXXXXXX.png``."""

    def __init__(self, directory, cfg_dict, every):
        super().__init__(every)
        self.directory, self.cfg_dict = directory, cfg_dict

    def act(self, step, logs):
        grid = sampling.sample_grid(self.model.generator, self.cfg_dict, self.model.num_classes,
                                    self.model.conditional)
        if grid is not None:
            images.write_png(os.path.join(self.directory, f"step_{step:07d}.png"), grid)


class StepCheckpoint(Periodic):
    """Every ``every`` steps and at the last one: a checkpoint numbered by the step (mgan.training.checkpoints)."""

    def __init__(self, checkpoints, every, total_steps):
        super().__init__(every, total_steps)
        self.checkpoints = checkpoints

    def act(self, step, logs):
        self.checkpoints.save(step)


def run_callbacks(cfg, out, checkpoints, total_steps, timer, explicit=()):
    """The callbacks of a run directory ``out``, in the order they must run (``explicit``: the flags the user set,
    named by the NaN/Inf stop as suspects)."""
    return [SignalStop(), NonFiniteStop(checkpoints, suspect_flags(cfg, explicit)), timer,
            IntervalLog(os.path.join(out, "metrics.jsonl"), os.path.join(out, "tensorboard"), cfg.log_every,
                        total_steps, timer),
            SampleGrids(os.path.join(out, "samples"), cfg.to_dict(), cfg.sample_every),
            StepCheckpoint(checkpoints, cfg.checkpoint_every, total_steps)]
