r"""MBGAN Table 3: SVM accuracy on CIFAR-10 of DCGAN's and MBGAN's discriminator features; and MBGAN Fig. 3 (samples).

    python reproduce/mbgan_table3_cifar_svm.py --scale=full                  # the paper's protocol (GPU)
    python reproduce/mbgan_table3_cifar_svm.py --scale=smoke --data_dir=DIR

DCGAN (unconditional, D29) and conditional MBGAN (α 200, K 500: D24) train on the 50,000 CIFAR-10 training images
with the MBGAN paper's 32x32 networks ('mbgan', D3) and batch 128 (METHODS §5.4). Each discriminator is then scored by
the SVM protocol of METHODS §5.6 (mgan.metrics.svm; --svm_n_train, --svm_C), next to the paper's 0.758 (DCGAN) and
0.768 (MBGAN), with the feature dimension obtained next to the paper's 18,432. Each run's samples are also scored
with the sample metric (classifier score at smoke scale; in results.json). Writes table.md, results.json and
mbgan_fig3_cifar_samples.png (MBGAN Fig. 3: (a) DCGAN, (b) MBGAN; the paper: "no visual differences").
"""
import sys

from mgan.experiments import cli
from mgan.experiments.mbgan import paper_values
from mgan.experiments.mbgan import paper as mbgan_paper

PAPER_DATASET = "cifar10"
define_flags = mbgan_paper.define_svm_flags


def declare(ctx):
    return mbgan_paper.table_experiment(
        ctx, script="mbgan_table3_cifar_svm", title="MBGAN Table 3: SVM accuracy on CIFAR-10",
        fig=("mbgan_fig3_cifar_samples.png", "MBGAN Fig. 3: CIFAR-10 samples of DCGAN and MBGAN"),
        paper=paper_values.MBGAN_TABLE3_SVM)


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
