"""Per-iteration training time of every registered model on the DMGAN Table 1 backbone (issues 4 and 14, METHODS §10.6).

    python benchmarks/step_time.py                                   # all models, literal + mbgan, both precisions
    python benchmarks/step_time.py --conv_impl=fast,keras --layouts=literal --precision=float32 --json=bench.json
    python benchmarks/step_time.py --models=dmgan,dcgan --precision=float32,mixed_bfloat16 --layouts=literal
    python benchmarks/step_time.py --torch_python=/path/to/venv-with-torch/bin/python --torch_script=PATH  # + PyTorch

For each layout, all (precision, conv_impl, model) triples are built in one process, warmed up, then timed
round-robin (--iters iterations of each per round, --repeats rounds) so that outside load and warm-up drift hit them
alike, on a fixed batch of --batch_size 32x32x3 images (conditional DMGAN-family models, 10 classes), through the
same code as the Table 3 time column (`mgan.training.timing.measure_interleaved`). Prints the median ms per iteration
with min and max, the ratio to DCGAN in the same layout, conv_impl and precision, the speed-up of each precision over
float32 (same layout, conv_impl and model), and the achieved GFLOP/s from the counted multiply-adds
(`mgan.training.timing.iteration_macs`).

--precision (issue 14): float32 (the papers') and/or mixed_bfloat16 (`mgan.nets.precision`: the networks compute in
bfloat16, variables, optimizer state and losses stay float32). Every JSON row records its `precision`.

Practical peak (--peak, on by default): per layout, the convolution of the DMGAN networks with the most multiply-adds
at this --width (`mgan.training.timing.largest_conv`; transposed convs counted as the conv they are the adjoint of) is
timed alone, native `tf.nn.conv2d`, forward only and forward + input gradient + kernel gradient (3x the multiply-adds,
the three convolutions a training step runs per layer), in each precision's compute dtype
(`mgan.training.timing.conv_peak`). The table then gives every step's GFLOP/s as a fraction of the forward+backward peak
of its precision.

With --torch_python and --torch_script=PATH, a PyTorch reference script (torch_dmgan_step.py, a DMGAN iteration in PyTorch, float32;
never a dependency of the package) runs in the same invocation for each layout, and the Keras/PyTorch ratio is
printed. New models join by registering in mgan.models.MODELS (the baselines WGAN, WGAN-GP and SAGAN included: an
iteration of WGAN / WGAN-GP is one generator step with its n_critic = 5 critic steps, timed at a steady-state
iteration, not one of WGAN's 100-step bursts; their critic steps all read the one fixed batch).
"""
import os
import platform
import statistics
import subprocess

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from absl import app, flags  # noqa: E402

PRECISIONS = ("float32", "mixed_bfloat16")  # = mgan.config.PRECISIONS (checked in main; flags load before mgan)

FLAGS = flags.FLAGS
flags.DEFINE_list("models", [], "models to time (default: every registered model)")
flags.DEFINE_list("layouts", ["literal", "mbgan"], "32x32 layouts (METHODS D3)")
flags.DEFINE_list("conv_impl", ["fast"], "convolution implementations: fast and/or keras")
flags.DEFINE_list("precision", list(PRECISIONS), "training precisions to time: float32 and/or mixed_bfloat16")
flags.register_validator("precision", lambda v: bool(v) and all(p in PRECISIONS for p in v),
                         message=f"--precision must be a comma-separated list of {', '.join(PRECISIONS)}")
