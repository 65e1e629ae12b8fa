"""What the six MBGAN-paper scripts share (METHODS §5.7): their points, the SVM flags and protocol, the sample panels.

Every MBGAN-paper experiment trains the MBGAN paper's way (D3, D24, D30): layout 'mbgan' at 32x32 ('celeba64' at
64x64), batch 128, the training split only (50,000 CIFAR-10 images; 73,257 SVHN digits), for MBGAN and for its DCGAN
baseline (unconditional, D29). MBGAN is conditional unless the data set has no labels (CelebA, D21).
"""
from absl import flags

from mgan import data as data_lib
from mgan.experiments import figures
from mgan.experiments.mbgan import paper_values
from mgan.experiments.sweep import Experiment, Point, Row, SVMProtocol
from mgan.models import MBGAN_PAPER_BATCH
from mgan.nets.networks import default_layout


def _steps(ctx):
    """A budget in iterations (smoke, test) keeps the scale's number of training images at batch 128."""
    return max(1, ctx.scale.steps * 64 // MBGAN_PAPER_BATCH) if ctx.scale.steps else 0


def paper_config(ctx, model, **fields):
    """A config of ``model`` on the MBGAN paper's settings: its layout, batch 128, the training split."""
    shape = data_lib.dataset_info(ctx.dataset).example_shape
    base = {"layout": default_layout(shape, family="mbgan"), "batch_size": MBGAN_PAPER_BATCH, "split": "train"}
    cfg = ctx.config(model, **{**base, **fields})
    return cfg.replace(steps=_steps(ctx)) if ctx.scale.steps else cfg


def scale_note(ctx):
    """The budget of MBGAN-paper points, said in every table and figure (it differs from the scale's at smoke)."""
    if not ctx.scale.steps:
        return ""
    steps = _steps(ctx)
    return (f"width {ctx.scale.width:g}, batch {MBGAN_PAPER_BATCH}, {steps} iterations = the {ctx.scale.name} "
            f"budget's {ctx.scale.steps * 64:,} training images")


def label_mode(ctx):
    return "conditional" if data_lib.dataset_info(ctx.dataset).num_classes > 1 else "unlabeled"


def dcgan_point(ctx, **fields):
    """DCGAN as the MBGAN paper retrained it: unconditional (D29), the MBGAN networks and batch."""
    return Point("dcgan", paper_config(ctx, "dcgan", **fields), title="DCGAN",
                 meta={"series": "DCGAN"})


def mbgan_point(ctx, alpha=200.0, k=paper_values.MBGAN_DEFAULT_K, reduction="mean", label=None, mode=None,
                **fields):
    """MBGAN at (α, K, margin reduction) on the MBGAN-paper settings; α 200 and K 500 are D24's defaults; ``mode``
    (label mode) defaults to conditional on labelled data (D21)."""
    mode = mode or label_mode(ctx)
    cfg = paper_config(ctx, "mbgan", alpha=float(alpha), feature_dim=int(k), margin_reduction=reduction,
                       label_mode=mode, **fields)
    title = f"MBGAN (α {alpha:g}, K {k}, {reduction} L1{', unconditional' if mode == 'unlabeled' else ''})"
    return Point(label or f"mbgan_alpha{alpha:g}_k{k}_{reduction}", cfg, title=title,
                 meta={"series": f"MBGAN, {reduction} L1 margin", "alpha": float(alpha), "K": int(k),
                       "margin_reduction": reduction})


def define_svm_flags(fv):
    flags.DEFINE_integer("svm_n_train", None, "labelled training images of the SVM (default: the whole training "
                         "split at full scale, 5,000 at smoke scale); 1000 = DCGAN's SVHN label budget", lower_bound=10,
                         flag_values=fv)
    flags.DEFINE_float("svm_C", None, "SVM C (default: chosen by 5-fold cross-validation)", lower_bound=0.0,
                       flag_values=fv)
    flags.register_validator("svm_C", lambda v: v is None or v > 0, message="--svm_C must be > 0", flag_values=fv)


def svm_protocol(ctx):
    from mgan.metrics import svm

    n = ctx.extra.get("svm_n_train")
    return SVMProtocol(n_train=n if n is not None else ctx.scale.svm_n_train, C=ctx.extra.get("svm_C"),
                       Cs=tuple(svm.DEFAULT_CS), folds=svm.DEFAULT_FOLDS)


SVM_NOTES = [
    "SVM protocol (METHODS §5.6, D31): post-LeakyReLU activations of every D conv layer, D in inference mode, each "
    "max-pooled to 4x4, concatenated, z-scored with training statistics; scikit-learn LinearSVC (L2, squared hinge) "
    "with C by 5-fold stratified cross-validation, refit on the training images, accuracy on the test split.",
    "Feature size: the paper says 18,432; the MBGAN D of METHODS §3.2 gives 16 · (64 + 128 + 256 + 512) = 15,360 at "
    "full width. Ours is in the 'feature dim' column (at smoke scale the networks are 0.25 wide, so 3,840).",
    "The paper's DCGAN row is the authors' retrained DCGAN (DCGAN's own 0.828 used a D trained on ImageNet).",
]


def table_experiment(ctx, script, title, fig, paper):
    """MBGAN Tables 3-4: DCGAN and MBGAN scored by the SVM protocol, and the samples figure (Fig. 3 or 7)."""
    points = [dcgan_point(ctx), mbgan_point(ctx, label="mbgan")]
    rows = [Row("DCGAN", "dcgan", paper=(paper["DCGAN"], None)), Row("MBGAN", "mbgan", paper=(paper["MBGAN"], None))]
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, rows=rows, row_header="Method", title=title,
        value="svm_accuracy", paper_metric=paper_values.MBGAN_SVM_METRIC, svm=svm_protocol(ctx),
        scale_note=scale_note(ctx),
        figures=[figures.Samples(fig[0], fig[1], panels=[figures.Panel("DCGAN", "dcgan"),
                                                         figures.Panel(points[1].title, "mbgan")])],
        notes=SVM_NOTES + ["The α behind the paper's tables is not stated: α 200, K 500 (D24). The paper's "
                           "experiments use the conditional model (Eqs. 5-6; D21), so MBGAN is conditional here."])


