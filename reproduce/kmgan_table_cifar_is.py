r"""KM-GAN's CIFAR-10 Inception Score table (its "Table 4.4") and Fig. 6 (samples); KM-GAN reconstructed (METHODS §6).

    python reproduce/kmgan_table_cifar_is.py --scale=full --inception_path=DIR      # the paper's protocol (GPU)
    python reproduce/kmgan_table_cifar_is.py --scale=smoke --data_dir=DIR

KM-GAN (K = 10), conditional DCGAN and conditional MBGAN (the KM-GAN paper lists them as conditional, D29) and WGAN
train on all 60,000 CIFAR-10 images (D30) with DMGAN Table 3's networks at batch 64, and are scored (IS, METHODS
§10.3). Every value of the paper's table was lost: the KM-GAN row stands next to DMGAN Table 3's 5.61 ± 0.09 (the
only published KM-GAN CIFAR-10 IS); Improved GANs, MIX+WGAN, ALI and MLGAN are shown as "value not available".
KM-GAN, MBGAN and WGAN are DMGAN Table 3's runs (run store), where KM-GAN's row is filled with its time per
iteration. Writes table.md, results.json and kmgan_fig6_cifar_samples.png.
"""
import sys

from mgan.experiments import cli
from mgan.experiments.kmgan import paper as kmgan_paper

PAPER_DATASET = "cifar10"


def declare(ctx):
    return kmgan_paper.table_experiment(ctx, script="kmgan_table_cifar_is")


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