flags.DEFINE_integer("batch_size", 64, "batch size", lower_bound=1)
flags.DEFINE_float("width", 1.0, "network width multiplier (1.0 = the papers' networks)", lower_bound=0.0)
flags.DEFINE_integer("warmup", 5, "warm-up iterations per model (tracing included)", lower_bound=0)
flags.DEFINE_integer("iters", 10, "timed iterations per repeat", lower_bound=1)
flags.DEFINE_integer("repeats", 3, "repeats of the timed block", lower_bound=1)
flags.DEFINE_bool("peak", True, "also time the largest convolution alone in each precision (the practical peak)")
flags.DEFINE_bool("jit", False, "XLA-compile the step (measured much slower on the 2-core CPU)")
flags.DEFINE_string("json", "", "also write the results to this JSON file")
flags.DEFINE_string("torch_python", "", "a python with torch installed, to run the PyTorch peer in the same run")
flags.DEFINE_string("torch_script", "", "the PyTorch reference script (not distributed with the package; required "
                    "with --torch_python)")
flags.register_multi_flags_validator(["torch_python", "torch_script"], lambda v: not v["torch_python"] or
                                     os.path.isfile(v["torch_script"]),
                                     message="--torch_python needs --torch_script=PATH, the PyTorch reference script")
FLAG_NAMES = ("models", "layouts", "conv_impl", "precision", "batch_size", "width", "warmup", "iters", "repeats",
              "peak", "jit")


