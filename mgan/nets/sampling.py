"""Drawing samples from generators: evaluation samples, the fixed-noise sample grid of a run, finished runs."""
import json
import os

import keras
import numpy as np
import tensorflow as tf

from mgan import images
from mgan.errors import InputFileError
from mgan.nets import latent, precision


def call_generator(generator, g_in, sample_bn="inference"):
    """G(g_in) as float32 (also from a bfloat16 generator, mgan.nets.precision) with BN in inference mode (D22) or with
    batch statistics without touching the moving averages."""
    if sample_bn == "inference":
        return tf.cast(generator(g_in, training=False), tf.float32)
    if sample_bn != "batch":
        raise ValueError(f"unknown sample_bn {sample_bn!r}; valid: ['inference', 'batch']")
    saved = [v.numpy() for v in generator.non_trainable_variables]
    try:
        return tf.cast(generator(g_in, training=True), tf.float32)
    finally:
        for v, value in zip(generator.non_trainable_variables, saved):
            v.assign(value)


def generate(generator, n, *, z_dim, noise, num_classes, conditional, seed, batch_size=500, sample_bn="inference",
             labels=None, progress=False):
    """``n`` samples as uint8 (images) or float32 (vectors), plus their labels when the generator is conditional.

    Labels are drawn i.i.d. uniform over the classes (METHODS §10.3) unless given. Deterministic in ``seed``.
    """
    xs = []
    if conditional and labels is None:
        labels = tf.random.stateless_uniform([n], [seed, latent.EVAL_SALT + 100], 0, num_classes,
                                             dtype=tf.int32).numpy()
    bar = keras.utils.Progbar(n, unit_name="sample") if progress else None
    for i, start in enumerate(range(0, n, batch_size)):
        b = min(batch_size, n - start)
        z = latent.sample_noise([b, z_dim], noise, [seed, latent.EVAL_SALT * 1_000_003 + i])
        y = None if labels is None else tf.constant(labels[start:start + b], tf.int32)
        out = call_generator(generator, latent.generator_input(z, y, num_classes, conditional), sample_bn).numpy()
        xs.append(out)
        if bar:
            bar.add(b)
    x = np.concatenate(xs)
    if x.ndim == 4:
        x = images.to_uint8(x)
    return x, (None if labels is None else np.asarray(labels, np.int32))


def interpolation_inputs(z_left, z_right, steps):
    """MBGAN Fig. 9: z_m = λ z_l + (1 − λ) z_r for λ from 1 to 0 in ``steps`` equal steps, row by row:
    [rows * steps, z_dim], the first column z_l and the last z_r."""
    z_left, z_right = np.asarray(z_left, np.float32), np.asarray(z_right, np.float32)
    if z_left.shape != z_right.shape or z_left.ndim != 2:
        raise ValueError(f"z_left and z_right must be [rows, z_dim] of one shape, got {z_left.shape}, {z_right.shape}")
    if int(steps) < 2:
        raise ValueError(f"an interpolation needs at least 2 steps (its two ends), got {steps}")
    lam = np.linspace(1.0, 0.0, int(steps), dtype=np.float32)[None, :, None]
    return (lam * z_left[:, None, :] + (1.0 - lam) * z_right[:, None, :]).reshape(-1, z_left.shape[1])


def run_interpolation_grid(run_dir, rows=8, steps=10, seed=0):
    """An image grid of ``rows`` interpolations of ``steps`` images each between random z_l and z_r drawn from the
    run's noise distribution (unconditional generators; a conditional one interpolates within class 0)."""
    generator, manifest = load_run(run_dir)
    cfg = manifest["config"]
    ends = latent.sample_noise([2 * rows, cfg["z_dim"]], cfg["noise"], [seed, latent.INTERP_SALT]).numpy()
    z = tf.constant(interpolation_inputs(ends[:rows], ends[rows:], steps))
    conditional = manifest["model"]["conditional"]
    y = tf.zeros([z.shape[0]], tf.int32) if conditional else None
    out = call_generator(generator, latent.generator_input(z, y, manifest["data"]["num_classes"], conditional),
                         cfg["sample_bn"]).numpy()
    return images.image_grid(images.to_uint8(out), rows, int(steps))


