"""Figures of the reproduce scripts (matplotlib, Agg backend), written atomically as PNG.

- :class:`Curve`: a value against a point parameter (γ, λ), one curve per series, error bars (std over seeds; with
  one seed, the score's std over splits, as the paper's "IS ± std"; distances with one seed have none), the paper's
  values overlaid where the paper gives numbers (on a second y axis when our metric differs from the paper's).
- :class:`Samples`: sample grids of finished runs from their fixed grid noise
  (``mgan.training.trained.run_sample_grid``), one panel per model labelled (a), (b), (c) like the paper; a panel
  without a run (a model of a later issue) is a labelled blank panel saying why. Each grid is also written on its own
  with ``mgan.images.write_png``.
- :class:`Bars`: Table 3 as a figure: (a) the score per model, ours next to the paper's; (b) the time per iteration
  as a ratio to the reference row, ours next to the paper's.
"""
import io as _pyio
import os
import textwrap
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from mgan.experiments.runs import run_dir_of
from mgan.records.atomic_files import atomic_write_bytes

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path):
    """Save a matplotlib figure as PNG atomically."""
    buf = _pyio.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _subtitle(results):
    sc = results["scale"]
    if results.get("scale_note"):
        return f"{results['data']['label']}; scale {sc['name']} ({results['scale_note']})"
    length = f"{sc['steps']} iterations" if sc["steps"] else f"{sc['epochs']:g} epochs"
    return f"{results['data']['label']}; scale {sc['name']} (width {sc['width']:g}, {length})"


def _wrap(s, width=70):
    return "\n".join(textwrap.fill(line, width) for line in s.split("\n"))


def _ours(results, label, value):
    pt = results["points"].get(label)
    if not pt or not pt["per_seed"]:
        return None
    a = pt["aggregate"]
    if value == "distance":
        return a["distance_mean"], a["distance_seed_std"], ("std over seeds" if a["n_seeds"] > 1 else
                                                            "none (1 seed)")
    if a["n_seeds"] > 1:
        return a["score_mean"], a["score_seed_std"], "std over seeds"
    return a["score_mean"], a["score_split_std_mean"], "std over splits (1 seed)"


def _metric_label(results, value):
    for pt in results["points"].values():
        if pt["per_seed"]:
            s = pt["per_seed"][0]["summary"]
            return s["score_label"] if value == "score" else s["distance_label"]
    return value


@dataclass
class Curve:
    file: str
    x: str  # meta key on the x axis
    xlabel: str
    title: str
    series_key: str = "series"  # meta key that groups points into curves
    paper: Optional[dict] = None  # {x: paper value}: overlaid
    paper_label: str = "paper"
    log_x: bool = False

    def render(self, results, exp, ctx):
        plt = _plt()
        value = exp.value
        groups = {}
        err_kind = None
        for label, pt in results["points"].items():
            meta = pt["meta"]
            if self.x not in meta:
                continue
            o = _ours(results, label, value)
            if o is None:
                continue
            groups.setdefault(meta.get(self.series_key, "ours"), []).append((meta[self.x], o[0], o[1]))
            err_kind = o[2]
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        ylabel = _metric_label(results, value)
        for name, pts in groups.items():
            pts.sort()
            xs, ys, es = zip(*pts)
            yerr = None if all(e is None for e in es) else [0 if e is None else e for e in es]
            ax.errorbar(xs, ys, yerr=yerr, marker="o", capsize=3, label=f"ours: {name}")
        ax.set_xlabel(self.xlabel)
        if self.log_x:
            ax.set_xscale("log")
        ax.set_ylabel(_wrap(f"ours: {ylabel}", 45))
        handles, labels = ax.get_legend_handles_labels()
        if self.paper:
            px = sorted(self.paper)
            py = [self.paper[k] for k in px]
            same = ctx.comparable(exp) == "yes"
            pax = ax if same else ax.twinx()
            h = pax.plot(px, py, "s--", color="0.45", label=f"{self.paper_label}" +
                         ("" if same else " (right axis; not comparable)"))
            if not same:
                pax.set_ylabel(f"paper: {exp.paper_metric} (Inception network)")
                handles += h
                labels += [h[0].get_label()]
            else:
                handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles, labels, fontsize=8, loc="best")
        note = f"error bars: {err_kind}" if err_kind else ""
        ax.set_title(_wrap(f"{self.title}\n{_subtitle(results)}" + (f"; {note}" if note else ""), 80), fontsize=9)
        ax.grid(alpha=0.3)
        return [save_figure(fig, os.path.join(ctx.out, self.file))]


