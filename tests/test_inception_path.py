"""The Inception path (METHODS.md §10.1-10.2) with a small stand-in SavedModel in place of tfgan/eval/inception/1.

The stand-in has the real module's calling convention (a restored callable taking float32 [N, 299, 299, 3] in
[-1, 1] and returning {'logits': [N, 1008], 'pool_3': [N, 2048]}, as tensorflow-gan's own FakeInceptionModule) and is
loaded through exactly the code that loads the real module.
"""
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from mgan import images, metrics
from mgan.data import to_unit_range
from mgan.metrics import inception
from mgan.metrics.inception import InceptionUnavailableError

ACTIVE = 16  # pool_3 units that vary; the rest are zero, so that small sample covariances stay well conditioned


class StandInInception(tf.Module):
    def __init__(self, seed=0, logits_dim=1008, pool_dim=2048):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.w1 = tf.Variable((rng.normal(size=(507, ACTIVE)) / np.sqrt(507)).astype(np.float32))
        self.w2 = tf.Variable(rng.normal(size=(ACTIVE, logits_dim)).astype(np.float32))
        self.pad = pool_dim - ACTIVE

    @tf.function(input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32)])
    def __call__(self, images):
        f = tf.reshape(images[:, ::23, ::23, :], [-1, 507])  # 13 x 13 x 3 sampled pixels: sensitive to the resize
        h = tf.tanh(f @ self.w1 * 4.0)
        pool = tf.concat([h, tf.zeros([tf.shape(h)[0], self.pad])], axis=1)
        return {"logits": h @ self.w2, "pool_3": pool}


def np_resize_bilinear_tf1(img, out_h, out_w):
    """Independent NumPy ResizeBilinear with align_corners=False, half_pixel_centers=False (src = dst * in/out)."""
    img = np.asarray(img, np.float64)
    _, h, w, _ = img.shape

    def axis(out, inp):
        src = np.arange(out) * (inp / out)
        lo = np.floor(src).astype(int)
        return lo, np.minimum(lo + 1, inp - 1), src - lo

    y0, y1, fy = axis(out_h, h)
    x0, x1, fx = axis(out_w, w)
    fx = fx[None, None, :, None]
    top = img[:, y0][:, :, x0] * (1 - fx) + img[:, y0][:, :, x1] * fx
    bottom = img[:, y1][:, :, x0] * (1 - fx) + img[:, y1][:, :, x1] * fx
    fy = fy[None, :, None, None]
    return top * (1 - fy) + bottom * fy


def np_preprocess(images_uint8):
    x = images_uint8.astype(np.float64) / 127.5 - 1.0
    x = np_resize_bilinear_tf1(x, 299, 299)
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def standin_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("inception") / "tfgan_eval_inception_1"
    module = StandInInception(seed=0)
    tf.saved_model.save(module, str(d))
    return str(d), module


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv(inception.ENV_INCEPTION_PATH, raising=False)
    inception.clear_cache()
    yield
    inception.clear_cache()


# --- preprocessing ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("in_hw,out_hw", [((5, 7), (11, 13)), ((9, 9), (4, 4)), ((8, 8), (299, 299))])
def test_tf1_bilinear_matches_numpy_reference_and_differs_from_tf2_resize(in_hw, out_hw):
    img = np.random.default_rng(0).uniform(-1, 1, size=(2,) + in_hw + (3,)).astype(np.float32)
    got = inception.resize_tf1_bilinear(img, out_hw).numpy()
    np.testing.assert_allclose(got, np_resize_bilinear_tf1(img, *out_hw), atol=1e-5)
    tf2 = tf.image.resize(img, out_hw, method="bilinear").numpy()  # half-pixel centers
    assert np.max(np.abs(got - tf2)) > 0.05


