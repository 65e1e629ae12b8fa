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
            "precision": cfg.precision, "iteration_gmacs": iteration_macs(model, m) / 1e9,
            "largest_conv": largest_conv(model)}
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


def conv_shapes(keras_model):
    """The 2-D convolutions of ``keras_model`` as forward convs ``[H, W, c_big] -> [h, w, c_small]`` with their
    kernel, stride and multiply-adds per example (a transposed conv is listed as the conv it is the adjoint of: same
    shapes, same multiply-adds)."""
    import keras
    out = []
    for node in keras_model.layers:
        layer = node.layer if isinstance(node, keras.layers.Wrapper) else node
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            continue
        (_, hi, wi, ci), (_, ho, wo, co) = node.input.shape, node.output.shape
        big, small = ((hi, wi, ci), (ho, wo, co)) if not isinstance(layer, keras.layers.Conv2DTranspose) else \
            ((ho, wo, co), (hi, wi, ci))
        kh, kw = layer.kernel_size
        out.append({"layer": f"{keras_model.name}/{layer.name}", "big": list(big), "small": list(small),
                    "kernel": [kh, kw], "stride": int(layer.strides[0]),
                    "macs": int(small[0] * small[1] * kh * kw * big[2] * small[2])})
    return out


def largest_conv(model):
    """The convolution of a GAN with the most multiply-adds per example (D's first, then G's, on ties)."""
    convs = conv_shapes(model.discriminator) + conv_shapes(model.generator)
    return max(convs, key=lambda c: c["macs"]) if convs else None


def _conv_fns(conv, batch, dtype):
    """(forward, forward + both backward passes) of ``conv`` (a :func:`conv_shapes` entry) at ``batch`` in ``dtype``:
    the native TF ops (oneDNN on x86 CPUs), each a tf.function returning a scalar to wait on."""
    rng = tf.random.Generator.from_seed(0)
    x = tf.cast(rng.normal([batch] + conv["big"]), dtype)
    k = tf.cast(0.02 * rng.normal(conv["kernel"] + [conv["big"][2], conv["small"][2]]), dtype)
    s = conv["stride"]

    @tf.function
    def forward():
        return tf.reduce_sum(tf.cast(tf.nn.conv2d(x, k, s, "SAME")[:1, :1, :1, :1], tf.float32))

    @tf.function
    def train():
        with tf.GradientTape() as tape:
            tape.watch([x, k])
            y = tf.nn.conv2d(x, k, s, "SAME")
        dx, dk = tape.gradient(y, [x, k], output_gradients=tf.ones_like(y))
        return tf.cast(dx[0, 0, 0, 0], tf.float32) + tf.cast(dk[0, 0, 0, 0], tf.float32)

    return forward, train


def _time_ms(fn):
    t0 = time.perf_counter()
    float(fn())
    return (time.perf_counter() - t0) * 1000.0


def conv_peak(conv, batch, precisions=("float32", "mixed_bfloat16"), warmup=3, iters=10, repeats=3):
    """The practical peak of this CPU on ``conv`` (a :func:`conv_shapes` entry) in the compute dtype of each
    precision, timed round-robin: median ms and GFLOP/s of the forward conv alone and of forward + input gradient +
    kernel gradient (the three convolutions a training step runs per layer, 3x the forward multiply-adds)."""
    from mgan.nets import precision as precision_lib

    dtypes = {p: precision_lib.compute_dtype(p) for p in precisions}
    fns = {(p, kind): f for p in precisions for kind, f in zip(("forward", "train"), _conv_fns(conv, batch,
                                                                                              dtypes[p]))}
    for f in fns.values():
        for _ in range(warmup):
            f()
    times = {key: [] for key in fns}
    for _ in range(repeats):
        for key, f in fns.items():
            times[key].extend(_time_ms(f) for _ in range(iters))
    gmacs = batch * conv["macs"] / 1e9
    out = {"conv": conv, "batch_size": batch, "ops": "native tf.nn.conv2d and its two gradients", "precisions": {}}
    for p in precisions:
        fwd, train = statistics.median(times[(p, "forward")]), statistics.median(times[(p, "train")])
        out["precisions"][p] = {"compute_dtype": dtypes[p], "forward_ms": fwd, "forward_gflops_per_s":
                                2 * gmacs / (fwd / 1000.0), "train_ms": train,
                                "train_gflops_per_s": 2 * 3 * gmacs / (train / 1000.0)}
    return out

