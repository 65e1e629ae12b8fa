"""The baselines of METHODS §9 (issue 11): WGAN (critic schedule, clipping before each critic step, one iteration by
hand), WGAN-GP (the gradient penalty against closed forms, one iteration by hand), SAGAN (hinge loss, self-attention
against NumPy, spectral normalization), their registry defaults and flags, the run keys of the other models, and
fit / save / resume through Keras and the runner."""
import json
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import mgan  # noqa: F401  (registers the serializable classes)
from mgan import models
from mgan import config as config_lib
from mgan.config import TrainConfig, validate
from mgan.errors import ConfigError
from mgan.models.wgan import critic_fit_batches, critic_steps, critic_steps_before
from mgan.nets import latent, networks
from mgan.nets.layers import SelfAttention
from mgan.objectives import losses
from mgan.training import runner, timing

SHAPE = (8, 8, 1)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.filterwarnings("ignore:`shuffle=True` was passed")


def make(model, shape=SHAPE, **kw):
    base = dict(width=0.0625, z_dim=6, conv_impl="keras", seed=5)
    if model == "sagan" and shape == SHAPE:
        base["attn_res"] = 4  # the 8x8 'digits8' networks have no 16x16 feature map
    cfg = models.resolve(TrainConfig(model=model, **{**base, **kw}), shape)
    return cfg, models.build_model(cfg, shape, 10)


def images(m=8, k=None, seed=0, shape=SHAPE):
    lead = (m,) if k is None else (k, m)
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, size=lead + shape).astype("float32"))


def assert_close_variables(a, b, rtol=1e-4, atol=1e-6):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=rtol, atol=atol, err_msg=u.path)


# ----- WGAN: schedule and critic batches ---------------------------------------------------------------------------
def test_wgan_critic_schedule_of_the_reference_code():
    expected = [100] * 25 + [5] * 475 + [100] + [5] * 499 + [100, 5]
    assert [critic_steps(t) for t in range(len(expected))] == expected
    np.testing.assert_array_equal(critic_steps(tf.range(len(expected), dtype=tf.int64)).numpy(), expected)
    assert critic_steps(7, n_critic=5, burst_first=0, burst_every=0) == 5  # WGAN-GP: no bursts
    for schedule in ({}, dict(n_critic=2, burst_steps=3, burst_first=2, burst_every=5),
                     dict(burst_first=0, burst_every=0), dict(burst_first=30, burst_every=7)):
        totals = np.concatenate([[0], np.cumsum([critic_steps(t, **schedule) for t in range(1100)])])
        assert [critic_steps_before(t, **schedule) for t in range(1101)] == list(totals)


def numbered_batches(start):
    """Real batches whose every value is the batch's index j in the critic's stream."""
    return tf.data.Dataset.counter(start).map(
        lambda j: (tf.fill([2, 1, 1, 1], tf.cast(j, tf.float32)), tf.fill([2], tf.cast(j, tf.int32))))


