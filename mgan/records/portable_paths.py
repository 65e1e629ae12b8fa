"""Records without machine paths: what manifests and published results write instead of absolute directories.

A run or a result file names its data by identity (file name, size, checksum: ``mgan.data.data_identity``), not by
where the file lay; the paths it still mentions are rewritten by :func:`scrub`:

- a path inside the repository becomes relative to it (``runs/dmgan-mnist-...``);
- a path under a named root becomes ``NAME/rest`` (the run store: ``RUNS_DIR/...``); a root named ``""`` (the data
  directory) keeps only the rest (``npz:mnist.npz``);
- the home directory becomes ``~``; any other absolute path keeps only its file name (``.../name``);
- the value of a directory flag in a recorded command (``--data_dir=../data``), and of a key of that name in
  a record (``"data_dir": "../data"``), becomes ``DIR``.

:func:`scrub` is idempotent, so re-writing an already portable file changes nothing.
"""
import os
import re

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR_FLAGS = ("data_dir", "inception_path", "cache_dir")
_DIR_FLAG = re.compile(r"(--(?:%s)=)(?!DIR\b)[^\s\"'`|()\]]+" % "|".join(DIR_FLAGS))
_ABS_PATH = re.compile(r"(?:(?<=^)|(?<=[\s=:\"'(\[]))(/(?!/)[^\s\"'`,;|()\]]+)")


def _under(path, root):
    return root and (path == root or path.startswith(root.rstrip(os.sep) + os.sep))


def portable_path(path, roots=()):
    """``path`` (absolute) without the machine's directories; ``roots``: ``[(directory, name), ...]``."""
    path = os.path.normpath(path)
    if _under(path, REPO_ROOT):
        return os.path.relpath(path, REPO_ROOT)
    for root, name in roots:
        root = os.path.normpath(os.path.abspath(root)) if root else None
        if _under(path, root):
            rest = os.path.relpath(path, root)
            return rest if not name else (name if rest == "." else f"{name}/{rest}")
    home = os.path.expanduser("~")
    if home not in ("/", "") and _under(path, home):
        return "~/" + os.path.relpath(path, home)
    return ".../" + os.path.basename(path)


def scrub_text(text, roots=()):
    text = _DIR_FLAG.sub(lambda m: m.group(1) + "DIR", text)
    return _ABS_PATH.sub(lambda m: portable_path(m.group(1), roots), text)


def scrub(obj, roots=()):
    """A copy of the JSON-like ``obj`` whose strings (keys too) hold no machine path (see the module docstring)."""
    if isinstance(obj, str):
        return scrub_text(obj, roots)
    if isinstance(obj, dict):
        return {scrub(k, roots) if isinstance(k, str) else k:
                ("DIR" if k in DIR_FLAGS and isinstance(v, str) and v else scrub(v, roots)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub(v, roots) for v in obj]
    return obj


def data_roots(data_dir=None):
    """The data directories of this machine (named or from $MGAN_DATA_DIR), recorded as bare file names."""
    dirs = [d for d in (data_dir, os.environ.get("MGAN_DATA_DIR")) if d]
    return [(os.path.abspath(d), "") for d in dirs]
