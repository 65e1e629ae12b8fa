"""The training runner: a run directory around ``model.fit``. Every model of :mod:`mgan.models` trains through
:func:`train`; the model's ``train_step`` is the whole iteration, the run's side effects are Keras callbacks
(:mod:`mgan.callbacks`). A run directory holds::

    manifest.json        resolved config, data source, versions, git commit, device, time per step (atomic)
    metrics.jsonl        one JSON line per --log_every steps (metrics averaged over the interval)
    tensorboard/         the same scalars for TensorBoard, at the global step
    checkpoints/         model (weights, BN statistics, centers, iteration counter) and both optimizers, by step
    samples/step_XXXXXXX.png   fixed-noise sample grids
    samples.png          the final grid
    generator.keras      the final generator (``keras.saving.load_model`` after ``import mgan``)

Determinism and resume: the batch of iteration t is a pure function of (seed, t) (``mgan.data.make_batches``, started
at the restored step) and so is its noise (drawn in ``train_step`` from the checkpointed iteration counter,
``mgan.latent.training_noise``), so the only state is what the checkpoint holds; a resumed run continues exactly where
the checkpoint was written. With ``deterministic=True`` TF's op determinism is enabled, and a run killed after a
checkpoint and resumed ends with the same weights as an uninterrupted run.
"""
import os
import time

import keras
import tensorflow as tf

from mgan import callbacks, images, models, run_lock, run_manifest, sampling
from mgan import config as config_lib
from mgan import data as data_lib
from mgan.errors import ConfigError, NonFiniteLossError, RunError
from mgan.run_checkpoints import RunCheckpoints


def check_out(out):
    """--out must be given and be (or become) a directory."""
    if not out:
        raise RunError("--out is required: the run directory (re-using it resumes the run)")
    if os.path.exists(out) and not os.path.isdir(out):
        raise RunError(f"--out={out} exists and is a file, not a directory; choose another --out.")


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


def fit_run(model, cfg, out, dataset, checkpoints, start, total_steps, timer):
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
    model.fit(batches, epochs=1, steps_per_epoch=total_steps - start, shuffle=False,
              verbose=1 if cfg.progress else 0,
              callbacks=callbacks.run_callbacks(cfg, out, checkpoints, total_steps, timer))


def finish(model, cfg, out, manifest):
    """The final sample grid and generator of a completed run."""
    grid = sampling.sample_grid(model.generator, cfg.to_dict(), model.num_classes, model.conditional)
    if grid is not None:
        images.write_png(os.path.join(out, "samples.png"), grid)
    manifest["samples_png"] = "samples.png" if grid is not None else None
    tmp = os.path.join(out, ".generator.tmp.keras")
    model.generator.save(tmp)
    os.replace(tmp, os.path.join(out, "generator.keras"))
    run_manifest.write(out, manifest)


def train(cfg, explicit=()):
    """Train (or resume) the run described by ``cfg``; returns the final manifest dict.

    The run directory is locked for the whole call (:mod:`mgan.run_lock`): a second process into the same ``--out``
    fails at once, naming this one.
    """
    cfg, dataset, split = prepare(cfg, explicit)
    out = os.path.abspath(cfg.out)
    with run_lock.hold(out, what="training run"):
        return _train_locked(cfg, dataset, split, out)


def _train_locked(cfg, dataset, split, out):
    total_steps = config_lib.steps_for(cfg, dataset.n)
    old_manifest = run_manifest.check_resume(out, cfg, dataset)
    setup_determinism(cfg)
    model = models.build_model(cfg, dataset.example_shape, dataset.num_classes)
    checkpoints = RunCheckpoints(model, os.path.join(out, "checkpoints"), cfg.keep_checkpoints)
    start = checkpoints.restore()
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
            fit_run(model, cfg, out, dataset, checkpoints, start, total_steps, timer)
    except NonFiniteLossError:
        status = "failed: non-finite loss"
        raise
    finally:
        run_manifest.end_segment(manifest, start, int(model.iteration.numpy()), checkpoints.latest_step(start),
                                 started, timer, status)
        run_manifest.write(out, manifest)
    if manifest["status"] == "complete":
        finish(model, cfg, out, manifest)
    return manifest
