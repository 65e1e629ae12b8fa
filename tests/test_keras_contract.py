"""The Keras contract of the GAN models: fit on x, (x, y) and (x, y, sample_weight) with callbacks, noise drawn in
train_step from (seed, iteration), save/load of the whole GAN, weights round trip, predict, learning-rate callbacks,
TerminateOnNaN, and clear errors where Keras has no meaning for a GAN."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import mgan  # noqa: F401  (registers the serializable classes)
from mgan import models
from mgan.config import TrainConfig
from mgan.nets import latent
from mgan.objectives import losses

SHAPE = (8, 8, 1)
pytestmark = pytest.mark.filterwarnings("ignore:`shuffle=True` was passed")


def make(model="dmgan", **kw):
    cfg = models.resolve(TrainConfig(model=model, width=0.0625, feature_dim=8, z_dim=6, conv_impl="keras", seed=3,
                                     **kw), SHAPE)
    return models.build_model(cfg, SHAPE, 10)


def arrays(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, size=(n,) + SHAPE).astype("float32"),
            rng.integers(0, 10, size=n).astype("int32"))


def dataset(*parts):
    return tf.data.Dataset.from_tensor_slices(parts if len(parts) > 1 else parts[0]).batch(8)


def assert_same_state(a, b):
    for u, v in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    for opt in ("d_optimizer", "g_optimizer"):
        for u, v in zip(getattr(a, opt).variables, getattr(b, opt).variables, strict=True):
            np.testing.assert_array_equal(u.numpy(), v.numpy())


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_logs.append(dict(logs))


@pytest.mark.slow
def test_fit_on_labelled_batches_gives_callbacks_the_metrics():
    model = make()
    rec = Recorder()
    history = model.fit(dataset(*arrays()), epochs=2, callbacks=[rec], verbose=0)
    assert int(model.iteration.numpy()) == 8 and len(rec.batch_logs) == 8
    names = {"loss", "d_loss", "g_loss", "l_ip", "l_d", "real_center_norm", "fake_center_norm", "w_max"}
    assert set(rec.batch_logs[0]) == names and set(history.history) == names
    last = rec.batch_logs[-1]
    assert last["loss"] == pytest.approx(last["d_loss"] + last["g_loss"], rel=1e-5)
    assert all(np.isfinite(v) for logs in rec.batch_logs for v in logs.values())


@pytest.mark.slow
def test_fit_on_images_alone_for_unlabeled_models_and_a_clear_error_for_conditional_ones():
    x, _ = arrays()
    for model in (make(label_mode="unlabeled"), make("dcgan")):
        model.fit(dataset(x), epochs=1, verbose=0)
        assert int(model.iteration.numpy()) == 4
    with pytest.raises(ValueError, match=r"uses class labels: fit it on \(x, y\) batches"):
        make().fit(dataset(x), epochs=1, verbose=0)


@pytest.mark.slow
def test_sample_weights_of_one_give_the_papers_iteration():
    x, y = arrays()
    plain, weighted = make(), make()
    weighted.set_weights(plain.get_weights())
    plain.fit(dataset(x, y), epochs=1, verbose=0)
    weighted.fit(dataset(x, y, np.ones(len(x), "float32")), epochs=1, verbose=0)
    assert_same_state(plain, weighted)
    zero_weight = make()
    zero_weight.set_weights(weighted.get_weights())
    logs = zero_weight.train_step((x[:8], y[:8], np.zeros(8, "float32")))
    assert float(logs["d_loss"]) == 0.0 and float(logs["g_loss"]) == 0.0  # weights really enter the losses


def generator_inputs_of_train_step(model, data):
    """The inputs G receives during one eager ``model.train_step(data)`` (captured by instrumenting G's calls)."""
    seen, G = [], model.generator
    base = type(G)

    def call(module, inputs, *args, **kwargs):
        seen.append(np.asarray(inputs))
        return base.__call__(module, inputs, *args, **kwargs)

    G.__class__ = type("Recording" + base.__name__, (base,), {"__call__": call})
    try:
        model.train_step(data)
    finally:
        G.__class__ = base
    return seen


def test_noise_is_drawn_in_train_step_from_seed_and_iteration():
    """METHODS D11 and mgan.nets.latent: DMGAN's z ~ U(0, 1), iteration t of a run seeded s draws
    stateless_uniform([m, z_dim], seed=(s, 2**40 + t)); G gets z ⊕ onehot(y)."""
    x, y = arrays(8)
    model = make()
    inputs = [generator_inputs_of_train_step(model, (x, y)) for _ in range(2)]
    assert int(model.iteration.numpy()) == 2 and [len(i) for i in inputs] == [1, 1]  # one G pass per iteration
    z = [g_in[0][:, :6] for g_in in inputs]
    for t, g_in in enumerate(inputs):
        want = tf.random.stateless_uniform([8, 6], seed=[3, (1 << 40) + t], minval=0.0, maxval=1.0).numpy()
        np.testing.assert_array_equal(z[t], want)
        np.testing.assert_array_equal(g_in[0][:, 6:], np.eye(10, dtype="float32")[y])
    assert z[0].min() >= 0.0 and z[0].max() < 1.0 and 0.3 < z[0].mean() < 0.7
    assert not np.any(z[0] == z[1])  # a fresh draw every iteration
    # the same seed gives the same noise in a new model (resume); another seed other noise
    np.testing.assert_array_equal(generator_inputs_of_train_step(make(), (x, y))[0], inputs[0][0])
    other = models.build_model(models.resolve(TrainConfig(model="dmgan", width=0.0625, feature_dim=8, z_dim=6,
                                                          conv_impl="keras", seed=4), SHAPE), SHAPE, 10)
    assert not np.any(generator_inputs_of_train_step(other, (x, y))[0][:, :6] == z[0])


@pytest.mark.slow
def test_save_and_load_model_round_trip_and_training_continues_identically(tmp_path):
    x, y = arrays()
    model = make()
    model.fit(dataset(x, y).take(2), epochs=1, verbose=0)
    path = str(tmp_path / "gan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    options = {k: v for k, v in model.get_config().items() if k not in ("generator", "discriminator")}
    assert type(loaded) is type(model) and options.items() <= loaded.get_config().items()
    assert options["seed"] == 3 and options["label_mode"] == "conditional"
    assert int(loaded.iteration.numpy()) == 2 and float(tf.reduce_sum(tf.abs(loaded.real_centers))) > 0
    assert_same_state(model, loaded)
    z, labels = tf.random.uniform([5, 6]), tf.range(5)
    np.testing.assert_array_equal(loaded.predict((z, labels), verbose=0), model.predict((z, labels), verbose=0))
    # both continue with the same noise (iteration counter) and optimizer states
    rest = dataset(x, y).skip(2).take(2)
    model.fit(rest, epochs=1, verbose=0)
    loaded.fit(rest, epochs=1, verbose=0)
    assert_same_state(model, loaded)


def test_weights_round_trip_into_a_new_model(tmp_path):
    model = make("dcgan", label_mode="conditional")
    model.train_step(arrays(8))
    path = str(tmp_path / "gan.weights.h5")
    model.save_weights(path)
    fresh = make("dcgan", label_mode="conditional")
    fresh.load_weights(path)
    assert_same_state(model, fresh)
    assert int(fresh.iteration.numpy()) == 1


@pytest.mark.slow
def test_full_model_checkpoint_callback(tmp_path):
    path = str(tmp_path / "ckpt.keras")
    model = make()
    model.fit(dataset(*arrays()), epochs=1, verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(path)])
    assert int(keras.saving.load_model(path).iteration.numpy()) == 4


@pytest.mark.slow
def test_learning_rate_schedule_reaches_both_training_optimizers():
    model = make()
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 * 0.5 ** epoch)
    history = model.fit(dataset(*arrays()).take(1), epochs=3, callbacks=[schedule], verbose=0)
    for opt in (model.d_optimizer, model.g_optimizer):
        assert float(opt.learning_rate.numpy()) == pytest.approx(2.5e-4)
        assert int(opt.iterations.numpy()) == 3
    assert history.history["learning_rate_d_adam"] == pytest.approx([1e-3, 5e-4, 2.5e-4])
    assert history.history["learning_rate_g_adam"] == pytest.approx([1e-3, 5e-4, 2.5e-4])


