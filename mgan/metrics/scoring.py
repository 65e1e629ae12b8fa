"""The metrics front end: score images, an npz of samples or a finished run, each number with its protocol.

`score_images(images_uint8, metric, dataset, ...)`, `score_npz(path, ...)`, `score_run(run_dir, n, ...)` return a dict
of numbers plus a `protocol` dict (metric, label, network id and checksum, sample count, splits, reference set and its
size, preprocessing, versions): every number travels with its protocol. Reference statistics (μ, Σ) of real sets are
cached under `$MGAN_CACHE_DIR/fid_stats/` (default `~/.cache/mgan`), keyed by data set, split, network checksum and
data checksum, written atomically.

Result keys: metric 'inception' -> `is_mean`, `is_std`, `is_per_split`, `fid`, `fid_tfgan`; metric 'classifier' ->
`classifier_score_mean`, `classifier_score_std`, `classifier_score_per_split`, `classifier_fd`, `classifier_fd_tfgan`
(never an `is_*` / `fid` key, and the labels never say IS or FID). `*_tfgan` is tensorflow-gan's value of the same
distance on the same statistics (cross-check; None when disabled).
"""
import json
import os
import re
import zipfile

import numpy as np

from mgan import data as mdata
from mgan.errors import InputFileError
from mgan.metrics import classifier, inception
from mgan.metrics.class_report import class_report
from mgan.metrics.scores import (activation_statistics, frechet_distance_from_stats,
                                 frechet_distance_with_cross_check, inception_score_per_split)
from mgan.records import provenance
from mgan.records.atomic_files import atomic_save_npz
from mgan.records.checksums import sha256_arrays, sha256_file
from mgan.training import trained

METRICS = ("inception", "classifier")


def default_cache_root():
    return os.environ.get("MGAN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mgan")


def _check_metric(metric):
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choices: {', '.join(METRICS)}")


def get_network(metric, dataset=None, inception_path=None, data_dir=None, cache_root=None, classifier_seed=0,
                classifier_options=None, progress=True):
    """The network behind `metric`: the TF-GAN Inception module, or the (cached) CNN of `dataset`."""
    _check_metric(metric)
    if metric == "inception":
        return inception.load_inception(inception_path)
    if not dataset:
        raise ValueError(f"the classifier metric needs a data set (dataset=...), one of "
                         f"{', '.join(classifier.CLASSIFIER_DATASETS)}")
    return classifier.get_classifier(dataset, data_dir=data_dir, seed=classifier_seed, cache_root=cache_root,
                                     progress=progress, **(classifier_options or {}))


def _safe(s):
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", str(s))


def reference_statistics(images_uint8, network, name, *, cache_root=None, batch_size=None, progress=True,
                         meta=None, use_cache=True):
    """(μ, Σ) of the network features of a real image set, cached on disk.

    name: e.g. 'cifar10/train' (goes into the cache key with the network checksum and the images' sha256).
    Returns a dict with `mu`, `sigma`, `n`, `from_cache`, `path` and `meta`.
    """
    x = np.asarray(images_uint8)
    data_sha = sha256_arrays(x)
    root = cache_root or default_cache_root()
    path = os.path.join(root, "fid_stats",
                        f"{network.kind}-{_safe(name)}-{network.checksum[:16]}-{data_sha[:16]}.npz")
    if use_cache and os.path.exists(path):
        with np.load(path, allow_pickle=False) as f:
            stored = json.loads(str(f["meta"]))
            if stored.get("network_sha256") == network.checksum and stored.get("data_sha256") == data_sha:
                return {"mu": f["mu"], "sigma": f["sigma"], "n": int(f["n"]), "from_cache": True, "path": path,
                        "meta": stored}
    kwargs = {} if batch_size is None else {"batch_size": batch_size}
    _, feats = network.logits_and_features(x, progress=progress, **kwargs)
    mu, sigma = activation_statistics(feats)
    stored = dict(meta or {}, name=name, n=int(x.shape[0]), network_id=network.id, network_sha256=network.checksum,
                  data_sha256=data_sha, covariance="unbiased (ddof=1), float64")
    if use_cache:
        atomic_save_npz(path, mu=mu, sigma=sigma, n=np.int64(x.shape[0]), meta=np.array(json.dumps(stored)))
    return {"mu": mu, "sigma": sigma, "n": int(x.shape[0]), "from_cache": False, "path": path if use_cache else None,
            "meta": stored}


