r"""KM-GAN Fig. 3: K-Means in pixel space (reduced KM-GAN) against feature space (KM-GAN) on MNIST; and KM-GAN without
the center loss (the paper's sanity claim). KM-GAN is reconstructed (METHODS §6).

    python reproduce/kmgan_fig3_pixel_vs_feature.py --scale=full --inception_path=DIR   # the paper's protocol
    python reproduce/kmgan_fig3_pixel_vs_feature.py --scale=smoke --data_dir=DIR

Reduced KM-GAN (`--kmeans_space=pixel`), KM-GAN and KM-GAN with `--center_sgd_lr=0` train on all 70,000 MNIST
images (§6.7) with K = 10 and the 28x28 networks (D25). Writes kmgan_fig3_pixel_vs_feature.png ((a) real training
images, (b) reduced KM-GAN, (c) KM-GAN, (d) without the center loss) and table.md with each model's score and the
class report of an independent classifier (classes found, largest class share: the paper's collapse aid). The
paper's claims: the reduced variant suffers mode collapse; without the center loss KM-GAN "fails to generate
meaningful images even on MNIST".
"""
import sys

from mgan.experiments import cli
from mgan.experiments.kmgan import paper as kmgan_paper

PAPER_DATASET = "mnist"


def declare(ctx):
    return kmgan_paper.fig3_experiment(ctx, script="kmgan_fig3_pixel_vs_feature")


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
