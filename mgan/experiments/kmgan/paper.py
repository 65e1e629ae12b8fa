"""What the six KM-GAN-paper scripts share (METHODS §6.9): their points and experiments.

KM-GAN is **reconstructed** (its formulas were lost; METHODS §6.2-6.4, D12, D25-D27): every title says so. Every
KM-GAN-paper model trains on all the images of the data set (§6.7: 70,000 MNIST and Fashion-MNIST images, 60,000 of
CIFAR-10, D30) with the package's networks for the data (D25: the DMGAN backbone with the 500-D head; the KM-GAN
paper's own tables are lost) at batch 64 (D27), and K per §6.6 (4 synthetic, 10 for the labelled image sets, 5 on
CelebA).
"""
from mgan import data as data_lib
from mgan.experiments import figures
from mgan.experiments.dmgan import baselines as dmgan_baselines
from mgan.experiments.kmgan import paper_values
from mgan.experiments.kmgan import figures as kmgan_figures
from mgan.experiments.sweep import Experiment, Point, Row
from mgan.models import get_spec

RECONSTRUCTED = "KM-GAN (reconstructed)"
NO_VALUES = "figure only; no value of the paper survives"
RECONSTRUCTION_CHOICES = ("center loss R1, squared distances, a fake's class = its nearest fake center, fake "
                          "centers start as a copy of the real ones, σ 0.5, clipping 0.1, center-loss SGD rate 2e-4; "
                          "D12, D26, D27; each a flag of python -m mgan.train")
RECONSTRUCTION_NOTE = ("KM-GAN's equations were lost from the paper; every KM-GAN number here rests on the "
                       f"reconstruction of METHODS §6.2-6.4 ({RECONSTRUCTION_CHOICES}).")


def kmgan_split(ctx):
    """The KM-GAN paper's split for the data set in use: all its images (§6.7, D30)."""
    return get_spec("kmgan").data_splits.get(ctx.dataset, "train")


def _k(ctx):
    return paper_values.KMGAN_K.get(ctx.paper_dataset, 10)


def kmgan_point(ctx, label="kmgan", title=RECONSTRUCTED, **fields):
    """KM-GAN on the KM-GAN-paper settings: K per §6.6, all the data's images (§6.7)."""
    fields.setdefault("kmeans_k", _k(ctx))
    cfg = ctx.config("kmgan", split=kmgan_split(ctx), **fields)
    return Point(label, cfg, title=title, meta={"series": title, **{k: v for k, v in fields.items()
                                                                   if isinstance(v, (int, float, str))}})


def dcgan_point(ctx, conditional=False, label="dcgan", **fields):
    """The DCGAN baseline on the same images (unconditional; conditional in the CIFAR-10 IS table, D29)."""
    mode = "conditional" if conditional and data_lib.dataset_info(ctx.dataset).num_classes > 1 else "unlabeled"
    title = "DCGAN (conditional)" if mode == "conditional" else "DCGAN"
    return Point(label, ctx.config("dcgan", split=kmgan_split(ctx), label_mode=mode, **fields), title=title,
                 meta={"series": title})


# ----- Fig. 2: synthetic features -------------------------------------------------------------------------------
def _snapshot_finalize(proj):
    def finalize(results, exp, ctx):
        x, y = kmgan_figures.probe_set(ctx.dataset, ctx.data_dir or None)
        snaps, table = {}, {}
        for p in exp.points:
            run_dir = kmgan_figures.first_run(results, p.label, ctx)
            if run_dir is None:
                continue
            summary = kmgan_figures.projection_summary(kmgan_figures.feature_snapshots(run_dir, x), y, proj)
            snaps[p.label] = {"y": y, "snapshots": summary}
            table[p.label] = [{"step": s["step"], "silhouette": s["silhouette"]} for s in summary]
            exp.notes.append(f"{p.title}: silhouette of the true classes in D's features per kept checkpoint: " +
                             ", ".join(f"iteration {s['step']}: " + ("—" if s["silhouette"] is None else
                                                                    f"{s['silhouette']:.3f}") for s in summary))
        results["_feature_snapshots"] = snaps  # for the figure only (not written to results.json)
        results["feature_silhouettes"] = table
    return finalize


