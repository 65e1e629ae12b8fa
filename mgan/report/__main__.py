"""Write (or, with --check, compare) the generated results documents: results/CLAIMS.md and results/README.md.

    python -m mgan.report                  # rewrite both from results/*/results.json
    python -m mgan.report --check          # exit 1 and name the files that differ from what the files give
"""
import os

from absl import flags

from mgan import command, errors
from mgan.errors import UserError
from mgan.records.atomic_files import atomic_write_text
from mgan.report.documents import DOCUMENTS

flags.DEFINE_string("results_dir", "results", "the results directory whose result files are judged and indexed")
flags.DEFINE_bool("check", False, "do not write: exit 1 when a committed document differs from the regenerated one")
FLAGS = flags.FLAGS


def stale_documents(results_dir):
    """{file name: regenerated text} of the documents whose committed text differs."""
    out = {}
    for name, render in DOCUMENTS.items():
        text = render(results_dir)
        path = os.path.join(results_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                old = f.read()
        except FileNotFoundError:
            old = None
        if old != text:
            out[name] = text
    return out


def main(argv):
    return errors.report_user_errors(lambda: _main(argv), path=FLAGS.results_dir)


def _main(argv):
    if not os.path.isdir(FLAGS.results_dir):
        raise UserError(f"--results_dir={FLAGS.results_dir} is not a directory; run from the repository root or "
                        "pass the results directory")
    stale = stale_documents(FLAGS.results_dir)
    if FLAGS.check:
        if stale:
            print(f"out of date: {', '.join(sorted(stale))} in {FLAGS.results_dir}; regenerate with "
                  "python -m mgan.report")
            return 1
        print("up to date: " + ", ".join(sorted(DOCUMENTS)))
        return 0
    for name, text in stale.items():
        atomic_write_text(os.path.join(FLAGS.results_dir, name), text)
    print(f"wrote {', '.join(sorted(stale)) or 'nothing (up to date)'} in {FLAGS.results_dir}")
    return 0


if __name__ == "__main__":
    command.run(main)
