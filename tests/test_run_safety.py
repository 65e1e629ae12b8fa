"""Issue 9: runs that survive misuse and concurrency. One test (or parameter) per row of the issue's table: bad
flags fail before anything is written, a named data directory must exist, resume compares the data's identity, one
writer per run directory (two real processes), disk full during a checkpoint, unreadable checkpoint index, bad
generator files, bad samples npz for mgan.evaluate, label errors in a data npz; command lines print one or two lines
and no traceback."""
import errno
import json
import os
import re
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
from mgan.config import TrainConfig
from mgan.data import DataUnavailableError, load_dataset
from mgan.errors import CheckpointError, ConfigError, InputFileError, RunError, RunLockedError, describe_os_error
from mgan.training import callbacks, runner, trained
from mgan.training import lock as run_lock

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


@pytest.mark.slow
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


@pytest.mark.slow
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
@pytest.mark.slow
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


@pytest.mark.slow
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

@pytest.mark.slow
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


@pytest.mark.slow
def test_empty_checkpoint_index_is_rebuilt_and_set_aside(tmp_path, capsys):
    out = tmp_path / "run"
    runner.train(cfg(out, steps=4))
    (out / "checkpoints" / "checkpoint").write_text("")
    assert runner.train(cfg(out, steps=6))["step"] == 6  # resumed from ckpt-4: no hand edit of the index
    assert "resumed" in capsys.readouterr().out
    assert (out / "checkpoints" / "corrupt" / "checkpoint").read_text() == ""  # the old index set aside, not deleted


