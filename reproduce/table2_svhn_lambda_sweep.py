r"""DMGAN Table 2: FID of regular DMGAN on SVHN for λ ∈ {1.0, 1.4, 1.8, 2.2, 2.6, 3.0}, γ = 0.5 (METHODS §4.9).

    python reproduce/table2_svhn_lambda_sweep.py --scale=full --inception_path=DIR        # the paper's protocol (GPU)
    python reproduce/table2_svhn_lambda_sweep.py --scale=smoke --dataset=cifar10 --data_dir=DIR

The FID (METHODS §10.4: 50,000 samples against the SVHN training split) of each λ is written next to the paper's
Table 2 value in results/table2_svhn_lambda_sweep/table.md, with a plot of FID against λ (paper values overlaid).
SVHN uses its 73,257 training images (D30). Without SVHN, --dataset=cifar10 runs on CIFAR-10 (same 32x32x3 shape,
its training split) and every output names it as a substitute for SVHN.
"""
import sys

from mgan.experiments import cli, figures
from mgan.experiments.dmgan import paper_values
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "svhn"


def declare(ctx):
    lambdas = ctx.scale.lambdas or tuple(sorted(paper_values.TABLE2_FID))
    gamma = paper_values.TABLE2_GAMMA
    points = [Point(f"lam{lam:.1f}", ctx.config("dmgan", split="train", lam=lam, gamma=gamma),
                    title=f"DMGAN, λ = {lam:.1f}, γ = {gamma:g}", meta={"lam": lam, "series": "DMGAN"})
              for lam in lambdas]
    rows = [Row(f"λ = {lam:.1f}", label=f"lam{lam:.1f}", paper=(paper_values.TABLE2_FID[lam], None)
                if lam in paper_values.TABLE2_FID else None) for lam in lambdas]
    return Experiment(
        script="table2_svhn_lambda_sweep", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="λ",
        title="DMGAN Table 2: FID of regular DMGAN for λ (SVHN, γ = 0.5)", value="distance",
        paper_metric=paper_values.TABLE2_METRIC,
        figures=[figures.Curve("table2_fid_vs_lambda.png", x="lam", xlabel="λ (weight of the discriminative loss)",
                               title="DMGAN Table 2: distance to the training split vs λ (γ = 0.5; lower is better)",
                               paper=dict(paper_values.TABLE2_FID), paper_label="paper Table 2 (FID)")],
        notes=["The paper prints FIDs without std; the paper column shows '(std unknown)'.",
               "Paper: λ = 1.8 is chosen for SVHN from this table (METHODS §4.7)."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
