"""The offline classifier metric (digits CNN) and the `python -m mgan.evaluate` CLI."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from mgan import metrics
from mgan.metrics import classifier
from mgan.records.checksums import sha256_file

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORBIDDEN = re.compile(r"\bIS\b|FID|Inception")


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("mgan_cache"))


@pytest.fixture(scope="module")
def digits_net(cache_root):
    return classifier.get_classifier("digits", seed=0, cache_root=cache_root, progress=False)


@pytest.fixture(scope="module")
def digits():
    from mgan import data

    return data.load_dataset("digits")


@pytest.mark.slow
def test_digits_classifier_trains_caches_and_reports_accuracy(digits_net):
    assert not digits_net.from_cache
    assert digits_net.test_accuracy > 0.9
    info = json.load(open(digits_net.json_path))
    assert info["test_accuracy"] == digits_net.test_accuracy and info["seed"] == 0
    assert info["keras_sha256"] == sha256_file(digits_net.keras_path) == digits_net.checksum
    assert info["train_data"]["source"].startswith("sklearn") and "held-out" in info["test_data"]["split"]
    assert info["n_train"] + info["test_data"]["n"] == 1797
    assert info["settings"]["epochs"] == classifier.DEFAULT_SETTINGS["digits"]["epochs"]


@pytest.mark.slow
def test_cache_hit_reloads_without_retraining(digits_net, cache_root, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("retrained despite a cache hit")

    monkeypatch.setattr(classifier, "train_classifier", boom)
    again = classifier.get_classifier("digits", seed=0, cache_root=cache_root, progress=False)
    assert again.from_cache and again.checksum == digits_net.checksum
    for w1, w2 in zip(digits_net.model.get_weights(), again.model.get_weights()):
        np.testing.assert_array_equal(w1, w2)


@pytest.mark.slow
def test_training_is_deterministic_given_the_seed():
    a, info_a = classifier.train_classifier("digits", seed=3, train_limit=300, progress=False, epochs=2)
    b, info_b = classifier.train_classifier("digits", seed=3, train_limit=300, progress=False, epochs=2)
    c, _ = classifier.train_classifier("digits", seed=4, train_limit=300, progress=False, epochs=2)
    for w1, w2 in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(w1, w2)
    assert info_a["test_accuracy"] == info_b["test_accuracy"]
    assert any(not np.array_equal(w1, w3) for w1, w3 in zip(a.get_weights(), c.get_weights()))


def test_real_images_score_higher_and_closer_than_noise_and_labels_are_not_is_fid(digits_net, digits, cache_root):
    real = digits.x[:500]
    noise = np.random.default_rng(0).integers(0, 256, size=(500,) + digits.x.shape[1:], dtype=np.uint8)
    kw = dict(metric="classifier", dataset="digits", is_splits=5, fid_ref_split="train", network=digits_net,
              cache_root=cache_root, progress=False)
    r = metrics.score_images(real, **kw)
    z = metrics.score_images(noise, **kw)
    assert r["classifier_score_mean"] > 5.0 and r["classifier_score_mean"] > 2 * z["classifier_score_mean"]
    assert r["classifier_fd"] < z["classifier_fd"] / 5
    assert r["classifier_fd_tfgan"] == pytest.approx(r["classifier_fd"], rel=1e-5, abs=1e-6)
    for res in (r, z):
        assert not any(k.startswith("is_") or k.startswith("fid") for k in res)
        p = res["protocol"]
        assert p["metric"] == "classifier" and p["n_samples"] == 500 and p["splits"] == 5
        assert p["reference"]["name"] == "digits/train" and p["reference"]["n"] == 1797
        acc = f"{100 * digits_net.test_accuracy:.1f}%"
        assert p["label"] == res["label"] == f"classifier score (digits CNN, test acc {acc})"
        assert p["distance_label"] == f"classifier FD (digits CNN, test acc {acc})"
        for label in (p["label"], p["distance_label"]):
            assert not FORBIDDEN.search(label)
    assert z["protocol"]["reference"]["from_cache"] is True  # the first call cached digits/train statistics
    with pytest.raises(ValueError, match="shape"):
        metrics.score_images(np.zeros((10, 28, 28, 1), np.uint8), **kw)


def test_unknown_metric_and_dataset_are_refused():
    with pytest.raises(ValueError, match="inception, classifier"):
        metrics.score_images(np.zeros((4, 8, 8, 1), np.uint8), metric="fid")
    with pytest.raises(ValueError, match="digits"):
        classifier.get_classifier("celeba")


def test_evaluate_cli_classifier_on_noise_npz_writes_json(digits_net, cache_root, tmp_path, capsys, evaluate_cli):
    npz = tmp_path / "noise.npz"
    noise = np.random.default_rng(1).integers(0, 256, size=(120, 8, 8, 1), dtype=np.uint8)
    np.savez(npz, x=noise, y=np.zeros(120, np.int32))
    out = tmp_path / "scores.json"
    rc = evaluate_cli([f"--npz={npz}", "--metric=classifier", "--dataset=digits", "--n=100", "--splits=4",
                   f"--cache_dir={cache_root}", f"--out={out}"])
    assert rc == 0
    res = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == res
    p = res["protocol"]
    assert p["metric"] == "classifier" and p["n_samples"] == 100 and p["splits"] == 4
    assert p["samples"]["npz"] == str(npz) and p["samples"]["n_in_file"] == 120
    assert p["network"]["sha256"] == digits_net.checksum  # the cached classifier, not a retrained one
    assert p["reference"]["name"] == "digits/train" and p["reference"]["n"] == 1797
    for key in ("label", "distance_label", "versions", "n_fake", "n_real"):
        assert key in p
    assert np.isfinite(res["classifier_score_mean"]) and np.isfinite(res["classifier_fd"])
    expected = metrics.score_images(noise[:100], metric="classifier", dataset="digits", is_splits=4,
                                    network=digits_net, progress=False)
    assert res["classifier_score_mean"] == pytest.approx(expected["classifier_score_mean"], rel=1e-9)


def test_evaluate_cli_missing_inception_fails_with_howto(tmp_path, capsys, evaluate_cli):
    npz = tmp_path / "x.npz"
    np.savez(npz, x=np.zeros((4, 8, 8, 1), np.uint8))
    rc = evaluate_cli([f"--npz={npz}", "--metric=inception", "--fid_ref_split=none", "--splits=2",
                   f"--inception_path={tmp_path / 'missing'}"])
    assert rc == 1  # a user error, as in every command (mgan.errors)
    err = capsys.readouterr().err
    assert "tfgan/eval/inception/1" in err and "--inception_path" in err and "MGAN_INCEPTION_PATH" in err


@pytest.mark.slow
def test_evaluate_cli_bad_flags_fail_fast_with_choices(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-m", "mgan.evaluate", "--npz=x.npz", "--metric=bogus"], cwd=str(tmp_path),
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "inception" in r.stderr and "classifier" in r.stderr and "bogus" in r.stderr
    r = subprocess.run([sys.executable, "-m", "mgan.evaluate", "--npz=x.npz", "--metric=classifier"],
                       cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "--dataset" in r.stderr
    r = subprocess.run([sys.executable, "-m", "mgan.evaluate", "--metric=inception", "--dataset=cifar10"],
                       cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "--npz" in r.stderr


@pytest.mark.slow
def test_evaluate_cli_run_scores_generate_from_run_samples(digits_net, cache_root, tmp_path, evaluate_cli):
    from mgan.config import TrainConfig
    from mgan.training import trained
    from mgan.training import runner

    run = tmp_path / "run"
    runner.train(TrainConfig(out=str(run), model="dmgan", dataset="digits", width=0.0625, feature_dim=8, z_dim=6,
                             batch_size=16, steps=2, checkpoint_every=2, sample_every=2, log_every=1, progress=False))
    out = tmp_path / "run_scores.json"
    rc = evaluate_cli([f"--run={run}", "--n=60", "--seed=1", "--metric=classifier", "--dataset=digits", "--splits=3",
                   f"--cache_dir={cache_root}", f"--out={out}", "--nocross_check"])
    assert rc == 0
    res = json.loads(out.read_text())
    assert res["protocol"]["samples"]["run_dir"] == str(run) and res["protocol"]["samples"]["seed"] == 1
    assert res["protocol"]["n_samples"] == 60 and res["classifier_fd_tfgan"] is None
    x, _ = trained.generate_from_run(str(run), 60, seed=1)
    expected = metrics.score_images(x, metric="classifier", dataset="digits", is_splits=3, network=digits_net,
                                    fid_ref_split="train", cache_root=cache_root, progress=False, cross_check=False)
    assert res["classifier_score_mean"] == pytest.approx(expected["classifier_score_mean"], rel=1e-9)
    assert res["classifier_fd"] == pytest.approx(expected["classifier_fd"], rel=1e-9)
