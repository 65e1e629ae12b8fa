"""Per-iteration training time of every registered model on the DMGAN Table 1 backbone (issue 4, METHODS §10.6).

    python benchmarks/step_time.py                                   # all models, literal + mbgan layouts, fast layers
    python benchmarks/step_time.py --conv_impl=fast,keras --layouts=literal --json=bench.json
    python benchmarks/step_time.py --torch_python=/path/to/venv-with-torch/bin/python   # + the PyTorch peer

For each layout, all (conv_impl, model) pairs are built in one process, warmed up, then timed round-robin (--iters
iterations of each per round, --repeats rounds) so that outside load and warm-up drift hit them alike, on a fixed
batch of --batch_size 32x32x3 images (conditional DMGAN-family models, 10 classes), through the same code as
the Table 3 time column (`mgan.timing.measure_interleaved`). Prints the median ms per iteration with min and max, the
ratio to DCGAN in the same layout and conv_impl, and the achieved GFLOP/s from the counted multiply-adds
(`mgan.timing.iteration_macs`). With --torch_python the reference script ../shared/tools/torch_dmgan_step.py (a
DMGAN iteration in PyTorch; never a dependency of the package) runs in the same invocation for each layout, and the
Keras/PyTorch ratio is printed. New models join by registering in mgan.models.MODELS (the baselines WGAN, WGAN-GP
and SAGAN included: an iteration of WGAN / WGAN-GP is one generator step with its n_critic = 5 critic steps, timed at
a steady-state iteration, not one of WGAN's 100-step bursts; their critic steps all read the one fixed batch).
"""
import os
import platform
import statistics
import subprocess

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from absl import app, flags  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("models", [], "models to time (default: every registered model)")
flags.DEFINE_list("layouts", ["literal", "mbgan"], "32x32 layouts (METHODS D3)")
flags.DEFINE_list("conv_impl", ["fast"], "convolution implementations: fast and/or keras")
flags.DEFINE_integer("batch_size", 64, "batch size")
flags.DEFINE_float("width", 1.0, "network width multiplier (1.0 = the papers' networks)")
flags.DEFINE_integer("warmup", 5, "warm-up iterations per model (tracing included)")
flags.DEFINE_integer("iters", 10, "timed iterations per repeat")
flags.DEFINE_integer("repeats", 3, "repeats of the timed block")
flags.DEFINE_bool("jit", False, "XLA-compile the step (measured much slower on the 2-core CPU)")
flags.DEFINE_string("json", "", "also write the results to this JSON file")
flags.DEFINE_string("torch_python", "", "a python with torch installed, to run the PyTorch peer in the same run")
flags.DEFINE_string("torch_script", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..",
                                                 "shared", "tools", "torch_dmgan_step.py"),
                    "the PyTorch reference script")


def torch_peer(layout):
    r = subprocess.run([FLAGS.torch_python, FLAGS.torch_script, str(FLAGS.batch_size), layout], capture_output=True,
                       text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(f"PyTorch peer failed: {r.stderr[-2000:]}")
    return float(r.stdout.strip().splitlines()[-1])


def main(argv):
    del argv
    import tensorflow as tf

    from mgan import models, provenance
    from mgan.atomic_files import atomic_write_json
    from mgan.config import TrainConfig
    from mgan.timing import measure_interleaved

    names = FLAGS.models or list(models.MODELS)
    for n in names:
        models.get_spec(n)
    rows, peers = [], {}
    for layout in FLAGS.layouts:
        cfgs = [TrainConfig(model=name, layout=layout, conv_impl=impl, width=FLAGS.width,
                            batch_size=FLAGS.batch_size, jit_compile=FLAGS.jit)
                for impl in FLAGS.conv_impl for name in names]
        rows += measure_interleaved(
            cfgs, (32, 32, 3), 10, warmup=FLAGS.warmup, iters=FLAGS.iters, repeats=FLAGS.repeats,
            progress=lambda r, info, t: print(f"  round {r + 1}/{FLAGS.repeats} {info['layout']:8s} "
                                              f"{info['conv_impl']:5s} {info['model']:8s} "
                                              f"{statistics.median(t):9.1f} ms", flush=True))
        if FLAGS.torch_python:
            peers[layout] = torch_peer(layout)
            print(f"  PyTorch  {layout:8s} dmgan          {peers[layout]:9.1f} ms", flush=True)

    print(f"\nbatch {FLAGS.batch_size}, width {FLAGS.width}, TF {tf.__version__}, jit {FLAGS.jit}, "
          f"{FLAGS.warmup} warm-up + {FLAGS.repeats}x{FLAGS.iters} timed iterations; "
          f"{provenance.device_info()['cpu']} ({os.cpu_count()} cores)")
    header = "| layout | conv_impl | model | median ms | min ms | max ms | ratio to DCGAN | GMAC/iter | GFLOP/s |"
    lines = [header, "|" + "---|" * 9]
    for r in rows:
        dc = next((q for q in rows if q["model"] == "dcgan" and q["layout"] == r["layout"]
                   and q["conv_impl"] == r["conv_impl"]), None)
        ratio = f"{r['median_ms'] / dc['median_ms']:.2f}" if dc else "—"
        r["ratio_to_dcgan"] = r["median_ms"] / dc["median_ms"] if dc else None
        lines.append(f"| {r['layout']} | {r['conv_impl']} | {r['model']} | {r['median_ms']:.1f} | {r['min_ms']:.1f} "
                     f"| {r['max_ms']:.1f} | {ratio} | {r['iteration_gmacs']:.2f} | {r['gflops_per_s']:.1f} |")
    for layout, ms in peers.items():
        lines.append(f"| {layout} | pytorch | dmgan (torch_dmgan_step.py) | {ms:.1f} | | | | | |")
        for r in rows:
            if r["layout"] == layout and r["model"] == "dmgan":
                r["ratio_to_torch"] = r["median_ms"] / ms
                lines.append(f"| {layout} | {r['conv_impl']} | dmgan / pytorch | ratio {r['ratio_to_torch']:.2f} "
                             f"| | | | | |")
    print("\n".join(lines))
    if FLAGS.json:
        atomic_write_json(FLAGS.json, {"rows": rows, "torch_ms": peers, "device": provenance.device_info(),
                                       "versions": provenance.versions(), "python": platform.python_version(),
                                       "flags": {k: FLAGS[k].value for k in ("models", "layouts", "conv_impl",
                                                 "batch_size", "width", "warmup", "iters", "repeats", "jit")}})


if __name__ == "__main__":
    app.run(main)
