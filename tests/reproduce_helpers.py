"""Shared by the tests of the reproduce scripts: load a script as a module, run it at the hidden test scale on
scikit-learn's digits, read table.md, and list the published files."""
import contextlib
import importlib.util
import os
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_script(name):
    path = os.path.join(REPO, "reproduce", name + ".py")
    spec = importlib.util.spec_from_file_location(f"reproduce_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(env, name, out=None, *extra, dataset="digits"):
    """Run reproduce/<name>.py at test scale in-process; returns (results dict, out directory)."""
    from mgan.experiments import cli

    out = out or str(env["root"] / "results" / name)
    argv = [name, "--scale=test", "--metric=classifier", f"--out={out}", f"--runs_dir={env['runs']}", *extra]
    if dataset:
        argv.insert(2, f"--dataset={dataset}")
    return cli.run_argv(load_script(name), argv), out


@contextlib.contextmanager
def training_runs():
    """The run directories trained while the block runs: a list filled by a wrapper of mgan.training.runner.train (the
    one function every training run goes through; the run store calls it for each run it trains or resumes)."""
    from mgan.training import runner

    trained, real = [], runner.train

    def train(cfg, *args, **kwargs):
        trained.append(cfg.out)
        return real(cfg, *args, **kwargs)

    runner.train = train
    try:
        yield trained
    finally:
        runner.train = real


def run_scripts(env, names):
    """Run each script once in order (later scripts reuse earlier runs): {name: {results, out, trained, started,
    elapsed}} (``started``: time.time() before the script; ``elapsed``: its wall seconds measured here)."""
    out = {}
    for name in names:
        t0 = time.time()
        with training_runs() as trained:
            res, path = run(env, name)
        out[name] = {"results": res, "out": path, "trained": len(trained), "started": t0, "elapsed": time.time() - t0}
    return out


def table_rows(md):
    """(header cells, list of row cells) of the markdown table in table.md."""
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    split = [[c.strip() for c in ln.strip().strip("|").split(" | ")] for ln in lines]
    return split[0], [r for r in split[2:]]


def published_files(out):
    for directory, _, files in os.walk(out):
        for f in files:
            if f.endswith((".json", ".md")):
                yield os.path.join(directory, f)


def assert_fails_without_celeba(script, tmp_path):
    """reproduce/<script>.py, run as a command at test scale with a data directory that has no CelebA, exits 1
    without a traceback (1: a user error, mgan.errors), says how to get CelebA or substitute it, and trains nothing."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, os.path.join(REPO, "reproduce", script + ".py"), "--scale=test",
                        f"--data_dir={tmp_path}", f"--out={tmp_path / 'out'}", f"--runs_dir={tmp_path / 'runs'}"],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, MGAN_CACHE_DIR=str(tmp_path / "cache")))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "celeba.npz" in r.stderr and "--dataset=cifar10" in r.stderr
    assert not os.path.exists(tmp_path / "runs")  # nothing trained


def write_celeba_stand_in(directory, n=300):
    """A generated CelebA stand-in (random 64x64 RGB images in mgan.data's npz schema) in ``directory``."""
    import numpy as np

    np.savez(os.path.join(directory, "celeba.npz"),
             x_train=np.random.default_rng(0).integers(0, 256, (n, 64, 64, 3), dtype=np.uint8))


def assert_no_machine_paths(env, out):
    """No published file under ``out`` names the test's temporary root or the repository path."""
    for path in published_files(out):
        text = open(path, encoding="utf-8").read()
        assert str(env["root"]) not in text and REPO not in text, path


def assert_figure(path, min_side=16):
    """``path`` is a PNG image of at least ``min_side`` pixels a side that is not blank: its pixels take several
    values in more than one colour row and column (a figure with content, not an empty or uniform canvas)."""
    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(path)
    assert img.ndim in (2, 3) and min(img.shape[:2]) >= min_side, (path, img.shape)
    gray = img[..., :3].mean(-1) if img.ndim == 3 else img
    # a matplotlib figure (RGBA) has text, axes and curves; a sample-grid panel (mgan.images, grey or RGB) may hold
    # flat samples at the test scale (4 iterations of tiny networks), but always its tiles and grid lines
    levels = 5 if img.ndim == 3 and img.shape[2] == 4 else 1
    assert gray.std() > 0.01 and len(np.unique(np.round(gray, 2))) > levels, path
    assert (gray.std(0) > 0).sum() > 10 and (gray.std(1) > 0).sum() > 10, path
