"""Tests of mgan.data: npz/TFDS/sklearn/generated loading, validation errors and resumable batching."""
import hashlib
import os

import numpy as np
import pytest
import tensorflow as tf

from mgan import data
from mgan.data import ArrayDataset, DataUnavailableError, load_dataset, make_batches, to_unit_range


@pytest.fixture(autouse=True)
def _no_env_dirs(monkeypatch):
    """Tests choose their data directory explicitly; a developer's MGAN_DATA_DIR must not leak in."""
    monkeypatch.delenv("MGAN_DATA_DIR", raising=False)


@pytest.fixture
def tfds_mod(monkeypatch):
    """tensorflow_datasets, with the network taken as reachable: these tests replace tfds.load by a fake source,
    so the offline pre-check (mgan.data.network_reachable) must not stop them first."""
    import mgan.data

    monkeypatch.setattr(mgan.data, "network_reachable", lambda *a, **k: True)
    return pytest.importorskip("tensorflow_datasets")


def _write_npz(path, n_train=50, n_test=20, shape=(32, 32, 3), classes=10, seed=0, **override):
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train,) + shape, dtype=np.uint8),
        "y_train": rng.integers(0, classes, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test,) + shape, dtype=np.uint8),
        "y_test": rng.integers(0, classes, n_test).astype(np.uint8),
    }
    arrays.update(override)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return arrays


def _batches(ds, batch_size, seed, start_step=0, count=1):
    return [(x.numpy(), y.numpy()) for x, y in make_batches(ds, batch_size, seed, start_step).take(count)]


# --- real data (skips without MGAN_DATA_DIR) ----------------------------------------------------------------------

