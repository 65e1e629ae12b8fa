"""The two KM-GAN figures that are not sample grids (METHODS §6.9): D's features during training (Fig. 2) and the
class frequencies of generated images (Fig. 5), with the numbers behind them.

- :func:`feature_snapshots` restores every checkpoint a run kept and computes D's features of a fixed probe set;
  :func:`projection_summary` projects each snapshot to 2-D (PCA, or t-SNE) and measures how well the features
  separate the probe's true classes (the silhouette score in the full feature space, a quantitative aid that is not
  in the paper). :class:`FeatureSnapshots` draws one row per model, one panel per snapshot, coloured by class.
- :func:`class_frequencies` labels a run's samples with a classifier; :class:`ClassFrequency` draws the bar chart
  with the uniform line.
"""
import os
from dataclasses import dataclass

import numpy as np

from mgan.experiments.figures import _plt, _subtitle, _wrap, save_figure
from mgan.experiments.runs import run_dir_of

PROBE_PER_CLASS = 250  # probe points per class of Fig. 2 (1,000 of the 10,000 synthetic points)
PROJECTIONS = ("pca", "tsne")


def probe_set(dataset, data_dir=None, per_class=PROBE_PER_CLASS, seed=0):
    """(x, y): ``per_class`` points of every class of the data set's training split, a fixed seeded choice."""
    from mgan import data as data_lib

    ds = data_lib.load_dataset(dataset, split="train", data_dir=data_dir)
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.permutation(np.flatnonzero(ds.y == c))[:per_class] for c in np.unique(ds.y)])
    return data_lib.to_unit_range(ds.x[idx]), ds.y[idx]


def _feature_layer(model):
    """D's features: the metric head (KM-GAN), or the last hidden layer when the head is one logit (DCGAN)."""
    import keras

    D = model.discriminator
    if int(D.output.shape[-1]) > 1:
        return D
    return keras.Model(D.inputs, D.layers[-2].output)


def feature_snapshots(run_dir, x):
    """[(step, features of ``x`` [n, d])] for every checkpoint the run kept, oldest first (D in inference mode)."""
    import tensorflow as tf

    from mgan.training import trained
    from mgan.training.checkpoints import RunCheckpoints

    model, _ = trained.load_trained_model(run_dir)
    ckpt = RunCheckpoints(model, os.path.join(run_dir, "checkpoints"), keep=None)
    net = _feature_layer(model)
    out = []
    for path in ckpt.manager.checkpoints:
        ckpt.checkpoint.restore(path).expect_partial()
        feats = net(tf.constant(x, tf.float32), training=False)
        out.append((int(path.rsplit("-", 1)[1]), np.asarray(feats, np.float64)))
    return out


def project(features, proj="pca", seed=0):
    """2-D projection of ``features`` [n, d]: PCA (scikit-learn) or t-SNE (scikit-learn, PCA initialised)."""
    if proj not in PROJECTIONS:
        raise ValueError(f"unknown projection {proj!r}; valid: {list(PROJECTIONS)}")
    if proj == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(features)
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, init="pca", random_state=seed, perplexity=30.0).fit_transform(features)


def projection_summary(snapshots, y, proj="pca"):
    """Per snapshot: step, 2-D projection, and the silhouette score of the true classes in the full feature space
    (1: tight, separated clusters; 0: overlapping; scikit-learn ``silhouette_score``, Euclidean)."""
    from sklearn.metrics import silhouette_score

    out = []
    for step, f in snapshots:
        finite = bool(np.all(np.isfinite(f)))
        sil = float(silhouette_score(f, y)) if finite and np.ptp(f, axis=0).max() > 0 else None
        out.append({"step": step, "xy": project(f, proj) if finite else None, "silhouette": sil})
    return out


