"""table.md and the 2-D feature figure of the IE-loss experiment, from its results (pure of training); ``ctx`` is
the shared Context of :mod:`mgan.experiments.ie.classification` (the grid in ``ctx.extra``)."""
import json
import os

import numpy as np

from mgan.experiments import published

FIGURE = "ie_mnist_features_2d.png"
LOSS_TITLES = {"softmax": "softmax", "center": "softmax + center loss",
               "ie": "softmax + IE loss (reconstructed)"}
ABSTRACT_CLAIM = "IE loss is always superior to other mainstream DML methods"
PLOT_DATASET, PLOT_NET, PLOT_FEATURE_DIM = "mnist", "small", 2  # the 2-D feature runs (one per loss, first seed)


def accuracy_values(records, feature_dim):
    """{(dataset, net, loss): [test accuracy per seed]} of the accuracy grid (the runs of ``feature_dim``)."""
    cells = {}
    for r in records:
        c = r["config"]
        if r.get("status") == "done" and c["feature_dim"] == feature_dim:
            cells.setdefault((c["dataset"], c["net"], c["loss"]), []).append(r["test_accuracy"])
    return cells


def accuracy_cells(records, feature_dim):
    """{(dataset, net, loss): (mean, std, n)} over the seeds of the accuracy grid (the runs of ``feature_dim``)."""
    return {k: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else float("nan"), len(v))
            for k, v in accuracy_values(records, feature_dim).items()}


def _cell(stat):
    if stat is None:
        return "—"
    mean, std, n = stat
    return f"{100 * mean:.2f}" + (f" ± {100 * std:.2f}" if n > 1 else "") + f" (n={n})"


def _verdict(cells, key, losses):
    """Does IE beat every other loss of this row on mean accuracy? (the abstract's claim, per row)."""
    if "ie" not in losses or key + ("ie",) not in cells:
        return "—"
    others = [cells[key + (l,)][0] for l in losses if l != "ie" and key + (l,) in cells]
    if not others:
        return "—"
    best = max(others)
    ie = cells[key + ("ie",)][0]
    return f"{'yes' if ie > best else 'no'} ({100 * (ie - best):+.2f})"


