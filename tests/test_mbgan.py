"""MBGAN (issue 10): the triplet sampling of D21, one iteration against a hand computation with the public loss
functions (Algorithm 1: D step on Eq. 1/5, n_gen G steps on Eq. 2/6 with fresh noise), the presets of D24, fit on
(x, y), ((x, x_anchor), y) and x, save/load, and a two-step run through the runner."""
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import mgan  # noqa: F401  (registers the serializable classes)
from mgan import models
from mgan.config import TrainConfig
from mgan.models.mbgan import anchor_indices, with_anchor_batches
from mgan.nets import latent
from mgan.objectives import losses
from mgan.training import runner

SHAPE = (8, 8, 1)


def make(shape=SHAPE, num_classes=10, **kw):
    base = dict(model="mbgan", width=0.0625, feature_dim=8, z_dim=6, conv_impl="keras", seed=5)
    cfg = models.resolve(TrainConfig(**{**base, **kw}), shape)
    return cfg, models.build_model(cfg, shape, num_classes)


def batch(m=12, seed=0, shape=SHAPE, num_classes=4):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.uniform(-1, 1, size=(m,) + shape).astype("float32")),
            tf.constant(rng.integers(0, num_classes, size=m).astype("int32")))


# ----- pair sampling (D21) -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_class_matched_anchors_share_the_class_and_form_a_permutation(seed):
    y = np.random.default_rng(seed).integers(0, 5, size=40).astype("int32")
    y[0] = 7  # a class with one image in the batch: its own anchor
    a = anchor_indices(y, [seed, 3], "class_matched").numpy()
    assert sorted(a) == list(range(40))  # every image is the anchor of exactly one pair
    np.testing.assert_array_equal(y[a], y)  # the anchor has the positive's class
    counts = np.bincount(y)
    assert a[0] == 0 and all(a[i] != i for i in range(40) if counts[y[i]] > 1)
    np.testing.assert_array_equal(a, anchor_indices(y, [seed, 3], "class_matched").numpy())  # pure in the seed
    assert not np.array_equal(a, anchor_indices(y, [seed, 4], "class_matched").numpy())


def test_permute_anchors_are_a_seeded_permutation_that_ignores_labels():
    y = np.zeros(32, "int32")
    a = anchor_indices(y, [0, 1], "permute").numpy()
    assert sorted(a) == list(range(32)) and not np.array_equal(a, np.arange(32))
    assert not np.array_equal(a, anchor_indices(y, [0, 2], "permute").numpy())
    with pytest.raises(ValueError, match="within-batch"):
        anchor_indices(y, [0, 1], "independent")


def test_with_anchor_batches_pairs_two_streams():
    xs = tf.data.Dataset.from_tensor_slices((np.arange(4.0)[:, None], np.arange(4))).batch(2)
    anchors = tf.data.Dataset.from_tensor_slices((10 + np.arange(4.0)[:, None], np.zeros(4, "int64"))).batch(2)
    (x, xa), y = next(iter(with_anchor_batches(xs, anchors)))
    np.testing.assert_array_equal(x.numpy().ravel(), [0, 1])
    np.testing.assert_array_equal(xa.numpy().ravel(), [10, 11])
    np.testing.assert_array_equal(y.numpy(), [0, 1])


# ----- one iteration by hand ---------------------------------------------------------------------------------------
CASES = [  # label_mode, pair_sampling, margin_reduction, n_gen, alpha
    ("conditional", "class_matched", "mean", 1, 200.0),
    ("conditional", "permute", "sum", 2, 0.02),
    ("unlabeled", "independent", "mean", 1, 2.0),
]


