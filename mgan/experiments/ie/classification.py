"""The IE-loss classification experiment (METHODS §7.3; the loss is a reconstruction, D15): softmax, softmax + center
loss (Wen et al. 2016) and softmax + IE loss, trained with Keras ``fit`` on each data set × network capacity × seed,
scored by test accuracy; plus one 2-D-feature run per loss on MNIST for the feature plot.

Layout: every point (data set, net, loss, feature dimension, seed, budget, loss options) has a key; its
checkpoints live in the run store (``<runs_dir>/ie_classification/<label>/``, resumed exactly after a kill: model,
centers, BN statistics and optimizer state at every Keras epoch of ``checkpoint_every`` steps, and the batch stream
restarts at the checkpoint's step) and its result in ``<out>/points/<label>.json`` (written atomically; a finished
point is never retrained). The table and figure are rebuilt from the points of this invocation.
"""
import os
import time
from dataclasses import dataclass, field

import numpy as np

from mgan.errors import RunError
from mgan.experiments import published
from mgan.experiments.ie import report as ie_report
from mgan.experiments.ie.report import ABSTRACT_CLAIM, PLOT_DATASET, PLOT_FEATURE_DIM, PLOT_NET
from mgan.records import provenance
from mgan.records.atomic_files import atomic_save_npz, read_json
from mgan.records.checksums import key_hash
from mgan.training import lock as run_lock

DATASETS = ("mnist", "fashion_mnist", "cifar10")


