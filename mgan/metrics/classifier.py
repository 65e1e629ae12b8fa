"""Classifier score and classifier Fréchet distance: offline / smoke-test stand-ins, never IS or FID.

For each data set in `CLASSIFIER_DATASETS` a small Keras CNN (input in [-1, 1], like the GAN data) is trained on the
real train split (`mgan.data.load_dataset(name, split='train', data_dir=...)`) and evaluated on the test split (the
sets without a test split, i.e. `digits`, hold out a seeded 20 % of train instead, and that is recorded). The
trained network is cached under `$MGAN_CACHE_DIR/classifiers/` (default `~/.cache/mgan/classifiers/`) as
`<dataset>-<key>.keras` plus `<dataset>-<key>.json` (test accuracy, training settings, seed, data source and
checksum, the .keras file's sha256); the key hashes the architecture version, the settings, the seed and the training
data checksum, so a change of any of them retrains. A cache hit is used only when the .keras file's sha256 matches
the JSON.

The "classifier score" is the Inception-Score formula (`mgan.metrics.scores.inception_score_from_logits`, the same
code as IS) on the CNN's logits; the "classifier FD" is the Fréchet distance (`frechet_distance_from_stats`, the same
code as FID) on its penultimate features (the hidden dense layer after ReLU). They are always labelled
"classifier score (<dataset> CNN, test acc X%)" / "classifier FD (<dataset> CNN, test acc X%)", with
`metric='classifier'` in the protocol, and are not comparable with published IS/FID values.

Training is deterministic given the seed on a given machine: every initializer and dropout layer has an explicit
seed, the example order of epoch e is `np.random.default_rng([seed, e]).permutation`, and no global RNG is touched.
"""
import os
import sys
import time

import numpy as np

from mgan import data as mdata
from mgan.records import atomic_files
from mgan.records.checksums import key_hash, sha256_arrays, sha256_file
from mgan.training import lock as run_lock

CLASSIFIER_DATASETS = tuple(mdata.labelled_image_datasets())
ARCH_VERSION = 1
HELDOUT_FRACTION = 0.2

# widths: conv blocks (each block = conv3x3-relu [x convs_per_block] then 2x2 max-pool); dense: feature width.
DEFAULT_SETTINGS = {
    "mnist": dict(widths=(32, 64), convs_per_block=1, dense=128, dropout=0.25, epochs=2, batch_size=128, lr=1e-3),
    "fashion_mnist": dict(widths=(32, 64), convs_per_block=1, dense=128, dropout=0.25, epochs=4, batch_size=128,
                          lr=1e-3),
    "cifar10": dict(widths=(32, 64, 128), convs_per_block=1, dense=256, dropout=0.3, epochs=5, batch_size=128,
                    lr=1e-3),
    "svhn": dict(widths=(32, 64, 128), convs_per_block=1, dense=256, dropout=0.3, epochs=3, batch_size=128, lr=1e-3),
    "digits": dict(widths=(16, 32), convs_per_block=1, dense=64, dropout=0.0, epochs=15, batch_size=128, lr=5e-3),
}


def cache_dir(root=None):
    root = root or os.environ.get("MGAN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mgan")
    return os.path.join(root, "classifiers")


def build_classifier(input_shape, num_classes, widths, convs_per_block, dense, dropout, seed, **_):
    """The CNN: conv blocks -> flatten -> dense(ReLU) 'features' -> dense 'logits'. Returns a keras.Model."""
    import keras

    def init(i):
        return keras.initializers.GlorotUniform(seed=seed * 1000 + i)

    layer_i = 0
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    h = inputs
    for width in widths:
        for _ in range(convs_per_block):
            layer_i += 1
            h = keras.layers.Conv2D(width, 3, padding="same", activation="relu", kernel_initializer=init(layer_i),
                                    name=f"conv{layer_i}")(h)
        h = keras.layers.MaxPooling2D(2, padding="same")(h)
    h = keras.layers.Flatten()(h)
    if dropout:
        h = keras.layers.Dropout(dropout, seed=seed * 1000 + 101)(h)
    feats = keras.layers.Dense(dense, activation="relu", kernel_initializer=init(102), name="features")(h)
    f = keras.layers.Dropout(dropout, seed=seed * 1000 + 103)(feats) if dropout else feats
    logits = keras.layers.Dense(num_classes, kernel_initializer=init(104), name="logits")(f)
    return keras.Model(inputs, logits, name="mgan_classifier")


