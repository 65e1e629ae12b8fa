"""The network and training options of issue 21 (METHODS D34-D37), each against a hand computation or a closed form:
G's projection BN per unit or per channel, G's activation, the 28x28 networks with Table 1's strides, the label
concatenated at every layer, and n_gen G steps per DMGAN iteration."""
import numpy as np
import pytest
import tensorflow as tf
import keras

from mgan import models
from mgan.config import ConfigError, TrainConfig, validate
from mgan.experiments import runs as runs_lib
from mgan.nets import latent, networks
from mgan.objectives import losses


def _cfg(**kw):
    base = dict(model="dmgan", layout="mnist", width=0.0625, z_dim=6, feature_dim=8, conv_impl="keras")
    base.update(kw)
    return models.resolve(TrainConfig(**base), (28, 28, 1))


def _layer_output(model, name, x):
    return keras.Model(model.input, model.get_layer(name).output)(x, training=True).numpy()


def _trainable_count(net):
    return sum(int(np.prod(v.shape)) for v in net.trainable_variables)


def _z(n=16, dim=16, seed=3):
    return tf.constant(np.random.default_rng(seed).uniform(0, 1, (n, dim)).astype("float32"))


@pytest.mark.parametrize("project_bn", ["unit", "channel"])
def test_projection_bn_statistics_match_numpy(project_bn):
    """D34: 'unit' normalises each of the 7*7*C dense outputs over the batch; 'channel' each channel over the batch
    and the 7x7 positions (BN at init: γ 1, β 0, ε 1e-5)."""
    cfg = _cfg(g_project_bn=project_bn, z_dim=16, label_mode="unlabeled")
    G = networks.build_generator(cfg, (28, 28, 1))
    z = _z()
    dense = _layer_output(G, "project", z)  # [N, 7*7*C]
    c = dense.shape[1] // 49
    if project_bn == "unit":
        mean, var = dense.mean(0), dense.var(0)
        expected = ((dense - mean) / np.sqrt(var + 1e-5)).reshape(-1, 7, 7, c)
        got = _layer_output(G, "project_bn", z).reshape(-1, 7, 7, c)
    else:
        maps = dense.reshape(-1, 7, 7, c)
        mean, var = maps.mean((0, 1, 2)), maps.var((0, 1, 2))
        expected = (maps - mean) / np.sqrt(var + 1e-5)
        got = _layer_output(G, "project_bn", z)
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)
    # what distinguishes them: per unit, every position of every channel has batch mean 0
    position_means = np.abs(got.mean(0)).max()
    if project_bn == "unit":
        assert position_means < 1e-4
    else:
        assert position_means > 1e-2  # the z-independent part of the projection survives per-channel BN


def test_projection_bn_unit_removes_the_noise_template():
    """The motivating measurement of issue 21: with U(0, 1) noise the projection has a z-independent part (the mean
    of z is 0.5); per-unit BN removes it from every unit, per-channel BN keeps most of it."""
    z = _z(64)
    shares = {}
    for project_bn in ("unit", "channel"):
        G = networks.build_generator(_cfg(g_project_bn=project_bn, z_dim=16, label_mode="unlabeled"), (28, 28, 1))
        h = _layer_output(G, "project_lrelu" if project_bn == "channel" else "reshape", z)
        total = h.var(0).sum() + ((h.mean(0) - h.mean()) ** 2).sum()
        shares[project_bn] = h.var(0).sum() / total  # share of the spread of h that depends on z
    assert shares["unit"] > 0.9 > shares["channel"]


@pytest.mark.parametrize("activation", ["relu", "lrelu"])
def test_generator_activation(activation):
    """D35: G's hidden activation is max(0, h) (ReLU) or max(0.2 h, h) (LReLU, D16), applied to its BN outputs."""
    cfg = _cfg(g_activation=activation, g_project_bn="channel", z_dim=16, label_mode="unlabeled")
    G = networks.build_generator(cfg, (28, 28, 1))
    z = _z()
    bn = _layer_output(G, "upconv0_bn", z)
    out = _layer_output(G, "upconv0_relu" if activation == "relu" else "upconv0_lrelu", z)
    expected = np.maximum(bn, 0) if activation == "relu" else np.where(bn > 0, bn, 0.2 * bn)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert (bn < 0).any()


def test_table1_strides_at_28x28_parameter_counts():
    """mnist_s2: every conv stride 2 (28->14->7->4->2) and G 7->14->28. Closed forms at width 1 (METHODS §3.4
    style): D = the 'literal' D of §3.4 (5,332,980) less the kernels of its 2 extra input channels (2 x 25 x 64);
    G (z 110) = the 'project7' G of §3.4 (2,419,073) without its 64-channel UpConv and its BN, with a 1-channel
    stride-2 output UpConv from 128 channels."""
    cfg = models.resolve(TrainConfig(model="dmgan", layout="mnist_s2", conv_impl="keras"), (28, 28, 1))
    D = networks.build_discriminator(cfg, (28, 28, 1), 500)
    assert D.get_layer("flatten").output.shape[-1] == 2 * 2 * 512
    assert _trainable_count(D) == 5_332_980 - 2 * 25 * 64
    G = networks.build_generator(cfg, (28, 28, 1), cond_classes=10)
    project7_without_last_two = 2_419_073 - (25 * 128 * 64 + 64) - 2 * 64 - (25 * 64 * 1 + 1)
    assert _trainable_count(G) == project7_without_last_two + 25 * 128 * 1 + 1
    unit = networks.build_generator(cfg.replace(g_project_bn="unit"), (28, 28, 1), cond_classes=10)
    assert _trainable_count(unit) - _trainable_count(G) == 2 * (7 * 7 * 256 - 256)  # γ, β per unit, not per channel