def _resolve_reference(fid_reference, fid_ref_split, dataset, network, data_dir, cache_root, batch_size, progress):
    """Reference statistics and their protocol entry, or (None, None)."""
    if isinstance(fid_reference, str) and fid_ref_split is None:
        fid_reference, fid_ref_split = None, fid_reference
    if fid_reference is not None and fid_ref_split is not None:
        raise ValueError("give either fid_reference (images or statistics) or fid_ref_split, not both")
    if fid_reference is None and (fid_ref_split is None or fid_ref_split == "none"):
        return None, None
    if isinstance(fid_reference, dict):
        if "mu" not in fid_reference or "sigma" not in fid_reference:
            raise ValueError("precomputed reference statistics need keys 'mu' and 'sigma' (and ideally 'n')")
        want = fid_reference.get("network_sha256") or fid_reference.get("meta", {}).get("network_sha256")
        if want and want != network.checksum:
            raise ValueError(f"the reference statistics were computed with network sha256 {want[:16]}..., "
                             f"not with the network in use ({network.checksum[:16]}...)")
        stats = {"mu": np.asarray(fid_reference["mu"], np.float64),
                 "sigma": np.asarray(fid_reference["sigma"], np.float64), "n": fid_reference.get("n")}
        proto = {"name": fid_reference.get("name", "precomputed statistics"), "n": stats["n"],
                 "network_sha256": want, "from_cache": None}
        return stats, proto
    if fid_reference is not None:
        x = inception.check_images_uint8(fid_reference)
        name = "array"
        stats = reference_statistics(x, network, name, cache_root=cache_root, batch_size=batch_size,
                                     progress=progress)
        return stats, {"name": name, "n": stats["n"], "sha256": stats["meta"]["data_sha256"],
                       "stats_cache": stats["path"], "from_cache": stats["from_cache"]}
    if not dataset:
        raise ValueError(f"fid_ref_split={fid_ref_split!r} needs dataset=NAME")
    ref = mdata.load_dataset(dataset, split=fid_ref_split, data_dir=data_dir)
    name = f"{dataset}/{fid_ref_split}"
    meta = {"dataset": dataset, "split": fid_ref_split, "source": ref.source, "substitute_for": ref.substitute_for}
    stats = reference_statistics(ref.x, network, name, cache_root=cache_root, batch_size=batch_size,
                                 progress=progress, meta=meta)
    return stats, dict(meta, name=name, n=stats["n"], sha256=stats["meta"]["data_sha256"],
                       stats_cache=stats["path"], from_cache=stats["from_cache"])