def accuracy_table(ctx, cells):
    losses = ctx.extra["losses"]
    head = ["data set", "net"] + [LOSS_TITLES[l] for l in losses] + ["IE above the best other? (Δ points)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for d in ctx.extra["datasets"]:
        for n in ctx.extra["nets"]:
            row = [d, n] + [_cell(cells.get((d, n, l))) for l in losses] + [_verdict(cells, (d, n), losses)]
            lines.append("| " + " | ".join(row) + " |")
    return lines


def feature_table(ctx, records):
    """Intra / inter-class distance statistics of the test features (the 2-D runs, and the mean over the grid)."""
    lines = ["| run | loss | intra (mean ‖f − μ_y‖) | inter (mean ‖μ_j − μ_k‖) | intra / inter |",
             "|---|---|---|---|---|"]
    for r in records:
        if r.get("status") != "done" or r["config"]["feature_dim"] != PLOT_FEATURE_DIM:
            continue
        s = r["feature_stats"]
        lines.append(f"| {r['config']['dataset']} {r['config']['net']} 2-D, seed {r['config']['seed']} | "
                     f"{LOSS_TITLES[r['config']['loss']]} | {s['intra']:.3f} | {s['inter']:.3f} | {s['ratio']:.3f} |")
    feature_dim = ctx.extra["feature_dim"]
    for l in ctx.extra["losses"]:
        ratios = [r["feature_stats"]["ratio"] for r in records if r.get("status") == "done"
                  and r["config"]["loss"] == l and r["config"]["feature_dim"] == feature_dim]
        if ratios:
            lines.append(f"| every grid run ({len(ratios)}), {feature_dim}-D, mean | {LOSS_TITLES[l]} | | | "
                         f"{np.mean(ratios):.3f} |")
    return lines


def _moving_note(records):
    pairs = [(r["test_accuracy"], r["test_accuracy_moving_bn"]) for r in records
             if r.get("status") == "done" and r.get("bn_recalibration_batches")]
    if not pairs:
        return ""
    diff = 100 * np.array([a - b for a, b in pairs])
    return (f" With Keras' moving averages instead, test accuracy is {np.mean(diff):.1f} points lower on average "
            f"over the {len(pairs)} runs (up to {np.max(diff):.1f}).")


def render_markdown(ctx, results):
    cells = accuracy_cells(results["points"], ctx.extra["feature_dim"])
    s = results["scale"]
    length = f"{s['steps']} steps" if s["steps"] else f"{s['epochs']:g} epochs"
    lines = [f"# {results['title']}", "",
             f"**Scale: {s['name']}** ({s['description']}): width {s['width']:g}, {length} of batch {s['batch_size']}, "
             f"{results['protocol']['optimizer']}, {ctx.precision}, seeds {', '.join(map(str, ctx.seeds))}. "
             + (f"{s['name'].capitalize()} budgets: not a reproduction. " if s["name"] != "full" else ""),
             "",
             "The IE paper survives as an abstract only: the loss, its projection, margin, weight and centers, the "
             "networks and the budgets are reconstructions (METHODS §7.2, D15), and **the paper has no surviving "
             "numbers** to compare with. The abstract's claim: \"" + ABSTRACT_CLAIM + "\".", "",
             f"Test accuracy (%, top-1 on the test split; mean ± sample std over seeds). BN statistics: "
             f"{results['protocol']['bn_statistics']}.{_moving_note(results['points'])}", ""]
    lines += accuracy_table(ctx, cells)
    lines += ["", f"Loss options: {json.dumps(results['protocol']['options'], sort_keys=True)}; feature dimension "
                  f"{ctx.extra['feature_dim']}.", "",
              f"Feature statistics on the test split ({FIGURE} shows the 2-D runs):", ""]
    lines += feature_table(ctx, results["points"])
    lines += ["", f"Command: `{ctx.command}`", ""]
    return "\n".join(lines)


def plot_features(ctx, records, path):
    """One scatter panel per loss of the 2-D MNIST runs' test features (2,000 points); test accuracy above and the
    intra-/inter-class distance statistics (:func:`feature_statistics`, all test images) under each panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [r for r in records if r.get("status") == "done" and r["config"]["feature_dim"] == PLOT_FEATURE_DIM]
    if not runs:
        return None
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.6), squeeze=False)
    for ax, r in zip(axes[0], runs):
        d = np.load(os.path.join(ctx.out, "points", r["label"] + ".features.npz"))
        sc = ax.scatter(d["features"][:, 0], d["features"][:, 1], c=d["labels"], cmap="tab10", s=3, vmin=0, vmax=9)
        s = r["feature_stats"]
        ax.set_title(f"{LOSS_TITLES[r['config']['loss']]}\ntest accuracy {100 * r['test_accuracy']:.1f}%",
                     fontsize=9)
        ax.set_xlabel(f"intra {s['intra']:.3g}, inter {s['inter']:.3g}, intra/inter {s['ratio']:.3f}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.colorbar(sc, ax=axes[0].tolist(), ticks=range(10), shrink=0.8, label="digit")
    fig.suptitle(f"MNIST test features, feature dimension 2 ({ctx.scale.name} scale; IE loss reconstructed)",
                 fontsize=10)
    fig.savefig(path + ".tmp.png", dpi=110)
    plt.close(fig)
    os.replace(path + ".tmp.png", path)
    return path


def write_outputs(ctx, results):
    published.write_text(os.path.join(ctx.out, "table.md"), render_markdown(ctx, results), ctx)
    plot_features(ctx, results["points"], os.path.join(ctx.out, FIGURE))
