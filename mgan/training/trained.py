"""A finished run read back: its generator (``generator.keras``, rebuilt under the run's precision), its whole
trained model (both networks, centers, counters, rebuilt from the manifest's config and restored from a checkpoint:
where the discriminator matters, MBGAN's SVM protocol), and samples drawn from it (:mod:`mgan.nets.sampling` on the
run's generator and recorded config). Every manifest is read by :func:`mgan.training.manifest.read`.

Importing this module imports the package's Keras classes (``mgan.models``, ``mgan.nets.layers``), so the
``generator.keras`` of every run loads."""
import os

import keras
import tensorflow as tf

from mgan import images, models
from mgan.errors import InputFileError
from mgan.nets import layers  # noqa: F401  (with mgan.models: the Keras classes of generator.keras files)
from mgan.nets import latent, precision, sampling
from mgan.training import manifest as run_manifest


def load_run(run_dir):
    """The finished generator of a run directory and its manifest."""
    path = os.path.join(run_dir, "generator.keras")
    manifest_path = run_manifest.path(run_dir)
    if not os.path.exists(path) or not os.path.exists(manifest_path):
        raise InputFileError(f"{run_dir} has no finished run (expected generator.keras and manifest.json); "
                             f"train it with `python -m mgan.train --out={run_dir} ...` until it completes")
    try:
        manifest = run_manifest.read(run_dir)
    except run_manifest.UnreadableManifestError as e:
        raise InputFileError(f"{e}; the run directory is damaged.") from None
    try:
        with precision.policy(precision.of(manifest.get("config") or {})):  # rebuilt under the run's precision
            return keras.saving.load_model(path, compile=False), manifest
    except Exception as e:  # noqa: BLE001  truncated, foreign or damaged file; Keras' own words mislead (issue 9)
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise InputFileError(
            f"{path} is not a readable Keras generator ({type(e).__name__}: {first}); it is truncated or damaged.\n"
            f"To rewrite it from the run's last checkpoint, delete it and re-run the same python -m mgan.train "
            f"command (--out={run_dir}).") from None


def load_trained_model(run_dir):
    """(compiled model restored from the newest checkpoint, manifest) of a finished run; fails with the fix when the
    run is not finished or its newest checkpoint is not its final step."""
    try:
        manifest = run_manifest.read(run_dir, required=True)
    except run_manifest.UnreadableManifestError as e:
        raise InputFileError(f"{e}; is {run_dir} a finished run of python -m mgan.train?") from None
    if manifest.get("status") != "complete":
        raise InputFileError(f"{run_dir} is not finished (status {manifest.get('status')!r}); re-run its "
                             f"python -m mgan.train command to complete it")
    model, step = restore_newest(run_dir, manifest)
    if step != int(manifest["total_steps"]):
        raise InputFileError(f"the newest checkpoint of {run_dir} is step {step}, the run ended at "
                             f"{manifest['total_steps']}; its final checkpoint is missing")
    return model, manifest


def restore_newest(run_dir, manifest):
    """(compiled model of the run restored from its newest intact checkpoint, its step); InputFileError when the run
    has no checkpoint."""
    from mgan import data as data_lib
    from mgan.training.checkpoints import RunCheckpoints

    recorded = run_manifest.recorded_config(manifest)
    shape = tuple(manifest["data"].get("example_shape") or data_lib.dataset_info(recorded.dataset).example_shape)
    cfg = models.resolve(recorded, shape)
    model = models.build_model(cfg, shape, int(manifest["data"]["num_classes"]))
    step = RunCheckpoints(model, os.path.join(run_dir, "checkpoints"), keep=None).restore()
    if step == 0:
        raise InputFileError(f"{run_dir} has no checkpoint to restore (checkpoints/ is empty or missing)")
    return model, step


