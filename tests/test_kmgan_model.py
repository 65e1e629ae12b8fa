"""KM-GAN's model (issue 12, work in progress on this branch): the centers start by K-Means++ on the first batch,
step 3 is Sculley's update with the final networks' features, save/load keeps the K-Means state, fit runs."""
import keras
import numpy as np
import tensorflow as tf

import mgan  # noqa: F401
from mgan import kmeans, models
from mgan.config import TrainConfig
from mgan.models.kmgan import KMGAN

SHAPE = (8, 8, 1)


def make(k=3, **kw):
    cfg = models.resolve(TrainConfig(model="dmgan", width=0.0625, feature_dim=6, z_dim=5, conv_impl="keras",
                                     seed=2, label_mode="unlabeled"), SHAPE)
    keras.utils.set_random_seed(2)
    G, D = models._networks(cfg, SHAPE, 10, cfg.feature_dim)
    model = KMGAN(G, D, k=k, num_classes=10, z_dim=cfg.z_dim, noise=cfg.noise, seed=2, clip=0.1, **kw)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4), g_optimizer=keras.optimizers.Adam(2e-4))
    return model


def images(m=12, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, size=(m,) + SHAPE).astype("float32"))


def test_first_step_seeds_the_centers_and_counts_every_feature():
    model = make()
    x = images()
    model.train_step(x)
    assert int(model.centers_started.numpy()) == 1
    assert model.real_counts.numpy().sum() == 12 and model.fake_counts.numpy().sum() == 12
    assert np.all(np.isfinite(model.real_centers.numpy())) and np.abs(model.real_centers.numpy()).sum() > 0


def test_step_three_is_sculleys_update_with_the_final_features():
    model = make()
    x = images()
    model.train_step(x)
    c_r, v_r = model.real_centers.numpy(), model.real_counts.numpy()
    c_f, v_f = model.fake_centers.numpy(), model.fake_counts.numpy()
    model.train_step(x)
    from mgan import latent  # the step's noise is a pure function of (seed, iteration)

    z = latent.training_noise(model.seed, model.iteration - 1, 12, model.z_dim, model.noise)
    f_r, f_f = (t.numpy() for t in model.features(x, z))  # BN in training mode: the step's own features
    want_r, want_vr = kmeans.minibatch_update(c_r, v_r, f_r, kmeans.assign(f_r, c_r))
    want_f, want_vf = kmeans.minibatch_update(c_f, v_f, f_f, kmeans.assign(f_f, c_f))
    np.testing.assert_allclose(model.real_centers.numpy(), want_r.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.fake_centers.numpy(), want_f.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(model.real_counts.numpy(), want_vr.numpy())
    np.testing.assert_array_equal(model.fake_counts.numpy(), want_vf.numpy())


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
