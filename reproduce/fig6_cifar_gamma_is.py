r"""DMGAN Fig. 6: Inception Score of waDMGAN and regular DMGAN on CIFAR-10 for γ, λ = 1.2 (METHODS §4.9, §4.10).

    python reproduce/fig6_cifar_gamma_is.py --scale=full --inception_path=DIR        # γ grid D23 (GPU)
    python reproduce/fig6_cifar_gamma_is.py --scale=smoke --data_dir=DIR

Both models train on all 60,000 CIFAR-10 images (train + test, as the paper states; D30), λ = 1.2, γ over D23
({0, 0.25, ..., 2.0} at full scale, {0, 0.5, 1.0, 1.5, 2.0} at smoke scale). Plot: IS ± std (METHODS §10.3) vs γ,
two curves, results/fig6_cifar_gamma_is/fig6_is_vs_gamma.png. The γ = 1.0 points are Fig. 7's and Table 3's
DMGAN / waDMGAN runs (shared through the run store). The paper gives no values (only: waDMGAN is higher for every
γ except 0, with the largest gain at γ = 1.0).
"""
import sys

from mgan.experiments import cli, figures
from mgan.experiments.dmgan import paper_values
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "cifar10"
MODELS = (("dmgan", "regular DMGAN"), ("wadmgan", "waDMGAN"))


def declare(ctx):
    lam = paper_values.LAMBDA["cifar10"]
    points, rows = [], []
    for model, name in MODELS:
        for g in ctx.scale.gammas:
            label = f"{model}_gamma{g:.2f}"
            points.append(Point(label, ctx.config(model, lam=lam, gamma=g), title=f"{name}, λ = {lam:g}, γ = {g:g}",
                                meta={"gamma": g, "lam": lam, "series": name}))
            rows.append(Row(f"{name}, γ = {g:g}", label, paper_note="figure only; values unknown"))
    return Experiment(
        script="fig6_cifar_gamma_is", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="Model, γ",
        title="DMGAN Fig. 6: Inception Score of waDMGAN and regular DMGAN for γ (CIFAR-10, λ = 1.2)", value="score",
        figures=[figures.Curve("fig6_is_vs_gamma.png", x="gamma", xlabel="γ (update ratio of centers)",
                               title="DMGAN Fig. 6: score vs γ, waDMGAN and regular DMGAN (λ = 1.2; higher is "
                                     "better)")],
        notes=["Paper's claims: waDMGAN is higher than DMGAN for every γ except γ = 0; the largest gain is at "
               "γ = 1.0.",
               "Regular DMGAN at γ = 0 is run as 'dmgan' with γ = 0 here (the same model as DMGAN-f)."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