@pytest.mark.slow
def test_terminate_on_nan_stops_fit(monkeypatch):
    real = losses.dmgan_generator_loss
    monkeypatch.setattr(losses, "dmgan_generator_loss", lambda *a, **k: real(*a, **k) * np.nan)
    model = make()
    model.fit(dataset(*arrays()), epochs=2, callbacks=[keras.callbacks.TerminateOnNaN()], verbose=0)
    assert int(model.iteration.numpy()) == 1


def test_predict_returns_generated_images():
    model = make()
    z, labels = latent.sample_noise([6, 6], "uniform01", [0, 9]), np.arange(6, dtype="int32")
    images = model.predict((z, labels), verbose=0)
    assert images.shape == (6,) + SHAPE and np.abs(images).max() <= 1.0
    g_in = latent.generator_input(z, labels, 10, True)
    np.testing.assert_allclose(images, model.generator(g_in, training=False).numpy(), atol=1e-6)
    assert not np.allclose(images, model.predict((z, (labels + 1) % 10), verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="conditional generator needs labels"):
        model.predict(z, verbose=0)
    unconditional = make("dcgan")
    assert unconditional.predict(latent.sample_noise([4, 6], "uniform11", [0, 9]), verbose=0).shape == (4,) + SHAPE


def test_what_a_gan_cannot_do_fails_with_the_fix():
    model = make()
    with pytest.raises(NotImplementedError, match="mgan.metrics"):
        model.evaluate(dataset(*arrays()), verbose=0)
    with pytest.raises(ValueError, match=r"d_optimizer=\.\.\. and g_optimizer=\.\.\."):
        model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="two optimizer instances"):
        opt = keras.optimizers.Adam()
        model.compile(d_optimizer=opt, g_optimizer=opt)
