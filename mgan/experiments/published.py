"""What a reproduce script publishes under its output directory, and the rules that keep it trustworthy.

- **One protocol per directory.** ``<out>/protocol.json`` records the scale, data set, metric and precision the
  directory's results were computed with (older directories: read from their ``results.json``; float32 when they
  predate the precision). :func:`claim` refuses, before
  anything is trained or written, to put another protocol's results there, naming both and suggesting ``--out``
  (so a smoke or test run can never overwrite full-scale results; committed paths stay ``results/<script>/``). The
  same protocol resumes: finished points are skipped.
- **No machine paths.** Every JSON and text file goes through :func:`mgan.records.portable_paths.scrub` with this
  machine's roots (data directory, run store, cache, Inception module): data are named by identity, runs by their
  directory name, commands by their flags with ``DIR`` for directories.
"""
import os

from mgan import data as data_lib
from mgan.errors import UserError
from mgan.records import portable_paths
from mgan.records.atomic_files import atomic_write_json, atomic_write_text, read_json
from mgan.training import lock as run_lock

PROTOCOL_FIELDS = ("scale", "dataset", "metric")
# Script flags that change what the numbers mean (MBGAN's SVM protocol, the IE experiment's loss options and BN
# statistics); recorded when the script has them and compared when the directory recorded them (directories written
# before a field existed are not refused for it).
PROTOCOL_FLAGS = ("svm_n_train", "svm_C", "ie_margin", "ie_projection", "ie_bandwidth", "ie_weight", "ie_centers",
                  "center_weight", "center_rate", "feature_dim", "bn_recalibration_batches")


class ResultsConflictError(UserError):
    """The output directory holds results of another protocol."""


# Directories written before --precision existed hold float32 results.
DEFAULT_PRECISION = "float32"


def protocol_of(ctx, precision=DEFAULT_PRECISION):
    """The protocol of ``ctx``'s results; ``precision``: the training precision(s) of its runs, comma-joined."""
    flags = {k: ctx.extra[k] for k in PROTOCOL_FLAGS if k in ctx.extra}
    return {"script": ctx.script, "scale": ctx.scale.name, "dataset": ctx.dataset, "metric": ctx.metric,
            "precision": precision, **flags}


def _recorded_protocol(out):
    """The protocol of the results already in ``out`` (None when it holds none)."""
    try:
        return read_json(os.path.join(out, "protocol.json"))
    except (OSError, ValueError):
        pass
    try:
        res = read_json(os.path.join(out, "results.json"))
    except (OSError, ValueError):
        return None
    return {"scale": (res.get("scale") or {}).get("name"), "dataset": (res.get("data") or {}).get("used"),
            "metric": (res.get("metric") or {}).get("name"),
            "precision": (res.get("options") or {}).get("precision") or DEFAULT_PRECISION}


def _describe(p):
    flags = "".join(f", --{k}={p[k]}" for k in PROTOCOL_FLAGS if k in p)
    return (f"scale {p.get('scale')}, data set {p.get('dataset')}, metric {p.get('metric')}, precision "
            f"{p.get('precision') or DEFAULT_PRECISION}{flags}")


def _conflicts(old, new):
    return any(old.get(k) != new[k] for k in PROTOCOL_FIELDS) or any(
        k in old and k in new and old[k] != new[k] for k in PROTOCOL_FLAGS) or (
        (old.get("precision") or DEFAULT_PRECISION) != new["precision"])


def check(ctx, precision=DEFAULT_PRECISION):
    """ResultsConflictError when ``ctx.out`` holds results of another protocol (nothing is written here)."""
    old, new = _recorded_protocol(ctx.out), protocol_of(ctx, precision)
    if old and _conflicts(old, new):
        shown = ctx.out  # the real path: the suggestion is a flag value to type (no ".../" placeholder)
        suggestion = f"{shown.rstrip('/')}-{new['scale']}-{new['dataset']}-{new['metric']}" + (
            f"-{new['precision'].replace(',', '-')}" if new["precision"] != DEFAULT_PRECISION else "")
        raise ResultsConflictError(
            f"{shown} holds results of {_describe(old)}; this run is {_describe(new)} and would overwrite them.\n"
            f"Write it elsewhere with --out={suggestion} (the run store is shared, so trained runs are reused).")


def claim(ctx, precision=DEFAULT_PRECISION):
    """Check the directory's protocol and record this one (under a short lock, so concurrent workers agree)."""
    os.makedirs(ctx.out, exist_ok=True)
    with run_lock.hold(ctx.out, wait=True, what="sweep"):
        check(ctx, precision)
        atomic_write_json(os.path.join(ctx.out, "protocol.json"), protocol_of(ctx, precision))


def roots(ctx):
    """This machine's directories and the names published files give them instead."""
    out = portable_paths.data_roots(ctx.data_dir) + [(ctx.runs_dir, "RUNS_DIR"), (ctx.out, "OUT")]
    cache = os.environ.get("MGAN_CACHE_DIR")
    if cache:
        out.append((cache, "CACHE_DIR"))
    for inc in (ctx.inception_path, os.environ.get("MGAN_INCEPTION_PATH")):
        if inc:
            out.append((inc, "INCEPTION_DIR"))
    return out


def portable(obj, ctx):
    return portable_paths.scrub(obj, roots(ctx))


def write_json(path, obj, ctx):
    atomic_write_json(path, portable(obj, ctx))


def write_text(path, text, ctx):
    atomic_write_text(path, portable_paths.scrub_text(text, roots(ctx)))


def portable_manifest(manifest, machine_roots):
    """A run manifest as published: without machine fields, with the data's identity (computed from this machine's
    file for manifests written before identities were recorded), paths scrubbed."""
    m = dict(manifest)
    m["config"] = {k: v for k, v in (m.get("config") or {}).items() if k not in ("out", "data_dir")}
    data = dict(m.get("data") or {})
    source = data.get("source") or ""
    if "identity" not in data and source.startswith("npz:") and os.path.isfile(source[4:]):
        data["identity"] = data_lib.file_identity(source[4:])
    data["source"] = data_lib.portable_source(source) if source else source
    m["data"] = data
    return portable_paths.scrub(m, machine_roots)
