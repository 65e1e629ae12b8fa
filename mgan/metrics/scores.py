"""Inception-Score and Fréchet-distance math (METHODS.md §10.3, §10.4), shared by the Inception and classifier metrics.

Inception Score (§10.3)
    The N logits are cut into `splits` consecutive splits (sizes differ by at most one when N is not divisible);
    each split's score is tensorflow-gan's `classifier_score_from_logits` (p(y|x) = softmax of the logits,
    p(y) = the split mean, IS_s = exp(mean_x KL(p(y|x) || p(y))), computed in float64) on that split alone; the
    result is the mean and `np.std` (ddof = 0) of the per-split scores.

Fréchet distance (§10.4) — fidelity decision
    tensorflow-gan 2.1.0's `frechet_classifier_distance_from_activations` (read in
    `tensorflow_gan/python/eval/classifier_metrics.py`) computes, in float64:
      * means with `reduce_mean`;
      * covariances as `n / (n - 1) * tfp.stats.covariance(a)` — i.e. the **unbiased** (ddof = 1) covariance, which
        is what §10.4 requires (tfp's covariance alone is the biased ddof = 0 one; tf-gan applies the n/(n-1)
        correction itself), so no covariance adjustment is needed;
      * Tr((Σ1 Σ2)^{1/2}) **not** with a general matrix square root but as Tr(sqrt(A Σ2 A)) with A = sqrt(Σ1), both
        square roots via SVD of symmetric matrices, leaving singular values < 1e-10 un-rooted. This equals the
        scipy result in exact arithmetic for positive semi-definite Σ1, Σ2, but it never yields an imaginary part,
        so it cannot implement §10.4's rule "drop a negligible imaginary part, fail if it is not negligible", and it
        differs from scipy in rounding.
    Decision: the reported FID is the §10.4 math implemented here in NumPy/SciPy float64 — unbiased covariances
    (`np.cov`, ddof = 1) and `scipy.linalg.sqrtm` of Σ1 Σ2 (the bioinf-jku/TTUR formulation): if the product's square
    root is not finite, the TTUR fallback adds 1e-6 to the diagonals of both covariances (and says so in a warning);
    an imaginary part is dropped when max |Im(diag)| <= 1e-3 (TTUR's tolerance) and otherwise a
    `FrechetDistanceError` is raised. tensorflow-gan's function is used as a **cross-check**:
    `frechet_distance_from_activations(..., cross_check=True)` also evaluates
    `frechet_classifier_distance_from_activations` and `frechet_cross_check_from_stats` evaluates tf-gan's
    `trace_sqrt_product` on the same (unbiased) statistics; callers record the tf-gan value next to the reported one
    and a warning is issued if they disagree by more than `CROSS_CHECK_RTOL` (relative to max(1, |FID|)).
"""
import warnings

import numpy as np
import scipy.linalg

CROSS_CHECK_RTOL = 1e-3
IMAG_ATOL = 1e-3
SQRTM_FALLBACK_EPS = 1e-6


class FrechetDistanceError(ArithmeticError):
    """The matrix square root in the Fréchet distance has a non-negligible imaginary part (or is not finite)."""


