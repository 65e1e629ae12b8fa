"""The training configuration: one dataclass, the single source of every option, its default and its choices.

`python -m mgan.train` turns every field into an absl flag; reproduce scripts build configs in code. Defaults follow
the papers and METHODS.md (decision numbers D1..D31 in the help texts). A value of ``'auto'`` means "the default of
the chosen model and data set" and is resolved by :func:`resolve` (e.g. DMGAN noise U(0,1), DCGAN U(-1,1), D11).
"""
import dataclasses
import math
from dataclasses import dataclass, field

from mgan.errors import ConfigError


# Training precisions (mgan.nets.precision applies them): float32 is the papers' precision.
PRECISIONS = ("float32", "mixed_bfloat16")


def _f(default, help, choices=None):
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass
class TrainConfig:
    # what to train
    model: str = _f("dmgan", "model to train (see mgan.models.MODELS)")
    dataset: str = _f("mnist", "data set (see mgan.data.DATASETS)")
    split: str = _f("auto", "data split: train | test | train+test; auto = METHODS D30 (CIFAR-10 train+test for DMGAN)",
                    ["auto", "train", "test", "train+test"])
    data_dir: str = _f("", "directory with <dataset>.npz (default: $MGAN_DATA_DIR, then TFDS)")
    out: str = _f("", "run directory (required); re-running with the same --out resumes")
    celeba_crop: int = _f(108, "CelebA center-crop size before resizing to 64x64 (carpedm20/DCGAN-tensorflow: 108)")
    synthetic_seed: int = _f(0, "seed of the KM-GAN synthetic stand-in data set (§6.7)")
    # length and batching
    steps: int = _f(0, "training iterations (one D step + G step each; WGAN, WGAN-GP: one generator step with its "
                       "critic steps); 0 = --epochs over the data (D28)")
    epochs: float = _f(25.0, "training length in epochs when --steps=0 (D28: 25, carpedm20/DCGAN-tensorflow): "
                             "epochs x examples / batch_size iterations (WGAN's critic reads more batches than that)")
    batch_size: int = _f(64, "mini-batch size m (DMGAN: 64 for all models; MBGAN on its own layouts: 128 unless set, "
                             "D24)")
    seed: int = _f(0, "seed of weights, data order and noise")
    # networks
    layout: str = _f("auto", "network layout (D3, D18): auto | literal | mbgan | mnist | mnist_s2 | celeba64 | "
                                   "digits8 | mlp | dcgan_tf1_mnist")
    width: float = _f(1.0, "channel width multiplier; 1.0 = the papers' networks")
    feature_dim: int = _f(500, "discriminator feature dimension of the metric GANs (500)")
    z_dim: int = _f(100, "noise dimension (100)")
    conv_impl: str = _f("fast", "convolution layers: fast (same function, faster on CPU; Keras' own layers on a "
                                "GPU or TPU) | keras (plain layers)",
                        ["fast", "keras"])
    precision: str = _f("float32", "numeric precision of the networks (issue 14): float32 (the papers') | "
                                   "mixed_bfloat16 (Keras' mixed policy: G and D compute in bfloat16; variables, "
                                   "optimizer state, centers, losses, norms and metrics stay float32; about 2x faster "
                                   "where the hardware has bfloat16: Ampere+ GPUs, TPUs, AVX512-BF16/AMX CPUs)",
                        list(PRECISIONS))
    bn_momentum: float = _f(0.9, "BN momentum (D5; TF1 DCGAN value, Keras default would be 0.99)")
    bn_epsilon: float = _f(1e-5, "BN epsilon (D5)")
    d_first_bn: bool = _f(True, "BN after the first discriminator conv (D5: the tables say so)")
    lrelu_slope: float = _f(0.2, "LReLU slope (D16)")
    init_stddev: float = _f(0.02, "kernel init N(0, stddev) (D17)")
    g_project_bn: str = _f("auto", "G's projection of z (layouts with one; D34): unit (BN over each dense output, then "
                                   "reshape; carpedm20/DCGAN-tensorflow's MNIST G) | channel (reshape, then BN per "
                                   "channel); auto = the model's default", ["auto", "channel", "unit"])
    g_activation: str = _f("auto", "G's hidden activation (D35): lrelu (METHODS §3.1) | relu (carpedm20/DCGAN-tensorflow)"
                                   "; auto = the model's default", ["auto", "lrelu", "relu"])
    label_concat: str = _f("input", "where a conditional network sees the label (D36): input (G: z ⊕ y; conditional D: "
                                    "the image with one-hot maps) | every_layer (also every hidden layer, as "
                                    "carpedm20/DCGAN-tensorflow's MNIST networks)", ["input", "every_layer"])
    literal_output_block: bool = _f(False, "G output block UpConv->BN->LReLU->tanh as Table 1 prints it (D4)")
    # optimisation
    lr: float = _f(-1.0, "learning rate of G, and of D unless --d_lr is set; -1 = the model's default: 2e-4 for "
                         "DMGAN, DCGAN and MBGAN (D1), 5e-5 for WGAN, 1e-4 for WGAN-GP and SAGAN (§9)")
    adam_betas: str = _f("auto", "Adam beta1,beta2; auto = the model's default: 0.5,0.999 (D1; the literal reading of "
                                 "DMGAN is 0.9,0.99), 0.0,0.9 for WGAN-GP and SAGAN (§9)")
    optimizer: str = _f("auto", "optimizer of both networks of WGAN, WGAN-GP and SAGAN (the other models use Adam, "
                                "D1): auto = RMSprop for WGAN (Arjovsky et al.), Adam for WGAN-GP and SAGAN",
                        ["auto", "adam", "rmsprop"])
    d_lr: float = _f(-1.0, "learning rate of D (the critic) of WGAN, WGAN-GP and SAGAN; -1 = the model's default: "
                           "4e-4 for SAGAN (Zhang et al.: TTUR), --lr for WGAN and WGAN-GP")
    n_gen: int = _f(1, "generator steps per iteration (D9: 1; D37: 2 is carpedm20/DCGAN-tensorflow's schedule); "
                       "DMGAN, waDMGAN, DMGAN-f, DCGAN and MBGAN")
    clip: float = _f(-1.0, "weight clipping c for D (DMGAN: 0.1); -1 = model default, 0 = off")
    clip_scope: str = _f("all", "variables clipped (D8): all trainable D variables | kernels only", ["all", "kernels"])
    noise: str = _f("auto", "noise distribution (D11): auto | uniform01 | uniform11 | normal",
                    ["auto", "uniform01", "uniform11", "normal"])
    # DMGAN
    lam: float = _f(1.2, "λ, weight of the discriminative loss (MNIST/CIFAR 1.2, SVHN 1.8)")
    gamma: float = _f(1.0, "γ, center update ratio (D10: 1.0; 0 = DMGAN-f)")
    weight_adaption: bool = _f(False, "waDMGAN weights (Eq. 7)")
    label_mode: str = _f("auto", "labels (D2): conditional | inherit | single_fake_center | unlabeled",
                         ["auto", "conditional", "inherit", "single_fake_center", "unlabeled"])
    center_features: str = _f("pre_update", "features for the center update (D7)", ["pre_update", "recomputed"])
    ip_norm: str = _f("squared", "distance in the identity preserving loss L_ip (D32): squared (center-loss form) | "
                               "plain (Eq. 2 as printed)", ["squared", "plain"])
    wa_normalize: bool = _f(False, "waDMGAN: divide the Eq. 7 weights by their batch mean (D33)")
    d_batches: str = _f("separate", "D13: real and fake batches through D in separate calls | joint (one call, one BN "
                                    "batch)", ["separate", "joint"])
    norm_eps: float = _f(1e-12, "epsilon inside the Euclidean norms' square root")
    wa_eps: float = _f(1e-8, "epsilon of the waDMGAN weight denominator")
    # MBGAN
    alpha: float = _f(200.0, "MBGAN α, scale of the data-dependent margin h = α·L1(x_j, G(z)) (Eq. 4; D24: 200)")
    margin_reduction: str = _f("mean", "MBGAN margin (D9): L1 as the mean over pixels | the sum (as printed)",
                               ["mean", "sum"])
    pair_sampling: str = _f("auto", "MBGAN triplets (D21): auto (class_matched when conditional, else independent) | "
                                    "class_matched (anchor of the positive's class, same batch) | independent (a "
                                    "second real batch) | permute (the batch permuted)",
                            ["auto", "class_matched", "independent", "permute"])
    # baselines (METHODS §9)
    n_critic: int = _f(5, "WGAN, WGAN-GP: critic steps per generator iteration (5)")
    critic_burst_steps: int = _f(100, "WGAN: critic steps of the burst iterations (martinarjovsky/WassersteinGAN: 100)")
    critic_burst_first: int = _f(25, "WGAN: the first this many generator iterations are burst iterations (25)")
    critic_burst_every: int = _f(500, "WGAN: so is every generator iteration that is a multiple of this (500; 0 = none "
                                      "besides the first ones)")
    gp_weight: float = _f(10.0, "WGAN-GP: λ, the weight of the gradient penalty (Gulrajani et al.: 10)")
    d_norm: str = _f("auto", "normalization after the D convs of WGAN, WGAN-GP and SAGAN: auto = batch for WGAN (as "
                             "the reference code), none for WGAN-GP (Gulrajani et al.: no BN in the critic; 'layer' is "
                             "their suggested alternative) and SAGAN (spectral normalization instead)",
                     ["auto", "batch", "layer", "none"])
    # KM-GAN (METHODS §6, reconstructed: its formulas were lost; D12, D25-D27)
    kmeans_k: int = _f(10, "KM-GAN: K, the number of K-Means centers (§6.6: 10 on MNIST, Fashion, CIFAR-10; 4 on the "
                           "synthetic data; 5 on CelebA)")
    sigma: float = _f(0.5, "KM-GAN: σ of the center loss (lost; D27 placeholder 0.5); the rate of the center step in "
                           "form R1, the weight in R2")
    center_loss_form: str = _f("R1", "KM-GAN center loss (D12): R1 (DMGAN-style center step, then the distance of the "
                                     "updated real and fake centers) | R2 (σ x distance of the batch class means)",
                               ["R1", "R2"])
    squared: bool = _f(True, "KM-GAN: squared Euclidean distances in L_D, L_G and L_c (D12; as the K-Means cost); "
                             "--nosquared: plain distances")
    reg_lambda: float = _f(0.0, "KM-GAN: λ_g of the generalized terms (§6.3; 0 = KM-GAN; the paper: 5 on CelebA)")
    kmeans_space: str = _f("feature", "KM-GAN: where K-Means runs: feature (D's features, KM-GAN) | pixel (the "
                                      "reduced KM-GAN, Algorithm 2)", ["feature", "pixel"])
    kmeans_reassign: str = _f("none", "KM-GAN mini-batch K-Means: none (Sculley 2010, METHODS §6.2) | sklearn "
                                      "(scikit-learn MiniBatchKMeans.partial_fit's random reassignment of centers "
                                      "with < 1% of the largest count; see the KM-GAN readings study)",
                              ["none", "sklearn"])
    fake_assign: str = _f("fake_centers", "KM-GAN (D26): a fake's class is its nearest fake center | its nearest "
                                          "real center", ["fake_centers", "real_centers"])
    center_init: str = _f("copy_real", "KM-GAN (D26): the fake centers start as a copy of the K-Means++ real centers "
                                       "| by K-Means++ on the first fake batch", ["copy_real", "kmeanspp"])
    center_sgd_lr: float = _f(2e-4, "KM-GAN: rate of the plain SGD step on the center loss (step 2; lost, D27 "
                                    "placeholder 2e-4); 0 = no center loss (the paper's ablation)")
    kmgan_arch: str = _f("backbone", "KM-GAN networks (D25): backbone (the package's layout for the data, 500-D head) "
                                     "| dcgan_tf1_mnist (carpedm20/DCGAN-tensorflow's MNIST networks without labels, "
                                     "28x28 only)", ["backbone", "dcgan_tf1_mnist"])
    attn_res: int = _f(16, "SAGAN: the self-attention block follows the layer making this resolution in G and in D "
                           "(16 or 8 at 32x32, Zhang et al.)")
    # sampling
    sample_bn: str = _f("inference", "G BN mode when sampling (D22)", ["inference", "batch"])
    # run machinery
    checkpoint_every: int = _f(500, "steps between checkpoints")
    sample_every: int = _f(500, "steps between sample grids (0 = only at the end)")
    log_every: int = _f(10, "steps between metrics log lines (metrics are averaged over the interval)")
    keep_checkpoints: int = _f(3, "checkpoints kept")
    deterministic: bool = _f(False, "deterministic TF ops (bitwise-equal resume)")
    jit_compile: bool = _f(False, "XLA-compile the training step (measured slower on the 2-core CPU, issue 4)")
    progress: bool = _f(True, "show a progress bar")

    def betas(self):
        if self.adam_betas == "auto":
            raise ConfigError("--adam_betas=auto is resolved by mgan.models.resolve before the betas are read")
        try:
            b1, b2 = (float(v) for v in self.adam_betas.split(","))
        except ValueError:
            raise ConfigError(f"--adam_betas must be 'beta1,beta2', got {self.adam_betas!r}") from None
        return b1, b2

    def to_dict(self):
        return dataclasses.asdict(self)

    def replace(self, **kw):
        return dataclasses.replace(self, **kw)