def _add_score(result, protocol, key, logits, splits):
    """The score (IS-like) over ``splits`` consecutive splits, into ``result`` and ``protocol``."""
    n = int(logits.shape[0])
    per_split = inception_score_per_split(logits, splits)
    result[f"{key}_mean"] = float(np.mean(per_split))
    result[f"{key}_std"] = float(np.std(per_split))
    result[f"{key}_per_split"] = [float(v) for v in per_split]
    protocol.update(splits=int(splits), split_sizes=[n * (s + 1) // splits - n * s // splits for s in range(splits)],
                    score_math="exp(mean KL(p(y|x) || p(y))) per consecutive split via tensorflow-gan "
                               "classifier_score_from_logits (float64); mean and np.std (ddof=0) over splits")


def _add_distance(result, protocol, key, feats, stats, ref_proto, cross_check):
    """The Fréchet distance of the features to the reference statistics, into ``result`` and ``protocol``."""
    mu_g, sigma_g = activation_statistics(feats)
    if cross_check:
        fd, fd_tf = frechet_distance_with_cross_check(mu_g, sigma_g, stats["mu"], stats["sigma"])
    else:
        fd, fd_tf = frechet_distance_from_stats(mu_g, sigma_g, stats["mu"], stats["sigma"]), None
    result[key] = fd
    result[f"{key}_tfgan"] = fd_tf
    protocol.update(n_fake=int(feats.shape[0]), n_real=ref_proto.get("n"),
                    distance_math="float64 means and unbiased (ddof=1) covariances; "
                                  "Tr sqrt via scipy.linalg.sqrtm (imaginary part dropped if max |Im diag| <= "
                                  "1e-3, else error); tensorflow-gan trace_sqrt_product as cross-check")


def score_images(images_uint8, metric="inception", dataset=None, is_splits=10, fid_reference=None,
                 fid_ref_split=None, *, network=None, inception_path=None, data_dir=None, batch_size=None,
                 cache_root=None, classifier_seed=0, classifier_options=None, cross_check=True, progress=True,
                 extra_protocol=None, labels=None):
    """Score uint8 NHWC images with `metric` ('inception' | 'classifier'). Returns numbers + `protocol`.

    labels: the conditioning labels of the samples (conditional generators), or None. With the classifier metric
        the result also holds `class_report` (mgan.metrics.class_report: classes covered, agreement with
        `labels`, confidence, within-class diversity relative to real images of `dataset`).

    is_splits: consecutive splits for the (classifier/Inception) score; 0 or None skips the score.
    fid_reference: None; uint8 reference images; precomputed statistics {'mu', 'sigma', 'n', ...}; or a split name.
    fid_ref_split: 'train' | 'test' | 'train+test' of `dataset` (loaded with mgan.data.load_dataset, statistics
        cached), or None / 'none' for no distance.
    network: an already loaded InceptionNetwork / ClassifierNetwork (else loaded from the other arguments).
    cross_check: also compute tensorflow-gan's value of the distance (`fid_tfgan` / `classifier_fd_tfgan`).
    """
    _check_metric(metric)
    x = inception.check_images_uint8(images_uint8)
    net = network or get_network(metric, dataset, inception_path, data_dir, cache_root, classifier_seed,
                                 classifier_options, progress)
    if net.kind != metric:
        raise ValueError(f"metric {metric!r} but the given network is a {net.kind!r} network")
    kwargs = {} if batch_size is None else {"batch_size": batch_size}
    logits, feats = net.logits_and_features(x, progress=progress, **kwargs)
    names = net.labels()
    prefix = {"inception": ("is", "fid"), "classifier": ("classifier_score", "classifier_fd")}[metric]
    result = {"metric": metric, "label": names["score"], "distance_label": names["distance"]}
    n = int(x.shape[0])
    protocol = {"metric": metric, "label": names["score"], "distance_label": names["distance"],
                "network": net.describe(), "n_samples": n, "samples_sha256": sha256_arrays(x),
                "image_shape": list(x.shape[1:])}
    if is_splits:
        _add_score(result, protocol, prefix[0], logits, is_splits)
    stats, ref_proto = _resolve_reference(fid_reference, fid_ref_split, dataset, net, data_dir, cache_root,
                                          batch_size, progress)
    protocol["reference"] = ref_proto
    if stats is not None:
        _add_distance(result, protocol, prefix[1], feats, stats, ref_proto, cross_check)
    if metric == "classifier":
        result["class_report"] = _class_report(logits, x, labels, dataset, fid_ref_split, data_dir)
    protocol["versions"] = provenance.versions()
    if extra_protocol:
        protocol.update(extra_protocol)
    result["protocol"] = protocol
    return result


def _class_report(logits, x, labels, dataset, ref_split, data_dir):
    """The class report of classifier-scored samples, with real images of the reference split for diversity."""
    real_x = real_y = None
    if dataset:
        ref = mdata.load_dataset(dataset, split=ref_split if ref_split not in (None, "none") else "train",
                                 data_dir=data_dir)
        if tuple(ref.x.shape[1:]) == tuple(x.shape[1:]):
            real_x, real_y = ref.x, ref.y
    return class_report(logits, x, logits.shape[1], cond_labels=labels, real_images=real_x, real_labels=real_y)


def load_samples_npz(path, dataset=None, n=None, splits=0, distance=True):
    """``(x, y or None, n in file)`` of a samples npz (``python -m mgan.sample`` schema), checked before any network
    is loaded: InputFileError naming the problem and the expected schema."""
    schema = "key 'x' with uint8 images (N, H, W, C)" + (
        f" of shape (N, {', '.join(map(str, mdata.dataset_info(dataset).example_shape))}) for {dataset}"
        if dataset else "") + ", as written by python -m mgan.sample"
    if not os.path.isfile(path):
        raise InputFileError(f"--npz={path}: no such file; expected an npz with {schema}.")
    if not zipfile.is_zipfile(path):
        raise InputFileError(f"--npz={path} is not an npz file (a zip of .npy arrays); expected {schema}.")
    try:
        with np.load(path, allow_pickle=False) as f:
            if "x" not in f.files:
                raise InputFileError(f"--npz={path} has no array 'x' (keys: {', '.join(f.files) or 'none'}); "
                                     f"expected {schema}.")
            x, y = f["x"], (f["y"] if "y" in f.files else None)
    except InputFileError:
        raise
    except Exception as e:  # noqa: BLE001  a damaged zip or array
        raise InputFileError(f"--npz={path} cannot be read ({type(e).__name__}: {e}); expected {schema}.") from None
    _check_samples(path, x, dataset, schema)
    n_file = int(x.shape[0])
    if n is not None and n < n_file:
        x, y = x[:int(n)], (None if y is None else y[:int(n)])
    _check_count(path, int(x.shape[0]), splits, distance)
    return x, y, n_file


def _check_samples(path, x, dataset, schema):
    if x.dtype != np.uint8:
        raise InputFileError(f"--npz={path}: 'x' has dtype {x.dtype}, expected {schema} (convert generator output "
                             f"with mgan.images.to_uint8).")
    want = tuple(mdata.dataset_info(dataset).example_shape) if dataset else None
    if x.ndim != 4 or x.shape[-1] not in (1, 3) or (want and tuple(x.shape[1:]) != want):
        raise InputFileError(f"--npz={path}: 'x' has shape {tuple(x.shape)}, expected {schema}.")


def _check_count(path, n, splits, distance):
    if n < 2 and distance:
        raise InputFileError(f"--npz={path} holds {n} image(s); a Fréchet distance needs at least 2 (thousands for a "
                             f"meaningful value). Generate more with python -m mgan.sample --n=N.")
    if splits and n < splits:
        raise InputFileError(f"--npz={path}: {n} image(s) cannot be cut into --splits={splits}; pass --splits<={n} "
                             f"or generate more samples.")


def score_npz(path, metric="inception", dataset=None, n=None, **kwargs):
    """`score_images` on the uint8 images under key 'x' of an npz (the `python -m mgan.sample` schema).

    n: use the first n images (all when None or when the file holds fewer; the count used is recorded).
    """
    path = os.path.abspath(os.fspath(path))
    x, y, n_file = load_samples_npz(path, dataset, n, kwargs.get("is_splits") or 0,
                                    kwargs.get("fid_ref_split") not in (None, "none") or
                                    kwargs.get("fid_reference") is not None)
    file_sha = sha256_file(path)
    extra = dict(kwargs.pop("extra_protocol", None) or {})
    extra["samples"] = {"npz": path, "file_sha256": file_sha, "n_in_file": n_file, "n_used": int(x.shape[0]),
                        "n_requested": None if n is None else int(n)}
    return score_images(x, metric=metric, dataset=dataset, extra_protocol=extra, labels=y, **kwargs)


def score_run(run_dir, n=50000, metric="inception", dataset=None, seed=0, **kwargs):
    """Generate n samples from a training run (`mgan.training.trained.generate_from_run`) and score them."""
    x, y = trained.generate_from_run(run_dir, int(n), seed=seed)
    extra = dict(kwargs.pop("extra_protocol", None) or {})
    extra["samples"] = {"run_dir": os.path.abspath(os.fspath(run_dir)), "n": int(n), "seed": int(seed),
                        "generator": "mgan.training.trained.generate_from_run (final checkpoint unless the run says "
                                     "otherwise)"}
    return score_images(np.asarray(x), metric=metric, dataset=dataset, extra_protocol=extra, labels=y, **kwargs)
