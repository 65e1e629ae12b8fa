"""The IE-loss classification experiment (METHODS §7.3; the loss is a reconstruction, D15): softmax, softmax + center
loss (Wen et al. 2016) and softmax + IE loss, trained with Keras ``fit`` on each data set × network capacity × seed,
scored by test accuracy; plus one 2-D-feature run per loss on MNIST for the feature plot.

Layout: every point (data set, net, loss, feature dimension, seed, budget, loss options) has a key; its
checkpoints live in the run store (``<runs_dir>/ie_classification/<label>/``, resumed exactly after a kill: model,
centers, BN statistics and optimizer state at every Keras epoch of ``checkpoint_every`` steps, and the batch stream
restarts at the checkpoint's step) and its result in ``<out>/points/<label>.json`` (written atomically; a finished
point is never retrained). The table and figure are rebuilt from the points of this invocation.

An invocation is the shared :class:`mgan.experiments.cli.Context`: its budget is ``ctx.scale.ie``
(:class:`mgan.experiments.scales.IEBudget`), ``ctx.dataset`` the data sets joined by "+", ``ctx.metric``
"test_accuracy", and ``ctx.extra`` holds the script's flag values: ``datasets``, ``nets``, ``losses`` (tuples),
``feature_dim`` and the loss and scoring options (:data:`OPTIONS`).
"""
import os
import time

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
METRIC = "test_accuracy"  # ctx.metric (recorded in protocol.json)
LR = 1e-3  # Adam's learning rate (a placeholder, METHODS §7.2)
# The loss and scoring options among the script's flags (ctx.extra), in the order results.json lists them.
OPTIONS = ("ie_margin", "ie_projection", "ie_bandwidth", "ie_weight", "ie_centers", "center_weight", "center_rate",
           "bn_recalibration_batches")


def options_of(ctx):
    """The loss and scoring options of this invocation: ``{name: value}`` of :data:`OPTIONS`."""
    return {k: ctx.extra[k] for k in OPTIONS}


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
    budget = ctx.scale.ie
    return {"dataset": dataset, "net": net, "loss": loss, "seed": int(seed), "feature_dim": int(feature_dim),
            "width": budget.width, "batch_size": budget.batch_size, "lr": LR,
            "steps": budget.steps, "epochs": budget.epochs, "checkpoint_every": budget.checkpoint_every,
            "loss_options": loss_options(loss, options_of(ctx)), "data": data_identity,
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
    x = ctx.extra
    grid = [(d, n, l, s, x["feature_dim"]) for d in x["datasets"] for n in x["nets"] for s in ctx.seeds
            for l in x["losses"]]
    plot = [(PLOT_DATASET, PLOT_NET, l, ctx.seeds[0], PLOT_FEATURE_DIM) for l in x["losses"]]
    return (plot if PLOT_DATASET in x["datasets"] else []) + grid


def _scoring(ctx):
    return {"bn_recalibration_batches": int(ctx.extra.get("bn_recalibration_batches", 0))}


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
        total_steps = ctx.scale.ie.total_steps(data.train.n)
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
    x = ctx.extra
    results = {"title": "IE loss classification (reconstructed loss, METHODS §7, D15)",
               "scale": {"name": ctx.scale.name, "description": ctx.scale.ie.description,
                         **_scale_facts(ctx.scale.ie)},
               "protocol": {"metric": "test accuracy (top-1) of the trained classifier",
                            "datasets": list(x["datasets"]), "nets": list(x["nets"]), "losses": list(x["losses"]),
                            "seeds": list(ctx.seeds),
                            "feature_dim": x["feature_dim"], "options": options_of(ctx), "optimizer": f"Adam {LR:g}",
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


def _scale_facts(budget):
    return {"width": budget.width, "steps": budget.steps, "epochs": budget.epochs, "batch_size": budget.batch_size,
            "checkpoint_every": budget.checkpoint_every}