def fig2_experiment(ctx, script, proj, snapshots=4):
    """KM-GAN Fig. 2: D's features of DCGAN and KM-GAN on the synthetic stand-in at ``snapshots`` checkpoints."""
    points = [dcgan_point(ctx), kmgan_point(ctx)]
    every = max(1, points[0].config.steps // snapshots) if points[0].config.steps else None
    for p in points:  # checkpoint cadence does not change a run's key (runs.NON_RESULT_FIELDS)
        if every:
            p.config = p.config.replace(checkpoint_every=every, keep_checkpoints=snapshots)
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, row_header="Model", value="score",
        title="KM-GAN Fig. 2: discriminator features during training (synthetic stand-in)", score_samples=False,
        rows=[Row("(a) DCGAN", "dcgan", paper_note="figure only; the features of DCGAN show the clusters less clearly"),
              Row(f"(b) {RECONSTRUCTED}", "kmgan", paper_note="figure only; its features show the 4-cluster "
                  "structure more clearly")],
        finalize=_snapshot_finalize(proj),
        figures=[kmgan_figures.FeatureSnapshots("kmgan_fig2_synthetic_features.png", "KM-GAN Fig. 2: D's features of "
                                                "the probe points, coloured by Gaussian", ("dcgan", "kmgan"), proj)],
        notes=[RECONSTRUCTION_NOTE,
               "Synthetic stand-in (METHODS §6.7): the paper's Gaussians, mapping network and models are lost; four "
               "2-D Gaussians at the corners of a square of side 4 mapped to R^100 by a fixed random tanh MLP, and "
               "MLP networks (G 16->128->128->100, D 100->128->128->500 or ->1). K = 4.",
               f"Probe: {kmgan_figures.PROBE_PER_CLASS} training points per Gaussian. KM-GAN's features are its "
               "500-D metric head (what K-Means clusters); DCGAN's head is one logit, so its features are the last "
               "hidden layer (128-D). Both in inference mode, at every kept checkpoint (the run's last "
               f"{snapshots}).",
               "The silhouette score (scikit-learn, Euclidean, in the full feature space; 1 = tight separated "
               "clusters, about 0 = overlapping) is a quantitative aid, not in the paper."])


# ----- Figs. 3-5: MNIST and Fashion-MNIST -------------------------------------------------------------------------
def fig3_experiment(ctx, script):
    """KM-GAN Fig. 3: real data, reduced KM-GAN (pixel-space K-Means), KM-GAN; and KM-GAN without the center loss
    (the paper's sanity claim, said in its text, not a panel)."""
    points = [kmgan_point(ctx, "kmgan_reduced", f"reduced {RECONSTRUCTED} (K-Means on pixels)", kmeans_space="pixel"),
              kmgan_point(ctx),
              kmgan_point(ctx, "kmgan_no_center_loss", f"{RECONSTRUCTED} without the center loss",
                          center_sgd_lr=0.0)]
    rows = [Row("(b) reduced KM-GAN (pixel-space K-Means)", "kmgan_reduced",
                paper_note="figure only; the paper: it suffers mode collapse"),
            Row(f"(c) {RECONSTRUCTED}", "kmgan", paper_note="figure only; the paper: diverse digits"),
            Row("KM-GAN without the center loss (text, not a panel)", "kmgan_no_center_loss",
                paper_note="the paper: it fails to generate meaningful images even on MNIST")]
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, rows=rows, row_header="Panel",
        title="KM-GAN Fig. 3: K-Means in pixel space (reduced) vs feature space (MNIST)", value="score",
        class_columns=True,
        figures=[figures.Samples("kmgan_fig3_pixel_vs_feature.png", "KM-GAN Fig. 3: real data, reduced KM-GAN and "
                                 "KM-GAN (reconstructed); and without the center loss", panels=[
                                     figures.Panel("real data (training images)", real=ctx.dataset)] +
                                 [figures.Panel(p.title, p.label) for p in points], upscale=2)],
        notes=[RECONSTRUCTION_NOTE,
               "Panel (a) is presumably real data (METHODS §6.8); the reduced variant's feature centers follow the "
               "pixel clusters (§6.4, low confidence: how the paper built them is lost).",
               "'Without the center loss' is --center_sgd_lr=0 (step 2 skipped; L_c is still logged).",
               "The class columns (classes found, largest class share, confidence, diversity) come from the "
               "independent classifier of the metric; 'classes found' is the paper's collapse aid (METHODS §6.9)."])


