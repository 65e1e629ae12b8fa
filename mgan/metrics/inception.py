"""The TF-GAN Inception network (METHODS.md §10.1) and the §10.2 preprocessing.

Network
    The TF-Hub module `tfgan/eval/inception/1` (`INCEPTION_TFHUB`), the 2015-12-05 Inception graph used by
    openai/improved-gan and bioinf-jku/TTUR. It is a TF2 SavedModel whose restored object is callable:
    `module(images)` with `images` float32 [N, 299, 299, 3] in [-1, 1] returns a dict with `'logits'` (float32
    [N, 1008]) and `'pool_3'` (float32 [N, 2048]). This is how tensorflow-gan itself uses it
    (`classifier_fn_from_tfhub`: `tfhub.load(INCEPTION_TFHUB)(images)`, then `output['logits']` / `output['pool_3']`,
    each flattened to [N, -1]); tensorflow-gan's own test (`inception_metrics_test.FakeInceptionModule`) mocks it
    with exactly that call signature. The outputs are flattened the same way here; if a loaded object is not
    callable, its `default` / `serving_default` signature is used instead (the TF1-Hub-format calling convention),
    with the same output keys. The output widths are checked (1008 and 2048): no other network is accepted.

Loading (once per process, cached by location), in this order:
    1. `inception_path` argument (the CLI's `--inception_path`), else
    2. the environment variable `MGAN_INCEPTION_PATH`, else
    3. the TF-Hub handle `INCEPTION_TFHUB` through `tensorflow_hub.resolve` (TF-Hub's cache, `TFHUB_CACHE_DIR`,
       applies; this needs internet the first time).
    An explicitly given path (1 or 2) that fails is an error; there is no fallback to another source and never to
    another network. Failure raises `InceptionUnavailableError` naming what was tried and how to supply the module.
    The loaded directory's checksum (`directory_checksum`: sha256 over saved_model.pb[txt] and the variables/
    files, names included) is part of the network's protocol dict.

Preprocessing, in this order (§10.2)
    1. generator output in [-1, 1] -> uint8: `mgan.images.to_uint8`, round((x + 1) * 127.5) clipped to 0..255
       (`np.rint`, i.e. ties to even like `tf.round`; non-finite values are an error);
    2. uint8 -> float32 x / 127.5 - 1 (`mgan.data.to_unit_range`);
    3. resize to 299x299 with `tf.compat.v1.image.resize(..., method=BILINEAR)` (TF1 `ResizeBilinear`,
       align_corners=False, half_pixel_centers=False) — not TF2 `tf.image.resize` (`resize_tf1_bilinear`);
       1-channel images are then tiled to 3 channels;
    4. the module runs in batches (the last batch zero-padded to the batch size so that every call has the same
       shape; padded rows are dropped); outputs are returned as float64.
"""
import hashlib
import os
import sys
import threading

import numpy as np

from mgan.data import to_unit_range
from mgan.errors import UserError
from mgan.records.checksums import sha256_file

INCEPTION_TFHUB = "https://tfhub.dev/tensorflow/tfgan/eval/inception/1"
INCEPTION_NAME = "tfgan/eval/inception/1"
INCEPTION_OUTPUT = "logits"
INCEPTION_FINAL_POOL = "pool_3"
INCEPTION_IMAGE_SIZE = 299
NUM_LOGITS = 1008
POOL_DIM = 2048
ENV_INCEPTION_PATH = "MGAN_INCEPTION_PATH"
DEFAULT_BATCH_SIZE = 50

PREPROCESSING = ("uint8 -> float32 x/127.5-1 -> tf.compat.v1.image.resize([299, 299], BILINEAR, align_corners=False, "
                 "half_pixel_centers=False) -> grayscale tiled to 3 channels; outputs float64")

HOWTO = (
    "How to supply it: on a machine with internet, download the TF-Hub module tfgan/eval/inception/1 "
    f"({INCEPTION_TFHUB}?tf-hub-format=compressed gives a .tar.gz), unpack it into a directory (it must contain "
    "saved_model.pb and variables/), copy that directory here and pass it with --inception_path=DIR or set "
    f"{ENV_INCEPTION_PATH}=DIR. Alternatively, with internet access, leave both unset and TF-Hub downloads it "
    "(set TFHUB_CACHE_DIR to keep the download). No other network is substituted.")


class InceptionUnavailableError(UserError, RuntimeError):
    """The TF-GAN Inception module could not be loaded; the message says what was tried and how to supply it."""


# ---------------------------------------------------------------------------------------------------------------
# Preprocessing (§10.2)
# ---------------------------------------------------------------------------------------------------------------

def resize_tf1_bilinear(images, size=INCEPTION_IMAGE_SIZE):
    """TF1 bilinear resize (align_corners=False, half_pixel_centers=False) of float NHWC images to size x size."""
    import tensorflow as tf

    if isinstance(size, int):
        size = (size, size)
    return tf.compat.v1.image.resize(tf.convert_to_tensor(images, tf.float32), list(size),
                                     method=tf.compat.v1.image.ResizeMethod.BILINEAR, align_corners=False)


