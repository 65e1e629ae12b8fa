r"""Score generated images: Inception Score / FID (TF-GAN Inception module) or the offline classifier metric.

    python -m mgan.evaluate --npz=samples.npz --metric=inception --dataset=cifar10 --fid_ref_split=train \
        --inception_path=/path/to/tfgan_eval_inception_1 --out=scores.json
    python -m mgan.evaluate --run=runs/dmgan_cifar --n=50000 --metric=inception --dataset=cifar10
    python -m mgan.evaluate --npz=samples.npz --metric=classifier --dataset=mnist --data_dir=DIR

Exactly one of --npz / --run. An existing --out is never replaced unless --overwrite is given. The JSON printed and (with --out) written atomically holds the numbers and the
protocol (metric, label, network and checksum, n, splits, reference set and n, preprocessing, versions); see
`mgan.metrics`. --fid_ref_split=none skips the Fréchet distance. Without the Inception module the run fails with a
message that says how to supply it (METHODS.md §10.1).
"""
import contextlib
import sys

from mgan.errors import EXIT_USER_ERROR, InputFileError, check_output, report_user_errors

from absl import app, flags

from mgan.data import image_datasets

FLAGS = flags.FLAGS
flags.DEFINE_string("npz", None, "npz with uint8 images under key 'x' (the python -m mgan.sample schema).")
flags.DEFINE_string("run", None, "training run directory; samples are generated with "
                    "mgan.training.trained.generate_from_run.")
flags.DEFINE_enum("metric", "inception", ["inception", "classifier"],
                  "inception: IS/FID with tfgan/eval/inception/1; classifier: classifier score / FD with a small "
                  "per-data-set CNN (never reported as IS/FID).")
flags.DEFINE_enum("dataset", None, image_datasets(),
                  "data set of the reference split and of the classifier (required unless --metric=inception "
                  "with --fid_ref_split=none).")
flags.DEFINE_integer("n", 50000, "number of samples (with --npz: the first n images, all if the file has fewer).",
                     lower_bound=1)
flags.DEFINE_integer("splits", 10, "consecutive splits of the score (0 skips the score).", lower_bound=0)
flags.DEFINE_enum("fid_ref_split", "train", ["train", "test", "train+test", "none"],
                  "reference split of --dataset for the Fréchet distance; none skips it.")
flags.DEFINE_string("inception_path", None,
                    "local directory of the unpacked TF-Hub module tfgan/eval/inception/1 (else $MGAN_INCEPTION_PATH, "
                    "else TF-Hub).")
flags.DEFINE_string("data_dir", None, "directory of the data set npz files (else $MGAN_DATA_DIR).")
flags.DEFINE_string("cache_dir", None, "cache root for reference statistics and classifiers (else $MGAN_CACHE_DIR, "
                    "else ~/.cache/mgan).")
flags.DEFINE_integer("seed", 0, "sampling seed for --run.")
flags.DEFINE_integer("classifier_seed", 0, "training seed of the classifier (--metric=classifier).")
flags.DEFINE_integer("batch_size", None, "network batch size (default: 50 for Inception, 500 for the classifier).",
                     lower_bound=1)
flags.DEFINE_boolean("cross_check", True, "also compute tensorflow-gan's value of the Fréchet distance.")
flags.DEFINE_string("out", None, "write the JSON result here (atomically).")
flags.DEFINE_bool("overwrite", False, "replace --out if it exists (without it an existing file is never replaced)")

flags.register_multi_flags_validator(
    ["npz", "run"], lambda d: (d["npz"] is None) != (d["run"] is None), message="give exactly one of --npz or --run")
flags.register_multi_flags_validator(
    ["metric", "dataset", "fid_ref_split"],
    lambda d: d["dataset"] is not None or (d["metric"] == "inception" and d["fid_ref_split"] == "none"),
    message="--dataset is required for --metric=classifier and for a Fréchet distance (or pass --fid_ref_split=none)")


def evaluate():
    """Run with the parsed FLAGS; returns the result dict (printed and written to --out by main)."""
    from mgan import metrics

    kwargs = dict(metric=FLAGS.metric, dataset=FLAGS.dataset, is_splits=FLAGS.splits,
                  fid_ref_split=None if FLAGS.fid_ref_split == "none" else FLAGS.fid_ref_split,
                  inception_path=FLAGS.inception_path, data_dir=FLAGS.data_dir, cache_root=FLAGS.cache_dir,
                  classifier_seed=FLAGS.classifier_seed, batch_size=FLAGS.batch_size, cross_check=FLAGS.cross_check)
    if FLAGS.npz:
        return metrics.score_npz(FLAGS.npz, n=FLAGS.n, **kwargs)
    return metrics.score_run(FLAGS.run, n=FLAGS.n, seed=FLAGS.seed, **kwargs)


def check_counts():
    """--n and --splits that cannot give a score or a distance fail before anything is loaded."""
    distance = FLAGS.fid_ref_split != "none"
    if FLAGS.run and FLAGS.n < 2 and distance:
        raise InputFileError(f"--n={FLAGS.n}: a Fréchet distance needs at least 2 samples; pass a larger --n.")
    if FLAGS.run and FLAGS.splits and FLAGS.n < FLAGS.splits:
        raise InputFileError(f"--n={FLAGS.n} samples cannot be cut into --splits={FLAGS.splits}; pass --splits<="
                             f"{FLAGS.n} or a larger --n.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    return report_user_errors(_evaluate_and_write, FLAGS.out or FLAGS.npz or FLAGS.run)


def _evaluate_and_write():
    from mgan.metrics.inception import InceptionUnavailableError
    from mgan.records.atomic_files import atomic_write_text, to_json

    try:
        check_output(FLAGS.out, FLAGS.overwrite)  # before any work: nothing is replaced without asking
        check_counts()
        with contextlib.redirect_stdout(sys.stderr):  # progress bars and training logs; stdout is the JSON only
            result = evaluate()
    except InceptionUnavailableError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    text = to_json(result)
    print(text, end="")
    if FLAGS.out:
        atomic_write_text(FLAGS.out, text)
    return 0


if __name__ == "__main__":
    from mgan import command

    command.run(main)
