"""The one training runner: data, model, checkpoints, resume, logging, sample grids, NaN guard and manifest.

Every model of :mod:`mgan.models` trains through :func:`train`. A run directory holds::

    manifest.json        resolved config, data source, versions, git commit, device, time per step (atomic)
    metrics.jsonl        one JSON line per --log_every steps (metrics averaged over the interval)
    checkpoints/         tf.train.Checkpoint of model (weights, centers, BN statistics), both optimizers, step
    samples/step_XXXXXXX.png   fixed-noise sample grids
    generator.keras      the final generator (``keras.saving.load_model`` after ``import mgan``)

Determinism and resume: the batch and the noise of step t are pure functions of (seed, t) (see
``mgan.data.make_batches`` and :func:`step_noise`), so the only state is what the checkpoint holds; a resumed run
continues exactly where the checkpoint was written. With ``deterministic=True`` TF's op determinism is enabled, and
a run killed after a checkpoint and resumed ends with the same weights as an uninterrupted run.
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from mgan import config as config_lib
from mgan import data as data_lib
from mgan import io, models, sampling


class RunError(RuntimeError):
    """A run cannot start or continue; the message says why and what to do."""


class NonFiniteLossError(RunError):
    pass


class CheckpointError(RunError):
    pass


def default_split(cfg):
    """METHODS D30: CIFAR-10 uses all 60,000 images for the DMGAN-paper models, the training split otherwise."""
    if cfg.split != "auto":
        return cfg.split
    if cfg.dataset == "cifar10" and models.get_spec(cfg.model).family == "dmgan":
        return "train+test"
    return "train"


def step_noise(step, batch_size, z_dim, noise, seed):
    """The training noise of global step ``step`` (a pure function of seed and step)."""
    return models.sample_noise([batch_size, z_dim], noise,
                               tf.stack([tf.cast(seed, tf.int64), sampling.TRAIN_NOISE_SALT * (1 << 40) + step]))


def make_input(dataset, cfg, start_step):
    """tf.data pipeline of (x, y, z) for steps start_step, start_step + 1, ..."""
    batches = data_lib.make_batches(dataset, cfg.batch_size, cfg.seed, start_step=start_step)
    steps = tf.data.Dataset.range(start_step, sys.maxsize)
    zs = steps.map(lambda t: step_noise(t, cfg.batch_size, cfg.z_dim, cfg.noise, cfg.seed))
    return tf.data.Dataset.zip((batches, zs)).map(lambda b, z: (b[0], b[1], z)).prefetch(tf.data.AUTOTUNE)


def versions():
    import scipy
    import sklearn
    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
            "mgan": __import__("mgan").__version__}


def git_commit():
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
        if commit.returncode == 0:
            return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def device_info():
    gpus = tf.config.list_physical_devices("GPU")
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"gpus": [g.name for g in gpus], "cpu": cpu, "cpu_count": os.cpu_count(),
            "host": platform.node()}


def setup_determinism(cfg):
    keras.utils.set_random_seed(cfg.seed)
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()


def load_data(cfg):
    split = default_split(cfg)
    dataset = data_lib.load_dataset(cfg.dataset, split=split, data_dir=cfg.data_dir or None,
                                    celeba_crop=cfg.celeba_crop, synthetic_seed=cfg.synthetic_seed)
    return dataset, split


def _check_resume_config(out, cfg):
    path = os.path.join(out, "manifest.json")
    if not os.path.exists(path):
        return None
    old = io.read_json(path)
    diffs = {k: (old["config"].get(k), v) for k, v in cfg.to_dict().items()
             if k not in config_lib.RESUME_MUTABLE and old["config"].get(k) != v}
    if diffs:
        detail = ", ".join(f"{k}: run has {a!r}, now {b!r}" for k, (a, b) in sorted(diffs.items()))
        raise RunError(f"{out} holds a run with a different configuration ({detail}). Resume it with the same "
                       f"flags, or choose a new --out.")
    return old


def _restore(ckpt, manager, out):
    latest = manager.latest_checkpoint
    if latest is None:
        if os.path.isdir(manager.directory) and any(f.startswith("ckpt") for f in os.listdir(manager.directory)):
            raise CheckpointError(f"{manager.directory} holds checkpoint files but no readable 'checkpoint' index; "
                                  f"the run cannot be resumed safely. Move the directory away to start afresh.")
        return 0
    try:
        ckpt.restore(latest).assert_existing_objects_matched()
    except Exception as e:  # noqa: BLE001  any failure to read is a corrupt or foreign checkpoint
        raise CheckpointError(f"checkpoint {latest} of run {out} could not be restored ({type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''}). It is corrupt or from another "
                              f"configuration; it was NOT replaced. Delete it (and its 'checkpoint' index entry) "
                              f"to resume from an earlier one, or choose a new --out.") from e
    return int(ckpt.step.numpy())


class _Log:
    """Append-only JSON-lines metrics log; a resumed run drops lines past the restored step."""

    def __init__(self, path, resume_step):
        self.path = path
        if os.path.exists(path):
            keep = []
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut by a kill
                    if rec.get("step", 0) <= resume_step:
                        keep.append(line if line.endswith("\n") else line + "\n")
            io.atomic_write_text(path, "".join(keep))
        self.f = open(path, "a", encoding="utf-8")

    def write(self, rec):
        self.f.write(json.dumps(rec) + "\n")
        self.f.flush()

    def close(self):
        self.f.close()


def write_grid(model, cfg_dict, path):
    z, y, rows, cols = sampling.grid_inputs(cfg_dict, model.num_classes, model.conditional)
    g_in = sampling.generator_input(z, None if y is None else tf.constant(y), model.num_classes, model.conditional)
    out = sampling.call_generator(model.generator, g_in, cfg_dict["sample_bn"]).numpy()
    if out.ndim != 4:
        return None
    sampling.write_png(path, sampling.image_grid(sampling.to_uint8(out), rows, cols))
    return path


def train(cfg, explicit=()):
    """Train (or resume) the run described by ``cfg``; returns the final manifest dict."""
    if not cfg.out:
        raise RunError("--out is required: the run directory (re-using it resumes the run)")
    config_lib.validate_choices(cfg)
    models.get_spec(cfg.model)
    data_lib.dataset_info(cfg.dataset)  # unknown names fail before any loading
    dataset, split = load_data(cfg)
    cfg = models.resolve(cfg, dataset.example_shape, explicit)
    total_steps = config_lib.steps_for(cfg, dataset.n)
    out = os.path.abspath(cfg.out)
    os.makedirs(out, exist_ok=True)
    old_manifest = _check_resume_config(out, cfg)
    setup_determinism(cfg)

    model = models.build_model(cfg, dataset.example_shape, dataset.num_classes)
    step_var = tf.Variable(0, dtype=tf.int64, name="step")
    ckpt = tf.train.Checkpoint(model=model, d_optimizer=model.d_optimizer, g_optimizer=model.g_optimizer,
                               step=step_var)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(out, "checkpoints"), max_to_keep=cfg.keep_checkpoints)
    start = _restore(ckpt, manager, out)

    manifest = old_manifest or {"created": datetime.datetime.now(datetime.timezone.utc).isoformat()}
    manifest.update({
        "config": cfg.to_dict(), "seed": cfg.seed, "total_steps": total_steps,
        "model": {"name": cfg.model, "description": models.get_spec(cfg.model).description,
                  "conditional": model.conditional, "class": type(model).__name__,
                  "generator_params": int(model.generator.count_params()),
                  "discriminator_params": int(model.discriminator.count_params())},
        "data": {"name": dataset.name, "split": split, "n": dataset.n, "num_classes": dataset.num_classes,
                 "source": dataset.source, "substitute_for": dataset.substitute_for,
                 "example_shape": list(dataset.example_shape)},
        "versions": versions(), "git_commit": git_commit(), "device": device_info(),
        "command": " ".join(sys.argv), "status": "running",
    })
    manifest.setdefault("segments", [])
    io.atomic_write_json(os.path.join(out, "manifest.json"), manifest)
    if start >= total_steps and os.path.exists(os.path.join(out, "generator.keras")):
        manifest["status"] = "complete"  # re-running a finished run changes nothing
        io.atomic_write_json(os.path.join(out, "manifest.json"), manifest)
        return manifest

    train_fn = tf.function(model.train_step, jit_compile=cfg.jit_compile, reduce_retracing=True)
    log = _Log(os.path.join(out, "metrics.jsonl"), start)
    cfg_dict = cfg.to_dict()
    os.makedirs(os.path.join(out, "samples"), exist_ok=True)
    bar = keras.utils.Progbar(total_steps, stateful_metrics=list(model.trackers), verbose=1 if cfg.progress else 0)
    bar.update(start)
    step = start
    timed_steps, timed_seconds = 0, 0.0
    seg_start = time.time()
    status = "interrupted"
    try:
        for x, y, z in make_input(dataset, cfg, start).take(total_steps - start):
            t0 = time.perf_counter()
            logs = train_fn((x, y, z))
            values = {k: float(v) for k, v in logs.items()}  # also waits for the step to finish
            dt = time.perf_counter() - t0
            if step > start + 1:  # the first steps trace and compile
                timed_steps += 1
                timed_seconds += dt
            step += 1
            bad = {k: v for k, v in values.items() if not np.isfinite(v)}
            if bad:
                status = "failed: non-finite loss"
                raise NonFiniteLossError(
                    f"non-finite values at step {step}: {bad}. The run stopped; the last good checkpoint "
                    f"({manager.latest_checkpoint or 'none yet'}) is kept. Lower the learning rate, check the "
                    f"clipping (--clip) or the data, and resume from it by re-running the same command.")
            bar.update(step, values=list(values.items()))
            if step % cfg.log_every == 0 or step == total_steps:
                log.write({"step": step, **values, "sec_per_step": dt})
                for t in model.metrics:
                    t.reset_state()
            if cfg.sample_every and step % cfg.sample_every == 0:
                write_grid(model, cfg_dict, os.path.join(out, "samples", f"step_{step:07d}.png"))
            if step % cfg.checkpoint_every == 0 or step == total_steps:
                step_var.assign(step)
                manager.save(checkpoint_number=step)
    finally:
        log.close()
        manifest["segments"].append({"start_step": start, "end_step": step, "wall_seconds": time.time() - seg_start,
                                     "timed_steps": timed_steps,
                                     "ms_per_step": 1000 * timed_seconds / timed_steps if timed_steps else None})
        all_t = [s for s in manifest["segments"] if s["ms_per_step"]]
        manifest["ms_per_step"] = (sum(s["ms_per_step"] * s["timed_steps"] for s in all_t) /
                                   sum(s["timed_steps"] for s in all_t)) if all_t else None
        manifest["wall_seconds"] = sum(s["wall_seconds"] for s in manifest["segments"])
        manifest["status"] = "complete" if step >= total_steps else status
        manifest["step"] = step
        io.atomic_write_json(os.path.join(out, "manifest.json"), manifest)

    grid = write_grid(model, cfg_dict, os.path.join(out, "samples.png"))
    manifest["samples_png"] = os.path.basename(grid) if grid else None
    tmp = os.path.join(out, ".generator.tmp.keras")
    model.generator.save(tmp)
    os.replace(tmp, os.path.join(out, "generator.keras"))
    io.atomic_write_json(os.path.join(out, "manifest.json"), manifest)
    return manifest