def test_mnist_npz_real(shared_data_dir):
    ds = load_dataset("mnist", "train", data_dir=shared_data_dir)
    assert ds.x.shape == (60000, 28, 28, 1) and ds.x.dtype == np.uint8
    assert ds.y.dtype == np.int32 and ds.y.min() == 0 and ds.y.max() == 9
    assert np.bincount(ds.y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    # pixels untouched (README checksum), provenance recorded
    assert hashlib.sha256(ds.x.tobytes()).hexdigest() == \
        "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757"
    assert ds.source == "npz:" + os.path.join(shared_data_dir, "mnist.npz")
    assert ds.num_classes == 10 and ds.substitute_for is None and ds.example_shape == (28, 28, 1)


def test_mnist_via_env_and_auto(shared_data_dir, monkeypatch):
    monkeypatch.setenv("MGAN_DATA_DIR", shared_data_dir)
    ds = load_dataset("mnist", "test")  # source='auto' finds the npz through the environment
    assert ds.n == 10000 and ds.source.startswith("npz:")


def test_cifar10_train_plus_test_real(shared_data_dir):
    ds = load_dataset("cifar10", "train+test", data_dir=shared_data_dir, source="npz")
    assert ds.x.shape == (60000, 32, 32, 3) and ds.x.dtype == np.uint8
    assert np.bincount(ds.y).tolist() == [6000] * 10
    assert ds.split == "train+test"


def test_fashion_real(shared_data_dir):
    ds = load_dataset("fashion_mnist", "test", data_dir=shared_data_dir)
    assert ds.x.shape == (10000, 28, 28, 1)
    assert np.bincount(ds.y).tolist() == [1000] * 10


# --- generated stand-ins through the npz path ----------------------------------------------------------------------

def test_svhn_standin_npz(tmp_path):
    arrays = _write_npz(tmp_path / "svhn.npz")
    ds = load_dataset("svhn", "train+test", data_dir=str(tmp_path))
    assert ds.x.shape == (70, 32, 32, 3) and ds.x.dtype == np.uint8
    np.testing.assert_array_equal(ds.x[:50], arrays["x_train"])
    np.testing.assert_array_equal(ds.x[50:], arrays["x_test"])
    np.testing.assert_array_equal(ds.y, np.concatenate([arrays["y_train"], arrays["y_test"]]))
    assert ds.y.dtype == np.int32 and ds.source == "npz:" + str(tmp_path / "svhn.npz")


def test_svhn_cropped_alias(tmp_path):
    _write_npz(tmp_path / "svhn_cropped.npz")
    ds = load_dataset("svhn", "test", data_dir=tmp_path, source="npz")
    assert ds.n == 20 and ds.source.endswith("svhn_cropped.npz")


def test_celeba_standin_npz_is_unlabeled(tmp_path):
    x = np.random.default_rng(1).integers(0, 256, (12, 64, 64, 3), dtype=np.uint8)
    np.savez(tmp_path / "celeba.npz", x_train=x)
    ds = load_dataset("celeba", data_dir=tmp_path, source="npz")
    assert ds.x.shape == (12, 64, 64, 3) and ds.num_classes == 1
    assert ds.y.dtype == np.int32 and not ds.y.any()
    np.testing.assert_array_equal(ds.x, x)


def test_mnist_like_channel_axis_added(tmp_path):
    _write_npz(tmp_path / "mnist.npz", shape=(28, 28))
    ds = load_dataset("mnist", "test", data_dir=tmp_path, source="npz")
    assert ds.x.shape == (20, 28, 28, 1)


# --- error paths ----------------------------------------------------------------------------------------------------

def test_missing_file_npz(tmp_path):
    with pytest.raises(DataUnavailableError) as ei:
        load_dataset("cifar10", data_dir=tmp_path, source="npz")
    msg = str(ei.value)
    assert "cifar10" in msg and str(tmp_path / "cifar10.npz") in msg and "MGAN_DATA_DIR" in msg
    assert "x_train" in msg


def test_named_directory_is_never_replaced_by_a_tfds_download(tmp_path, tfds_mod, monkeypatch):
    def must_not_be_called(*a, **k):
        raise AssertionError("a directory the user named must not fall back to TFDS")
    monkeypatch.setattr(tfds_mod, "load", must_not_be_called)
    with pytest.raises(DataUnavailableError, match="does not exist"):
        load_dataset("svhn", data_dir=tmp_path / "typo")
    with pytest.raises(DataUnavailableError, match="svhn_cropped.npz"):
        load_dataset("svhn", data_dir=tmp_path)  # exists, lacks the file


def test_npz_without_directory():
    with pytest.raises(DataUnavailableError, match="MGAN_DATA_DIR"):
        load_dataset("mnist", source="npz")


@pytest.mark.parametrize("override, needle", [
    ({"x_train": np.zeros((5, 28, 28, 3), np.uint8)}, "wrong shape"),
    ({"x_train": np.zeros((5, 32, 32, 3), np.float32)}, "wrong dtype"),
    ({"y_train": np.full(50, 10, np.uint8)}, "0..9"),
    ({"y_train": np.zeros(49, np.uint8)}, "match"),
    ({"y_train": None}, "missing key"),
])
def test_invalid_npz(tmp_path, override, needle, tfds_mod, monkeypatch):
    def must_not_be_called(*a, **k):
        raise AssertionError("an existing but invalid file must not fall back to TFDS")
    monkeypatch.setattr(tfds_mod, "load", must_not_be_called)
    _write_npz(tmp_path / "svhn.npz", **override)
    with pytest.raises(DataUnavailableError) as ei:
        load_dataset("svhn", data_dir=tmp_path)  # source='auto'
    msg = str(ei.value)
    assert needle in msg and "svhn" in msg and str(tmp_path / "svhn.npz") in msg


def test_wrong_shape_message_names_both_shapes(tmp_path):
    _write_npz(tmp_path / "cifar10.npz", x_train=np.zeros((50, 28, 28, 1), np.uint8))
    with pytest.raises(DataUnavailableError) as ei:
        load_dataset("cifar10", data_dir=tmp_path, source="npz")
    assert "(50, 28, 28, 1)" in str(ei.value) and "32, 32, 3" in str(ei.value)


def test_tfds_offline_failure(tmp_path, tfds_mod, monkeypatch):
    def offline(*a, **k):
        raise ConnectionError("Failed to resolve 'storage.googleapis.com'")
    monkeypatch.setattr(tfds_mod, "load", offline)
    monkeypatch.setenv("MGAN_DATA_DIR", str(tmp_path))  # a directory from the environment may lack the file: TFDS
    with pytest.raises(DataUnavailableError) as ei:
        load_dataset("svhn")
    msg = str(ei.value)
    assert "svhn" in msg and "npz" in msg and "tfds" in msg
    assert str(tmp_path / "svhn.npz") in msg and str(tmp_path / "svhn_cropped.npz") in msg
    assert "storage.googleapis.com" in msg and "svhn_cropped" in msg and "MGAN_DATA_DIR" in msg
    # forced TFDS reports only TFDS; no directory reports that the npz source had none
    with pytest.raises(DataUnavailableError) as ei:
        load_dataset("celeba", source="tfds")
    assert "npz:" not in str(ei.value) and "celeb_a" in str(ei.value)
    monkeypatch.delenv("MGAN_DATA_DIR")
    with pytest.raises(DataUnavailableError, match="not set"):
        load_dataset("mnist")


def test_tfds_path_celeba_center_crop(tfds_mod, monkeypatch):
    """TFDS CelebA: 218x178 images -> center crop 108 (offset 55, 35) -> 64x64; unlabeled."""
    img = np.zeros((3, 218, 178, 3), np.uint8)
    img[:, 55:163, 35:143] = 200  # exactly the 108x108 center crop
    calls = []

    def fake_load(name, **kw):
        calls.append((name, kw))
        return tf.data.Dataset.from_tensor_slices({"image": img, "attributes": {"Smiling": np.ones(3, bool)}})
    monkeypatch.setattr(tfds_mod, "load", fake_load)
    monkeypatch.setenv("TFDS_DATA_DIR", "/somewhere/tfds")
    ds = load_dataset("celeba", source="tfds")
    assert calls[0][0] == "celeb_a" and calls[0][1]["split"] == "train" and calls[0][1]["download"] is True
    assert calls[0][1]["data_dir"] == "/somewhere/tfds"
    assert ds.x.shape == (3, 64, 64, 3) and ds.x.dtype == np.uint8
    assert (ds.x == 200).all() and not ds.y.any() and ds.source == "tfds:celeb_a"
    assert ds.extras["celeba_crop"] == 108
    # a larger crop includes the black border
    ds2 = load_dataset("celeba", source="tfds", celeba_crop=140)
    assert ds2.x.min() < 100
    with pytest.raises(ValueError):
        load_dataset("celeba", source="tfds", celeba_crop=300)


def test_tfds_path_labels(tfds_mod, monkeypatch):
    x = np.random.default_rng(0).integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    y = np.arange(7, dtype=np.int64)
    monkeypatch.setattr(tfds_mod, "load",
                        lambda name, **kw: tf.data.Dataset.from_tensor_slices({"image": x, "label": y}))
    ds = load_dataset("svhn", "train+test")
    np.testing.assert_array_equal(ds.x, x)
    assert ds.y.tolist() == list(range(7)) and ds.y.dtype == np.int32 and ds.source == "tfds:svhn_cropped"


def test_unknown_name_and_bad_arguments():
    with pytest.raises(ValueError) as ei:
        load_dataset("imagenet")
    for name in ("mnist", "fashion_mnist", "cifar10", "svhn", "celeba", "digits", "synthetic"):
        assert name in str(ei.value)
    with pytest.raises(ValueError, match="imagenet"):
        data.dataset_info("imagenet")
    with pytest.raises(ValueError, match="split"):
        load_dataset("mnist", "validation")
    with pytest.raises(ValueError, match="source"):
        load_dataset("digits", source="npz")


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_the_spec_of_a_real_data_set_matches_its_files(name, shared_data_dir):
    """Shapes, classes and split sizes of the table against the arrays of the real npz files."""
    info = data.dataset_info(name)
    with np.load(os.path.join(shared_data_dir, info.npz_files[0])) as f:
        for split in ("train", "test"):
            assert f[f"x_{split}"].shape[0] == info.sizes[split], split
            assert f[f"x_{split}"].shape[1:] in (info.example_shape, info.example_shape[:2])  # MNIST: no channel
            assert len(np.unique(f[f"y_{split}"])) == info.num_classes
    assert info.sizes["train+test"] == load_dataset(name, "train+test", data_dir=shared_data_dir).n


def test_the_spec_of_the_generated_and_bundled_sets_matches_what_loads():
    from sklearn.datasets import load_digits

    for name in ("digits", "synthetic"):
        info, ds = data.dataset_info(name), load_dataset(name)
        assert (ds.n, ds.example_shape, ds.num_classes) == (info.sizes["train"], info.example_shape,
                                                            len(np.unique(ds.y))), name
    digits = load_digits()
    assert data.dataset_info("digits").sizes["train"] == len(digits.images)
    assert data.dataset_info("digits").example_shape[:2] == digits.images.shape[1:]


def test_the_spec_of_the_tfds_only_sets_matches_tfds_metadata(tmp_path):
    """SVHN cannot be had here: its image shape and classes against TFDS' own feature description (offline)."""
    tfds = pytest.importorskip("tensorflow_datasets")
    features = tfds.builder("svhn_cropped", data_dir=str(tmp_path)).info.features
    info = data.dataset_info("svhn")
    assert info.tfds_name == "svhn_cropped"
    assert tuple(features["image"].shape) == info.example_shape and features["label"].num_classes == info.num_classes
    assert data.dataset_info("celeba").tfds_name == "celeb_a"
    assert tuple(tfds.builder("celeb_a", data_dir=str(tmp_path)).info.features["image"].shape)[2] == 3


def test_command_line_choices_come_from_the_specs():
    """Evaluation takes any image set; the classifier metric and the reproduce scripts need class labels."""
    from mgan.metrics import classifier

    assert data.image_datasets() == ["mnist", "fashion_mnist", "cifar10", "svhn", "celeba", "digits"]
    assert data.labelled_image_datasets() == ["mnist", "fashion_mnist", "cifar10", "svhn", "digits"]
    assert set(classifier.CLASSIFIER_DATASETS) == set(classifier.DEFAULT_SETTINGS)


# --- digits and synthetic -------------------------------------------------------------------------------------------

def test_digits():
    ds = load_dataset("digits")
    assert ds.x.shape == (1797, 8, 8, 1) and ds.x.dtype == np.uint8
    assert ds.x.max() == 255 and ds.x.min() == 0 and ds.num_classes == 10
    assert set(np.unique(ds.y)) == set(range(10)) and ds.source.startswith("sklearn")
    # values are round(v * 255 / 16) of integers 0..16
    assert set(np.unique(ds.x)) <= {int(np.rint(v * 255 / 16)) for v in range(17)}


def test_synthetic():
    a = load_dataset("synthetic")
    b = load_dataset("synthetic", synthetic_seed=0)
    c = load_dataset("synthetic", synthetic_seed=1)
    assert a.x.shape == (10000, 100) and a.x.dtype == np.float32
    assert np.bincount(a.y).tolist() == [2500] * 4 and a.y.dtype == np.int32
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.extras["latent2d"], b.extras["latent2d"])
    assert not np.allclose(a.x, c.x) and not np.allclose(a.extras["covs"], c.extras["covs"])
    means = a.extras["means"]
    assert sorted(map(tuple, means.tolist())) == [(-2, -2), (-2, 2), (2, -2), (2, 2)]
    for k in range(4):  # samples follow their Gaussian; covariances are SPD
        assert np.allclose(a.extras["latent2d"][a.y == k].mean(0), means[k], atol=0.05)
        assert np.all(np.linalg.eigvalsh(a.extras["covs"][k]) > 0)
    assert a.source == "generated:standin" and a.substitute_for is None and a.num_classes == 4
    assert np.abs(a.x).max() < 1.0
    np.testing.assert_array_equal(to_unit_range(a.x), a.x)  # identity for float data