def test_critic_fit_batches_give_each_critic_step_its_own_batch_and_resume():
    schedule = dict(n_critic=2, burst_steps=3, burst_first=2, burst_every=5)
    full = list(critic_fit_batches(numbered_batches(0), 0, **schedule).take(12))
    j = 0
    for t, (x, y) in enumerate(full):
        k = critic_steps(t, **schedule)
        assert tuple(x.shape) == (k, 2, 1, 1, 1) and tuple(y.shape) == (k, 2)
        np.testing.assert_array_equal(x.numpy()[:, 0, 0, 0, 0], np.arange(j, j + k))
        j += k
    resumed = critic_fit_batches(numbered_batches(critic_steps_before(7, **schedule)), 7, **schedule)
    for (a, _), (b, _) in zip(full[7:], resumed.take(5), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.slow
def test_one_train_step_runs_the_scheduled_number_of_critic_steps():
    schedule = dict(n_critic=2, critic_burst_steps=4, critic_burst_first=1, critic_burst_every=3)
    _, m = make("wgan", **schedule)
    step = tf.function(m.train_step)
    x = images(k=3)  # fewer batches than a burst iteration needs: the critic steps cycle through them
    for t in range(5):
        before = int(m.d_optimizer.iterations.numpy())
        step(x)
        assert int(m.d_optimizer.iterations.numpy()) - before == critic_steps(
            t, n_critic=2, burst_steps=4, burst_first=1, burst_every=3)
        assert int(m.g_optimizer.iterations.numpy()) == t + 1 and int(m.iteration.numpy()) == t + 1
    _, m = make("wgan")  # the reference schedule at its boundary, on a plain [B, ...] batch
    step = tf.function(m.train_step)
    for t, steps in ((24, 100), (25, 5), (500, 100)):
        m.iteration.assign(t)
        before = int(m.d_optimizer.iterations.numpy())
        logs = step(images())
        assert int(m.d_optimizer.iterations.numpy()) - before == steps
    assert np.isfinite(float(logs["d_loss"]))


# ----- WGAN: one iteration by hand ---------------------------------------------------------------------------------
def test_wgan_iteration_by_hand_clips_before_the_critic_step():
    """Clip, critic step, generator step against the unclipped critic (the reference order, D8)."""
    kw = dict(n_critic=1, critic_burst_first=0, critic_burst_every=0)
    _, m = make("wgan", **kw)
    _, ref = make("wgan", **kw)
    for v in m.discriminator.trainable_variables:  # start far outside the clipping box
        v.assign(10.0 * v + 0.05)
    ref.set_weights(m.get_weights())
    for model in (m, ref):  # plain SGD: the weight change is the gradient itself
        model.compile(d_optimizer=keras.optimizers.SGD(100.0), g_optimizer=keras.optimizers.SGD(0.1))
    D, G = ref.discriminator, ref.generator
    x = images(k=1)
    for v in D.trainable_variables:
        v.assign(tf.clip_by_value(v, -0.01, 0.01))
    fake = G(latent.training_noise(5, 0, 8, 6, "normal", salt=latent.CRITIC_SALT), training=True)
    with tf.GradientTape() as tape:
        ld = losses.wgan_critic_loss(D(x[0], training=True), D(fake, training=True))
    ref.d_optimizer.apply_gradients(zip(tape.gradient(ld, D.trainable_variables), D.trainable_variables))
    z_g = latent.training_noise(5, 0, 8, 6, "normal", salt=latent.G_STEP_SALT)
    with tf.GradientTape() as tape:
        lg = losses.wgan_generator_loss(D(G(z_g, training=True), training=True))
    ref.g_optimizer.apply_gradients(zip(tape.gradient(lg, G.trainable_variables), G.trainable_variables))

    logs = m.train_step(x)
    np.testing.assert_allclose(float(logs["d_loss"]), float(ld), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(float(logs["w_distance"]), -float(ld), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(float(logs["g_loss"]), float(lg), rtol=1e-5, atol=1e-9)
    assert float(logs["gp"]) == 0.0 and float(logs["critic_steps"]) == 1.0
    assert_close_variables(m.discriminator.trainable_variables, D.trainable_variables)
    assert_close_variables(m.generator.trainable_variables, G.trainable_variables)
    # the step started inside the box and left it: the generator step saw the unclipped critic
    assert max(float(tf.reduce_max(tf.abs(v))) for v in m.discriminator.trainable_variables) > 0.01


def test_wgan_gp_iteration_by_hand():
    _, m = make("wgan_gp", n_critic=1)
    _, ref = make("wgan_gp", n_critic=1)
    ref.set_weights(m.get_weights())
    for model in (m, ref):
        model.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    D, G = ref.discriminator, ref.generator
    x = images(k=1)
    fake = G(latent.training_noise(5, 0, 8, 6, "normal", salt=latent.CRITIC_SALT), training=True)
    alpha = tf.random.stateless_uniform([8], [5, latent.GP_SALT * (1 << 40)])
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(lambda v: D(v, training=True), x[0], fake, alpha)
        ld = losses.wgan_critic_loss(D(x[0], training=True), D(fake, training=True)) + 10.0 * gp
    ref.d_optimizer.apply_gradients(zip(tape.gradient(ld, D.trainable_variables), D.trainable_variables))
    logs = m.train_step(x)
    np.testing.assert_allclose(float(logs["d_loss"]), float(ld), rtol=1e-5)
    np.testing.assert_allclose(float(logs["gp"]), float(gp), rtol=1e-5)
    assert_close_variables(m.discriminator.trainable_variables, D.trainable_variables)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in m.discriminator.layers)


# ----- losses ------------------------------------------------------------------------------------------------------
def test_wgan_and_hinge_losses_against_numpy():
    rng = np.random.default_rng(3)
    real, fake, w = rng.normal(size=7), rng.normal(size=7) * 2, rng.uniform(size=7)
    for shape in ((7,), (7, 1)):
        r, f = real.reshape(shape).astype("float32"), fake.reshape(shape).astype("float32")
        np.testing.assert_allclose(float(losses.wgan_critic_loss(r, f)), fake.mean() - real.mean(), rtol=1e-5)
        np.testing.assert_allclose(float(losses.wgan_generator_loss(f)), -fake.mean(), rtol=1e-5)
        hinge = np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean()
        np.testing.assert_allclose(float(losses.hinge_discriminator_loss(r, f)), hinge, rtol=1e-5)
    weighted = np.mean(w * np.maximum(0, 1 - real)) + np.mean(w * np.maximum(0, 1 + fake))
    np.testing.assert_allclose(float(losses.hinge_discriminator_loss(real, fake, w)), weighted, rtol=1e-5)
    np.testing.assert_allclose(float(losses.wgan_critic_loss(real, fake, w)), np.mean(w * fake) - np.mean(w * real),
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"shape \[m\] or \[m, 1\]"):
        losses.wgan_critic_loss(np.zeros((7, 2)), np.zeros(7))


def test_gradient_penalty_of_a_linear_critic_is_the_norm_of_its_weights():
    rng = np.random.default_rng(0)
    w = tf.Variable(rng.normal(size=(4, 4, 2)).astype("float32"))
    real, fake = (rng.normal(size=(5, 4, 4, 2)).astype("float32") for _ in range(2))
    alpha = rng.uniform(size=5).astype("float32")
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(lambda v: tf.reduce_sum(v * w, axis=[1, 2, 3]), real, fake, alpha)
    norm = np.sqrt(np.sum(w.numpy().astype(np.float64) ** 2) + 1e-12)  # ∇_x̂ Σ w·x̂ = w for every x̂
    np.testing.assert_allclose(float(gp), (norm - 1) ** 2, rtol=1e-5)
    grad = tape.gradient(gp, w)
    assert grad is not None
    np.testing.assert_allclose(grad.numpy(), 2 * (norm - 1) * w.numpy() / norm, rtol=1e-4, atol=1e-6)


def test_gradient_penalty_of_a_quadratic_critic_and_its_shape_checks():
    rng = np.random.default_rng(1)
    c = tf.Variable(0.7)
    real, fake = (rng.normal(size=(6, 3, 3, 1)).astype("float32") for _ in range(2))
    alpha = rng.uniform(size=6).astype("float32")
    with tf.GradientTape() as tape:  # f(x) = c/2 ||x||², ∇ = c x̂, ||∇|| = c ||x̂||; scores of shape [m, 1]
        gp = losses.gradient_penalty(lambda v: 0.5 * c * tf.reduce_sum(v ** 2, axis=[1, 2, 3])[:, None], real, fake,
                                     alpha)
    x_hat = alpha[:, None, None, None] * real + (1 - alpha[:, None, None, None]) * fake
    n = np.sqrt(np.sum(x_hat.astype(np.float64) ** 2, axis=(1, 2, 3)))
    np.testing.assert_allclose(float(gp), np.mean((0.7 * n - 1) ** 2), rtol=1e-5)
    np.testing.assert_allclose(float(tape.gradient(gp, c)), np.mean(2 * (0.7 * n - 1) * n), rtol=1e-4)
    with pytest.raises(ValueError, match="one mixing weight per example"):
        losses.gradient_penalty(lambda v: v, real, fake, alpha[:, None])
    with pytest.raises(ValueError, match="same shape"):
        losses.gradient_penalty(lambda v: v, real, fake[:5], alpha)


def test_gradient_penalty_flows_to_the_critic_weights_through_the_fast_convolutions():
    """The penalty differentiates D's input gradient w.r.t. its weights: the fast layers give the same values."""
    results = []
    for impl in ("keras", "fast"):
        keras.utils.set_random_seed(0)
        cfg = models.resolve(TrainConfig(model="wgan_gp", width=0.125, conv_impl=impl), SHAPE)
        D = networks.build_discriminator(cfg, SHAPE, 1, norm="none")
        real, fake = images(6), images(6, seed=1)
        with tf.GradientTape() as tape:
            gp = losses.gradient_penalty(lambda v: D(v, training=True), real, fake, tf.linspace(0.0, 1.0, 6))
        grads = tape.gradient(gp, D.trainable_variables)
        kernels = [g for g, v in zip(grads, D.trainable_variables) if v.path.endswith("kernel")]
        assert all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in kernels)
        results.append((float(gp), [g.numpy() for g in kernels]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)


# ----- SAGAN: self-attention and spectral normalization -------------------------------------------------------------
def attention_numpy(x, layer, gamma):
    """SAGAN Eqs. 1-3 in NumPy: β_j,i = softmax_i(f(x_i)·g(x_j)), o_j = Σ_i β_j,i h(x_i), y = γ o + x."""
    b, hgt, wid, c = x.shape
    flat = x.reshape(b, hgt * wid, c).astype(np.float64)

    def conv(sub):
        inner = sub.layer if isinstance(sub, keras.layers.SpectralNormalization) else sub
        return flat @ inner.kernel.numpy()[0, 0] + inner.bias.numpy()

    f, g, h = conv(layer.f), conv(layer.g), conv(layer.h)
    s = np.einsum("bic,bjc->bji", f, g)
    beta = np.exp(s - s.max(-1, keepdims=True))
    beta /= beta.sum(-1, keepdims=True)
    return gamma * np.einsum("bji,bic->bjc", beta, h).reshape(x.shape) + x


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_self_attention_is_the_identity_at_init_and_matches_numpy(spectral_norm):
    x = np.random.default_rng(0).normal(size=(2, 4, 3, 16)).astype("float32")
    layer = SelfAttention(spectral_norm=spectral_norm)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # γ = 0
    assert layer.key_channels == 2 and float(layer.gamma.numpy()) == 0.0 and layer.gamma.trainable
    layer.gamma.assign(0.7)
    np.testing.assert_allclose(layer(x).numpy(), attention_numpy(x, layer, 0.7), rtol=1e-4, atol=1e-5)
    clone = SelfAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer)).spectral_norm is \
        spectral_norm


