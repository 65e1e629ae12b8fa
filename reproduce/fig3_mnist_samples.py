r"""DMGAN Fig. 3: MNIST samples of (a) DCGAN, (b) regular DMGAN (λ 1.2, γ 1.0), (c) MBGAN (METHODS §4.9, §4.10).

    python reproduce/fig3_mnist_samples.py --scale=full --inception_path=DIR      # the paper's protocol (GPU)
    python reproduce/fig3_mnist_samples.py --scale=smoke --data_dir=DIR

Trains DCGAN and DMGAN on the 60,000 MNIST training images (D30) with the 28x28 networks (§3.3; "all GAN models use
the same network architectures"), draws each generator's grid from its fixed grid noise (same seed for every panel;
DMGAN is conditional, one class per row) and writes the 3-panel figure
results/fig3_mnist_samples/fig3_mnist_samples.png.
MBGAN (α 200, K 500, DMGAN §4.1; conditional, batch 64 as every DMGAN-paper model, the same 28x28 networks) is the
third panel. Each run is also scored with the chosen metric (table.md); the paper gives no numbers for this figure.
"""
import sys

from mgan.experiments import cli, figures
from mgan.experiments.dmgan import paper_values
from mgan.experiments.dmgan import baselines as dmgan_baselines
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "mnist"


def declare(ctx):
    lam = paper_values.LAMBDA["mnist"]
    points = [Point("dcgan", ctx.config("dcgan"), title="DCGAN", meta={"series": "DCGAN"}),
              Point("dmgan", ctx.config("dmgan", lam=lam, gamma=1.0), title=f"DMGAN, λ = {lam:g}, γ = 1.0",
                    meta={"series": "DMGAN", "lam": lam, "gamma": 1.0}),
              dmgan_baselines.mbgan_point(ctx)]
    no_values = "figure only; the paper gives no numbers"
    rows = [Row("(a) DCGAN", "dcgan", paper_note=no_values),
            Row(f"(b) DMGAN (λ {lam:g}, γ 1.0)", "dmgan", paper_note=no_values),
            Row(f"(c) {points[2].title}", points[2].label, paper_note=no_values)]
    return Experiment(
        script="fig3_mnist_samples", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Panel",
        title="DMGAN Fig. 3: MNIST samples of DCGAN, regular DMGAN and MBGAN", value="score",
        figures=[figures.Samples("fig3_mnist_samples.png", "DMGAN Fig. 3: generated MNIST samples", panels=[
            figures.Panel("DCGAN", "dcgan"), figures.Panel(f"regular DMGAN (λ {lam:g}, γ 1.0)", "dmgan"),
            figures.Panel(points[2].title, points[2].label)])],
        notes=["Paper's claim: DMGAN is comparable to DCGAN and has clearer backgrounds than MBGAN.",
               "Panels use the runs' fixed grid noise (seed of the run); DCGAN's noise is U(-1,1) and DMGAN's "
               "U(0,1) (D11), so the panels share the seed, not the noise values."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
