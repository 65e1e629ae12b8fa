"""Data sets for mgan: loading, validation and deterministic, resumable batching.

Public API:

- ``DATASETS`` / ``dataset_info(name)``: static description of each data set (shape, classes, splits, sizes, title),
  available without loading anything, so the CLI can validate flags early; ``image_datasets()`` and
  ``labelled_image_datasets()`` are the choices of the evaluation and reproduce command lines.
- ``load_dataset(name, split='train', data_dir=None, source='auto', ...) -> ArrayDataset``.
- ``to_unit_range(x)``: uint8 images -> float32 in [-1, 1] (identity for float data such as ``synthetic``).
- ``make_batches(ds, batch_size, seed, start_step=0)``: infinite, shuffled ``tf.data.Dataset`` whose batch at
  global step t is a pure function of (seed, t).

Sources
-------
Image data sets (mnist, fashion_mnist, cifar10, svhn, celeba) come from a local npz file or from TFDS:

- ``'npz'``: ``<dir>/<name>.npz`` where ``dir`` is ``data_dir`` or else ``$MGAN_DATA_DIR``; for svhn
  ``svhn_cropped.npz`` is also accepted. Keys ``x_train, y_train, x_test, y_test``; x uint8 NHWC (MNIST-like arrays
  may be (N, 28, 28) and get a channel axis), y integer labels 0..num_classes-1. For celeba the file holds
  already-cropped 64x64x3 uint8 images in ``x_train`` (and optionally ``x_test``); labels are optional and ignored.
- ``'tfds'``: ``tfds.load(..., data_dir=$TFDS_DATA_DIR, download=True)``; any failure becomes a
  ``DataUnavailableError``. CelebA from TFDS is center-cropped to ``celeba_crop`` pixels (default 108, the crop of
  carpedm20/DCGAN-tensorflow) and resized to 64x64 (bilinear with antialiasing, like PIL's resize).
- ``'auto'`` (default): the npz file when a directory is known and the file exists, else TFDS. A file that exists but
  is invalid is an error (it is not silently replaced by a TFDS download), and so is a directory the caller named
  (``data_dir``) that does not exist or lacks the file: TFDS is only tried when no directory was named
  (``$MGAN_DATA_DIR`` or nothing).

Every loaded data set carries its identity (:func:`data_identity`): the file name, size and sha256 of the npz (or the
built-in source), never the directory, so runs and results record which data they used without machine paths.

``digits`` (scikit-learn's bundled 8x8 digits, source ``'sklearn'``) and ``synthetic`` (the KM-GAN stand-in of
METHODS.md §6.7, source ``'generated'``) need no files; both only have the split ``'train'``.
"""
import dataclasses
import os
import socket
import threading
import zipfile

import numpy as np

from mgan.errors import ConfigError, InputDataError, UserError
from mgan.records.checksums import sha256_arrays, sha256_file

SPLITS = ("train", "test", "train+test")
ENV_DATA_DIR = "MGAN_DATA_DIR"
CELEBA_CROP_DEFAULT = 108  # carpedm20/DCGAN-tensorflow: --input_height=108 center crop for CelebA
CELEBA_TFDS_SHAPE = (218, 178, 3)
SYNTHETIC_PER_CLASS = 2500


