"""Experiment scales: the paper's protocol (``full``) and small budgets of the same pipeline (``smoke``, ``test``).

Every output of a reproduce script records the scale it ran at (name and every budget below), so a smoke number is
never mistaken for a full-protocol one.

- ``full``  (default): the papers' networks (width 1.0), training length per METHODS D28 (25 epochs over the training
  set in use), Inception Score on 50,000 samples in 10 splits, FID of 50,000 samples against the training split
  (METHODS §10), timing per §10.6 (50 warm-up + 200 timed iterations), γ grid D23 {0, 0.25, ..., 2.0}, seeds 0,1,2,
  MBGAN's SVM protocol on the whole training split (D31).
  Meant for a GPU.
- ``smoke``: the same pipeline with small budgets, so that each point takes a few minutes on 2 CPU cores: width 0.25,
  1,300 iterations (the budget at which regular DMGAN learns MNIST in the readings study, issue 7; about 1.4 epochs of
  MNIST, 1.7 of CIFAR-10), 1 seed, 5,000 samples in 10 splits, γ grid reduced to D23's minimum {0, 0.5, 1.0, 1.5, 2.0},
  timing 10 warm-up + 50 timed iterations, MBGAN's SVM protocol on 2,000 labelled training images (the test split
  whole). Default metric: the offline classifier metric.
- ``test``  (hidden; used by tests/test_reproduce.py): width 0.0625, 4 iterations, 200 samples in 2 splits, γ grid
  {0, 1.0}, λ grid of Table 2 reduced to {1.8}, timing 1 + 2 iterations, SVM on 100 training images. Only meaningful
  as a pipeline check.

An experiment that is not a GAN sweep keeps its budgets in a field of the scale: ``Scale.ie`` (:class:`IEBudget`) is
the IE-loss classification experiment's (:mod:`mgan.experiments.ie`): full: METHODS §7.2's networks, 20 epochs of
batch 128, seeds 0,1,2; smoke: width 0.25, 300 steps of batch 128, seeds 0,1; test: width 0.0625, 4 steps of batch
16. A script names the budget it runs on (``BUDGET = "ie"``, :mod:`mgan.experiments.cli`), so ``--scale`` and the
default ``--seeds`` mean the same for every script.
"""
import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple

# METHODS D23: the γ grid of DMGAN Figs. 4 and 6, and its minimum.
GAMMAS_D23 = tuple(round(0.25 * i, 2) for i in range(9))  # 0, 0.25, ..., 2.0
GAMMAS_D23_MIN = (0.0, 0.5, 1.0, 1.5, 2.0)
SMOKE_SVM_N_TRAIN = 2000  # MBGAN SVM protocol at smoke scale: 2,000 labelled training images (C by 5-fold CV)


@dataclass(frozen=True)
class IEBudget:
    """The IE-loss classification experiment's budget at one scale (its point keys hash these values)."""
    description: str
    width: float  # channel multiplier on METHODS §7.2's widths
    steps: int  # optimizer steps per run (0: `epochs` over the training split)
    epochs: float
    batch_size: int
    seeds: Tuple[int, ...]  # default seeds
    checkpoint_every: int  # steps per Keras epoch; a checkpoint at each

    def total_steps(self, n_train):
        """Optimizer steps of a run on ``n_train`` training images: a whole number of checkpoints, at least one."""
        steps = self.steps or int(round(self.epochs * (n_train // self.batch_size)))
        return max(self.checkpoint_every, steps - steps % self.checkpoint_every)


@dataclass(frozen=True)
class Scale:
    name: str
    description: str
    width: float  # network channel width multiplier (1.0 = the papers' networks)
    steps: int  # training iterations; 0 = `epochs` over the training set (D28)
    epochs: float
    n_samples: int  # samples scored per run (IS and FID / classifier score and FD)
    splits: int  # consecutive splits of the score
    seeds: Tuple[int, ...]  # default seeds
    gammas: Tuple[float, ...]  # γ grid of Figs. 4 and 6
    lambdas: Optional[Tuple[float, ...]]  # λ grid of Table 2 (None = the paper's six values)
    timing_warmup: int
    timing_iters: int
    default_metric: str
    checkpoint_every: int
    hidden: bool = False
    svm_n_train: Optional[int] = None  # MBGAN SVM protocol: labelled training images (None: the whole split)
    ie: Optional[IEBudget] = None  # the IE-loss classification experiment's budget

    def to_dict(self):
        """The budgets a GAN sweep records (not another experiment's, e.g. ``ie``)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "ie"}

    def budget(self, name=None):
        """What a script runs on: the scale itself (``name`` None: the GAN sweeps) or its budget field ``name``."""
        return getattr(self, name) if name else self

    def short(self):
        length = f"{self.steps} iterations" if self.steps else f"{self.epochs:g} epochs"
        return f"{self.name} (width {self.width:g}, {length}, {self.n_samples} samples)"


SCALES = {
    "full": Scale("full", "the paper's protocol: full networks, 25 epochs (D28), IS/FID on 50,000 samples "
                          "(METHODS §10)",
                  width=1.0, steps=0, epochs=25.0, n_samples=50000, splits=10, seeds=(0, 1, 2), gammas=GAMMAS_D23,
                  lambdas=None, timing_warmup=50, timing_iters=200, default_metric="inception",
                  checkpoint_every=500, svm_n_train=None,
                  ie=IEBudget("METHODS §7.2's networks (placeholders: Adam 1e-3, batch 128, 20 epochs), 3 seeds",
                              width=1.0, steps=0, epochs=20.0, batch_size=128, seeds=(0, 1, 2), checkpoint_every=500)),
    "smoke": Scale("smoke", "small budgets of the same pipeline for a 2-core CPU; numbers are a pipeline check, not a "
                            "reproduction", width=0.25, steps=1300, epochs=0.0, n_samples=5000, splits=10, seeds=(0,),
                   gammas=GAMMAS_D23_MIN, lambdas=None, timing_warmup=10, timing_iters=50,
                   default_metric="classifier", checkpoint_every=100, svm_n_train=SMOKE_SVM_N_TRAIN,
                   ie=IEBudget("width 0.25 of METHODS §7.2's networks, 300 steps of batch 128 (0.64 epoch of MNIST, "
                               "0.77 of CIFAR-10), 2 seeds", width=0.25, steps=300, epochs=0, batch_size=128,
                               seeds=(0, 1), checkpoint_every=100)),
    "test": Scale("test", "unit-test scale (pipeline check only)", width=0.0625, steps=4, epochs=0.0, n_samples=200,
                  splits=2, seeds=(0,), gammas=(0.0, 1.0), lambdas=(1.8,), timing_warmup=1, timing_iters=2,
                  default_metric="classifier", checkpoint_every=4, hidden=True, svm_n_train=100,
                  ie=IEBudget("pipeline check only", width=0.0625, steps=4, epochs=0, batch_size=16, seeds=(0,),
                              checkpoint_every=2)),
}

PUBLIC_SCALES = tuple(k for k, v in SCALES.items() if not v.hidden)


def get_scale(name):
    if name not in SCALES:
        raise ValueError(f"unknown scale {name!r}; choices: {', '.join(PUBLIC_SCALES)}")
    return SCALES[name]


def apply(scale, cfg):
    """A TrainConfig with the scale's network width and training length (other fields unchanged)."""
    return cfg.replace(width=scale.width, steps=scale.steps, epochs=scale.epochs if not scale.steps else cfg.epochs,
                       checkpoint_every=scale.checkpoint_every, sample_every=0)
