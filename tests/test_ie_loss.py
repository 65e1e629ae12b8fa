"""The IE loss (METHODS §7.2, reconstructed), the center-loss baseline, their layers, the classifier model and the
experiment script: math against NumPy, the center rule, the update order, resume, learning, errors."""
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from mgan.experiments.ie import classification as ie
from mgan.models.metric_classifier import MetricClassifier
from mgan.objectives import losses
from mgan.objectives.metric_losses import CenterLoss, IELoss
from tests.reproduce_helpers import REPO, load_script


def np_distances(f, c, projection, s=1.0):
    sq = ((f[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    if projection == "gaussian_kernel":
        return 2 - 2 * np.exp(-sq / (2 * s * s))
    if projection == "exp_elementwise":
        return ((np.exp(f)[:, None, :] - np.exp(c)[None, :, :]) ** 2).sum(-1)
    return sq


def np_ie_loss(f, y, c, margin, projection, s=1.0, w=None):
    d = np_distances(f, c, projection, s)
    out = []
    for i in range(len(f)):  # the published formula, one sample at a time
        others = [d[i, j] for j in range(len(c)) if j != y[i]]
        out.append(max(0.0, margin + d[i, y[i]] - sum(others) / len(others)))
    out = np.array(out)
    return np.mean(out if w is None else w * out)


@pytest.mark.parametrize("projection", ["gaussian_kernel", "exp_elementwise", "identity"])
def test_ie_loss_matches_numpy_with_a_class_absent(projection, rng):
    f = rng.normal(size=(6, 3)).astype(np.float32) * 0.7
    c = rng.normal(size=(4, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])  # class 3 absent from the batch: its center still enters every "other" mean
    got = losses.ie_loss(f, y, c, margin=0.4, projection=projection, bandwidth=0.8).numpy()
    np.testing.assert_allclose(got, np_ie_loss(f, y, c, 0.4, projection, 0.8), rtol=1e-5, atol=1e-6)
    c2 = c.copy()
    c2[3] += 0.5
    moved = losses.ie_loss(f, y, c2, margin=0.4, projection=projection, bandwidth=0.8).numpy()
    np.testing.assert_allclose(moved, np_ie_loss(f, y, c2, 0.4, projection, 0.8), rtol=1e-5, atol=1e-6)
    assert moved != pytest.approx(got)


def test_ie_loss_sample_weights_and_hinge(rng):
    f = rng.normal(size=(5, 2)).astype(np.float32)
    c = rng.normal(size=(3, 2)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0])
    w = np.array([1.0, 0.0, 2.0, 0.5, 1.0], np.float32)
    np.testing.assert_allclose(losses.ie_loss(f, y, c, 0.3, "identity", sample_weight=w).numpy(),
                               np_ie_loss(f, y, c, 0.3, "identity", w=w), rtol=1e-5)
    # features on their own centers, the others far away: every hinge is inactive
    c = np.array([[0, 0], [10, 0], [0, 10]], np.float32)
    assert losses.ie_loss(c[[0, 1, 2]], [0, 1, 2], c, margin=0.5).numpy() == 0.0
    # all centers equal: own and other distances agree, the hinge is exactly the margin
    assert losses.ie_loss(f, y, np.zeros((3, 2), np.float32), margin=0.5).numpy() == pytest.approx(0.5)


def test_gaussian_kernel_distance_is_bounded(rng):
    f = np.array([[0.0, 0.0], [1e3, 0.0], [0.3, 0.4]], np.float32)
    c = np.array([[0.0, 0.0], [-1e3, 5.0]], np.float32)
    d = losses.ie_distances(f, c, "gaussian_kernel", bandwidth=0.5).numpy()
    assert d[0, 0] == 0.0 and d[1, 0] == pytest.approx(2.0) and d[0, 1] == pytest.approx(2.0)
    np.testing.assert_allclose(d[2, 0], 2 - 2 * np.exp(-0.25 / 0.5), rtol=1e-6)  # ‖f − c‖² = 0.25, 2s² = 0.5
    big = losses.ie_distances(rng.normal(size=(50, 4)) * 30, rng.normal(size=(5, 4)) * 30).numpy()
    assert big.min() >= 0.0 and big.max() <= 2.0


def test_center_loss_matches_numpy(rng):
    f = rng.normal(size=(6, 3)).astype(np.float32)
    c = rng.normal(size=(4, 3)).astype(np.float32)
    y = np.array([3, 1, 2, 0, 1, 3])
    want = np.mean([0.5 * np.sum((f[i] - c[y[i]]) ** 2) for i in range(6)])
    np.testing.assert_allclose(losses.center_loss(f, y, c).numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("fn", [losses.ie_loss, losses.center_loss])
def test_shape_errors(fn):
    with pytest.raises(ValueError, match="centers"):
        fn(np.zeros((4, 3)), np.zeros(4, np.int32), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="labels"):
        fn(np.zeros((4, 3)), np.zeros(3, np.int32), np.zeros((2, 3)))


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="projection"):
        losses.ie_distances(np.zeros((2, 2)), np.zeros((2, 2)), "cosine")
    with pytest.raises(ValueError, match="centers"):
        IELoss(3, centers="frozen")
    with pytest.raises(ValueError, match="bandwidth"):
        IELoss(3, bandwidth=0.0)
    with pytest.raises(ValueError, match="2 classes"):
        CenterLoss(1)


@pytest.mark.parametrize("layer_cls", [IELoss, CenterLoss])
def test_layer_uses_centers_before_the_update_then_applies_the_center_rule(layer_cls, rng):
    layer = layer_cls(3, weight=2.0, center_rate=0.5)
    f = rng.normal(size=(5, 2)).astype(np.float32)
    y = np.array([0, 0, 1, 1, 1])
    layer.build(((None, 2), (None,)))
    c0 = rng.normal(size=(3, 2)).astype(np.float32)
    layer.centers.assign(c0)
    value = layer((f, y), training=True).numpy()
    math = losses.ie_loss(f, y, c0) if layer_cls is IELoss else losses.center_loss(f, y, c0)
    assert value == pytest.approx(2.0 * math.numpy(), rel=1e-6)
    want = c0.copy()
    for k in range(3):  # Wen et al.: c_k <- c_k - α Σ(c_k - f_i)/(1 + n_k); class 2 is absent and stays put
        members = f[y == k]
        want[k] -= 0.5 * (len(members) * c0[k] - members.sum(0)) / (1 + len(members))
    np.testing.assert_allclose(layer.centers.numpy(), want, rtol=1e-6)
    layer((f, y), training=False)  # inference does not move the centers
    np.testing.assert_allclose(layer.centers.numpy(), want, rtol=1e-6)
    assert not layer.trainable_weights


def _classifier(loss, options=None, lr=1e-3, seed=0, feature_dim=4, num_classes=3):
    keras.utils.set_random_seed(seed)
    model = MetricClassifier((8, 8, 1), num_classes, net="small", feature_dim=feature_dim, width=0.25, loss=loss,
                             loss_options=options or {})
    model.compile(optimizer=keras.optimizers.Adam(lr), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.mark.slow
def test_train_step_loss_is_cross_entropy_plus_weighted_ie(rng):
    x = rng.uniform(-1, 1, size=(12, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 1, 2] * 4)
    model = _classifier("ie", {"weight": 0.7, "margin": 0.3, "centers": "trainable"}, lr=0.0)
    c0 = model.metric_loss.centers.numpy()
    features = model.embed(x, training=True).numpy()  # BN in training mode: batch statistics only
    logits = model.head(features).numpy()
    ce = np.mean(np.log(np.exp(logits).sum(1)) - logits[np.arange(12), y])
    want = ce + 0.7 * np_ie_loss(features, y, c0, 0.3, "gaussian_kernel")
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(want, rel=1e-4)
    assert logs["ie_loss"] == pytest.approx(want - ce, rel=1e-4)


@pytest.mark.slow
def test_trainable_centers_get_gradients_and_update_rule_centers_do_not(rng):
    x = rng.uniform(-1, 1, size=(12, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 1, 2] * 4)
    model = _classifier("ie", {"centers": "trainable"}, lr=1e-2)
    c0 = model.metric_loss.centers.numpy()
    assert any(v is model.metric_loss.centers for v in model.trainable_variables)
    model.train_on_batch(x, y)
    assert np.abs(model.metric_loss.centers.numpy() - c0).max() > 1e-4
    ruled = _classifier("ie", {})
    assert not any(v is ruled.metric_loss.centers for v in ruled.trainable_variables)


@pytest.mark.slow
def test_save_and_load_round_trip(tmp_path, rng):
    x = rng.uniform(-1, 1, size=(12, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 1, 2] * 4)
    model = _classifier("ie", {"margin": 0.2, "projection": "identity"})
    model.fit(x, y, epochs=2, batch_size=6, verbose=0)
    model.save(tmp_path / "m.keras")
    back = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(back.metric_loss.centers.numpy(), model.metric_loss.centers.numpy())
    assert back.metric_loss.projection == "identity" and back.metric_loss.margin == 0.2
    for a, b in zip(model.optimizer.variables, back.optimizer.variables):  # Adam's moments come back too
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.slow
def test_mixed_bfloat16_classifier_keeps_state_and_losses_in_float32(rng):
    from mgan.nets import precision

    x = rng.uniform(-1, 1, size=(12, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 1, 2] * 4)
    logs = {}
    for p in ("float32", "mixed_bfloat16"):
        with precision.policy(p):
            model = _classifier("ie", {"margin": 0.3, "projection": "identity"}, lr=0.0)
        logs[p] = model.train_on_batch(x, y, return_dict=True)
        assert all(v.dtype == "float32" for v in model.variables)
        assert model.backbone.get_layer("block1_conv1").compute_dtype == ("bfloat16" if p != "float32" else "float32")
        assert model(x).dtype == tf.float32 and model.embed(x).dtype == tf.float32
    for k in ("loss", "ie_loss"):
        assert logs["mixed_bfloat16"][k] == pytest.approx(logs["float32"][k], rel=5e-2), k


def test_feature_statistics_closed_form():
    f = np.array([[0, 0], [2, 0], [10, 0], [10, 2]], float)  # class means (1, 0) and (10, 1)
    s = ie.feature_statistics(f, [0, 0, 1, 1])
    assert s["intra"] == pytest.approx(1.0) and s["inter"] == pytest.approx(np.hypot(9, 1))
    with pytest.raises(ValueError):
        ie.feature_statistics(f, [0, 0, 0, 0])


def _digits_data():
    from mgan.experiments.ie import points as ie_points

    return ie_points.load_split("digits", None)


@pytest.mark.slow
def test_softmax_plus_ie_learns_digits(tmp_path):
    """A small check that training learns: 300 steps on scikit-learn's digits reach high held-out accuracy, and the
    IE term falls (the loss is doing something, not only the softmax)."""
    from mgan.experiments.ie import points as ie_points

    data = _digits_data()
    cfg = {"dataset": "digits", "net": "small", "loss": "ie", "seed": 0, "feature_dim": 16, "width": 0.25,
           "batch_size": 32, "lr": 3e-3, "checkpoint_every": 100,
           "loss_options": {"weight": 1.0, "margin": 0.5, "projection": "gaussian_kernel", "bandwidth": 1.0,
                            "centers": "update_rule", "center_rate": 0.5}}
    model, facts = ie_points.train_point(cfg, data, str(tmp_path / "run"), 300, verbose=0)
    scores, feats = ie_points.score_point(model, data, recalibrate_batches=10)
    assert facts["status"] == "done" and feats.shape == (len(data.y_test), 16)
    assert scores["test_accuracy"] > 0.85, scores
    assert facts["last_logs"]["ie_loss"] < 0.35, facts["last_logs"]  # it starts at the margin, 0.5


@pytest.mark.slow
def test_a_killed_point_resumes_exactly(tmp_path):
    from mgan.experiments.ie import points as ie_points

    data = _digits_data()
    cfg = {"dataset": "digits", "net": "small", "loss": "center", "seed": 3, "feature_dim": 8, "width": 0.25,
           "batch_size": 16, "lr": 1e-3, "checkpoint_every": 3,
           "loss_options": {"weight": 0.1, "center_rate": 0.5, "centers": "update_rule"}}
    whole, _ = ie_points.train_point(cfg, data, str(tmp_path / "a"), 9, verbose=0)
    ie_points.train_point(cfg, data, str(tmp_path / "b"), 6, verbose=0)  # "killed" after two checkpoints
    resumed, facts = ie_points.train_point(cfg, data, str(tmp_path / "b"), 9, verbose=0)
    assert facts["resumed_from_step"] == 6
    for a, b in zip(whole.weights, resumed.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


@pytest.mark.slow
def test_bn_recalibration_is_the_average_of_the_batch_statistics():
    from mgan import data as data_lib
    from mgan.experiments.ie import points as ie_points

    data = _digits_data()
    model = _classifier("softmax", seed=1, num_classes=10)
    model.fit(data_lib.make_batches(data.train, 16, 0), steps_per_epoch=5, epochs=1, verbose=0)
    ie_points.recalibrate_batch_norm(model, data, 3, 16, seed=4)
    stream = iter(data_lib.make_batches(data.train, 16, 4 + 7919, 0))
    conv = model.backbone.get_layer("block1_conv1")
    outs = [conv(next(stream)[0]).numpy().reshape(-1, conv.filters) for _ in range(3)]
    bn = model.backbone.get_layer("block1_bn1")
    np.testing.assert_allclose(bn.moving_mean.numpy(), np.mean([o.mean(0) for o in outs], 0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), np.mean([o.var(0) for o in outs], 0), rtol=1e-3,
                               atol=1e-6)
    assert bn.momentum == 0.99  # restored


def _context(*argv):
    """The script's completed Context of ``argv``, parsed in-process through the shared flags (cli)."""
    from absl import flags

    from mgan.experiments import cli

    module, fv = load_script("ie_loss_classification"), flags.FlagValues()
    script, extra = cli._setup(module, fv)
    fv(["ie", *argv])
    ctx = cli.context_from_flags(fv, script, module.PAPER_DATASET, extra, argv=list(argv), budget=module.BUDGET)
    return fv, cli.complete_context(module, ctx)


def test_ie_budgets_of_the_shared_scales_are_the_old_ie_scales():
    from mgan.experiments import scales

    want = {"full": (1.0, 0, 20.0, 128, (0, 1, 2), 500), "smoke": (0.25, 300, 0, 128, (0, 1), 100),
            "test": (0.0625, 4, 0, 16, (0,), 2)}
    for name, values in want.items():
        b = scales.SCALES[name].ie
        assert (b.width, b.steps, b.epochs, b.batch_size, b.seeds, b.checkpoint_every) == values, name
        assert type(b.epochs) is type(values[2]), name  # 0 and 0.0 hash differently in the point keys
    assert scales.SCALES["full"].ie.total_steps(60000) == 9000 and scales.SCALES["full"].ie.total_steps(1000) == 500
    assert scales.SCALES["smoke"].ie.total_steps(60000) == 300 and scales.SCALES["test"].ie.total_steps(60000) == 4
    assert "ie" not in scales.SCALES["full"].to_dict()  # the GAN sweeps' results.json record their scale unchanged


def test_point_labels_are_those_of_before_the_shared_scale():
    """Point keys hash the budget, the loss options and the precision: the committed results must be found again."""
    ident = {"name": "mnist", "sha256": "abc"}
    want = {("smoke", "float32", "ie"): "mnist-small-ie-f128-s1-c2f1f3aece",
            ("smoke", "float32", "center"): "mnist-small-center-f128-s1-1294e6efee",
            ("full", "float32", "softmax"): "mnist-small-softmax-f128-s1-57fbeea4d3",
            ("full", "mixed_bfloat16", "ie"): "mnist-small-ie-f128-s1-af01e96a32",
            ("test", "float32", "center"): "mnist-small-center-f128-s1-357530294e"}
    for (scale, precision, loss), label in want.items():
        _, ctx = _context(f"--scale={scale}", f"--precision={precision}")
        assert ie.point_label(ie.point_config(ctx, "mnist", "small", loss, 1, 128, ident)) == label


def test_script_uses_the_shared_context_and_flags():
    from absl import flags

    fv, ctx = _context("--scale=smoke")
    assert not {"metric", "inception_path", "dataset", "shard"} & set(fv)  # meaningless here: not defined
    assert ctx.seeds == (0, 1) and ctx.scale.name == "smoke" and ctx.metric == "test_accuracy"
    assert ctx.dataset == "mnist+fashion_mnist+cifar10" and ctx.extra["nets"] == ("small", "medium", "large")
    _, ctx = _context("--scale=full", "--seeds=4", "--datasets=digits,mnist")
    assert ctx.seeds == (4,) and ctx.dataset == "digits+mnist" and ctx.scale.ie.epochs == 20.0
    for bad in ("--metric=classifier", "--shard=0/2", "--dataset=mnist"):
        with pytest.raises(flags.UnrecognizedFlagError):
            _context(bad)
    from mgan.errors import ConfigError

    with pytest.raises(ConfigError, match="--losses must be distinct"):
        _context("--losses=ie,ie")


def _run_script(tmp_path, *extra):
    from mgan.experiments import cli

    argv = ["ie", "--scale=test", "--datasets=digits", "--nets=small", f"--out={tmp_path / 'out'}",
            f"--runs_dir={tmp_path / 'runs'}", *extra]
    return cli.run_argv(load_script("ie_loss_classification"), argv)


@pytest.mark.slow
def test_script_table_resume_and_protocol(tmp_path, capsys):
    res = _run_script(tmp_path, "--seeds=0,1")
    assert len(res["points"]) == 6 and all(p["status"] == "done" for p in res["points"])
    table = open(tmp_path / "out" / "table.md").read()
    assert "no surviving numbers" in table and "always superior" in table and "reconstructed" in table
    row = next(line for line in table.splitlines() if line.startswith("| digits | small"))
    assert row.count("(n=2)") == 3 and ("yes (" in row or "no (" in row)
    capsys.readouterr()
    _run_script(tmp_path, "--seeds=0,1")  # the same command again: nothing is retrained
    assert capsys.readouterr().out.count("done before") == 6
    from mgan.experiments.published import ResultsConflictError

    with pytest.raises(ResultsConflictError, match="ie_margin"):
        _run_script(tmp_path, "--seeds=0,1", "--ie_margin=0.9")
    assert "/tmp" not in open(tmp_path / "out" / "results.json").read()


@pytest.mark.slow
def test_script_rejects_bad_flags_without_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(REPO, "reproduce", "ie_loss_classification.py"),
                           "--scale=test", "--nets=tiny", f"--out={tmp_path}"], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 1
    assert "--nets must be distinct values from small, medium, large" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_help_lists_the_script_flags_and_its_shared_flags():
    proc = subprocess.run([sys.executable, os.path.join(REPO, "reproduce", "ie_loss_classification.py"), "--help"],
                          capture_output=True, text=True, cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    for flag in ("scale", "seeds", "data_dir", "out", "runs_dir", "precision", "datasets", "nets", "losses",
                 "feature_dim", "ie_margin", "ie_bandwidth", "bn_recalibration_batches"):
        assert f"--{flag}:" in proc.stdout, flag
    assert "--metric:" not in proc.stdout and "--shard:" not in proc.stdout  # named by the docstring, not defined
    assert "0,1 at smoke" in proc.stdout  # the default seeds are the IE budget's