@dataclass
class FeatureSnapshots:
    """KM-GAN Fig. 2: one row per point, one panel per kept checkpoint, the probe's features in 2-D by class."""
    file: str
    title: str
    labels: tuple
    proj: str = "pca"

    def render(self, results, exp, ctx):
        plt = _plt()
        snaps = results.pop("_feature_snapshots", None) or {}  # arrays: not for results.json
        rows = [lab for lab in self.labels if lab in snaps]
        if not rows:
            return []
        ncols = max(len(snaps[lab]["snapshots"]) for lab in rows)
        name = "Gaussian" if results["data"]["used"] == "synthetic" else "class"
        fig, axes = plt.subplots(len(rows), ncols, figsize=(3.2 * ncols, 3.2 * len(rows)), squeeze=False)
        for r, lab in enumerate(rows):
            y = snaps[lab]["y"]
            for c, ax in enumerate(axes[r]):
                ax.set_xticks([])
                ax.set_yticks([])
                if c >= len(snaps[lab]["snapshots"]):
                    ax.axis("off")
                    continue
                s = snaps[lab]["snapshots"][c]
                if s["xy"] is not None:
                    for k in np.unique(y):
                        ax.scatter(s["xy"][y == k, 0], s["xy"][y == k, 1], s=3, alpha=0.6, label=f"{name} {k}")
                sil = "—" if s["silhouette"] is None else f"{s['silhouette']:.2f}"
                ax.set_title(f"{results['points'][lab]['title']}\niteration {s['step']}; silhouette {sil}",
                             fontsize=8)
        axes[0][0].legend(fontsize=6, markerscale=3, loc="best")
        fig.suptitle(_wrap(f"{self.title} ({self.proj.upper()})\n{_subtitle(results)}", 110), fontsize=10, y=1.02)
        return [save_figure(fig, os.path.join(ctx.out, self.file))]


def class_frequencies(run_dir, network, n, seed=0):
    """(share of each class among ``n`` samples of a finished run as labelled by ``network``, mean confidence):
    the class report's ``class_shares`` and ``mean_confidence`` (:func:`mgan.metrics.class_report.class_report`)."""
    from mgan.metrics.class_report import class_report
    from mgan.training import trained

    x, _ = trained.generate_from_run(run_dir, n, seed=seed)
    logits = network.logits_and_features(x, progress=False)[0]
    report = class_report(logits, x, logits.shape[1])
    return report["class_shares"], report["mean_confidence"]


@dataclass
class ClassFrequency:
    """KM-GAN Fig. 5(c): the share of generated images per class, one bar per point and class, the uniform line."""
    file: str
    title: str
    labels: tuple
    colors: tuple = ("tab:blue", "0.6")  # KM-GAN blue, DCGAN gray (the paper's)
    class_names: tuple = ()

    def render(self, results, exp, ctx):
        plt = _plt()
        freqs = results.get("class_frequency") or {}
        rows = [lab for lab in self.labels if lab in freqs["points"]] if freqs else []
        if not rows:
            return []
        k = len(freqs["points"][rows[0]]["frequency"])
        names = list(self.class_names) if len(self.class_names) == k else [str(i) for i in range(k)]
        width = 0.8 / len(rows)
        fig, ax = plt.subplots(figsize=(9, 4.2))
        for i, lab in enumerate(rows):
            ax.bar(np.arange(k) + (i - (len(rows) - 1) / 2) * width, freqs["points"][lab]["frequency"], width,
                   color=self.colors[i % len(self.colors)], label=results["points"][lab]["title"])
        ax.axhline(1.0 / k, color="k", ls="--", lw=1, label=f"uniform ({1.0 / k:.2g})")
        ax.set_xticks(np.arange(k))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("share of generated images")
        ax.legend(fontsize=8)
        c = freqs["classifier"]
        fig.suptitle(_wrap(f"{self.title}\n{_subtitle(results)}; {freqs['n_samples']:,} samples per model labelled "
                           f"by {c['description']}", 120), fontsize=9, y=1.04)
        return [save_figure(fig, os.path.join(ctx.out, self.file))]


def first_run(results, label, ctx):
    pt = results["points"].get(label)
    return run_dir_of(pt["per_seed"][0], ctx.runs_dir) if pt and pt["per_seed"] else None
