"""The manifest of a run directory (``manifest.json``): resolved config, data, model, provenance, status and the
time of every training segment (one per invocation), written atomically.

The one reader of ``manifest.json`` is :func:`read`, and the one way to the config a manifest records is
:func:`recorded_config`: every module that reads a run (resume, the run store, loading a trained run, the reproduce
scripts) goes through them."""
import datetime
import os
import sys
import time

from mgan import models
from mgan import config as config_lib
from mgan import data as data_lib
from mgan.errors import InputFileError, PrecisionMismatchError, RunError
from mgan.records import portable_paths, provenance
from mgan.records.atomic_files import atomic_write_json, read_json

NAME = "manifest.json"


def path(out):
    return os.path.join(out, NAME)


# Config fields a manifest does not record: where the run and its data lie on this machine (the data are recorded by
# identity under "data", the run directory is where the manifest is).
MACHINE_FIELDS = ("out", "data_dir")


class UnreadableManifestError(InputFileError):
    """A run's manifest.json exists but cannot be read or parsed (or is missing where it is required)."""

    def __init__(self, manifest_path, reason):
        super().__init__(f"{manifest_path} cannot be read ({reason})")
        self.path, self.reason = manifest_path, reason


def read(run_dir, required=False):
    """The manifest of the run directory ``run_dir`` as a dict; None when it has none (UnreadableManifestError
    with ``required``). UnreadableManifestError (naming the file and why) when it cannot be read or parsed."""
    try:
        return read_json(path(run_dir))
    except FileNotFoundError as e:
        if not required:
            return None
        raise UnreadableManifestError(path(run_dir), e) from None
    except (OSError, ValueError) as e:
        raise UnreadableManifestError(path(run_dir), e) from None


def read_if_intact(run_dir):
    """The manifest of ``run_dir``, or None when it has none or it cannot be read (the run store then treats the run
    as unfinished: training it again resumes from its checkpoints or refuses with the fix)."""
    try:
        return read(run_dir)
    except UnreadableManifestError:
        return None


def recorded_config(manifest):
    """The TrainConfig a manifest records (:func:`mgan.config.config_from_record`: fields added to TrainConfig after
    the run was written take the value those runs had; e.g. MBGAN's ``alpha`` in a DMGAN run from before MBGAN)."""
    return config_lib.config_from_record(manifest["config"])


def check_resume(out, cfg, dataset=None):
    """The manifest already in ``out`` (None for a new run); RunError if it was written for another config or
    another data set (compared by identity: file name, size and checksum, so the same file elsewhere resumes)."""
    try:
        old = read(out)
    except UnreadableManifestError as e:
        raise RunError(f"{e}; it was left as it is. Move it away to start the run afresh in {out}, or choose a new "
                       f"--out.") from None
    if old is None:
        return None
    was = recorded_config(old).to_dict()
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