class DataUnavailableError(UserError, RuntimeError):
    """A data set could not be obtained; the message names it, every source tried and how to supply it."""


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Static facts about a data set (no data loaded)."""
    name: str
    example_shape: tuple
    num_classes: int            # 1 for unlabeled sets (CelebA)
    dtype: str                  # 'uint8' images or 'float32' vectors
    splits: tuple               # valid values of `split`
    default_split: str
    sizes: dict                 # split -> number of examples of the full (official) data set
    sources: tuple              # valid values of `source` besides 'auto'
    tfds_name: str = None
    npz_files: tuple = ()       # file names looked for in the data directory, in order
    standin: bool = False       # True when the data set is itself a stand-in (synthetic)
    description: str = ""
    title: str = ""             # name in tables and figures, e.g. 'CIFAR-10'


def _image_spec(name, title, shape, num_classes, tfds_name, n_train, n_test, npz_files=None, description=""):
    return DatasetSpec(
        name=name, example_shape=shape, num_classes=num_classes, dtype="uint8", splits=SPLITS,
        default_split="train", sizes={"train": n_train, "test": n_test, "train+test": n_train + n_test},
        sources=("npz", "tfds"), tfds_name=tfds_name, npz_files=tuple(npz_files or (name + ".npz",)),
        description=description, title=title)


DATASETS = {
    "mnist": _image_spec("mnist", "MNIST", (28, 28, 1), 10, "mnist", 60000, 10000, description="MNIST digits"),
    "fashion_mnist": _image_spec("fashion_mnist", "Fashion-MNIST", (28, 28, 1), 10, "fashion_mnist", 60000, 10000,
                                 description="Fashion-MNIST"),
    "cifar10": _image_spec("cifar10", "CIFAR-10", (32, 32, 3), 10, "cifar10", 50000, 10000,
                           description="CIFAR-10"),
    "svhn": _image_spec("svhn", "SVHN", (32, 32, 3), 10, "svhn_cropped", 73257, 26032,
                        npz_files=("svhn.npz", "svhn_cropped.npz"), description="SVHN cropped digits"),
    "celeba": _image_spec("celeba", "CelebA", (64, 64, 3), 1, "celeb_a", 162770, 19962,
                          description="CelebA faces, center crop (celeba_crop) resized to 64x64; unlabeled"),
    "digits": DatasetSpec(
        name="digits", example_shape=(8, 8, 1), num_classes=10, dtype="uint8", splits=("train",),
        default_split="train", sizes={"train": 1797}, sources=("sklearn",),
        description="scikit-learn load_digits, 0..16 rescaled to 0..255; all 1,797 images",
        title="scikit-learn digits (8x8)"),
    "synthetic": DatasetSpec(
        name="synthetic", example_shape=(100,), num_classes=4, dtype="float32", splits=("train",),
        default_split="train", sizes={"train": 4 * SYNTHETIC_PER_CLASS}, sources=("generated",), standin=True,
        description="KM-GAN stand-in: 4 Gaussians in 2-D mapped to R^100 by a fixed random tanh MLP",
        title="synthetic"),
}


def dataset_info(name):
    """The `DatasetSpec` of data set `name`, without loading it. Unknown names raise ConfigError (a ValueError)."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown data set {name!r}; valid names: {', '.join(DATASETS)}") from None


def image_datasets():
    """Names of the image data sets (uint8 NHWC): what sample-quality metrics can compare against."""
    return [name for name, spec in DATASETS.items() if spec.dtype == "uint8"]


def labelled_image_datasets():
    """Names of the image data sets with class labels: the classifier metric and the conditional experiments."""
    return [name for name in image_datasets() if DATASETS[name].num_classes > 1]


@dataclasses.dataclass(frozen=True, eq=False)
class ArrayDataset:
    """A fully loaded data set: x (uint8 NHWC, or float32 [N, D] for synthetic) and y (int32 [N])."""
    name: str
    x: np.ndarray
    y: np.ndarray
    num_classes: int
    source: str
    split: str
    substitute_for: str = None
    extras: dict = dataclasses.field(default_factory=dict)
    identity: dict = dataclasses.field(default_factory=dict)  # data_identity(): file name, size, sha256 (no path)

    @property
    def example_shape(self):
        return tuple(self.x.shape[1:])

    @property
    def n(self):
        return int(self.x.shape[0])


# ----------------------------------------------------------------------------------------------------------------
# Loading

