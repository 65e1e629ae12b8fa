"""Write generated samples of a finished run: ``python -m mgan.sample --run=DIR --n=N --out=FILE.npz``.

The npz has the data schema: ``x`` uint8 NHWC (float32 [N, D] for vector data) and, for conditional models, ``y``.
"""

from absl import app, flags

flags.DEFINE_string("run", None, "run directory written by mgan.train")
flags.DEFINE_integer("n", 50000, "number of samples", lower_bound=1)
flags.DEFINE_string("out", None, "output .npz file")
flags.DEFINE_integer("seed", 0, "sampling seed")
flags.DEFINE_integer("batch_size", 500, "generation batch size", lower_bound=1)
flags.mark_flags_as_required(["run", "out"])
FLAGS = flags.FLAGS


def main(argv):
    del argv
    if FLAGS.n <= 0:
        raise app.UsageError("--n must be positive")
    if not FLAGS.out.endswith(".npz"):
        raise app.UsageError("--out must end in .npz")
    from mgan import sampling
    from mgan.atomic_files import atomic_save_npz
    from mgan.errors import report_user_errors

    def sample():
        x, y = sampling.generate_from_run(FLAGS.run, FLAGS.n, seed=FLAGS.seed, batch_size=FLAGS.batch_size,
                                          progress=True)
        arrays = {"x": x} if y is None else {"x": x, "y": y.astype("uint8")}
        atomic_save_npz(FLAGS.out, **arrays)
        print(f"wrote {FLAGS.n} samples to {FLAGS.out}")
        return 0

    return report_user_errors(sample, FLAGS.out)


if __name__ == "__main__":
    app.run(main)
