"""mgan.nets.layers: FastConv2D / FastConv2DTranspose compute the parent's function (values and gradients), keep its
variables and config, and round-trip through .keras files."""
import itertools
import zlib

import numpy as np
import pytest
import tensorflow as tf
import keras

from mgan.nets import layers as fast

RTOL = 1e-4
BATCH = 2

# Every formulation of every operation is exercised: automatic choice, the TF ops, and the alternatives forced.
VARIANTS = {
    "auto": {},
    "native": dict(up="native", wgrad="native"),
    "phase+patches": dict(up="phase", wgrad="patches"),
    "flip+patches": dict(up="flip", wgrad="patches"),
}


def _rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-12))


def _pair(kind, filters, kernel_size, strides, in_shape, **kw):
    """A plain and a fast layer, built on in_shape, with identical random weights."""
    plain_cls = keras.layers.Conv2D if kind == "C" else keras.layers.Conv2DTranspose
    fast_cls = fast.FastConv2D if kind == "C" else fast.FastConv2DTranspose
    plain = plain_cls(filters, kernel_size, strides, **kw)
    quick = fast_cls(filters, kernel_size, strides, **kw)
    plain.build((BATCH,) + tuple(in_shape))
    quick.build((BATCH,) + tuple(in_shape))
    rng = np.random.default_rng(zlib.crc32(repr((kind, filters, kernel_size, strides, in_shape)).encode()))
    for p, q in zip(plain.weights, quick.weights):
        v = rng.normal(size=p.shape).astype("float32") * 0.3
        p.assign(v)
        q.assign(v)
    return plain, quick


def _fwd_bwd(layer, x, seed=7):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        w = tf.random.stateless_normal(tf.shape(y), [seed, 1])
        loss = tf.reduce_sum(y * w)
    return [y] + tape.gradient(loss, [x] + layer.trainable_variables)


def _check(kind, filters, kernel_size, strides, in_shape, variant="auto", graph=False, **kw):
    plain, quick = _pair(kind, filters, kernel_size, strides, in_shape, **kw)
    x = tf.random.stateless_normal((BATCH,) + tuple(in_shape), [1, 2])
    with fast.impl_override(**VARIANTS[variant]):
        if graph:
            ref = tf.function(lambda x: _fwd_bwd(plain, x))(x)
            got = tf.function(lambda x: _fwd_bwd(quick, x))(x)
        else:
            ref, got = _fwd_bwd(plain, x), _fwd_bwd(quick, x)
    assert tuple(got[0].shape) == tuple(ref[0].shape)
    names = ["output", "d_input", "d_kernel", "d_bias"]
    for name, a, b in zip(names, got, ref):
        assert a is not None and b is not None, name
        err = _rel_err(a, b)
        assert err < RTOL, f"{kind} k={kernel_size} s={strides} {in_shape} {variant}: {name} rel err {err:.2e}"
    return got


# The networks' 5x5 'same' layers: transposed convs 1->2, 2->4, ... (output = input*stride), forward convs
# 32->16->8->4->2, 28->28->14->7->4 (MNIST D), stride-1 first/last layers; channels kept small.
SIZES = [1, 2, 4, 7, 8, 16]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("kind,stride", [("T", 2), ("T", 1), ("C", 2), ("C", 1)])
def test_same_function_all_sizes(kind, stride, variant):
    for n in SIZES:
        _check(kind, 4, 5, stride, (n, n, 3), variant=variant, padding="same")


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["auto", "phase+patches"])
def test_network_shapes_in_graph_mode(variant):
    # literal G / mbgan G (transposed), D 32->16->8->4->2 and MNIST D 28->14->7->4, traced as in a train step
    for kind, n, cin, cout, s in [("T", 1, 11, 8, 2), ("T", 4, 8, 6, 2), ("T", 16, 6, 3, 2), ("T", 32, 6, 3, 1),
                                  ("C", 32, 3, 6, 1), ("C", 32, 3, 6, 2), ("C", 28, 1, 6, 1), ("C", 28, 6, 8, 2),
                                  ("C", 14, 8, 8, 2), ("C", 7, 8, 10, 2), ("C", 4, 8, 10, 2)]:
        _check(kind, cout, 5, s, (n, n, cin), variant=variant, graph=True, padding="same")


@pytest.mark.parametrize("kernel_size", [3, 4, (5, 3)])
def test_other_kernels_and_non_square_maps(kernel_size):
    for kind, s, shape, variant in itertools.product("TC", (1, 2), [(5, 8, 3), (1, 3, 2)], ["auto", "phase+patches"]):
        _check(kind, 4, kernel_size, s, shape, variant=variant, padding="same")


