r"""DMGAN Fig. 7: CIFAR-10 samples of (a) waDMGAN, (b) regular DMGAN (λ 1.2, γ 1.0), (c) MBGAN (METHODS §4.9-4.10).

    python reproduce/fig7_cifar_samples.py --scale=full --inception_path=DIR      # the paper's protocol (GPU)
    python reproduce/fig7_cifar_samples.py --scale=smoke --data_dir=DIR

waDMGAN and DMGAN train on all 60,000 CIFAR-10 images (D30) with λ 1.2, γ 1.0: these are Fig. 6's γ = 1.0 points
(shared runs). MBGAN (α 200, K 500, DMGAN §4.1) is trained as a DMGAN baseline: the
same 'literal' networks (D3), batch 64, the same 60,000 images; it is Table 3's MBGAN run (shared). Writes
results/fig7_cifar_samples/fig7_cifar_samples.png. Every run is scored (table.md).
"""
import sys

from mgan.experiments import cli, figures
from mgan.experiments.dmgan import paper_values
from mgan.experiments.dmgan import baselines as dmgan_baselines
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "cifar10"


def declare(ctx):
    lam = paper_values.LAMBDA["cifar10"]
    # Fig. 6's γ = 1.0 settings and labels: the run store shares the runs.
    points = [Point("wadmgan_gamma1.00", ctx.config("wadmgan", lam=lam, gamma=1.0),
                    title=f"waDMGAN, λ = {lam:g}, γ = 1",
                    meta={"gamma": 1.0, "lam": lam, "series": "waDMGAN"}),
              Point("dmgan_gamma1.00", ctx.config("dmgan", lam=lam, gamma=1.0), title=f"DMGAN, λ = {lam:g}, γ = 1",
                    meta={"gamma": 1.0, "lam": lam, "series": "regular DMGAN"}),
              dmgan_baselines.mbgan_point(ctx)]
    note = "figure only; the paper gives no numbers"
    rows = [Row(f"(a) waDMGAN (λ {lam:g}, γ 1.0)", points[0].label, paper_note=note),
            Row(f"(b) DMGAN (λ {lam:g}, γ 1.0)", points[1].label, paper_note=note),
            Row(f"(c) {points[2].title}", points[2].label, paper_note=note)]
    return Experiment(
        script="fig7_cifar_samples", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Panel",
        title="DMGAN Fig. 7: CIFAR-10 samples of waDMGAN, regular DMGAN and MBGAN", value="score",
        figures=[figures.Samples("fig7_cifar_samples.png", "DMGAN Fig. 7: generated CIFAR-10 samples", panels=[
            figures.Panel(f"waDMGAN (λ {lam:g}, γ 1.0)", points[0].label),
            figures.Panel(f"regular DMGAN (λ {lam:g}, γ 1.0)", points[1].label),
            figures.Panel(points[2].title, points[2].label)])],
        notes=["Paper's claims: waDMGAN has clearer background detail; MBGAN suffers from a serious lack of details."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
