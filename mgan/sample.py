"""Write generated samples of a finished run: ``python -m mgan.sample --run=DIR --n=N --out=FILE.npz``.

The npz has the data schema: ``x`` uint8 NHWC (float32 [N, D] for vector data) and, for conditional models, ``y``;
and its provenance: ``run`` (the run directory), ``step`` (the step of the generator the samples came from; -1 when
a run older than issue 24 does not say), ``source`` (``generator.keras`` or ``checkpoints/ckpt-N``) and ``seed``.
An existing --out is never replaced unless --overwrite is given. When the run's newest checkpoint is newer than its
generator.keras (an extended run not finished), a warning says so; --from_checkpoint samples that checkpoint.
"""

from absl import app, flags

flags.DEFINE_string("run", None, "run directory written by mgan.train")
flags.DEFINE_integer("n", 50000, "number of samples", lower_bound=1)
flags.DEFINE_string("out", None, "output .npz file")
flags.DEFINE_integer("seed", 0, "sampling seed")
flags.DEFINE_integer("batch_size", 500, "generation batch size", lower_bound=1)
flags.DEFINE_bool("overwrite", False, "replace --out if it exists (without it an existing file is never replaced)")
flags.DEFINE_bool("from_checkpoint", False, "sample the run's newest checkpoint instead of its generator.keras "
                  "(e.g. an extended run that was interrupted)")
flags.mark_flags_as_required(["run", "out"])
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.n <= 0:
        raise app.UsageError("--n must be positive")
    if not FLAGS.out.endswith(".npz"):
        raise app.UsageError("--out must end in .npz")
    import sys

    import numpy as np

    from mgan.errors import check_output, report_user_errors
    from mgan.records.atomic_files import atomic_save_npz
    from mgan.training import trained

    def sample():
        check_output(FLAGS.out, FLAGS.overwrite)  # before any work: nothing is replaced without asking
        if not FLAGS.from_checkpoint:
            _, manifest = trained.load_run(FLAGS.run)
            warning = trained.stale_generator_warning(FLAGS.run, manifest)
            if warning:
                print(warning, file=sys.stderr, flush=True)
        x, y, prov = trained.samples_from_run(FLAGS.run, FLAGS.n, seed=FLAGS.seed, batch_size=FLAGS.batch_size,
                                              progress=sys.stdout.isatty(), from_checkpoint=FLAGS.from_checkpoint)
        arrays = {"x": x} if y is None else {"x": x, "y": y.astype("uint8")}
        arrays.update(run=np.array(prov["run"]), step=np.int64(prov["step"]), source=np.array(prov["source"]),
                      seed=np.int64(prov["seed"]))
        check_output(FLAGS.out, FLAGS.overwrite)  # still absent (another process may have written it meanwhile)
        atomic_save_npz(FLAGS.out, **arrays)
        step = prov["step"] if prov["step"] >= 0 else "unknown"
        print(f"wrote {FLAGS.n} samples of {FLAGS.run} (step {step}, {prov['source']}, seed {FLAGS.seed}) to "
              f"{FLAGS.out}")
        return 0

    return report_user_errors(sample, FLAGS.out)


if __name__ == "__main__":
    from mgan import command

    command.run(main)
