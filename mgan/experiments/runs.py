"""The run store: one training run directory per distinct configuration, shared by every script that needs it.

A :class:`~mgan.config.TrainConfig` maps to ``<runs_dir>/<model>-<dataset>-<key>``, where ``key`` is a short hash of
the config fields that change the result (everything except where the run is written, progress display, checkpoint,
sampling and logging cadence, and the data directory; see :data:`NON_RESULT_FIELDS`). Equivalent configs map to the
same key: 'auto' fields are resolved first (model defaults, layout, METHODS D30 split) and ``epochs`` is ignored
when ``steps`` fixes the length. The model name is part of the key: DMGAN-f runs are keyed as ``dmgan_f``, so a
sweep that wants to share its γ = 0 point with a DMGAN-f figure declares that point with ``model='dmgan_f'``.

So Fig. 5's γ = 0 (DMGAN-f) and γ = 1 runs are Fig. 4 points, and Fig. 7's and Table 3's DMGAN/waDMGAN runs are
Fig. 6's γ = 1.0 points whenever the settings match: the second script finds the finished run and does not train.

:func:`ensure_run` trains or resumes through :func:`mgan.training.runner.train` (which checkpoints, so an interrupted
run resumes where its last checkpoint was written) and returns the run directory. A finished run (manifest status
'complete', generator.keras present, same length) is returned without building anything.
"""
import os
import time

from mgan import config as config_lib
from mgan.records import atomic_files
from mgan.records.checksums import key_hash
from mgan.training import lock as run_lock
from mgan.training import manifest as run_manifest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_RUNS_DIR = os.path.join(REPO_ROOT, "runs")
KEY_LENGTH = 12
KEY_VERSION = 2

# Fields that never change what a run computes (conv_impl: the fast layers compute the same function as the plain
# Keras ones, tested in tests/test_fast_layers.py and tests/test_models.py).
NON_RESULT_FIELDS = frozenset({"out", "progress", "checkpoint_every", "sample_every", "log_every", "keep_checkpoints",
                               "data_dir", "jit_compile", "conv_impl"})
# Fields that matter for one data set only.
DATASET_FIELDS = {"celeba_crop": "celeba", "synthetic_seed": "synthetic"}
# Fields that matter for some models only (the keys of the other models' runs stay as they were before them).
MODEL_FIELDS = {"alpha": ("mbgan",), "margin_reduction": ("mbgan",), "pair_sampling": ("mbgan",),
                **config_lib.OWNED_FIELDS}

def repo_relative(path):
    """``path`` relative to the repository root when inside it (results hold no machine-specific paths then)."""
    path = os.path.abspath(path)
    return os.path.relpath(path, REPO_ROOT) if path.startswith(REPO_ROOT + os.sep) else path


def canonical_config(cfg):
    """The result-relevant fields of ``cfg``, with 'auto' fields resolved, as a plain dict."""
    from mgan import models
    from mgan import data as data_lib

    spec = data_lib.dataset_info(cfg.dataset)
    resolved = models.resolve(cfg, tuple(spec.example_shape))
    resolved = resolved.replace(split=models.data_split(resolved))
    d = {k: v for k, v in resolved.to_dict().items()
         if k not in NON_RESULT_FIELDS and DATASET_FIELDS.get(k, cfg.dataset) == cfg.dataset
         and cfg.model in MODEL_FIELDS.get(k, (cfg.model,))}
    if d["steps"] > 0:
        d.pop("epochs")
    for name, legacy in config_lib.LEGACY_VALUES.items():
        if d.get(name) == legacy:
            d.pop(name)  # runs at the value they had before the field existed keep their keys (issues 14, 21)
    return d


def run_key(cfg):
    return key_hash({"key_version": KEY_VERSION, "config": canonical_config(cfg)}, KEY_LENGTH)


def run_dir(cfg, runs_dir=None):
    """The directory of the run of ``cfg`` under ``runs_dir`` (default: ``runs/`` at the repository root)."""
    root = os.path.abspath(runs_dir or DEFAULT_RUNS_DIR)
    return os.path.join(root, f"{cfg.model}-{cfg.dataset}-{run_key(cfg)}")


def run_dir_of(record, runs_dir=None):
    """The run directory of a point record in the run store ``runs_dir``: published records name a run by its
    directory name only (``<model>-<dataset>-<key>``), so a results directory works with any store that holds it."""
    return os.path.join(os.path.abspath(runs_dir or DEFAULT_RUNS_DIR), os.path.basename(record["run"]["dir"]))


def is_complete(path):
    m = run_manifest.read_if_intact(path)
    return bool(m and m.get("status") == "complete" and m.get("step", -1) >= m.get("total_steps", 1)
                and os.path.exists(os.path.join(path, "generator.keras")))


def ensure_run(cfg, runs_dir=None, progress=None):
    """Train or resume the run of ``cfg`` in the store; returns ``(run_dir, info)``.

    info: ``{'key', 'trained': bool (this call ran training steps), 'wall_seconds': time spent here}``.
    """
    from mgan.training import runner

    path = run_dir(cfg, runs_dir)
    key = run_key(cfg)
    t0 = time.time()
    if is_complete(path):
        return path, {"key": key, "trained": False, "wall_seconds": 0.0}
    with run_lock.hold(path, wait=True):  # another worker training this run: wait for it, then reuse it
        if is_complete(path):  # finished by another process while we waited
            return path, {"key": key, "trained": False, "wall_seconds": time.time() - t0}
        atomic_files.atomic_write_json(os.path.join(path, "run_key.json"),
                             {"key": key, "key_version": KEY_VERSION, "config": canonical_config(cfg)})
        run_cfg = cfg.replace(out=path)
        if progress is not None:
            run_cfg = run_cfg.replace(progress=progress)
        runner.train(run_cfg)
    import keras

    keras.backend.clear_session()  # free the graphs of this run before the next one
    return path, {"key": key, "trained": True, "wall_seconds": time.time() - t0}


def manifest_facts(manifest):
    """The key facts of a run manifest that every result file carries."""
    if not manifest:
        return None
    cfg = manifest.get("config", {})
    keep = ("model", "dataset", "split", "layout", "width", "steps", "epochs", "batch_size", "seed", "lam", "gamma",
            "weight_adaption", "label_mode", "noise", "clip", "clip_scope", "adam_betas", "lr", "ip_norm",
            "wa_normalize", "d_batches", "conv_impl", "jit_compile", "g_project_bn", "g_activation", "n_gen")
    return {
        "status": manifest.get("status"), "step": manifest.get("step"), "total_steps": manifest.get("total_steps"),
        "config": {**{k: cfg.get(k) for k in keep if k in cfg}, "precision": cfg.get("precision", "float32")},
        "data": manifest.get("data"), "model": manifest.get("model"),
        "wall_seconds": manifest.get("wall_seconds"), "ms_per_step": manifest.get("ms_per_step"),
        "device": manifest.get("device"), "versions": manifest.get("versions"),
        "git_commit": manifest.get("git_commit"), "created": manifest.get("created"),
    }
