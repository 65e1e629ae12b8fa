"""The manifest of a run directory (``manifest.json``): resolved config, data, model, provenance, status and the
time of every training segment (one per invocation), written atomically."""
import datetime
import os
import sys
import time

from mgan import models
from mgan import config as config_lib
from mgan import data as data_lib
from mgan.errors import PrecisionMismatchError, RunError
from mgan.records import portable_paths, provenance
from mgan.records.atomic_files import atomic_write_json, read_json


def path(out):
    return os.path.join(out, "manifest.json")


# Config fields a manifest does not record: where the run and its data lie on this machine (the data are recorded by
# identity under "data", the run directory is where the manifest is).
MACHINE_FIELDS = ("out", "data_dir")


def _with_new_fields(config):
    """A recorded config with the fields added to TrainConfig after it was written set to their defaults (the value
    those runs had; e.g. MBGAN's ``alpha`` in a DMGAN run written before MBGAN existed)."""
    return {**config_lib.config_from_record(config).to_dict(), **config}


def check_resume(out, cfg, dataset=None):
    """The manifest already in ``out`` (None for a new run); RunError if it was written for another config or
    another data set (compared by identity: file name, size and checksum, so the same file elsewhere resumes)."""
    if not os.path.exists(path(out)):
        return None
    try:
        old = read_json(path(out))
    except (ValueError, OSError) as e:
        raise RunError(f"{path(out)} cannot be read ({e}); it was left as it is. Move it away to start the run "
                       f"afresh in {out}, or choose a new --out.") from None
    was = _with_new_fields(old["config"])
    check_precision(out, was.get("precision"), cfg.precision)
    diffs = {k: (was.get(k), v) for k, v in cfg.to_dict().items()
             if k not in config_lib.RESUME_MUTABLE and was.get(k) != v}
    if diffs:
        detail = ", ".join(f"{k}: run has {a!r}, now {b!r}" for k, (a, b) in sorted(diffs.items()))
        raise RunError(f"{out} holds a run with a different configuration ({detail}). Resume it with the same "
                       f"flags, or choose a new --out.")
    was = (old.get("data") or {}).get("identity")
    now = data_lib.data_identity(dataset) if dataset is not None else None
    if was and now and was != now:
        raise RunError(f"{out} was trained on other data ({_describe(was)}); this data set is {_describe(now)}. "
                       f"Resume it with the same data file (any directory), or choose a new --out.")
    return old


def check_precision(out, was, now):
    """PrecisionMismatchError (one line, naming both and the fix) when a run of ``was`` is resumed under ``now``:
    its checkpoints continue only under the precision they were trained with."""
    was = was or config_lib.TrainConfig.precision
    if was != now:
        raise PrecisionMismatchError(
            f"{out} was trained with --precision={was}; it cannot resume with --precision={now}: re-run with "
            f"--precision={was}, or choose another --out for a {now} run.")


def _describe(identity):
    if "file" in identity:
        return f"{identity['file']}, {identity['bytes']:,} bytes, sha256 {identity['sha256'][:12]}"
    return f"{identity.get('source')}, sha256 {identity.get('arrays_sha256', '')[:12]}"


def start(old, cfg, model, dataset, split, total_steps):
    """The manifest of a run starting (or resuming) now, status 'running'."""
    manifest = old or {"created": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    manifest.update({
        "config": {k: v for k, v in cfg.to_dict().items() if k not in MACHINE_FIELDS},
        "seed": cfg.seed, "total_steps": total_steps, "precision": cfg.precision,
        "model": {"name": cfg.model, "description": models.get_spec(cfg.model).description,
                  "conditional": model.conditional, "class": type(model).__name__,
                  "generator_params": int(model.generator.count_params()),
                  "discriminator_params": int(model.discriminator.count_params())},
        "data": {"name": dataset.name, "split": split, "n": dataset.n, "num_classes": dataset.num_classes,
                 "source": data_lib.portable_source(dataset.source), "identity": data_lib.data_identity(dataset),
                 "substitute_for": dataset.substitute_for, "example_shape": list(dataset.example_shape)},
        "versions": provenance.versions(), "git_commit": provenance.git_commit(), "device": provenance.device_info(),
        "command": portable_paths.scrub_text(" ".join(sys.argv), portable_paths.data_roots(cfg.data_dir)),
        "status": "running",
    })
    manifest.setdefault("segments", [])
    return manifest


def end_segment(manifest, start_step, end_step, saved_step, started, timer, status):
    """Record one training segment (steps, wall time, timed steps); ``status`` unless the run is complete.

    ``end_step``: the iterations reached; ``saved_step``: the newest checkpoint, where a resume starts; the
    manifest's ``step`` is the latter, so it never claims more than the checkpoints hold.
    """
    manifest["segments"].append({"start_step": start_step, "end_step": end_step, "saved_step": saved_step,
                                 "wall_seconds": time.time() - started,
                                 "timed_steps": timer.timed_steps, "ms_per_step": timer.ms_per_step})
    timed = [s for s in manifest["segments"] if s["ms_per_step"]]
    manifest["ms_per_step"] = (sum(s["ms_per_step"] * s["timed_steps"] for s in timed) /
                               sum(s["timed_steps"] for s in timed)) if timed else None
    manifest["wall_seconds"] = sum(s["wall_seconds"] for s in manifest["segments"])
    complete = end_step >= manifest["total_steps"] and saved_step >= manifest["total_steps"]
    manifest["status"] = "complete" if complete else status
    manifest["step"] = saved_step


def write(out, manifest):
    atomic_write_json(path(out), manifest)
