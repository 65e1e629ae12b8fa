"""Drawing samples from generators: noise, uint8 conversion, image grids, and loading a finished run."""
import json
import os

import keras
import numpy as np
import tensorflow as tf

from mgan.metrics.inception import generator_output_to_uint8
from mgan.models.base import sample_noise

# Seed salts keep the streams of a run apart: training noise, fixed grid noise, evaluation samples.
TRAIN_NOISE_SALT = 1
GRID_SALT = 2
EVAL_SALT = 3


def to_uint8(x):
    """Generator output in [-1, 1] -> uint8 by round((x + 1) * 127.5), clipped (METHODS §10.2 step 1)."""
    return generator_output_to_uint8(x)


def call_generator(generator, g_in, sample_bn="inference"):
    """G(g_in) with BN in inference mode (D22) or with batch statistics without touching the moving averages."""
    if sample_bn == "inference":
        return generator(g_in, training=False)
    if sample_bn != "batch":
        raise ValueError(f"unknown sample_bn {sample_bn!r}; valid: ['inference', 'batch']")
    saved = [v.numpy() for v in generator.non_trainable_variables]
    try:
        return generator(g_in, training=True)
    finally:
        for v, value in zip(generator.non_trainable_variables, saved):
            v.assign(value)


def generator_input(z, y, num_classes, conditional):
    if not conditional:
        return z
    return tf.concat([z, tf.one_hot(y, num_classes)], axis=1)


def generate(generator, n, *, z_dim, noise, num_classes, conditional, seed, batch_size=500, sample_bn="inference",
             labels=None, progress=False):
    """``n`` samples as uint8 (images) or float32 (vectors), plus their labels when the generator is conditional.

    Labels are drawn i.i.d. uniform over the classes (METHODS §10.3) unless given. Deterministic in ``seed``.
    """
    xs = []
    if conditional and labels is None:
        labels = tf.random.stateless_uniform([n], [seed, EVAL_SALT + 100], 0, num_classes, dtype=tf.int32).numpy()
    bar = keras.utils.Progbar(n, unit_name="sample") if progress else None
    for i, start in enumerate(range(0, n, batch_size)):
        b = min(batch_size, n - start)
        z = sample_noise([b, z_dim], noise, [seed, EVAL_SALT * 1_000_003 + i])
        y = None if labels is None else tf.constant(labels[start:start + b], tf.int32)
        out = call_generator(generator, generator_input(z, y, num_classes, conditional), sample_bn).numpy()
        xs.append(out)
        if bar:
            bar.add(b)
    x = np.concatenate(xs)
    if x.ndim == 4:
        x = to_uint8(x)
    return x, (None if labels is None else np.asarray(labels, np.int32))


def grid_inputs(cfg_like, num_classes, conditional):
    """Fixed noise (and labels) for a run's sample grids: 10x10 with one class per row when conditional, else 8x8."""
    rows = min(num_classes, 10) if conditional else 8
    cols = 10 if conditional else 8
    z = sample_noise([rows * cols, cfg_like["z_dim"]], cfg_like["noise"], [cfg_like["seed"], GRID_SALT])
    y = np.repeat(np.arange(rows), cols).astype(np.int32) if conditional else None
    return z, y, rows, cols


def image_grid(images, rows, cols, pad=1):
    """Tile uint8 images [rows*cols, H, W, C] into one [rows*(H+pad)-pad, cols*(W+pad)-pad, C] uint8 image."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    grid = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, c), 255, np.uint8)
    for i in range(min(n, rows * cols)):
        r, q = divmod(i, cols)
        grid[r * (h + pad):r * (h + pad) + h, q * (w + pad):q * (w + pad) + w] = images[i]
    return grid


def upscale(image, factor):
    """An HWC image enlarged ``factor`` times by pixel repetition (nearest neighbour), for viewing small images."""
    factor = int(factor)
    if factor < 1:
        raise ValueError(f"upscale factor must be a positive integer, got {factor}")
    return np.repeat(np.repeat(np.asarray(image), factor, axis=0), factor, axis=1)


def write_png(path, image_uint8):
    """Write a uint8 HWC image as PNG, atomically."""
    from mgan.io import _atomic_write
    data = tf.io.encode_png(tf.constant(image_uint8)).numpy()
    _atomic_write(path, lambda f: f.write(data), "wb")


def load_run(run_dir):
    """The finished generator of a run directory and its manifest."""
    path = os.path.join(run_dir, "generator.keras")
    manifest_path = os.path.join(run_dir, "manifest.json")
    if not os.path.exists(path) or not os.path.exists(manifest_path):
        raise FileNotFoundError(f"{run_dir} has no finished run (expected generator.keras and manifest.json); "
                                f"train it with `python -m mgan.train --out={run_dir} ...` until it completes")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    return keras.saving.load_model(path, compile=False), manifest


def generate_from_run(run_dir, n, seed=0, batch_size=500, progress=False):
    """``n`` samples of a finished run: ``(x uint8 NHWC, y int32 or None)``."""
    generator, manifest = load_run(run_dir)
    cfg, data = manifest["config"], manifest["data"]
    return generate(generator, n, z_dim=cfg["z_dim"], noise=cfg["noise"], num_classes=data["num_classes"],
                    conditional=manifest["model"]["conditional"], seed=seed, batch_size=batch_size,
                    sample_bn=cfg["sample_bn"], progress=progress)
