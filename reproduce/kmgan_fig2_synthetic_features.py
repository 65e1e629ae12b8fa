r"""KM-GAN Fig. 2: the discriminator's features of DCGAN and KM-GAN (reconstructed) during training on the synthetic
data, projected to 2-D and coloured by Gaussian.

    python reproduce/kmgan_fig2_synthetic_features.py --scale=full                 # the paper's protocol
    python reproduce/kmgan_fig2_synthetic_features.py --scale=smoke --proj=tsne

The paper's synthetic setup (Gaussians, mapping network, models: its Table 4.1) is lost, so the data and networks are
the **stand-in** of METHODS §6.7 (`--dataset=synthetic`, generated, no files needed): 10,000 points of four 2-D
Gaussians mapped to R^100 by a fixed random tanh MLP; MLP networks; K = 4. Each run keeps a checkpoint at each quarter
of its length; the features of 250 training points per Gaussian at each are projected (`--proj=pca|tsne`) and
drawn (kmgan_fig2_synthetic_features.png), with the silhouette score of the true classes as a quantitative aid that
is not in the paper. The paper's claim: KM-GAN's features show the 4-cluster structure more clearly.
"""
import sys

from absl import flags

from mgan.experiments import cli
from mgan.experiments.kmgan import figures as kmgan_figures
from mgan.experiments.kmgan import paper as kmgan_paper

PAPER_DATASET = "synthetic"


def define_flags(fv):
    flags.DEFINE_enum("proj", "pca", list(kmgan_figures.PROJECTIONS), "2-D projection of the features (METHODS "
                      "§6.9: pca | tsne)", flag_values=fv)


def declare(ctx):
    return kmgan_paper.fig2_experiment(ctx, script="kmgan_fig2_synthetic_features", proj=ctx.extra.get("proj", "pca"))


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
