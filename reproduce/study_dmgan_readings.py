r"""Study (not a paper figure): which readings of DMGAN learn on MNIST (issue 7; METHODS D2, D8, D13, D32, D33).

    python reproduce/study_dmgan_readings.py --scale=smoke --data_dir=../shared/data           # width 0.25 grid
    python reproduce/study_dmgan_readings.py --scale=smoke --widths=0.25,0.5,1.0 --data_dir=../shared/data

Every reading is regular DMGAN on MNIST (λ 1.2, γ 1.0, conditional, clip 0.1 on all D variables, squared L_ip: the
package defaults) with one thing changed, plus DCGAN as the reference. Each run is scored with the offline MNIST
classifier (never called IS or FID): classifier score and FD, the number of classes it finds (share ≥ 1%), the
largest class share, its mean confidence, the agreement of its prediction with the conditioning label, and the
within-class pixel diversity relative to real MNIST (mgan.metrics.class_report). "learns" is issue 7's criterion:
≥ 8 classes, none above 30%, mean confidence ≥ 0.6, label agreement ≥ 50% (conditional runs).

The full grid of readings runs at the first width of --widths; the readings of --wide_readings also run at the other
widths, to find where learning breaks as the networks grow to the paper's size (width 1.0). Training length:
--steps (default 1,300 iterations at every scale but the hidden test scale).
"""
import sys

from absl import flags

from mgan.experiments import cli, figures
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "mnist"
STEPS = 1300

# label -> (model, config overrides, description). Everything not named is the package default.
READINGS = {
    "dcgan": ("dcgan", {}, "DCGAN (reference; unconditional, U(-1,1) noise)"),
    "dmgan": ("dmgan", {}, "DMGAN defaults: squared L_ip (D32), λ 1.2"),
    "plain": ("dmgan", {"ip_norm": "plain"}, "plain L_ip (Eq. 2 as printed), λ 1.2"),
    "plain_lam0.8": ("dmgan", {"ip_norm": "plain", "lam": 0.8}, "plain L_ip, λ 0.8"),
    "lam0.8": ("dmgan", {"lam": 0.8}, "squared L_ip, λ 0.8"),
    "lam1.8": ("dmgan", {"lam": 1.8}, "squared L_ip, λ 1.8"),
    "joint": ("dmgan", {"d_batches": "joint"}, "joint real+fake D batch (D13 alternative)"),
    "clip_kernels": ("dmgan", {"clip_scope": "kernels"}, "clipping of kernels only (D8 alternative; BN scales free)"),
    "unlabeled": ("dmgan", {"label_mode": "unlabeled"}, "unlabeled (one real and one fake center)"),
    "dmgan_f": ("dmgan_f", {}, "DMGAN-f (γ = 0, fixed centers)"),
    "wadmgan": ("wadmgan", {}, "waDMGAN, Eq. 7 weights as printed (D33 default)"),
    "wadmgan_norm": ("wadmgan", {"wa_normalize": True}, "waDMGAN, weights / batch mean (D33 alternative)"),
}
DEFAULT_WIDTHS = {"full": "1.0", "smoke": "0.25"}


def define_flags(fv):
    flags.DEFINE_list("widths", None, "network widths; the first runs every reading, the others --wide_readings "
                      "(default: 0.25 at smoke scale, 1.0 at full scale)", flag_values=fv)
    flags.DEFINE_list("readings", list(READINGS), f"readings at the first width; choices: {', '.join(READINGS)}",
                      flag_values=fv)
    flags.DEFINE_list("wide_readings", ["dcgan", "dmgan"], "readings also run at the other widths", flag_values=fv)
    flags.DEFINE_integer("steps", None, f"training iterations of every run (default {STEPS}; the test scale keeps "
                         "its own)", lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("wide_steps", None, "training iterations of the runs at the other widths (default: --steps)",
                         lower_bound=1, flag_values=fv)
    for name in ("readings", "wide_readings"):
        flags.register_validator(name, lambda v: all(r in READINGS for r in v),
                                 message=f"--{name}: each reading must be one of {', '.join(READINGS)}",
                                 flag_values=fv)
    flags.register_validator("widths", lambda v: v is None or all(_positive(w) for w in v),
                             message="--widths must be positive numbers, e.g. 0.25,0.5,1.0", flag_values=fv)


def _positive(text):
    try:
        return float(text) > 0
    except ValueError:
        return False


def _label(reading, width):
    return f"{reading}_w{width:g}"


def declare(ctx):
    widths = [float(w) for w in (ctx.extra.get("widths") or
                                 DEFAULT_WIDTHS.get(ctx.scale.name, str(ctx.scale.width)).split(","))]
    steps = ctx.extra.get("steps") or (STEPS if ctx.scale.name != "test" else ctx.scale.steps)
    wide_steps = ctx.extra.get("wide_steps") or steps
    plan = [(r, widths[0], steps) for r in ctx.extra.get("readings") or READINGS]
    plan += [(r, w, wide_steps) for w in widths[1:] for r in ctx.extra.get("wide_readings") or ()]
    points, rows = [], []
    for reading, width, n in plan:
        model, overrides, text = READINGS[reading]
        cfg = ctx.config(model, **overrides).replace(width=width, steps=n)
        label = _label(reading, width)
        points.append(Point(label, cfg, title=f"{text}, width {width:g}, {n} iterations",
                            meta={"reading": reading, "width": width, "steps": n, "series": text}))
        rows.append(Row(f"{text}, width {width:g}, {n} it.", label, paper_note="study; no paper values"))
    panels = {w: [figures.Panel(f"{READINGS[r][2]}", _label(r, w)) for r, pw, _ in plan if pw == w] for w in widths}
    return Experiment(
        script="study_dmgan_readings", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Reading",
        title="Study: which readings of DMGAN learn on MNIST (issue 7)", value="score", class_columns=True,
        figures=[figures.Samples(f"samples_width{w:g}.png", f"Fixed-noise samples after "
                                 f"{steps if w == widths[0] else wide_steps} iterations, width {w:g} (conditional "
                                 f"runs: one class per row)", panels=panels[w], ncols=4, upscale=3) for w in widths],
        notes=["Every run: MNIST training split (60,000), batch 64, the iterations shown, seed as listed, Adam 2e-4 "
               "(0.5, 0.999), the 28x28 networks at the width shown (1.0 = the paper's). One thing changes per row.",
               "learns = issue 7's criterion on the classifier's predictions: ≥ 8 classes with ≥ 1% of the samples, "
               "no class above 30%, mean confidence ≥ 0.6, and ≥ 50% agreement with the conditioning label "
               "(conditional runs only).",
               "Within-class diversity / real: mean pairwise RMS pixel distance between samples the classifier puts "
               "in the same class, over the same statistic of real training images per true class (1 = as varied "
               "as real digits; 0 = one image per class)."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