def spectral_wrappers(model):
    out = []
    for net in (model.generator, model.discriminator):
        for layer in net.layers:
            if isinstance(layer, keras.layers.SpectralNormalization):
                out.append(layer)
            elif isinstance(layer, SelfAttention):
                out += [layer.f, layer.g, layer.h]
    return out


@pytest.mark.slow
def test_spectral_normalization_makes_the_largest_singular_value_one():
    _, m = make("sagan")
    wrappers = spectral_wrappers(m)
    assert len(wrappers) == 4 + 4 + 2 * 3  # G: project + 3 UpConvs; D: 3 convs + head; f, g, h of both blocks
    x, z = images(16), tf.random.normal([16, 6])
    for _ in range(40):  # each training-mode call runs one power iteration and stores W / σ(W)
        m.discriminator(x, training=True)
        m.generator(z, training=True)
    for w in wrappers:
        kernel = w.layer.kernel.numpy()
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert sigma == pytest.approx(1.0, abs=1e-2), w.name


@pytest.mark.slow
def test_sagan_networks_and_training():
    cfg, m = make("sagan")
    assert [type(layer).__name__ for layer in m.discriminator.layers].count("SelfAttention") == 1
    assert [type(layer).__name__ for layer in m.generator.layers].count("SelfAttention") == 1
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in m.discriminator.layers)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in m.generator.layers)
    x = images(16).numpy()
    hist = m.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)
    assert int(m.iteration.numpy()) == 2 and int(m.d_optimizer.iterations.numpy()) == 2
    assert all(np.isfinite(v[-1]) for v in hist.history.values())
    assert set(hist.history) == {"loss", "d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "attn_gamma_g",
                                 "attn_gamma_d"}
    assert hist.history["attn_gamma_d"][-1] != 0.0  # γ learns


