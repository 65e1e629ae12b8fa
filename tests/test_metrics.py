"""IS / FID math (METHODS.md §10.3-10.4): closed forms, independent NumPy/SciPy references, tf-gan compatibility."""
import sys
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.special

from mgan.metrics import scores
from mgan.metrics import (FrechetDistanceError, frechet_distance_from_activations, frechet_distance_from_stats,
                          inception_score_from_logits)
from mgan.records import provenance


def _numpy_is(logits, splits):
    """Independent reference: per consecutive split exp(mean KL(p(y|x) || p(y))), mean and np.std (ddof 0)."""
    out = []
    logits = np.asarray(logits, np.float64)
    n = len(logits)
    for i in range(splits):  # the openai/improved-gan indexing
        part = logits[i * n // splits:(i + 1) * n // splits]
        p = scipy.special.softmax(part, axis=1)
        py = p.mean(axis=0)
        kl = np.sum(p * (scipy.special.log_softmax(part, axis=1) - np.log(py)), axis=1)
        out.append(np.exp(kl.mean()))
    return float(np.mean(out)), float(np.std(out)), out


def _numpy_fid(a, b, ddof=1):
    """Independent reference: unbiased covariances, Tr sqrt(S1 S2) from the eigenvalues of S1 S2."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1 = np.cov(a, rowvar=False, ddof=ddof)
    s2 = np.cov(b, rowvar=False, ddof=ddof)
    ev = np.linalg.eigvals(s1 @ s2)
    tr_sqrt = np.sum(np.sqrt(np.clip(ev.real, 0, None)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


# --- tf-gan compatibility -------------------------------------------------------------------------------------

def test_tfgan_compat_loads_eval_module_without_package_init_and_runs_eagerly():
    import tensorflow as tf

    from mgan.metrics import tfgan_compat

    cm = tfgan_compat.classifier_metrics_module()
    assert cm.__file__.endswith("tensorflow_gan/python/eval/classifier_metrics.py")
    assert tf.executing_eagerly()
    # no stub (or the broken real package) is left behind in sys.modules
    assert not [m for m in sys.modules if m == "tensorflow_gan" or m.startswith("tensorflow_gan.")]
    score = tfgan_compat.classifier_score_from_logits(tf.zeros([6, 4], tf.float64))
    assert isinstance(score, tf.Tensor) and abs(float(score) - 1.0) < 1e-12
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(40, 3)) + 1.0
    fid_tf = float(tfgan_compat.frechet_classifier_distance_from_activations(a, b))
    assert fid_tf == pytest.approx(_numpy_fid(a, b), rel=1e-6)
    assert provenance.versions()["tensorflow_gan"] == "2.1.0"  # recorded in every protocol


# --- Inception Score ------------------------------------------------------------------------------------------

def test_is_uniform_logits_is_one():
    mean, std = inception_score_from_logits(np.full((100, 1008), 3.7), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 7, 10])
def test_is_k_equally_likely_one_hot_classes_is_k(k):
    reps = 6
    labels = np.tile(np.arange(k), reps * 5)  # 5 splits, each holding every class `reps` times
    logits = np.where(np.eye(k)[labels] > 0, 60.0, -60.0)
    mean, std = inception_score_from_logits(logits, splits=5)
    assert mean == pytest.approx(k, rel=1e-9) and std == pytest.approx(0.0, abs=1e-9)


def test_is_splits_are_consecutive_and_std_is_population_std():
    ks = [1, 2, 4, 8]  # split s holds 8 images spread evenly over ks[s] classes -> IS_s = ks[s]
    rows = []
    for k in ks:
        rows += [np.where(np.arange(8) == (i % k), 50.0, -50.0) for i in range(8)]
    logits = np.array(rows)
    per_split = scores.inception_score_per_split(logits, splits=4)
    np.testing.assert_allclose(per_split, ks, rtol=1e-9)
    mean, std = inception_score_from_logits(logits, splits=4)
    assert mean == pytest.approx(np.mean(ks))
    assert std == pytest.approx(np.std(ks, ddof=0)) and std != pytest.approx(np.std(ks, ddof=1))
    # interleaved splits would mix the classes and give another answer
    assert inception_score_from_logits(logits[np.argsort(np.arange(32) % 4, kind="stable")], 4)[0] != \
        pytest.approx(mean)


def test_is_random_logits_match_independent_numpy_reference_including_uneven_splits():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=(1003, 20))
    for splits in (1, 10, 7):
        mean, std = inception_score_from_logits(logits, splits=splits)
        ref_mean, ref_std, ref = _numpy_is(logits, splits)
        np.testing.assert_allclose(scores.inception_score_per_split(logits, splits), ref, rtol=1e-9)
        assert mean == pytest.approx(ref_mean, rel=1e-9) and std == pytest.approx(ref_std, rel=1e-6, abs=1e-12)


def test_is_rejects_bad_input():
    with pytest.raises(ValueError):
        inception_score_from_logits(np.zeros((5, 3)), splits=10)
    with pytest.raises(ValueError):
        inception_score_from_logits(np.zeros(5), splits=1)
    with pytest.raises(ValueError):
        inception_score_from_logits(np.array([[0.0, np.nan]] * 4), splits=2)


# --- Fréchet distance -----------------------------------------------------------------------------------------

def test_fid_of_identical_sets_is_zero():
    x = np.random.default_rng(2).normal(size=(400, 32))
    assert abs(frechet_distance_from_activations(x, x)) < 1e-6


def test_fid_two_gaussians_matches_closed_form_with_scipy_sqrtm():
    rng = np.random.default_rng(3)
    d = 6
    l1, l2 = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    a = rng.normal(size=(3000, d)) @ l1 + 1.0
    b = rng.normal(size=(2000, d)) @ l2 - 0.5
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)  # np.cov default: ddof = 1
    closed = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * np.real(scipy.linalg.sqrtm(s1 @ s2)))
    fid = frechet_distance_from_activations(a, b)
    assert fid == pytest.approx(closed, rel=1e-6)
    # the population value for these parameters is close as well (sanity of the whole formula)
    c1, c2 = l1.T @ l1, l2.T @ l2
    pop = 1.5 ** 2 * d + np.trace(c1 + c2 - 2 * np.real(scipy.linalg.sqrtm(c1 @ c2)))
    assert fid == pytest.approx(pop, rel=0.1)


def test_fid_random_inputs_match_independent_reference_and_use_unbiased_covariance():
    rng = np.random.default_rng(4)
    for n1, n2, d in [(8, 11, 3), (60, 45, 10), (500, 700, 24)]:
        a = rng.normal(size=(n1, d)) * rng.uniform(0.5, 2, size=d)
        b = rng.normal(size=(n2, d)) + rng.normal(size=d)
        fid = frechet_distance_from_activations(a, b)
        assert fid == pytest.approx(_numpy_fid(a, b, ddof=1), rel=1e-6)
    # with few samples the biased covariance gives a clearly different number: the check above would catch it
    a, b = rng.normal(size=(8, 3)), rng.normal(size=(11, 3)) + 0.2
    assert abs(_numpy_fid(a, b, ddof=0) - frechet_distance_from_activations(a, b)) > 1e-2


def test_fid_cross_check_with_tfgan_agrees_and_does_not_warn():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(300, 16)), rng.normal(size=(250, 16)) * 1.3 + 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fid = frechet_distance_from_activations(a, b, cross_check=True)
        mu1, s1 = scores.activation_statistics(a)
        mu2, s2 = scores.activation_statistics(b)
        fid2, fid_tf = scores.frechet_distance_with_cross_check(mu1, s1, mu2, s2)
    assert fid2 == pytest.approx(fid, rel=1e-12)
    assert fid_tf == pytest.approx(fid, rel=1e-6)


def test_fid_non_negligible_imaginary_part_fails():
    # Σ1 Σ2 = diag(1, -1): its square root has an imaginary part of 1 -> error, not a silently dropped part
    with pytest.raises(FrechetDistanceError, match="imaginary"):
        frechet_distance_from_stats(np.zeros(2), np.diag([1.0, 1.0]), np.zeros(2), np.diag([1.0, -1.0]))


def test_fid_rejects_mismatched_widths():
    with pytest.raises(ValueError):
        frechet_distance_from_activations(np.zeros((5, 3)), np.zeros((5, 4)))
