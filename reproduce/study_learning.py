r"""Study (not a paper figure): which generator and network details let every metric GAN learn MNIST with its paper's
networks (issue 21; METHODS D11, D18, D34, D35).

    # screen: width 0.5, one seed, the noise x projection-BN grid
    python reproduce/study_learning.py --scale=smoke --widths=0.5 --steps=1000 --data_dir=DIR \
        --out=results/study_learning/screen_w0.5
    # confirm at the paper's width with five seeds, for the configurations that enter a decision
    python reproduce/study_learning.py --scale=smoke --widths=1.0 --steps=1000 --seeds=0,1,2,3,4 \
        --models=dcgan,dmgan --noises=uniform11 --project_bns=unit --data_dir=DIR \
        --out=results/study_learning/full_w1

Every point is one model at its package defaults with the generator's noise (``--noise``), its projection
normalisation (``--g_project_bn``), the 28x28 layout, G's activation and the G steps per iteration (``--n_gen``, DMGAN
family and DCGAN) set as listed; DCGAN is the control (its own noise, U(-1, 1)). The models are the issue's: DMGAN
(λ 1.2, γ 1.0), waDMGAN (Eq. 7 as printed, and the weights normalised by their batch mean, D33), DMGAN-f, MBGAN as the
DMGAN paper reads it (α 200, K 500, batch 64, conditional), KM-GAN (reconstructed, §6) and DCGAN. Every run is scored
with the offline MNIST classifier (never called IS or FID): classifier score and FD, and the class report (classes
found, largest share, confidence, label agreement, within-class diversity against real MNIST).
"""
import itertools
import sys

from absl import flags

from mgan.experiments import cli, figures
from mgan.experiments.dmgan.baselines import dmgan_paper_fields
from mgan.experiments.sweep import Experiment, Point, Row
from mgan.metrics.class_report import DIVERSITY_NOTE, LEARNS_NOTE

PAPER_DATASET = "mnist"
STEPS = 1000

# label -> (model, config overrides, description). Everything not named is the package default.
MODELS = {
    "dcgan": ("dcgan", {}, "DCGAN (control; unconditional)"),
    "dmgan": ("dmgan", {}, "DMGAN (λ 1.2, γ 1.0)"),
    "wadmgan": ("wadmgan", {"wa_normalize": False}, "waDMGAN (Eq. 7 as printed)"),
    "wadmgan_norm": ("wadmgan", {"wa_normalize": True}, "waDMGAN (weights / batch mean)"),
    "dmgan_f": ("dmgan_f", {}, "DMGAN-f (γ = 0)"),
    "mbgan": ("mbgan", {"alpha": 200.0, "feature_dim": 500}, "MBGAN (α 200, K 500, batch 64, conditional)"),
    "kmgan": ("kmgan", {}, "KM-GAN (reconstructed)"),
}
NOISES = ("uniform01", "uniform11")
PROJECT_BNS = ("channel", "unit")
GRID_FLAGS = {  # flag -> (TrainConfig field, choices, default values, short tag for the label)
    "noises": ("noise", ("default",) + NOISES, NOISES, {"default": "zdef", "uniform01": "z01", "uniform11": "z11"}),
    "project_bns": ("g_project_bn", ("default",) + PROJECT_BNS, PROJECT_BNS,
                    {"default": "pdef", "channel": "pch", "unit": "pun"}),
    "layouts": ("layout", ("mnist", "mnist_s2"), ("mnist",), {"mnist": "", "mnist_s2": "s2"}),
    "g_activations": ("g_activation", ("default", "lrelu", "relu"), ("default",),
                      {"default": "", "lrelu": "lrelu", "relu": "relu"}),
    "n_gens": ("n_gen", ("1", "2"), ("1",), {"1": "", "2": "ng2"}),
    "label_concats": ("label_concat", ("input", "every_layer"), ("input",), {"input": "", "every_layer": "ycat"}),
}
LISTED_ONLY_WHEN_SET = ("layouts", "g_activations", "n_gens", "label_concats")  # said in a title when not default
N_GEN_MODELS = ("dcgan", "dmgan", "wadmgan", "dmgan_f", "mbgan")  # models with --n_gen
LABEL_CONCAT_MODELS = ("dmgan", "wadmgan", "dmgan_f", "mbgan")  # conditional in this study


