"""The baselines of the DMGAN paper's experiments (DMGAN Table 3, Figs. 3 and 7), declared once for every script.

A baseline in a DMGAN-paper experiment is trained the DMGAN paper's way (METHODS D3, D24, D30): the same networks as
DMGAN ('literal' at 32x32, 'mnist' at 28x28), batch 64, the DMGAN paper's training split (all 60,000 CIFAR-10 images),
and the method's own losses and hyper-parameters.
"""
from mgan import data as data_lib
from mgan.experiments.dmgan import paper_values
from mgan.experiments.sweep import Point
from mgan.models import dmgan_paper_split
from mgan.nets import networks

LITERAL_32 = {"cifar10", "svhn"}  # 32x32 data sets: the DMGAN paper's Table 1 networks, 'literal' (D3)


def dmgan_paper_fields(ctx):
    """The DMGAN-paper training settings of a baseline on the data set in use: split (D30), batch 64, networks."""
    fields = {"split": dmgan_paper_split(ctx.dataset), "batch_size": 64}
    if ctx.dataset in LITERAL_32:
        fields["layout"] = "literal"
    return fields


def mbgan_point(ctx):
    """MBGAN as DMGAN reads it (DMGAN §4.1: α 200, K 500), conditional (D21), on the DMGAN-paper networks; the
    same run for DMGAN Table 3 and Fig. 7 (run store)."""
    alpha, k = paper_values.MBGAN_AS_BASELINE
    return Point("mbgan", ctx.config("mbgan", alpha=alpha, feature_dim=k, **dmgan_paper_fields(ctx)),
                 title=f"MBGAN (α {alpha:g}, K {k})", meta={"series": "MBGAN", "alpha": alpha, "K": k})


SAGAN_ATTN_RES = 16  # the TrainConfig default (Zhang et al.: 16 or 8 at 32x32)
BASELINE_TITLES = {"wgan": "WGAN", "wgan_gp": "WGAN-GP", "sagan": "SAGAN"}


def baseline_point(ctx, model):
    """WGAN, WGAN-GP or SAGAN with its own paper's losses and optimizer (METHODS §9), unconditional (D29), on the
    DMGAN-paper networks, batch and split. SAGAN's attention sits at 16x16 (its default); on a substitute data set
    whose networks have no 16x16 map, at the largest one below (said in the title)."""
    title, fields = BASELINE_TITLES[model], dmgan_paper_fields(ctx)
    if model == "sagan":
        shape = data_lib.dataset_info(ctx.dataset).example_shape
        valid = networks.attention_resolutions(fields.get("layout") or networks.default_layout(shape))
        res = max((r for r in valid if r <= SAGAN_ATTN_RES), default=None)
        if res is not None and res != SAGAN_ATTN_RES:
            fields["attn_res"], title = res, f"{title} (attention at {res}x{res})"
    return Point(model, ctx.config(model, **fields), title=title, meta={"series": title})