@pytest.mark.parametrize("label_mode,pair_sampling,reduction,n_gen,alpha", CASES)
def test_mbgan_step_reproduces_algorithm_1_by_hand(label_mode, pair_sampling, reduction, n_gen, alpha):
    kw = dict(label_mode=label_mode, pair_sampling=pair_sampling, margin_reduction=reduction, n_gen=n_gen,
              alpha=alpha)
    cfg, m = make(**kw)
    _, ref = make(**kw)
    ref.set_weights(m.get_weights())
    # plain SGD, so the weight change is the gradient itself: Adam's first step is ±lr whatever the gradient, and
    # turns round-off in the (theoretically zero) gradients of the conv biases before BN into full steps
    for model in (m, ref):
        model.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    assert (cfg.noise, cfg.clip, m.clip) == ("uniform01", 0.0, 0.0)  # D11; MBGAN mentions no clipping
    x, y = batch()
    anchors_x = batch(seed=9)[0] if pair_sampling == "independent" else None
    G, D = ref.generator, ref.discriminator

    def g_input(z):
        return tf.concat([z, tf.one_hot(y, 10)], 1) if label_mode == "conditional" else z

    # D step: anchors, margin (Eq. 4) and Eq. 1 / Eq. 5 from the public functions; the anchors get their own D call
    z = latent.training_noise(5, 0, 12, 6, "uniform01")
    fake = G(g_input(z), training=True)
    h = losses.mbgan_margin(x, fake, alpha, reduction)
    if anchors_x is None:
        anchors_x = tf.gather(x, anchor_indices(y, [5, latent.PAIR_SALT * (1 << 40)], pair_sampling))
    with tf.GradientTape() as tape:
        f_pos, f_fake = D(x, training=True), D(fake, training=True)
        f_anchor = D(anchors_x, training=True)
        ld = losses.mbgan_discriminator_loss(f_anchor, f_pos, f_fake, h)
    ref.d_optimizer.apply_gradients(zip(tape.gradient(ld, D.trainable_variables), D.trainable_variables))
    # n_gen G steps on Eq. 2 / Eq. 6, each with fresh noise (stream G_STEP_SALT) and the outer x_j, y
    for step in range(n_gen):
        z_g = latent.training_noise(5, step, 12, 6, "uniform01", salt=latent.G_STEP_SALT)
        assert not np.allclose(z_g.numpy(), z.numpy())
        with tf.GradientTape() as tape:
            lg = losses.mbgan_generator_loss(D(x, training=True), D(G(g_input(z_g), training=True), training=True))
        grads = tape.gradient(lg, G.trainable_variables)
        ref.g_optimizer.apply_gradients(zip(grads, G.trainable_variables))

    data = ((x, batch(seed=9)[0]), y) if pair_sampling == "independent" else (x, y)
    logs = m.train_step(data)
    np.testing.assert_allclose(float(logs["d_loss"]), float(ld), rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_loss"]), float(lg), rtol=1e-5)
    np.testing.assert_allclose(float(logs["margin"]), float(tf.reduce_mean(h)), rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_grad_norm"]), float(tf.linalg.global_norm(grads)), rtol=1e-4)
    hinge = losses.mbgan_hinge(f_anchor, f_pos, f_fake, h).numpy()
    assert float(logs["hinge_active"]) == pytest.approx(np.mean(hinge > 0))
    for a, b in zip(m.discriminator.trainable_variables + m.generator.trainable_variables,
                    D.trainable_variables + G.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6, err_msg=a.path)
    assert int(m.g_optimizer.iterations.numpy()) == n_gen and int(m.d_optimizer.iterations.numpy()) == 1


def test_the_margin_decides_whether_d_learns():
    """With α = 0 and a fake far from the anchors the hinge is inactive and D does not move; with the paper's α it
    does (the data-dependent margin is what trains D)."""
    x, y = batch()
    moved = {}
    for alpha in (0.0, 200.0):
        _, m = make(alpha=alpha)
        d0 = [v.numpy().copy() for v in m.discriminator.trainable_variables]
        logs = m.train_step((x, y))
        moved[alpha] = any(not np.array_equal(a, v.numpy()) for a, v in zip(d0, m.discriminator.trainable_variables))
        if alpha == 0.0 and float(logs["hinge_active"]) == 0.0:
            assert not moved[alpha] and float(logs["d_loss"]) == 0.0
    assert moved[200.0]


def test_a_saturated_hinge_makes_alpha_irrelevant():
    """When every triplet's hinge is active (the summed L1 margin at any sizeable α), ∇L_D = ∇(d_pos − d_neg): h
    carries no gradient, so two α give bit-identical updates (the smoke α sweep found this for 'sum', α 2-200)."""
    x, y = batch()
    after = {}
    for alpha in (20.0, 2000.0):
        keras.utils.set_random_seed(3)  # the same initial weights for both
        _, m = make(alpha=alpha, margin_reduction="sum")
        logs = m.train_step((x, y))
        assert float(logs["hinge_active"]) == 1.0
        after[alpha] = [v.numpy() for v in m.discriminator.trainable_variables + m.generator.trainable_variables]
    for a, b in zip(after[20.0], after[2000.0]):
        np.testing.assert_array_equal(a, b)


# ----- presets, flags and the Keras path ---------------------------------------------------------------------------
def test_presets_of_d21_and_d24():
    cfg, m = make((32, 32, 3))
    assert (cfg.layout, cfg.batch_size, cfg.pair_sampling, cfg.alpha, cfg.feature_dim) == (
        "mbgan", 128, "class_matched", 200.0, 8)
    assert m.conditional and m.generator.input.shape[-1] == 16 and m.discriminator.output.shape[-1] == 8
    base = dict(model="mbgan", width=0.0625)
    assert models.resolve(TrainConfig(**base), (32, 32, 3), explicit={"batch_size"}).batch_size == 64
    assert models.resolve(TrainConfig(**base, batch_size=32), (32, 32, 3)).batch_size == 32
    literal = models.resolve(TrainConfig(**base, layout="literal"), (32, 32, 3))  # MBGAN as a DMGAN baseline
    assert literal.batch_size == 64 and literal.feature_dim == 500
    assert models.resolve(TrainConfig(**base), (28, 28, 1)).batch_size == 64  # 'mnist': DMGAN Fig. 3 baseline
    unl = models.resolve(TrainConfig(**base, label_mode="unlabeled"), (64, 64, 3))
    assert (unl.layout, unl.batch_size, unl.pair_sampling) == ("celeba64", 128, "independent")
    assert models.data_split(TrainConfig(**base, dataset="cifar10")) == "train"  # D30: 50,000 for MBGAN
    with pytest.raises(ValueError, match="supports --label_mode conditional | unlabeled"):
        models.resolve(TrainConfig(**base, label_mode="inherit"), SHAPE)
    with pytest.raises(ValueError, match="needs labels"):
        make(label_mode="unlabeled", pair_sampling="class_matched")


@pytest.mark.slow
def test_fit_in_every_pair_sampling_and_clear_errors():
    x, y = (t.numpy() for t in batch(m=16))
    _, cond = make()
    hist = cond.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=0)
    assert int(cond.iteration.numpy()) == 2
    assert set(hist.history) == {"loss", "d_loss", "g_loss", "margin", "d_pos", "d_neg", "hinge_active",
                                 "g_grad_norm"}
    assert all(np.isfinite(v[-1]) for v in hist.history.values())
    _, perm = make(label_mode="unlabeled", pair_sampling="permute")
    perm.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)  # images alone
    _, ind = make(label_mode="unlabeled")
    assert ind.pair_sampling == "independent" and ind.needs_anchor_batches
    pairs = with_anchor_batches(tf.data.Dataset.from_tensor_slices((x, y)).batch(8),
                                tf.data.Dataset.from_tensor_slices((x[::-1], y)).batch(8))
    ind.fit(pairs, epochs=1, verbose=0)
    assert int(perm.iteration.numpy()) == 2 and int(ind.iteration.numpy()) == 2
    with pytest.raises(ValueError, match="second real batch"):
        ind.train_step((tf.constant(x), tf.constant(y)))
    with pytest.raises(ValueError, match="uses class labels"):
        cond.train_step(tf.constant(x))


