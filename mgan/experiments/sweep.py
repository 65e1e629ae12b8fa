"""Declare an experiment as a list of points, run them, score them, save each result as soon as it exists.

An :class:`Experiment` is what a reproduce script declares: points (label, TrainConfig, seeds, metadata), the table
rows that compare them with the paper, and the figures. :func:`run` then

1. checks that the data set and the metric's network are available (fails fast otherwise, before any training);
2. for each point and seed, in order: trains or resumes its run through the run store (:func:`runs.ensure_run`;
   runs shared with other scripts are reused), scores the finished run with the chosen metric
   (:func:`mgan.metrics.score_run`), and writes ``<out>/points/<label>__seed<k>.json`` atomically. A point whose
   JSON exists with the same point key (run key + scoring protocol) is skipped, so a re-run does no work and an
   interrupted sweep resumes at the first unfinished point (and the runner resumes an unfinished run from its last
   checkpoint);
3. optionally times training iterations of some points (:func:`mgan.training.timing.measure_interleaved`,
   METHODS §10.6);
4. aggregates mean ± std over seeds and writes ``table.md``, ``results.json``, the figures and a copy of each run's
   manifest under ``<out>/manifests/`` (all atomically).

Progress lines say which point of how many is running and the elapsed time.
"""
import datetime
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from mgan.config import TrainConfig
from mgan.data import dataset_info
from mgan.experiments import published
from mgan.experiments import runs as runs_lib
from mgan.experiments.runs import repo_relative
from mgan.records import provenance
from mgan.records.atomic_files import atomic_write_json, read_json
from mgan.records.checksums import key_hash
from mgan.training import manifest as run_manifest

POINT_KEY_VERSION = 2  # 2: classifier scores carry the class report (mgan.metrics.class_report)


@dataclass(frozen=True)
class SVMProtocol:
    """MBGAN Tables 3-4: each point is also scored by the SVM protocol of its discriminator (mgan.metrics.svm)."""
    n_train: Optional[int] = None  # None: the whole training split
    C: Optional[float] = None  # None: chosen by cross-validation over Cs
    Cs: tuple = ()
    folds: int = 5

    def key(self):
        return {"n_train": self.n_train, "C": self.C, "Cs": list(self.Cs), "folds": self.folds, "v": 1}


@dataclass
class Point:
    """One trained configuration of an experiment (run once per seed)."""
    label: str  # unique, file-name safe: 'lam1.8', 'dmgan_gamma0.5'
    config: TrainConfig  # the scale already applied; the seed is set per seed
    title: str = ""  # human readable: 'DMGAN, γ = 0.5'
    meta: dict = field(default_factory=dict)  # values the tables/figures use, e.g. {'gamma': 0.5, 'series': 'DMGAN'}
    seeds: Optional[tuple] = None  # None: the script's --seeds


@dataclass
class Row:
    """One table row: a point of ours next to a paper value, or a paper value with a status."""
    name: str
    label: Optional[str] = None  # the point that gives our number; None: not run
    paper: Optional[tuple] = None  # (mean, std or None) or None when the paper gives no value
    status: Optional[str] = None  # e.g. 'not run yet: ...'; default 'trained and scored now' when label is set
    paper_note: str = ""  # e.g. 'figure only; values unknown'
    extra: dict = field(default_factory=dict)  # values of Experiment.extra_columns (filled by hooks)


