"""Issue 9: runs that survive misuse and concurrency. One test (or parameter) per row of the issue's table: bad
flags fail before anything is written, a named data directory must exist, resume compares the data's identity, one
writer per run directory (two real processes), disk full during a checkpoint, unreadable checkpoint index, bad
generator files, bad samples npz for mgan.evaluate, label errors in a data npz; command lines print one or two lines
and no traceback."""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import mgan  # noqa: F401
from mgan import run_lock, runner, sampling
from mgan.config import TrainConfig
from mgan.data import DataUnavailableError, load_dataset
from mgan.errors import CheckpointError, ConfigError, InputFileError, RunError, RunLockedError, describe_os_error

TINY = dict(model="dmgan", dataset="digits", width=0.0625, feature_dim=8, z_dim=6, batch_size=16,
            checkpoint_every=2, sample_every=0, log_every=1, progress=False, deterministic=True)
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def cfg(out, **kw):
    return TrainConfig(out=str(out), **{**TINY, **kw})


def _no_traceback(r, max_lines=2):
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith(("I0000", "E0000", "W0000",
                                                                                    "WARNING: All log"))]
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert 1 <= len(lines) <= max_lines, r.stderr
    return "\n".join(lines)


# --- flags ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, needle", [
    ({"steps": -5}, "--steps"), ({"batch_size": 0, "steps": 3}, "--batch_size"), ({"batch_size": 0}, "--batch_size"),
    ({"checkpoint_every": 0}, "--checkpoint_every"), ({"log_every": 0}, "--log_every"), ({"lam": -1.0}, "--lam"),
    ({"gamma": -1.0}, "--gamma"), ({"width": -1.0}, "--width"), ({"clip": -2.0}, "--clip"),
    ({"steps": 0, "epochs": 0.0}, "--epochs"), ({"sample_every": -1}, "--sample_every"), ({"lr": 0.0}, "--lr"),
    ({"adam_betas": "0.5,1.5"}, "--adam_betas"), ({"lam": float("nan")}, "--lam"),
    ({"batch_size": 5000, "steps": 1}, "1797"),  # larger than the data set: was caught after the manifest
])
def test_bad_flags_fail_before_anything_is_written(tmp_path, bad, needle):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match=needle.replace("-", r"\-")):
        runner.train(cfg(out, **{"steps": 2, **bad}))
    assert not out.exists()


def test_corrected_command_runs_after_a_rejected_one(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ConfigError):
        runner.train(cfg(out, batch_size=0, steps=1))
    assert runner.train(cfg(out, steps=1))["status"] == "complete"  # no "run has 0, now 16"


def test_missing_data_dir_fails_at_once_without_tfds(tmp_path):
    t0 = time.time()
    with pytest.raises(DataUnavailableError, match="does not exist"):
        runner.train(cfg(tmp_path / "run", dataset="mnist", data_dir=str(tmp_path / "no_such_dir"), steps=1))
    assert time.time() - t0 < 10 and not (tmp_path / "run").exists()


def _mnist_like(path, n, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, n),
             x_test=rng.integers(0, 256, (8, 28, 28), dtype=np.uint8), y_test=rng.integers(0, 10, 8))


