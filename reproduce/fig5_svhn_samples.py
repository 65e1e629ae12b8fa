r"""DMGAN Fig. 5: SVHN samples of (a) DMGAN-f (γ = 0) and (b) DMGAN with updated centers (γ = 1.0), λ = 1.8.

    python reproduce/fig5_svhn_samples.py --scale=full --inception_path=DIR      # the paper's protocol (GPU)
    python reproduce/fig5_svhn_samples.py --scale=smoke --dataset=cifar10 --data_dir=DIR

The paper does not give γ for panel (b); METHODS D10 uses 1.0. Both runs are Fig. 4 points (same settings), so after
fig4_svhn_gamma_sweep.py this script trains nothing. Writes results/fig5_svhn_samples/fig5_svhn_samples.png (panels
(a), (b)) and scores both runs (table.md). Without SVHN, --dataset=cifar10 runs on CIFAR-10 and every output names
it as a substitute for SVHN.
"""
import sys

from mgan.experiments import cli, figures
from mgan.experiments.dmgan import paper_values
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "svhn"


def declare(ctx):
    lam = paper_values.LAMBDA["svhn"]
    # The same settings as Fig. 4's γ = 0 and γ = 1.0 points, so the run store shares their runs.
    points = [Point("gamma0.00", ctx.config("dmgan_f", split="train", lam=lam), title=f"DMGAN-f, λ = {lam:g}, γ = 0",
                    meta={"gamma": 0.0, "lam": lam, "series": "DMGAN-f"}),
              Point("gamma1.00", ctx.config("dmgan", split="train", lam=lam, gamma=1.0),
                    title=f"DMGAN, λ = {lam:g}, γ = 1", meta={"gamma": 1.0, "lam": lam, "series": "regular DMGAN"})]
    note = "figure only; the paper gives no numbers"
    rows = [Row("(a) DMGAN-f (γ = 0)", points[0].label, paper_note=note),
            Row("(b) DMGAN (γ = 1.0)", points[1].label, paper_note=note)]
    return Experiment(
        script="fig5_svhn_samples", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Panel",
        title="DMGAN Fig. 5: SVHN samples of DMGAN-f and DMGAN with updated centers (λ = 1.8)", value="distance",
        figures=[figures.Samples("fig5_svhn_samples.png", "DMGAN Fig. 5: generated samples", panels=[
            figures.Panel("DMGAN-f (fixed centers, γ = 0)", points[0].label),
            figures.Panel("DMGAN (updated centers, γ = 1.0)", points[1].label)])],
        notes=["Paper's claim: DMGAN-f is visibly worse than DMGAN with updated centers.",
               "γ of panel (b) is not given by the paper; 1.0 per METHODS D10."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
