r"""KM-GAN Fig. 4: MNIST samples of (a) DCGAN, (b) KM-GAN without weight clipping, (c) KM-GAN with clipping
(KM-GAN reconstructed, METHODS §6).

    python reproduce/kmgan_fig4_weight_clipping.py --scale=full --inception_path=DIR
    python reproduce/kmgan_fig4_weight_clipping.py --scale=smoke --data_dir=DIR

All three train on the 70,000 MNIST images (§6.7) with the 28x28 networks at batch 64; DCGAN is the unconditional
baseline (§9). KM-GAN's clipping threshold is lost (D27 placeholder c = 0.1, `--clip`); (b) is `--clip=0`. Writes
kmgan_fig4_weight_clipping.png and table.md (score and class report of each; the paper gives no numbers). The
paper's claims: (b) is competitive with DCGAN, (c) equal or better. (c) is Fig. 3's KM-GAN run (run store).
"""
import sys

from mgan.experiments import cli
from mgan.experiments.kmgan import paper as kmgan_paper

PAPER_DATASET = "mnist"


def declare(ctx):
    return kmgan_paper.fig4_experiment(ctx, script="kmgan_fig4_weight_clipping")


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
