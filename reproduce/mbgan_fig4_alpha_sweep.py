r"""MBGAN Fig. 4: CIFAR-10 samples for the margin scale α ∈ {0.2, 2, 20, 200} at K = 500, under both L1 reductions.

    python reproduce/mbgan_fig4_alpha_sweep.py --scale=full                  # the paper's protocol (GPU)
    python reproduce/mbgan_fig4_alpha_sweep.py --scale=smoke --data_dir=DIR
    python reproduce/mbgan_fig4_alpha_sweep.py --margin_reduction=sum ...    # one reading only

Conditional MBGAN on the 50,000 CIFAR-10 training images, MBGAN's networks and batch 128 (METHODS §5.3-5.4). The
margin h = α · L1(x_j, G(z)) (Eq. 4) is read two ways (D9): 'mean' over pixels (the package default) and 'sum' (as
printed, ~3,072 times larger at 32x32x3); both are run by default. The paper's claim: α 0.2 and 2 collapse (noise),
α 20 and 200 are stable. Writes one sample figure per reduction (mbgan_fig4_alpha_<reduction>.png) and, as a
quantitative aid that is NOT in the paper, the sample score per α (mbgan_fig4_score_vs_alpha.png, table.md with the
class report: classes found, agreement with the conditioning labels).
"""
import sys

from absl import flags

from mgan.experiments import cli
from mgan.experiments.mbgan import paper_values
from mgan.experiments.mbgan import paper as mbgan_paper

PAPER_DATASET = "cifar10"


def define_flags(fv):
    flags.DEFINE_enum("margin_reduction", "both", ["both", "mean", "sum"], "the L1 reading(s) of the margin (D9)",
                      flag_values=fv)


def declare(ctx):
    choice = ctx.extra.get("margin_reduction", "both")
    reductions = ("mean", "sum") if choice == "both" else (choice,)
    claims = {0.2: "collapses (noise)", 2.0: "collapses (noise)", 20.0: "stable", 200.0: "stable"}
    return mbgan_paper.sweep_experiment(
        ctx, script="mbgan_fig4_alpha_sweep", title="MBGAN Fig. 4: the margin scale α (CIFAR-10, K = 500)",
        param="alpha", values=paper_values.MBGAN_ALPHAS, claims=claims, reductions=reductions,
        point=lambda v, red: mbgan_paper.mbgan_point(ctx, alpha=v, k=paper_values.MBGAN_DEFAULT_K, reduction=red),
        xlabel="α (margin scale, log axis)", fig_stem="mbgan_fig4_alpha")


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