NOT_IN_PAPER = "figure only (no numbers in the paper); our score is a quantitative aid, not in the paper"


def sweep_experiment(ctx, script, title, param, values, claims, reductions, point, xlabel, fig_stem):
    """MBGAN Figs. 4-5: one point per (value of ``param``, margin reduction), a sample figure per reduction, and the
    sample score against the value (METHODS §5.7: a quantitative aid, marked as not in the paper)."""
    points, rows, sample_figs = [], [], []
    for red in reductions:
        pts = [point(v, red) for v in values]
        points += pts
        rows += [Row(f"{param} = {v:g} ({red} L1)", p.label, paper_note=f"the paper: {claims[v]}; {NOT_IN_PAPER}")
                 for v, p in zip(values, pts)]
        sample_figs.append(figures.Samples(
            f"{fig_stem}_{red}.png", f"{title}: samples per {param} ({red} L1 margin)", ncols=len(values),
            panels=[figures.Panel(f"{param} = {v:g}: the paper says {claims[v]}", p.label)
                    for v, p in zip(values, pts)]))
    score_fig = figures.Curve(f"{fig_stem.rsplit('_', 1)[0]}_score_vs_{param.lower()}.png", x=param,
                              xlabel=xlabel, log_x=True,
                              title=f"{title}: sample score per {param} (NOT in the paper: a quantitative aid)")
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, rows=rows, row_header=param, title=title,
        value="score", figures=sample_figs + [score_fig], class_columns=True, scale_note=scale_note(ctx),
        notes=[f"The paper shows samples only; the score and class report per {param} are ours (METHODS §5.7).",
               "Conditional MBGAN (D21): grids have one class per row, so a collapsed model shows identical rows."])