def check_images_uint8(images):
    x = np.asarray(images)
    if x.dtype != np.uint8:
        raise TypeError(f"images must be uint8 NHWC (0..255), got dtype {x.dtype}; convert generator output with "
                        "mgan.images.to_uint8 first")
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"images must be NHWC with 1 or 3 channels, got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError("no images")
    return x


def preprocess_for_inception(images_uint8, size=INCEPTION_IMAGE_SIZE):
    """Steps 2-3 of §10.2 for one batch: uint8 NHWC -> float32 tensor [N, size, size, 3] in [-1, 1]."""
    import tensorflow as tf

    x = check_images_uint8(images_uint8)
    y = resize_tf1_bilinear(to_unit_range(x), size)
    if x.shape[-1] == 1:
        y = tf.tile(y, [1, 1, 1, 3])
    return y


# ---------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------

def directory_checksum(path):
    """sha256 over saved_model.pb / saved_model.pbtxt and every file under variables/ (relative names included)."""
    path = os.fspath(path)
    files = [n for n in ("saved_model.pb", "saved_model.pbtxt") if os.path.isfile(os.path.join(path, n))]
    var_dir = os.path.join(path, "variables")
    if os.path.isdir(var_dir):
        for root, _, names in os.walk(var_dir):
            for n in names:
                files.append(os.path.relpath(os.path.join(root, n), path))
    if not files:
        raise FileNotFoundError(f"no saved_model.pb or variables/ in {path}")
    h = hashlib.sha256()
    for rel in sorted(f.replace(os.sep, "/") for f in files):
        h.update(rel.encode() + b"\0")
        sha256_file(os.path.join(path, rel), h)
        h.update(b"\0")
    return h.hexdigest()


def _progbar(total, progress):
    import keras

    verbose = 0 if not progress else (1 if sys.stdout.isatty() else 2)
    return keras.utils.Progbar(total, verbose=verbose, unit_name="image")


class InceptionNetwork:
    """A loaded TF-GAN Inception module: callable on preprocessed batches, with its protocol description."""

    kind = "inception"
    score_name = "Inception Score"
    distance_name = "FID"

    def __init__(self, module, location, source, checksum, handle=None):
        self.module = module
        self.location = location
        self.source = source
        self.checksum = checksum
        self.handle = handle
        self._fn = self._resolve_callable(module)

    @staticmethod
    def _resolve_callable(module):
        if callable(module):
            return module
        sigs = getattr(module, "signatures", None) or {}
        for key in ("default", "serving_default"):
            if key in sigs:
                sig = sigs[key]
                kwargs = sig.structured_input_signature[1]
                if len(kwargs) != 1:
                    break
                name = next(iter(kwargs))
                return lambda x, _sig=sig, _name=name: _sig(**{_name: x})
        raise InceptionUnavailableError(
            "the loaded object is neither callable nor has a single-input 'default'/'serving_default' signature; "
            "it is not the TF-GAN Inception module tfgan/eval/inception/1. " + HOWTO)

    @property
    def id(self):
        return f"{INCEPTION_NAME}@sha256:{self.checksum[:16]}"

    def describe(self):
        return {"name": INCEPTION_NAME, "handle": INCEPTION_TFHUB, "location": self.location, "source": self.source,
                "sha256": self.checksum, "id": self.id, "outputs": {"logits": INCEPTION_OUTPUT,
                                                                    "features": INCEPTION_FINAL_POOL},
                "preprocessing": PREPROCESSING}

    def labels(self):
        return {"score": "Inception Score (tfgan/eval/inception/1)", "distance": "FID (tfgan/eval/inception/1, pool_3)"}

    def run_batch(self, batch):
        """Module outputs for one preprocessed float32 batch [B, 299, 299, 3]: (logits [B, 1008], pool [B, 2048])."""
        import tensorflow as tf

        out = self._fn(batch)
        if not isinstance(out, dict) or INCEPTION_OUTPUT not in out or INCEPTION_FINAL_POOL not in out:
            keys = sorted(out) if isinstance(out, dict) else type(out).__name__
            raise InceptionUnavailableError(
                f"the loaded module returned {keys}, not a dict with '{INCEPTION_OUTPUT}' and "
                f"'{INCEPTION_FINAL_POOL}': it is not tfgan/eval/inception/1. " + HOWTO)
        b = int(batch.shape[0])
        logits = tf.reshape(out[INCEPTION_OUTPUT], [b, -1]).numpy()
        pool = tf.reshape(out[INCEPTION_FINAL_POOL], [b, -1]).numpy()
        if logits.shape[1] != NUM_LOGITS or pool.shape[1] != POOL_DIM:
            raise InceptionUnavailableError(
                f"the loaded module gives logits of width {logits.shape[1]} and pool_3 of width {pool.shape[1]}, "
                f"not {NUM_LOGITS} and {POOL_DIM}: it is not tfgan/eval/inception/1. " + HOWTO)
        return logits, pool

    def logits_and_features(self, images_uint8, batch_size=DEFAULT_BATCH_SIZE, progress=True):
        """(logits float64 [N, 1008], pool_3 float64 [N, 2048]) of uint8 NHWC images, preprocessed per §10.2."""
        x = check_images_uint8(images_uint8)
        n = x.shape[0]
        batch_size = int(batch_size)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        logits = np.empty((n, NUM_LOGITS), np.float64)
        pool = np.empty((n, POOL_DIM), np.float64)
        bar = _progbar(n, progress)
        for start in range(0, n, batch_size):
            chunk = x[start:start + batch_size]
            m = chunk.shape[0]
            if m < batch_size and n > batch_size:
                chunk = np.concatenate([chunk, np.zeros((batch_size - m,) + chunk.shape[1:], np.uint8)])
            lg, pl = self.run_batch(preprocess_for_inception(chunk))
            logits[start:start + m] = lg[:m]
            pool[start:start + m] = pl[:m]
            bar.update(start + m)
        return logits, pool


