"""Model registry: every trainable model of the package, how to build it from a TrainConfig, and its defaults.

A new model subclasses :class:`GANModel` (its ``train_step`` is one iteration of its paper's algorithm) and registers
a :class:`ModelSpec` here; it is then available to ``mgan.train``, the benchmarks, sampling, evaluation and the
reproduce scripts without further changes. ``resolve`` fills a config's 'auto' fields, ``build_model`` returns the
compiled model (``model.fit`` is its training path; ``mgan.training.runner`` adds the run's callbacks).
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import keras

from mgan import config as config_lib
from mgan.config import TrainConfig
from mgan.models.base import GANModel
from mgan.models.dcgan import DCGAN
from mgan.models.dmgan import DMGAN
from mgan.models.kmgan import KMGAN
from mgan.models.mbgan import MBGAN
from mgan.models.sagan import SAGAN
from mgan.models.wgan import WGAN
from mgan.nets import networks, precision

LABELLED_MODES = ("conditional", "inherit", "single_fake_center")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    family: str  # network family for layout defaults ('dmgan' -> literal at 32x32, 'mbgan' -> mbgan)
    build: Callable  # (cfg, example_shape, num_classes) -> uncompiled GANModel
    defaults: dict = field(default_factory=dict)  # values for the 'auto' / -1 fields
    fixed: dict = field(default_factory=dict)  # values this preset always uses
    label_modes: tuple = ("unlabeled",) + LABELLED_MODES  # the label modes the model implements
    data_splits: dict = field(default_factory=dict)  # data set -> split used when --split=auto (D30); else 'train'
    adjust: Callable = None  # (resolved cfg, explicit field names) -> updates that depend on other resolved fields


def _networks(cfg, example_shape, num_classes, head_dim, d_cond_classes=0):
    """(G, D), built in this order (the order draws the initial weights from the seeded generator)."""
    cond_classes = num_classes if cfg.label_mode == "conditional" else 0
    G = networks.build_generator(cfg, example_shape, cond_classes=cond_classes)
    return G, networks.build_discriminator(cfg, example_shape, head_dim, cond_classes=d_cond_classes)


def _gan_options(cfg, num_classes):
    """The GANModel arguments every model takes from the config (the noise stream, D's clipping, the model's name)."""
    return dict(num_classes=num_classes, z_dim=cfg.z_dim, noise=cfg.noise, seed=cfg.seed, clip=cfg.clip,
                clip_scope=cfg.clip_scope, name=cfg.model)


def _build_dmgan(cfg, example_shape, num_classes):
    G, D = _networks(cfg, example_shape, num_classes, cfg.feature_dim)  # D sees images only (D20)
    return DMGAN(G, D, lam=cfg.lam, gamma=cfg.gamma, weight_adaption=cfg.weight_adaption, label_mode=cfg.label_mode,
                 center_features=cfg.center_features, norm_eps=cfg.norm_eps, wa_eps=cfg.wa_eps, ip_norm=cfg.ip_norm,
                 wa_normalize=cfg.wa_normalize, d_batches=cfg.d_batches, n_gen=cfg.n_gen,
                 **_gan_options(cfg, num_classes))


def _build_dcgan(cfg, example_shape, num_classes):
    conditional = cfg.label_mode == "conditional"
    G, D = _networks(cfg, example_shape, num_classes, 1, num_classes if conditional else 0)  # cond. D sees y too
    return DCGAN(G, D, conditional=conditional, n_gen=cfg.n_gen, **_gan_options(cfg, num_classes))


def _build_mbgan(cfg, example_shape, num_classes):
    G, D = _networks(cfg, example_shape, num_classes, cfg.feature_dim)  # D sees images only (D20), K = feature_dim
    return MBGAN(G, D, alpha=cfg.alpha, margin_reduction=cfg.margin_reduction, pair_sampling=cfg.pair_sampling,
                 label_mode=cfg.label_mode, n_gen=cfg.n_gen, norm_eps=cfg.norm_eps, **_gan_options(cfg, num_classes))


def _build_wgan(cfg, example_shape, num_classes):
    """WGAN and WGAN-GP (METHODS §9): unconditional (D29), 1-unit linear critic with ``d_norm``."""
    G = networks.build_generator(cfg, example_shape)
    D = networks.build_discriminator(cfg, example_shape, 1, norm=cfg.d_norm, name="critic")
    if cfg.model == "wgan":
        schedule = dict(burst_steps=cfg.critic_burst_steps, burst_first=cfg.critic_burst_first,
                        burst_every=cfg.critic_burst_every, gp_weight=0.0)
    else:  # WGAN-GP: n_critic every iteration (Gulrajani et al., Algorithm 1)
        schedule = dict(burst_first=0, burst_every=0, gp_weight=cfg.gp_weight)
    return WGAN(G, D, n_critic=cfg.n_critic, **schedule, norm_eps=cfg.norm_eps, **_gan_options(cfg, num_classes))


def _build_sagan(cfg, example_shape, num_classes):
    """SAGAN (METHODS §9): spectral normalization on both networks, self-attention at ``attn_res``, no BN in D."""
    G = networks.build_generator(cfg, example_shape, spectral_norm=True, attn_res=cfg.attn_res)
    D = networks.build_discriminator(cfg, example_shape, 1, norm=cfg.d_norm, spectral_norm=True,
                                     attn_res=cfg.attn_res)
    return SAGAN(G, D, **_gan_options(cfg, num_classes))


def _build_kmgan(cfg, example_shape, num_classes):
    """KM-GAN (METHODS §6, reconstructed): unconditional, D with the ``feature_dim`` head (D25)."""
    G, D = _networks(cfg, example_shape, num_classes, cfg.feature_dim)
    return KMGAN(G, D, k=cfg.kmeans_k, sigma=cfg.sigma, center_loss_form=cfg.center_loss_form, squared=cfg.squared,
                 reg_lambda=cfg.reg_lambda, center_sgd_lr=cfg.center_sgd_lr, fake_assign=cfg.fake_assign,
                 center_init=cfg.center_init, kmeans_space=cfg.kmeans_space, kmeans_reassign=cfg.kmeans_reassign,
                 **_gan_options(cfg, num_classes))


KMGAN_TF1_LAYOUT = "dcgan_tf1_mnist"


def _adjust_kmgan(cfg, explicit):
    """D25: --kmgan_arch=dcgan_tf1_mnist is the layout of that name; K-Means++ seeds K centers from one batch."""
    updates = {}
    if cfg.kmgan_arch == KMGAN_TF1_LAYOUT:
        if "layout" in explicit and cfg.layout != KMGAN_TF1_LAYOUT:
            raise ValueError(f"--kmgan_arch={KMGAN_TF1_LAYOUT} sets the layout; remove --layout={cfg.layout}")
        updates["layout"] = KMGAN_TF1_LAYOUT
    if cfg.kmeans_k > cfg.batch_size:
        raise ValueError(f"--kmeans_k={cfg.kmeans_k} needs batches of at least K images (K-Means++ seeds the centers "
                         f"from the first batch); raise --batch_size above {cfg.batch_size} or lower --kmeans_k")
    return updates


def _adjust_baseline(cfg, explicit):
    """D's learning rate defaults to G's (--lr) when the model has no own default; checks of the baseline flags."""
    updates = {}
    if cfg.d_lr == -1:
        updates["d_lr"] = cfg.lr
    if cfg.model == "wgan_gp" and cfg.d_norm == "batch":
        raise ValueError("--model=wgan_gp penalises each example's gradient, which batch normalization mixes across "
                         "the batch (Gulrajani et al. use no BN in the critic); use --d_norm=none or --d_norm=layer")
    if cfg.model == "sagan":
        networks.check_attn_res(cfg.layout, cfg.attn_res)
    return updates


MBGAN_PAPER_LAYOUTS = ("mbgan", "celeba64")  # the MBGAN paper's own networks (D3); others: MBGAN as a DMGAN baseline
MBGAN_PAPER_BATCH = 128  # D24


def _adjust_mbgan(cfg, explicit):
    """D21: pairs follow the label mode; D24: batch 128 on the MBGAN paper's layouts unless --batch_size is set
    (kept at the DMGAN papers' 64 when MBGAN is a DMGAN baseline on 'literal' or 'mnist')."""
    updates = {}
    if cfg.pair_sampling == "auto":
        updates["pair_sampling"] = "class_matched" if cfg.label_mode == "conditional" else "independent"
    default_batch = TrainConfig.__dataclass_fields__["batch_size"].default
    if (cfg.layout in MBGAN_PAPER_LAYOUTS and "batch_size" not in explicit and cfg.batch_size == default_batch):
        updates["batch_size"] = MBGAN_PAPER_BATCH
    return updates


# Adam epsilon of TF1 (tf.train.AdamOptimizer) and PyTorch; Keras 3 would default to 1e-7.
ADAM_EPSILON = 1e-8
_D1_OPTIMIZER = {"lr": 2e-4, "adam_betas": "0.5,0.999"}  # Adam of D1, for the DMGAN family, DCGAN and MBGAN
_DMGAN_DEFAULTS = {"noise": "uniform01", "label_mode": "conditional", "clip": 0.1, **_D1_OPTIMIZER}
# METHODS §9, each baseline's own paper or reference code
_WGAN_DEFAULTS = {"noise": "normal", "label_mode": "unlabeled", "clip": 0.01, "optimizer": "rmsprop", "lr": 5e-5,
                  "adam_betas": "0.5,0.999", "d_norm": "batch"}
_WGAN_GP_DEFAULTS = {"noise": "normal", "label_mode": "unlabeled", "clip": 0.0, "optimizer": "adam", "lr": 1e-4,
                     "adam_betas": "0.0,0.9", "d_norm": "none"}
_SAGAN_DEFAULTS = {"noise": "normal", "label_mode": "unlabeled", "clip": 0.0, "optimizer": "adam", "lr": 1e-4,
                   "d_lr": 4e-4, "adam_betas": "0.0,0.9", "d_norm": "none"}
_DMGAN_PAPER_SPLITS = {"cifar10": "train+test"}  # D30: the DMGAN paper's experiments use all 60,000 CIFAR-10 images
# KM-GAN §6.7: "All these images are used": 70,000 MNIST and Fashion-MNIST images, 60,000 of CIFAR-10 (D30)
_KMGAN_SPLITS = {"mnist": "train+test", "fashion_mnist": "train+test", "cifar10": "train+test"}
# D27 placeholders: Adam as D1, clipping 0.1 (DMGAN's value), z 'uniform01'
_KMGAN_DEFAULTS = {"noise": "uniform01", "label_mode": "unlabeled", "clip": 0.1, **_D1_OPTIMIZER}


def dmgan_paper_split(dataset):
    """The training split of a DMGAN-paper experiment on ``dataset`` (D30), for every model it trains."""
    return _DMGAN_PAPER_SPLITS.get(dataset, "train")


def _dmgan_spec(name, description, fixed):
    return ModelSpec(name, description, "dmgan", _build_dmgan, _DMGAN_DEFAULTS, fixed,
                     data_splits=_DMGAN_PAPER_SPLITS)


MODELS = {
    "dmgan": _dmgan_spec("dmgan", "regular DMGAN (Algorithm 1)", {"weight_adaption": False}),
    "wadmgan": _dmgan_spec("wadmgan", "DMGAN with weight adaption (Algorithm 2)", {"weight_adaption": True}),
    "dmgan_f": _dmgan_spec("dmgan_f", "DMGAN with fixed centers (γ = 0)", {"gamma": 0.0, "weight_adaption": False}),
    "dcgan": ModelSpec("dcgan", "DCGAN baseline (non-saturating loss)", "dmgan", _build_dcgan,
                       {"noise": "uniform11", "label_mode": "unlabeled", "clip": 0.0, **_D1_OPTIMIZER},
                       label_modes=("unlabeled", "conditional"), data_splits=_DMGAN_PAPER_SPLITS),
    # D30: the MBGAN paper trains on the 50,000 CIFAR-10 training images ('train', the default split)
    "mbgan": ModelSpec("mbgan", "MBGAN (triplet hinge with a data-dependent margin, Algorithm 1)", "mbgan",
                       _build_mbgan, {"noise": "uniform01", "label_mode": "conditional", "clip": 0.0, **_D1_OPTIMIZER},
                       label_modes=("conditional", "unlabeled"), adjust=_adjust_mbgan),
    "kmgan": ModelSpec("kmgan", "KM-GAN, reconstructed (mini-batch K-Means on D's features, center loss; METHODS §6)",
                       "dmgan", _build_kmgan, _KMGAN_DEFAULTS, label_modes=("unlabeled",), data_splits=_KMGAN_SPLITS,
                       adjust=_adjust_kmgan),
    "wgan": ModelSpec("wgan", "WGAN baseline (weight clipping before each critic step, RMSprop)", "dmgan",
                      _build_wgan, _WGAN_DEFAULTS, label_modes=("unlabeled",), data_splits=_DMGAN_PAPER_SPLITS,
                      adjust=_adjust_baseline),
    "wgan_gp": ModelSpec("wgan_gp", "WGAN-GP baseline (gradient penalty)", "dmgan", _build_wgan, _WGAN_GP_DEFAULTS,
                         label_modes=("unlabeled",), data_splits=_DMGAN_PAPER_SPLITS, adjust=_adjust_baseline),
    "sagan": ModelSpec("sagan", "SAGAN baseline (self-attention, spectral normalization, hinge loss)", "dmgan",
                       _build_sagan, _SAGAN_DEFAULTS, label_modes=("unlabeled",), data_splits=_DMGAN_PAPER_SPLITS,
                       adjust=_adjust_baseline),
}


# The generator options of issue 21 (D34, D35) for every model that does not set its own.
NETWORK_DEFAULTS = networks.NETWORK_DEFAULTS
_NUMERIC_AUTO = ("clip", "lr", "d_lr")  # numeric fields whose -1 means "the model's default"


def get_spec(name):
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {sorted(MODELS)}")
    return MODELS[name]


def resolve(cfg, example_shape, explicit=()):
    """Fill the 'auto' fields of ``cfg`` from the model's defaults and the data shape; apply the preset.

    ``explicit`` names fields the user set on the command line; a preset that contradicts one is an error.
    """
    spec = get_spec(cfg.model)
    updates = {}
    config_lib.check_model_fields(cfg)
    for k, v in {**NETWORK_DEFAULTS, **spec.defaults}.items():
        cur = getattr(cfg, k)
        if cur == "auto" or (k in _NUMERIC_AUTO and cur < 0):
            updates[k] = v
    for k, v in spec.fixed.items():
        if k in explicit and getattr(cfg, k) != v:
            raise ValueError(f"--model={cfg.model} fixes {k}={v}; remove --{k} or choose another model")
        updates[k] = v
    if cfg.layout == "auto":
        updates["layout"] = networks.default_layout(example_shape, spec.family)
    cfg = dataclasses.replace(cfg, **updates)
    if cfg.label_mode not in spec.label_modes:
        raise ValueError(f"--model={cfg.model} supports --label_mode {' | '.join(spec.label_modes)}, "
                         f"got {cfg.label_mode!r}")
    if spec.adjust is not None:
        cfg = dataclasses.replace(cfg, **spec.adjust(cfg, explicit))
    networks.check_layout(cfg.layout, example_shape)
    return cfg


def data_split(cfg):
    """The data split of a run: ``cfg.split``, or with 'auto' the model's default for the data set (D30)."""
    if cfg.split != "auto":
        return cfg.split
    return get_spec(cfg.model).data_splits.get(cfg.dataset, "train")


def adam(cfg, name, lr=None):
    """The papers' Adam (D1) for one network: lr (default ``cfg.lr``) and betas of ``cfg``, TF1's epsilon."""
    b1, b2 = cfg.betas()
    return keras.optimizers.Adam(cfg.lr if lr is None else lr, beta_1=b1, beta_2=b2, epsilon=ADAM_EPSILON, name=name)


# torch.optim.RMSprop as martinarjovsky/WassersteinGAN uses it: decay α 0.99 and step g / (sqrt(v) + 1e-8). Keras 3
# defaults to rho 0.9 and puts its ε inside the root, g / sqrt(v + ε): ε = 1e-16 = (1e-8)² matches PyTorch's step.
RMSPROP_RHO = 0.99
RMSPROP_EPSILON = 1e-16


def optimizer(cfg, network):
    """The optimizer of ``network`` ('d' or 'g') of a resolved config: Adam (D1, or ``--optimizer=adam``) or RMSprop
    (WGAN), at ``cfg.d_lr`` for D when set, else ``cfg.lr``."""
    lr = cfg.d_lr if network == "d" and cfg.d_lr > 0 else cfg.lr
    if cfg.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr, rho=RMSPROP_RHO, epsilon=RMSPROP_EPSILON, name=f"{network}_rmsprop")
    return adam(cfg, f"{network}_adam", lr)


def build_model(cfg, example_shape, num_classes):
    """The compiled model of a resolved config: networks, model, one optimizer per network (``model.fit`` trains
    it), built under the config's precision (``cfg.precision``; variables and optimizer state are float32 in
    either)."""
    spec = get_spec(cfg.model)
    if cfg.label_mode in LABELLED_MODES and num_classes < 2:
        raise ValueError(f"label_mode {cfg.label_mode!r} needs a labelled data set; use --label_mode=unlabeled")
    with precision.policy(cfg.precision):  # layers keep the policy they were built under (mgan.nets.precision)
        model = spec.build(cfg, example_shape, num_classes)
        model.compile(d_optimizer=optimizer(cfg, "d"), g_optimizer=optimizer(cfg, "g"), jit_compile=cfg.jit_compile)
    return model


__all__ = ["MODELS", "ModelSpec", "GANModel", "DMGAN", "DCGAN", "KMGAN", "MBGAN", "WGAN", "SAGAN", "build_model",
           "resolve", "get_spec", "data_split", "dmgan_paper_split", "MBGAN_PAPER_BATCH", "adam", "optimizer"]
