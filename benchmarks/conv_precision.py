"""Where a bfloat16 training step loses its speed-up: the forward convolution and its two gradients, timed apart, in
float32 and bfloat16, at the largest conv of the DMGAN networks (D conv1 at batch 64: 16x16x64 -> 8x8x128, 5x5,
stride 2, 'same'; `mgan.training.timing.largest_conv`). Native ops (`tf.nn.conv2d` and its `conv2d_backprop_*`), each in
its own `tf.function`, interleaved round after round; prints median ms and GFLOP/s per op and precision.

    python benchmarks/conv_precision.py [--rounds 15] [--batch 64]
    python benchmarks/conv_precision.py --step       # also: a bfloat16 DMGAN step under each kernel-gradient rule

With --step, a whole mixed-bfloat16 DMGAN iteration (literal layout, batch 64, full width;
mgan.training.timing.prepare_step) is timed under the fast layers' automatic formulation rules and with the kernel
gradient forced to 'native' or to 'patches' everywhere (mgan.nets.layers.impl_override), round-robin, 4 rounds of 5
iterations after 5 warm-up.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402


def ops(batch, dtype):
    x = tf.random.normal([batch, 16, 16, 64], dtype=tf.float32)
    w = tf.random.normal([5, 5, 64, 128], dtype=tf.float32) * 0.05
    dy = tf.random.normal([batch, 8, 8, 128], dtype=tf.float32)
    x, w, dy = (tf.cast(t, dtype) for t in (x, w, dy))
    s, p = [1, 2, 2, 1], "SAME"
    return {
        "forward": tf.function(lambda: tf.nn.conv2d(x, w, s, p)),
        "input gradient": tf.function(lambda: tf.compat.v1.nn.conv2d_backprop_input(tf.shape(x), w, dy, s, p)),
        "kernel gradient": tf.function(lambda: tf.compat.v1.nn.conv2d_backprop_filter(x, tf.shape(w), dy, s, p)),
        "kernel gradient, im2col GEMM": tf.function(lambda: _wgrad_patches(x, dy)),
    }


def _wgrad_patches(x, dy):
    """The kernel gradient as one GEMM over explicit 5x5 patches (the 'patches' formulation of mgan.nets.layers)."""
    patches = tf.image.extract_patches(x, [1, 5, 5, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    cols = tf.reshape(patches, [-1, 5 * 5 * 64])
    return tf.reshape(tf.matmul(cols, tf.reshape(dy, [-1, 128]), transpose_a=True), [5, 5, 64, 128])


def step_formulations(rounds=4, iters=5):
    """Median ms of a mixed-bfloat16 DMGAN iteration per kernel-gradient formulation rule (see the docstring)."""
    from mgan.config import TrainConfig
    from mgan.nets import layers
    from mgan.training import timing

    cfg = TrainConfig(model="dmgan", dataset="cifar10", layout="literal", precision="mixed_bfloat16")
    steps = {}
    rules = (("auto", {}), ("wgrad=native", {"wgrad": "native"}), ("wgrad=patches", {"wgrad": "patches"}))
    for name, override in rules:
        with layers.impl_override(**override):  # the layers choose their formulation when traced
            run_one, _ = timing.prepare_step(cfg, (32, 32, 3))
            for _ in range(5):
                run_one()
        steps[name] = run_one
    times = {k: [] for k in steps}
    for _ in range(rounds):
        for k, run_one in steps.items():
            times[k].extend(run_one() for _ in range(iters))
    print("| kernel-gradient rule | bfloat16 DMGAN ms/iteration (median) |")
    print("|---|---|")
    for k, v in times.items():
        print(f"| {k} | {statistics.median(v):.1f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--step", action="store_true", help="also time a bfloat16 DMGAN step per formulation rule")
    a = ap.parse_args()
    fns = {(name, dt.name): f for dt in (tf.float32, tf.bfloat16) for name, f in ops(a.batch, dt).items()}
    times = {k: [] for k in fns}
    for f in fns.values():
        f().numpy()
    for _ in range(a.rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(a.reps):
                r = f()
            r.numpy()
            times[k].append((time.perf_counter() - t0) / a.reps * 1e3)
    flops = 2 * a.batch * 8 * 8 * 128 * 5 * 5 * 64
    print("| op | float32 ms | bfloat16 ms | float32 GFLOP/s | bfloat16 GFLOP/s | speed-up |")
    print("|---|---|---|---|---|---|")
    for name in ("forward", "input gradient", "kernel gradient", "kernel gradient, im2col GEMM"):
        f32, bf = (statistics.median(times[(name, d)]) for d in ("float32", "bfloat16"))
        print(f"| {name} | {f32:.2f} | {bf:.2f} | {flops / f32 / 1e6:.0f} | {flops / bf / 1e6:.0f} | {f32 / bf:.2f}x |")
    if a.step:
        step_formulations()


if __name__ == "__main__":
    main()
