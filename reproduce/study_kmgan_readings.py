r"""Study (not a paper figure): which readings of the reconstructed KM-GAN learn on MNIST (issue 12; METHODS §6.3-6.4,
D12, D26, D27).

    python reproduce/study_kmgan_readings.py --scale=smoke --data_dir=DIR
    python reproduce/study_kmgan_readings.py --scale=smoke --readings=kmgan,plain --data_dir=DIR

KM-GAN's equations were lost; METHODS reconstructs them, and every reconstructed element is a flag. Each row is
KM-GAN on all 70,000 MNIST images (K 10, the 28x28 networks, batch 64, the scale's width and length: the KM-GAN
figures' settings) with one reading changed, plus DCGAN on the same images as the reference. Runs are shared with
kmgan_fig3_pixel_vs_feature.py and kmgan_fig4_weight_clipping.py through the run store. Every run is judged by the
offline MNIST classifier's class report (classes found, largest class share, confidence, within-class diversity;
never IS or FID) and its "learns" verdict; the training curves show the number of distinct fake classes per batch
and the losses. Writes table.md, results.json, study_kmgan_readings_samples.png and study_kmgan_readings_curves.png.
"""
import sys

from absl import flags

from mgan.experiments import cli, figures
from mgan.experiments.kmgan import paper as kmgan_paper
from mgan.experiments.sweep import Experiment, Row
from mgan.metrics.class_report import LEARNS_NOTE

PAPER_DATASET = "mnist"

# label -> (config overrides of KM-GAN, description); 'dcgan' is the reference. Everything not named is the default.
READINGS = {
    "dcgan": (None, "DCGAN (reference; unconditional)"),
    "kmgan": ({}, "KM-GAN defaults: R1, squared, fake class by fake centers, copy init, clip 0.1, SGD 2e-4"),
    "sklearn_reassign": ({"kmeans_reassign": "sklearn"}, "scikit-learn MiniBatchKMeans' reassignment of small "
                         "clusters (not in Sculley's algorithm)"),
    "k1": ({"kmeans_k": 1}, "K = 1: one real and one fake center (tests the center-collapse explanation)"),
    "plain": ({"squared": False}, "plain (non-squared) distances (D12 alternative)"),
    "r2": ({"center_loss_form": "R2"}, "center loss R2 (D12 alternative)"),
    "real_assign": ({"fake_assign": "real_centers"}, "a fake's class is its nearest real center (D26 alternative)"),
    "kmeanspp_init": ({"center_init": "kmeanspp"}, "fake centers by K-Means++ on the first fake batch (D26 alt.)"),
    "strong_center": ({"center_sgd_lr": 2e-2}, "center-loss SGD rate 2e-2 (100x the D27 placeholder)"),
    "no_clip": ({"clip": 0.0}, "no weight clipping (Fig. 4 (b))"),
    "no_center_loss": ({"center_sgd_lr": 0.0}, "without the center loss (the paper: fails even on MNIST)"),
    "reduced": ({"kmeans_space": "pixel"}, "reduced KM-GAN: K-Means in pixel space (the paper: collapses)"),
}


def define_flags(fv):
    flags.DEFINE_list("readings", list(READINGS), f"readings to run; choices: {', '.join(READINGS)}", flag_values=fv)
    flags.register_validator("readings", lambda v: bool(v) and set(v) <= set(READINGS),
                             message=f"--readings must name some of: {', '.join(READINGS)}", flag_values=fv)


def _point(ctx, label):
    fields, title = READINGS[label]
    if fields is None:
        return kmgan_paper.dcgan_point(ctx, label=label)
    return kmgan_paper.kmgan_point(ctx, label=label, title=f"KM-GAN: {title}", **fields)


def declare(ctx):
    labels = [r for r in READINGS if r in ctx.extra.get("readings", list(READINGS))]
    points = [_point(ctx, r) for r in labels]
    kmgan_labels = tuple(r for r in labels if r != "dcgan")
    return Experiment(
        script="study_kmgan_readings", paper_dataset=PAPER_DATASET, points=points, row_header="Reading",
        title="Study: which readings of the reconstructed KM-GAN learn (MNIST)", value="score", class_columns=True,
        rows=[Row(READINGS[r][1], r, paper_note="study (not in the paper)") for r in labels],
        figures=[figures.Samples("study_kmgan_readings_samples.png", "Reconstructed KM-GAN readings on MNIST",
                                 panels=[figures.Panel(READINGS[r][1], r) for r in labels], ncols=5, upscale=2),
                 figures.TrainingCurves("study_kmgan_readings_curves.png", "KM-GAN readings: training curves",
                                        metrics=(("fake_classes", "distinct fake classes per batch (of K)", 1),
                                                 ("real_classes", "distinct real classes per batch (of K)", 1),
                                                 ("g_loss", "L_G", 1)), labels=kmgan_labels, log_y=False)],
        notes=[kmgan_paper.RECONSTRUCTION_NOTE, LEARNS_NOTE,
               "Runs shared with the KM-GAN figures: 'kmgan' is Figs. 3-4's KM-GAN, 'no_clip' Fig. 4 (b), "
               "'no_center_loss' and 'reduced' Fig. 3's, 'dcgan' Fig. 4 (a)."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
