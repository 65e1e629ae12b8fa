"""The runner (model.fit plus the run's callbacks): outputs of a run, resume equality (in-process and after SIGKILL),
NaN stop, corrupt checkpoints, bad flags."""
import json
import os
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
from mgan.errors import CheckpointError, NonFiniteLossError, RunError
from mgan.objectives import losses
from mgan.training import runner

TINY = dict(model="dmgan", dataset="digits", width=0.0625, feature_dim=8, z_dim=6, batch_size=16,
            checkpoint_every=2, sample_every=2, log_every=1, progress=False, deterministic=True)


def cfg(out, **kw):
    return TrainConfig(out=str(out), **{**TINY, **kw})


def gen_weights(out):
    return keras.saving.load_model(os.path.join(out, "generator.keras"), compile=False).get_weights()


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.slow
def test_run_outputs_and_generator_loads(tmp_path):
    out = tmp_path / "run"
    manifest = runner.train(cfg(out, steps=4))
    for name in ("manifest.json", "metrics.jsonl", "generator.keras", "samples.png", "samples/step_0000002.png"):
        assert (out / name).exists(), name
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["step"] == 4 and m["config"]["seed"] == 0
    assert m["data"]["source"].startswith("sklearn") and m["config"]["noise"] == "uniform01"
    assert {"tensorflow", "keras", "numpy"} <= set(m["versions"]) and "git_commit" in m and "device" in m
    # the first two iterations of a segment trace and compile; iterations 3 and 4 are timed
    assert m["segments"] == [{**m["segments"][0], "start_step": 0, "end_step": 4, "timed_steps": 2}]
    assert m["ms_per_step"] > 0 and m["ms_per_step"] == m["segments"][0]["ms_per_step"]
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3, 4]
    assert {"loss", "d_loss", "g_loss", "real_center_norm", "sec_per_step"} <= set(lines[0])
    assert lines[0]["loss"] == pytest.approx(lines[0]["d_loss"] + lines[0]["g_loss"], rel=1e-5)
    events = list((out / "tensorboard").glob("events.out.tfevents.*"))
    assert events, "no TensorBoard event file in the run directory"
    tags = {v.tag for e in tf.compat.v1.train.summary_iterator(str(events[0])) for v in e.summary.value}
    assert {"d_loss", "g_loss", "loss"} <= tags
    g = keras.saving.load_model(str(out / "generator.keras"), compile=False)
    assert g.output.shape[1:] == (8, 8, 1)
    assert manifest["model"]["conditional"] is True


@pytest.mark.slow
def test_resume_equals_uninterrupted_run(tmp_path):
    runner.train(cfg(tmp_path / "a", steps=6))
    runner.train(cfg(tmp_path / "b", steps=2))
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["step"] == 2
    runner.train(cfg(tmp_path / "b", steps=6))
    assert_same_weights(gen_weights(tmp_path / "a"), gen_weights(tmp_path / "b"))
    steps = [json.loads(x)["step"] for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 7))
    runner.train(cfg(tmp_path / "b", steps=6))  # re-running a finished run changes nothing
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["status"] == "complete"
    assert_same_weights(gen_weights(tmp_path / "a"), gen_weights(tmp_path / "b"))


def test_centers_and_optimizer_state_are_checkpointed(tmp_path):
    runner.train(cfg(tmp_path / "c", steps=2))
    reader = tf.train.load_checkpoint(str(tmp_path / "c" / "checkpoints"))
    for name in ("real_centers", "fake_centers"):
        centers = reader.get_tensor(f"model/{name}/.ATTRIBUTES/VARIABLE_VALUE")
        assert centers.shape == (10, 8) and np.abs(centers).sum() > 0  # saved, and moved from their zero start
    for opt in ("d_optimizer", "g_optimizer"):
        assert reader.get_tensor(f"{opt}/_iterations/.ATTRIBUTES/VARIABLE_VALUE") == 2
        assert np.abs(reader.get_tensor(f"{opt}/_variables/2/.ATTRIBUTES/VARIABLE_VALUE")).sum() > 0  # Adam moment
    assert reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE") == 2


@pytest.mark.slow
def test_changed_config_refuses_to_resume(tmp_path):
    runner.train(cfg(tmp_path / "d", steps=2))
    with pytest.raises(RunError, match="lam"):
        runner.train(cfg(tmp_path / "d", steps=4, lam=2.0))