def split_train_test(dataset, data_dir, seed):
    """(x_train, y_train, x_test, y_test, train_ds, test_description): the test split, or for a data set without
    one (sklearn digits) a fixed held-out part of the training split (used by the classifier and the SVM protocol)."""

    train = mdata.load_dataset(dataset, split="train", data_dir=data_dir)
    splits = getattr(mdata.dataset_info(dataset), "splits", ("train", "test"))
    if "test" in splits:
        test = mdata.load_dataset(dataset, split="test", data_dir=data_dir)
        return train.x, train.y, test.x, test.y, train, {"split": "test", "source": test.source, "n": int(test.n)}
    perm = np.random.default_rng([seed, 12345]).permutation(train.n)
    n_test = int(round(train.n * HELDOUT_FRACTION))
    te, tr = perm[:n_test], perm[n_test:]
    desc = {"split": f"train (held-out {HELDOUT_FRACTION:.0%}, permutation seed [{seed}, 12345]; the data set has "
                     "no test split)", "source": train.source, "n": int(n_test)}
    return train.x[tr], train.y[tr], train.x[te], train.y[te], train, desc


def _verbose():
    return 1 if sys.stdout.isatty() else 2


def train_classifier(dataset, data_dir=None, seed=0, train_limit=None, progress=True, **overrides):
    """Train the CNN of `dataset` on its train split. Returns (model, info dict); nothing is cached here."""
    import keras


    if dataset not in CLASSIFIER_DATASETS:
        raise ValueError(f"no classifier for data set {dataset!r}; choices: {', '.join(CLASSIFIER_DATASETS)}")
    settings = dict(DEFAULT_SETTINGS[dataset])
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"unknown classifier settings {sorted(unknown)}; valid: {sorted(settings)}")
    settings.update(overrides)
    x_tr, y_tr, x_te, y_te, train_ds, test_desc = split_train_test(dataset, data_dir, seed)
    if train_limit is not None:
        x_tr, y_tr = x_tr[:int(train_limit)], y_tr[:int(train_limit)]
    num_classes = int(train_ds.num_classes)
    model = build_classifier(x_tr.shape[1:], num_classes, seed=seed, **settings)
    model.compile(optimizer=keras.optimizers.Adam(settings["lr"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    xf, xt = mdata.to_unit_range(x_tr), mdata.to_unit_range(x_te)
    t0 = time.time()
    for epoch in range(int(settings["epochs"])):
        perm = np.random.default_rng([seed, epoch]).permutation(len(xf))
        if progress:
            print(f"classifier {dataset}: epoch {epoch + 1}/{settings['epochs']}", flush=True)
        model.fit(xf[perm], y_tr[perm], batch_size=int(settings["batch_size"]), epochs=1, shuffle=False,
                  verbose=_verbose() if progress else 0)
    train_seconds = time.time() - t0
    logits = predict_logits_features(model, x_te, batch_size=500, progress=False)[0]
    acc = float(np.mean(np.argmax(logits, axis=1) == y_te))
    info = {
        "dataset": dataset, "arch_version": ARCH_VERSION, "settings": {k: (list(v) if isinstance(v, tuple) else v)
                                                                         for k, v in settings.items()},
        "seed": int(seed), "train_limit": None if train_limit is None else int(train_limit),
        "n_train": int(len(x_tr)), "input_shape": list(x_tr.shape[1:]), "num_classes": num_classes,
        "train_data": {"split": "train", "source": train_ds.source, "substitute_for": train_ds.substitute_for,
                       "sha256": sha256_arrays(x_tr, y_tr)},
        "test_data": dict(test_desc, sha256=sha256_arrays(x_te, y_te)), "test_accuracy": acc,
        "train_seconds": round(train_seconds, 2), "keras_version": keras.__version__,
    }
    return model, info


def _feature_model(model):
    import keras

    return keras.Model(model.input, [model.get_layer("logits").output, model.get_layer("features").output])


def predict_logits_features(model, images_uint8, batch_size=500, progress=True, feature_model=None):
    """(logits float64, penultimate features float64) of uint8 NHWC images (converted with to_unit_range)."""
    import keras


    fm = feature_model or _feature_model(model)
    x = np.asarray(images_uint8)
    n = x.shape[0]
    outs_l, outs_f = [], []
    bar = keras.utils.Progbar(n, verbose=(_verbose() if progress else 0), unit_name="image")
    for s in range(0, n, batch_size):
        lg, ft = fm(mdata.to_unit_range(x[s:s + batch_size]), training=False)
        outs_l.append(np.asarray(lg, np.float64))
        outs_f.append(np.asarray(ft, np.float64))
        bar.update(min(n, s + batch_size))
    return np.concatenate(outs_l), np.concatenate(outs_f)


class ClassifierNetwork:
    """A trained data-set CNN with the same interface as `InceptionNetwork` (logits_and_features, describe)."""

    kind = "classifier"

    def __init__(self, model, info, keras_path=None, json_path=None, checksum=None, from_cache=False):
        self.model = model
        self.info = info
        self.keras_path = keras_path
        self.json_path = json_path
        self.checksum = checksum or info.get("keras_sha256", "")
        self.from_cache = from_cache
        self._fm = _feature_model(model)

    @property
    def dataset(self):
        return self.info["dataset"]

    @property
    def test_accuracy(self):
        return float(self.info["test_accuracy"])

    @property
    def id(self):
        return f"classifier/{self.dataset}-cnn-v{ARCH_VERSION}@sha256:{self.checksum[:16]}"

    def labels(self):
        tag = f"{self.dataset} CNN, test acc {100 * self.test_accuracy:.1f}%"
        return {"score": f"classifier score ({tag})", "distance": f"classifier FD ({tag})"}

    def describe(self):
        return {"name": f"{self.dataset} CNN (mgan.metrics.classifier, arch v{ARCH_VERSION})", "id": self.id,
                "sha256": self.checksum, "keras_path": self.keras_path, "json_path": self.json_path,
                "test_accuracy": self.test_accuracy, "test_data": self.info.get("test_data"),
                "train_data": self.info.get("train_data"), "settings": self.info.get("settings"),
                "seed": self.info.get("seed"), "train_limit": self.info.get("train_limit"),
                "outputs": {"logits": "logits", "features": "features (penultimate dense, after ReLU)"},
                "preprocessing": "uint8 -> float32 x/127.5-1 (mgan.data.to_unit_range); no resize"}

    def logits_and_features(self, images_uint8, batch_size=500, progress=True):
        x = np.asarray(images_uint8)
        if x.dtype != np.uint8:
            raise TypeError(f"images must be uint8 NHWC, got dtype {x.dtype}")
        expected = tuple(self.info["input_shape"])
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"the {self.dataset} classifier takes images of shape {expected}, got {x.shape[1:]}")
        return predict_logits_features(self.model, x, batch_size=batch_size, progress=progress, feature_model=self._fm)


def _cache_key(dataset, settings, seed, train_limit, train_sha):
    return key_hash({"arch": ARCH_VERSION, "dataset": dataset, "settings": settings, "seed": int(seed),
                     "train_limit": train_limit, "train_sha256": train_sha}, 16, default=list)


def get_classifier(dataset, data_dir=None, seed=0, train_limit=None, cache_root=None, retrain=False, progress=True,
                   **overrides):
    """The cached CNN of `dataset` (trained and cached on a miss) as a `ClassifierNetwork`."""
    import keras


    if dataset not in CLASSIFIER_DATASETS:
        raise ValueError(f"no classifier for data set {dataset!r}; choices: {', '.join(CLASSIFIER_DATASETS)}")
    settings = dict(DEFAULT_SETTINGS[dataset])
    settings.update(overrides)
    settings = {k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.items()}
    train = mdata.load_dataset(dataset, split="train", data_dir=data_dir)
    key = _cache_key(dataset, settings, seed, train_limit, sha256_arrays(train.x, train.y))
    directory = cache_dir(cache_root)
    os.makedirs(directory, exist_ok=True)
    with run_lock.hold(directory, wait=True, what="classifier training"):  # sweep workers train it once
        return _cached_or_trained(dataset, key, directory, data_dir, seed, train_limit, retrain, progress, overrides)


def _cached_or_trained(dataset, key, directory, data_dir, seed, train_limit, retrain, progress, overrides):
    import keras

    keras_path = os.path.join(directory, f"{dataset}-{key}.keras")
    json_path = os.path.join(directory, f"{dataset}-{key}.json")
    if not retrain and os.path.exists(json_path) and os.path.exists(keras_path):
        info = atomic_files.read_json(json_path)
        checksum = sha256_file(keras_path)
        if info.get("keras_sha256") == checksum:
            model = keras.models.load_model(keras_path, compile=False)
            return ClassifierNetwork(model, info, keras_path, json_path, checksum, from_cache=True)
        print(f"classifier cache {keras_path}: checksum mismatch, retraining", file=sys.stderr)
    model, info = train_classifier(dataset, data_dir=data_dir, seed=seed, train_limit=train_limit,
                                   progress=progress, **overrides)
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{dataset}-{key}.{os.getpid()}.tmp.keras")
    try:
        model.save(tmp)
        checksum = sha256_file(tmp)
        os.replace(tmp, keras_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    info["keras_sha256"] = checksum
    info["cache_key"] = key
    atomic_files.atomic_write_json(json_path, info)
    return ClassifierNetwork(model, info, keras_path, json_path, checksum, from_cache=False)
