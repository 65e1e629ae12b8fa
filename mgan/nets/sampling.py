"""Drawing samples from a generator: evaluation samples, the fixed-noise sample grid of a run, interpolation inputs.

A finished run's generator is read back, and sampled, by :mod:`mgan.training.trained`."""
import keras
import numpy as np
import tensorflow as tf

from mgan import images
from mgan.errors import check_choice
from mgan.nets import latent

SAMPLE_BNS = ("inference", "batch")  # D22


def call_generator(generator, g_in, sample_bn="inference"):
    """G(g_in) as float32 (also from a bfloat16 generator, mgan.nets.precision) with BN in inference mode (D22) or with
    batch statistics without touching the moving averages."""
    if sample_bn == "inference":
        return tf.cast(generator(g_in, training=False), tf.float32)
    check_choice("sample_bn", sample_bn, SAMPLE_BNS)
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
        labels = tf.random.stateless_uniform([n], latent.seed_pair(seed, latent.EVAL_LABEL_SALT), 0, num_classes,
                                             dtype=tf.int32).numpy()
    bar = keras.utils.Progbar(n, unit_name="sample") if progress else None
    for i, start in enumerate(range(0, n, batch_size)):
        b = min(batch_size, n - start)
        z = latent.sample_noise([b, z_dim], noise, latent.seed_pair(seed, latent.EVAL_SALT, i, latent.EVAL_STRIDE))
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


def grid_inputs(cfg_like, num_classes, conditional):
    """Fixed noise (and labels) for a run's sample grids: 10x10 with one class per row when conditional, else 8x8."""
    rows = min(num_classes, 10) if conditional else 8
    cols = 10 if conditional else 8
    z = latent.sample_noise([rows * cols, cfg_like["z_dim"]], cfg_like["noise"],
                            latent.seed_pair(cfg_like["seed"], latent.GRID_SALT))
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