def define_flags(fv):
    flags.DEFINE_list("models", list(MODELS), f"models; choices: {', '.join(MODELS)}", flag_values=fv)
    flags.register_validator("models", lambda v: bool(v) and all(m in MODELS for m in v),
                             message=f"--models: each must be one of {', '.join(MODELS)}", flag_values=fv)
    for name, (_, choices, default, _) in GRID_FLAGS.items():
        flags.DEFINE_list(name, list(default), f"values of the grid; choices: {', '.join(choices)} ('default': the "
                          f"model's own)", flag_values=fv)
        flags.register_validator(name, lambda v, c=choices: bool(v) and all(x in c for x in v),
                                 message=f"--{name}: each value must be one of {', '.join(choices)}", flag_values=fv)
    flags.DEFINE_list("widths", ["1.0"], "network widths (1.0 = the paper's)", flag_values=fv)
    flags.register_validator("widths", lambda v: bool(v) and all(_positive(w) for w in v),
                             message="--widths must be positive numbers, e.g. 0.5,1.0", flag_values=fv)
    flags.DEFINE_integer("steps", None, f"training iterations of every run (default {STEPS}; the test scale keeps "
                         "its own)", lower_bound=1, flag_values=fv)


def _positive(text):
    try:
        return float(text) > 0
    except ValueError:
        return False


def _label(model, combo, width):
    tags = [GRID_FLAGS[name][3][value] for name, value in combo]
    return "_".join([model] + [t for t in tags if t] + [f"w{width:g}"])


def _describe(combo):
    parts = []
    for name, value in combo:
        field_name = GRID_FLAGS[name][0]
        if value != "default" and not (name in LISTED_ONLY_WHEN_SET and value == GRID_FLAGS[name][2][0]):
            parts.append(f"{field_name} {value}")
    return ", ".join(parts) or "model defaults"


def _combos(ctx, model):
    values = []
    for name in GRID_FLAGS:
        chosen = ctx.extra.get(name) or list(GRID_FLAGS[name][2])
        if name == "noises" and model == "dcgan":
            chosen = ["default"]  # the control keeps its own noise, U(-1, 1)
        if name == "n_gens" and model not in N_GEN_MODELS:
            chosen = ["1"]
        if name == "label_concats" and model not in LABEL_CONCAT_MODELS:
            chosen = ["input"]
        values.append([(name, v) for v in dict.fromkeys(chosen)])
    return list(itertools.product(*values))


def declare(ctx):
    widths = [float(w) for w in ctx.extra.get("widths") or ["1.0"]]
    steps = ctx.extra.get("steps") or (STEPS if ctx.scale.name != "test" else ctx.scale.steps)
    points, rows = [], []
    for width in widths:
        for model_label in ctx.extra.get("models") or MODELS:
            model, overrides, text = MODELS[model_label]
            fields = dict(overrides)
            if model == "mbgan":
                fields.update(dmgan_paper_fields(ctx))  # MBGAN as a DMGAN baseline: the DMGAN paper's batch, split
            for combo in _combos(ctx, model_label):
                cfg_fields = dict(fields)
                for name, value in combo:
                    if value != "default":
                        field_name = GRID_FLAGS[name][0]
                        cfg_fields[field_name] = int(value) if field_name == "n_gen" else value
                cfg = ctx.config(model, **cfg_fields).replace(width=width, steps=steps)
                label = _label(model_label, combo, width)
                desc = _describe(combo)
                points.append(Point(label, cfg, title=f"{text}; {desc}; width {width:g}",
                                    meta={"model": model_label, "width": width, "steps": steps, "series": text,
                                          **{GRID_FLAGS[n][0]: v for n, v in combo}}))
                rows.append(Row(f"{text}; {desc}; width {width:g}", label, paper_note="study; no paper values"))
    panels = [figures.Panel(p.title, p.label) for p in points]
    return Experiment(
        script="study_learning", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Configuration",
        title="Study: which generator and network details let the metric GANs learn MNIST (issue 21)",
        value="score", class_columns=True,
        scale_note=f"width and length set by this study: width {', '.join(f'{w:g}' for w in widths)}, "
                   f"{steps} iterations",
        figures=[figures.Samples("samples.png", "Fixed-noise samples (first seed; conditional runs: one class per "
                                 "row)", panels=panels, ncols=4, upscale=3)],
        notes=["Every run: MNIST training split (60,000), batch 64, the iterations shown, Adam 2e-4 (0.5, 0.999), the "
               "28x28 networks at the width shown (1.0 = the paper's); what is not listed is the model's default.",
               LEARNS_NOTE,
               DIVERSITY_NOTE])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
