"""KM-GAN's model (METHODS §6.4, reconstructed): the centers start by K-Means++ on the first batch, step 2 is one
SGD step on L_c with the first assignment's sets, step 3 is Sculley's update with the final networks' features (in
pixel space for the reduced variant), save/load and the runner's resume keep the K-Means state; the registry's flags,
defaults and errors; carpedm20's MNIST networks (D25)."""
import json
import os

import keras
import numpy as np
import tensorflow as tf

import pytest

import mgan  # noqa: F401
from mgan import models
from mgan.config import TrainConfig
from mgan.errors import ConfigError
from mgan.experiments import runs
from mgan.models.kmgan import KMEANS_SALT, KMGAN
from mgan.nets import networks
from mgan.objectives import kmeans, losses
from mgan.training import runner

SHAPE = (8, 8, 1)


def make(k=3, adam_lr=2e-4, clip=0.1, **kw):
    cfg = models.resolve(TrainConfig(model="dmgan", width=0.0625, feature_dim=6, z_dim=5, conv_impl="keras",
                                     seed=2, label_mode="unlabeled"), SHAPE)
    keras.utils.set_random_seed(2)
    G, D = models._networks(cfg, SHAPE, 10, cfg.feature_dim)
    model = KMGAN(G, D, k=k, num_classes=10, z_dim=cfg.z_dim, noise=cfg.noise, seed=2, clip=clip, **kw)
    model.compile(d_optimizer=keras.optimizers.Adam(adam_lr), g_optimizer=keras.optimizers.Adam(adam_lr))
    return model


def images(m=12, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, size=(m,) + SHAPE).astype("float32"))


@pytest.mark.slow
def test_first_step_seeds_the_centers_and_counts_every_feature():
    model = make()
    x = images()
    model.train_step(x)
    assert int(model.centers_started.numpy()) == 1
    assert model.real_counts.numpy().sum() == 12 and model.fake_counts.numpy().sum() == 12
    assert np.all(np.isfinite(model.real_centers.numpy())) and np.abs(model.real_centers.numpy()).sum() > 0