def fig4_experiment(ctx, script):
    """KM-GAN Fig. 4: DCGAN, KM-GAN without clipping, KM-GAN with clipping (c = 0.1, D27)."""
    clip = get_spec("kmgan").defaults["clip"]
    points = [dcgan_point(ctx), kmgan_point(ctx, "kmgan_no_clip", f"{RECONSTRUCTED} without clipping", clip=0.0),
              kmgan_point(ctx, "kmgan", f"{RECONSTRUCTED} with clipping (c = {clip:g})")]
    claims = ["figure only", "figure only; the paper: competitive with DCGAN",
              "figure only; the paper: equal to or better than DCGAN"]
    rows = [Row(f"({'abc'[i]}) {p.title}", p.label, paper_note=c) for i, (p, c) in enumerate(zip(points, claims))]
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, rows=rows, row_header="Panel",
        title="KM-GAN Fig. 4: weight clipping (MNIST)", value="score", class_columns=True,
        figures=[figures.Samples("kmgan_fig4_weight_clipping.png", "KM-GAN Fig. 4: DCGAN, KM-GAN without and with "
                                 "weight clipping", panels=[figures.Panel(p.title, p.label) for p in points],
                                 upscale=2)],
        notes=[RECONSTRUCTION_NOTE,
               f"Clipping: every trainable D variable to [-{clip:g}, {clip:g}] after every optimizer step that "
               "changes D (D8; the threshold is lost, D27 placeholder). The reconstructed L_D is unbounded below "
               "without clipping (METHODS §6.3): if (b) diverges, suspect the reconstruction first.",
               "DCGAN: the unconditional baseline (§9) on the same networks, batch and images."])


FIG5_N_SAMPLES = 10000
FIG5_CLASSIFIER = {"widths": (32, 64, 128)}  # three conv layers (3x3 conv, ReLU, 2x2 max-pool each)


def _fig5_finalize(n_samples):
    def finalize(results, exp, ctx):
        import numpy as np

        from mgan.metrics import classifier

        net = classifier.get_classifier(ctx.dataset, data_dir=ctx.data_dir or None, progress=False,
                                        **FIG5_CLASSIFIER)
        x_tr, y_tr, *_ = classifier.split_train_test(ctx.dataset, ctx.data_dir or None, 0)
        train_acc = float(np.mean(np.argmax(net.logits_and_features(x_tr, progress=False)[0], 1) == y_tr))
        freq = {"n_samples": n_samples, "classifier": {
            "description": f"a 3-conv {ctx.dataset} CNN (train acc {100 * train_acc:.1f}%, test acc "
                           f"{100 * net.test_accuracy:.1f}%)", "train_accuracy": train_acc,
            "test_accuracy": net.test_accuracy, "id": net.id, "settings": net.info.get("settings")}, "points": {}}
        for p in exp.points:
            run_dir = kmgan_figures.first_run(results, p.label, ctx)
            if run_dir is not None:
                f, conf = kmgan_figures.class_frequencies(run_dir, net, n_samples)
                freq["points"][p.label] = {"frequency": f, "mean_confidence": conf}
                exp.notes.append(f"{p.title}: class shares " + ", ".join(f"{v:.3f}" for v in f) +
                                 f" (mean confidence {conf:.2f}; uniform {1 / len(f):.2f})")
        results["class_frequency"] = freq
    return finalize