@pytest.mark.slow
def test_truncated_generator_is_named_with_the_fix(tmp_path):
    out = tmp_path / "run"
    runner.train(cfg(out, steps=1))
    data = (out / "generator.keras").read_bytes()
    (out / "generator.keras").write_bytes(data[:len(data) // 2])
    with pytest.raises(InputFileError, match="truncated or damaged") as ei:
        trained.load_run(str(out))
    assert "delete it and re-run" in str(ei.value)
    r = subprocess.run([sys.executable, "-m", "mgan.sample", f"--run={out}", "--n=3",
                        f"--out={tmp_path / 's.npz'}"], capture_output=True, text=True, timeout=300, env=ENV)
    assert "truncated" in _no_traceback(r) and not (tmp_path / "s.npz").exists()
    os.remove(out / "generator.keras")  # the fix the message gives
    runner.train(cfg(out, steps=1))
    trained.load_run(str(out))


@pytest.mark.slow
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
    from mgan.experiments import scrub_results
    from mgan.records import portable_paths

    data = tmp_path / "data"
    _mnist_like(str(data / "mnist.npz"), 10, seed=0)
    roots = portable_paths.data_roots(str(data)) + [(str(tmp_path / "runs"), "RUNS_DIR")]
    text = (f"python reproduce/x.py --data_dir=../data --out={portable_paths.REPO_ROOT}/results/x; "
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


# --- issue 24: nothing replaced without asking, clean interrupts, API input checks, fast offline failure -------------

def _mtime_and_bytes(path):
    return os.stat(path).st_mtime_ns, path.read_bytes()


@pytest.mark.slow
def test_finished_run_without_checkpoints_stays_finished(tmp_path, capsys):  # issue 24, row 1
    out = tmp_path / "run"
    runner.train(cfg(out, steps=2))
    generator, log = _mtime_and_bytes(out / "generator.keras"), (out / "metrics.jsonl").read_text()
    manifest = (out / "manifest.json").read_text()
    shutil.rmtree(out / "checkpoints")  # to save space
    capsys.readouterr()
    assert runner.train(cfg(out, steps=2))["status"] == "complete"
    said = capsys.readouterr().out
    assert "finished" in said and "checkpoints" in said and "missing" in said
    assert _mtime_and_bytes(out / "generator.keras") == generator and (out / "metrics.jsonl").read_text() == log
    assert (out / "manifest.json").read_text() == manifest  # no second segment starting at 0
    with pytest.raises(RunError, match="checkpoints .* are missing") as ei:  # extending it cannot resume
        runner.train(cfg(out, steps=4))
    assert "generator.keras" in str(ei.value) and "new --out" in str(ei.value)
    assert _mtime_and_bytes(out / "generator.keras") == generator and (out / "manifest.json").read_text() == manifest


def _sample(run_dir, out, *extra):
    return subprocess.run([sys.executable, "-m", "mgan.sample", f"--run={run_dir}", "--n=4", f"--out={out}", *extra],
                          capture_output=True, text=True, timeout=900, env=ENV)


def _interrupt_at(monkeypatch, step, exc=KeyboardInterrupt):
    """Raise ``exc`` (Ctrl-C) right after the iteration ``step`` has finished, as a signal would."""
    from mgan.training import callbacks

    real = callbacks.StepTimer.on_train_batch_end

    def on_end(self, batch, logs=None):
        real(self, batch, logs)
        if int(self.model.iteration.numpy()) == step:
            raise exc()

    monkeypatch.setattr(callbacks.StepTimer, "on_train_batch_end", on_end)


@pytest.mark.slow
def test_sample_never_replaces_out_and_records_provenance(tmp_path, monkeypatch):  # issue 24, rows 2 and 3
    from mgan.errors import RunInterrupted

    out = tmp_path / "run"
    runner.train(cfg(out, steps=2))  # generator.keras of step 2
    _interrupt_at(monkeypatch, 3)
    with pytest.raises(RunInterrupted):  # extended to 6, interrupted at 3: checkpoint 3, generator still step 2
        runner.train(cfg(out, steps=6))
    monkeypatch.undo()
    manifest = json.loads((out / "manifest.json").read_text())
    assert "step 2" in trained.stale_generator_warning(str(out), manifest)
    x, _, prov = trained.samples_from_run(str(out), 4, seed=5, from_checkpoint=True)
    assert prov["step"] == 3 and prov["source"] == "checkpoints/ckpt-3" and prov["seed"] == 5 and len(x) == 4

    keep = tmp_path / "notes.npz"
    keep.write_text("my notes, not an npz")
    r = _sample(out, keep)
    msg = _no_traceback(r)
    assert str(keep) in msg and "--overwrite" in msg and r.returncode == 1
    assert keep.read_text() == "my notes, not an npz"
    r = _sample(out, keep, "--overwrite", "--seed=7")
    assert r.returncode == 0, r.stderr
    assert "newest checkpoint is step 3" in r.stderr and "--from_checkpoint" in r.stderr  # warned
    with np.load(keep) as f:
        assert f["x"].shape[0] == 4 and int(f["step"]) == 2 and int(f["seed"]) == 7
        assert str(f["run"]) == str(out) and str(f["source"]) == "generator.keras"


def test_evaluate_never_replaces_out(tmp_path, capsys, evaluate_cli):  # issue 24, row 2 (every output file)
    npz, result = tmp_path / "s.npz", tmp_path / "scores.json"
    np.savez(npz, x=np.zeros((10, 8, 8, 1), np.uint8))
    result.write_text("earlier scores")
    rc = evaluate_cli([f"--npz={npz}", "--metric=classifier", "--dataset=digits", f"--cache_dir={tmp_path}",
                       f"--out={result}"])
    err = capsys.readouterr().err
    assert rc == 1 and str(result) in err and "--overwrite" in err and result.read_text() == "earlier scores"
    assert not (tmp_path / "classifiers").exists()  # refused before any work


# API input checks (rows 4 and 6): one InputDataError with the fix, at the first batch.
def _api_model(model="dmgan"):
    from mgan import models

    c = models.resolve(TrainConfig(model=model, width=0.0625, feature_dim=8, z_dim=6, conv_impl="keras", seed=3),
                       (8, 8, 1))
    return models.build_model(c, (8, 8, 1), 10)


def _xy(n=16, side=8, channels=1):
    rng = np.random.default_rng(0)
    return (rng.uniform(-1, 1, (n, side, side, channels)).astype("float32"), rng.integers(0, 10, n).astype("int32"))


def _ds(*parts):
    return tf.data.Dataset.from_tensor_slices(parts)


@pytest.mark.parametrize("case, needle", [
    ("uint8", r"images must be float in \[-1, 1\]; got uint8 0\.\.25\d: use mgan\.data\.to_unit_range"),
    ("uint8_numpy", r"got uint8 0\.\.25\d: use mgan\.data\.to_unit_range"),
    ("float_0_255", r"must be float in \[-1, 1\]"),
    ("nan", "NaN"),
    ("labels_12", r"labels must lie in 0\.\.9 .*got 12"),
    ("unbatched", r"call \.batch\(batch_size\)"),
    ("no_channel", r"no channel axis.*x\[\.\.\., None\]"),
])
def test_fit_rejects_bad_input_at_the_first_batch(case, needle):  # issue 24, rows 4 and 6
    from mgan.errors import InputDataError

    model, (x, y) = _api_model(), _xy()
    data = {"uint8": lambda: _ds(((x + 1) * 127.5).astype("uint8"), y).batch(8),
            "float_0_255": lambda: _ds((x + 1) * 127.5, y).batch(8),
            "nan": lambda: _ds(np.where(x > 0.5, np.nan, x).astype("float32"), y).batch(8),
            "labels_12": lambda: _ds(x, np.full(16, 12, "int32")).batch(8),
            "unbatched": lambda: _ds(x, y),
            "no_channel": lambda: _ds(x[..., 0], y).batch(8)}
    with pytest.raises(InputDataError, match=needle):
        if case == "uint8_numpy":
            model.fit(((x + 1) * 127.5).astype("uint8"), y, batch_size=8, verbose=0)
        else:
            model.fit(data[case](), verbose=0)
    assert int(model.iteration.numpy()) == 0  # nothing trained on the bad batch


@pytest.mark.slow
def test_second_fit_with_other_image_size_and_predict_labels_are_rejected():  # issue 24, row 4
    from mgan.errors import InputDataError
    from mgan.nets import latent

    model, (x, y) = _api_model(), _xy()
    model.fit(_ds(x, y).batch(8), verbose=0)
    big, _ = _xy(side=16)
    with pytest.raises(InputDataError, match=r"\(B, 8, 8, 1\).*\(8, 16, 16, 1\)"):
        model.fit(_ds(big, y).batch(8), verbose=0)
    z = latent.sample_noise([2, 6], "uniform01", [0, 1])
    with pytest.raises(InputDataError, match=r"labels must lie in 0\.\.9.*got 10, 99"):
        model.predict((z, np.array([10, 99], "int32")), verbose=0)
    assert model.predict((z, np.array([0, 9], "int32")), verbose=0).shape == (2, 8, 8, 1)


def test_save_to_h5_says_use_a_keras_path(tmp_path):  # issue 24, row 6
    from mgan.errors import InputDataError

    with pytest.raises(InputDataError, match=r"use a path ending in \.keras"):
        _api_model().save(str(tmp_path / "x.h5"))
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.slow
def test_interrupt_checkpoints_the_current_step_and_the_resume_says_where(tmp_path, monkeypatch, capsys):
    # issue 24, rows 5 and 11 (in one process; the real signals: test_signals_exit_130_and_143_without_traceback)
    from mgan.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, RunInterrupted, Terminated

    out = tmp_path / "run"
    _interrupt_at(monkeypatch, 3)
    with pytest.raises(RunInterrupted) as ei:
        runner.train(cfg(out, steps=8, checkpoint_every=4))
    assert str(ei.value) == ("interrupted at step 3; the newest checkpoint is step 3; re-run the same command to "
                             "resume") and ei.value.exit_code == EXIT_INTERRUPTED
    assert json.loads((out / "manifest.json").read_text())["step"] == 3
    monkeypatch.undo()
    _interrupt_at(monkeypatch, 5, Terminated)
    with pytest.raises(RunInterrupted) as ei:
        runner.train(cfg(out, steps=8, checkpoint_every=4))
    assert ei.value.exit_code == EXIT_TERMINATED and "step 5" in str(ei.value)
    assert "from step 3" in capsys.readouterr().out
    monkeypatch.undo()
    runner.train(cfg(out, steps=8, checkpoint_every=4))
    assert "from step 5" in capsys.readouterr().out
    runner.train(cfg(tmp_path / "ref", steps=8, checkpoint_every=4))  # the same weights as without interrupts
    for a, b in zip(*(keras.saving.load_model(str(d / "generator.keras"), compile=False).get_weights()
                      for d in (out, tmp_path / "ref"))):
        np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed exception, printed
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_whose_exception_was_swallowed_stops_the_run_after_the_iteration(tmp_path, sig):
    # Python raises a handler's exception wherever the main thread is; inside a __del__ it is only printed
    from mgan.errors import RunInterrupted, handle_signals

    class Swallows:
        def __del__(self):
            os.kill(os.getpid(), sig)

    out = tmp_path / "run"
    calls = []

    class SwallowAtStep3(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            calls.append(batch)
            if batch == 2:
                Swallows()  # deleted at once: the handler runs in __del__ and its exception is dropped

    real, before = callbacks.run_callbacks, [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(callbacks, "run_callbacks", lambda *a, **k: [SwallowAtStep3()] + real(*a, **k))
        with handle_signals(), pytest.raises(RunInterrupted) as ei:
            runner.train(cfg(out, steps=8, checkpoint_every=4))
    assert calls == [0, 1, 2]  # iteration 3 ran to its end, no later one began
    assert str(ei.value).startswith("interrupted at step 3;")
    assert ei.value.exit_code == (143 if sig == signal.SIGTERM else 130)
    assert [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)] == before  # the handlers are restored


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_checkpoint_write_lets_the_write_finish_then_stops(tmp_path, sig):
    """A signal raised inside TF's checkpoint save surfaced in CI as "RuntimeError: Exiting device scope without
    proper scope nesting" (exit 1, a traceback). Inside the run's fit and each save it is deferred: the save of step 4
    completes, and the run stops there."""
    from mgan.errors import RunInterrupted, handle_signals

    real_save, saves = tf.train.CheckpointManager.save, []

    def save(self, *args, **kwargs):
        saves.append(kwargs.get("checkpoint_number"))
        os.kill(os.getpid(), sig)  # arrives inside the write
        return real_save(self, *args, **kwargs)

    out = tmp_path / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tf.train.CheckpointManager, "save", save)
        with handle_signals(), pytest.raises(RunInterrupted) as ei:
            runner.train(cfg(out, steps=8, checkpoint_every=4))
    assert saves == [4]  # one write, not cut; nothing left to save on the interrupt
    assert str(ei.value).startswith("interrupted at step 4; the newest checkpoint is step 4;")
    assert ei.value.exit_code == (143 if sig == signal.SIGTERM else 130)


def test_signals_deferred_raises_at_the_end_of_the_block_once():
    from mgan import errors

    with errors.handle_signals():
        reached = []
        with pytest.raises(errors.Terminated):
            with errors.signals_deferred():
                with errors.signals_deferred():  # nested: the inner end raises
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(0.01)
                    reached.append("inner")
                reached.append("outer")
        assert reached == ["inner"]
        with errors.signals_deferred():  # acted on: not raised again
            pass
        with pytest.raises(KeyboardInterrupt):  # outside a deferred block a signal raises at once
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_exit_130_and_143_without_traceback(tmp_path, sig, code):  # issue 24, row 5
    out = tmp_path / "run"
    proc = subprocess.Popen(_train_cmd(out, 0.0625, 10 ** 6), env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # stdout unread: a full pipe would block the run
    deadline = time.time() + 240
    while not (out / "checkpoints" / "checkpoint").exists():
        assert time.time() < deadline and proc.poll() is None, "the run did not start"
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"still running 300 s after the signal; its stderr:\n{proc.communicate()[1]}")
    assert proc.returncode == code and "Traceback" not in err, err
    line = [ln for ln in err.splitlines() if ln.startswith("interrupted at step")]
    assert len(line) == 1, err
    step = int(line[0].split()[3].rstrip(";"))
    assert line[0].endswith(f"the newest checkpoint is step {step}; re-run the same command to resume")
    assert (out / "checkpoints" / f"ckpt-{step}.index").exists()


def test_offline_without_data_dir_fails_within_seconds(tmp_path, monkeypatch):  # issue 24, row 7
    import socket

    from mgan import data as data_lib

    calls = []
    monkeypatch.delenv("MGAN_DATA_DIR", raising=False)
    monkeypatch.delenv("TFDS_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    def no_network(*a, **k):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(data_lib, "_load_tfds", lambda *a, **k: calls.append(a) or (_ for _ in ()).throw(
        RuntimeError("TFDS retries for minutes")))
    t0 = time.time()
    with pytest.raises(DataUnavailableError) as ei:
        runner.train(cfg(tmp_path / "run", dataset="mnist", data_dir="", steps=1))
    msg = str(ei.value)
    assert time.time() - t0 < 15 and calls == []  # TFDS not even tried
    assert "--data_dir" in msg and "MGAN_DATA_DIR" in msg and "x_train" in msg and "unreachable" in msg
    assert not (tmp_path / "tensorflow_datasets").exists() and not (tmp_path / "run").exists()


def _corrupt(path):
    path.write_bytes(path.read_bytes()[:7])


@pytest.mark.slow
def test_corrupt_newest_checkpoint_resumes_from_the_newest_intact_one(tmp_path, capsys):  # issue 24, row 8
    out = tmp_path / "run"
    runner.train(cfg(out, steps=6, keep_checkpoints=3))
    data6 = next((out / "checkpoints").glob("ckpt-6.data-*"))
    _corrupt(data6)
    capsys.readouterr()
    assert runner.train(cfg(out, steps=8))["step"] == 8  # no hand edit of the index
    said = capsys.readouterr()
    assert "ckpt-6" in said.err and "corrupt" in said.err and "from step 4" in said.out
    assert (out / "checkpoints" / "corrupt" / data6.name).exists()  # set aside, not deleted
    assert (out / "checkpoints" / "corrupt" / "ckpt-6.index").exists()


@pytest.mark.slow
def test_deleted_newest_checkpoint_or_missing_index_resumes(tmp_path, capsys):  # issue 24, row 8
    out = tmp_path / "run"
    runner.train(cfg(out, steps=6, keep_checkpoints=3))
    for f in (out / "checkpoints").glob("ckpt-6.*"):
        f.unlink()  # the user deleted the corrupt files by hand
    capsys.readouterr()
    assert runner.train(cfg(out, steps=8))["step"] == 8
    said = capsys.readouterr()
    assert "corrupt" not in said.err and "from step 4" in said.out
    (out / "checkpoints" / "checkpoint").unlink()  # the index is gone
    assert runner.train(cfg(out, steps=10))["step"] == 10
    assert "from step 8" in capsys.readouterr().out


def test_runs_dir_that_is_a_file_is_named_before_anything_is_written(tmp_path):  # issue 24, row 9
    from reproduce_helpers import load_script

    from mgan.experiments import cli

    (tmp_path / "runs_file").write_text("x")
    out = tmp_path / "out"
    with pytest.raises(RunError, match="--runs_dir=.*is a file"):
        cli.run_argv(load_script("table2_svhn_lambda_sweep"),
                     ["table2", "--scale=test", "--dataset=digits", "--metric=classifier", f"--out={out}",
                      f"--runs_dir={tmp_path / 'runs_file'}"])
    assert not out.exists()  # no points/ and no protocol.json


def test_results_conflict_suggests_a_real_out(tmp_path):  # issue 24, row 9
    from mgan.experiments import cli, published, scales

    out = tmp_path / "out3"
    ctx = cli.Context(script="s", scale=scales.get_scale("smoke"), seeds=(0,), metric="classifier", dataset="mnist",
                      paper_dataset="mnist", out=str(out), runs_dir=str(tmp_path / "runs"))
    published.claim(ctx)
    ctx.scale = scales.get_scale("full")
    with pytest.raises(published.ResultsConflictError) as ei:
        published.check(ctx)
    assert f"--out={out}-full-mnist-classifier" in str(ei.value) and "..." not in str(ei.value)


def test_no_resume_hint_where_there_is_nothing_to_resume(tmp_path):  # issue 24, row 10
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunError, match="which is a file"):
        runner.train(cfg(tmp_path / "file" / "run", steps=1))
    assert runner.resume_hint(str(tmp_path / "new")) == ""


@pytest.mark.slow
def test_nan_before_the_first_checkpoint_names_the_flag_and_no_resume(tmp_path):  # issue 24, row 10
    from mgan.errors import NonFiniteLossError

    with pytest.raises(NonFiniteLossError) as ei:
        runner.train(cfg(tmp_path / "run", steps=4, checkpoint_every=4, lam=1e38), explicit={"lam"})
    msg = str(ei.value)
    assert "--lam=1e+38" in msg and "nothing to resume" in msg and "new --out" in msg
    assert "re-run the same command" not in msg and "learning rate" not in msg


@pytest.mark.slow
def test_progress_without_a_tty_is_plain_lines(tmp_path, capsys):  # issue 24, row 12
    runner.train(cfg(tmp_path / "run", steps=4, log_every=2, progress=True))
    out = capsys.readouterr().out
    assert not any(c in out for c in "\b\r\x1b"), repr(out[:300])
    steps = [ln.split()[1] for ln in out.splitlines() if ln.startswith("step ")]
    assert steps == ["2/4", "4/4"] and len(out) < 2000


def _cli(*args):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=900, env=ENV)


@pytest.mark.slow  # six processes, each importing TensorFlow
@pytest.mark.parametrize("command", ["mgan.train", "mgan.sample", "mgan.evaluate"])
def test_help_exits_0_and_lists_values_usage_errors_exit_2(command):  # issue 24, row 13
    for flag in ("--help", "--helpfull"):
        r = _cli(command, flag)
        assert r.returncode == 0, r.stderr
        listed = [ln.split(":")[0].strip() for ln in r.stdout.splitlines() if ln.startswith("  --")]
        foreign = [f for f in listed if re.search(r"(^--|\]|_)tpu", f) or "test_" in f or "xml_output" in f]
        assert "--out" in listed and not foreign, foreign  # ("literal_output_block" holds "tpu", not a TPU flag)
        assert "absl.testing" not in r.stdout
    if command == "mgan.train":
        model = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith("--model:"))
        dataset = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith("--dataset:"))
        assert "dmgan, dmgan_f" in model and "mnist, fashion_mnist" in dataset and "see mgan" not in model + dataset
    r = _cli(command, "--no_such_flag=1")
    assert r.returncode == 2 and "no_such_flag" in _no_traceback(r) and "--help" in r.stderr
