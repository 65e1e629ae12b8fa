"""What an independent classifier says about a set of samples: class coverage, conditioning agreement, confidence
and within-class diversity relative to real data. The learning check of DMGAN (issue 7) and of every labelled run.

All functions are pure NumPy. Definitions (each value of :func:`class_report`):

- ``class_shares[k]``: the fraction of samples the classifier assigns (argmax) to class k.
- ``classes_covered``: the number of classes whose share is at least ``min_share`` (default 1%).
- ``max_class_share``: the largest share (1.0: every sample is one class).
- ``mean_confidence``: the mean over samples of the classifier's largest softmax probability.
- ``label_agreement``: for conditional samples, the fraction whose predicted class is the conditioning label
  (None without labels; 1/k is chance).
- ``within_class_diversity``: for each predicted class with at least two samples, the mean pairwise RMS pixel
  distance between its samples (pixels scaled to [0, 1]; at most ``max_per_class`` samples per class, the first ones
  in order), averaged over those classes with equal weight. The same statistic of real images grouped by their true
  labels is ``real_within_class_diversity``, and ``diversity_ratio`` is the first divided by the second (1.0: as
  varied as the real data within a class; 0: every sample of a class identical).
"""
import numpy as np

MIN_SHARE = 0.01
MAX_PER_CLASS = 200


def softmax(logits):
    """Row-wise softmax in float64, stable for large logits."""
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def mean_pairwise_rms_distance(images_uint8):
    """Mean over the n(n-1)/2 pairs of sqrt(mean over pixels of (a - b)²), pixels scaled to [0, 1]. n >= 2."""
    x = np.asarray(images_uint8, np.float64).reshape(len(images_uint8), -1) / 255.0
    n, p = x.shape
    if n < 2:
        raise ValueError(f"need at least 2 images for a pairwise distance, got {n}")
    sq = np.sum(x * x, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0) / p
    iu = np.triu_indices(n, k=1)
    return float(np.mean(np.sqrt(d2[iu])))


def within_class_diversity(images_uint8, labels, max_per_class=MAX_PER_CLASS):
    """Equal-weight mean over classes (with >= 2 images) of :func:`mean_pairwise_rms_distance`; None if no class
    has two images."""
    images_uint8, labels = np.asarray(images_uint8), np.asarray(labels)
    if len(images_uint8) != len(labels):
        raise ValueError(f"{len(images_uint8)} images but {len(labels)} labels")
    per_class = [mean_pairwise_rms_distance(images_uint8[labels == k][:max_per_class])
                 for k in np.unique(labels) if np.sum(labels == k) >= 2]
    return float(np.mean(per_class)) if per_class else None


def class_report(logits, images_uint8, num_classes, cond_labels=None, real_images=None, real_labels=None,
                 min_share=MIN_SHARE, max_per_class=MAX_PER_CLASS):
    """The class report of samples (see the module docstring). ``logits`` [n, k] are the classifier's on the
    samples ``images_uint8`` [n, ...]; ``cond_labels`` [n] the conditioning labels (or None); ``real_images`` and
    ``real_labels`` the real reference of the diversity ratio (or None)."""
    logits = np.asarray(logits)
    n = len(images_uint8)
    if logits.ndim != 2 or logits.shape[0] != n or logits.shape[1] != num_classes:
        raise ValueError(f"logits must be [{n}, {num_classes}], got {list(logits.shape)}")
    probs = softmax(logits)
    pred = probs.argmax(axis=1)
    shares = np.bincount(pred, minlength=num_classes) / n
    report = {
        "n": int(n), "num_classes": int(num_classes), "min_share": float(min_share),
        "class_shares": [float(s) for s in shares], "classes_covered": int(np.sum(shares >= min_share)),
        "max_class_share": float(shares.max()), "mean_confidence": float(probs.max(axis=1).mean()),
        "label_agreement": None, "within_class_diversity": within_class_diversity(images_uint8, pred, max_per_class),
        "real_within_class_diversity": None, "diversity_ratio": None, "max_per_class": int(max_per_class),
        "grouping": "samples by the classifier's predicted class; real images by their true labels",
    }
    if cond_labels is not None:
        cond_labels = np.asarray(cond_labels)
        if cond_labels.shape != (n,):
            raise ValueError(f"cond_labels must have shape [{n}], got {list(cond_labels.shape)}")
        report["label_agreement"] = float(np.mean(pred == cond_labels))
    if real_images is not None:
        real_div = within_class_diversity(real_images, real_labels, max_per_class)
        report["real_within_class_diversity"] = real_div
        if real_div and report["within_class_diversity"] is not None:
            report["diversity_ratio"] = report["within_class_diversity"] / real_div
    return report


# The note under every table that reports `learns` (the reproduce studies).
LEARNS_NOTE = ("learns = the criterion of issues 7 and 21 on the classifier's predictions: ≥ 8 classes with ≥ 1% "
               "of the samples, no class above 30%, mean confidence ≥ 0.6, ≥ 50% agreement with the conditioning "
               "label (conditional runs only), and within-class diversity ≥ 0.6 of real data's (when real images "
               "were given).")
DIVERSITY_NOTE = ("Within-class diversity / real: mean pairwise RMS pixel distance between samples the classifier puts "
                  "in the same class, over the same statistic of real training images per true class (1 = as varied "
                  "as real digits; 0 = one image per class).")


def learns(report, min_classes=8, max_share=0.30, min_confidence=0.6, min_agreement=0.5, min_diversity=0.6):
    """The learning criterion on a class report: (passed, list of failed conditions).

    Issue 7's four conditions, and issue 21's diversity: a generator drawing one image per class fails it. The
    agreement applies to conditional samples only and the diversity only when the report has ``diversity_ratio``
    (real images were given); reports without them are judged on the rest."""
    failed = []
    if report["classes_covered"] < min_classes:
        failed.append(f"classes covered {report['classes_covered']} < {min_classes}")
    if report["max_class_share"] > max_share:
        failed.append(f"largest class share {report['max_class_share']:.2f} > {max_share}")
    if report["mean_confidence"] < min_confidence:
        failed.append(f"mean confidence {report['mean_confidence']:.2f} < {min_confidence}")
    if report["label_agreement"] is not None and report["label_agreement"] < min_agreement:
        failed.append(f"label agreement {report['label_agreement']:.2f} < {min_agreement}")
    if report.get("diversity_ratio") is not None and report["diversity_ratio"] < min_diversity:
        failed.append(f"within-class diversity {report['diversity_ratio']:.2f} of real < {min_diversity}")
    return not failed, failed
