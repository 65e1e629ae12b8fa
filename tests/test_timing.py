"""Counted multiply-adds and the interleaved step timer (the code behind Table 3's time column and the benchmark)."""
import pytest
import tensorflow as tf

from mgan import models
from mgan.config import TrainConfig
from mgan.nets import networks
from mgan.training import timing


def test_forward_macs_by_hand():
    cfg = models.resolve(TrainConfig(model="dmgan", layout="literal", conv_impl="keras"), (32, 32, 3))
    D = networks.build_discriminator(cfg, (32, 32, 3), 500)
    # 5x5 convs 32->16 (3->64), 16->8 (64->128), 8->4 (128->256), 4->2 (256->512), then FC 2048->500
    want = 25 * (16 * 16 * 3 * 64 + 8 * 8 * 64 * 128 + 4 * 4 * 128 * 256 + 2 * 2 * 256 * 512) + 2048 * 500
    assert timing.forward_macs(D) == want
    G = networks.build_generator(cfg, (32, 32, 3))
    # transposed convs count input positions: 1x1x100->512, 2x2 512->256, 4x4 256->128, 8x8 128->64, 16x16 64->3
    want_g = 25 * (1 * 100 * 512 + 4 * 512 * 256 + 16 * 256 * 128 + 64 * 128 * 64 + 256 * 64 * 3)
    assert timing.forward_macs(G) == want_g


class PassCounter:
    """Counts the passes of G and D in one eager ``train_step`` by instrumenting the networks' calls, with the rule
    of ``GANModel.iteration_passes``: a forward pass counts 1; a backward pass through a call counts 2 when the
    gradient is taken with respect to that network's weights and 1 when it only passes through it to reach another
    network's weights (the input gradient); 0 when no requested gradient depends on the call.

    A backward pass through a call is detected when the gradient really flows out of the call's output (an identity
    with a custom gradient), and it is attributed to the ``tape.gradient`` call running at that moment and its
    sources."""

    def __init__(self, monkeypatch, model):
        self.nets = {"generator": model.generator, "discriminator": model.discriminator}
        self.var_ids = {name: {id(v) for v in net.trainable_variables} for name, net in self.nets.items()}
        self.forward = {name: 0 for name in self.nets}
        self.weight_backward = {name: 0 for name in self.nets}  # backward passes reaching the network's weights
        self.input_backward = {name: 0 for name in self.nets}  # backward passes only passing through
        self.produced = {}  # id(output tensor) -> network name (outputs kept alive below, so ids stay unique)
        self.keep = []
        self.sources = None
        for name, net in self.nets.items():
            self._instrument(monkeypatch, name, net)
        counter, original = self, tf.GradientTape.gradient

        def gradient(tape, target, sources, *args, **kwargs):
            ids = {id(v) for v in tf.nest.flatten(sources)}
            counter.sources = {name for name, vs in counter.var_ids.items() if ids & vs}
            try:
                return original(tape, target, sources, *args, **kwargs)
            finally:
                counter.sources = None

        monkeypatch.setattr(tf.GradientTape, "gradient", gradient)

    def _instrument(self, monkeypatch, name, net):
        counter, base = self, type(net)

        def call(module, inputs, *args, **kwargs):
            upstream = {counter.produced[id(t)] for t in tf.nest.flatten(inputs) if id(t) in counter.produced}
            counter.forward[name] += 1

            @tf.custom_gradient
            def observed(out):
                def grad(dy):
                    if counter.sources is not None:
                        if name in counter.sources:
                            counter.weight_backward[name] += 1
                        elif upstream & counter.sources:
                            counter.input_backward[name] += 1
                    return dy
                return tf.identity(out), grad

            out = observed(base.__call__(module, inputs, *args, **kwargs))
            counter.produced[id(out)] = name
            counter.keep.append(out)
            return out

        net.__class__ = type("Counted" + base.__name__, (base,), {"__call__": call})

    def passes(self):
        return {name: self.forward[name] + 2 * self.weight_backward[name] + self.input_backward[name]
                for name in self.nets}


