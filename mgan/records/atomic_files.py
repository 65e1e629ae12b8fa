"""Atomic file writes: a reader never sees a half-written result, log snapshot, image or npz."""
import json
import os
import tempfile

import numpy as np


def _atomic_write(path, write_fn, mode):
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the permissions open() would
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text):
    """Write `text` to `path` via a temporary file in the same directory and an atomic rename."""
    _atomic_write(path, lambda f: f.write(text), "w")


def atomic_write_bytes(path, data):
    """Write the bytes `data` to `path` atomically (PNG images, figures)."""
    _atomic_write(path, lambda f: f.write(data), "wb")


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def to_json(obj):
    return json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n"


def atomic_write_json(path, obj):
    atomic_write_text(path, to_json(obj))


def atomic_save_npz(path, **arrays):
    """np.savez_compressed, atomically. `path` should end in .npz."""
    _atomic_write(path, lambda f: np.savez_compressed(f, **arrays), "wb")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
