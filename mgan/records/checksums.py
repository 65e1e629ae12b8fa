"""Checksums that identify data, files and configurations in records (manifests, cache keys, run keys, protocols).

Every sha256 of the package goes through here. The digests are stable: committed results, the run store and the
classifier cache are keyed by them (``tests/test_network_options.py`` checks a committed run key).
"""
import hashlib
import json

import numpy as np


def sha256_arrays(*arrays, layout=True):
    """sha256 hex digest of numpy arrays, in order: each one's bytes in C order, preceded by its dtype and shape when
    ``layout`` (so equal bytes of another dtype or shape differ); ``layout=False``: the bytes alone (the data
    identity of built-in data sets, :func:`mgan.data.data_identity`)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        if layout:
            h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def sha256_file(path, digest=None):
    """sha256 hex digest of the file at ``path``, read in 1 MiB blocks; with ``digest`` (a ``hashlib`` object) the
    file's bytes are added to it instead and None is returned."""
    h = hashlib.sha256() if digest is None else digest
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest() if digest is None else None


def key_hash(obj, length, sort_keys=True, default=None):
    """The first ``length`` hex digits of the sha256 of ``obj`` as JSON (``json.dumps(obj, sort_keys=sort_keys,
    default=default)``): the short keys of runs, points, timings, classifiers and IE points."""
    blob = json.dumps(obj, sort_keys=sort_keys, default=default)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]