# --- to_unit_range and make_batches ---------------------------------------------------------------------------------

def test_to_unit_range():
    x = np.array([0, 127, 255], np.uint8)
    np.testing.assert_allclose(to_unit_range(x), [-1.0, 127 / 127.5 - 1, 1.0])
    t = to_unit_range(tf.constant(x))
    assert t.dtype == tf.float32
    np.testing.assert_allclose(t.numpy(), [-1.0, 127 / 127.5 - 1, 1.0])


def _index_dataset(n=103, shape=(4, 4, 1)):
    """y = row index, so batches reveal which rows they hold; x holds the full uint8 range."""
    x = np.random.default_rng(0).integers(0, 256, (n,) + shape, dtype=np.uint8)
    x[0], x[1] = 0, 255
    return ArrayDataset(name="t", x=x, y=np.arange(n, dtype=np.int32), num_classes=n, source="test", split="train")


def test_make_batches_values_and_shapes():
    ds = _index_dataset()
    for xb, yb in _batches(ds, 10, seed=3, count=12):
        assert xb.shape == (10, 4, 4, 1) and xb.dtype == np.float32 and yb.dtype == np.int32
        assert xb.min() >= -1.0 and xb.max() <= 1.0
        np.testing.assert_allclose(xb, ds.x[yb].astype(np.float32) / 127.5 - 1.0, rtol=0, atol=1e-6)
    with pytest.raises(ValueError):
        make_batches(ds, 104, seed=0)