def fig5_experiment(ctx, script):
    """KM-GAN Fig. 5: Fashion-MNIST samples of KM-GAN and DCGAN, and the class frequencies of 10,000 samples of
    each, labelled by a separately trained 3-conv classifier."""
    points = [kmgan_point(ctx), dcgan_point(ctx)]
    n = FIG5_N_SAMPLES if not ctx.scale.hidden else ctx.scale.n_samples
    names = paper_values.FASHION_CLASSES if ctx.dataset == "fashion_mnist" else ()
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, row_header="Panel", value="score",
        title="KM-GAN Fig. 5: Fashion-MNIST samples and class frequencies", class_columns=True,
        rows=[Row(f"(a) {RECONSTRUCTED}", "kmgan", paper_note="figure only; the paper: most classes near uniform, "
                  "'shirt' under-represented (values lost)"), Row("(b) DCGAN", "dcgan", paper_note=NO_VALUES)],
        finalize=_fig5_finalize(n),
        figures=[figures.Samples("kmgan_fig5_fashion_samples.png", "KM-GAN Fig. 5 (a, b): Fashion-MNIST samples",
                                 panels=[figures.Panel(p.title, p.label) for p in points], upscale=2),
                 kmgan_figures.ClassFrequency("kmgan_fig5_fashion_class_frequency.png", "KM-GAN Fig. 5 (c): class "
                                              "frequencies of generated images", ("kmgan", "dcgan"),
                                              class_names=names)],
        notes=[RECONSTRUCTION_NOTE,
               f"Class frequencies: {n:,} samples per model (sample seed 0) labelled by the arg-max of a separately "
               "trained CNN with three conv layers (3x3 conv + ReLU + 2x2 max-pool, 32/64/128 channels, dense 128; "
               "mgan.metrics.classifier) trained on the training split; its train and test accuracies are in the "
               "figure and results.json (the paper's are lost). The class columns of the table come from the "
               "metric's own classifier."])


# ----- the CIFAR-10 IS table and CelebA ------------------------------------------------------------------------
def kmgan_table3_point(ctx):
    """KM-GAN on CIFAR-10 for the KM-GAN IS table and DMGAN Table 3 (one run): the DMGAN-paper networks ('literal'
    at 32x32, D3: Table 3's models share one architecture), batch 64, all 60,000 images (D30), K 10."""
    fields = dmgan_baselines.dmgan_paper_fields(ctx)
    fields.pop("split")
    return kmgan_point(ctx, **fields)


