"""Counted multiply-adds and the interleaved step timer (the code behind Table 3's time column and the benchmark)."""
from mgan import models, networks, timing
from mgan.config import TrainConfig


def test_forward_macs_by_hand():
    cfg = TrainConfig(layout="literal", conv_impl="keras")
    D = networks.build_discriminator(cfg, (32, 32, 3), 500)
    # 5x5 convs 32->16 (3->64), 16->8 (64->128), 8->4 (128->256), 4->2 (256->512), then FC 2048->500
    want = 25 * (16 * 16 * 3 * 64 + 8 * 8 * 64 * 128 + 4 * 4 * 128 * 256 + 2 * 2 * 256 * 512) + 2048 * 500
    assert timing.forward_macs(D) == want
    G = networks.build_generator(cfg, (32, 32, 3))
    # transposed convs count input positions: 1x1x100->512, 2x2 512->256, 4x4 256->128, 8x8 128->64, 16x16 64->3
    want_g = 25 * (1 * 100 * 512 + 4 * 512 * 256 + 16 * 256 * 128 + 64 * 128 * 64 + 256 * 64 * 3)
    assert timing.forward_macs(G) == want_g


def test_iteration_macs_use_each_models_declared_passes():
    cfg = models.resolve(TrainConfig(model="dcgan", width=0.0625, conv_impl="keras", n_gen=2), (8, 8, 1))
    m = models.build_model(cfg, (8, 8, 1), 10)
    g, d = timing.forward_macs(m.generator), timing.forward_macs(m.discriminator)
    assert timing.iteration_macs(m, 4) == 4 * ((1 + 3 * 2) * g + (4 + 2 * 2) * d)


def test_measure_interleaved_reports_every_config():
    cfgs = [TrainConfig(model=n, width=0.0625, feature_dim=8, z_dim=6, batch_size=8, conv_impl="keras")
            for n in ("dmgan", "dcgan")]
    rows = timing.measure_interleaved(cfgs, (8, 8, 1), 10, warmup=1, iters=2, repeats=2)
    assert [r["model"] for r in rows] == ["dmgan", "dcgan"]
    for r in rows:
        assert r["n_timed"] == 4 and 0 < r["min_ms"] <= r["median_ms"] <= r["max_ms"] and r["gflops_per_s"] > 0
