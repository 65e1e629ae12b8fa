"""Wall time of complete training iterations (METHODS §10.6), shared by benchmarks/step_time.py and Table 3.

One iteration is the model's whole ``train_step`` (D step, G step, centers, weights), on a fixed in-memory batch so
input-pipeline stalls are excluded. Iterations are timed one by one after warm-up; the result reports the median,
min, max and mean in ms, with the settings that produced them.
"""
import statistics
import time

import numpy as np
import tensorflow as tf

from mgan import models
from mgan.config import TrainConfig


def measure_step_time(cfg: TrainConfig, example_shape, num_classes=10, warmup=50, iters=200, repeats=1,
                      seed=0):
    """Time ``iters`` training iterations of ``cfg.model`` on random data of ``example_shape``.

    ``cfg`` is resolved against the shape (so 'auto' fields take the model defaults). With ``repeats > 1`` the
    timed block is repeated and every iteration time enters the statistics.
    """
    cfg = models.resolve(cfg, tuple(example_shape))
    model = models.build_model(cfg, tuple(example_shape), num_classes)
    rng = np.random.default_rng(seed)
    m = cfg.batch_size
    x = tf.constant(rng.uniform(-1, 1, size=(m,) + tuple(example_shape)).astype("float32"))
    y = tf.constant(rng.integers(0, num_classes, size=m).astype("int32"))
    z = models.sample_noise([m, cfg.z_dim], cfg.noise, [seed, 7])
    step = tf.function(model.train_step, jit_compile=cfg.jit_compile)

    def run_one():
        t0 = time.perf_counter()
        logs = step((x, y, z))
        float(next(iter(logs.values())))  # wait for the step to finish
        return (time.perf_counter() - t0) * 1000.0

    for _ in range(warmup):
        run_one()
    times = [run_one() for _ in range(repeats) for _ in range(iters)]
    macs = iteration_macs(model, m)
    median = statistics.median(times)
    return {
        "model": cfg.model, "layout": cfg.layout, "batch_size": m, "example_shape": list(example_shape),
        "width": cfg.width, "conv_impl": cfg.conv_impl, "jit_compile": cfg.jit_compile,
        "warmup": warmup, "iters": iters, "repeats": repeats,
        "iteration_gmacs": macs / 1e9, "gflops_per_s": 2 * macs / 1e9 / (median / 1000.0),
        "median_ms": median, "mean_ms": statistics.fmean(times),
        "min_ms": min(times), "max_ms": max(times),
    }


def forward_macs(keras_model):
    """Multiply-adds of one forward pass of one example through the conv, transposed-conv and dense layers."""
    import keras
    total = 0
    for layer in keras_model.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):
            _, h, w, cin = layer.input.shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * cin * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, _ = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * layer.input.shape[-1] * layer.filters
        elif isinstance(layer, keras.layers.Dense):
            total += int(layer.input.shape[-1]) * layer.units
    return int(total)


def iteration_macs(model, batch_size):
    """Counted multiply-adds of one training iteration: forward MACs times the model's declared passes."""
    passes = model.iteration_passes()
    return batch_size * (passes["generator"] * forward_macs(model.generator) +
                         passes["discriminator"] * forward_macs(model.discriminator))
