r"""MBGAN Table 4: SVM accuracy on SVHN of DCGAN's and MBGAN's discriminator features; and MBGAN Fig. 7 (samples).

    python reproduce/mbgan_table4_svhn_svm.py --scale=full                   # the paper's protocol (GPU, SVHN)
    python reproduce/mbgan_table4_svhn_svm.py --scale=smoke --dataset=cifar10 --data_dir=DIR

The same experiment as mbgan_table3_cifar_svm.py on the 73,257 SVHN training digits (METHODS §5.5), tested on the
26,032 test digits, next to the paper's 0.890 (DCGAN) and 0.877 (MBGAN); --svm_n_train=1000 gives DCGAN's SVHN label
budget. SVHN comes from --data_dir (svhn.npz) or TFDS (svhn_cropped). Without it, --dataset=cifar10 runs on CIFAR-10
and every output names it a substitute for SVHN (the runs are then those of mbgan_table3_cifar_svm.py, shared).
Writes mbgan_fig7_svhn_samples.png (MBGAN Fig. 7: (a) DCGAN, (b) MBGAN; the paper: "no distinct difference").
"""
import sys

from mgan.experiments import cli
from mgan.experiments.mbgan import paper_values
from mgan.experiments.mbgan import paper as mbgan_paper

PAPER_DATASET = "svhn"
define_flags = mbgan_paper.define_svm_flags


def declare(ctx):
    return mbgan_paper.table_experiment(
        ctx, script="mbgan_table4_svhn_svm", title="MBGAN Table 4: SVM accuracy on SVHN",
        fig=("mbgan_fig7_svhn_samples.png", "MBGAN Fig. 7: SVHN samples of DCGAN and MBGAN"),
        paper=paper_values.MBGAN_TABLE4_SVM)


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