def read_metrics_log(run_dir):
    """The JSON lines of a run's metrics.jsonl (a line cut by a kill is skipped)."""
    import json

    rows = []
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


@dataclass
class TrainingCurves:
    """Logged training metrics (metrics.jsonl, first seed) of chosen points against the iteration, one panel per
    metric: how a run got where it ended (e.g. the real-fake feature gap of DMGAN drifting away)."""
    file: str
    title: str
    metrics: tuple  # (metrics.jsonl key, axis label, sign) triples; sign -1 plots the negated value
    labels: tuple  # points to plot, in legend order
    log_y: bool = True

    def render(self, results, exp, ctx):
        plt = _plt()
        fig, axes = plt.subplots(1, len(self.metrics), figsize=(5.2 * len(self.metrics), 4.2), squeeze=False)
        for (key, ylabel, sign), ax in zip(self.metrics, axes.flat):
            for label in self.labels:
                pt = results["points"].get(label)
                if not pt or not pt["per_seed"]:
                    continue
                rows = [r for r in read_metrics_log(run_dir_of(pt["per_seed"][0], ctx.runs_dir)) if key in r]
                ax.plot([r["step"] for r in rows], [sign * r[key] for r in rows], lw=1, label=pt["title"] or label)
            ax.set_xlabel("iteration")
            ax.set_ylabel(ylabel)
            if self.log_y:
                ax.set_yscale("log")
            ax.grid(alpha=0.3)
        axes.flat[0].legend(fontsize=7, loc="best")
        fig.suptitle(_wrap(f"{self.title}\n{_subtitle(results)}", 120), fontsize=10, y=1.04)
        return [save_figure(fig, os.path.join(ctx.out, self.file))]


@dataclass
class Panel:
    title: str
    label: Optional[str] = None  # the point whose (first seed's) run is shown
    placeholder: Optional[str] = None  # text of a blank panel when there is no run
    real: Optional[str] = None  # a data set: the panel shows its training images instead of a run's samples


def real_grid(dataset, data_dir=None, rows=8, cols=8, seed=0):
    """An 8x8 grid of training images of ``dataset`` (a fixed seeded choice), uint8, as a run's sample grid."""
    from mgan import images
    from mgan import data as data_lib

    ds = data_lib.load_dataset(dataset, split="train", data_dir=data_dir)
    idx = np.random.default_rng(seed).choice(ds.n, rows * cols, replace=False)
    return images.image_grid(ds.x[idx], rows, cols)


@dataclass
class Samples:
    """Sample-grid panels side by side (``ncols`` per row); each panel's grid is also written as its own PNG,
    enlarged ``upscale`` times (nearest neighbour) so that small images can be seen."""
    file: str
    title: str
    panels: list = field(default_factory=list)
    ncols: Optional[int] = None  # None: all panels in one row
    upscale: int = 1

    def render(self, results, exp, ctx):
        from mgan import images
        from mgan.training import trained

        plt = _plt()
        paths = []
        n = len(self.panels)
        ncols = min(n, self.ncols or n)
        nrows = -(-n // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 4.8 * nrows), squeeze=False)
        for ax in axes.flat[n:]:
            ax.axis("off")
        axes = axes.flat
        stem = os.path.splitext(self.file)[0]
        for i, (panel, ax) in enumerate(zip(self.panels, axes)):
            head = _wrap(f"({LETTERS[i]}) {panel.title}", 45)
            pt = results["points"].get(panel.label) if panel.label else None
            ax.set_xticks([])
            ax.set_yticks([])
            grid = None
            if panel.real:
                grid = real_grid(panel.real, ctx.data_dir or None)
            elif pt and pt["per_seed"]:
                grid = trained.run_sample_grid(run_dir_of(pt["per_seed"][0], ctx.runs_dir))
            if grid is not None:
                p = os.path.join(ctx.out, f"{stem}_{LETTERS[i]}.png")
                images.write_png(p, images.upscale(grid, self.upscale))
                paths.append(p)
                ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray" if grid.shape[-1] == 1 else None,
                          interpolation="nearest")
            else:
                ax.set_facecolor("white")
                ax.text(0.5, 0.5, _wrap(panel.placeholder or "not run", 28), ha="center", va="center",
                        fontsize=10, transform=ax.transAxes)
            ax.set_title(head, fontsize=10)
        fig.suptitle(_wrap(f"{self.title}\n{_subtitle(results)}", 110), fontsize=10,
                     y=1.02 if nrows == 1 else 1.0 - 0.02 / nrows)
        paths.insert(0, save_figure(fig, os.path.join(ctx.out, self.file)))
        return paths