def grid_inputs(cfg_like, num_classes, conditional):
    """Fixed noise (and labels) for a run's sample grids: 10x10 with one class per row when conditional, else 8x8."""
    rows = min(num_classes, 10) if conditional else 8
    cols = 10 if conditional else 8
    z = latent.sample_noise([rows * cols, cfg_like["z_dim"]], cfg_like["noise"], [cfg_like["seed"], latent.GRID_SALT])
    y = np.repeat(np.arange(rows), cols).astype(np.int32) if conditional else None
    return z, y, rows, cols


def sample_grid(generator, cfg_like, num_classes, conditional):
    """The uint8 sample grid of a run's generator from its fixed grid noise, or None for vector data.

    ``cfg_like``: the run's config as a dict (``z_dim``, ``noise``, ``seed``, ``sample_bn``).
    """
    z, y, rows, cols = grid_inputs(cfg_like, num_classes, conditional)
    g_in = latent.generator_input(z, None if y is None else tf.constant(y), num_classes, conditional)
    out = call_generator(generator, g_in, cfg_like["sample_bn"]).numpy()
    if out.ndim != 4:
        return None
    return images.image_grid(images.to_uint8(out), rows, cols)


def load_run(run_dir):
    """The finished generator of a run directory and its manifest."""
    path = os.path.join(run_dir, "generator.keras")
    manifest_path = os.path.join(run_dir, "manifest.json")
    if not os.path.exists(path) or not os.path.exists(manifest_path):
        raise InputFileError(f"{run_dir} has no finished run (expected generator.keras and manifest.json); "
                                f"train it with `python -m mgan.train --out={run_dir} ...` until it completes")
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except ValueError as e:
        raise InputFileError(f"{manifest_path} cannot be read ({e}); the run directory is damaged.") from None
    try:
        with precision.policy(precision.of(manifest.get("config") or {})):  # rebuilt under the run's precision
            return keras.saving.load_model(path, compile=False), manifest
    except Exception as e:  # noqa: BLE001  truncated, foreign or damaged file; Keras' own words mislead (issue 9)
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise InputFileError(
            f"{path} is not a readable Keras generator ({type(e).__name__}: {first}); it is truncated or damaged.\n"
            f"To rewrite it from the run's last checkpoint, delete it and re-run the same python -m mgan.train "
            f"command (--out={run_dir}).") from None


def run_sample_grid(run_dir):
    """The sample grid of a finished run (the grid of its samples.png)."""
    generator, manifest = load_run(run_dir)
    return sample_grid(generator, manifest["config"], manifest["data"]["num_classes"],
                       manifest["model"]["conditional"])


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
        from mgan.training import trained as run_model
        manifest_path = os.path.join(run_dir, "manifest.json")
        if not os.path.exists(manifest_path):
            raise InputFileError(f"{run_dir} is not a run directory (no manifest.json)")
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        model, step = run_model.restore_newest(run_dir, manifest)
        generator, source = model.generator, f"checkpoints/ckpt-{step}"
    else:
        generator, manifest = load_run(run_dir)
        step, source = generator_step(manifest), "generator.keras"
    cfg, data = manifest["config"], manifest["data"]
    x, y = generate(generator, n, z_dim=cfg["z_dim"], noise=cfg["noise"], num_classes=data["num_classes"],
                    conditional=manifest["model"]["conditional"], seed=seed, batch_size=batch_size,
                    sample_bn=cfg["sample_bn"], progress=progress)
    provenance = {"run": os.path.abspath(run_dir), "step": -1 if step is None else int(step), "source": source,
                  "seed": int(seed)}
    return x, y, provenance


def generate_from_run(run_dir, n, seed=0, batch_size=500, progress=False):
    """``n`` samples of a finished run: ``(x uint8 NHWC, y int32 or None)``."""
    generator, manifest = load_run(run_dir)
    cfg, data = manifest["config"], manifest["data"]
    return generate(generator, n, z_dim=cfg["z_dim"], noise=cfg["noise"], num_classes=data["num_classes"],
                    conditional=manifest["model"]["conditional"], seed=seed, batch_size=batch_size,
                    sample_bn=cfg["sample_bn"], progress=progress)
