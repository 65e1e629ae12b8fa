r"""DMGAN Table 3: Inception Score and time per iteration on CIFAR-10, every row (METHODS §4.9, §4.10, §10.6).

    python reproduce/table3_cifar_is.py --scale=full --inception_path=DIR      # the paper's protocol (GPU)
    python reproduce/table3_cifar_is.py --scale=smoke --data_dir=DIR

DMGAN and waDMGAN (λ 1.2, γ 1.0 per D10; Fig. 6's γ = 1.0 runs, shared) and the DCGAN baseline (§9) train on all
60,000 CIFAR-10 images with the 'literal' 32x32 networks (D3: the paper says all Table 3 models share one
architecture) and are scored now (IS, METHODS §10.3). The time column is measured in this script run with
mgan.training.timing.measure_interleaved for each trained model at the run's network width and batch 64 (§10.6), with
its ratio to DCGAN next to the paper's ratio; the device is recorded. MBGAN (α 200, K 500, DMGAN §4.1) is trained as a
DMGAN baseline: conditional, the same 'literal' networks, batch 64, the same 60,000 images (the Fig. 7 MBGAN run,
shared). WGAN, WGAN-GP and SAGAN follow their own papers and reference code (METHODS §9: losses, optimizers, clipping or
penalty, self-attention and spectral normalization), unconditional (D29), on the same networks, batch and data.
KM-GAN is the reconstruction of METHODS §6 (K 10, the same networks, batch and 60,000 images; the run of
kmgan_table_cifar_is.py, shared); MLGAN-clipping shows its paper value only (METHODS D14).
"""
import sys

from mgan.experiments import cli, figures
from mgan.experiments.dmgan import paper_values
from mgan.experiments.dmgan import baselines as dmgan_baselines
from mgan.experiments.kmgan import paper as kmgan_paper
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "cifar10"
TRAINED = {"DCGAN": "dcgan", "WGAN": "wgan", "MBGAN": "mbgan", "WGAN-GP": "wgan_gp", "SAGAN": "sagan",
           "DMGAN": "dmgan_gamma1.00", "waDMGAN": "wadmgan_gamma1.00", "KM-GAN": "kmgan"}
ROW_NAMES = {"KM-GAN": kmgan_paper.RECONSTRUCTED}
NOT_RUN = {"MLGAN-clipping": "paper value, not reproduced (losses unavailable, METHODS D14)"}


def declare(ctx):
    lam, gamma = paper_values.LAMBDA["cifar10"], paper_values.GAMMA_TABLE3
    points = [Point("dcgan", ctx.config("dcgan"), title="DCGAN", meta={"series": "DCGAN"}),
              # Fig. 6's γ = 1.0 settings and labels: the run store shares the runs.
              Point("dmgan_gamma1.00", ctx.config("dmgan", lam=lam, gamma=gamma), title=f"DMGAN, λ {lam:g}, γ 1",
                    meta={"gamma": gamma, "lam": lam, "series": "regular DMGAN"}),
              Point("wadmgan_gamma1.00", ctx.config("wadmgan", lam=lam, gamma=gamma),
                    title=f"waDMGAN, λ {lam:g}, γ 1",
                    meta={"gamma": gamma, "lam": lam, "series": "waDMGAN"}),
              dmgan_baselines.mbgan_point(ctx)] + [dmgan_baselines.baseline_point(ctx, m)
                                                   for m in ("wgan", "wgan_gp", "sagan")] + [
                  kmgan_paper.kmgan_table3_point(ctx)]
    rows = []
    for name, mean, std, ms in paper_values.TABLE3:
        rows.append(Row(ROW_NAMES.get(name, name), TRAINED.get(name), paper=(mean, std), status=NOT_RUN.get(name),
                        extra={"paper_ms": ms}))
    return Experiment(
        script="table3_cifar_is", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Model",
        title="DMGAN Table 3: Inception Scores and the time of each iteration on CIFAR-10", value="score",
        paper_metric=paper_values.TABLE3_METRIC, timing=list(TRAINED.values()), timing_reference="dcgan",
        figures=[figures.Bars("table3_cifar_is.png", "DMGAN Table 3: score and time per iteration, ours vs paper")],
        notes=["MLGAN-clipping is printed '5.23 ± 290' with time '-' in the paper: a typesetting slip; its std and "
               "time are unknown (METHODS §4.9).",
               f"DMGAN and waDMGAN use λ {lam:.1f} and γ {gamma:.1f} (D10); DCGAN is the unconditional §9 baseline "
               "(D29) with the same 'literal' networks (D3); MBGAN is conditional (D21) with α 200 and K 500, as the "
               "DMGAN paper states for its MBGAN baseline.",
               "WGAN, WGAN-GP and SAGAN follow METHODS §9 (their own papers), unconditional (D29), on the same "
               "backbone; one WGAN / WGAN-GP iteration is one generator step with its critic steps (5; WGAN's "
               "burst iterations of 100 critic steps are not timed: the timing starts at a steady-state iteration).",
               "KM-GAN is reconstructed (its formulas were lost; METHODS §6.2-6.4, D25): "
               f"{kmgan_paper.RECONSTRUCTION_CHOICES}.",
               "The paper's times are from a TitanX under TF 1.3 (and SAGAN's 3563 ms suggests a far larger network "
               "than the backbone); compare ratios only."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