def test_forced_phase_and_patches_are_used_and_exact_enough():
    # the deep small-map shapes where the automatic rule picks 'patches' (and oneDNN-off picks 'phase')
    for kind, n, cin, cout in [("T", 2, 32, 16), ("C", 4, 16, 32), ("C", 7, 16, 32)]:
        _check(kind, cout, 5, 2, (n, n, cin), variant="phase+patches", padding="same")
    info = dict(stride=2, kernel_size=(5, 5), big_hw=(8, 8), small_hw=(4, 4), c_big=256, c_small=512, batch=64)
    if fast.onednn_enabled():
        assert fast.choose_impl("wgrad", **info) == "patches"
        assert fast.choose_impl("up", **dict(info, c_big=3, c_small=64)) == "phase"
        assert fast.choose_impl("up", **info) == "native"
    else:
        assert fast.choose_impl("up", **info) == "phase"
    with fast.impl_override(up="phase", wgrad="native"):
        assert fast.choose_impl("up", **info) == "phase"
        assert fast.choose_impl("wgrad", **info) == "native"
        assert fast.choose_impl("up", **dict(info, stride=1)) == "native"  # phase is defined for stride 2 only
    with pytest.raises(ValueError):
        fast.set_impl_override(up="bogus")
    with pytest.raises(ValueError):
        fast.set_impl_override(sideways="native")


def test_phase_kernel_rearrangement_matches_conv2d_transpose_exactly_at_literal_first_layer():
    # 1x1 -> 2x2: only the centre taps of the kernel touch the output
    y = tf.random.stateless_normal([3, 1, 1, 7], [3, 4])
    k = tf.random.stateless_normal([5, 5, 5, 7], [5, 6])
    ref = tf.nn.conv2d_transpose(y, k, [3, 2, 2, 5], 2, "SAME")
    got = fast._up(y, k, 2, (2, 2), "phase")
    assert _rel_err(got, ref) < 1e-6


def test_second_order_gradients_match():
    """Gradient penalties (WGAN-GP critics) differentiate through the input gradient."""

    def net(conv, deconv):
        x = keras.Input((8, 8, 3))
        h = keras.layers.LeakyReLU(0.2)(conv(4, 5, 2, padding="same")(x))
        h = keras.layers.LeakyReLU(0.2)(deconv(3, 5, 2, padding="same")(h))
        h = conv(5, 5, 1, padding="same")(h)
        return keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(h)))

    plain = net(keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    quick = net(fast.FastConv2D, fast.FastConv2DTranspose)
    rng = np.random.default_rng(0)
    for p, q in zip(plain.weights, quick.weights):
        v = rng.normal(size=p.shape).astype("float32") * 0.3
        p.assign(v)
        q.assign(v)
    x = tf.random.stateless_normal((4, 8, 8, 3), [3, 3])

    def penalty_grads(model):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                out = model(x)
            g = inner.gradient(out, x)
            pen = tf.reduce_mean(tf.square(tf.norm(tf.reshape(g, [4, -1]), axis=1) - 1.0))
        return [pen] + outer.gradient(pen, model.trainable_variables)

    for variant in ("auto", "phase+patches"):
        with fast.impl_override(**VARIANTS[variant]):
            ref, got = penalty_grads(plain), penalty_grads(quick)
        for a, b in zip(got, ref):
            assert (a is None) == (b is None)
            if a is not None:
                assert _rel_err(a, b) < RTOL


@pytest.mark.parametrize("kw", [dict(padding="valid"), dict(padding="same", dilation_rate=2),
                                dict(padding="same", activation="tanh", use_bias=False)])
def test_unsupported_or_plain_options_fall_back_or_match(kw):
    for kind in ("C",) if "dilation_rate" in kw else "CT":  # TF's CPU (Eigen) conv2d_transpose has no dilation
        no_bias = not kw.get("use_bias", True)
        plain, quick = _pair(kind, 4, 5, 1 if "dilation_rate" in kw else 2, (8, 8, 3), **kw)
        x = tf.random.stateless_normal((BATCH, 8, 8, 3), [1, 2])
        ref, got = _fwd_bwd(plain, x), _fwd_bwd(quick, x)
        assert len(ref) == len(got) == (3 if no_bias else 4)
        for a, b in zip(got, ref):
            assert _rel_err(a, b) < RTOL


def test_output_padding_falls_back():
    plain, quick = _pair("T", 4, 5, 2, (4, 4, 3), padding="same", output_padding=1)
    x = tf.random.stateless_normal((BATCH, 4, 4, 3), [1, 2])
    assert not quick._fast_ok(x)
    for a, b in zip(_fwd_bwd(quick, x), _fwd_bwd(plain, x)):
        assert _rel_err(a, b) < RTOL


@pytest.mark.parametrize("kind", "CT")
def test_weights_and_config_identical_to_plain(kind):
    plain, quick = _pair(kind, 6, 5, 2, (8, 8, 3), padding="same", name="layer_x")
    assert [(w.path, tuple(w.shape)) for w in quick.weights] == [(w.path, tuple(w.shape)) for w in plain.weights]
    assert [w.name for w in quick.weights] == ["kernel", "bias"]
    cfg = quick.get_config()
    assert cfg == plain.get_config()
    clone = type(quick).from_config(cfg)
    assert type(clone) is type(quick) and clone.get_config() == cfg
    ser = keras.saving.serialize_keras_object(quick)
    assert ser["registered_name"] == f"mgan>{type(quick).__name__}"
    again = keras.saving.deserialize_keras_object(ser)
    assert type(again) is type(quick) and again.get_config() == cfg


def _tiny(conv, deconv, name):
    x = keras.Input((8, 8, 3))
    h = conv(4, 5, 2, padding="same", name="c1")(x)
    h = deconv(3, 5, 2, padding="same", name="t1")(keras.layers.LeakyReLU(0.2)(h))
    return keras.Model(x, h, name=name)


def test_keras_file_round_trip_and_interchangeable_weights(tmp_path):
    quick = _tiny(fast.FastConv2D, fast.FastConv2DTranspose, "tiny")
    x = tf.random.stateless_normal((BATCH, 8, 8, 3), [4, 4])
    path = str(tmp_path / "tiny.keras")
    quick.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in quick.layers]
    np.testing.assert_allclose(loaded(x).numpy(), quick(x).numpy(), rtol=1e-6, atol=1e-6)
    # same weight list (order, names, shapes): get/set_weights move weights between plain and fast models
    plain = _tiny(keras.layers.Conv2D, keras.layers.Conv2DTranspose, "tiny")
    assert [(w.path, tuple(w.shape)) for w in plain.weights] == [(w.path, tuple(w.shape)) for w in quick.weights]
    plain.set_weights(loaded.get_weights())
    assert _rel_err(plain(x), quick(x)) < RTOL
    # a .keras file of the plain model loads, and its weights drive the fast model to the same outputs
    ppath = str(tmp_path / "plain.keras")
    plain.save(ppath)
    other = _tiny(fast.FastConv2D, fast.FastConv2DTranspose, "tiny")
    other.set_weights(keras.saving.load_model(ppath).get_weights())
    assert _rel_err(other(x), plain(x)) < RTOL


