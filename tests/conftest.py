import os
import zlib

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _shared_data_dir():
    d = os.environ.get("MGAN_DATA_DIR")  # .ci/run sets it when the real npz files are at hand
    return os.path.abspath(d) if d and os.path.exists(os.path.join(d, "mnist.npz")) else None


@pytest.fixture
def rng(request):
    """A NumPy generator seeded by the test's own name (parameters included), so each case draws the same data
    whatever runs before it, in whatever order, and whatever is deselected."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.split("::", 1)[1].encode()))


def pytest_collection_modifyitems(config, items):
    """Every test that takes the real data sets is marked ``needs_data`` (``pytest -m "not needs_data"``)."""
    for item in items:
        if "shared_data_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.needs_data)


@pytest.fixture(scope="session")
def shared_data_dir():
    """The directory with the real MNIST/Fashion/CIFAR-10 npz files; skips the test when it is absent."""
    d = _shared_data_dir()
    if d is None:
        pytest.skip("real data npz not found (set MGAN_DATA_DIR to the directory holding mnist.npz)")
    return d


@pytest.fixture
def evaluate_cli():
    """``evaluate_cli(argv)``: run ``python -m mgan.evaluate`` in this process; returns its exit code."""
    from absl import flags

    from mgan import evaluate

    def run(argv):
        flags.FLAGS.unparse_flags()
        flags.FLAGS(["mgan.evaluate"] + list(argv))
        try:
            return evaluate.main(["mgan.evaluate"])
        finally:
            flags.FLAGS.unparse_flags()

    return run


@pytest.fixture(scope="module")
def reproduce_env(tmp_path_factory):
    """A run store, results root and classifier cache for one test module of reproduce scripts (the tiny digits
    classifier is trained once per module)."""
    root = tmp_path_factory.mktemp("reproduce")
    old = os.environ.get("MGAN_CACHE_DIR")
    os.environ["MGAN_CACHE_DIR"] = str(root / "cache")
    yield {"root": root, "runs": str(root / "runs")}
    if old is None:
        os.environ.pop("MGAN_CACHE_DIR", None)
    else:
        os.environ["MGAN_CACHE_DIR"] = old