# ----- registry and flags ------------------------------------------------------------------------------------------
def spec_rows():
    """The baseline rows of the method specification's table (docs/METHODS.md §9), the source the registry's
    defaults must follow: {name: row text}."""
    text = open(os.path.join(REPO, "docs", "METHODS.md"), encoding="utf-8").read()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| \*\*(DCGAN|WGAN|WGAN-GP|SAGAN)\*\* \|", line)
        if m:
            rows[m.group(1)] = line
    assert set(rows) == {"DCGAN", "WGAN", "WGAN-GP", "SAGAN"}
    return rows


def number(pattern, row):
    m = re.search(pattern, row)
    assert m, (pattern, row)
    return [float(g) for g in m.groups()]


def torch_rmsprop(theta, grads, lr, alpha=0.99, eps=1e-8):
    """torch.optim.RMSprop's update (martinarjovsky/WassersteinGAN's optimizer), written from its documentation."""
    v = np.zeros_like(theta)
    for g in grads:
        v = alpha * v + (1 - alpha) * g * g
        theta = theta - lr * g / (np.sqrt(v) + eps)
    return theta


def numpy_adam(theta, grads, lr, b1, b2, eps):
    """Adam (Kingma & Ba, Algorithm 1 with the step size folded as at the end of their §2, ε outside the root)."""
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, 1):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        theta = theta - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    return theta


