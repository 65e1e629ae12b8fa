"""The trained model of a finished run (both networks, centers, counters), rebuilt from its manifest's config and
restored from its final checkpoint. Used where the discriminator matters (MBGAN's SVM protocol); samples need only
``generator.keras`` (:mod:`mgan.nets.sampling`)."""
import json
import os

from mgan.errors import InputFileError


def load_trained_model(run_dir):
    """(compiled model restored from the newest checkpoint, manifest) of a finished run; fails with the fix when the
    run is not finished or its newest checkpoint is not its final step."""
    path = os.path.join(run_dir, "manifest.json")
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise InputFileError(f"{path} cannot be read ({e}); is {run_dir} a finished run of python -m mgan.train?") \
            from None
    if manifest.get("status") != "complete":
        raise InputFileError(f"{run_dir} is not finished (status {manifest.get('status')!r}); re-run its "
                             f"python -m mgan.train command to complete it")
    model, step = restore_newest(run_dir, manifest)
    if step != int(manifest["total_steps"]):
        raise InputFileError(f"the newest checkpoint of {run_dir} is step {step}, the run ended at "
                             f"{manifest['total_steps']}; its final checkpoint is missing")
    return model, manifest


def restore_newest(run_dir, manifest):
    """(compiled model of the run restored from its newest intact checkpoint, its step); InputFileError when the run
    has no checkpoint."""
    from mgan import models
    from mgan import data as data_lib
    from mgan.config import config_from_record
    from mgan.training.checkpoints import RunCheckpoints

    recorded = config_from_record(manifest["config"])
    shape = tuple(manifest["data"].get("example_shape") or data_lib.dataset_info(recorded.dataset).example_shape)
    cfg = models.resolve(recorded, shape)
    model = models.build_model(cfg, shape, int(manifest["data"]["num_classes"]))
    step = RunCheckpoints(model, os.path.join(run_dir, "checkpoints"), keep=None).restore()
    if step == 0:
        raise InputFileError(f"{run_dir} has no checkpoint to restore (checkpoints/ is empty or missing)")
    return model, step