@pytest.mark.slow
def test_save_and_load_round_trip(tmp_path):
    _, model = make(alpha=20.0, margin_reduction="sum", n_gen=2)
    model.train_step(batch())
    path = str(tmp_path / "mbgan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model) and int(loaded.iteration.numpy()) == 1
    for key, value in dict(alpha=20.0, margin_reduction="sum", n_gen=2, pair_sampling="class_matched").items():
        assert loaded.get_config()[key] == value
    for u, v in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    model.reset_metrics()  # the logs are averages since the last reset; the loaded model starts afresh
    a, b = model.train_step(batch(seed=1)), loaded.train_step(batch(seed=1))
    assert float(a["d_loss"]) == float(b["d_loss"]) and float(a["g_loss"]) == float(b["g_loss"])
    for u, v in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-7)  # same next step: optimizer states were saved


@pytest.mark.slow
def test_runner_trains_unlabeled_independent_mbgan(tmp_path):
    """The runner feeds 'independent' MBGAN a second real batch and records the MBGAN flags in the manifest."""
    out = tmp_path / "run"
    cfg = TrainConfig(model="mbgan", dataset="digits", label_mode="unlabeled", width=0.0625, feature_dim=8, z_dim=6,
                      batch_size=16, steps=2, checkpoint_every=2, sample_every=0, log_every=1, progress=False,
                      out=str(out))
    manifest = runner.train(cfg)
    assert manifest["step"] == 2 and manifest["status"] == "complete"
    recorded = json.load(open(os.path.join(out, "manifest.json")))["config"]
    assert (recorded["pair_sampling"], recorded["alpha"], recorded["margin_reduction"]) == ("independent", 200.0,
                                                                                            "mean")


def test_mbgan_flags_leave_the_runs_of_other_models_alone(tmp_path):
    """The run-store keys of other models ignore MBGAN's flags, and a run recorded before the flags existed resumes
    (a missing field counts as its default); a changed MBGAN flag still refuses to resume."""
    from mgan.errors import RunError
    from mgan.experiments import runs
    from mgan.training import manifest as run_manifest

    key = runs.run_key
    for model, same in (("dmgan", True), ("mbgan", False)):
        base = TrainConfig(model=model, dataset="mnist")
        assert (key(base.replace(alpha=2.0)) == key(base)) is same
    cfg = TrainConfig(model="dmgan", dataset="mnist", out=str(tmp_path))
    old = {k: v for k, v in cfg.to_dict().items() if k not in ("alpha", "margin_reduction", "pair_sampling")}
    (tmp_path / "manifest.json").write_text(json.dumps({"config": old}))
    assert run_manifest.check_resume(str(tmp_path), cfg) is not None
    with pytest.raises(RunError, match="alpha"):
        run_manifest.check_resume(str(tmp_path), cfg.replace(alpha=2.0))
