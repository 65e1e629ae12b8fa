"""The training runner: a run directory around ``model.fit``. Every model of :mod:`mgan.models` trains through
:func:`train`; the model's ``train_step`` is the whole iteration, the run's side effects are Keras callbacks
(:mod:`mgan.training.callbacks`). A run directory holds::

    manifest.json        resolved config, data source, versions, git commit, device, time per step (atomic)
    metrics.jsonl        one JSON line per --log_every steps (metrics averaged over the interval)
    tensorboard/         the same scalars for TensorBoard, at the global step
    checkpoints/         model (weights, BN statistics, centers, iteration counter) and both optimizers, by step
    samples/step_XXXXXXX.png   fixed-noise sample grids
    samples.png          the final grid
    generator.keras      the final generator (``keras.saving.load_model`` after ``import mgan``)

Determinism and resume: the batch of iteration t is a pure function of (seed, t) (``mgan.data.make_batches``, started
at the restored step) and so is its noise (drawn in ``train_step`` from the checkpointed iteration counter,
``mgan.nets.latent.training_noise``), so the only state is what the checkpoint holds; a resumed run continues exactly
where the checkpoint was written. With ``deterministic=True`` TF's op determinism is enabled, and a run killed after a
checkpoint and resumed ends with the same weights as an uninterrupted run.
"""
import os
import sys
import time

import keras
import tensorflow as tf

from mgan import images, models
from mgan import config as config_lib
from mgan import data as data_lib
from mgan.errors import (ConfigError, NonFiniteLossError, RunError, RunInterrupted, interrupt_exit_code,
                         signals_deferred)
from mgan.nets import sampling
from mgan.training import callbacks
from mgan.training import lock as run_lock
from mgan.training import manifest as run_manifest
from mgan.training.checkpoints import RunCheckpoints, checkpoint_steps


def check_directory(path, flag="--out"):
    """``path`` must be (or become) a directory: neither it nor any parent may be a file. Raises RunError naming
    ``flag`` before anything is written."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise RunError(f"{flag}={path} exists and is a file, not a directory; choose another {flag}.")
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent, last = os.path.dirname(parent), parent
        if parent == last:
            break
    if parent and os.path.exists(parent) and not os.path.isdir(parent):
        raise RunError(f"{flag}={path} lies under {parent}, which is a file, not a directory; choose another {flag}.")


def check_out(out):
    """--out must be given and be (or become) a directory."""
    if not out:
        raise RunError("--out is required: the run directory (re-using it resumes the run)")
    check_directory(out, "--out")


def resume_hint(out):
    """The resume line of an OSError, only when ``out`` holds a checkpoint to resume from."""
    if checkpoint_steps(os.path.join(out, "checkpoints")):
        return "Nothing saved before was lost: re-run the same command to resume from the last checkpoint."
    return ""


def _say(msg):
    print(msg, flush=True)


def prepare(cfg, explicit=()):
    """Validate ``cfg``, load its data and resolve its 'auto' fields: ``(cfg, dataset, split)``. Fails fast, before
    anything is written."""
    check_out(cfg.out)
    config_lib.validate(cfg)
    models.get_spec(cfg.model)
    data_lib.dataset_info(cfg.dataset)  # unknown names fail before any loading
    split = models.data_split(cfg)
    dataset = data_lib.load_dataset(cfg.dataset, split=split, data_dir=cfg.data_dir or None,
                                    celeba_crop=cfg.celeba_crop, synthetic_seed=cfg.synthetic_seed)
    if cfg.batch_size > dataset.n:
        raise ConfigError(f"--batch_size={cfg.batch_size} is larger than the {dataset.n} examples of "
                          f"{cfg.dataset!r} split {split!r}; choose at most {dataset.n}.")
    return models.resolve(cfg, dataset.example_shape, explicit), dataset, split


def setup_determinism(cfg):
    keras.utils.set_random_seed(cfg.seed)
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()


def fit_run(model, cfg, out, dataset, checkpoints, start, total_steps, timer, explicit=()):
    """``model.fit`` over iterations start..total_steps - 1 (one Keras epoch) with the run's callbacks."""
    batches = data_lib.make_batches(dataset, cfg.batch_size, cfg.seed, start_step=start)
    if getattr(model, "needs_anchor_batches", False):  # MBGAN 'independent' pairs (D21): a second real batch
        from mgan.models import mbgan
        anchors = data_lib.make_batches(dataset, cfg.batch_size, cfg.seed + mbgan.ANCHOR_SEED_OFFSET, start_step=start)
        batches = mbgan.with_anchor_batches(batches, anchors)
    if getattr(model, "needs_critic_batches", False):  # WGAN, WGAN-GP: one real batch per critic step
        from mgan.models import wgan
        first = wgan.critic_steps_before(start, **model.schedule)
        batches = wgan.critic_fit_batches(data_lib.make_batches(dataset, cfg.batch_size, cfg.seed, start_step=first),
                                          start, **model.schedule)
    tty = cfg.progress and sys.stdout.isatty()  # a progress bar only on a terminal; else one line per --log_every
    extra = [callbacks.PlainProgress(cfg.log_every, total_steps)] if cfg.progress and not tty else []
    with signals_deferred():  # a signal stops the run after its iteration (callbacks.SignalStop), never inside TF
        model.fit(batches, epochs=1, steps_per_epoch=total_steps - start, shuffle=False,
                  verbose=1 if tty else 0,
                  callbacks=callbacks.run_callbacks(cfg, out, checkpoints, total_steps, timer, explicit) + extra)