def table_experiment(ctx, script):
    """The KM-GAN paper's CIFAR-10 IS table: KM-GAN, DCGAN and MBGAN (conditional, D29), WGAN; lost rows shown."""
    fields = dmgan_baselines.dmgan_paper_fields(ctx)
    points = [kmgan_table3_point(ctx), dcgan_point(ctx, conditional=True, label="dcgan_conditional",
                                                    layout=fields.get("layout", "auto")),
              dmgan_baselines.mbgan_point(ctx), dmgan_baselines.baseline_point(ctx, "wgan")]
    lost = "value lost from the paper"
    rows = [Row("WGAN", "wgan", paper_note=lost)]
    rows += [Row(name, None, status="not run: value not available (lost from the paper; not re-implemented)",
                 paper_note=lost) for name in paper_values.KMGAN_TABLE_LOST_ROWS]
    rows += [Row(points[2].title + " (conditional)", "mbgan", paper_note=lost),
             Row("DCGAN (conditional)", "dcgan_conditional", paper_note=lost),
             Row(RECONSTRUCTED, "kmgan", paper=paper_values.KMGAN_REFERENCE_IS,
                 paper_note="DMGAN Table 3's KM-GAN row (the KM-GAN paper's own value is lost)")]
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, rows=rows, row_header="Model",
        title="KM-GAN's CIFAR-10 Inception Score table", value="score", paper_metric="Inception Score",
        class_columns=True,
        figures=[figures.Samples("kmgan_fig6_cifar_samples.png", "KM-GAN Fig. 6: CIFAR-10 samples of MBGAN, DCGAN "
                                 "and KM-GAN", panels=[figures.Panel(points[2].title, "mbgan"),
                                                       figures.Panel("DCGAN (conditional)", "dcgan_conditional"),
                                                       figures.Panel(RECONSTRUCTED, "kmgan")], upscale=2)],
        notes=[RECONSTRUCTION_NOTE,
               "All of the table's values were lost; the only published KM-GAN CIFAR-10 IS is DMGAN Table 3's "
               "5.61 ± 0.09 (650 ms/iteration), a run by the same group (METHODS §6.8). The paper's claims: KM-GAN "
               "is much better than the unconditional rows, better than MLGAN and MBGAN, comparable to DCGAN.",
               "Every model trains on all 60,000 CIFAR-10 images (D30) with DMGAN Table 3's networks ('literal', "
               "D3) at batch 64, so the KM-GAN, MBGAN and WGAN runs are DMGAN Table 3's (run store). METHODS §6.5 "
               "names the §3.2 networks for KM-GAN on CIFAR-10; the issue asks for one run serving both tables, "
               "and Table 3's models share one architecture, so 'literal' is used (--layout=mbgan is the §6.5 "
               "reading). DCGAN and MBGAN are conditional, as the KM-GAN paper lists them (D29); WGAN is "
               "unconditional (§9).",
               "Improved GANs, MIX+WGAN, ALI and MLGAN are not implemented in the package (no value survives)."])


def celeba_experiment(ctx, script, interp_rows, interp_steps):
    """KM-GAN Fig. 7: generalized KM-GAN (K 5, λ_g 5) and DCGAN on CelebA 64x64; samples and interpolations."""
    k = paper_values.KMGAN_K["celeba"]
    lam = paper_values.KMGAN_CELEBA_REG_LAMBDA
    title = f"generalized {RECONSTRUCTED} (K {k}, λ_g {lam:g})"
    points = [dcgan_point(ctx), kmgan_point(ctx, title=title, kmeans_k=k, reg_lambda=lam)]
    return Experiment(
        script=script, paper_dataset=ctx.paper_dataset, points=points, row_header="Model", value="score",
        title="KM-GAN Fig. 7: CelebA samples and interpolations", score_samples=False,
        rows=[Row("DCGAN", "dcgan", paper_note=NO_VALUES), Row(title, "kmgan", paper_note=NO_VALUES)],
        figures=[figures.Samples("kmgan_fig7_celeba_samples.png", "KM-GAN Fig. 7: CelebA samples of DCGAN and "
                                 "generalized KM-GAN", panels=[figures.Panel(p.title, p.label) for p in points]),
                 figures.Interpolation("kmgan_fig7_celeba_interpolation.png", "KM-GAN Fig. 7: interpolations in z "
                                       "between z_l and z_r (generalized KM-GAN)", "kmgan", rows=interp_rows,
                                       steps=interp_steps)],
        notes=[RECONSTRUCTION_NOTE,
               f"Generalized KM-GAN: L_D + λ_g·L_intra and L_G + λ_g·L_inter (METHODS §6.3), λ_g {lam:g}, K {k} (the "
               "paper: 'since we could not find an appropriate K'). The paper's claims: smooth changes of hair "
               "colour, face angle, eyeglasses and smile along each row.",
               "CelebA 64x64 (crop per --celeba_crop), the 64x64 networks of §3.3 (D25 stand-in). Samples are not "
               "scored: the paper gives no numbers, and the offline classifier metric has no CelebA network."])
