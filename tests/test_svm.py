"""MBGAN's SVM protocol (METHODS §5.6, D31; mgan.metrics.svm) against independent NumPy / scikit-learn."""
import numpy as np
import pytest

from mgan.config import TrainConfig
from mgan.metrics import svm


def _pool_numpy(a, grid):
    n, h, w, c = a.shape
    if h <= grid and w <= grid:
        return a
    return a.reshape(n, grid, h // grid, grid, w // grid, c).max(axis=(2, 4))


@pytest.mark.parametrize("side", [32, 16, 8, 4, 2])
def test_max_pool_to_grid_matches_numpy(side):
    a = np.random.default_rng(side).normal(size=(3, side, side, 5)).astype(np.float32)
    got = np.asarray(svm.max_pool_to_grid(a, 4))
    want = _pool_numpy(a, 4)
    assert got.shape == (3, min(side, 4), min(side, 4), 5)
    np.testing.assert_array_equal(got, want)


def test_max_pool_rejects_unequal_windows():
    with pytest.raises(ValueError, match="cannot be max-pooled"):
        svm.max_pool_to_grid(np.zeros((1, 6, 6, 2), np.float32), 4)


def _discriminator(layout, shape, width=0.125):
    from mgan.nets import networks

    cfg = TrainConfig(layout=layout, width=width)
    return networks.build_discriminator(cfg, shape, head_dim=7)


def test_conv_features_are_the_pooled_activations_of_every_conv_layer():
    import keras

    D = _discriminator("mbgan", (32, 32, 3))
    names = svm.conv_layer_names(D)
    assert names == ["conv0_lrelu", "conv1_lrelu", "conv2_lrelu", "conv3_lrelu"]
    x = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    feats = svm.conv_features(D, x, batch_size=4)
    # 'mbgan' D: 32 -> 32 -> 16 -> 8 -> 4 with 64, 128, 256, 512 channels at width 1: 16 * 960 = 15,360 (METHODS
    # §5.6); at width 0.125, 16 * 120
    assert feats.shape == (6, 16 * 120)
    # independently: the activations through a Keras model in inference mode, pooled with NumPy, in layer order
    acts = keras.Model(D.inputs, [D.get_layer(n).output for n in names])(x.astype(np.float32) / 127.5 - 1.0,
                                                                          training=False)
    want = np.concatenate([_pool_numpy(np.asarray(a), 4).reshape(6, -1) for a in acts], axis=1)
    np.testing.assert_allclose(feats, want, rtol=1e-5, atol=1e-6)


def test_literal_layout_keeps_maps_smaller_than_the_grid():
    D = _discriminator("literal", (32, 32, 3))
    feats = svm.conv_features(D, np.zeros((2, 32, 32, 3), np.uint8))
    # 'literal' D: 16, 8, 4, 2 with 8, 16, 32, 64 channels at width 0.125 -> 16*8 + 16*16 + 16*32 + 4*64
    assert feats.shape == (2, 16 * 8 + 16 * 16 + 16 * 32 + 4 * 64)


def test_fit_linear_svm_equals_sklearn_by_hand_and_learns():
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(1)
    centers = rng.normal(scale=3.0, size=(3, 20))
    y = rng.integers(0, 3, 400)
    x = (centers[y] + rng.normal(size=(400, 20)) * 2.0 + 50.0).astype(np.float32)  # offset: z-scoring matters
    tr, te = slice(0, 300), slice(300, 400)
    res = svm.fit_linear_svm(x[tr], y[tr], x[te], y[te], C=0.01)
    scaler = StandardScaler().fit(x[tr])  # training statistics only
    clf = LinearSVC(C=0.01, dual="auto", max_iter=svm.MAX_ITER, random_state=0).fit(scaler.transform(x[tr]), y[tr])
    assert res["accuracy"] == pytest.approx(float(np.mean(clf.predict(scaler.transform(x[te])) == y[te])))
    assert res["accuracy"] > 0.9 and res["C"] == 0.01 and res["cv_accuracy"] is None
    # C by cross-validation: one CV accuracy per C, the chosen C is the best of them
    cv = svm.fit_linear_svm(x[tr], y[tr], x[te], y[te], Cs=(1e-4, 1e-2), folds=3)
    assert set(cv["cv_accuracy"]) == {"0.0001", "0.01"}
    assert cv["cv_accuracy"][f"{cv['C']:g}"] == max(cv["cv_accuracy"].values())
    # the same features with shuffled labels: chance (a protocol that leaked test labels would not drop)
    shuffled = svm.fit_linear_svm(x[tr], rng.permutation(y[tr]), x[te], y[te], C=0.01)
    assert shuffled["accuracy"] < 0.6


def test_fit_linear_svm_checks_shapes():
    x = np.zeros((10, 4), np.float32)
    with pytest.raises(ValueError, match="same dim"):
        svm.fit_linear_svm(x, np.zeros(10), np.zeros((5, 3), np.float32), np.zeros(5))
    with pytest.raises(ValueError, match="differ in length"):
        svm.fit_linear_svm(x, np.zeros(9), x, np.zeros(10))


@pytest.mark.slow
def test_svm_score_run_restores_the_final_discriminator(tmp_path):
    """A finished run's D is restored from its final checkpoint: its features equal the trained model's."""
    import json
    import os

    from mgan.training import runner
    from mgan.training.trained import load_trained_model

    out = str(tmp_path / "run")
    cfg = TrainConfig(model="mbgan", dataset="digits", steps=3, width=0.0625, batch_size=32, out=out,
                      checkpoint_every=2, progress=False)
    runner.train(cfg)
    model, manifest = load_trained_model(out)
    assert int(model.iteration.numpy()) == 3 == manifest["total_steps"]
    from mgan import models

    fresh = models.build_model(models.resolve(cfg, (8, 8, 1)), (8, 8, 1), 10)
    restored = model.discriminator.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(restored, fresh.discriminator.get_weights()))
    res = svm.svm_score_run(out, n_train=200, C=0.01)
    assert res["feature_dim"] == svm.conv_features(model.discriminator, np.zeros((1, 8, 8, 1), np.uint8)).shape[1]
    assert res["protocol"]["n_train"] == 200 and res["protocol"]["checkpoint_step"] == 3
    assert "held-out" in res["protocol"]["test"]["split"]  # digits has no test split: a named held-out part
    assert 0.0 <= res["accuracy"] <= 1.0 and res["accuracy"] > 0.3  # chance is 0.1 on ten digits
    # an unfinished run is refused with the fix
    m = json.load(open(os.path.join(out, "manifest.json")))
    m["status"] = "interrupted"
    json.dump(m, open(os.path.join(out, "manifest.json"), "w"))
    from mgan.errors import InputFileError

    with pytest.raises(InputFileError, match="not finished"):
        load_trained_model(out)


def test_svm_n_train_too_small_is_refused():
    with pytest.raises(ValueError, match="at least 10"):
        svm.svm_accuracy(_discriminator("digits8", (8, 8, 1)), "digits", n_train=5)