def load_dataset(name, split="train", data_dir=None, source="auto", *, celeba_crop=CELEBA_CROP_DEFAULT,
                 synthetic_seed=0, synthetic="standin"):
    """Load data set `name` as an `ArrayDataset`.

    split: 'train' | 'test' | 'train+test' (concatenation, train first); digits and synthetic only have 'train'.
    data_dir: directory of npz files; defaults to $MGAN_DATA_DIR.
    source: 'auto' | 'npz' | 'tfds' for image sets; 'auto' | 'sklearn' for digits; 'auto' | 'generated' for synthetic.
    celeba_crop: side of the center crop applied to TFDS CelebA images before resizing to 64x64 (npz CelebA files
        are already 64x64 and are used as they are).
    synthetic_seed: seed of the numpy Generator that draws the synthetic stand-in (Gaussians, points and mapping).
    synthetic: only 'standin' exists (METHODS.md §6.7).

    Raises ValueError for bad arguments and DataUnavailableError when no source can supply the data.
    """
    spec = dataset_info(name)
    if split not in spec.splits:
        raise ConfigError(f"data set {name!r} has no split {split!r}; valid splits: {', '.join(spec.splits)}")
    if source != "auto" and source not in spec.sources:
        raise ConfigError(f"data set {name!r} cannot come from source {source!r}; valid sources: "
                         f"{', '.join(('auto',) + spec.sources)}")
    if name == "digits":
        return _load_digits()
    if name == "synthetic":
        if synthetic != "standin":
            raise ConfigError(f"synthetic={synthetic!r}: only 'standin' is available (the paper's setup is lost)")
        return make_synthetic(synthetic_seed)
    if name == "celeba":
        _check_celeba_crop(celeba_crop)

    directory = data_dir if data_dir is not None else os.environ.get(ENV_DATA_DIR) or None
    if data_dir is not None:
        _check_named_directory(spec, data_dir)
        if source == "auto":
            source = "npz"  # the caller named a directory: no silent TFDS download instead
    failures = []  # (source, reason)
    if source in ("auto", "npz"):
        if directory is None:
            failures.append(("npz", f"no directory given (--data_dir not passed and {ENV_DATA_DIR} not set)"))
        else:
            paths = [os.path.abspath(os.path.join(os.fspath(directory), f)) for f in spec.npz_files]
            path = next((p for p in paths if os.path.isfile(p)), None)
            if path is None:
                failures.append(("npz", "file not found at " + " or ".join(paths)))
            else:
                try:
                    return _load_npz(spec, path, split)
                except _Invalid as e:
                    failures.append(("npz", f"{path}: {e} (the file exists, so TFDS was not tried)"))
                    raise DataUnavailableError(_unavailable_message(spec, split, failures)) from None
    if source in ("auto", "tfds") and not _tfds_prepared(spec) and not network_reachable():
        failures.append(("tfds", f"not tried: '{spec.tfds_name}' is not in the TFDS directory "
                                 f"({_tfds_dir()}) and the network is unreachable ({TFDS_HOST} did not answer "
                                 f"within {NETWORK_TIMEOUT:g} s)"))
    elif source in ("auto", "tfds"):
        try:
            return _load_tfds(spec, split, celeba_crop)
        except _Invalid as e:
            failures.append(("tfds", f"'{spec.tfds_name}' gave invalid data: {e}"))
        except Exception as e:  # noqa: BLE001 - any TFDS problem (offline, missing module, ...) is reported
            text = str(e).strip().replace("\n", " ")
            if len(text) > 600:
                text = text[:600] + " ..."
            failures.append(("tfds", f"tfds.load('{spec.tfds_name}') failed: {type(e).__name__}: {text}"))
    raise DataUnavailableError(_unavailable_message(spec, split, failures))


TFDS_HOST = ("storage.googleapis.com", 443)  # where TFDS downloads from
NETWORK_TIMEOUT = 3.0  # seconds: offline, the command fails at once instead of after minutes of TFDS retries


def network_reachable(host=TFDS_HOST, timeout=NETWORK_TIMEOUT):
    """Whether a TCP connection to ``host`` opens within ``timeout`` seconds (name lookup included: it runs in a
    daemon thread, so a hanging resolver cannot hold the command)."""
    result = []

    def probe():
        try:
            socket.create_connection(host, timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout)
    return bool(result and result[0])


def _tfds_dir():
    return os.environ.get("TFDS_DATA_DIR") or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")


def _tfds_prepared(spec):
    """Whether TFDS already holds the data set locally (then it loads without the network)."""
    return os.path.isdir(os.path.join(_tfds_dir(), spec.tfds_name or ""))