def torch_peer(layout):
    r = subprocess.run([FLAGS.torch_python, FLAGS.torch_script, str(FLAGS.batch_size), layout], capture_output=True,
                       text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(f"PyTorch peer failed: {r.stderr[-2000:]}")
    return float(r.stdout.strip().splitlines()[-1])


def _progress(r, info, t):
    print(f"  round {r + 1}/{FLAGS.repeats} {info['layout']:8s} {info['precision']:14s} {info['conv_impl']:5s} "
          f"{info['model']:8s} {statistics.median(t):9.1f} ms", flush=True)


def time_layout(layout, names):
    """The timed rows of one layout (every precision, conv_impl and model, round-robin) and its peak (or None)."""
    from mgan.config import TrainConfig
    from mgan.training.timing import conv_peak, measure_interleaved

    cfgs = [TrainConfig(model=name, layout=layout, conv_impl=impl, width=FLAGS.width, batch_size=FLAGS.batch_size,
                        jit_compile=FLAGS.jit, precision=p)
            for p in FLAGS.precision for impl in FLAGS.conv_impl for name in names]
    rows = measure_interleaved(cfgs, (32, 32, 3), 10, warmup=FLAGS.warmup, iters=FLAGS.iters, repeats=FLAGS.repeats,
                               progress=_progress)
    peak = None
    largest = next((r["largest_conv"] for r in rows if r["model"] == "dmgan"), rows[0]["largest_conv"])
    if FLAGS.peak and largest:
        peak = conv_peak(largest, FLAGS.batch_size, tuple(FLAGS.precision), warmup=max(1, FLAGS.warmup),
                         iters=FLAGS.iters, repeats=FLAGS.repeats)
        peak["layout"] = layout
    return rows, peak


def annotate(rows, peaks):
    """Add ratio_to_dcgan, speedup_vs_float32 and fraction_of_peak to every row (None where undefined)."""
    def same(q, r, **kw):
        keys = ("layout", "conv_impl", "precision", "model")
        return all(q[k] == kw.get(k, r[k]) for k in keys)

    for r in rows:
        dc = next((q for q in rows if same(q, r, model="dcgan")), None)
        f32 = next((q for q in rows if same(q, r, precision="float32")), None)
        peak = ((peaks.get(r["layout"]) or {}).get("precisions") or {}).get(r["precision"])
        r["ratio_to_dcgan"] = r["median_ms"] / dc["median_ms"] if dc else None
        r["speedup_vs_float32"] = f32["median_ms"] / r["median_ms"] if f32 else None
        r["fraction_of_peak"] = r["gflops_per_s"] / peak["train_gflops_per_s"] if peak else None
    return rows


def _f(v, fmt):
    return "—" if v is None else format(v, fmt)


def step_table(rows):
    lines = ["| layout | precision | conv_impl | model | median ms | min ms | max ms | ratio to DCGAN | speed-up vs "
             "float32 | GMAC/iter | GFLOP/s | of the fwd+bwd conv peak |", "|" + "---|" * 12]
    for r in rows:
        lines.append(f"| {r['layout']} | {r['precision']} | {r['conv_impl']} | {r['model']} | {r['median_ms']:.1f} "
                     f"| {r['min_ms']:.1f} | {r['max_ms']:.1f} | {_f(r['ratio_to_dcgan'], '.2f')} | "
                     f"{_f(r['speedup_vs_float32'], '.2f')} | {r['iteration_gmacs']:.2f} | {r['gflops_per_s']:.1f} | "
                     f"{_f(r['fraction_of_peak'], '.0%')} |")
    return lines


def peak_table(peaks):
    lines = ["| layout | largest conv (per example) | precision | forward ms | forward GFLOP/s | fwd+bwd ms | "
             "fwd+bwd GFLOP/s |", "|" + "---|" * 7]
    for layout, pk in peaks.items():
        c = pk["conv"]
        shape = (f"{c['layer']}: {'x'.join(map(str, c['big']))} -> {'x'.join(map(str, c['small']))}, "
                 f"{c['kernel'][0]}x{c['kernel'][1]} stride {c['stride']}, {c['macs'] / 1e6:.1f} MMAC")
        for p, v in pk["precisions"].items():
            lines.append(f"| {layout} | {shape} | {p} | {v['forward_ms']:.2f} | {v['forward_gflops_per_s']:.1f} | "
                         f"{v['train_ms']:.2f} | {v['train_gflops_per_s']:.1f} |")
    return lines


def torch_lines(rows, peers):
    lines = []
    for layout, ms in peers.items():
        lines.append(f"| {layout} | float32 | pytorch | dmgan (torch_dmgan_step.py) | {ms:.1f} |" + " |" * 7)
        for r in rows:
            if r["layout"] == layout and r["model"] == "dmgan":
                r["ratio_to_torch"] = r["median_ms"] / ms
                lines.append(f"| {layout} | {r['precision']} | {r['conv_impl']} | dmgan / pytorch | ratio "
                             f"{r['ratio_to_torch']:.2f} |" + " |" * 7)
    return lines


def main(argv):
    del argv
    import tensorflow as tf

    from mgan import config, models
    from mgan.records import provenance
    from mgan.records.atomic_files import atomic_write_json

    assert tuple(config.PRECISIONS) == PRECISIONS, "benchmarks/step_time.py: update PRECISIONS"
    names = FLAGS.models or list(models.MODELS)
    for n in names:
        models.get_spec(n)
    rows, peaks, peers = [], {}, {}
    for layout in FLAGS.layouts:
        layout_rows, peak = time_layout(layout, names)
        rows += layout_rows
        if peak:
            peaks[layout] = peak
        if FLAGS.torch_python:
            peers[layout] = torch_peer(layout)
            print(f"  PyTorch  {layout:8s} dmgan          {peers[layout]:9.1f} ms", flush=True)
    annotate(rows, peaks)
    print(f"\nbatch {FLAGS.batch_size}, width {FLAGS.width}, TF {tf.__version__}, jit {FLAGS.jit}, "
          f"{FLAGS.warmup} warm-up + {FLAGS.repeats}x{FLAGS.iters} timed iterations; "
          f"{provenance.device_info()['cpu']} ({os.cpu_count()} cores)")
    print("\n".join(step_table(rows) + torch_lines(rows, peers)))
    if peaks:
        print("\nPractical peak: the largest convolution alone (native ops)\n" + "\n".join(peak_table(peaks)))
    if FLAGS.json:
        atomic_write_json(FLAGS.json, {"rows": rows, "peaks": peaks, "torch_ms": peers,
                                       "device": provenance.device_info(), "versions": provenance.versions(),
                                       "python": platform.python_version(),
                                       "flags": {k: FLAGS[k].value for k in FLAG_NAMES}})
    return 0


if __name__ == "__main__":
    app.run(main)