def test_label_at_every_layer_generator():
    """D36: a conditional G with label_concat='every_layer' carries onehot(y) as constant maps into every hidden
    layer (the last 10 channels of each concatenation equal the label at every position), so each UpConv kernel has
    10 more input channels."""
    cfg = _cfg(label_concat="every_layer", z_dim=6)
    G = networks.build_generator(cfg, (28, 28, 1), cond_classes=10)
    plain = networks.build_generator(cfg.replace(label_concat="input"), (28, 28, 1), cond_classes=10)
    y = np.arange(4) % 10 + 3
    g_in = tf.concat([tf.random.uniform((4, 6), seed=1), tf.one_hot(y, 10)], 1)
    for name in ("project_cond", "upconv0_cond", "upconv1_cond"):
        h = _layer_output(G, name, g_in)
        np.testing.assert_array_equal(h[..., -10:], np.broadcast_to(np.eye(10)[y][:, None, None, :],
                                                                    h[..., -10:].shape))
    for i in range(3):
        k, k_plain = G.get_layer(f"upconv{i}").kernel, plain.get_layer(f"upconv{i}").kernel
        assert k.shape[-1] == k_plain.shape[-1] + 10  # Conv2DTranspose kernels are (h, w, out, in)


def test_label_at_every_layer_conditional_dcgan_discriminator():
    """D36 for the conditional DCGAN D: the label maps join the input and every conv block after the first, and the
    flattened features end with onehot(y) before the head."""
    cfg = _cfg(model="dcgan", label_mode="conditional", label_concat="every_layer")
    D = networks.build_discriminator(cfg, (28, 28, 1), 1, cond_classes=10)
    y = np.array([0, 7, 9])
    x = tf.zeros((3, 28, 28, 1))
    h = keras.Model(D.inputs, D.get_layer("flatten_cond").output)([x, tf.one_hot(y, 10)], training=True).numpy()
    np.testing.assert_array_equal(h[:, -10:], np.eye(10)[y])
    assert sorted(layer.name for layer in D.layers if isinstance(layer, keras.layers.Concatenate)) == [
        "cond_concat", "conv1_cond", "conv2_cond", "conv3_cond", "flatten_cond"]


def test_dmgan_n_gen_two_takes_a_second_g_step_by_hand():
    """D37: with n_gen 2 a DMGAN iteration is Algorithm 1's step plus one more G step on the same z with a fresh G
    forward pass against the updated D; the centers follow the first pass's features (D7)."""
    shape = (8, 8, 1)
    kw = dict(model="dmgan", width=0.0625, feature_dim=8, z_dim=6, conv_impl="keras", layout="digits8")
    cfg2 = models.resolve(TrainConfig(n_gen=2, **kw), shape)
    cfg1 = models.resolve(TrainConfig(n_gen=1, **kw), shape)
    m2, m1 = models.build_model(cfg2, shape, 10), models.build_model(cfg1, shape, 10)
    m1.set_weights(m2.get_weights())
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (12,) + shape).astype("float32"))
    y = tf.constant(rng.integers(0, 10, 12).astype("int32"))
    logs = m2.train_step((x, y))
    m1.train_step((x, y))
    # the second G step by hand on the one-step model, with its own G optimizer
    z = latent.training_noise(cfg1.seed, 0, 12, cfg1.z_dim, cfg1.noise)
    g_in = tf.concat([z, tf.one_hot(y, 10)], 1)
    G, D = m1.generator, m1.discriminator
    with tf.GradientTape() as tape:
        lg = losses.dmgan_generator_loss(D(x, training=True), D(G(g_in, training=True), training=True))
    m1.g_optimizer.apply_gradients(zip(tape.gradient(lg, G.trainable_variables), G.trainable_variables))
    np.testing.assert_allclose(float(logs["g_loss"]), float(lg), rtol=1e-5)
    for a, b in zip(m2.generator.trainable_variables, G.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m2.real_centers.numpy(), m1.real_centers.numpy(), rtol=1e-5, atol=1e-7)
    assert int(m2.g_optimizer.iterations.numpy()) == 2


def test_n_gen_refused_where_not_implemented():
    cfg = TrainConfig(model="kmgan", n_gen=2)
    with pytest.raises(ConfigError, match="--n_gen applies to"):
        validate(cfg)


def test_new_fields_keep_older_run_keys_and_change_new_ones():
    """A run at the fields' legacy values keeps the key it had before they existed (the DMGAN readings study's
    default DMGAN point, committed under results/), and each option changes the key."""
    base = TrainConfig(model="dmgan", dataset="mnist", width=0.25, steps=1300)
    legacy = base.replace(g_project_bn="channel", g_activation="lrelu", label_concat="input", noise="uniform01")
    assert runs_lib.run_key(legacy) == "a56e4cbf19e0"
    keys = {runs_lib.run_key(legacy.replace(**kw)) for kw in (
        {"g_project_bn": "unit"}, {"g_activation": "relu"}, {"label_concat": "every_layer"}, {"n_gen": 2},
        {"layout": "mnist_s2"})}
    assert len(keys) == 5 and runs_lib.run_key(legacy) not in keys
