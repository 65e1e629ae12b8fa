"""Pixel conversions and image grids: generator output -> uint8 (METHODS §10.2 step 1; the way back, uint8 -> [-1, 1],
is :func:`mgan.data.to_unit_range`), tiling, PNG files."""
import numpy as np

from mgan.errors import InputDataError
from mgan.records.atomic_files import atomic_write_bytes


def to_uint8(x):
    """Generator output in [-1, 1] -> uint8: round((x + 1) * 127.5) (ties to even), clipped to [0, 255]."""
    x = np.asarray(x)
    if not np.all(np.isfinite(x)):
        raise InputDataError("generator output contains non-finite values (NaN or Inf): the generator diverged; sample an "
                             "earlier checkpoint (mgan.sample --from_checkpoint) or retrain with other flags")
    return np.clip(np.rint((x.astype(np.float64) + 1.0) * 127.5), 0, 255).astype(np.uint8)


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
    import tensorflow as tf

    atomic_write_bytes(path, tf.io.encode_png(tf.constant(image_uint8)).numpy())


def read_png(path):
    """A PNG file as a uint8 HWC array."""
    import tensorflow as tf

    return tf.io.decode_png(tf.io.read_file(path)).numpy()