@dataclass(frozen=True)
class IEScale:
    name: str
    description: str
    width: float  # channel multiplier on METHODS §7.2's widths
    steps: int  # optimizer steps per run (0: `epochs` over the training split)
    epochs: float
    batch_size: int
    seeds: tuple
    checkpoint_every: int  # steps per Keras epoch; a checkpoint at each
    hidden: bool = False

    def total_steps(self, n_train):
        steps = self.steps or int(round(self.epochs * (n_train // self.batch_size)))
        return max(self.checkpoint_every, steps - steps % self.checkpoint_every)


SCALES = {
    "full": IEScale("full", "METHODS §7.2's networks (placeholders: Adam 1e-3, batch 128, 20 epochs), 3 seeds",
                    width=1.0, steps=0, epochs=20.0, batch_size=128, seeds=(0, 1, 2), checkpoint_every=500),
    "smoke": IEScale("smoke", "width 0.25 of METHODS §7.2's networks, 300 steps of batch 128 (0.64 epoch of MNIST, "
                              "0.77 of CIFAR-10), 2 seeds", width=0.25, steps=300, epochs=0, batch_size=128,
                     seeds=(0, 1), checkpoint_every=100),
    "test": IEScale("test", "pipeline check only", width=0.0625, steps=4, epochs=0, batch_size=16, seeds=(0,),
                    checkpoint_every=2, hidden=True),
}


@dataclass
class IEContext:
    """One invocation (duck-types what :mod:`mgan.experiments.published` needs)."""
    scale: IEScale
    datasets: tuple
    nets: tuple
    losses: tuple
    seeds: tuple
    feature_dim: int
    options: dict  # loss options: ie_margin, ie_projection, ie_bandwidth, ie_weight, ie_centers, center_weight, ...
    out: str
    runs_dir: str
    data_dir: str = None
    command: str = ""
    lr: float = 1e-3
    precision: str = "float32"  # mgan.nets.precision: float32 | mixed_bfloat16 (the classifier computes in bfloat16)
    script: str = "ie_loss_classification"
    metric: str = "test_accuracy"
    inception_path: str = None
    extra: dict = field(default_factory=dict)

    @property
    def dataset(self):
        return "+".join(self.datasets)


# ----------------------------------------------------------------------------------------------------------------
# Points

def loss_options(loss, options):
    """The layer options of ``loss`` from the flag values (METHODS §7.2 names)."""
    if loss == "center":
        return {"weight": options["center_weight"], "center_rate": options["center_rate"], "centers": "update_rule"}
    if loss == "ie":
        return {"weight": options["ie_weight"], "margin": options["ie_margin"], "projection": options["ie_projection"],
                "bandwidth": options["ie_bandwidth"], "centers": options["ie_centers"],
                "center_rate": options["center_rate"]}
    return {}


def point_config(ctx, dataset, net, loss, seed, feature_dim, data_identity):
    return {"dataset": dataset, "net": net, "loss": loss, "seed": int(seed), "feature_dim": int(feature_dim),
            "width": ctx.scale.width, "batch_size": ctx.scale.batch_size, "lr": ctx.lr,
            "steps": ctx.scale.steps, "epochs": ctx.scale.epochs, "checkpoint_every": ctx.scale.checkpoint_every,
            "loss_options": loss_options(loss, ctx.options), "data": data_identity,
            **({"precision": ctx.precision} if ctx.precision != "float32" else {})}  # float32 labels unchanged


def point_label(cfg):
    key = key_hash(cfg, 10)
    return f"{cfg['dataset']}-{cfg['net']}-{cfg['loss']}-f{cfg['feature_dim']}-s{cfg['seed']}-{key}"


def feature_statistics(features, labels):
    """Compactness and separation of features: intra = mean_i ‖f_i − μ_{y_i}‖ (μ_k the class mean), inter = mean over
    class pairs of ‖μ_j − μ_k‖, and their ratio intra / inter (smaller: more compact, better separated)."""
    f, y = np.asarray(features, np.float64), np.asarray(labels).reshape(-1)
    if f.ndim != 2 or f.shape[0] != y.shape[0]:
        raise ValueError(f"features must be [n, d] with one label each; got {f.shape} and {y.shape}")
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError("feature statistics need at least two classes")
    means = np.stack([f[y == k].mean(axis=0) for k in classes])
    intra = float(np.mean(np.linalg.norm(f - means[np.searchsorted(classes, y)], axis=1)))
    diffs = means[:, None, :] - means[None, :, :]
    iu = np.triu_indices(classes.size, 1)
    inter = float(np.mean(np.linalg.norm(diffs, axis=-1)[iu]))
    return {"intra": intra, "inter": inter, "ratio": intra / inter}


def jobs_of(ctx):
    """(dataset, net, loss, seed, feature_dim) of every point: one 2-D run per loss on MNIST (the feature plot; first
    seed; when MNIST is among the data sets), then the accuracy grid."""
    grid = [(d, n, l, s, ctx.feature_dim) for d in ctx.datasets for n in ctx.nets for s in ctx.seeds
            for l in ctx.losses]
    plot = [(PLOT_DATASET, PLOT_NET, l, ctx.seeds[0], PLOT_FEATURE_DIM) for l in ctx.losses]
    return (plot if PLOT_DATASET in ctx.datasets else []) + grid


def _scoring(ctx):
    return {"bn_recalibration_batches": int(ctx.options.get("bn_recalibration_batches", 0))}


def _point(ctx, job, data, index, total):
    """Train (or resume) and score one point; a finished point is read back. (A point whose checkpoints are complete
    but whose record is missing is restored, not retrained, and scored.)"""
    from mgan.experiments.ie import points as ie_points

    dataset, net, loss, seed, feature_dim = job
    cfg = point_config(ctx, dataset, net, loss, seed, feature_dim, data.identity)
    label = point_label(cfg)
    path = os.path.join(ctx.out, "points", label + ".json")
    old = read_json(path) if os.path.isfile(path) else {}
    if old.get("status") == "done":
        print(f"[{index}/{total}] {label}: done before (test accuracy {old['test_accuracy']:.4f})", flush=True)
        return old
    directory = os.path.join(ctx.runs_dir, "ie_classification", label)
    os.makedirs(directory, exist_ok=True)
    with run_lock.hold(directory, what="run"):
        total_steps = ctx.scale.total_steps(data.train.n)
        print(f"[{index}/{total}] {label}: {total_steps} steps", flush=True)
        model, facts = ie_points.train_point(cfg, data, directory, total_steps, verbose=ctx.extra.get("verbose", 2))
        rec = {"label": label, "config": cfg, "total_steps": total_steps, "test": data.test, **facts,
               "scoring": _scoring(ctx)}
        if facts["status"] == "done":
            scores, feats = ie_points.score_point(model, data, _scoring(ctx)["bn_recalibration_batches"], seed=seed)
            rec.update(scores, feature_stats=feature_statistics(feats, data.y_test))
            if feature_dim == PLOT_FEATURE_DIM:
                atomic_save_npz(os.path.join(ctx.out, "points", label + ".features.npz"),
                                features=feats[:2000].astype(np.float32), labels=data.y_test[:2000])
        published.write_json(path, rec, ctx)
    print(f"[{index}/{total}] {label}: {rec['status']}, test accuracy {rec.get('test_accuracy', float('nan')):.4f}",
          flush=True)
    return rec


def run(ctx):
    """Train and score every point (resuming), then write results.json, table.md and the feature figure."""
    t0 = time.time()
    published.claim(ctx, ctx.precision)
    jobs = jobs_of(ctx)
    cache = {}
    records = []
    for i, job in enumerate(jobs, 1):
        if job[0] not in cache:
            from mgan.experiments.ie import points as ie_points

            cache[job[0]] = ie_points.load_split(job[0], ctx.data_dir)
        records.append(_point(ctx, job, cache[job[0]], i, len(jobs)))
    bad = [r["label"] for r in records if r.get("status") != "done"]
    results = {"title": "IE loss classification (reconstructed loss, METHODS §7, D15)",
               "scale": {"name": ctx.scale.name, "description": ctx.scale.description, **_scale_facts(ctx.scale)},
               "protocol": {"metric": "test accuracy (top-1) of the trained classifier", "datasets": list(ctx.datasets),
                            "nets": list(ctx.nets), "losses": list(ctx.losses), "seeds": list(ctx.seeds),
                            "feature_dim": ctx.feature_dim, "options": ctx.options, "optimizer": f"Adam {ctx.lr:g}",
                            "bn_statistics": _bn_note(ctx),
                            "precision": ctx.precision},
               "abstract_claim": ABSTRACT_CLAIM, "command": ctx.command, "git_commit": provenance.git_commit(),
               "versions": provenance.versions(), "device": provenance.device_info(),
               "wall_seconds": round(time.time() - t0, 1), "points": records}
    with run_lock.hold(ctx.out, wait=True, what="sweep"):
        published.write_json(os.path.join(ctx.out, "results.json"), results, ctx)
        ie_report.write_outputs(ctx, results)
    if bad:
        raise RunError(f"{len(bad)} point(s) stopped on a NaN/Inf loss: {', '.join(bad)} (recorded in the table)")
    return results


def _bn_note(ctx):
    n = _scoring(ctx)["bn_recalibration_batches"]
    if not n:
        return "Keras' moving averages (momentum 0.99)"
    return (f"re-estimated before testing as the average over {n} training batches of 128 (precise BN); the "
            f"accuracy with Keras' moving averages is recorded per point as test_accuracy_moving_bn")


def _scale_facts(scale):
    return {"width": scale.width, "steps": scale.steps, "epochs": scale.epochs, "batch_size": scale.batch_size,
            "checkpoint_every": scale.checkpoint_every}