def test_resume_compares_data_identity_not_its_directory(tmp_path):
    _mnist_like(str(tmp_path / "a" / "mnist.npz"), 48, seed=0)
    _mnist_like(str(tmp_path / "b" / "mnist.npz"), 64, seed=1)
    os.makedirs(tmp_path / "c")
    shutil.copy(tmp_path / "a" / "mnist.npz", tmp_path / "c" / "mnist.npz")  # the same file elsewhere
    out = tmp_path / "run"
    mk = dict(dataset="mnist", layout="mnist", batch_size=8)
    runner.train(cfg(out, data_dir=str(tmp_path / "a"), steps=2, **mk))
    m = json.loads((out / "manifest.json").read_text())
    ident = m["data"]["identity"]
    assert ident["file"] == "mnist.npz" and ident["bytes"] == os.path.getsize(tmp_path / "a" / "mnist.npz")
    assert len(ident["sha256"]) == 64 and m["data"]["source"] == "npz:mnist.npz"
    assert str(tmp_path) not in (out / "manifest.json").read_text()  # no machine path in the manifest
    with pytest.raises(RunError, match="trained on other data") as ei:
        runner.train(cfg(out, data_dir=str(tmp_path / "b"), steps=4, **mk))
    for d in ("a", "b"):
        assert f"{os.path.getsize(tmp_path / d / 'mnist.npz'):,} bytes" in str(ei.value)
    assert json.loads((out / "manifest.json").read_text())["data"]["identity"] == ident  # not overwritten
    assert runner.train(cfg(out, data_dir=str(tmp_path / "c"), steps=4, **mk))["step"] == 4


def test_out_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(RunError, match="is a file"):
        runner.train(cfg(tmp_path / "f", steps=1))


def test_os_errors_become_one_line_with_the_fix(tmp_path):
    full = describe_os_error(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "m.json")))
    assert "No space left" in full and "free space" in full and str(tmp_path) in full
    denied = describe_os_error(PermissionError(errno.EACCES, "Permission denied", "/root/x"))
    assert "Permission denied" in denied and "--out" in denied
    exists = describe_os_error(FileExistsError(errno.EEXIST, "File exists", "/tmp/x"))
    assert "is a file" in exists
    assert all(len(s.splitlines()) == 1 for s in (full, denied, exists))


@pytest.mark.parametrize("args, needle", [(["--steps=-5"], "--steps"), (["OUT_IS_FILE"], "is a file"),
                                          (["--data_dir=NOPE", "--dataset=mnist"], "does not exist")])
def test_train_cli_reports_user_errors_in_one_or_two_lines(tmp_path, args, needle):
    (tmp_path / "file").write_text("x")
    out = tmp_path / ("file" if args == ["OUT_IS_FILE"] else "run")
    args = [a.replace("NOPE", str(tmp_path / "nope")) for a in args if a != "OUT_IS_FILE"]
    r = subprocess.run([sys.executable, "-m", "mgan.train", "--dataset=digits", "--width=0.0625", "--steps=2",
                        f"--out={out}", *args], capture_output=True, text=True, timeout=300, env=ENV)
    assert needle in _no_traceback(r)
    assert args == [] or not (tmp_path / "run").exists()


# --- one writer per run directory -------------------------------------------------------------------------------------

def _train_cmd(out, width, steps):
    return [sys.executable, "-m", "mgan.train", "--dataset=digits", f"--width={width}", "--feature_dim=8",
            "--z_dim=6", "--batch_size=16", f"--steps={steps}", "--checkpoint_every=5", "--sample_every=0",
            "--log_every=50", "--progress=false", f"--out={out}"]


