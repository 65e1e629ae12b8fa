"""Train a model: ``python -m mgan.train --model=dmgan --dataset=mnist --steps=N --out=DIR``.

Every option of :class:`mgan.config.TrainConfig` is a flag (``--helpfull`` lists them). The run is the model's
``fit`` with the run's callbacks (:func:`mgan.training.runner.train`). Re-running the same command with the same
``--out`` resumes from the last checkpoint.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter out of the progress output

from absl import app, flags, logging  # noqa: E402

from mgan import data as data_lib  # noqa: E402
from mgan import flags as config_flags  # noqa: E402
from mgan import models  # noqa: E402
from mgan.flags import config_from_flags, define_config_flags  # noqa: E402
from mgan.errors import report_user_errors  # noqa: E402

define_config_flags(valid_values={"model": sorted(models.MODELS), "dataset": list(data_lib.DATASETS)})
flags.adopt_module_key_flags(config_flags)  # --help lists the config flags as this command's own
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if FLAGS.model not in models.MODELS:
        raise app.UsageError(f"unknown --model={FLAGS.model!r}; valid models: {sorted(models.MODELS)}")
    if FLAGS.dataset not in data_lib.DATASETS:
        raise app.UsageError(f"unknown --dataset={FLAGS.dataset!r}; valid data sets: {sorted(data_lib.DATASETS)}")
    if not FLAGS.out:
        raise app.UsageError("--out is required: the run directory (re-using it resumes the run)")
    logging.set_verbosity(logging.WARNING)  # TF's checkpoint saver logs at INFO on every save
    cfg, explicit = config_from_flags(FLAGS)
    from mgan.training import runner

    def train():
        manifest = runner.train(cfg, explicit)
        ms = manifest.get("ms_per_step")
        print(f"done: {manifest['step']} steps in {cfg.out}" + (f" ({ms:.1f} ms/step)" if ms else ""))
        return 0

    return report_user_errors(train, cfg.out, lambda: runner.resume_hint(cfg.out))


def run():
    from mgan import command

    command.run(main)


if __name__ == "__main__":
    run()