def steps_of(optimizer, grads, theta0):
    """``theta0`` after one step per gradient by a fresh optimizer with ``optimizer``'s settings (the model's own is
    built for its networks' variables)."""
    optimizer, var = type(optimizer).from_config(optimizer.get_config()), tf.Variable(theta0)
    for g in grads:
        optimizer.apply_gradients([(tf.constant(g), var)])
    return var.numpy()


def test_registry_defaults_of_the_baselines_follow_the_specification():
    rows = spec_rows()
    grads = [np.array([0.3, -2.0, 1e-3, 5.0], np.float32) * (k + 1) for k in range(4)]
    theta0 = np.array([0.5, -0.1, 0.0, 2.0], np.float32)

    # WGAN: RMSprop at the spec's lr behaving as torch.optim.RMSprop, clipping, critic schedule, N(0, 1), BN
    row = rows["WGAN"]
    (lr,) = number(r"RMSprop, lr ([0-9.e-]+)", row)
    (c_low, c_high) = number(r"clipped to \[−([0-9.]+), ([0-9.]+)\]", row)
    n_critic, burst, first, every = number(r"n_critic = (\d+), but (\d+) critic steps for the first (\d+) generator "
                                           r"iterations and at every (\d+)th", row)
    assert "z ~ N(0, 1)" in row and "BN kept in the critic" in row
    cfg, m = make("wgan")
    assert (cfg.noise, cfg.clip, cfg.n_critic, cfg.d_norm) == ("normal", c_high, n_critic, "batch") and c_low == c_high
    assert (m.burst_steps, m.burst_first, m.burst_every, m.gp_weight) == (burst, first, every, 0.0)
    for opt in (m.d_optimizer, m.g_optimizer):  # Keras' sqrt(v + 1e-16) vs torch's sqrt(v) + 1e-8: equal to 1e-4
        np.testing.assert_allclose(steps_of(opt, grads, theta0), torch_rmsprop(theta0, grads, lr), rtol=1e-3)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in m.discriminator.layers)
    assert m.discriminator.output.shape[-1] == 1 and m.generator.input.shape[-1] == 6  # 1-D head, unconditional

    # WGAN-GP: λ, n_critic, Adam (lr, β1, β2) for both nets, no BN in the critic, no clipping, N(0, 1)
    row = rows["WGAN-GP"]
    gp_weight, n_critic = number(r"λ = (\d+), n_critic = (\d+)", row)
    lr, b1, b2 = number(r"Adam, lr ([0-9.e-]+), β1 ([0-9.]+), β2 ([0-9.]+)", row)
    assert "default `'none'`" in row and "z ~ N(0, 1)" in row
    cfg, m = make("wgan_gp")
    assert (cfg.clip, cfg.d_norm, cfg.noise) == (0.0, "none", "normal")
    assert (m.burst_first, m.burst_every, m.n_critic, m.gp_weight) == (0, 0, n_critic, gp_weight)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in m.discriminator.layers)
    for opt in (m.d_optimizer, m.g_optimizer):
        np.testing.assert_allclose(steps_of(opt, grads, theta0), numpy_adam(theta0, grads, lr, b1, b2, 1e-8),
                                   rtol=1e-5, atol=1e-7)

    # SAGAN: Adam with β1, β2 and two learning rates (G, D), N(0, 1)
    row = rows["SAGAN"]
    b1, b2, g_lr, d_lr = number(r"Adam, β1 ([0-9.]+), β2 ([0-9.]+); lr ([0-9.e-]+) for G, ([0-9.e-]+) for D", row)
    (attn_res,) = number(r"`attn_res`, default (\d+)", row)
    assert "z ~ N(0, 1)" in row
    cfg, m = make("sagan")
    assert cfg.noise == "normal"
    for opt, lr in ((m.g_optimizer, g_lr), (m.d_optimizer, d_lr)):
        np.testing.assert_allclose(steps_of(opt, grads, theta0), numpy_adam(theta0, grads, lr, b1, b2, 1e-8),
                                   rtol=1e-5, atol=1e-7)

    # all three at 32x32: the §3 backbone ('literal'), batch 64 (§9: "batch 64"), attention at the spec's default
    text = open(os.path.join(REPO, "docs", "METHODS.md"), encoding="utf-8").read()
    assert "1-D linear head, batch 64" in text
    for name in ("wgan", "wgan_gp", "sagan"):
        cfg = models.resolve(TrainConfig(model=name), (32, 32, 3))
        assert (cfg.layout, cfg.batch_size, cfg.attn_res) == ("literal", 64, attn_res)
        assert models.data_split(cfg.replace(dataset="cifar10")) == "train+test"  # D30: CIFAR-10's 60,000 images
    # the other models keep D1 (METHODS §2: lr 2e-4, β1 0.5, β2 0.999)
    lr, b1, b2 = number(r"\| D1 \| DMGAN Adam \| lr ([0-9.e-]+), β1 ([0-9.]+), β2 ([0-9.]+) \|", text)
    _, m = make("dmgan")
    np.testing.assert_allclose(steps_of(m.d_optimizer, grads, theta0), numpy_adam(theta0, grads, lr, b1, b2, 1e-8),
                               rtol=1e-5, atol=1e-7)