def tiny_model(name, **kw):
    cfg = models.resolve(TrainConfig(model=name, width=0.0625, feature_dim=8, z_dim=6, batch_size=4,
                                     conv_impl="keras", **kw), (8, 8, 1))
    return models.build_model(cfg, (8, 8, 1), 10)


def tiny_batch(m=4):
    x = tf.random.stateless_uniform([m, 8, 8, 1], [0, 1], -1.0, 1.0)
    return x, tf.range(m, dtype=tf.int32) % 10


CASES = [("dcgan", {"n_gen": 1}), ("dcgan", {"n_gen": 2}), ("dcgan", {"n_gen": 3, "label_mode": "conditional"}),
         ("dmgan", {}), ("sagan", {"attn_res": 4})]


@pytest.mark.parametrize("name,kw", CASES)
def test_forward_calls_and_generator_passes_counted_by_instrumenting_the_networks(monkeypatch, name, kw):
    m = tiny_model(name, **kw)
    counter = PassCounter(monkeypatch, m)
    m.train_step(tiny_batch())
    n_gen = kw.get("n_gen", 1)
    # forward calls, from the algorithms: DCGAN G once for the D step and once per G step, D on x and on G(z) in
    # the D step and on G(z) in every G step; DMGAN reuses the G pass and recomputes D(x), D(G(z)) for L_G
    want_forward = {"dcgan": {"generator": 1 + n_gen, "discriminator": 2 + n_gen},
                    "dmgan": {"generator": 1, "discriminator": 4},
                    "sagan": {"generator": 2, "discriminator": 3}}[name]
    assert counter.forward == want_forward
    # backward: G's weights once per G step; D's weights on both calls of the D step; D passed through (input
    # gradient) on the way to G's weights once per G step
    assert counter.weight_backward == {"generator": n_gen, "discriminator": 2}
    assert counter.input_backward == {"generator": 0, "discriminator": n_gen}
    assert m.iteration_passes()["generator"] == counter.passes()["generator"]


# Every model whose passes the counter can observe; WGAN past its warm-up, at the steady n_critic iteration_passes
# declares. (WGAN-GP is left out: the penalty's input gradient and the weight gradient of that backward pass are
# taken through the gradient, where the counter's identity on D's output cannot see them.)
MAC_CASES = CASES + [("dmgan", {"n_gen": 2}), ("wadmgan", {}), ("dmgan_f", {}), ("mbgan", {}),
                     ("kmgan", {"kmeans_k": 2}), ("wgan", {"iteration": 30})]


@pytest.mark.parametrize("name,kw", MAC_CASES)
def test_iteration_macs_equal_the_instrumented_pass_count(monkeypatch, name, kw):
    kw = dict(kw)
    iteration = kw.pop("iteration", 0)
    m = tiny_model(name, **kw)
    m.iteration.assign(iteration)
    g, d = timing.forward_macs(m.generator), timing.forward_macs(m.discriminator)
    counter = PassCounter(monkeypatch, m)
    m.train_step(tiny_batch())
    counted = counter.passes()
    assert m.iteration_passes() == counted
    assert timing.iteration_macs(m, 4) == 4 * (counted["generator"] * g + counted["discriminator"] * d)


@pytest.mark.slow
def test_measure_interleaved_reports_every_config():
    cfgs = [TrainConfig(model=n, width=0.0625, feature_dim=8, z_dim=6, batch_size=8, conv_impl="keras")
            for n in ("dmgan", "dcgan")]
    rows = timing.measure_interleaved(cfgs, (8, 8, 1), 10, warmup=1, iters=2, repeats=2)
    assert [r["model"] for r in rows] == ["dmgan", "dcgan"]
    for r in rows:
        assert r["n_timed"] == 4 and 0 < r["min_ms"] <= r["median_ms"] <= r["max_ms"] and r["gflops_per_s"] > 0