def generator_step(manifest):
    """The step ``generator.keras`` was written at: recorded since issue 24 (``generator_step``); for older runs the
    manifest's step when the run is complete, else None (unknown)."""
    if manifest.get("generator_step") is not None:
        return int(manifest["generator_step"])
    return int(manifest["step"]) if manifest.get("status") == "complete" and manifest.get("step") else None


def stale_generator_warning(run_dir, manifest):
    """A warning (str) when the run's newest checkpoint is newer than its generator.keras, else None."""
    from mgan.training.checkpoints import newest_step

    newest, gen = newest_step(os.path.join(run_dir, "checkpoints")), generator_step(manifest)
    if newest is None or (gen is not None and newest <= gen):
        return None
    return (f"warning: {run_dir}: generator.keras is from step {gen if gen is not None else 'unknown'}, but the run's "
            f"newest checkpoint is step {newest} (the run was extended and not finished). These samples come from "
            f"generator.keras; pass --from_checkpoint to sample step {newest}, or finish the run by re-running its "
            f"python -m mgan.train command.")


def samples_from_run(run_dir, n, seed=0, batch_size=500, progress=False, from_checkpoint=False):
    """``(x, y or None, provenance)`` of ``n`` samples of a run: from ``generator.keras``, or with
    ``from_checkpoint`` from the run's newest intact checkpoint. ``provenance``: the run directory, the step of the
    generator the samples came from (-1 when unknown), its source and the seed (mgan.sample stores them in the npz)."""
    if from_checkpoint:
        manifest = run_manifest.read(run_dir)
        if manifest is None:
            raise InputFileError(f"{run_dir} is not a run directory (no manifest.json)")
        model, step = restore_newest(run_dir, manifest)
        generator, source = model.generator, f"checkpoints/ckpt-{step}"
    else:
        generator, manifest = load_run(run_dir)
        step, source = generator_step(manifest), "generator.keras"
    cfg, data = manifest["config"], manifest["data"]
    x, y = sampling.generate(generator, n, z_dim=cfg["z_dim"], noise=cfg["noise"], num_classes=data["num_classes"],
                             conditional=manifest["model"]["conditional"], seed=seed, batch_size=batch_size,
                             sample_bn=cfg["sample_bn"], progress=progress)
    provenance = {"run": os.path.abspath(run_dir), "step": -1 if step is None else int(step), "source": source,
                  "seed": int(seed)}
    return x, y, provenance


def generate_from_run(run_dir, n, seed=0, batch_size=500, progress=False):
    """``n`` samples of a finished run's ``generator.keras``: ``(x uint8 NHWC, y int32 or None)``."""
    x, y, _ = samples_from_run(run_dir, n, seed=seed, batch_size=batch_size, progress=progress)
    return x, y


def run_sample_grid(run_dir):
    """The sample grid of a finished run (the grid of its samples.png)."""
    generator, manifest = load_run(run_dir)
    return sampling.sample_grid(generator, manifest["config"], manifest["data"]["num_classes"],
                                manifest["model"]["conditional"])


def run_interpolation_grid(run_dir, rows=8, steps=10, seed=0):
    """An image grid of ``rows`` interpolations of ``steps`` images each between random z_l and z_r drawn from the
    run's noise distribution (MBGAN Fig. 9; unconditional generators, a conditional one interpolates within class
    0)."""
    generator, manifest = load_run(run_dir)
    cfg = manifest["config"]
    ends = latent.sample_noise([2 * rows, cfg["z_dim"]], cfg["noise"], latent.seed_pair(seed, latent.INTERP_SALT))
    ends = ends.numpy()
    z = tf.constant(sampling.interpolation_inputs(ends[:rows], ends[rows:], steps))
    conditional = manifest["model"]["conditional"]
    y = tf.zeros([z.shape[0]], tf.int32) if conditional else None
    out = sampling.call_generator(generator, latent.generator_input(z, y, manifest["data"]["num_classes"],
                                                                    conditional), cfg["sample_bn"]).numpy()
    return images.image_grid(images.to_uint8(out), rows, int(steps))
