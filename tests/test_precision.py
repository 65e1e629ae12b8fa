"""Training precision (issue 14, mgan.nets.precision): float32 and mixed_bfloat16 networks, what stays float32, run
keys, manifests and resume, loading runs, the benchmark and the reproduce scripts' --precision."""
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import mgan  # noqa: F401
from mgan import models
from mgan.config import TrainConfig, validate
from mgan.errors import ConfigError, PrecisionMismatchError, UserError, report_user_errors
from mgan.experiments import runs
from mgan.nets import precision
from mgan.training import runner, timing, trained

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPE = (32, 32, 3)
BF16 = "mixed_bfloat16"
TINY_RUN = dict(model="dmgan", dataset="digits", width=0.0625, feature_dim=8, z_dim=6, batch_size=16,
                checkpoint_every=2, sample_every=0, log_every=1, progress=False)


def build(name="dmgan", prec=BF16, seed=0, **kw):
    keras.utils.set_random_seed(seed)
    cfg = models.resolve(TrainConfig(model=name, width=0.0625, batch_size=8, precision=prec, **kw), SHAPE)
    return models.build_model(cfg, SHAPE, 10)


def batch(m=8, seed=0):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.uniform(-1, 1, (m,) + SHAPE).astype("float32")),
            tf.constant(rng.integers(0, 10, m).astype("int32")))


def _float_kinds(variables):
    return {v.dtype for v in variables if "int" not in str(v.dtype)}


def test_bfloat16_networks_compute_in_bfloat16_with_float32_state_and_losses():
    model = build()
    convs = [layer for net in (model.generator, model.discriminator) for layer in net.layers
             if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    assert convs and all(layer.compute_dtype == "bfloat16" for layer in convs)
    assert model.generator.get_layer("tanh").compute_dtype == "float32"  # images leave G as float32
    assert model.discriminator.get_layer("head").compute_dtype == "float32"  # features leave D as float32
    assert _float_kinds(model.variables) == {"float32"}  # weights, BN statistics, centers
    assert _float_kinds(model.d_optimizer.variables + model.g_optimizer.variables) == {"float32"}
    x, y = batch()
    assert model.generator(tf.zeros([2, model.generator.input.shape[-1]])).dtype == tf.float32
    assert model.discriminator(x).dtype == tf.float32
    logs = model.train_step((x, y))
    assert all(v.dtype == tf.float32 and np.isfinite(float(v)) for v in logs.values())
    assert _float_kinds(model.variables + model.d_optimizer.variables) == {"float32"}
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored after building


def test_a_float32_model_built_after_a_bfloat16_one_is_float32():
    build(prec=BF16)
    model = build(prec="float32")
    assert {layer.compute_dtype for layer in model.generator.layers + model.discriminator.layers} == {"float32"}


def test_the_policy_is_restored_after_an_error_and_bad_precisions_are_refused():
    with pytest.raises(RuntimeError):
        with precision.policy(BF16):
            assert keras.config.dtype_policy().name == BF16
            raise RuntimeError("boom")
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(ConfigError, match="float32.*mixed_bfloat16"):
        validate(TrainConfig(precision="float16"))
    with pytest.raises(ConfigError, match="mixed_bfloat16"):
        precision.check("bf16")


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_every_model_trains_a_bfloat16_step_with_finite_losses(name):
    model = build(name, **({"kmeans_k": 4} if name == "kmgan" else {}))  # K-Means++ needs K <= the batch of 8
    model.iteration.assign(getattr(model, "timing_iteration", 0))  # WGAN: a steady-state step, not a 100-step burst
    logs = model.train_step(batch())
    assert all(np.isfinite(float(v)) for v in logs.values()), logs
    assert _float_kinds(model.variables + model.d_optimizer.variables + model.g_optimizer.variables) == {"float32"}


def test_a_bfloat16_step_agrees_with_the_float32_step_from_the_same_weights():
    logs = {}
    for prec in ("float32", BF16):
        model = build("dmgan", prec, seed=3)
        logs[prec] = {k: float(v) for k, v in model.train_step(batch(seed=3)).items()}
        if prec == "float32":
            weights = [v.numpy() for v in model.variables]
    for k in ("d_loss", "g_loss", "l_ip", "l_d", "real_center_norm", "fake_center_norm"):
        np.testing.assert_allclose(logs[BF16][k], logs["float32"][k], rtol=5e-2, err_msg=k)
    after = [v.numpy() for v in model.variables]
    assert len(after) == len(weights)
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(after, weights)) < 0.05  # the two steps moved alike


def test_float32_run_keys_are_unchanged_and_bfloat16_keys_differ():
    dmgan = TrainConfig(model="dmgan", dataset="mnist", width=0.25, steps=1300)
    assert runs.run_key(dmgan) == "a56e4cbf19e0"  # the key before the precision field existed
    assert runs.run_key(TrainConfig(model="dcgan", dataset="mnist", width=0.25, steps=1300)) == "c7d86e280336"
    assert "precision" not in runs.canonical_config(dmgan)
    bf = dmgan.replace(precision=BF16)
    assert runs.run_key(bf) != runs.run_key(dmgan) and runs.canonical_config(bf)["precision"] == BF16


@pytest.fixture(scope="module")
def bf16_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bf16") / "run"
    manifest = runner.train(TrainConfig(out=str(out), steps=2, precision=BF16, **TINY_RUN))
    return out, manifest


