r"""Study (not a paper figure): which readings of DMGAN learn on MNIST (issue 7; METHODS D2, D8, D13, D32, D33).

    python reproduce/study_dmgan_readings.py --scale=smoke --data_dir=DIR           # width 0.25 grid
    python reproduce/study_dmgan_readings.py --scale=smoke --widths=0.25,0.5,1.0 --data_dir=DIR

Every reading is regular DMGAN on MNIST (λ 1.2, γ 1.0, conditional, clip 0.1 on all D variables, squared L_ip: the
package defaults) with one thing changed, plus DCGAN as the reference. Each run is scored with the offline MNIST
classifier (never called IS or FID): classifier score and FD, the number of classes it finds (share ≥ 1%), the
largest class share, its mean confidence, the agreement of its prediction with the conditioning label, and the
within-class pixel diversity relative to real MNIST (mgan.metrics.class_report). "learns" is issue 7's criterion:
≥ 8 classes, none above 30%, mean confidence ≥ 0.6, label agreement ≥ 50% (conditional runs).

The full grid of readings runs at the first width of --widths (with every seed of --seeds for --multi_seed_readings,
the first seed for the others); the readings of --wide_readings also run at the other widths (first seed), to find
where learning breaks as the networks grow to the paper's size (width 1.0). Training length: --steps (default 1,300
iterations at every scale but the hidden test scale) and --wide_steps for the other widths.
"""
import sys

from absl import flags

from mgan.experiments import cli, figures
from mgan.metrics.class_report import DIVERSITY_NOTE, LEARNS_NOTE
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
CURVE_READINGS = ("dmgan", "lam0.8", "lam1.8", "plain")  # the training-curve figure: λ and width, learning or not
DEFAULT_WIDTHS = {"full": "1.0", "smoke": "0.25"}


def define_flags(fv):
    flags.DEFINE_list("widths", None, "network widths; the first runs every reading, the others --wide_readings "
                      "(default: 0.25 at smoke scale, 1.0 at full scale)", flag_values=fv)
    flags.DEFINE_list("readings", list(READINGS), f"readings at the first width; choices: {', '.join(READINGS)}",
                      flag_values=fv)
    flags.DEFINE_integer("steps", None, f"training iterations of every run (default {STEPS}; the test scale keeps "
                         "its own)", lower_bound=1, flag_values=fv)
    flags.DEFINE_list("wide_steps", None, "training iterations at each of the other widths, in the order of --widths "
                      "(one value: all of them; default: --steps)", flag_values=fv)
    flags.DEFINE_list("wide_readings", ["dcgan", "dmgan"], "readings also run at the other widths; READING@WIDTH runs "
                      "a reading at that width only", flag_values=fv)
    flags.DEFINE_list("multi_seed_readings", ["dmgan", "wadmgan", "wadmgan_norm"], "readings run with every seed of "
                      "--seeds at the first width (the others run the first seed only)", flag_values=fv)
    for name in ("readings", "wide_readings", "multi_seed_readings"):
        flags.register_validator(name, lambda v: all(r.split("@")[0] in READINGS and
                                                     (r.count("@") == 0 or _positive(r.split("@")[1])) for r in v),
                                 message=f"--{name}: each reading must be one of {', '.join(READINGS)} (optionally "
                                         f"READING@WIDTH in --wide_readings)", flag_values=fv)
    flags.register_validator("wide_steps", lambda v: v is None or all(s.isdigit() and int(s) > 0 for s in v),
                             message="--wide_steps must be positive integers", flag_values=fv)
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
    wide_steps = [int(s) for s in ctx.extra.get("wide_steps") or [steps]]
    if len(wide_steps) == 1:
        wide_steps = wide_steps * max(1, len(widths) - 1)
    if len(wide_steps) != max(1, len(widths) - 1):
        raise ValueError(f"--wide_steps gives {len(wide_steps)} values for {len(widths) - 1} other widths")
    plan = [(r, widths[0], steps) for r in ctx.extra.get("readings") or READINGS]
    for w, n in zip(widths[1:], wide_steps):
        for entry in ctx.extra.get("wide_readings") or ():
            reading, _, only = entry.partition("@")
            if not only or float(only) == w:
                plan.append((reading, w, n))
    multi = set(ctx.extra.get("multi_seed_readings") or ())
    points, rows = [], []
    for reading, width, n in plan:
        model, overrides, text = READINGS[reading]
        cfg = ctx.config(model, **overrides).replace(width=width, steps=n)
        label = _label(reading, width)
        seeds = None if (reading in multi and width == widths[0]) else ctx.seeds[:1]
        points.append(Point(label, cfg, title=f"{text}, width {width:g}, {n} iterations", seeds=seeds,
                            meta={"reading": reading, "width": width, "steps": n, "series": text}))
        rows.append(Row(f"{text}, width {width:g}, {n} it.", label, paper_note="study; no paper values"))
    panels = {w: [figures.Panel(f"{READINGS[r][2]}", _label(r, w)) for r, pw, _ in plan if pw == w] for w in widths}
    return Experiment(
        script="study_dmgan_readings", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Reading",
        title="Study: which readings of DMGAN learn on MNIST (issue 7)", value="score", class_columns=True,
        scale_note="width and length per row, set by this study: " + ", ".join(
            f"width {w:g}: {n} iterations" for w, n in [(widths[0], steps)] + list(zip(widths[1:], wide_steps))),
        figures=[figures.Samples(f"samples_width{w:g}.png", f"Fixed-noise samples (first seed), width {w:g} "
                                 f"(conditional runs: one class per row)", panels=panels[w], ncols=4, upscale=3)
                 for w in widths if panels[w]] + [figures.TrainingCurves(
                     "training_curves.png", "DMGAN training: the real-fake feature gap, L_ip and the center norms "
                     "per iteration (first seed)",
                     metrics=(("l_d", "gap mean ||D(G(z)) - D(x)|| (= -L_d)", -1), ("l_ip", "L_ip", 1),
                              ("fake_center_norm", "mean fake center norm", 1)),
                     labels=tuple(p.label for p in points if p.meta["reading"] in CURVE_READINGS))],
        notes=["Every run: MNIST training split (60,000), batch 64, the iterations shown, seed as listed, Adam 2e-4 "
               "(0.5, 0.999), the 28x28 networks at the width shown (1.0 = the paper's). One thing changes per row.",
               LEARNS_NOTE,
               DIVERSITY_NOTE])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
