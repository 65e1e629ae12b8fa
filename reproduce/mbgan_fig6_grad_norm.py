r"""MBGAN Fig. 6: "the gradient norm of MBGAN's generator over iterations" (CIFAR-10).

    python reproduce/mbgan_fig6_grad_norm.py --scale=full                    # the paper's protocol (GPU)
    python reproduce/mbgan_fig6_grad_norm.py --scale=smoke --data_dir=DIR

Conditional MBGAN (α 200, K 500, D24) on the 50,000 CIFAR-10 training images with MBGAN's networks and batch 128: the
run of mbgan_table3_cifar_svm.py (shared; run this script first and the run logs every iteration). The model logs
tf.linalg.global_norm of ∇θ_G L_G at its G step (MBGAN.generator_steps) into metrics.jsonl; this script plots it
against the iteration (mbgan_fig6_grad_norm.png), with the window the log averages over (log_every of the run: 1
when this script trained it). The paper gives no values; its claims: the norm "steadily remains above 0 with a large
margin", and equilibrium comes "after a few epochs". table.md gives the run's sample score and, as aids that are not
in the paper, the norm's first, smallest and last values.
"""
import sys

from mgan.experiments import cli
from mgan.experiments.mbgan import paper as mbgan_paper

PAPER_DATASET = "cifar10"


def declare(ctx):
    return mbgan_paper.grad_norm_experiment(ctx, script="mbgan_fig6_grad_norm")


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