def test_baseline_flags_fail_with_clear_errors():
    with pytest.raises(ConfigError, match=r"--gp_weight applies to --model=wgan_gp only"):
        validate(TrainConfig(model="dmgan", gp_weight=5.0))
    with pytest.raises(ConfigError, match=r"--optimizer applies to --model=wgan \| wgan_gp \| sagan only"):
        models.resolve(TrainConfig(model="mbgan", optimizer="rmsprop"), SHAPE)
    for bad, needle in (({"n_critic": 0}, "--n_critic"), ({"d_lr": 0.0}, "--d_lr"), ({"lr": -2.0}, "--lr"),
                        ({"critic_burst_every": -1}, "--critic_burst_every"), ({"gp_weight": -1.0}, "--gp_weight"),
                        ({"d_norm": "group"}, "--d_norm"), ({"optimizer": "sgd"}, "--optimizer")):
        with pytest.raises(ConfigError, match=needle):
            validate(TrainConfig(model="wgan_gp" if "gp" in needle else "wgan", **bad))
    with pytest.raises(ValueError, match="--d_norm=none or --d_norm=layer"):
        make("wgan_gp", d_norm="batch")
    with pytest.raises(ValueError, match=r"--attn_res=16: .* choose one of \[2, 4, 8\]"):
        make("sagan", attn_res=16)
    with pytest.raises(ValueError, match="supports --label_mode unlabeled"):
        make("wgan", label_mode="conditional")
    _, m = make("wgan_gp", d_norm="layer")
    assert any(isinstance(layer, keras.layers.LayerNormalization) for layer in m.discriminator.layers)


