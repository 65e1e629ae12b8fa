"""Checks of what the Python API is given (``fit``, ``predict``, ``save``), run once, on the first batch, before
Keras traces anything: the problem and its fix in one :class:`mgan.errors.InputDataError` instead of a deep
TensorFlow error or NaN losses. Pure functions of numpy arrays (and a ``tf.data`` element spec); the hot path
(``train_step``) is untouched."""
import numpy as np

from mgan.errors import InputDataError

RANGE_TOLERANCE = 1e-3  # float images may overshoot [-1, 1] by rounding


def _shape(shape):
    return "(" + ", ".join("B" if d is None else str(d) for d in shape) + ")"


def check_batched_spec(spec_shape, example_shape, what="fit"):
    """InputDataError when a ``tf.data`` element (its static shape) is one example instead of a batch."""
    if spec_shape is not None and len(spec_shape) == len(example_shape) and (
            tuple(spec_shape) == tuple(example_shape)):
        raise InputDataError(
            f"{what} needs batches, but the tf.data.Dataset yields single examples of shape {_shape(spec_shape)}: "
            f"call .batch(batch_size) on it (e.g. dataset.batch(64)).")


def check_images(x, example_shape, what="fit"):
    """x: one batch of images (or vectors) as a numpy array. Checks shape, dtype, finiteness and range [-1, 1]."""
    x = np.asarray(x)
    example_shape = tuple(example_shape)
    n = len(example_shape)
    if x.ndim == n and tuple(x.shape) == example_shape:
        raise InputDataError(f"{what} needs batches of shape {_shape((None,) + example_shape)}, got a single example of "
                             f"shape {_shape(x.shape)}: batch it (tf.data: .batch(batch_size); arrays: x[None]).")
    if n >= 2 and example_shape[-1] == 1 and x.ndim == n and tuple(x.shape[1:]) == example_shape[:-1]:
        raise InputDataError(f"images have no channel axis: got shape {_shape(x.shape)}, expected "
                             f"{_shape((x.shape[0],) + example_shape)}: add it with x[..., None].")
    if x.ndim != n + 1 or tuple(x.shape[1:]) != example_shape:
        raise InputDataError(f"{what}: this model takes batches of shape {_shape((None,) + example_shape)} (its size "
                             f"was fixed when it was built), got {_shape(x.shape)}; build a new model for data of "
                             f"another shape.")
    if x.dtype.kind not in "f":
        lo, hi = (int(x.min()), int(x.max())) if x.size else (0, 0)
        raise InputDataError(f"images must be float in [-1, 1]; got {x.dtype} {lo}..{hi}: use "
                             f"mgan.data.to_unit_range (uint8 0..255 -> x / 127.5 - 1).")
    bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
    if bad:
        raise InputDataError(f"images contain {bad} NaN or Inf value(s) in the first batch; the losses would turn NaN. "
                             f"Clean the data (np.nan_to_num, or drop those images).")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        raise InputDataError(f"images must be float in [-1, 1]; got {x.dtype} {lo:g}..{hi:g}: rescale them (uint8 "
                             f"0..255: mgan.data.to_unit_range; float 0..1: x * 2 - 1).")


def check_labels(y, num_classes, batch_size=None, what="fit"):
    """y: the labels of one batch. Integer class indices 0..num_classes-1 of shape (B,)."""
    y = np.asarray(y)
    if y.ndim != 1 or (batch_size is not None and len(y) != batch_size):
        raise InputDataError(f"{what}: labels must be integer class indices of shape ({batch_size or 'B'},), got shape "
                             f"{tuple(y.shape)} (one-hot labels: use np.argmax(y, axis=1)).")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and y.size and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            pass  # whole numbers stored as floats are used as they are
        else:
            raise InputDataError(f"{what}: labels must be integer class indices, got dtype {y.dtype}.")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        wrong = sorted({int(v) for v in y[(y < 0) | (y >= num_classes)]})[:5]
        raise InputDataError(f"{what}: labels must lie in 0..{num_classes - 1} (this model has {num_classes} "
                             f"classes); got {', '.join(map(str, wrong))}.")


def check_noise(z, z_dim, what="predict"):
    z = np.asarray(z)
    if z.ndim != 2 or z.shape[1] != z_dim:
        raise InputDataError(f"{what}: noise must have shape (N, {z_dim}) (z_dim of this model), got "
                             f"{_shape(z.shape)}.")
    if z.dtype.kind != "f" or not np.all(np.isfinite(z)):
        raise InputDataError(f"{what}: noise must be finite floats (mgan.nets.latent.sample_noise), got {z.dtype}.")


def check_save_path(filepath):
    """A GAN saves as one .keras archive (both networks, centers, counters, optimizers)."""
    import os
    path = os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else None
    if path is not None and not path.endswith(".keras"):
        raise InputDataError(f"cannot save a GAN to {path!r}: use a path ending in .keras (e.g. "
                             f"{os.path.splitext(path)[0]}.keras); .h5 cannot hold its two networks and their state. "
                             f"For the weights alone: save_weights('...weights.h5').")
