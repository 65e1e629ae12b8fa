r"""KM-GAN Fig. 7: CelebA 64x64 samples of DCGAN and the generalized KM-GAN (reconstructed, METHODS §6), and z
interpolations of KM-GAN.

    python reproduce/kmgan_fig7_celeba.py --scale=full --data_dir=DIR       # DIR/celeba.npz, or TFDS celeb_a
    python reproduce/kmgan_fig7_celeba.py --scale=smoke --dataset=cifar10 --data_dir=DIR   # a substitute

The generalized KM-GAN (K = 5, λ_g = 5: the paper's CelebA settings, §6.6) and unconditional DCGAN train on the
CelebA training faces, center-cropped and resized to 64x64, with the 64x64 networks (§3.3, D25 stand-in). Writes
kmgan_fig7_celeba_samples.png and kmgan_fig7_celeba_interpolation.png (--interp_rows rows of --interp_steps images
between random z_l and z_r). Without CelebA the script stops before training and says how to get it; --dataset runs
the pipeline on a substitute, named so in every output. The paper gives no numbers: samples are not scored.
"""
import sys

from mgan.experiments import cli
from mgan.experiments.kmgan import paper as kmgan_paper

PAPER_DATASET = "celeba"


def define_flags(fv):
    cli.define_interpolation_flags(fv, "METHODS §6.9: 10")


def declare(ctx):
    return kmgan_paper.celeba_experiment(ctx, script="kmgan_fig7_celeba", interp_rows=ctx.extra.get("interp_rows", 8),
                                         interp_steps=ctx.extra.get("interp_steps", 10))


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