def test_uint8_quantisation_and_unit_range():
    x = np.array([-1.0, 1.0, 0.0, -1.5, 2.0, 0.4 / 127.5 - 1, 0.6 / 127.5 - 1, 254.4 / 127.5 - 1, 254.6 / 127.5 - 1])
    np.testing.assert_array_equal(images.to_uint8(x), [0, 255, 128, 0, 255, 0, 1, 254, 255])
    assert images.to_uint8(x).dtype == np.uint8
    with pytest.raises(ValueError):
        images.to_uint8(np.array([0.0, np.nan]))
    u = np.array([0, 127, 128, 255], np.uint8)
    np.testing.assert_allclose(to_unit_range(u), [-1.0, 127 / 127.5 - 1, 128 / 127.5 - 1, 1.0], atol=1e-7)
    # round trip of every uint8 value through [-1, 1]
    all_u8 = np.arange(256).astype(np.uint8)
    np.testing.assert_array_equal(images.to_uint8(to_unit_range(all_u8)), all_u8)
    assert to_unit_range(all_u8).dtype == np.float32
    with pytest.raises(TypeError):
        to_unit_range(np.zeros(3, np.int32))


def test_preprocess_tiles_grayscale_after_tf1_resize():
    g = np.random.default_rng(1).integers(0, 256, size=(2, 28, 28, 1), dtype=np.uint8)
    out = inception.preprocess_for_inception(g).numpy()
    assert out.shape == (2, 299, 299, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, np_preprocess(g), atol=1e-5)
    assert out.min() >= -1.0 and out.max() <= 1.0


# --- loading and scoring through the real loading code ----------------------------------------------------------

@pytest.mark.slow
def test_standin_through_env_path_equals_direct_outputs(standin_dir, monkeypatch):
    path, module = standin_dir
    monkeypatch.setenv(inception.ENV_INCEPTION_PATH, path)
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(7, 32, 32, 3), dtype=np.uint8)
    logits, pool = metrics.inception_logits_and_pool(images, batch_size=3, progress=False)  # 3 batches, last padded
    assert logits.dtype == np.float64 and logits.shape == (7, 1008) and pool.shape == (7, 2048)
    direct = module(tf.constant(np_preprocess(images)))
    np.testing.assert_allclose(logits, direct["logits"].numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(pool, direct["pool_3"].numpy(), rtol=1e-4, atol=1e-5)
    net = inception.load_inception()
    assert net is inception.load_inception()  # loaded once per process
    assert net.source == "$MGAN_INCEPTION_PATH" and net.location == path
    assert re.fullmatch(r"[0-9a-f]{64}", net.checksum) and net.checksum == inception.directory_checksum(path)
    # grayscale input takes the same path with the channel tiled
    gray = rng.integers(0, 256, size=(4, 28, 28, 1), dtype=np.uint8)
    lg, _ = metrics.inception_logits_and_pool(gray, network=net, progress=False)
    np.testing.assert_allclose(lg, module(tf.constant(np_preprocess(gray)))["logits"].numpy(), rtol=1e-4, atol=1e-4)


def _fid_active_block(a, b):
    """Independent FID of the ACTIVE varying pool_3 units (the others are 0 in both sets and add nothing)."""
    a, b = a[:, :ACTIVE], b[:, :ACTIVE]
    s1, s2 = np.cov(a, rowvar=False, ddof=1), np.cov(b, rowvar=False, ddof=1)
    tr_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)))
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