@pytest.mark.slow
def test_nan_stops_with_message_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "e"
    runner.train(cfg(out, steps=2))
    before = sorted(os.listdir(out / "checkpoints"))
    real = losses.dmgan_generator_loss
    monkeypatch.setattr(losses, "dmgan_generator_loss", lambda *a, **k: real(*a, **k) * np.nan)
    with pytest.raises(NonFiniteLossError, match="non-finite.*ckpt-2"):
        runner.train(cfg(out, steps=6))
    assert sorted(os.listdir(out / "checkpoints")) == before
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "failed: non-finite loss"
    assert m["segments"][-1]["end_step"] == 3  # stopped at the first broken iteration
    assert m["step"] == m["segments"][-1]["saved_step"] == 2  # the manifest's step is the last good checkpoint
    steps = [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]  # nothing of the broken iteration was logged


@pytest.mark.slow
def test_corrupt_checkpoint_is_reported_not_replaced(tmp_path):
    out = tmp_path / "f"
    runner.train(cfg(out, steps=2))
    data = [f for f in os.listdir(out / "checkpoints") if ".data-" in f][0]
    (out / "checkpoints" / data).write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="corrupt"):
        runner.train(cfg(out, steps=4))
    assert not (out / "checkpoints" / data).exists()  # set aside, never deleted (nothing intact to resume from)
    assert (out / "checkpoints" / "corrupt" / data).read_bytes() == b"garbage"


def test_bad_values_fail_fast_with_choices(tmp_path):
    with pytest.raises(ValueError, match="valid models"):
        runner.train(cfg(tmp_path / "g", model="nogan"))
    with pytest.raises(ValueError, match="digits"):
        runner.train(cfg(tmp_path / "g", dataset="imagenet"))
    with pytest.raises(ValueError, match="conditional"):
        runner.train(cfg(tmp_path / "g", label_mode="sometimes"))
    with pytest.raises(RunError, match="--out"):
        runner.train(cfg("", steps=1))
    with pytest.raises(ValueError, match="--log_every must be at least 1"):
        runner.train(cfg(tmp_path / "g", log_every=0))


def _cli(out, *extra):
    return [sys.executable, "-m", "mgan.train", "--model=dmgan", "--dataset=digits", "--width=0.0625",
            "--feature_dim=8", "--z_dim=6", "--batch_size=16", "--steps=8", "--checkpoint_every=2",
            "--sample_every=0", "--progress=false", "--deterministic", f"--out={out}", *extra]


@pytest.mark.slow
def test_cli_resume_after_sigkill_equals_uninterrupted(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    full = tmp_path / "full"
    subprocess.run(_cli(full), check=True, env=env, capture_output=True, timeout=300)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cli(killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (killed / "checkpoints" / "ckpt-4.index").exists():
        assert time.time() < deadline and proc.poll() is None, "run ended before the second checkpoint"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "generator.keras").exists()
    subprocess.run(_cli(killed), check=True, env=env, capture_output=True, timeout=300)
    assert_same_weights(gen_weights(full), gen_weights(killed))


@pytest.mark.slow
def test_cli_rejects_unknown_values(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mgan.train", "--model=nogan", f"--out={tmp_path}"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "dmgan" in r.stderr and "wadmgan" in r.stderr
    r = subprocess.run([sys.executable, "-m", "mgan.train", "--label_mode=x", f"--out={tmp_path}"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "conditional" in r.stderr


@pytest.mark.slow
def test_sample_cli_writes_data_schema_npz(tmp_path):
    out = tmp_path / "s"
    runner.train(cfg(out, steps=2))
    npz = tmp_path / "samples.npz"
    r = subprocess.run([sys.executable, "-m", "mgan.sample", f"--run={out}", "--n=37", f"--out={npz}"],
                       capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert r.returncode == 0, r.stderr
    d = np.load(npz)
    assert d["x"].shape == (37, 8, 8, 1) and d["x"].dtype == np.uint8
    assert d["y"].shape == (37,) and set(np.unique(d["y"])) <= set(range(10)) and len(np.unique(d["y"])) > 3
    # same seed -> same samples; the conditional labels drive the generator input
    from mgan.training import trained
    x1, y1 = trained.generate_from_run(str(out), 37, seed=0)
    np.testing.assert_array_equal(x1, d["x"])
    np.testing.assert_array_equal(y1, d["y"])
    _, y2 = trained.generate_from_run(str(out), 37, seed=1)
    assert not np.array_equal(y1, y2)  # a new seed draws new labels (and noise)
    r = subprocess.run([sys.executable, "-m", "mgan.sample", f"--run={tmp_path / 'nope'}", "--n=3",
                        f"--out={tmp_path / 'nope.npz'}"], capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "no finished run" in r.stderr