@dataclass
class Experiment:
    script: str
    title: str
    paper_dataset: str
    points: list
    value: str = "score"  # the number the table compares: 'score' (IS-like), 'distance' (FID-like), 'svm_accuracy'
    svm: Optional[SVMProtocol] = None  # also score each point's discriminator by the SVM protocol (MBGAN §5.6)
    score_samples: bool = True  # False: figures only (no metric network is needed, e.g. CelebA has no classifier)
    paper_metric: Optional[str] = None  # 'FID' | 'Inception Score' | None (figure without numbers)
    rows: list = field(default_factory=list)
    row_header: str = "Point"
    figures: list = field(default_factory=list)  # figures.Curve / figures.Samples / figures.Bars
    timing: list = field(default_factory=list)  # labels of points whose training iterations are timed
    timing_reference: Optional[str] = None  # label of the point the time ratios refer to (Table 3: DCGAN)
    extra_columns: list = field(default_factory=list)
    class_columns: bool = False  # table.md shows the class report (coverage, agreement, diversity; classifier metric)
    finalize: Optional[object] = None  # hook(results dict, experiment, ctx) run before the table is written
    notes: list = field(default_factory=list)
    scale_note: str = ""  # set when the experiment overrides the scale's width or length (said in table and figures)


def _fmt_elapsed(seconds):
    return str(datetime.timedelta(seconds=int(seconds)))


def _log(msg):
    print(msg, flush=True)


def dataset_label(ctx):
    name = dataset_info(ctx.dataset).title
    if ctx.dataset != ctx.paper_dataset:
        return f"{name} (substitute for {dataset_info(ctx.paper_dataset).title})"
    return name


def summarize_scores(res):
    """The numbers of a score dict (mgan.metrics) under metric-neutral names, with their labels."""
    prefix = {"inception": ("is", "fid"), "classifier": ("classifier_score", "classifier_fd")}[res["metric"]]
    out = {"metric": res["metric"], "score_label": res["label"], "distance_label": res["distance_label"],
           "score_mean": res.get(f"{prefix[0]}_mean"), "score_std": res.get(f"{prefix[0]}_std"),
           "distance": res.get(prefix[1])}
    if res.get("class_report"):
        from mgan.metrics.class_report import learns

        cr = res["class_report"]
        out["class_report"] = {k: cr[k] for k in CLASS_FIELDS}
        out["class_report"]["learns"] = learns(cr)[0]
    return out


UNSCORED = {"metric": None, "score_label": "not scored (figure only)", "distance_label": "not scored",
            "score_mean": None, "score_std": None, "distance": None}

# The class-report numbers every point summary carries (means over seeds in the aggregate; 'learns' as a fraction).
CLASS_FIELDS = ("classes_covered", "max_class_share", "mean_confidence", "label_agreement", "diversity_ratio")


def point_key(run_key, ctx, network_sha, svm=None):
    key = {"v": POINT_KEY_VERSION, "run": run_key, "metric": ctx.metric, "n": ctx.scale.n_samples,
           "splits": ctx.scale.splits, "ref": ctx.ref_split, "sample_seed": 0, "network": network_sha}
    if svm is not None:  # only then: the keys of every other experiment stay as they were
        key["svm"] = svm.key()
    if network_sha == "unscored":
        key = {"v": POINT_KEY_VERSION, "run": run_key, "scored": False}
    return key_hash(key, 16)


def point_path(out, label, seed):
    return os.path.join(out, "points", f"{label}__seed{seed}.json")


def _read_point(path):
    try:
        return read_json(path)
    except (OSError, json.JSONDecodeError):
        return None


def _seed_config(point, seed):
    return point.config.replace(seed=int(seed))


def check_inputs(exp, ctx):
    """Fail fast (before any training) when the data or the metric's network is missing. Returns the network."""
    from mgan import metrics
    from mgan import data as data_lib

    labels = [p.label for p in exp.points]
    dup = {lab for lab in labels if labels.count(lab) > 1}
    if dup:
        raise ValueError(f"duplicate point labels {sorted(dup)}")
    for ds in sorted({p.config.dataset for p in exp.points}):
        data_lib.load_dataset(ds, split="train", data_dir=ctx.data_dir or None)
    if not exp.score_samples:
        return None
    _log(f"[{exp.script}] metric: loading the {ctx.metric} network ...")
    return metrics.get_network(ctx.metric, dataset=ctx.dataset, inception_path=ctx.inception_path,
                               data_dir=ctx.data_dir or None, progress=False)