_CACHE = {}
_LOCK = threading.Lock()


def _load_dir(path):
    try:
        import tensorflow_hub as hub

        return hub.load(path)
    except ImportError:  # pragma: no cover - tensorflow-hub is a dependency
        import tensorflow as tf

        return tf.saved_model.load(path)


def _load_from_directory(path, source, tried, handle=None):
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    with _LOCK:
        if path in _CACHE:
            return _CACHE[path]
        if not os.path.isdir(path):
            tried.append(f"{source}: {path} is not a directory")
            return None
        try:
            checksum = directory_checksum(path)
            module = _load_dir(path)
            net = InceptionNetwork(module, path, source, checksum, handle=handle)
        except InceptionUnavailableError as e:
            tried.append(f"{source}: {path}: {e}")
            return None
        except Exception as e:  # noqa: BLE001 - every loading failure becomes the how-to error
            tried.append(f"{source}: {path}: {type(e).__name__}: {e}")
            return None
        _CACHE[path] = net
        return net


def _fail(tried):
    raise InceptionUnavailableError(
        "The TF-GAN Inception module tfgan/eval/inception/1 (needed for Inception Score / FID) could not be loaded. "
        "Tried:\n  - " + "\n  - ".join(tried) + "\n" + HOWTO)


def load_inception(inception_path=None, use_tfhub=True):
    """The TF-GAN Inception module as an `InceptionNetwork` (loaded once per process per location).

    inception_path: a local directory holding the unpacked module; else $MGAN_INCEPTION_PATH; else (use_tfhub) the
    TF-Hub handle. Raises InceptionUnavailableError with the how-to message when nothing works.
    """
    tried = []
    if inception_path:
        net = _load_from_directory(inception_path, "inception_path argument", tried)
        return net if net is not None else _fail(tried)
    env = os.environ.get(ENV_INCEPTION_PATH)
    if env:
        net = _load_from_directory(env, f"${ENV_INCEPTION_PATH}", tried)
        return net if net is not None else _fail(tried)
    tried.append(f"no inception_path argument and ${ENV_INCEPTION_PATH} is unset")
    if not use_tfhub:
        tried.append("TF-Hub download disabled (use_tfhub=False)")
        return _fail(tried)
    cache = os.environ.get("TFHUB_CACHE_DIR")
    try:
        import tensorflow_hub as hub

        resolved = hub.resolve(INCEPTION_TFHUB)
    except Exception as e:  # noqa: BLE001
        where = f" (TFHUB_CACHE_DIR={cache})" if cache else " (TFHUB_CACHE_DIR unset)"
        tried.append(f"TF-Hub {INCEPTION_TFHUB}{where}: {type(e).__name__}: {e}")
        return _fail(tried)
    net = _load_from_directory(resolved, f"TF-Hub {INCEPTION_TFHUB}", tried, handle=INCEPTION_TFHUB)
    return net if net is not None else _fail(tried)


def clear_cache():
    """Forget the loaded modules (tests)."""
    with _LOCK:
        _CACHE.clear()


def inception_logits_and_pool(images_uint8, network=None, batch_size=DEFAULT_BATCH_SIZE, inception_path=None,
                              progress=True):
    """(logits float64 [N, 1008], pool_3 float64 [N, 2048]) of uint8 NHWC images through the TF-GAN module.

    network: an `InceptionNetwork` from `load_inception`; loaded (and cached) from `inception_path` /
    $MGAN_INCEPTION_PATH / TF-Hub when None.
    """
    net = network if network is not None else load_inception(inception_path)
    return net.logits_and_features(images_uint8, batch_size=batch_size, progress=progress)
