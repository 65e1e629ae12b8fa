"""``table.md``: the paper's numbers next to ours, with the protocol of every number.

Columns: <row> | Paper (<paper's metric>) | Ours: <our metric label> (mean ± std over seeds) | Δ | [time columns]
| status | protocol. Our numbers always carry the label of the metric that produced them: with the offline classifier
metric that is "classifier score (<data set> CNN, test acc X%)" or "classifier FD (...)", never IS or FID, and the Δ
column then says "not comparable (different metric)" instead of a difference.
"""
import os


def _num(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def paper_cell(paper, digits=2):
    if paper is None:
        return "—"
    mean, std = paper
    if std is None:
        return f"{mean:.{digits}f}" + (" (std unknown)" if digits == 2 else "")
    return f"{mean:.2f} ± {std:.2f}"


def ours_value(exp, agg):
    """(mean, std over seeds, split std or None) of the number the table compares."""
    if exp.value == "svm_accuracy":
        return agg.get("svm_accuracy_mean"), agg.get("svm_accuracy_seed_std"), None
    if exp.value == "distance":
        return agg["distance_mean"], agg["distance_seed_std"], None
    return agg["score_mean"], agg["score_seed_std"], agg["score_split_std_mean"]


def ours_cell(exp, agg):
    mean, std, split_std = ours_value(exp, agg)
    if mean is None:
        return "—"
    n = agg["n_seeds"]
    if exp.value == "svm_accuracy":
        return f"{mean:.3f} ± {std:.3f} ({n} seeds)" if n > 1 else f"{mean:.3f} (1 seed)"
    if n > 1:
        return f"{mean:.2f} ± {std:.2f} ({n} seeds)"
    if split_std is not None:
        return f"{mean:.2f} (1 seed; ± {split_std:.2f} over splits)"
    return f"{mean:.2f} (1 seed)"


def svm_protocol_of(rec, ctx):
    """One-line protocol of an SVM accuracy (mgan.metrics.svm)."""
    s = rec["svm"]
    p = s["protocol"]
    test = p["test"]["split"]
    return (f"linear L2-SVM on D's conv features pooled to {p['grid']}x{p['grid']} ({s['feature_dim']}-D), "
            f"z-scored; C {s['C']:g} ({p['C']}); {p['n_train']} training images, tested on {p['n_test']} "
            f"({test}); scale {rec.get('scale', ctx.scale.name)}; precision {record_precision(rec)}")


def protocol_of(rec, value, ctx):
    """One-line protocol of a scored point record: metric label, n samples, splits, reference, scale."""
    if value == "svm_accuracy":
        return svm_protocol_of(rec, ctx)
    if rec.get("scores") is None:
        return f"samples not scored (figure only); scale {rec.get('scale', ctx.scale.name)}"
    p = rec["scores"]["protocol"]
    ref = p.get("reference") or {}
    parts = [p["label"] if value == "score" else p.get("distance_label"), f"n = {p['n_samples']} samples"]
    if p.get("splits"):
        parts.append(f"{p['splits']} splits")
    if ref:
        parts.append(f"reference {ref.get('name')} ({ref.get('n')} images)")
    parts.append(f"scale {rec.get('scale', ctx.scale.name)}")
    parts.append(f"precision {record_precision(rec)}")
    return "; ".join(parts)


def record_precision(rec):
    """The training precision of a point record's run (float32 for runs that predate the field)."""
    facts = (rec.get("run") or {}).get("facts") or {}
    return (facts.get("config") or {}).get("precision") or "float32"


def our_label(exp, results):
    if exp.value == "svm_accuracy":
        return "SVM accuracy (MBGAN protocol, METHODS §5.6)"
    for v in results["points"].values():
        if v["per_seed"]:
            s = v["per_seed"][0]["summary"]
            return s["score_label"] if exp.value == "score" else s["distance_label"]
    return "not scored"


def _status(pt):
    scored = any(r.get("scores") is not None or r.get("svm") for r in pt["per_seed"])
    if any(r["run"].get("trained_now") for r in pt["per_seed"]):
        return "trained and scored by this script" if scored else "trained by this script (figure only)"
    return ("scored by this script" if scored else "figure only") + "; run shared through the run store (trained " \
        "by another script)"


def delta_cell(exp, ctx, row, mean):
    """Ours − paper when comparable, else why not. SVM accuracy is the paper's own metric: the difference is shown
    on the paper's data set and labelled when the scale is not the paper's protocol."""
    if row.paper is None:
        return "—"
    comp = ctx.comparable(exp)
    if exp.value == "svm_accuracy" and not comp.startswith("not comparable"):
        d = f"{mean - row.paper[0]:+.3f}"
        return d if comp == "yes" else f"{d} ({comp})"
    return f"{mean - row.paper[0]:+.2f}" if comp == "yes" else comp


def row_records(exp, ctx, results):
    """The table rows as records (also stored in results.json)."""
    timing = results.get("timing") or {}
    ref_row = next((r for r in exp.rows if r.label and r.label == exp.timing_reference), None)
    paper_ref_ms = (ref_row.extra.get("paper_ms") if ref_row else None)
    out = []
    for row in exp.rows:
        rec = {"name": row.name, "label": row.label, "paper": list(row.paper) if row.paper else None,
               "paper_note": row.paper_note, "extra": dict(row.extra)}
        pt = results["points"].get(row.label) if row.label else None
        if pt and pt["per_seed"]:
            agg = pt["aggregate"]
            mean, std, split_std = ours_value(exp, agg)
            rec.update(ours_mean=mean, ours_seed_std=std, ours_split_std=split_std, n_seeds=agg["n_seeds"],
                       seeds=agg["seeds"], ours_cell=ours_cell(exp, agg), status=row.status or _status(pt))
            seeds = ",".join(str(s) for s in agg["seeds"])
            rec["protocol"] = protocol_of(pt["per_seed"][0], exp.value, ctx) + f"; seeds {seeds}"
            rec["delta"] = delta_cell(exp, ctx, row, mean)
            if exp.svm is not None:
                first = pt["per_seed"][0].get("svm") or {}
                rec["svm_feature_dim"], rec["svm_C"] = first.get("feature_dim"), first.get("C")
        else:
            rec.update(ours_cell="—", delta="—", protocol="—", status=row.status or "not run")
        if exp.class_columns:
            rec["class_report"] = pt["aggregate"].get("class_report_mean") if (pt and pt["per_seed"]) else None
            rec["distance_mean"] = pt["aggregate"]["distance_mean"] if (pt and pt["per_seed"]) else None
        if exp.timing:
            t = timing.get("rows", {}).get(row.label) if row.label else None
            rec["ours_ms"] = t["median_ms"] if t else None
            rec["ours_ratio"] = t.get("ratio_to_reference") if t else None
            pm = row.extra.get("paper_ms")
            rec["paper_ms"] = pm
            rec["paper_ratio"] = (pm / paper_ref_ms) if (pm is not None and paper_ref_ms) else None
        out.append(rec)
    return out


CLASS_COLUMNS = ("classes ≥ 1%", "largest class share", "mean confidence", "label agreement",
                 "within-class diversity / real", "learns (issues 7 and 21)")


def class_cells(rec):
    """The class-report cells of a row (means over seeds)."""
    c = rec.get("class_report")
    if not c:
        return ["—"] * (len(CLASS_COLUMNS) + 1)
    learn = "—" if c["learns"] is None else ("yes" if c["learns"] == 1 else ("no" if c["learns"] == 0 else
                                                                            f"{c['learns']:.0%} of seeds"))
    return [_num(rec.get("distance_mean"), 1), f"{c['classes_covered']:g}", _num(c["max_class_share"]),
            _num(c["mean_confidence"]), "— (unconditional)" if c["label_agreement"] is None
            else _num(c["label_agreement"]), _num(c["diversity_ratio"]), learn]


def _esc(s):
    return str(s).replace("|", "\\|")


def _columns(exp, results, label):
    paper_h = f"Paper ({exp.paper_metric})" if exp.paper_metric else "Paper"
    cols = [exp.row_header, paper_h, f"Ours: {label} (mean ± std over seeds)", "Δ"]
    if exp.svm is not None:
        cols += ["feature dim (paper 18,432; METHODS §3.2 D: 15,360)", "C"]
    if exp.class_columns:
        dist = next((v["per_seed"][0]["summary"]["distance_label"] for v in results["points"].values()
                     if v["per_seed"]), "distance")
        cols += [dist] + list(CLASS_COLUMNS)
    if exp.timing:
        dev = (results.get("timing") or {}).get("device") or {}
        where = ", ".join(dev.get("gpus") or []) or f"CPU: {dev.get('cpu', '?')}, {dev.get('cpu_count', '?')} cores"
        ref = next((r.name for r in exp.rows if r.label == exp.timing_reference), exp.timing_reference)
        cols += ["Paper ms/iteration (TitanX, TF 1.3)", f"Ours ms/iteration ({where})", f"Ours ratio to {ref}",
                 f"Paper ratio to {ref}"]
    return cols + ["status", "protocol"]


def _preamble(exp, ctx, results, label):
    scale = ctx.scale
    budget = exp.scale_note or (f"width {scale.width:g}, "
                                f"{f'{scale.steps} iterations' if scale.steps else f'{scale.epochs:g} epochs'}")
    lines = [f"# {exp.title}", "",
             f"- Scale: **{scale.name}** ({scale.description}; {budget}, {scale.n_samples} samples, "
             f"{scale.splits} splits).",
             f"- Data: {results['data']['label']}.",
             f"- Our metric: {label}.",
             f"- Training precision: {_precision_line(exp, results)}."]
    if exp.value == "svm_accuracy":
        lines.append("- The paper's metric, computed from our discriminators (mgan.metrics.svm). The sample score of "
                     f"each run ({ctx.metric}) is in results.json.")
    elif ctx.metric != "inception" and exp.paper_metric:
        lines.append(f"- The paper reports {exp.paper_metric} with the Inception network; our numbers come from a "
                     f"different network, so the Δ column says \"not comparable (different metric)\".")
    elif ctx.substitute and exp.paper_metric:
        lines.append("- Our numbers come from a substitute data set, so they are not comparable with the paper's.")
    return lines + [f"- Command: `{results['command']}`", ""]


def _precision_line(exp, results):
    """The precisions of the table's runs (mgan.nets.precision), as recorded by their manifests."""
    from mgan.nets.precision import describe

    found = sorted({record_precision(r) for v in results["points"].values() for r in v["per_seed"]})
    if not found:
        found = [(results.get("options") or {}).get("precision") or "float32"]
    if len(found) == 1:
        return describe(found[0])
    return "per row (see each row's protocol): " + "; ".join(describe(p) for p in found)


def _row_cells(exp, rec):
    paper = paper_cell(tuple(rec["paper"]) if rec["paper"] else None, 3 if exp.value == "svm_accuracy" else 2)
    if rec["paper_note"]:
        paper = f"{paper} ({rec['paper_note']})" if rec["paper"] else rec["paper_note"]
    cells = [rec["name"], paper, rec["ours_cell"], rec["delta"]]
    if exp.svm is not None:
        cells += [str(rec.get("svm_feature_dim") or "—"), "—" if rec.get("svm_C") is None else f"{rec['svm_C']:g}"]
    if exp.class_columns:
        cells += class_cells(rec)
    if exp.timing:
        cells += [_num(rec["paper_ms"], 0) if rec["paper_ms"] is not None else "unknown",
                  _num(rec["ours_ms"], 1), _num(rec["ours_ratio"]), _num(rec["paper_ratio"])]
    return cells + [rec["status"], rec["protocol"]]


def _epilogue(exp, results):
    lines = []
    timing = results.get("timing") or {}
    if exp.timing and timing:
        lines += [f"Timing: {timing.get('protocol', '')}. The paper's times are from a TitanX under TF 1.3; compare "
                  f"ratios only (METHODS §10.6).", ""]
    lines += [f"- {note}" for note in exp.notes] + ([""] if exp.notes else [])
    if results.get("figures"):
        lines += ["Figures: " + ", ".join(f"[{os.path.basename(f)}]({os.path.basename(f)})"
                                          for f in results["figures"]), ""]
    w = results.get("wall_seconds") or {}
    lines.append(f"Wall time: this invocation {w.get('this_invocation', '?')} s; training of all points "
                 f"{w.get('train_total_all_points', '?')} s (including runs shared with other scripts); scoring "
                 f"{w.get('score_total_all_points', '?')} s. Numbers, protocols and run manifests: results.json.")
    inv = results.get("invocations") or []
    if len(inv) > 1:
        lines += ["", "Invocations (wall s: trained / scored from shared runs / skipped): " + "; ".join(
            f"{(i['started'] or 'first run')[:16]} {i['wall_seconds']} s ({(i['counts'] or {}).get('trained')}/"
            f"{(i['counts'] or {}).get('reused_run')}/{(i['counts'] or {}).get('skipped')}, scale {i['scale']})"
            for i in inv)]
    return lines


def render_markdown(exp, ctx, results):
    """table.md: the preamble (scale, data, metric, command), the table, then timing, notes, figures, wall time."""
    label = our_label(exp, results)
    cols = _columns(exp, results, label)
    lines = _preamble(exp, ctx, results, label)
    lines.append("| " + " | ".join(_esc(c) for c in cols) + " |")
    lines.append("|" + "---|" * len(cols))
    lines += ["| " + " | ".join(_esc(c) for c in _row_cells(exp, rec)) + " |" for rec in results["rows"]]
    lines.append("")
    return "\n".join(lines + _epilogue(exp, results)) + "\n"
