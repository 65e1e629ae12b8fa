"""Rewrite published results without machine paths, in place: ``python -m mgan.experiments.scrub_results results``.

For results directories written before issue 9 whose runs are not on this machine (a re-run of the script would skip
every point but cannot re-render figures without the runs). Every ``*.json`` and ``*.md`` file under the given
directories goes through :func:`mgan.records.portable_paths.scrub`; copies of run manifests (``manifests/``) also lose
the machine fields and gain the data's identity when the data file they name exists here. Idempotent; files that are
already portable are not touched. ``--data_dir`` (else ``$MGAN_DATA_DIR``) names this machine's data directory.
"""
import os
import sys

from mgan.experiments import published
from mgan.records import portable_paths
from mgan.records.atomic_files import atomic_write_json, atomic_write_text, read_json, to_json


def scrub_file(path, roots):
    """Rewrite ``path`` path-free; True when it changed."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".md"):
        new = portable_paths.scrub_text(text, roots)
        if new != text:
            atomic_write_text(path, new)
        return new != text
    obj = read_json(path)
    in_manifests = os.path.basename(os.path.dirname(path)) == "manifests"
    new = published.portable_manifest(obj, roots) if in_manifests else portable_paths.scrub(obj, roots)
    if to_json(new) != text and new != obj:
        atomic_write_json(path, new)
        return True
    return False


def main(argv):
    data_dir = next((a.split("=", 1)[1] for a in argv if a.startswith("--data_dir=")), None)
    dirs = [a for a in argv if not a.startswith("--")] or ["results"]
    roots = portable_paths.data_roots(data_dir)
    changed = 0
    for top in dirs:
        for directory, _, files in os.walk(top):
            for f in sorted(files):
                if f.endswith((".json", ".md")):
                    changed += scrub_file(os.path.join(directory, f), roots)
    print(f"rewrote {changed} file(s) without machine paths under {', '.join(dirs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