def test_make_batches_epoch_is_permutation():
    ds = _index_dataset()  # 103 rows, batch 10 -> 10 steps per epoch, 3 rows dropped per epoch
    batches = _batches(ds, 10, seed=7, count=20)
    epoch0 = np.concatenate([y for _, y in batches[:10]])
    epoch1 = np.concatenate([y for _, y in batches[10:]])
    for e in (epoch0, epoch1):
        assert len(np.unique(e)) == 100 and e.min() >= 0 and e.max() < 103
    assert not np.array_equal(epoch0, epoch1)
    # the documented formula
    perm = tf.random.experimental.stateless_shuffle(tf.range(103, dtype=tf.int64), seed=[7, 1]).numpy()
    np.testing.assert_array_equal(batches[13][1], perm[30:40])


def test_make_batches_resume():
    ds = _index_dataset()
    ref = _batches(ds, 10, seed=5, count=25)
    for t in (0, 1, 9, 10, 13, 24):
        (xr, yr), = _batches(ds, 10, seed=5, start_step=t)
        np.testing.assert_array_equal(yr, ref[t][1])
        np.testing.assert_array_equal(xr, ref[t][0])
    # resuming continues identically for several steps
    resumed = _batches(ds, 10, seed=5, start_step=8, count=5)
    for i, (_, y) in enumerate(resumed):
        np.testing.assert_array_equal(y, ref[8 + i][1])