@pytest.mark.slow
def test_the_manifest_records_the_precision(bf16_run):
    out, manifest = bf16_run
    on_disk = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and on_disk["precision"] == BF16 and on_disk["config"]["precision"] == BF16
    assert runs.manifest_facts(on_disk)["config"]["precision"] == BF16
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines and all(np.isfinite(v) for r in lines for k, v in r.items() if k.endswith("loss"))


def test_resuming_under_another_precision_is_refused_in_one_line(bf16_run, capsys):
    out, _ = bf16_run
    cfg = TrainConfig(out=str(out), steps=4, precision="float32", **TINY_RUN)
    with pytest.raises(PrecisionMismatchError) as e:
        runner.train(cfg)
    msg = str(e.value)
    assert isinstance(e.value, UserError) and "\n" not in msg
    assert "--precision=mixed_bfloat16" in msg and "--precision=float32" in msg and "--out" in msg
    assert report_user_errors(lambda: runner.train(cfg)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1
    assert json.loads((out / "manifest.json").read_text())["step"] == 2  # nothing was trained


def test_a_bfloat16_run_is_loaded_under_its_precision(bf16_run):
    out, _ = bf16_run
    generator, _ = trained.load_run(str(out))
    assert any(layer.compute_dtype == "bfloat16" for layer in generator.layers)
    x, y = trained.generate_from_run(str(out), 20, seed=1)
    assert x.dtype == np.uint8 and x.shape == (20, 8, 8, 1) and y is not None
    assert trained.run_sample_grid(str(out)).dtype == np.uint8
    model, _ = trained.load_trained_model(str(out))
    assert model.discriminator.get_layer("conv1").compute_dtype == "bfloat16"
    assert keras.config.dtype_policy().name == "float32"


def test_timing_rows_record_the_precision_and_the_peak_conv_is_timed():
    _, info = timing.prepare_step(TrainConfig(model="dcgan", width=0.0625, batch_size=4, precision=BF16), SHAPE)
    assert info["precision"] == BF16 and info["largest_conv"]["macs"] > 0
    peak = timing.conv_peak(info["largest_conv"], 2, warmup=1, iters=1, repeats=1)
    assert set(peak["precisions"]) == {"float32", BF16}
    assert peak["precisions"][BF16]["compute_dtype"] == "bfloat16"
    assert all(v["train_gflops_per_s"] > 0 and v["forward_ms"] > 0 for v in peak["precisions"].values())


def test_largest_conv_is_the_one_with_most_multiply_adds():
    model = build("dmgan", "float32")
    convs = timing.conv_shapes(model.discriminator) + timing.conv_shapes(model.generator)
    assert timing.largest_conv(model)["macs"] == max(c["macs"] for c in convs)
    up = next(c for c in convs if c["layer"] == "generator/upconv4")  # 16x16x4 -> 32x32x3 as the conv 32x32x3 -> 16
    assert up["big"] == [32, 32, 3] and up["small"][:2] == [16, 16] and up["macs"] == 16 * 16 * 25 * 3 * 4


def _bench(*args):
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, os.path.join(REPO, "benchmarks", "step_time.py"), *args],
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_step_time_benchmark_times_both_precisions(tmp_path):
    path = tmp_path / "bench.json"
    r = _bench("--models=dcgan", "--layouts=literal", "--width=0.0625", "--batch_size=4", "--warmup=1", "--iters=1",
               "--repeats=1", f"--json={path}")
    assert r.returncode == 0, r.stderr[-2000:]
    rows = json.loads(path.read_text())["rows"]
    assert [row["precision"] for row in rows] == ["float32", BF16]
    assert rows[0]["speedup_vs_float32"] == 1.0 and rows[1]["speedup_vs_float32"] > 0
    assert all(row["fraction_of_peak"] > 0 for row in rows)
    assert "speed-up vs float32" in r.stdout and "fwd+bwd GFLOP/s" in r.stdout
    bad = _bench("--precision=float16")
    assert bad.returncode != 0 and "--precision must be" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_reproduce_scripts_pass_precision_into_their_runs(reproduce_env):
    import reproduce_helpers as helpers
    from mgan.experiments.published import ResultsConflictError

    res, out = helpers.run(reproduce_env, "study_dmgan_readings", None, "--readings=dcgan",
                           "--precision=mixed_bfloat16")
    rec = res["points"]["dcgan_w0.0625"]["per_seed"][0]
    assert rec["run"]["facts"]["config"]["precision"] == BF16
    assert res["options"]["precision"] == BF16 and "precision mixed_bfloat16" in res["rows"][0]["protocol"]
    assert "Training precision: mixed bfloat16" in open(os.path.join(out, "table.md"), encoding="utf-8").read()
    with pytest.raises(ResultsConflictError, match="precision mixed_bfloat16"):  # float32 results need another --out
        helpers.run(reproduce_env, "study_dmgan_readings", out, "--readings=dcgan")
    study = helpers.load_script("study_precision")
    from mgan.experiments import cli
    with pytest.raises(ConfigError, match="--precisions"):
        cli.run_argv(study, ["study_precision", "--scale=test", "--precision=mixed_bfloat16",
                             f"--out={reproduce_env['root'] / 'sp'}", f"--runs_dir={reproduce_env['runs']}"])
