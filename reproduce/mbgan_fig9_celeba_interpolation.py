r"""MBGAN Figs. 8-9: CelebA 64x64 samples of DCGAN and MBGAN, and MBGAN's interpolations in z.

    python reproduce/mbgan_fig9_celeba_interpolation.py --scale=full --data_dir=DIR     # DIR/celeba.npz, or TFDS
    python reproduce/mbgan_fig9_celeba_interpolation.py --scale=smoke --dataset=cifar10 --data_dir=DIR

Unconditional DCGAN and MBGAN (α 200, K 500; anchors from a second real batch, D21) on the 162,770 CelebA training
faces, center-cropped and resized to 64x64 (METHODS §5.5; the 'celeba64' networks of MBGAN Tables 1-2, batch 128).
Writes mbgan_fig8_celeba_samples.png and mbgan_fig9_celeba_interpolation.png: --interp_rows rows of --interp_steps
images z_m = λ z_l + (1 − λ) z_r between random z_l (left) and z_r (right). CelebA comes from --data_dir
(celeba.npz: x uint8 [N, 64, 64, 3]) or TFDS celeb_a; without it the script stops before training and says how to
get it. --dataset=<another> runs the same pipeline on a substitute (unconditional, its own networks), named a
substitute for CelebA in every output. The paper gives no numbers: samples are not scored.
"""
import sys

from mgan.experiments import cli
from mgan.experiments.mbgan import paper as mbgan_paper

PAPER_DATASET = "celeba"


def define_flags(fv):
    cli.define_interpolation_flags(fv)


def declare(ctx):
    return mbgan_paper.celeba_experiment(ctx, script="mbgan_fig9_celeba_interpolation",
                                         interp_rows=ctx.extra.get("interp_rows", 8),
                                         interp_steps=ctx.extra.get("interp_steps", 10))


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
