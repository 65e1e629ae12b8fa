r"""IE loss (reconstructed, METHODS §7, D15): softmax vs softmax + center loss vs softmax + IE loss, three network
capacities, MNIST / Fashion-MNIST / CIFAR-10, test accuracy mean ± std over seeds, and a 2-D feature plot on MNIST.

    python reproduce/ie_loss_classification.py --scale=full                          # METHODS §7.2's networks (GPU)
    python reproduce/ie_loss_classification.py --scale=smoke --data_dir=DIR

The IE paper survives as an abstract: every element of the loss and of the protocol is a reconstruction (flags
below), and there are no paper numbers; the table sets the abstract's claim "always superior" beside what was
measured. Outputs in --out (default results/ie_loss_classification): table.md, results.json,
ie_mnist_features_2d.png, points/*.json. Checkpoints go to the run store; a killed invocation resumes.
"""
import os
import sys

from absl import app, flags, logging

from mgan.config import PRECISIONS
from mgan.experiments.ie import classification as ie
from mgan.experiments.runs import DEFAULT_RUNS_DIR, REPO_ROOT
from mgan.models.metric_classifier import LOSSES, NETS
from mgan.objectives import losses
from mgan.objectives.metric_losses import CENTER_MODES

SCRIPT = "ie_loss_classification"
public_scales = [k for k, v in ie.SCALES.items() if not v.hidden]

def define_flags(fv):
    """The script's flags, on ``fv`` (absl's global FLAGS when run as a script, a fresh FlagValues in tests)."""
    d = dict(flag_values=fv)
    flags.DEFINE_enum("scale", "full", list(ie.SCALES), f"experiment scale: {', '.join(public_scales)} "
                      "(full: METHODS §7.2's networks, 20 epochs, 3 seeds; smoke: width 0.25, 300 steps, 2 seeds)", **d)
    flags.DEFINE_list("datasets", list(ie.DATASETS), "data sets (MNIST, Fashion-MNIST, CIFAR-10; digits for tests)",
                      **d)
    flags.DEFINE_list("nets", list(NETS), "network capacities (METHODS §7.2): small, medium, large", **d)
    flags.DEFINE_list("losses", list(LOSSES), "softmax, center (softmax + center loss), ie (softmax + IE loss)", **d)
    flags.DEFINE_list("seeds", None, "seeds (default: the scale's)", **d)
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
    flags.DEFINE_enum("precision", "float32", list(PRECISIONS), "float32 (default) or mixed_bfloat16 (the networks "
                      "compute in bfloat16; variables, centers, losses and scores stay float32; "
                      "mgan.nets.precision)", **d)
    flags.DEFINE_string("data_dir", None, "directory of the data set npz files (else $MGAN_DATA_DIR, then TFDS)", **d)
    flags.DEFINE_string("out", None, f"output directory (default results/{SCRIPT})", **d)
    flags.DEFINE_string("runs_dir", None, "run store for the checkpoints (default runs/ at the repository root)", **d)


OPTIONS = ("ie_margin", "ie_projection", "ie_bandwidth", "ie_weight", "ie_centers", "center_weight", "center_rate",
           "bn_recalibration_batches")


def _check(fv):
    from mgan.data import labelled_image_datasets
    from mgan.errors import ConfigError

    for name, values, valid in (("datasets", fv.datasets, labelled_image_datasets()), ("nets", fv.nets, list(NETS)),
                                ("losses", fv.losses, list(LOSSES))):
        bad = [v for v in values if v not in valid]
        if bad or not values or len(set(values)) != len(values):
            raise ConfigError(f"--{name} must be distinct values from {', '.join(valid)}; got {','.join(values)}")
    if fv.seeds and not all(s.strip().isdigit() for s in fv.seeds):
        raise ConfigError("--seeds must be non-negative integers, e.g. --seeds=0,1,2")
    if fv.feature_dim < 1 or fv.ie_bandwidth <= 0 or fv.ie_margin < 0 or fv.ie_weight < 0 or fv.center_weight < 0 \
            or not 0 <= fv.center_rate <= 1 or fv.bn_recalibration_batches < 0:
        raise ConfigError("need --feature_dim >= 1, --ie_bandwidth > 0, --ie_margin/--ie_weight/--center_weight >= 0 "
                          "and 0 <= --center_rate <= 1, --bn_recalibration_batches >= 0")


def context(fv, argv):
    _check(fv)
    scale = ie.SCALES[fv.scale]
    options = {k: fv[k].value for k in OPTIONS}
    return ie.IEContext(scale=scale, datasets=tuple(fv.datasets), nets=tuple(fv.nets), losses=tuple(fv.losses),
                        seeds=tuple(int(s) for s in fv.seeds) if fv.seeds else scale.seeds,
                        feature_dim=fv.feature_dim, options=options,
                        out=os.path.abspath(fv.out or os.path.join(REPO_ROOT, "results", SCRIPT)),
                        runs_dir=os.path.abspath(fv.runs_dir or DEFAULT_RUNS_DIR), data_dir=fv.data_dir,
                        precision=fv.precision,
                        command=" ".join(["python", f"reproduce/{SCRIPT}.py"] + list(argv)),
                        extra={**options, "feature_dim": fv.feature_dim})


def run_argv(argv):
    """Parse ``argv`` (argv[0] = program name) into fresh flags and run; raises on error (for tests)."""
    fv = flags.FlagValues()
    define_flags(fv)
    fv(list(argv))
    return ie.run(context(fv, list(argv[1:])))


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    logging.set_verbosity(logging.WARNING)
    from mgan.errors import report_user_errors

    return report_user_errors(lambda: ie.run(context(flags.FLAGS, sys.argv[1:])) and 0,
                              flags.FLAGS.out or "", "Finished points are kept: re-run the same command to resume.")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    define_flags(flags.FLAGS)
    from mgan import command

    command.run(main)