def finish(model, cfg, out, manifest):
    """The final sample grid and generator of a completed run."""
    grid = sampling.sample_grid(model.generator, cfg.to_dict(), model.num_classes, model.conditional)
    if grid is not None:
        images.write_png(os.path.join(out, "samples.png"), grid)
    manifest["samples_png"] = "samples.png" if grid is not None else None
    manifest["generator_step"] = int(model.iteration.numpy())  # the step generator.keras comes from (mgan.sample)
    tmp = os.path.join(out, ".generator.tmp.keras")
    model.generator.save(tmp)
    os.replace(tmp, os.path.join(out, "generator.keras"))
    run_manifest.write(out, manifest)


def train(cfg, explicit=()):
    """Train (or resume) the run described by ``cfg``; returns the final manifest dict.

    The run directory is locked for the whole call (:mod:`mgan.training.lock`): a second process into the same ``--out``
    fails at once, naming this one.
    """
    cfg, dataset, split = prepare(cfg, explicit)
    out = os.path.abspath(cfg.out)
    with run_lock.hold(out, what="training run"):
        return _train_locked(cfg, dataset, split, out, explicit)


def check_checkpoints_kept(out, old_manifest, total_steps):
    """A run that got past step 0 but whose checkpoints are gone (deleted to save space) is never retrained from
    step 0 over its outputs. Finished with ``generator.keras``: returns its manifest unchanged (the run stays
    finished and this says so); otherwise RunError naming what is missing."""
    ckpt_dir = os.path.join(out, "checkpoints")
    reached = int((old_manifest or {}).get("step") or 0)
    if reached <= 0 or checkpoint_steps(ckpt_dir):
        return None
    generator = os.path.join(out, "generator.keras")
    if old_manifest.get("status") == "complete" and os.path.exists(generator) and total_steps <= reached:
        _say(f"{out} is a finished run of {reached} steps; its checkpoints ({ckpt_dir}) are missing, so it cannot "
             f"be extended, but generator.keras, samples and logs are kept and nothing was changed.")
        return old_manifest
    kept = ", ".join(f for f in ("generator.keras", "metrics.jsonl", "samples.png") if os.path.exists(
        os.path.join(out, f))) or "its logs"
    raise RunError(f"{out} holds a run that reached step {reached}, but its checkpoints ({ckpt_dir}) are missing, so "
                   f"it cannot resume; training it again from step 0 would replace {kept}. Nothing was changed. "
                   f"Choose a new --out (or move {out} away to retrain it from the start).")


def _train_locked(cfg, dataset, split, out, explicit=()):
    total_steps = config_lib.steps_for(cfg, dataset.n)
    old_manifest = run_manifest.check_resume(out, cfg, dataset)
    finished = check_checkpoints_kept(out, old_manifest, total_steps)
    if finished is not None:
        return finished
    setup_determinism(cfg)
    model = models.build_model(cfg, dataset.example_shape, dataset.num_classes)
    checkpoints = RunCheckpoints(model, os.path.join(out, "checkpoints"), cfg.keep_checkpoints)
    start = checkpoints.restore()
    if start > 0:
        _say(f"resumed {out} from step {start} (checkpoint {os.path.basename(checkpoints.latest)}) of {total_steps}")
    manifest = run_manifest.start(old_manifest, cfg, model, dataset, split, total_steps)
    manifest["step"] = start
    run_manifest.write(out, manifest)
    if start >= total_steps and os.path.exists(os.path.join(out, "generator.keras")):
        manifest["status"] = "complete"  # re-running a finished run changes nothing
        run_manifest.write(out, manifest)
        return manifest

    timer, started, status = callbacks.StepTimer(), time.time(), "interrupted"
    try:
        if start < total_steps:
            fit_run(model, cfg, out, dataset, checkpoints, start, total_steps, timer, explicit)
    except NonFiniteLossError:
        status = "failed: non-finite loss"
        raise
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM inside mgan.errors.handle_signals
        raise RunInterrupted(_save_on_interrupt(model, checkpoints), interrupt_exit_code(e)) from None
    finally:
        run_manifest.end_segment(manifest, start, int(model.iteration.numpy()), checkpoints.latest_step(start),
                                 started, timer, status)
        run_manifest.write(out, manifest)
    if manifest["status"] == "complete":
        finish(model, cfg, out, manifest)
    return manifest


def _save_on_interrupt(model, checkpoints):
    """Checkpoint the step reached when the run was interrupted; returns the one line that says where to resume."""
    step = int(model.iteration.numpy())
    if step > checkpoints.latest_step(0):
        try:
            checkpoints.save(step)
        except (RunError, KeyboardInterrupt):  # a failed write keeps the previous checkpoint as the newest
            pass
    newest = checkpoints.latest_step(None) if checkpoints.latest else None
    if newest is None:
        return f"interrupted at step {step}; no checkpoint was written, so a re-run of the same command starts again."
    return (f"interrupted at step {step}; the newest checkpoint is step {newest}; re-run the same command to "
            f"resume")
