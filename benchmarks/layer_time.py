"""Time plain vs fast conv layers: forward + backward (input, kernel and bias gradients) at batch 64.

    python benchmarks/layer_time.py                       # all hot shapes, plain vs fast (automatic rules)
    python benchmarks/layer_time.py --variants auto wgrad=native wgrad=patches up=phase
    python benchmarks/layer_time.py --only mbgan --rounds 15 --jit

Each variant gets its own `tf.function` (fast variants traced under `mgan.nets.layers.impl_override`); the variants of
one shape are timed interleaved, round after round, so that load from other processes hits them alike.  Printed per
shape: median and min ms of each variant and the median over rounds of the per-round ratio variant / plain.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

from mgan.nets import layers as fast  # noqa: E402

# (name, kind, input hw, in channels, filters, stride): the 5x5 'same' layers of the networks at full width.
SHAPES = [
    ("literal G1 T 1->2   110->512", "T", 1, 110, 512, 2),
    ("literal G2 T 2->4   512->256", "T", 2, 512, 256, 2),
    ("literal G3 T 4->8   256->128", "T", 4, 256, 128, 2),
    ("literal G4 T 8->16  128->64", "T", 8, 128, 64, 2),
    ("literal G5 T 16->32 64->3", "T", 16, 64, 3, 2),
    ("literal D1 C 32->16 3->64", "C", 32, 3, 64, 2),
    ("literal D2 C 16->8  64->128", "C", 16, 64, 128, 2),
    ("literal D3 C 8->4   128->256", "C", 8, 128, 256, 2),
    ("literal D4 C 4->2   256->512", "C", 4, 256, 512, 2),
    ("mbgan G1 T 4->8    512->256", "T", 4, 512, 256, 2),
    ("mbgan G2 T 8->16   256->128", "T", 8, 256, 128, 2),
    ("mbgan G3 T 16->32  128->64", "T", 16, 128, 64, 2),
    ("mbgan G4 T 32->32  64->3 s1", "T", 32, 64, 3, 1),
    ("mbgan D1 C 32->32  3->64 s1", "C", 32, 3, 64, 1),
    ("mbgan D2 C 32->16  64->128", "C", 32, 64, 128, 2),
    ("mbgan D3 C 16->8   128->256", "C", 16, 128, 256, 2),
    ("mbgan D4 C 8->4    256->512", "C", 8, 256, 512, 2),
    ("mnist D3 C 14->7   128->256", "C", 14, 128, 256, 2),
    ("mnist D4 C 7->4    256->512", "C", 7, 256, 512, 2),
    ("mnist G1 T 7->14   256->128", "T", 7, 256, 128, 2),
]


def parse_variant(spec):
    if spec in ("auto", "fast"):
        return {}
    return dict(kv.split("=", 1) for kv in spec.split(","))


def make_fn(layer, x, jit):
    w = tf.random.stateless_normal(layer.compute_output_shape(x.shape), [1, 2])

    @tf.function(jit_compile=jit)
    def fwd_bwd(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * w)
        return [y] + tape.gradient(loss, [x] + layer.trainable_variables)

    return fwd_bwd


def time_shape(shape, variants, rounds, batch, jit):
    name, kind, hw, cin, cout, stride = shape
    plain_cls = keras.layers.Conv2D if kind == "C" else keras.layers.Conv2DTranspose
    fast_cls = fast.FastConv2D if kind == "C" else fast.FastConv2DTranspose
    x = tf.random.normal([batch, hw, hw, cin], seed=0)
    plain = plain_cls(cout, 5, stride, padding="same")
    plain.build(x.shape)
    fns = {"plain": make_fn(plain, x, jit)}
    for v in variants:
        layer = fast_cls(cout, 5, stride, padding="same")
        layer.build(x.shape)
        for a, b in zip(layer.weights, plain.weights):
            a.assign(b)
        fns[v] = make_fn(layer, x, jit)
        with fast.impl_override(**parse_variant(v)):
            fns[v].get_concrete_function(x)
    for f in fns.values():
        for _ in range(2):
            [t.numpy() for t in f(x)]
    ts = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            [t.numpy() for t in f(x)]
            ts[k].append((time.perf_counter() - t0) * 1e3)
    return ts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", nargs="+", default=["auto"],
                    help="fast-layer variants: 'auto' or comma lists of op=impl (ops: up, wgrad, down)")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--only", default="", help="substring filter on the shape names")
    ap.add_argument("--jit", action="store_true", help="jit_compile the forward+backward functions")
    args = ap.parse_args(argv)
    print(f"TF {tf.__version__}  oneDNN {'on' if fast.onednn_enabled() else 'off'}  jit={args.jit}  "
          f"batch {args.batch}  rounds {args.rounds}  threads intra={tf.config.threading.get_intra_op_parallelism_threads()} "
          f"inter={tf.config.threading.get_inter_op_parallelism_threads()}  (ms per forward+backward, median/min)")
    cols = ["plain"] + args.variants
    print(f"{'layer':32s}" + "".join(f"{c:>22s}" for c in cols) + "".join(f"{c + '/plain':>20s}" for c in args.variants))
    totals = {c: 0.0 for c in cols}
    for shape in SHAPES:
        if args.only not in shape[0]:
            continue
        ts = time_shape(shape, args.variants, args.rounds, args.batch, args.jit)
        row = f"{shape[0]:32s}"
        for c in cols:
            row += f"{statistics.median(ts[c]):>13.1f}/{min(ts[c]):<8.1f}"
            totals[c] += statistics.median(ts[c])
        for c in args.variants:
            row += f"{statistics.median(np.array(ts[c]) / np.array(ts['plain'])):>20.2f}"
        print(row, flush=True)
    print(f"{'sum of medians':32s}" + "".join(f"{totals[c]:>13.1f}{'':9s}" for c in cols))


if __name__ == "__main__":
    main()
