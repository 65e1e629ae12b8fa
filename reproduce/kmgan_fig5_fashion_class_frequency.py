r"""KM-GAN Fig. 5: Fashion-MNIST samples of KM-GAN (reconstructed, METHODS §6) and DCGAN, and the class frequencies of
their generated images.

    python reproduce/kmgan_fig5_fashion_class_frequency.py --scale=full --inception_path=DIR
    python reproduce/kmgan_fig5_fashion_class_frequency.py --scale=smoke --data_dir=DIR

KM-GAN (K = 10) and unconditional DCGAN train on all 70,000 Fashion-MNIST images (§6.7). A separately trained CNN
with three conv layers (its train and test accuracy recorded; the paper's are lost) labels 10,000 samples of each;
kmgan_fig5_fashion_class_frequency.png shows the share of each class (KM-GAN blue, DCGAN gray, as the paper) with
the uniform 0.1 line, kmgan_fig5_fashion_samples.png the samples. The paper's claims: most KM-GAN classes are near
0.1; "shirt" is under-represented.
"""
import sys

from mgan.experiments import cli
from mgan.experiments.kmgan import paper as kmgan_paper

PAPER_DATASET = "fashion_mnist"


def declare(ctx):
    return kmgan_paper.fig5_experiment(ctx, script="kmgan_fig5_fashion_class_frequency")


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
