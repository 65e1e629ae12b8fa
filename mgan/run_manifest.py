"""The manifest of a run directory (``manifest.json``): resolved config, data, model, provenance, status and the
time of every training segment (one per invocation), written atomically."""
import datetime
import os
import sys
import time

from mgan import config as config_lib
from mgan import models, provenance
from mgan.atomic_files import atomic_write_json, read_json
from mgan.errors import RunError


def path(out):
    return os.path.join(out, "manifest.json")


def check_resume(out, cfg):
    """The manifest already in ``out`` (None for a new run); RunError if it was written for another config."""
    if not os.path.exists(path(out)):
        return None
    old = read_json(path(out))
    diffs = {k: (old["config"].get(k), v) for k, v in cfg.to_dict().items()
             if k not in config_lib.RESUME_MUTABLE and old["config"].get(k) != v}
    if diffs:
        detail = ", ".join(f"{k}: run has {a!r}, now {b!r}" for k, (a, b) in sorted(diffs.items()))
        raise RunError(f"{out} holds a run with a different configuration ({detail}). Resume it with the same "
                       f"flags, or choose a new --out.")
    return old


def start(old, cfg, model, dataset, split, total_steps):
    """The manifest of a run starting (or resuming) now, status 'running'."""
    manifest = old or {"created": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    manifest.update({
        "config": cfg.to_dict(), "seed": cfg.seed, "total_steps": total_steps,
        "model": {"name": cfg.model, "description": models.get_spec(cfg.model).description,
                  "conditional": model.conditional, "class": type(model).__name__,
                  "generator_params": int(model.generator.count_params()),
                  "discriminator_params": int(model.discriminator.count_params())},
        "data": {"name": dataset.name, "split": split, "n": dataset.n, "num_classes": dataset.num_classes,
                 "source": dataset.source, "substitute_for": dataset.substitute_for,
                 "example_shape": list(dataset.example_shape)},
        "versions": provenance.versions(), "git_commit": provenance.git_commit(), "device": provenance.device_info(),
        "command": " ".join(sys.argv), "status": "running",
    })
    manifest.setdefault("segments", [])
    return manifest


def end_segment(manifest, start_step, end_step, started, timer, status):
    """Record one training segment (steps, wall time, timed steps); ``status`` unless the run is complete."""
    manifest["segments"].append({"start_step": start_step, "end_step": end_step, "wall_seconds": time.time() - started,
                                 "timed_steps": timer.timed_steps, "ms_per_step": timer.ms_per_step})
    timed = [s for s in manifest["segments"] if s["ms_per_step"]]
    manifest["ms_per_step"] = (sum(s["ms_per_step"] * s["timed_steps"] for s in timed) /
                               sum(s["timed_steps"] for s in timed)) if timed else None
    manifest["wall_seconds"] = sum(s["wall_seconds"] for s in manifest["segments"])
    manifest["status"] = "complete" if end_step >= manifest["total_steps"] else status
    manifest["step"] = end_step


def write(out, manifest):
    atomic_write_json(path(out), manifest)
