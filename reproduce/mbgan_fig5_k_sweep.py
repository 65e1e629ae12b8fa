r"""MBGAN Fig. 5: "the effects of different dimensions for output features", K ∈ {5, 50, 500, 5000}, α = 20, CIFAR-10.

    python reproduce/mbgan_fig5_k_sweep.py --scale=full                      # the paper's protocol (GPU)
    python reproduce/mbgan_fig5_k_sweep.py --scale=smoke --data_dir=DIR

Conditional MBGAN on the 50,000 CIFAR-10 training images, MBGAN's networks and batch 128, α 20 with the 'mean' L1
margin (D9); K is D's output dimension. The K = 500 point is Fig. 4's α = 20 point (shared run). The paper's claim:
K 5 and 50 collapse, K 500 and 5000 are stable. Writes mbgan_fig5_k_mean.png (a grid per K) and, as a quantitative
aid NOT in the paper, the sample score per K (mbgan_fig5_score_vs_k.png, table.md with the class report).
"""
import sys

from mgan.experiments import cli
from mgan.experiments.mbgan import paper_values
from mgan.experiments.mbgan import paper as mbgan_paper

PAPER_DATASET = "cifar10"


def declare(ctx):
    claims = {5: "collapses", 50: "collapses", 500: "stable", 5000: "stable"}
    alpha = paper_values.MBGAN_FIG5_ALPHA
    return mbgan_paper.sweep_experiment(
        ctx, script="mbgan_fig5_k_sweep", title=f"MBGAN Fig. 5: the feature dimension K (CIFAR-10, α = {alpha:g})",
        param="K", values=paper_values.MBGAN_KS, claims=claims, reductions=("mean",),
        point=lambda v, red: mbgan_paper.mbgan_point(ctx, alpha=alpha, k=v, reduction=red),
        xlabel="K (feature dimension, log axis)", fig_stem="mbgan_fig5_k")


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