def _check_named_directory(spec, data_dir):
    """A directory named by the caller must exist (no TFDS download instead of a mistyped path)."""
    if not os.path.isdir(os.fspath(data_dir)):
        what = "is a file, not a directory" if os.path.exists(os.fspath(data_dir)) else "does not exist"
        raise DataUnavailableError(
            f"--data_dir={data_dir} {what}; pass the directory that holds {' or '.join(spec.npz_files)} (or omit "
            f"--data_dir and {ENV_DATA_DIR} to download '{spec.name}' with TFDS).")


def file_identity(path):
    """{'file': name, 'bytes': size, 'sha256': checksum} of a file: the same file anywhere has the same identity."""
    return {"file": os.path.basename(path), "bytes": os.path.getsize(path), "sha256": sha256_file(path)}


def data_identity(ds):
    """What identifies the data of ``ds`` without a machine path: the npz file's identity, or the built-in source
    (digits, synthetic: a function of the package and the seed) with a checksum of the arrays."""
    if ds.identity:
        return dict(ds.identity)
    return {"source": ds.source, "arrays_sha256": sha256_arrays(ds.x, ds.y, layout=False)}


def portable_source(source):
    """``source`` without the directory of an npz file (``npz:/data/mnist.npz`` -> ``npz:mnist.npz``)."""
    if source and source.startswith("npz:"):
        return "npz:" + os.path.basename(source[4:])
    return source


class _Invalid(Exception):
    """Internal: the arrays from a source do not match the expected schema."""


def _unavailable_message(spec, split, failures):
    h, w, c = spec.example_shape
    if spec.name == "celeba":
        schema = (f"key x_train (and x_test for split 'test') holding already center-cropped and resized "
                  f"uint8 images of shape (N, {h}, {w}, {c}); labels are optional and ignored")
    else:
        extra = f" or (N, {h}, {w})" if c == 1 else ""
        schema = (f"keys x_train, y_train, x_test, y_test: x uint8 of shape (N, {h}, {w}, {c}){extra}, "
                  f"y integer labels 0..{spec.num_classes - 1} of shape (N,)")
    lines = [f"Data set '{spec.name}' (split '{split}') is unavailable. Sources tried:"]
    lines += [f"  - {src}: {why}" for src, why in failures]
    lines.append(
        f"To supply it: pass --data_dir=DIR (data_dir=DIR) or set {ENV_DATA_DIR} to a directory containing "
        f"{' or '.join(spec.npz_files)} with {schema} (the schema of the project's data README), "
        f"or run once with internet so TFDS can download '{spec.tfds_name}' "
        f"(TFDS_DATA_DIR chooses where it is stored).")
    return "\n".join(lines)


def _check_celeba_crop(crop):
    if isinstance(crop, bool) or not isinstance(crop, (int, np.integer)) or not 1 <= crop <= min(CELEBA_TFDS_SHAPE[:2]):
        raise ConfigError(f"celeba_crop must be an integer in 1..{min(CELEBA_TFDS_SHAPE[:2])}, got {crop!r}")


def _validate(spec, x, y, what, y_what=None):
    """Check and normalise one split's arrays; returns (x uint8 NHWC, y int32). Raises _Invalid."""
    expected = tuple(spec.example_shape)
    x = np.asarray(x)
    if x.ndim == 3 and expected[-1] == 1:
        x = x[..., None]
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        raise _Invalid(f"{what}: wrong shape, got {tuple(x.shape)}, expected (N, {', '.join(map(str, expected))})")
    if x.dtype != np.uint8:
        raise _Invalid(f"{what}: wrong dtype, got {x.dtype}, expected uint8 (pixel values 0..255)")
    if spec.num_classes == 1:  # unlabeled: labels are ignored
        return x, np.zeros(len(x), np.int32)
    y, y_what = np.asarray(y), y_what or what
    if y.ndim != 1 or len(y) != len(x):
        raise _Invalid(f"{y_what}: labels must have shape ({len(x)},) to match the images of {what}, got "
                       f"{tuple(y.shape)}")
    if y.dtype.kind not in "iu":
        raise _Invalid(f"{y_what}: labels must be integers, got dtype {y.dtype}")
    if len(y) and (y.min() < 0 or y.max() >= spec.num_classes):
        raise _Invalid(f"{y_what}: labels must lie in 0..{spec.num_classes - 1}, got {y.min()}..{y.max()}")
    return x, y.astype(np.int32)


