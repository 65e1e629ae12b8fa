"""Wall time of complete training iterations (METHODS §10.6), shared by benchmarks/step_time.py and Table 3.

One iteration is the model's whole ``train_step`` (D step, G step, centers, weights; the noise is drawn inside it), on
a fixed in-memory batch so input-pipeline stalls are excluded. Iterations are timed one by one after warm-up; the
result reports the median, min, max and mean in ms, with the settings that produced them.
"""
import statistics
import time

import numpy as np
import tensorflow as tf

from mgan import models
from mgan.config import TrainConfig


def prepare_step(cfg: TrainConfig, example_shape, num_classes=10, seed=0):
    """Build ``cfg.model`` and a fixed random batch; returns ``(time_one_iteration_ms, info)``.

    ``cfg`` is resolved against the shape (so 'auto' fields take the model defaults).
    """
    cfg = models.resolve(cfg, tuple(example_shape))
    model = models.build_model(cfg, tuple(example_shape), num_classes)
    # WGAN times its steady-state iterations (n_critic critic steps), not the 100-step bursts of its first ones
    model.iteration.assign(getattr(model, "timing_iteration", 0))
    rng = np.random.default_rng(seed)
    m = cfg.batch_size
    x = tf.constant(rng.uniform(-1, 1, size=(m,) + tuple(example_shape)).astype("float32"))
    y = tf.constant(rng.integers(0, num_classes, size=m).astype("int32"))
    step = tf.function(model.train_step, jit_compile=cfg.jit_compile)

    def run_one():
        t0 = time.perf_counter()
        logs = step((x, y))
        float(next(iter(logs.values())))  # wait for the step to finish
        return (time.perf_counter() - t0) * 1000.0

    info = {"model": cfg.model, "layout": cfg.layout, "batch_size": m, "example_shape": list(example_shape),
            "width": cfg.width, "conv_impl": cfg.conv_impl, "jit_compile": cfg.jit_compile,
            "iteration_gmacs": iteration_macs(model, m) / 1e9}
    return run_one, info


def summarize(times, info, **settings):
    """Statistics of per-iteration times (ms) with the settings that produced them."""
    median = statistics.median(times)
    return {**info, **settings, "gflops_per_s": 2 * info["iteration_gmacs"] / (median / 1000.0),
            "median_ms": median, "mean_ms": statistics.fmean(times), "min_ms": min(times), "max_ms": max(times),
            "n_timed": len(times)}


def measure_interleaved(cfgs, example_shape, num_classes=10, warmup=10, iters=10, repeats=3, seed=0,
                        progress=None):
    """Time several configs in one process, round-robin: every repeat times ``iters`` iterations of each config in
    turn, so load from other processes and warm-up drift hit them alike. Returns one summary per config."""
    prepared = [prepare_step(c, example_shape, num_classes, seed) for c in cfgs]
    for run_one, _ in prepared:
        for _ in range(warmup):
            run_one()
    times = [[] for _ in prepared]
    for r in range(repeats):
        for i, (run_one, info) in enumerate(prepared):
            times[i].extend(run_one() for _ in range(iters))
            if progress:
                progress(r, info, times[i][-iters:])
    return [summarize(t, info, warmup=warmup, iters=iters, repeats=repeats) for t, (_, info) in zip(times, prepared)]


def forward_macs(keras_model):
    """Multiply-adds of one forward pass of one example through the conv, transposed-conv and dense layers (also when
    wrapped in spectral normalization) and SAGAN's self-attention blocks."""
    import keras
    total = 0
    for node in keras_model.layers:
        layer = node.layer if isinstance(node, keras.layers.Wrapper) else node  # the wrapper holds the shapes
        in_shape, out_shape = (node.input.shape, node.output.shape) if hasattr(layer, "kernel") or hasattr(
            layer, "forward_macs") else (None, None)
        if hasattr(layer, "forward_macs"):
            total += layer.forward_macs(in_shape)
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            _, h, w, cin = in_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * cin * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, _ = out_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * in_shape[-1] * layer.filters
        elif isinstance(layer, keras.layers.Dense):
            total += int(in_shape[-1]) * layer.units
    return int(total)


def iteration_macs(model, batch_size):
    """Counted multiply-adds of one training iteration: forward MACs times the model's declared passes."""
    passes = model.iteration_passes()
    return batch_size * (passes["generator"] * forward_macs(model.generator) +
                         passes["discriminator"] * forward_macs(model.discriminator))