def test_tf_checkpoint_interchangeable(tmp_path):
    quick = _tiny(fast.FastConv2D, fast.FastConv2DTranspose, "tiny")
    plain = _tiny(keras.layers.Conv2D, keras.layers.Conv2DTranspose, "tiny")
    prefix = tf.train.Checkpoint(model=quick).write(str(tmp_path / "ckpt"))
    tf.train.Checkpoint(model=plain).read(prefix).assert_consumed()
    x = tf.random.stateless_normal((BATCH, 8, 8, 3), [5, 5])
    assert _rel_err(plain(x), quick(x)) < RTOL


@pytest.mark.slow
def test_jit_compiled_step_matches():
    plain, quick = _pair("T", 4, 5, 2, (4, 4, 6), padding="same")
    x = tf.random.stateless_normal((BATCH, 4, 4, 6), [1, 2])
    ref = tf.function(lambda x: _fwd_bwd(plain, x), jit_compile=True)(x)
    got = tf.function(lambda x: _fwd_bwd(quick, x), jit_compile=True)(x)
    for a, b in zip(got, ref):
        assert _rel_err(a, b) < RTOL


@pytest.mark.parametrize("accelerator", [False, True])
def test_fast_conv_impl_takes_keras_layers_on_an_accelerator_and_the_tuned_ones_on_a_cpu(monkeypatch, accelerator):
    """The device kind is forced through the device list TensorFlow reports (a GPU is never at hand here)."""
    from mgan import models
    from mgan.nets import networks
    from mgan.config import TrainConfig

    real = tf.config.list_logical_devices
    gpu = tf.config.LogicalDevice(name="/device:GPU:0", device_type="GPU")
    monkeypatch.setattr(tf.config, "list_logical_devices",
                        lambda kind=None: [gpu] if accelerator and kind == "GPU" else real(kind))
    for impl in ("fast", "keras"):
        cfg = models.resolve(TrainConfig(model="dmgan", layout="literal", width=0.0625, conv_impl=impl), (32, 32, 3))
        nets = (networks.build_generator(cfg, (32, 32, 3)), networks.build_discriminator(cfg, (32, 32, 3), 8))
        convs = [type(layer) for net in nets for layer in net.layers
                 if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
        fast_layers = {fast.FastConv2D, fast.FastConv2DTranspose}
        assert len(convs) == 9  # Table 1: five UpConvs in G, four convs in D
        if impl == "fast" and not accelerator:
            assert set(convs) == fast_layers
        else:
            assert set(convs) == {keras.layers.Conv2D, keras.layers.Conv2DTranspose}, (impl, accelerator)