@pytest.mark.slow
def test_step_three_is_sculleys_update_with_the_final_features():
    model = make()
    x = images()
    model.train_step(x)
    c_r, v_r = model.real_centers.numpy(), model.real_counts.numpy()
    c_f, v_f = model.fake_centers.numpy(), model.fake_counts.numpy()
    model.train_step(x)
    from mgan.nets import latent  # the step's noise is a pure function of (seed, iteration)

    z = latent.training_noise(model.seed, model.iteration - 1, 12, model.z_dim, model.noise)
    f_r, f_f = (t.numpy() for t in model.features(x, z))  # BN in training mode: the step's own features
    want_r, want_vr = kmeans.minibatch_update(c_r, v_r, f_r, kmeans.assign(f_r, c_r))
    want_f, want_vf = kmeans.minibatch_update(c_f, v_f, f_f, kmeans.assign(f_f, c_f))
    np.testing.assert_allclose(model.real_centers.numpy(), want_r.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.fake_centers.numpy(), want_f.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(model.real_counts.numpy(), want_vr.numpy())
    np.testing.assert_array_equal(model.fake_counts.numpy(), want_vf.numpy())


@pytest.mark.slow
def test_fit_and_save_load_keep_the_kmeans_state(tmp_path):
    model = make(center_loss_form="R2", center_init="kmeanspp")
    history = model.fit(images(48), batch_size=12, epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert all(np.abs(v.numpy()).max() <= 0.1 + 1e-7 for v in model.discriminator.trainable_variables)  # D8
    model.save(tmp_path / "kmgan.keras")
    back = keras.saving.load_model(tmp_path / "kmgan.keras")
    for name in ("real_centers", "fake_centers", "real_counts", "fake_counts", "centers_started"):
        np.testing.assert_array_equal(getattr(back, name).numpy(), getattr(model, name).numpy(), err_msg=name)
    assert back.center_loss_form == "R2" and back.center_init == "kmeanspp"


def trainable(model):
    return [v.numpy().copy() for v in model.discriminator.trainable_variables + model.generator.trainable_variables]


@pytest.mark.parametrize("form", ["R1", "R2"])
def test_step_two_is_one_sgd_step_on_the_center_loss_of_the_first_assignment(form):
    """With Adam at rate 0 (step 1 moves nothing) and no clipping, the first iteration changes the weights by exactly
    -lr · ∇L_c, L_c taken at the initial weights, centers seeded by K-Means++ on the first batch's features."""
    lr = 0.05
    model = make(adam_lr=0.0, clip=0.0, center_loss_form=form, center_sgd_lr=lr, sigma=0.7)
    x = images()
    before = trainable(model)
    z = latent_noise(model, 0)
    variables = model.discriminator.trainable_variables + model.generator.trainable_variables
    with tf.GradientTape() as tape:
        f_r, f_f = model.features(x, z)
        pair = tf.constant([2, KMEANS_SALT], tf.int32)
        centers, _ = kmeans.kmeans_plusplus(f_r, 3, pair)
        c_loss = losses.kmgan_center_loss(f_r, f_f, centers, centers, kmeans.assign(f_r, centers),
                                          kmeans.assign(f_f, centers), 0.7, form, True)
    grads = tape.gradient(c_loss, variables)
    model.train_step(x)
    moved = 0
    for b, g, v in zip(before, grads, variables):
        want = b if g is None else b - lr * g.numpy()
        np.testing.assert_allclose(v.numpy(), want, rtol=1e-4, atol=1e-6, err_msg=v.path)
        moved += int(g is not None and np.abs(g.numpy()).max() > 0)
    assert moved > 4  # both networks move


def latent_noise(model, iteration, m=12):
    from mgan.nets import latent

    return latent.training_noise(model.seed, iteration, m, model.z_dim, model.noise)


@pytest.mark.slow
def test_without_the_center_loss_step_two_changes_nothing():
    """center_sgd_lr 0 (the paper's 'without the center loss') equals R1 with σ 0, whose L_c has no gradient."""
    x = images()
    runs_ = []
    for kw in (dict(center_sgd_lr=0.0), dict(sigma=0.0, center_sgd_lr=0.5)):
        model = make(**kw)
        model.train_step(x)
        model.train_step(x)
        runs_.append(trainable(model))
    for a, b in zip(*runs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with_loss = make(center_sgd_lr=0.5)
    with_loss.train_step(x)
    with_loss.train_step(x)
    assert any(np.abs(a - b).max() > 1e-6 for a, b in zip(runs_[0], trainable(with_loss)))


def test_reduced_kmgan_clusters_pixels_and_moves_feature_centers_with_the_pixel_sets():
    model = make(kmeans_space="pixel")
    x = images()
    model.train_step(x)
    state = {n: getattr(model, n).numpy().copy() for n in ("real_pixel_centers", "fake_pixel_centers", "real_centers",
                                                            "fake_centers", "real_counts", "fake_counts")}
    assert state["real_pixel_centers"].shape == (3, 64) and state["real_counts"].sum() == 12
    model.train_step(x)
    fake, f_r, f_f = (t.numpy() for t in model.forward(x, latent_noise(model, 1)))
    for pts, feats, side in ((x.numpy().reshape(12, -1), f_r, "real"), (fake.reshape(12, -1), f_f, "fake")):
        a = np.argmin(((pts[:, None] - state[f"{side}_pixel_centers"][None]) ** 2).sum(-1), 1)
        counts = state[f"{side}_counts"]
        want_px = np_sculley(state[f"{side}_pixel_centers"], counts, pts, a)
        want_f = np_sculley(state[f"{side}_centers"], counts, feats, a)
        np.testing.assert_allclose(getattr(model, f"{side}_pixel_centers").numpy(), want_px, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(getattr(model, f"{side}_centers").numpy(), want_f, rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(getattr(model, f"{side}_counts").numpy(), counts + np.bincount(a, minlength=3))


def np_sculley(centers, counts, points, a):
    """Sculley 2010, the per-sample loop: v += 1, eta = 1/v, c = (1 - eta) c + eta x."""
    c, v = centers.astype(np.float64).copy(), counts.astype(np.float64).copy()
    for x, k in zip(points, a):
        v[k] += 1
        c[k] = (1 - 1 / v[k]) * c[k] + x / v[k]
    return c


# ----- registry, runner, networks ------------------------------------------------------------------------------------
RUN = dict(model="kmgan", dataset="digits", width=0.0625, feature_dim=8, z_dim=6, batch_size=16, kmeans_k=4,
           checkpoint_every=2, sample_every=0, log_every=1, progress=False, deterministic=True)


@pytest.mark.slow
@pytest.mark.parametrize("space, reassign", [("feature", "none"), ("pixel", "sklearn")])
def test_runner_resume_is_exact_with_the_kmeans_state(tmp_path, space, reassign):
    kw = dict(RUN, kmeans_space=space, center_loss_form="R2", kmeans_reassign=reassign)
    runner.train(TrainConfig(out=str(tmp_path / "a"), steps=4, **kw))
    runner.train(TrainConfig(out=str(tmp_path / "b"), steps=2, **kw))
    manifest = runner.train(TrainConfig(out=str(tmp_path / "b"), steps=4, **kw))
    assert manifest["status"] == "complete" and manifest["config"]["kmeans_space"] == space
    reader = [tf.train.load_checkpoint(str(tmp_path / r / "checkpoints")) for r in ("a", "b")]
    names = ["real_centers", "fake_centers", "real_counts", "fake_counts"] + (
        ["real_pixel_centers", "fake_pixel_centers"] if space == "pixel" else []) + (
        ["real_since_reassign", "fake_since_reassign"] if reassign == "sklearn" else [])
    for name in names:
        key = f"model/{name}/.ATTRIBUTES/VARIABLE_VALUE"
        np.testing.assert_array_equal(reader[0].get_tensor(key), reader[1].get_tensor(key), err_msg=name)
    if reassign == "none":  # (reassigned centers take the smallest kept count: the sum is not the points seen)
        assert reader[0].get_tensor("model/real_counts/.ATTRIBUTES/VARIABLE_VALUE").sum() == 4 * 16
    ga, gb = (keras.saving.load_model(str(tmp_path / r / "generator.keras"), compile=False) for r in ("a", "b"))
    for u, v in zip(ga.get_weights(), gb.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    lines = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert {"center_loss", "real_cost", "fake_cost", "real_classes", "fake_classes"} <= set(lines[0])
    assert all(1 <= r["real_classes"] <= 4 and 1 <= r["fake_classes"] <= 4 for r in lines)


def test_registry_defaults_and_keys():
    cfg = models.resolve(TrainConfig(model="kmgan", dataset="mnist"), (28, 28, 1))
    assert (cfg.noise, cfg.clip, cfg.label_mode, cfg.lr, cfg.adam_betas, cfg.layout) == (
        "uniform01", 0.1, "unlabeled", 2e-4, "0.5,0.999", "mnist")  # D27 placeholders, D25 backbone
    assert models.data_split(cfg) == "train+test"  # §6.7: all 70,000 MNIST images
    base = TrainConfig(model="kmgan", dataset="mnist")
    assert runs.run_key(base.replace(kmeans_space="pixel")) != runs.run_key(base)
    assert runs.run_key(base.replace(sigma=0.25)) != runs.run_key(base)
    dcgan = TrainConfig(model="dcgan", dataset="mnist")
    assert "sigma" not in runs.canonical_config(dcgan) and "kmeans_k" not in runs.canonical_config(dcgan)


@pytest.mark.parametrize("kw, match", [
    (dict(model="dmgan", sigma=0.2), "--sigma applies to --model=kmgan only"),
    (dict(model="kmgan", kmeans_k=100), "--kmeans_k=100 needs batches of at least K"),
    (dict(model="kmgan", kmgan_arch="dcgan_tf1_mnist", layout="mnist"), "remove --layout=mnist"),
    (dict(model="kmgan", label_mode="conditional"), "supports --label_mode unlabeled"),
])
def test_registry_errors_name_the_flag(kw, match):
    cfg = TrainConfig(dataset="mnist", **kw)
    with pytest.raises((ValueError, ConfigError), match=match):
        models.resolve(cfg, (28, 28, 1), explicit=set(kw))


@pytest.mark.slow
def test_carpedm20_mnist_networks_have_the_codes_layers():
    cfg = models.resolve(TrainConfig(model="kmgan", dataset="mnist", kmgan_arch="dcgan_tf1_mnist"), (28, 28, 1))
    assert cfg.layout == "dcgan_tf1_mnist"
    G = networks.build_generator(cfg, (28, 28, 1))
    D = networks.build_discriminator(cfg, (28, 28, 1), 500)
    g_want = (100 * 1024 + 1024 + 2 * 1024 + 1024 * 6272 + 6272 + 2 * 6272 + 25 * 128 * 128 + 128 + 2 * 128
              + 25 * 128 + 1)
    d_want = 25 * 11 + 11 + 25 * 11 * 74 + 74 + 2 * 74 + 7 * 7 * 74 * 1024 + 1024 + 2 * 1024 + 1024 * 500 + 500
    count = lambda m: sum(int(np.prod(v.shape)) for v in m.trainable_variables)  # noqa: E731
    assert (count(G), count(D)) == (g_want, d_want)
    assert G.output.shape[1:] == (28, 28, 1) and D.output.shape[1:] == (500,)
    with pytest.raises(ValueError, match="28x28x1"):
        networks.check_layout("dcgan_tf1_mnist", (32, 32, 3))


def test_distinct_class_count_of_the_collapse_aid():
    from mgan.models.kmgan import _distinct

    assert float(_distinct(tf.constant([0, 0, 2, 2, 2]), 4)) == 2.0
    assert float(_distinct(tf.constant([3, 1, 0, 2]), 4)) == 4.0


@pytest.mark.slow
def test_sklearn_reassignment_revives_dead_centers_in_the_model():
    """A center no feature reaches keeps count 0 under Sculley's rule; with the reassignment it is moved to a batch
    point (so it holds a real feature) and counted."""
    x = images()
    plain, revived = make(k=3), make(k=3, kmeans_reassign="sklearn")
    for model in (plain, revived):
        model.train_step(x)
        model.real_centers.assign(tf.concat([model.real_centers[:2], tf.fill([1, 6], 1e3)], 0))  # unreachable
        model.real_counts.assign([6.0, 6.0, 0.0])
        model.train_step(x)
    assert plain.real_counts.numpy()[2] == 0 and plain.real_centers.numpy()[2, 0] == 1e3
    assert revived.real_counts.numpy()[2] > 0 and np.abs(revived.real_centers.numpy()[2]).max() < 1e3
    assert int(revived.real_since_reassign.numpy()) == 0  # a zero count made it due, and the count restarts