def _split_bounds(n, splits):
    """Consecutive split boundaries: split s is [n*s//splits, n*(s+1)//splits)."""
    return [(n * s // splits, n * (s + 1) // splits) for s in range(splits)]


def inception_score_per_split(logits, splits=10):
    """The per-split scores (float64 array of length `splits`) of §10.3, via tensorflow-gan."""
    from mgan.metrics import tfgan_compat

    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D [N, classes], got shape {logits.shape}")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits contain non-finite values")
    splits = int(splits)
    n = logits.shape[0]
    if splits < 1 or n < splits:
        raise ValueError(f"need 1 <= splits <= N, got splits={splits}, N={n}")
    scores = [float(tfgan_compat.classifier_score_from_logits(logits[a:b])) for a, b in _split_bounds(n, splits)]
    return np.asarray(scores, dtype=np.float64)


def inception_score_from_logits(logits, splits=10):
    """(mean, std) over `splits` consecutive splits of tensorflow-gan's classifier score; std is np.std, ddof = 0."""
    scores = inception_score_per_split(logits, splits)
    return float(np.mean(scores)), float(np.std(scores))


def activation_statistics(activations):
    """(mu, sigma) in float64 with the unbiased (ddof = 1) covariance."""
    a = np.asarray(activations, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] < 2:
        raise ValueError(f"activations must be 2-D [N >= 2, D], got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("activations contain non-finite values")
    return a.mean(axis=0), np.cov(a, rowvar=False, ddof=1).reshape(a.shape[1], a.shape[1])


def frechet_distance_from_stats(mu1, sigma1, mu2, sigma2):
    """‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^{1/2}) with scipy.linalg.sqrtm, in float64 (§10.4)."""
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shape mismatch: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}")
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.all(np.isfinite(covmean)):
        warnings.warn(f"Fréchet distance: sqrtm(Σ1 Σ2) is not finite (singular product); adding {SQRTM_FALLBACK_EPS} "
                      "to the covariance diagonals (TTUR fallback)", RuntimeWarning, stacklevel=2)
        offset = np.eye(sigma1.shape[0]) * SQRTM_FALLBACK_EPS
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
        if not np.all(np.isfinite(covmean)):
            raise FrechetDistanceError("sqrtm(Σ1 Σ2) is not finite even after the diagonal offset")
    if np.iscomplexobj(covmean):
        max_imag = float(np.max(np.abs(np.diagonal(covmean).imag)))
        if max_imag > IMAG_ATOL:
            raise FrechetDistanceError(
                f"sqrtm(Σ1 Σ2) has a non-negligible imaginary component (max |Im diag| = {max_imag:.3g} > "
                f"{IMAG_ATOL}); the covariances are probably ill-conditioned (too few samples?)")
        covmean = covmean.real
    fid = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    return fid


def frechet_cross_check_from_stats(mu1, sigma1, mu2, sigma2):
    """The same distance with tensorflow-gan's `trace_sqrt_product` (its FID math) on the given statistics."""
    import tensorflow as tf

    from mgan.metrics import tfgan_compat

    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1 = tf.constant(np.asarray(sigma1, np.float64))
    s2 = tf.constant(np.asarray(sigma2, np.float64))
    tr_sqrt = float(tfgan_compat.trace_sqrt_product(s1, s2))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * tr_sqrt)


def _warn_if_disagree(fid, fid_tfgan):
    if abs(fid - fid_tfgan) > CROSS_CHECK_RTOL * max(1.0, abs(fid)):
        warnings.warn(f"Fréchet distance cross-check: scipy sqrtm gives {fid!r}, tensorflow-gan gives {fid_tfgan!r}",
                      RuntimeWarning, stacklevel=3)


def frechet_distance_with_cross_check(mu1, sigma1, mu2, sigma2):
    """(fid, fid_tfgan): the reported §10.4 value and tensorflow-gan's value on the same statistics."""
    fid = frechet_distance_from_stats(mu1, sigma1, mu2, sigma2)
    fid_tfgan = frechet_cross_check_from_stats(mu1, sigma1, mu2, sigma2)
    _warn_if_disagree(fid, fid_tfgan)
    return fid, fid_tfgan


def frechet_distance_from_activations(a, b, cross_check=False):
    """FID between activation sets a [N1, D] and b [N2, D] (§10.4 math, float64). Returns a float.

    With cross_check=True, tensorflow-gan's `frechet_classifier_distance_from_activations` is evaluated too and a
    RuntimeWarning is issued if it disagrees by more than CROSS_CHECK_RTOL (see the module docstring).
    """
    mu1, s1 = activation_statistics(a)
    mu2, s2 = activation_statistics(b)
    if mu1.shape != mu2.shape:
        raise ValueError(f"activation widths differ: {mu1.shape[0]} vs {mu2.shape[0]}")
    fid = frechet_distance_from_stats(mu1, s1, mu2, s2)
    if cross_check:
        from mgan.metrics import tfgan_compat

        fid_tfgan = float(tfgan_compat.frechet_classifier_distance_from_activations(
            np.asarray(a, np.float64), np.asarray(b, np.float64)))
        _warn_if_disagree(fid, fid_tfgan)
    return fid
