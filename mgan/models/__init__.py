"""Model registry: every trainable model of the package, how to build it from a TrainConfig, and its defaults.

A new model registers a :class:`ModelSpec` here and is then available to ``mgan.train``, the benchmarks, sampling,
evaluation and the reproduce scripts without further changes.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import keras

from mgan import networks
from mgan.models.base import GANModel, sample_noise
from mgan.models.dcgan import DCGAN
from mgan.models.dmgan import DMGAN


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    family: str  # network family for layout defaults ('dmgan' -> literal at 32x32, 'mbgan' -> mbgan)
    head: str  # 'features' (feature_dim) or 'logit' (1)
    build: Callable  # (cfg, generator, discriminator, num_classes) -> GANModel
    defaults: dict = field(default_factory=dict)  # values for the 'auto' / -1 fields
    fixed: dict = field(default_factory=dict)  # values this preset always uses


def _build_dmgan(cfg, G, D, num_classes):
    return DMGAN(G, D, lam=cfg.lam, gamma=cfg.gamma, weight_adaption=cfg.weight_adaption, label_mode=cfg.label_mode,
                 center_features=cfg.center_features, norm_eps=cfg.norm_eps, wa_eps=cfg.wa_eps,
                 ip_norm=cfg.ip_norm, wa_normalize=cfg.wa_normalize, d_batches=cfg.d_batches,
                 num_classes=num_classes, z_dim=cfg.z_dim, noise=cfg.noise, clip=cfg.clip, clip_scope=cfg.clip_scope,
                 n_gen=cfg.n_gen, sample_bn=cfg.sample_bn, name=cfg.model)


def _build_dcgan(cfg, G, D, num_classes):
    if cfg.label_mode not in ("unlabeled", "conditional"):
        raise ValueError(f"DCGAN supports label_mode 'unlabeled' or 'conditional', got {cfg.label_mode!r}")
    return DCGAN(G, D, conditional=cfg.label_mode == "conditional", num_classes=num_classes, z_dim=cfg.z_dim,
                 noise=cfg.noise, clip=cfg.clip, clip_scope=cfg.clip_scope, n_gen=cfg.n_gen,
                 sample_bn=cfg.sample_bn, name=cfg.model)


# Adam epsilon of TF1 (tf.train.AdamOptimizer) and PyTorch; Keras 3 would default to 1e-7.
ADAM_EPSILON = 1e-8
_DMGAN_DEFAULTS = {"noise": "uniform01", "label_mode": "conditional", "clip": 0.1}
MODELS = {
    "dmgan": ModelSpec("dmgan", "regular DMGAN (Algorithm 1)", "dmgan", "features", _build_dmgan, _DMGAN_DEFAULTS,
                       {"weight_adaption": False}),
    "wadmgan": ModelSpec("wadmgan", "DMGAN with weight adaption (Algorithm 2)", "dmgan", "features", _build_dmgan,
                         _DMGAN_DEFAULTS, {"weight_adaption": True}),
    "dmgan_f": ModelSpec("dmgan_f", "DMGAN with fixed centers (γ = 0)", "dmgan", "features", _build_dmgan,
                         _DMGAN_DEFAULTS, {"gamma": 0.0, "weight_adaption": False}),
    "dcgan": ModelSpec("dcgan", "DCGAN baseline (non-saturating loss)", "dmgan", "logit", _build_dcgan,
                       {"noise": "uniform11", "label_mode": "unlabeled", "clip": 0.0}),
}


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
    for k, v in spec.defaults.items():
        cur = getattr(cfg, k)
        if cur == "auto" or (k == "clip" and cur < 0):
            updates[k] = v
    for k, v in spec.fixed.items():
        if k in explicit and getattr(cfg, k) != v:
            raise ValueError(f"--model={cfg.model} fixes {k}={v}; remove --{k} or choose another model")
        updates[k] = v
    if cfg.layout == "auto":
        updates["layout"] = networks.default_layout(example_shape, spec.family)
    cfg = dataclasses.replace(cfg, **updates)
    networks.check_layout(cfg.layout, example_shape)
    return cfg


def build_model(cfg, example_shape, num_classes):
    """Networks, model and optimizers for a resolved config. Returns a compiled GANModel."""
    spec = get_spec(cfg.model)
    if cfg.label_mode in ("conditional", "inherit", "single_fake_center") and num_classes < 2 and \
            spec.name != "dcgan":
        raise ValueError(f"label_mode {cfg.label_mode!r} needs a labelled data set; use --label_mode=unlabeled")
    conditional = cfg.label_mode == "conditional"
    G = networks.build_generator(cfg, example_shape, cond_classes=num_classes if conditional else 0)
    head = cfg.feature_dim if spec.head == "features" else 1
    d_cond = num_classes if (conditional and spec.name == "dcgan") else 0
    D = networks.build_discriminator(cfg, example_shape, head, cond_classes=d_cond)
    model = spec.build(cfg, G, D, num_classes)
    b1, b2 = cfg.betas()
    model.compile(d_optimizer=keras.optimizers.Adam(cfg.lr, beta_1=b1, beta_2=b2, epsilon=ADAM_EPSILON, name="d_adam"),
                  g_optimizer=keras.optimizers.Adam(cfg.lr, beta_1=b1, beta_2=b2, epsilon=ADAM_EPSILON, name="g_adam"))
    return model


__all__ = ["MODELS", "ModelSpec", "GANModel", "DMGAN", "DCGAN", "build_model", "resolve", "get_spec",
           "sample_noise"]