# Keys computed by the code of commit e6f1f3c, before the baselines existed.
OLD_KEYS = {("dmgan", "digits", (("steps", 4), ("width", 0.0625))): "aef9cbd02918",
            ("wadmgan", "cifar10", ()): "caf8fc2666a7",
            ("dcgan", "mnist", (("lr", 1e-3),)): "5b3f956455d0",
            ("mbgan", "cifar10", (("adam_betas", "0.9,0.99"),)): "c3e73625b61e",
            ("dmgan_f", "svhn", (("label_mode", "unlabeled"),)): "fd943389090d"}


def test_run_keys_of_the_other_models_are_unchanged_and_old_runs_resume(tmp_path):
    from mgan.experiments import runs
    from mgan.training import manifest as run_manifest

    for (model, dataset, kw), key in OLD_KEYS.items():
        assert runs.run_key(TrainConfig(model=model, dataset=dataset, **dict(kw))) == key, model
    base = TrainConfig(model="wgan_gp", dataset="cifar10")
    assert runs.run_key(base.replace(gp_weight=5.0)) != runs.run_key(base)
    assert runs.run_key(base.replace(lr=1e-4, adam_betas="0.0,0.9")) == runs.run_key(base)  # the defaults
    cfg = models.resolve(TrainConfig(model="dmgan", dataset="mnist", out=str(tmp_path)), (28, 28, 1))
    old = {k: v for k, v in cfg.to_dict().items() if k not in config_lib.OWNED_FIELDS}  # fields added since
    assert (old["lr"], old["adam_betas"]) == (2e-4, "0.5,0.999")  # as manifests of the old code recorded them
    (tmp_path / "manifest.json").write_text(json.dumps({"config": old}))
    assert run_manifest.check_resume(str(tmp_path), cfg) is not None


# ----- Keras path, runner, benchmarks ------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["wgan", pytest.param("wgan_gp", marks=pytest.mark.slow),
                                   pytest.param("sagan", marks=pytest.mark.slow)])
def test_save_and_load_round_trip_continues_identically(tmp_path, model):
    kw = dict(critic_burst_steps=3, critic_burst_first=1) if model == "wgan" else {}
    _, m = make(model, **kw)
    data = images(k=3) if model != "sagan" else images()
    m.train_step(data)
    path = str(tmp_path / "gan.keras")
    m.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(m) and int(loaded.iteration.numpy()) == 1
    options = {k: v for k, v in m.get_config().items() if k not in ("generator", "discriminator")}
    assert options.items() <= loaded.get_config().items()
    m.reset_metrics()
    a, b = m.train_step(data), loaded.train_step(data)
    assert float(a["d_loss"]) == pytest.approx(float(b["d_loss"]), rel=1e-6)
    for u, v in zip(m.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-7)