def _svm_score(run_dir, ctx, svm):
    from mgan.metrics import svm as svm_lib

    return svm_lib.svm_score_run(run_dir, dataset=ctx.dataset, data_dir=ctx.data_dir or None, n_train=svm.n_train,
                                 Cs=svm.Cs or svm_lib.DEFAULT_CS, folds=svm.folds, C=svm.C)


def _run_point(point, seed, ctx, network, svm=None):
    from mgan import metrics

    cfg = _seed_config(point, seed)
    t0 = time.time()
    run_dir, info = runs_lib.ensure_run(cfg, ctx.runs_dir, progress=sys.stdout.isatty())
    t_train = time.time() - t0
    t1 = time.time()
    res = None if network is None else metrics.score_run(
        run_dir, n=ctx.scale.n_samples, metric=ctx.metric, dataset=ctx.dataset, seed=0, is_splits=ctx.scale.splits,
        fid_ref_split=ctx.ref_split, network=network, data_dir=ctx.data_dir or None, progress=False)
    svm_res = _svm_score(run_dir, ctx, svm) if svm is not None else None
    t_score = time.time() - t1
    manifest = run_manifest.read_if_intact(run_dir)
    summary = summarize_scores(res) if res is not None else dict(UNSCORED)
    if svm_res is not None:
        summary.update(svm_accuracy=svm_res["accuracy"], svm_feature_dim=svm_res["feature_dim"], svm_C=svm_res["C"])
    return {
        "label": point.label, "title": point.title, "meta": point.meta, "seed": int(seed),
        "run": {"dir": repo_relative(run_dir), "key": info["key"], "trained_now": info["trained"],
                "facts": runs_lib.manifest_facts(manifest)},
        "summary": summary, "scores": res, **({"svm": svm_res} if svm_res is not None else {}),
        "wall_seconds": {"train_this_invocation": round(t_train, 2), "train_total": (manifest or {}).get(
            "wall_seconds"), "score": round(t_score, 2)},
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }


TIMING_PROTOCOL = ("METHODS §10.6: median wall time of one complete training iteration (D step, G step, centers and "
                   "weights) on a fixed in-memory batch of 64, after {warmup} warm-up iterations each, over {iters} "
                   "timed iterations each; network width as in the run; all rows measured in the same process, "
                   "round-robin (mgan.training.timing.measure_interleaved)")


def _timed_configs(want, seed0, ctx):
    """The run configs of the timed points, at the timing batch size of 64."""
    cfgs = []
    for lab, _ in want:
        manifest = run_manifest.read_if_intact(runs_lib.run_dir_of(seed0[lab], ctx.runs_dir))
        cfgs.append(run_manifest.recorded_config(manifest).replace(batch_size=64, out=""))
    return cfgs