@dataclass
class Interpolation:
    """MBGAN Fig. 9: rows of linear interpolations in z between random end points (mgan.training.trained), of one
    run."""
    file: str
    title: str
    label: str
    rows: int = 8
    steps: int = 10
    upscale: int = 1

    def render(self, results, exp, ctx):
        from mgan import images
        from mgan.training import trained

        pt = results["points"].get(self.label)
        if not pt or not pt["per_seed"]:
            return []
        grid = trained.run_interpolation_grid(run_dir_of(pt["per_seed"][0], ctx.runs_dir), self.rows, self.steps)
        plt = _plt()
        fig, ax = plt.subplots(figsize=(1.0 * self.steps + 1, 1.0 * self.rows + 1))
        ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray" if grid.shape[-1] == 1 else None,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"z_m = λ z_l + (1 − λ) z_r, λ from 1 (left) to 0 (right) in {self.steps} steps")
        ax.set_title(_wrap(f"{self.title}\n{_subtitle(results)}", 90), fontsize=9)
        stem = os.path.splitext(self.file)[0]
        grid_path = os.path.join(ctx.out, f"{stem}_grid.png")
        images.write_png(grid_path, images.upscale(grid, self.upscale))
        return [save_figure(fig, os.path.join(ctx.out, self.file)), grid_path]


@dataclass
class Bars:
    """Table 3 as a figure, from the table rows (results['rows'])."""
    file: str
    title: str

    def render(self, results, exp, ctx):
        plt = _plt()
        rows = results["rows"]
        names = [r["name"] for r in rows]
        x = np.arange(len(rows))
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4.6))
        same = ctx.comparable(exp) == "yes"
        paper = [r["paper"][0] if r["paper"] else np.nan for r in rows]
        paper_err = [(r["paper"][1] or 0) if r["paper"] else 0 for r in rows]
        ours = [r.get("ours_mean") if r.get("ours_mean") is not None else np.nan for r in rows]
        ours_err = [(r.get("ours_seed_std") if r.get("n_seeds", 1) > 1 else r.get("ours_split_std")) or 0
                    for r in rows]
        pax = ax if same else ax.twinx()
        pax.bar(x + 0.2, paper, 0.4, yerr=paper_err, color="0.7", capsize=2,
                label=f"paper: {exp.paper_metric}" + ("" if same else " (right axis)"))
        ax.bar(x - 0.2, ours, 0.4, yerr=ours_err, color="tab:blue", capsize=2, label="ours")
        ax.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel(_wrap(f"ours: {_metric_label(results, exp.value)}", 45), fontsize=8)
        if not same:
            pax.set_ylabel(f"paper: {exp.paper_metric}", fontsize=8)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = (pax.get_legend_handles_labels() if not same else ([], []))
        (pax if not same else ax).legend(h1 + h2, l1 + l2, fontsize=8, loc="upper right", framealpha=1.0)
        fig.subplots_adjust(wspace=0.45)
        ax.set_title("(a) score per model (rows without a bar of ours: not run yet)", fontsize=9)
        pr = [r.get("paper_ratio") if r.get("paper_ratio") is not None else np.nan for r in rows]
        orat = [r.get("ours_ratio") if r.get("ours_ratio") is not None else np.nan for r in rows]
        bx.bar(x - 0.2, orat, 0.4, color="tab:blue", label="ours")
        bx.bar(x + 0.2, pr, 0.4, color="0.7", label="paper (TitanX, TF 1.3)")
        bx.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
        ref = next((r["name"] for r in rows if r["label"] == exp.timing_reference), "reference")
        bx.set_ylabel(f"ms per iteration / {ref}'s", fontsize=8)
        bx.set_yscale("log")
        bx.legend(fontsize=8)
        bx.set_title(f"(b) time per iteration relative to {ref}", fontsize=9)
        for a, vals in ((ax, ours + ([] if not same else paper)), (pax, paper)):
            top = np.nanmax(np.asarray(vals, float) + 0.0) if np.isfinite(np.asarray(vals, float)).any() else 1.0
            a.set_ylim(0, 1.35 * top)  # room for the legend above the bars
        fig.suptitle(_wrap(f"{self.title}\n{_subtitle(results)}", 140), fontsize=10, y=1.04)
        return [save_figure(fig, os.path.join(ctx.out, self.file))]