RUN = dict(dataset="digits", width=0.0625, z_dim=6, batch_size=16, checkpoint_every=1, sample_every=0, log_every=1,
           progress=False, deterministic=True)


@pytest.mark.slow
def test_runner_trains_wgan_on_critic_batches_and_resumes_exactly(tmp_path):
    kw = dict(model="wgan", n_critic=2, critic_burst_steps=3, critic_burst_first=1, critic_burst_every=2, **RUN)
    runner.train(TrainConfig(out=str(tmp_path / "a"), steps=3, **kw))
    runner.train(TrainConfig(out=str(tmp_path / "b"), steps=2, **kw))
    manifest = runner.train(TrainConfig(out=str(tmp_path / "b"), steps=3, **kw))
    assert manifest["status"] == "complete" and manifest["step"] == 3
    weights = [keras.saving.load_model(str(tmp_path / r / "generator.keras"), compile=False).get_weights()
               for r in ("a", "b")]
    for u, v in zip(*weights, strict=True):
        np.testing.assert_array_equal(u, v)
    lines = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [r["critic_steps"] for r in lines] == [3.0, 2.0, 3.0]  # bursts at iterations 0 and 2 (every 2nd)
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in lines)
    recorded = manifest["config"]
    assert (recorded["optimizer"], recorded["lr"], recorded["clip"], recorded["noise"]) == ("rmsprop", 5e-5, 0.01,
                                                                                           "normal")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["wgan_gp", "sagan"])
def test_runner_trains_two_iterations(tmp_path, model):
    out = tmp_path / model
    kw = {"attn_res": 4} if model == "sagan" else {}
    manifest = runner.train(TrainConfig(model=model, out=str(out), steps=2, **kw, **RUN))
    assert manifest["status"] == "complete" and manifest["step"] == 2
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 2 and all(np.isfinite(v) for r in lines for k, v in r.items() if k.endswith("loss"))
    generator = keras.saving.load_model(str(out / "generator.keras"), compile=False)
    assert generator.output.shape[1:] == SHAPE and os.path.exists(out / "samples.png")


@pytest.mark.slow
def test_step_time_benchmark_builds_the_baselines():
    import time

    for name, kw in (("wgan", {}), ("wgan_gp", {}), ("sagan", {"attn_res": 4})):
        cfg = TrainConfig(model=name, width=0.0625, batch_size=8, conv_impl="keras", **kw)
        run_one, info = timing.prepare_step(cfg, SHAPE)
        for _ in range(2):  # the first call traces the step
            t0 = time.perf_counter()
            ms = run_one()
            outer_ms = (time.perf_counter() - t0) * 1000.0
            assert 0.5 * outer_ms <= ms <= outer_ms, (name, ms, outer_ms)  # milliseconds of the call it made
        m = models.build_model(models.resolve(cfg, SHAPE), SHAPE, 10)
        g, d = timing.forward_macs(m.generator), timing.forward_macs(m.discriminator)
        passes = info["iteration_gmacs"] * 1e9 / 8  # per example, in units of G and D forward passes
        assert 1.5 * (g + d) < passes < 50 * (g + d)  # a forward and a backward pass of both, at most n_critic + 3 of G
        # and 8 n_critic + 2 of D (WGAN-GP), counted in multiply-adds, not in thousands or billions of them
        assert info["largest_conv"]["macs"] == max(c["macs"] for c in timing.conv_shapes(m.discriminator) +
                                                    timing.conv_shapes(m.generator))
    assert models.get_spec("wgan") and {"wgan", "wgan_gp", "sagan"} <= set(models.MODELS)