def grad_norm_summary(run_dir):
    """First, smallest (and where) and last logged G gradient norm of a run, and the logging window."""
    from mgan.training import manifest as run_manifest

    rows = [r for r in figures.read_metrics_log(run_dir) if "g_grad_norm" in r]
    if not rows:
        return None
    window = run_manifest.read(run_dir, required=True)["config"].get("log_every")
    low = min(rows, key=lambda r: r["g_grad_norm"])
    tail = [r["g_grad_norm"] for r in rows[-max(1, len(rows) // 10):]]
    return {"first": rows[0]["g_grad_norm"], "min": low["g_grad_norm"], "min_step": low["step"],
            "last_tenth_mean": sum(tail) / len(tail), "n_logged": len(rows), "log_every": window}


def _grad_norm_notes(results, exp, ctx):
    from mgan.experiments.runs import run_dir_of

    pt = results["points"]["mbgan"]
    if not pt["per_seed"]:
        return
    s = grad_norm_summary(run_dir_of(pt["per_seed"][0], ctx.runs_dir))
    if s:
        exp.notes.append(
            f"Not in the paper (aids): ‖∇θ_G L_G‖ first logged {s['first']:.4g}, smallest {s['min']:.4g} (iteration "
            f"{s['min_step']}), mean of the last tenth of the log {s['last_tenth_mean']:.4g}; {s['n_logged']} log "
            f"lines, each the mean over {s['log_every']} iteration(s).")
        results["grad_norm_summary"] = s


def grad_norm_experiment(ctx, script):
    """MBGAN Fig. 6: the G gradient norm of the Table 3 MBGAN run against the iteration."""
    p = mbgan_point(ctx, label="mbgan", log_every=1)
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=[p], title="MBGAN Fig. 6: gradient norm of G",
        rows=[Row(p.title, "mbgan", paper_note="figure only; values unknown (the norm stays well above 0)")],
        row_header="Model", value="score", scale_note=scale_note(ctx), finalize=_grad_norm_notes,
        figures=[figures.TrainingCurves("mbgan_fig6_grad_norm.png", "MBGAN Fig. 6: L2 norm of G's gradients",
                                        metrics=(("g_grad_norm", "‖∇θ_G L_G‖₂ (global norm)", 1),
                                                 ("hinge_active", "share of triplets with an active hinge", 1)),
                                        labels=("mbgan",), log_y=False)],
        notes=["The paper's claims: the norm steadily remains above 0 with a large margin; equilibrium after a few "
               "epochs."])


def celeba_experiment(ctx, script, interp_rows, interp_steps):
    """MBGAN Figs. 8-9: unconditional DCGAN and MBGAN on CelebA 64x64; samples and z interpolations (no scores)."""
    points = [dcgan_point(ctx), mbgan_point(ctx, label="mbgan", mode="unlabeled")]
    note = "figure only; the paper gives no numbers"
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, title="MBGAN Figs. 8-9: CelebA samples and "
        "interpolations", rows=[Row("DCGAN", "dcgan", paper_note=note), Row(points[1].title, "mbgan", paper_note=note)],
        row_header="Model", value="score", score_samples=False, scale_note=scale_note(ctx),
        figures=[figures.Samples("mbgan_fig8_celeba_samples.png", "MBGAN Fig. 8: CelebA samples of DCGAN and MBGAN",
                                 panels=[figures.Panel("DCGAN", "dcgan"), figures.Panel(points[1].title, "mbgan")]),
                 figures.Interpolation("mbgan_fig9_celeba_interpolation.png", "MBGAN Fig. 9: interpolations in z "
                                       "(MBGAN)", "mbgan", rows=interp_rows, steps=interp_steps)],
        notes=["The paper's claims: no significant difference between DCGAN and MBGAN (Fig. 8); smooth changes of "
               "hair colour and style, sex, mouth and sunglasses along each row (Fig. 9).",
               "Unconditional (CelebA has no labels; D21: the anchors are a second, independent real batch). "
               f"Interpolation steps: {interp_steps} (not stated in the paper; METHODS §5.6, interp_steps).",
               "Samples are not scored: the paper gives no numbers for these figures, and the offline classifier "
               "metric has no CelebA network."])
