r"""Study (not a paper figure): does training still work in bfloat16? DMGAN and DCGAN on MNIST in float32 and in
mixed bfloat16, same seed, same budget, side by side (issue 14; mgan.nets.precision).

    python reproduce/study_precision.py --scale=smoke --data_dir=DIR      # width 0.25, 1,300 iterations
    python reproduce/study_precision.py --scale=smoke --models=dmgan --precisions=float32,mixed_bfloat16

Every run is the package default of its model on MNIST (DMGAN: conditional, λ 1.2, γ 1.0, clip 0.1, squared L_ip;
DCGAN: unconditional) with one thing changed between rows of a model: --precision. float32 is the papers'
precision; mixed_bfloat16 is Keras' mixed policy (the networks compute in bfloat16; variables, optimizer state,
centers, losses and metrics float32). Each run is scored with the offline MNIST classifier (never called IS or FID):
classifier score and FD, the classes it finds (share ≥ 1%), the largest class share, mean confidence, label agreement
(conditional runs) and within-class diversity (mgan.metrics.class_report), and issue 7's "learns" criterion. The
training iterations of every run are timed round-robin in one process (METHODS §10.6 at the scale's warm-up and
timed iterations, batch 64, the runs' width), so the table gives ms/iteration and the speed-up of bfloat16 over
float32 per model on this machine. Training length: --steps (default 1,300 iterations, the smoke budget at which
DMGAN learns MNIST, at every scale but the hidden test scale). The shared --precision flag does not apply: this
study trains every precision of --precisions.
"""
import sys

from absl import flags

from mgan.config import PRECISIONS
from mgan.errors import ConfigError
from mgan.experiments import cli, figures
from mgan.experiments.sweep import Experiment, Point, Row
from mgan.metrics.class_report import LEARNS_NOTE

PAPER_DATASET = "mnist"
STEPS = 1300
MODELS = {"dmgan": "DMGAN (conditional, package defaults)", "dcgan": "DCGAN (reference; unconditional)"}
PRECISION_TITLES = {"float32": "float32", "mixed_bfloat16": "mixed bfloat16"}


def define_flags(fv):
    flags.DEFINE_list("models", list(MODELS), f"models compared; choices: {', '.join(MODELS)}", flag_values=fv)
    flags.DEFINE_list("precisions", list(PRECISIONS), f"precisions compared; choices: {', '.join(PRECISIONS)}",
                      flag_values=fv)
    flags.DEFINE_integer("steps", None, f"training iterations of every run (default {STEPS}; the test scale keeps "
                         "its own)", lower_bound=1, flag_values=fv)
    flags.register_validator("models", lambda v: bool(v) and all(m in MODELS for m in v),
                             message=f"--models: each must be one of {', '.join(MODELS)}", flag_values=fv)
    flags.register_validator("precisions", lambda v: bool(v) and all(p in PRECISIONS for p in v),
                             message=f"--precisions: each must be one of {', '.join(PRECISIONS)}", flag_values=fv)


def _label(model, precision):
    return f"{model}_{precision}"


def _speedup_notes(results, exp, ctx):
    """Per model: ms/iteration of each precision and its speed-up over float32 (from the round-robin timing)."""
    rows = (results.get("timing") or {}).get("rows") or {}
    speedups = {}
    for model in ctx.extra.get("models") or MODELS:
        base = rows.get(_label(model, "float32"))
        for p in ctx.extra.get("precisions") or PRECISIONS:
            t = rows.get(_label(model, p))
            if base and t and p != "float32":
                speedups[_label(model, p)] = base["median_ms"] / t["median_ms"]
                exp.notes.append(f"{MODELS[model].split(' (')[0]}: {PRECISION_TITLES[p]} {t['median_ms']:.1f} "
                                 f"ms/iteration vs float32 {base['median_ms']:.1f}: {speedups[_label(model, p)]:.2f}x "
                                 f"faster (median, measured round-robin in one process on this machine).")
    results["speedup_vs_float32"] = speedups


def declare(ctx):
    if ctx.precision != "float32":
        raise ConfigError("study_precision trains every precision of --precisions; --precision does not apply "
                          "(remove it, or pass --precisions=" + ctx.precision + ")")
    steps = ctx.extra.get("steps") or (STEPS if ctx.scale.name != "test" else ctx.scale.steps)
    models, precisions = ctx.extra.get("models") or list(MODELS), ctx.extra.get("precisions") or list(PRECISIONS)
    points, rows = [], []
    for model in models:
        for p in precisions:
            cfg = ctx.config(model, precision=p).replace(steps=steps)
            title = f"{MODELS[model]}, {PRECISION_TITLES[p]}"
            points.append(Point(_label(model, p), cfg, title=f"{title}, {steps} iterations", seeds=ctx.seeds[:1],
                                meta={"model": model, "precision": p, "steps": steps, "series": title}))
            rows.append(Row(title, _label(model, p), paper_note="study; no paper values"))
    labels = [p.label for p in points]
    return Experiment(
        script="study_precision", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Run",
        title="Study: training in float32 and in mixed bfloat16 (issue 14)", value="score", class_columns=True,
        timing=labels, timing_reference=labels[0], finalize=_speedup_notes,
        scale_note=f"width {ctx.scale.width:g}, {steps} iterations, seed {ctx.seeds[0]} for every run",
        figures=[figures.Samples("samples.png", "Fixed-noise samples, each precision (conditional runs: one class per "
                                 "row)", panels=[figures.Panel(p.title, p.label) for p in points], ncols=len(
                                     precisions), upscale=3)],
        notes=["Every run: MNIST training split (60,000), batch 64, the iterations shown, the same seed, Adam 2e-4 "
               "(0.5, 0.999), the 28x28 networks at the width shown. Rows of one model differ only in --precision.",
               "mixed bfloat16: Keras' mixed_bfloat16 policy (mgan.nets.precision). Convolutions, dense layers and "
               "activations compute in bfloat16; variables, BN statistics and arithmetic, optimizer slots, the "
               "centers, losses, norms, G's tanh output and D's head output are float32; the classifier metric is "
               "float32.",
               LEARNS_NOTE])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
