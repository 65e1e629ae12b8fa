r"""DMGAN Fig. 4: FID of regular DMGAN on SVHN for the center update ratio γ, λ = 1.8 (METHODS §4.9, §4.10).

    python reproduce/fig4_svhn_gamma_sweep.py --scale=full --inception_path=DIR       # γ grid D23 (GPU)
    python reproduce/fig4_svhn_gamma_sweep.py --scale=smoke --dataset=cifar10 --data_dir=DIR
    python reproduce/fig4_svhn_gamma_sweep.py --with_collapse ...                      # adds γ = 2.5 and 3.0

γ runs over D23 ({0, 0.25, ..., 2.0} at full scale, its minimum {0, 0.5, 1.0, 1.5, 2.0} at smoke scale); γ = 0 is
DMGAN-f (fixed centers), so that point is shared with Fig. 5. --with_collapse adds γ = 2.5 and 3.0, where the paper
reports mode collapse. Plot: FID (METHODS §10.4, against the SVHN training split) vs γ, results/fig4_svhn_gamma_sweep/
fig4_fid_vs_gamma.png. The paper gives no values for this figure (only: every γ > 0 beats γ = 0; stable over a wide
range). Without SVHN, --dataset=cifar10 runs on CIFAR-10 and every output names it as a substitute for SVHN.
"""
import sys

from absl import flags  # noqa: E402

from mgan.experiments import cli, figures
from mgan.experiments.dmgan import paper_values
from mgan.experiments.sweep import Experiment, Point, Row

PAPER_DATASET = "svhn"
COLLAPSE_GAMMAS = (2.5, 3.0)


def define_flags(fv):
    flags.DEFINE_bool("with_collapse", False, "also run γ = 2.5 and 3.0 (the paper reports mode collapse for "
                      "γ > 2.0)", flag_values=fv)


def gamma_point(ctx, gamma, lam):
    """DMGAN at (λ, γ) on the SVHN training split; γ = 0 is DMGAN-f (shared with Fig. 5)."""
    model = "dmgan_f" if gamma == 0 else "dmgan"
    kw = {} if gamma == 0 else {"gamma": gamma}
    return Point(f"gamma{gamma:.2f}", ctx.config(model, split="train", lam=lam, **kw),
                 title=f"{'DMGAN-f' if gamma == 0 else 'DMGAN'}, λ = {lam:g}, γ = {gamma:g}",
                 meta={"gamma": gamma, "lam": lam, "series": "regular DMGAN"})


def declare(ctx):
    lam = paper_values.LAMBDA["svhn"]
    gammas = tuple(ctx.scale.gammas) + (COLLAPSE_GAMMAS if ctx.extra.get("with_collapse") else ())
    points = [gamma_point(ctx, g, lam) for g in gammas]
    rows = [Row(f"γ = {g:g}" + (" (DMGAN-f)" if g == 0 else ""), f"gamma{g:.2f}",
                paper_note="figure only; values unknown") for g in gammas]
    return Experiment(
        script="fig4_svhn_gamma_sweep", paper_dataset=PAPER_DATASET, points=points, rows=rows, row_header="γ",
        title="DMGAN Fig. 4: FID of regular DMGAN for the center update ratio γ (SVHN, λ = 1.8)", value="distance",
        figures=[figures.Curve("fig4_fid_vs_gamma.png", x="gamma", xlabel="γ (update ratio of centers)",
                               title="DMGAN Fig. 4: distance to the training split vs γ (λ = 1.8; lower is better)")],
        notes=["Paper's claims: every γ > 0 beats γ = 0 (DMGAN-f); results are stable over a wide range of γ; "
               "mode collapse for γ > 2.0 (see --with_collapse).",
               f"γ grid: {', '.join(f'{g:g}' for g in gammas)} (METHODS D23"
               f"{', minimum grid' if ctx.scale.name != 'full' else ''})."])


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