def _load_npz(spec, path, split):
    parts = ("train", "test") if split == "train+test" else (split,)
    if not zipfile.is_zipfile(path):
        raise _Invalid("not an npz file (an npz is a zip archive of .npy arrays, as written by numpy.savez)")
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = set(f.files)
            xs, ys = [], []
            for part in parts:
                xk, yk = "x_" + part, "y_" + part
                needed = [xk] if spec.num_classes == 1 else [xk, yk]
                missing = [k for k in needed if k not in keys]
                if missing:
                    raise _Invalid(f"missing key(s) {', '.join(missing)} (file has {', '.join(sorted(keys)) or 'none'})")
                x, y = _validate(spec, f[xk], f[yk] if yk in keys else None, xk, yk)
                xs.append(x)
                ys.append(y)
    except _Invalid:
        raise
    except Exception as e:  # corrupt or not an npz file
        raise _Invalid(f"could not read the file: {type(e).__name__}: {e}") from None
    x = xs[0] if len(xs) == 1 else np.concatenate(xs)
    y = ys[0] if len(ys) == 1 else np.concatenate(ys)
    return ArrayDataset(name=spec.name, x=np.ascontiguousarray(x), y=y, num_classes=spec.num_classes,
                        source="npz:" + path, split=split, identity=file_identity(path))


def _celeba_crop_resize(image, crop, size=64):
    """carpedm20/DCGAN-tensorflow center crop (offset round((h - crop) / 2)) and resize to size x size."""
    import tensorflow as tf
    h, w = CELEBA_TFDS_SHAPE[:2]
    top, left = int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))
    image = image[top:top + crop, left:left + crop, :]
    image = tf.image.resize(tf.cast(image, tf.float32), [size, size], method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)


def _load_tfds(spec, split, celeba_crop):
    """Load through tensorflow_datasets (downloading if needed). Exceptions propagate to the caller."""
    import tensorflow as tf
    import tensorflow_datasets as tfds
    d = tfds.load(spec.tfds_name, split=split, data_dir=os.environ.get("TFDS_DATA_DIR"), download=True,
                  shuffle_files=False)
    celeba = spec.name == "celeba"

    def prep(ex):
        image = ex["image"]
        if celeba:
            image = _celeba_crop_resize(image, celeba_crop, spec.example_shape[0])
        label = tf.zeros([], tf.int64) if celeba else tf.cast(ex["label"], tf.int64)
        return image, label

    xs, ys = [], []
    for xb, yb in tfds.as_numpy(d.map(prep, num_parallel_calls=tf.data.AUTOTUNE).batch(2048)):
        xs.append(xb)
        ys.append(yb)
    if not xs:
        raise _Invalid(f"split '{split}' is empty")
    x, y = _validate(spec, np.concatenate(xs), np.concatenate(ys), f"split '{split}'")
    extras = {"celeba_crop": int(celeba_crop)} if celeba else {}
    return ArrayDataset(name=spec.name, x=x, y=y, num_classes=spec.num_classes, source="tfds:" + spec.tfds_name,
                        split=split, extras=extras)


def _load_digits():
    """scikit-learn's 1,797 8x8 digits (bundled, no download); 0..16 -> uint8 0..255 by round(v * 255 / 16)."""
    from sklearn.datasets import load_digits
    bunch = load_digits()
    x = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return ArrayDataset(name="digits", x=x, y=bunch.target.astype(np.int32), num_classes=10,
                        source="sklearn:load_digits", split="train")