# Fields that may differ between the first run and a resumed run of the same --out.
RESUME_MUTABLE = {"steps", "epochs", "checkpoint_every", "sample_every", "log_every", "keep_checkpoints", "progress",
                  "data_dir", "out", "jit_compile"}


# Fields added after runs were recorded, with the value every run recorded before them had: a recorded config
# without the field is read with this value (not the field's default, which may resolve differently today), and the
# run-store key leaves the field out at this value, so older runs keep their keys (mgan.experiments.runs).
LEGACY_VALUES = {"precision": "float32", "g_project_bn": "channel", "g_activation": "lrelu", "label_concat": "input"}


def config_from_record(record):
    """The TrainConfig of a recorded config dict (a manifest's or a run key's): unknown keys are dropped, fields
    recorded before they existed take their :data:`LEGACY_VALUES`, the rest their defaults."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    fields = {**LEGACY_VALUES, **{k: v for k, v in record.items() if k in names}}
    return TrainConfig(**fields)


# Fields only some models use (help texts name them): any other model refuses a value other than the default, and
# the run-store keys of the other models leave them out (mgan.experiments.runs.MODEL_FIELDS).
KMGAN_FIELDS = ("kmeans_k", "sigma", "center_loss_form", "squared", "reg_lambda", "kmeans_space", "kmeans_reassign",
                "fake_assign", "center_init", "center_sgd_lr", "kmgan_arch")
OWNED_FIELDS = {"optimizer": ("wgan", "wgan_gp", "sagan"), "d_lr": ("wgan", "wgan_gp", "sagan"),
                "n_critic": ("wgan", "wgan_gp"), "critic_burst_steps": ("wgan",), "critic_burst_first": ("wgan",),
                "critic_burst_every": ("wgan",), "gp_weight": ("wgan_gp",), "d_norm": ("wgan", "wgan_gp", "sagan"),
                "attn_res": ("sagan",), **{name: ("kmgan",) for name in KMGAN_FIELDS}}

# Counts that must be at least 1.
POSITIVE_FIELDS = ("batch_size", "z_dim", "feature_dim", "n_gen", "checkpoint_every", "log_every", "keep_checkpoints",
                   "n_critic", "critic_burst_steps", "attn_res", "kmeans_k")
# Real values that must be > 0, those that must be > 0 or -1 (the model's default), and those that must be >= 0.
POSITIVE_REALS = ("width", "bn_epsilon", "init_stddev", "norm_eps", "wa_eps")
AUTO_POSITIVE_REALS = ("lr", "d_lr")
NON_NEGATIVE = ("steps", "sample_every", "seed", "synthetic_seed", "lam", "gamma", "lrelu_slope", "alpha",
                "critic_burst_first", "critic_burst_every", "gp_weight", "sigma", "reg_lambda", "center_sgd_lr")


def _bad(name, value, rule):
    return ConfigError(f"--{name}={value!r} is not valid: {rule}")


def _check_numbers(cfg):
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if isinstance(v, float) and not math.isfinite(v):
            raise _bad(f.name, v, "it must be a finite number")
    for name in POSITIVE_FIELDS:
        if getattr(cfg, name) < 1:
            raise ConfigError(f"--{name} must be at least 1, got {getattr(cfg, name)}")
    for name in POSITIVE_REALS:
        if getattr(cfg, name) <= 0:
            raise _bad(name, getattr(cfg, name), "it must be > 0")
    for name in AUTO_POSITIVE_REALS:
        if getattr(cfg, name) <= 0 and getattr(cfg, name) != -1:
            raise _bad(name, getattr(cfg, name), "it must be > 0, or -1 for the model's default")
    for name in NON_NEGATIVE:
        if getattr(cfg, name) < 0:
            raise _bad(name, getattr(cfg, name), "it must be >= 0" + (" (0 = only the final grid)"
                                                                    if name == "sample_every" else ""))
    if cfg.steps == 0 and cfg.epochs <= 0:
        raise _bad("epochs", cfg.epochs, "with --steps=0 the run lasts --epochs, which must then be > 0")
    if cfg.clip != -1 and cfg.clip < 0:
        raise _bad("clip", cfg.clip, "use -1 (the model's default), 0 (off) or a positive clipping value")
    if not 0 <= cfg.bn_momentum <= 1:
        raise _bad("bn_momentum", cfg.bn_momentum, "it must lie in [0, 1]")


def validate(cfg):
    """ConfigError (a ValueError) naming the flag when a field is outside its choices or its range."""
    for f in dataclasses.fields(cfg):
        choices = f.metadata.get("choices")
        if choices and getattr(cfg, f.name) not in choices:
            raise ConfigError(f"--{f.name}={getattr(cfg, f.name)!r} is not valid; choose one of {choices}")
    _check_numbers(cfg)
    check_model_fields(cfg)
    if cfg.adam_betas != "auto":
        b1, b2 = cfg.betas()
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise _bad("adam_betas", cfg.adam_betas, "both betas must lie in [0, 1)")


# Fields that some models implement (unlike OWNED_FIELDS, they stay in every model's run key).
IMPLEMENTED_BY = {"n_gen": ("dmgan", "wadmgan", "dmgan_f", "dcgan", "mbgan")}


def check_model_fields(cfg):
    """ConfigError when a field of :data:`OWNED_FIELDS` or :data:`IMPLEMENTED_BY` is set for a model that does not
    use it."""
    for name, models in IMPLEMENTED_BY.items():
        default = TrainConfig.__dataclass_fields__[name].default
        if cfg.model not in models and getattr(cfg, name) != default:
            raise ConfigError(f"--{name} applies to --model={' | '.join(models)} only, not to --model={cfg.model}; "
                              f"remove it (default {default!r})")
    for name, owners in OWNED_FIELDS.items():
        default = TrainConfig.__dataclass_fields__[name].default
        if cfg.model not in owners and getattr(cfg, name) != default:
            raise ConfigError(f"--{name} applies to --model={' | '.join(owners)} only, not to --model={cfg.model}; "
                              f"remove it (default {default!r})")


def steps_for(cfg, n_examples):
    """Number of training iterations: --steps, or --epochs over ``n_examples`` (D28)."""
    if cfg.steps > 0:
        return cfg.steps
    return max(1, math.ceil(cfg.epochs * n_examples / cfg.batch_size))
