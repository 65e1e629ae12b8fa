"""A few train steps of every model in every label mode on tiny data: shapes, centers, clipping, losses; one DMGAN
and one DCGAN iteration against a hand computation with the public functions."""
import math

import numpy as np
import pytest
import tensorflow as tf

from mgan import models
from mgan.config import TrainConfig
from mgan.objectives import centers, losses


def tiny_cfg(model, **kw):
    base = dict(model=model, width=0.0625, feature_dim=8, z_dim=6, conv_impl="keras")
    base.update(kw)
    return TrainConfig(**base)


def make(model, shape=(8, 8, 1), num_classes=10, **kw):
    cfg = models.resolve(tiny_cfg(model, **kw), shape)
    return cfg, models.build_model(cfg, shape, num_classes)


def batch(shape, m=12, num_classes=10, seed=0):
    """A training batch (x, y); the model draws the noise itself."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(m,) + shape).astype("float32")
    y = rng.integers(0, num_classes, size=m).astype("int32")
    return tf.constant(x), tf.constant(y)


@pytest.mark.parametrize("model", ["dmgan", "wadmgan", "dmgan_f"])
@pytest.mark.parametrize("label_mode", ["conditional", "inherit", "single_fake_center", "unlabeled"])
def test_dmgan_family_steps_in_every_label_mode(model, label_mode):
    shape = (8, 8, 1)
    cfg, m = make(model, shape, label_mode=label_mode)
    k_real = 1 if label_mode == "unlabeled" else 10
    k_fake = 1 if label_mode in ("unlabeled", "single_fake_center") else 10
    assert tuple(m.real_centers.shape) == (k_real, 8) and tuple(m.fake_centers.shape) == (k_fake, 8)
    assert m.conditional == (label_mode == "conditional")
    assert m.generator.input.shape[-1] == 6 + (10 if label_mode == "conditional" else 0)
    g0 = [v.numpy().copy() for v in m.generator.trainable_variables]
    for i in range(3):
        logs = m.train_step(batch(shape, seed=i))
    assert int(m.iteration.numpy()) == 3
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert set(logs) == {"loss", "d_loss", "g_loss", "l_ip", "l_d", "real_center_norm", "fake_center_norm", "w_max"}
    assert any(not np.array_equal(a, b.numpy()) for a, b in zip(g0, m.generator.trainable_variables))
    moved = float(tf.reduce_sum(tf.abs(m.real_centers)))
    if model == "dmgan_f":
        assert moved == 0.0 and m.gamma == 0.0
    else:
        assert moved > 0.0
    assert m.weight_adaption == (model == "wadmgan")
    if model == "wadmgan":  # Eq. 7: the pair with the smallest L1 gap (<= the mean gap) gets w >= e
        assert float(logs["w_max"]) >= math.e * (1 - 1e-6)
    else:
        assert float(logs["w_max"]) == 1.0
    # clipping (D8): every trainable D variable is within [-0.1, 0.1] after the D step
    assert max(float(tf.reduce_max(tf.abs(v))) for v in m.discriminator.trainable_variables) <= 0.1 + 1e-7


def _features(D, x, fake, d_batches):
    if d_batches == "joint":  # D13 alternative: one call, one BN batch of 2m
        f = D(tf.concat([x, fake], 0), training=True)
        return f[:len(x)], f[len(x):]
    return D(x, training=True), D(fake, training=True)


@pytest.mark.parametrize("model,ip_norm,d_batches,wa_normalize", [
    ("dmgan", "squared", "separate", False), ("dmgan", "plain", "separate", False),
    ("dmgan", "squared", "joint", False), ("wadmgan", "squared", "separate", True),
    ("wadmgan", "plain", "separate", False)])
def test_dmgan_step_reproduces_the_paper_update_by_hand(model, ip_norm, d_batches, wa_normalize):
    """One DMGAN iteration equals Algorithm 1 (2) computed step by step with the public functions."""
    shape = (8, 8, 1)
    kw = dict(label_mode="conditional", gamma=0.5, lam=1.3, ip_norm=ip_norm, d_batches=d_batches,
              wa_normalize=wa_normalize)
    cfg, m = make(model, shape, **kw)
    _, ref = make(model, shape, **kw)
    ref.set_weights(m.get_weights())
    x, y = batch(shape)
    # the noise of iteration 0, drawn here as documented (METHODS D11: U(0, 1); mgan.nets.latent: seed pair
    # (seed, 2**40 + iteration)) so that the losses below also check that train_step draws this noise
    assert cfg.noise == "uniform01"
    z = tf.random.stateless_uniform([len(x), cfg.z_dim], seed=[cfg.seed, 1 << 40], minval=0.0, maxval=1.0)
    m.real_centers.assign(tf.random.normal(m.real_centers.shape, seed=1))
    ref.real_centers.assign(m.real_centers)
    # reference by hand, with its own Adam optimizers built identically
    G, D = ref.generator, ref.discriminator
    g_in = tf.concat([z, tf.one_hot(y, 10)], 1)
    with tf.GradientTape(persistent=True) as tape:
        fake = G(g_in, training=True)
        fr, ff = _features(D, x, fake, d_batches)
        w = losses.adaptive_weights(x, fake, normalize=wa_normalize) if model == "wadmgan" else None
        ld = losses.dmgan_discriminator_loss(fr, ff, tf.gather(ref.real_centers, y), tf.gather(ref.fake_centers, y),
                                             1.3, weights=w, ip_norm=ip_norm)
    ref.d_optimizer.apply_gradients(zip(tape.gradient(ld, D.trainable_variables), D.trainable_variables))
    for v in D.trainable_variables:
        v.assign(tf.clip_by_value(v, -0.1, 0.1))
    with tape:
        lg = losses.dmgan_generator_loss(*_features(D, x, fake, d_batches))
    ref.g_optimizer.apply_gradients(zip(tape.gradient(lg, G.trainable_variables), G.trainable_variables))
    new_real = centers.update_centers(ref.real_centers, fr, y, 0.5)
    new_fake = centers.update_centers(ref.fake_centers, ff, y, 0.5)

    logs = m.train_step((x, y))
    if w is not None:
        np.testing.assert_allclose(float(logs["w_max"]), float(tf.reduce_max(w)), rtol=1e-5)
    np.testing.assert_allclose(float(logs["d_loss"]), float(ld), rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_loss"]), float(lg), rtol=1e-5)
    np.testing.assert_allclose(m.real_centers.numpy(), new_real.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m.fake_centers.numpy(), new_fake.numpy(), rtol=1e-4, atol=1e-6)
    for a, b in zip(m.generator.trainable_variables, G.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("label_mode", ["unlabeled", "conditional"])
def test_dcgan_step_reproduces_the_update_by_hand(label_mode):
    """One DCGAN iteration: a D step on (x, G(z)), then n_gen = 2 G steps, each with a fresh G forward pass; the
    conditional D sees the labels (constant one-hot maps)."""
    shape, n_gen, conditional = (8, 8, 1), 2, label_mode == "conditional"
    cfg, m = make("dcgan", shape, label_mode=label_mode, n_gen=n_gen)
    _, ref = make("dcgan", shape, label_mode=label_mode, n_gen=n_gen)
    ref.set_weights(m.get_weights())
    assert cfg.noise == "uniform11" and cfg.clip == 0.0
    x, y = batch(shape)
    z = m.iteration_noise(len(x))
    G, D = ref.generator, ref.discriminator

    def disc(images, labels=y):
        return D([images, tf.one_hot(labels, 10)], training=True) if conditional else D(images, training=True)

    g_in = tf.concat([z, tf.one_hot(y, 10)], 1) if conditional else z
    with tf.GradientTape() as tape:
        real_logits, fake_logits = disc(x), disc(G(g_in, training=True))
        ld = losses.dcgan_discriminator_loss(real_logits, fake_logits)
    ref.d_optimizer.apply_gradients(zip(tape.gradient(ld, D.trainable_variables), D.trainable_variables))
    g_after = []
    for _ in range(n_gen):
        with tf.GradientTape() as tape:
            lg = losses.dcgan_generator_loss(disc(G(g_in, training=True)))
        ref.g_optimizer.apply_gradients(zip(tape.gradient(lg, G.trainable_variables), G.trainable_variables))
        g_after.append([v.numpy().copy() for v in G.trainable_variables])

    logs = m.train_step((x, y))
    np.testing.assert_allclose(float(logs["d_loss"]), float(ld), rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_loss"]), float(lg), rtol=1e-5)
    np.testing.assert_allclose(float(logs["d_real"]), float(tf.reduce_mean(tf.sigmoid(real_logits))), rtol=1e-5)
    np.testing.assert_allclose(float(logs["d_fake"]), float(tf.reduce_mean(tf.sigmoid(fake_logits))), rtol=1e-5)
    for a, b in zip(m.discriminator.trainable_variables, D.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    for a, b in zip(m.generator.trainable_variables, g_after[-1]):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-4, atol=1e-6)
    # n_gen really runs n G steps: the model's G is the one after the second step, not after the first
    assert int(m.g_optimizer.iterations.numpy()) == n_gen and int(m.d_optimizer.iterations.numpy()) == 1
    assert any(not np.allclose(a.numpy(), b, rtol=1e-4, atol=1e-6)
               for a, b in zip(m.generator.trainable_variables, g_after[0]))
    if conditional:  # the conditional D really uses the labels: other labels give other logits
        assert m.discriminator.input_shape[1] == (None, 10)
        assert not np.allclose(disc(x).numpy(), disc(x, (y + 1) % 10).numpy(), atol=1e-6)


def test_literal_layout_step_on_cifar_shape():
    shape = (32, 32, 3)
    cfg, m = make("wadmgan", shape)
    assert cfg.layout == "literal"
    logs = m.train_step(batch(shape, m=4))
    assert np.isfinite(float(logs["d_loss"]))


def test_presets_and_bad_values():
    cfg = models.resolve(tiny_cfg("dmgan_f", gamma=1.0), (8, 8, 1))
    assert cfg.gamma == 0.0
    with pytest.raises(ValueError, match="fixes gamma"):
        models.resolve(tiny_cfg("dmgan_f", gamma=1.0), (8, 8, 1), explicit={"gamma"})
    with pytest.raises(ValueError, match="valid models"):
        models.resolve(tiny_cfg("nogan"), (8, 8, 1))
    cfg = models.resolve(tiny_cfg("dmgan"), (8, 8, 1))
    assert (cfg.noise, cfg.label_mode, cfg.clip) == ("uniform01", "conditional", 0.1)
    with pytest.raises(ValueError, match="labelled"):
        models.build_model(cfg, (8, 8, 1), num_classes=1)
    with pytest.raises(ValueError, match="--n_gen applies to"):  # KM-GAN has no n_gen (the DMGAN family has, D37)
        models.resolve(tiny_cfg("kmgan", n_gen=2), (8, 8, 1), explicit={"n_gen"})
    with pytest.raises(ValueError, match="supports --label_mode unlabeled | conditional"):
        models.resolve(tiny_cfg("dcgan", label_mode="inherit"), (8, 8, 1))
    assert models.data_split(tiny_cfg("dcgan", dataset="cifar10")) == "train+test"  # D30, DMGAN paper protocol
    assert models.data_split(tiny_cfg("dmgan", dataset="mnist")) == "train"


def test_clip_scope_kernels_leaves_bn_scale():
    shape = (8, 8, 1)
    cfg, m = make("dmgan", shape, clip_scope="kernels")
    m.train_step(batch(shape))
    gammas = [v for v in m.discriminator.trainable_variables if v.path.endswith("gamma")]
    assert gammas and max(float(tf.reduce_max(v)) for v in gammas) > 0.5


@pytest.mark.parametrize("shape", [(32, 32, 3), (28, 28, 1)])
def test_fast_layers_give_the_same_training_step_as_plain_keras(shape):
    """conv_impl='fast' (the default) computes the same iteration as the plain Keras layers: losses and weights."""
    _, plain = make("wadmgan", shape, conv_impl="keras")
    _, fast = make("wadmgan", shape, conv_impl="fast")
    assert [v.path for v in plain.generator.weights] == [v.path for v in fast.generator.weights]
    fast.set_weights(plain.get_weights())
    # plain SGD, so that the weight change is the gradient itself (Adam's first step is ±lr whatever the gradient)
    import keras
    for mdl in (plain, fast):
        mdl.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    data = batch(shape, m=8)
    lp, lf = plain.train_step(data), fast.train_step(data)
    for k in ("d_loss", "g_loss", "l_ip", "w_max"):
        np.testing.assert_allclose(float(lf[k]), float(lp[k]), rtol=1e-4)
    for a, b in zip(plain.generator.trainable_variables + plain.discriminator.trainable_variables,
                    fast.generator.trainable_variables + fast.discriminator.trainable_variables):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-3, atol=1e-5, err_msg=a.path)
    np.testing.assert_allclose(fast.real_centers.numpy(), plain.real_centers.numpy(), rtol=1e-3, atol=1e-5)