def make_synthetic(seed=0, per_class=SYNTHETIC_PER_CLASS):
    """The KM-GAN synthetic stand-in (METHODS.md §6.7), a pure function of `seed`.

    Four 2-D Gaussians with means at the corners (+-2, +-2) of a square of side 4 centred at the origin (order:
    (-2,-2), (2,-2), (2,2), (-2,2)) and random SPD covariances R diag(l1, l2) R^T (rotation angle ~ U[0, pi),
    eigenvalues ~ U[0.05, 0.35]); `per_class` points each (class-sorted, y = Gaussian index); mapped to R^100 by a
    fixed random MLP 2 -> 64 -> 100 with tanh after both layers (so x lies in (-1, 1)), weights ~ N(0, 2 /
    (fan_in + fan_out)) and biases ~ N(0, 0.1^2). All draws come from np.random.default_rng(seed).
    """
    rng = np.random.default_rng(seed)
    means = 2.0 * np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
    covs = []
    for _ in range(4):
        theta = rng.uniform(0.0, np.pi)
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        covs.append(rot @ np.diag(rng.uniform(0.05, 0.35, size=2)) @ rot.T)
    covs = np.stack(covs)
    latent = np.concatenate([means[k] + rng.standard_normal((per_class, 2)) @ np.linalg.cholesky(covs[k]).T
                             for k in range(4)])
    y = np.repeat(np.arange(4, dtype=np.int32), per_class)

    def dense(fan_in, fan_out):
        w = rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))
        return w, rng.normal(0.0, 0.1, size=fan_out)

    w1, b1 = dense(2, 64)
    w2, b2 = dense(64, 100)
    x = np.tanh(np.tanh(latent @ w1 + b1) @ w2 + b2).astype(np.float32)
    return ArrayDataset(name="synthetic", x=x, y=y, num_classes=4, source="generated:standin", split="train",
                        substitute_for=None,
                        extras={"latent2d": latent.astype(np.float32), "means": means, "covs": covs, "seed": seed})


# ----------------------------------------------------------------------------------------------------------------
# Batching

def to_unit_range(x):
    """uint8 in 0..255 -> float32 x / 127.5 - 1 in [-1, 1]; float input is only cast to float32 (identity).

    Works on numpy arrays and TF tensors (returns the same kind).
    """
    if isinstance(x, np.ndarray) or np.isscalar(x):
        x = np.asarray(x)
        if x.dtype == np.uint8:
            return x.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
        if x.dtype.kind == "f":
            return x.astype(np.float32, copy=False)
        raise TypeError(f"to_unit_range expects uint8 or float data, got {x.dtype}")
    import tensorflow as tf
    x = tf.convert_to_tensor(x)
    if x.dtype == tf.uint8:
        return tf.cast(x, tf.float32) / 127.5 - 1.0
    if x.dtype.is_floating:
        return tf.cast(x, tf.float32)
    raise TypeError(f"to_unit_range expects uint8 or float data, got {x.dtype.name}")


def make_batches(ds, batch_size, seed, start_step=0):
    """Infinite `tf.data.Dataset` of `(x float32 in [-1, 1], y int32)` batches of exactly `batch_size`.

    With steps_per_epoch = n // batch_size (the remainder of each epoch is dropped), the batch of global step t is
    rows perm_e[o : o + batch_size] with e = t // steps_per_epoch, o = (t % steps_per_epoch) * batch_size and
    perm_e = tf.random.experimental.stateless_shuffle(tf.range(n), seed=[seed, e]). The dataset starts at
    `start_step`, so a resumed run sees exactly the batches it would have seen. Images stay a uint8 tensor and are
    converted per batch.
    """
    import tensorflow as tf
    n, batch_size, seed, start_step = ds.n, int(batch_size), int(seed), int(start_step)
    if batch_size < 1 or batch_size > n:
        raise InputDataError(f"batch_size must be in 1..{n} (the size of {ds.name!r} split {ds.split!r}), got {batch_size}")
    if start_step < 0:
        raise InputDataError(f"start_step must be >= 0, got {start_step}")
    steps = n // batch_size
    x = tf.convert_to_tensor(ds.x)
    y = tf.convert_to_tensor(np.asarray(ds.y, np.int32))
    start_epoch, first_offset = divmod(start_step, steps)

    def epoch_batches(epoch):
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        idx = tf.reshape(perm[:steps * batch_size], [steps, batch_size])
        skip = tf.where(tf.equal(epoch, start_epoch), tf.constant(first_offset, tf.int64), tf.constant(0, tf.int64))
        return tf.data.Dataset.from_tensor_slices(idx).skip(skip)

    def gather(idx):
        return to_unit_range(tf.gather(x, idx)), tf.gather(y, idx)

    return (tf.data.Dataset.counter(start_epoch, dtype=tf.int64)
            .flat_map(epoch_batches)
            .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