def test_second_process_into_the_same_out_fails_at_once_naming_the_holder(tmp_path):
    out = tmp_path / "run"
    first = subprocess.Popen(_train_cmd(out, 0.0625, 10 ** 6), env=ENV, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while not (out / "checkpoints" / "checkpoint").exists():  # training has started, the lock is held
            assert time.time() < deadline and first.poll() is None, "the first run did not start"
            time.sleep(0.1)
        second = subprocess.run(_train_cmd(out, 0.125, 4), env=ENV, capture_output=True, text=True, timeout=300)
        msg = _no_traceback(second)
        assert f"in use by process {first.pid}" in msg and "--out" in msg
        assert first.poll() is None  # the first run goes on, its manifest untouched by the second
        assert json.loads((out / "manifest.json").read_text())["config"]["width"] == 0.0625
        with pytest.raises(RunLockedError, match=str(first.pid)):
            run_lock.acquire(str(out))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    run_lock.acquire(str(out))  # released by the OS with the killed process: a resume can start at once
    run_lock.release(str(out))


def test_lock_is_reentrant_in_one_process(tmp_path):
    with run_lock.hold(str(tmp_path)):
        with run_lock.hold(str(tmp_path)):
            assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
        assert str(tmp_path.resolve()) in run_lock._HELD  # the outer hold still holds
    assert not run_lock._HELD


# --- what is saved survives failures -------------------------------------------------------------------------------

def test_disk_full_during_a_checkpoint_keeps_the_last_good_one_and_the_manifest_consistent(tmp_path, monkeypatch):
    real = tf.train.CheckpointManager.save

    def disk_full_at_4(self, checkpoint_number=None, **kw):
        if checkpoint_number == 4:
            raise tf.errors.ResourceExhaustedError(None, None, "ckpt-4.data: No space left on device")
        return real(self, checkpoint_number=checkpoint_number, **kw)

    out = tmp_path / "full"
    monkeypatch.setattr(tf.train.CheckpointManager, "save", disk_full_at_4)
    with pytest.raises(CheckpointError, match="No space left on device.*resumes from .*ckpt-2"):
        runner.train(cfg(out, steps=6))
    m = json.loads((out / "manifest.json").read_text())
    assert m["step"] == 2 and m["status"] == "interrupted" and m["segments"][-1]["end_step"] == 4
    assert tf.train.latest_checkpoint(str(out / "checkpoints")).endswith("ckpt-2")
    monkeypatch.setattr(tf.train.CheckpointManager, "save", real)  # space freed
    runner.train(cfg(out, steps=6))
    runner.train(cfg(tmp_path / "ref", steps=6))
    for a, b in zip(*(keras.saving.load_model(str(d / "generator.keras"), compile=False).get_weights()
                      for d in (out, tmp_path / "ref"))):
        np.testing.assert_array_equal(a, b)


def test_empty_checkpoint_index_says_how_to_fix_it(tmp_path):
    out = tmp_path / "run"
    runner.train(cfg(out, steps=4))
    (out / "checkpoints" / "checkpoint").write_text("")
    with pytest.raises(CheckpointError, match='model_checkpoint_path: "ckpt-4"'):
        runner.train(cfg(out, steps=6))
    assert (out / "checkpoints" / "checkpoint").read_text() == ""  # nothing changed


def test_truncated_generator_is_named_with_the_fix(tmp_path):
    out = tmp_path / "run"
    runner.train(cfg(out, steps=1))
    data = (out / "generator.keras").read_bytes()
    (out / "generator.keras").write_bytes(data[:len(data) // 2])
    with pytest.raises(InputFileError, match="truncated or damaged") as ei:
        sampling.load_run(str(out))
    assert "delete it and re-run" in str(ei.value)
    r = subprocess.run([sys.executable, "-m", "mgan.sample", f"--run={out}", "--n=3",
                        f"--out={tmp_path / 's.npz'}"], capture_output=True, text=True, timeout=300, env=ENV)
    assert "truncated" in _no_traceback(r) and not (tmp_path / "s.npz").exists()
    os.remove(out / "generator.keras")  # the fix the message gives
    runner.train(cfg(out, steps=1))
    sampling.load_run(str(out))


def test_sample_cli_rejects_batch_size_zero(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mgan.sample", f"--run={tmp_path}", "--n=3", "--batch_size=0",
                        f"--out={tmp_path / 's.npz'}"], capture_output=True, text=True, timeout=300, env=ENV)
    assert "batch_size" in _no_traceback(r)


# --- mgan.evaluate on bad sample files ----------------------------------------------------------------------------

@pytest.mark.parametrize("content, needle", [
    ({"x": np.zeros((10, 28, 28, 1), np.uint8)}, "shape (10, 28, 28, 1)"),
    ({"x": np.zeros((10, 8, 8, 1), np.float32)}, "dtype float32"),
    ({"images": np.zeros((10, 8, 8, 1), np.uint8)}, "no array 'x'"),
    (None, "no such file"),
    ("not a zip", "not an npz file"),
    ({"x": np.zeros((1, 8, 8, 1), np.uint8)}, "at least 2"),
    ({"x": np.zeros((5, 8, 8, 1), np.uint8)}, "--splits=10"),
])
def test_evaluate_names_the_problem_of_a_bad_npz(tmp_path, capsys, content, needle, evaluate_cli):
    path = tmp_path / "s.npz"
    if isinstance(content, dict):
        np.savez(path, **content)
    elif isinstance(content, str):
        path.write_text(content)
    rc = evaluate_cli([f"--npz={path}", "--metric=classifier", "--dataset=digits", f"--cache_dir={tmp_path}"])
    err = capsys.readouterr().err
    assert rc == 1 and needle in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
    assert not (tmp_path / "classifiers").exists()  # failed before any network was trained or loaded


# --- data files ---------------------------------------------------------------------------------------------------

def test_label_errors_name_the_label_key_and_non_zip_files(tmp_path):
    _mnist_like(str(tmp_path / "mnist.npz"), 20, seed=0)
    d = dict(np.load(tmp_path / "mnist.npz"))
    np.savez(tmp_path / "mnist.npz", **{**d, "y_train": np.full(20, 12)})
    with pytest.raises(DataUnavailableError, match=r"y_train: labels must lie in 0\.\.9"):
        load_dataset("mnist", data_dir=str(tmp_path))
    (tmp_path / "mnist.npz").write_bytes(b"\x80\x04 pickled or anything")
    with pytest.raises(DataUnavailableError, match="not an npz file") as ei:
        load_dataset("mnist", data_dir=str(tmp_path))
    assert "pickled" not in str(ei.value)


# --- published files without machine paths ---------------------------------------------------------------------------

def test_portable_paths_and_the_scrub_tool(tmp_path, capsys):
    from mgan import portable_paths
    from mgan.experiments import scrub_results

    data = tmp_path / "data"
    _mnist_like(str(data / "mnist.npz"), 10, seed=0)
    roots = portable_paths.data_roots(str(data)) + [(str(tmp_path / "runs"), "RUNS_DIR")]
    text = (f"python reproduce/x.py --data_dir=../shared/data --out={portable_paths.REPO_ROOT}/results/x; "
            f"npz:{data}/mnist.npz {tmp_path}/runs/dmgan-mnist-abc /elsewhere/f.keras n = 200 / 2 splits "
            f"https://tfhub.dev/google/x")
    assert portable_paths.scrub_text(text, roots) == (
        "python reproduce/x.py --data_dir=DIR --out=results/x; npz:mnist.npz RUNS_DIR/dmgan-mnist-abc .../f.keras "
        "n = 200 / 2 splits https://tfhub.dev/google/x")
    res = tmp_path / "results" / "s"
    os.makedirs(res / "manifests")
    (res / "table.md").write_text(f"- Command: `python reproduce/s.py --data_dir={data}`\n")
    (res / "manifests" / "p__seed0.json").write_text(json.dumps(
        {"config": {"out": str(tmp_path / "runs" / "r"), "data_dir": str(data), "lam": 1.2},
         "data": {"source": f"npz:{data}/mnist.npz"}, "command": f"mgan.train --data_dir={data}"}))
    assert scrub_results.main([str(tmp_path / "results"), f"--data_dir={data}"]) == 0
    assert "rewrote 2 file(s)" in capsys.readouterr().out
    m = json.loads((res / "manifests" / "p__seed0.json").read_text())
    assert m["config"] == {"lam": 1.2} and m["data"]["source"] == "npz:mnist.npz"
    assert m["data"]["identity"]["sha256"] and m["command"] == "mgan.train --data_dir=DIR"
    assert (res / "table.md").read_text() == "- Command: `python reproduce/s.py --data_dir=DIR`\n"
    scrub_results.main([str(tmp_path / "results")])
    assert "rewrote 0 file(s)" in capsys.readouterr().out  # idempotent