def test_make_batches_seeds_differ_and_repeat():
    ds = _index_dataset()
    a = _batches(ds, 10, seed=0, count=3)
    b = _batches(ds, 10, seed=1, count=3)
    a2 = _batches(ds, 10, seed=0, count=3)
    assert any(not np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    for x, y in zip(a, a2):
        np.testing.assert_array_equal(x[1], y[1])


def test_make_batches_class_sorted_input_is_mixed():
    y = np.repeat(np.arange(10, dtype=np.int32), 100)  # class-sorted, like the CIFAR-10 npz
    x = np.repeat(np.arange(10, dtype=np.uint8), 100)[:, None, None, None]
    ds = ArrayDataset(name="sorted", x=x, y=y, num_classes=10, source="test", split="train")
    for xb, yb in _batches(ds, 50, seed=0, count=4):
        assert len(np.unique(yb)) >= 6
        np.testing.assert_allclose(xb[:, 0, 0, 0], yb / 127.5 - 1.0, atol=1e-6)  # x and y stay paired


def test_make_batches_synthetic_float():
    ds = load_dataset("synthetic")
    (xb, yb), = _batches(ds, 64, seed=0)
    assert xb.shape == (64, 100)
    np.testing.assert_array_equal(xb, ds.x[np.asarray(
        tf.random.experimental.stateless_shuffle(tf.range(10000, dtype=tf.int64), seed=[0, 0]))[:64]])