@pytest.mark.slow
def test_score_images_inception_numbers_protocol_and_reference_cache(standin_dir, tmp_path):
    # One 2048-D FID (scipy sqrtm, ~10 s on 2 cores); the tf-gan cross-check is tested at small widths elsewhere.
    path, module = standin_dir
    rng = np.random.default_rng(3)
    fake = rng.integers(0, 256, size=(40, 32, 32, 3), dtype=np.uint8)
    real = rng.integers(0, 200, size=(50, 32, 32, 3), dtype=np.uint8)
    res = metrics.score_images(fake, metric="inception", is_splits=4, fid_reference=real, inception_path=path,
                               cache_root=str(tmp_path), batch_size=16, progress=False, cross_check=False)
    out_fake = module(tf.constant(np_preprocess(fake)))
    pf = out_fake["pool_3"].numpy().astype(np.float64)
    pr = module(tf.constant(np_preprocess(real)))["pool_3"].numpy().astype(np.float64)
    mean, std = metrics.inception_score_from_logits(out_fake["logits"].numpy(), splits=4)
    assert res["is_mean"] == pytest.approx(mean, rel=1e-4) and res["is_std"] == pytest.approx(std, rel=1e-3, abs=1e-6)
    expected_fid = _fid_active_block(pf, pr)
    assert expected_fid > 0.1
    assert res["fid"] == pytest.approx(expected_fid, rel=1e-4) and res["fid_tfgan"] is None
    p = res["protocol"]
    assert p["metric"] == "inception" and p["n_samples"] == 40 and p["splits"] == 4 and p["split_sizes"] == [10] * 4
    assert p["network"]["sha256"] == inception.directory_checksum(path)
    assert p["network"]["name"] == "tfgan/eval/inception/1"
    assert "half_pixel_centers=False" in p["network"]["preprocessing"]
    assert p["reference"]["n"] == 50 and p["n_real"] == 50 and p["n_fake"] == 40
    assert p["reference"]["from_cache"] is False and os.path.exists(p["reference"]["stats_cache"])
    cached = metrics.reference_statistics(real, inception.load_inception(path), "array", cache_root=str(tmp_path),
                                          progress=False)
    assert cached["from_cache"] is True and cached["path"] == p["reference"]["stats_cache"]
    np.testing.assert_allclose(cached["mu"], pr.mean(0), rtol=1e-4, atol=1e-5)


def test_bad_inception_path_gives_howto_message(tmp_path, monkeypatch):
    missing = str(tmp_path / "no_such_module")
    with pytest.raises(InceptionUnavailableError) as e:
        inception.load_inception(missing)
    msg = str(e.value)
    for part in (missing, "tfgan/eval/inception/1", "--inception_path", "MGAN_INCEPTION_PATH", "download"):
        assert part in msg
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(inception.ENV_INCEPTION_PATH, str(empty))
    with pytest.raises(InceptionUnavailableError, match="MGAN_INCEPTION_PATH"):
        metrics.inception_logits_and_pool(np.zeros((1, 8, 8, 3), np.uint8), progress=False)


def test_a_different_network_is_refused(tmp_path):
    d = str(tmp_path / "not_inception")
    tf.saved_model.save(StandInInception(seed=1, logits_dim=1000), d)
    with pytest.raises(InceptionUnavailableError, match="not tfgan/eval/inception/1"):
        metrics.inception_logits_and_pool(np.zeros((2, 8, 8, 3), np.uint8), inception_path=d, progress=False)


# --- real-data sanity values (METHODS.md §10.5): only with the real module, on explicit request (hours on CPU) ------

def _real_inception_or_skip(shared_data_dir):
    if os.environ.get("MGAN_RUN_REAL_INCEPTION") != "1" or not os.environ.get(inception.ENV_INCEPTION_PATH):
        pytest.skip("real Inception sanity test: set MGAN_INCEPTION_PATH to the unpacked tfgan/eval/inception/1 "
                    "and MGAN_RUN_REAL_INCEPTION=1")
    return inception.load_inception()


def test_real_module_cifar10_test_inception_score(shared_data_dir):
    net = _real_inception_or_skip(shared_data_dir)
    from mgan import data

    test = data.load_dataset("cifar10", split="test", data_dir=shared_data_dir)
    res = metrics.score_images(test.x, metric="inception", network=net, is_splits=10, progress=True)
    assert res["is_mean"] == pytest.approx(10.98, abs=0.1)  # §10.5: about 10.98 ± 0.22


def test_real_module_cifar10_train_vs_test_fid(shared_data_dir, tmp_path):
    net = _real_inception_or_skip(shared_data_dir)
    from mgan import data

    test = data.load_dataset("cifar10", split="test", data_dir=shared_data_dir)
    res = metrics.score_images(test.x, metric="inception", dataset="cifar10", network=net, is_splits=0,
                               fid_ref_split="train", data_dir=shared_data_dir, progress=True)
    assert res["fid"] == pytest.approx(3.15, abs=0.1)  # §10.5: 3.1508 (train 50k vs test 10k)
    assert res["fid_tfgan"] == pytest.approx(res["fid"], abs=1e-3)