def _measure(exp, ctx, cfgs):
    from mgan.training.timing import measure_interleaved

    info = dataset_info(cfgs[0].dataset)
    repeats = min(5, ctx.scale.timing_iters)
    iters = max(1, ctx.scale.timing_iters // repeats)
    _log(f"[{exp.script}] timing {len(cfgs)} models round-robin ({ctx.scale.timing_warmup} warm-up + {repeats} "
         f"rounds of {iters} iterations each)")
    return measure_interleaved(cfgs, tuple(info.example_shape), num_classes=info.num_classes,
                               warmup=ctx.scale.timing_warmup, iters=iters, repeats=repeats)


def _timing(exp, ctx, per_point):
    """ms per training iteration of the points in exp.timing, measured now in one go (METHODS §10.6)."""
    path = os.path.join(ctx.out, "points", "timing.json")
    seed0 = {lab: recs[0] for lab, recs in per_point.items() if recs}
    want = [(lab, seed0[lab]["run"]["key"]) for lab in exp.timing if lab in seed0]
    key = key_hash({"points": want, "warmup": ctx.scale.timing_warmup, "iters": ctx.scale.timing_iters}, 16,
                   sort_keys=False)  # as it always was: timing.json files keep their keys
    old = _read_point(path)
    if old and old.get("key") == key:
        _log(f"[{exp.script}] timing: done before ({repo_relative(path)}), skipped")
        return old
    out = {"key": key, "device": provenance.device_info(), "versions": provenance.versions(),
           "protocol": TIMING_PROTOCOL.format(warmup=ctx.scale.timing_warmup, iters=ctx.scale.timing_iters),
           "rows": {}}
    if want:
        out["rows"] = {lab: r for (lab, _), r in zip(want, _measure(exp, ctx, _timed_configs(want, seed0, ctx)))}
    ref = exp.timing_reference
    if ref in out["rows"]:
        for r in out["rows"].values():
            r["ratio_to_reference"] = r["median_ms"] / out["rows"][ref]["median_ms"]
        out["reference"] = ref
    published.write_json(path, out, ctx)
    return out


def aggregate(records):
    """mean ± std over seeds of the score mean and of the distance; the mean split std of the score."""
    def stats(vals):
        vals = [v for v in vals if v is not None]
        if not vals:
            return None, None
        return float(np.mean(vals)), (float(np.std(vals, ddof=1)) if len(vals) > 1 else None)

    s_mean, s_std = stats([r["summary"]["score_mean"] for r in records])
    svm_mean, svm_std = stats([r["summary"].get("svm_accuracy") for r in records])
    d_mean, d_std = stats([r["summary"]["distance"] for r in records])
    split_std = [r["summary"]["score_std"] for r in records if r["summary"]["score_std"] is not None]
    reports = [r["summary"].get("class_report") for r in records]
    class_mean = None
    if records and all(reports):
        from mgan.metrics.class_report import learns

        # judged again from the stored numbers, so points saved under an older criterion get today's
        reports = [dict(c, learns=learns(c)[0]) for c in reports]
        class_mean = {k: stats([c[k] for c in reports])[0] for k in CLASS_FIELDS + ("learns",)}
    return {"class_report_mean": class_mean, "n_seeds": len(records), "seeds": [r["seed"] for r in records],
            "score_mean": s_mean, "score_seed_std": s_std,
            "score_split_std_mean": float(np.mean(split_std)) if split_std else None,
            "distance_mean": d_mean, "distance_seed_std": d_std,
            "svm_accuracy_mean": svm_mean, "svm_accuracy_seed_std": svm_std,
            "std_over_seeds": "sample std (ddof=1); None with one seed",
            "train_wall_seconds": [r["wall_seconds"]["train_total"] for r in records],
            "score_wall_seconds": [r["wall_seconds"]["score"] for r in records]}


def _run_points(exp, ctx, jobs, network, t_start):
    """Train/score every (point, seed) in order, skipping points done before; returns (per_point, counts)."""
    network_sha = getattr(network, "checksum", None) if exp.score_samples else "unscored"
    per_point = {p.label: [] for p in exp.points}
    counts = {"skipped": 0, "trained": 0, "reused_run": 0}
    for i, (p, seed) in enumerate(jobs):
        path = point_path(ctx.out, p.label, seed)
        rkey = runs_lib.run_key(_seed_config(p, seed))
        pkey = point_key(rkey, ctx, network_sha, exp.svm)
        old = _read_point(path)
        head = f"[{exp.script}] point {i + 1}/{len(jobs)} {p.label} seed {seed}"
        if old and old.get("point_key") == pkey:
            _log(f"{head}: done before, skipped (elapsed {_fmt_elapsed(time.time() - t_start)})")
            if published.portable(old, ctx) != old:  # written before results were path-free: rewrite it so
                published.write_json(path, old, ctx)
            per_point[p.label].append(old)
            counts["skipped"] += 1
            continue
        complete = runs_lib.is_complete(runs_lib.run_dir(_seed_config(p, seed), ctx.runs_dir))
        verb = ("scoring the finished run" if exp.score_samples or exp.svm else "using the finished run") \
            if complete else "training"
        _log(f"{head}: {verb} "
             f"({p.title or p.label}; run {rkey}) ... (elapsed {_fmt_elapsed(time.time() - t_start)})")
        rec = _run_point(p, seed, ctx, network, exp.svm)
        rec["point_key"] = pkey
        rec["scale"] = ctx.scale.name
        published.write_json(path, rec, ctx)
        counts["trained" if rec["run"]["trained_now"] else "reused_run"] += 1
        per_point[p.label].append(rec)
        s = rec["summary"]
        svm_txt = f"; SVM accuracy {s['svm_accuracy']:.3f}" if "svm_accuracy" in s else ""
        score_txt = (f"score {s['score_mean']:.3f} ± {s['score_std']:.3f} (splits), distance {s['distance']:.3f}"
                     if s["score_mean"] is not None else "not scored (figure only)")
        _log(f"{head}: finished in {rec['wall_seconds']['train_this_invocation'] + rec['wall_seconds']['score']:.0f}"
             f" s; {score_txt}{svm_txt} (elapsed {_fmt_elapsed(time.time() - t_start)})")
    return per_point, counts


def _copy_manifests(exp, ctx, per_point):
    """Copies of the run manifests of every point (no checkpoints or generators) under <out>/manifests/."""
    for p in exp.points:
        for rec in per_point[p.label]:
            copy = os.path.join(ctx.out, "manifests", f"{p.label}__seed{rec['seed']}.json")
            m = run_manifest.read_if_intact(runs_lib.run_dir_of(rec, ctx.runs_dir)) or _read_point(copy)
            if m:  # the run's manifest, or (run not on this machine) the published copy, made path-free
                atomic_write_json(copy, published.portable_manifest(m, published.roots(ctx)))


def _results(exp, ctx, per_point, counts, timing):
    return {
        "script": exp.script, "title": exp.title, "scale": ctx.scale.to_dict(), "scale_note": exp.scale_note,
        "options": ctx.describe(),
        "data": {"used": ctx.dataset, "paper": ctx.paper_dataset, "label": dataset_label(ctx),
                 "substitute": ctx.dataset != ctx.paper_dataset},
        "metric": {"name": ctx.metric, "value": exp.value, "paper_metric": exp.paper_metric,
                   "comparable_with_paper": ctx.comparable(exp)},
        "points": {p.label: {"title": p.title, "meta": p.meta, "aggregate": aggregate(per_point[p.label]),
                             "per_seed": per_point[p.label]} for p in exp.points},
        "timing": timing, "notes": exp.notes,
        "command": ctx.command,
        "git_commit": provenance.git_commit(), "device": provenance.device_info(), "versions": provenance.versions(),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "counts": counts,
    }


def _render(exp, ctx, results):
    """The table rows and the figures (their paths go into results)."""
    from mgan.experiments import tables

    if exp.finalize:
        exp.finalize(results, exp, ctx)
    results["rows"] = tables.row_records(exp, ctx, results)
    results["figures"] = [repo_relative(path) for fig in exp.figures for path in fig.render(results, exp, ctx)]


def _wall_seconds(results, t_start):
    def total(kind):
        return round(sum(w or 0 for v in results["points"].values() for w in v["aggregate"][kind]), 1)

    return {"this_invocation": round(time.time() - t_start, 1),
            "train_total_all_points": total("train_wall_seconds"),
            "score_total_all_points": total("score_wall_seconds"),
            "note": "train totals include runs trained by another script and reused here (run store)"}


def _invocations(ctx, results, t_start):
    """Every invocation's wall time (the last 20), so a later re-run keeps the first one's."""
    prev = _read_point(os.path.join(ctx.out, "results.json")) or {}
    first = {"started": None, "wall_seconds": (prev.get("wall_seconds") or {}).get("this_invocation"),
             "counts": prev.get("counts"), "scale": (prev.get("scale") or {}).get("name"),
             "command": prev.get("command")}
    earlier = prev.get("invocations") or ([first] if prev.get("wall_seconds") else [])
    return earlier[-19:] + [{
        "started": datetime.datetime.fromtimestamp(t_start, datetime.timezone.utc).isoformat(),
        "wall_seconds": results["wall_seconds"]["this_invocation"], "counts": results["counts"],
        "scale": ctx.scale.name, "command": ctx.command}]


def shard_jobs(jobs, shard):
    """The jobs of worker ``i`` of ``n`` (``shard = (i, n)``): every n-th job from the i-th, so each job has exactly
    one worker and expensive points spread evenly; all jobs when ``shard`` is None."""
    if shard is None:
        return list(jobs)
    i, n = shard
    return [job for j, job in enumerate(jobs) if j % n == i]


def run(exp, ctx):
    """Run (or resume) every point of ``exp`` (this worker's share with ``ctx.shard``), then write the outputs.
    Returns the results dict (with ``--shard``: only the points and counts; the table is assembled by a final
    invocation without it)."""
    from mgan.experiments import tables

    t_start = time.time()
    from mgan.training.runner import check_directory

    check_directory(ctx.runs_dir, "--runs_dir")  # both fail before anything is written (points/, protocol.json)
    check_directory(ctx.out, "--out")
    # the protocol's precision is that of the runs the results come from (a study may compare several)
    precision = ",".join(sorted({p.config.precision for p in exp.points})) or published.DEFAULT_PRECISION
    published.check(ctx, precision)  # another protocol's results are never overwritten; fails before anything loads
    network = check_inputs(exp, ctx)
    published.claim(ctx, precision)
    os.makedirs(os.path.join(ctx.out, "points"), exist_ok=True)
    all_jobs = [(p, s) for p in exp.points for s in (p.seeds or ctx.seeds)]
    jobs = shard_jobs(all_jobs, ctx.shard)
    shard = f"; shard {ctx.shard[0]}/{ctx.shard[1]}: {len(jobs)} of them" if ctx.shard else ""
    budget = ctx.scale.short() + (f" ({exp.scale_note})" if exp.scale_note else "")
    _log(f"[{exp.script}] {exp.title}\n[{exp.script}] scale {budget}, metric {ctx.metric}, data "
         f"{dataset_label(ctx)}, {len(exp.points)} points x seeds = {len(all_jobs)} jobs{shard}; out "
         f"{repo_relative(ctx.out)}, runs {repo_relative(ctx.runs_dir)}")
    per_point, counts = _run_points(exp, ctx, jobs, network, t_start)
    if ctx.shard:
        _log(f"[{exp.script}] shard {ctx.shard[0]}/{ctx.shard[1]} done in {_fmt_elapsed(time.time() - t_start)}: "
             f"{counts['trained']} trained, {counts['reused_run']} scored from shared runs, {counts['skipped']} "
             f"skipped. When every shard is done, run the command without --shard to write the table and figures.")
        return {"shard": list(ctx.shard), "counts": counts, "points": per_point}
    timing = _timing(exp, ctx, per_point) if exp.timing else None
    _copy_manifests(exp, ctx, per_point)
    results = _results(exp, ctx, per_point, counts, timing)
    _render(exp, ctx, results)
    results["wall_seconds"] = _wall_seconds(results, t_start)
    results["invocations"] = _invocations(ctx, results, t_start)
    published.write_text(os.path.join(ctx.out, "table.md"), tables.render_markdown(exp, ctx, results), ctx)
    published.write_json(os.path.join(ctx.out, "results.json"), results, ctx)
    _log(f"[{exp.script}] done in {_fmt_elapsed(time.time() - t_start)}: {counts['trained']} trained, "
         f"{counts['reused_run']} scored from shared runs, {counts['skipped']} skipped; wrote "
         f"{repo_relative(os.path.join(ctx.out, 'table.md'))}, results.json, {len(results['figures'])} figure(s)")
    return results
