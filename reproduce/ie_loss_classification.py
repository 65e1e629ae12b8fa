r"""IE loss (reconstructed, METHODS §7, D15): softmax vs softmax + center loss vs softmax + IE loss, three network
capacities, MNIST / Fashion-MNIST / CIFAR-10, test accuracy mean ± std over seeds, and a 2-D feature plot on MNIST.

    python reproduce/ie_loss_classification.py --scale=full                          # METHODS §7.2's networks (GPU)
    python reproduce/ie_loss_classification.py --scale=smoke --data_dir=DIR

The IE paper survives as an abstract: every element of the loss and of the protocol is a reconstruction (flags
below), and there are no paper numbers; the table sets the abstract's claim "always superior" beside what was
measured. Outputs in --out (default results/ie_loss_classification): table.md, results.json,
ie_mnist_features_2d.png, points/*.json. Checkpoints go to the run store; a killed invocation resumes.

The budgets of --scale are the IE budgets of the shared scales (mgan.experiments.scales.IEBudget; full: 20 epochs,
seeds 0,1,2; smoke: width 0.25, 300 steps, seeds 0,1). Of the shared flags, --metric (always test accuracy),
--inception_path, --dataset (see --datasets) and --shard (not supported: run one invocation, which resumes) are not
defined.
"""
import sys
from dataclasses import replace

from absl import flags

from mgan.data import labelled_image_datasets
from mgan.errors import ConfigError
from mgan.experiments import cli
from mgan.experiments.ie import classification as ie
from mgan.models.metric_classifier import LOSSES, NETS
from mgan.objectives import losses
from mgan.objectives.metric_losses import CENTER_MODES

PAPER_DATASET = "+".join(ie.DATASETS)
BUDGET = "ie"  # runs on the IE budgets of the shared scales
SHARED_FLAGS = cli.CORE_FLAGS
run = ie.run


def define_flags(fv):
    """The script's own flags, on ``fv`` (absl's global FLAGS when run as a script, a fresh FlagValues in tests)."""
    d = dict(flag_values=fv)
    flags.DEFINE_list("datasets", list(ie.DATASETS), "data sets (MNIST, Fashion-MNIST, CIFAR-10; digits for tests)",
                      **d)
    flags.DEFINE_list("nets", list(NETS), "network capacities (METHODS §7.2): small, medium, large", **d)
    flags.DEFINE_list("losses", list(LOSSES), "softmax, center (softmax + center loss), ie (softmax + IE loss)", **d)
    flags.DEFINE_integer("feature_dim", 128, "feature dimension of the accuracy grid (the plot runs use 2)", **d)
    flags.DEFINE_float("ie_margin", 0.5, "IE margin (reconstructed placeholder, METHODS §7.2)", **d)
    flags.DEFINE_enum("ie_projection", "gaussian_kernel", list(losses.IE_PROJECTIONS), "IE distance projection", **d)
    flags.DEFINE_float("ie_bandwidth", 1.0, "bandwidth s of the Gaussian-kernel projection", **d)
    flags.DEFINE_float("ie_weight", 1.0, "weight w of L_IE in CE + w·L_IE", **d)
    flags.DEFINE_enum("ie_centers", "update_rule", list(CENTER_MODES), "IE centers: center-loss rule or trainable", **d)
    flags.DEFINE_float("center_weight", 0.003, "λ of the center-loss baseline (Wen et al. 2016)", **d)
    flags.DEFINE_float("center_rate", 0.5, "α of the center update rule (Wen et al. 2016; both losses)", **d)
    flags.DEFINE_integer("bn_recalibration_batches", 50, "before testing, re-estimate the BN statistics as the "
                         "average over this many training batches (precise BN); 0: Keras' moving averages", **d)


def context(ctx):
    """The shared Context completed for :func:`mgan.experiments.ie.classification.run` (cli's hook): the script's flag
    values checked (ConfigError), the grid as tuples, ``dataset`` the data sets joined by "+", metric test accuracy."""
    x = ctx.extra
    for name, valid in (("datasets", labelled_image_datasets()), ("nets", list(NETS)), ("losses", list(LOSSES))):
        values = x[name]
        bad = [v for v in values if v not in valid]
        if bad or not values or len(set(values)) != len(values):
            raise ConfigError(f"--{name} must be distinct values from {', '.join(valid)}; got {','.join(values)}")
    if x["feature_dim"] < 1 or x["ie_bandwidth"] <= 0 or x["ie_margin"] < 0 or x["ie_weight"] < 0 \
            or x["center_weight"] < 0 or not 0 <= x["center_rate"] <= 1 or x["bn_recalibration_batches"] < 0:
        raise ConfigError("need --feature_dim >= 1, --ie_bandwidth > 0, --ie_margin/--ie_weight/--center_weight >= 0 "
                          "and 0 <= --center_rate <= 1, --bn_recalibration_batches >= 0")
    grid = {k: tuple(x[k]) for k in ("datasets", "nets", "losses")}
    return replace(ctx, dataset="+".join(grid["datasets"]), metric=ie.METRIC, extra={**x, **grid})


if __name__ == "__main__":
    cli.main(sys.modules[__name__])
