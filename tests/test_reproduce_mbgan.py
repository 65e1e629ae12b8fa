"""The six MBGAN-paper scripts end to end at the hidden test scale (issue 10, items 3-4).

As tests/test_reproduce.py: scikit-learn's digits stand in for CIFAR-10 and SVHN (so every output must say so);
CelebA is a small generated stand-in file (random 64x64 images in the npz schema of mgan.data), which exercises the
64x64 networks and the unconditional MBGAN; one shared run store, in the order of results/README.md.
"""
import json
import os

import numpy as np
import pytest

from mgan.experiments import runs as runs_lib
from mgan.experiments.mbgan import paper_values
from mgan.training import manifest as run_manifest
from reproduce_helpers import (assert_fails_without_celeba, assert_figure, assert_no_machine_paths, run, run_scripts,
                               table_rows, write_celeba_stand_in)

# every test runs reproduce scripts end to end (training runs) or starts an interpreter
pytestmark = pytest.mark.slow

SCRIPTS = ["mbgan_fig6_grad_norm", "mbgan_table3_cifar_svm", "mbgan_table4_svhn_svm", "mbgan_fig4_alpha_sweep",
           "mbgan_fig5_k_sweep"]
TEST_STEPS = 2  # the test scale's 4 iterations of batch 64 = 2 of batch 128 (the same number of images)


@pytest.fixture(scope="module")
def results(reproduce_env):
    return run_scripts(reproduce_env, SCRIPTS)


def _manifest(reproduce_env, res, label):
    return run_manifest.read(runs_lib.run_dir_of(res["points"][label]["per_seed"][0], reproduce_env["runs"]))


def test_svm_tables_compare_with_the_paper_and_state_the_protocol(reproduce_env, results):
    for name, paper in (("mbgan_table3_cifar_svm", paper_values.MBGAN_TABLE3_SVM),
                        ("mbgan_table4_svhn_svm", paper_values.MBGAN_TABLE4_SVM)):
        res, out = results[name]["results"], results[name]["out"]
        rows = {r["name"]: r for r in res["rows"]}
        assert {n: rows[n]["paper"][0] for n in rows} == paper
        for r in rows.values():
            assert 0.0 <= r["ours_mean"] <= 1.0 and r["delta"] == "not comparable (substitute data set)"
            assert r["svm_feature_dim"] > 0 and r["svm_C"] > 0
            assert "pooled to 4x4" in r["protocol"] and "100 training images" in r["protocol"]
        header, cells = table_rows(open(os.path.join(out, "table.md"), encoding="utf-8").read())
        assert header[1] == "Paper (SVM accuracy)" and any("18,432" in h for h in header)
        assert [c[1] for c in cells] == [f"{paper['DCGAN']:.3f}", f"{paper['MBGAN']:.3f}"]
        assert_figure(os.path.join(out, res["figures"][0].split("/")[-1]))
        # the MBGAN-paper settings: 'mbgan' networks where the data has them, batch 128, training split only
        for label in ("dcgan", "mbgan"):
            cfg = _manifest(reproduce_env, res, label)["config"]
            assert cfg["batch_size"] == 128 and cfg["split"] == "train" and cfg["steps"] == TEST_STEPS
        m = _manifest(reproduce_env, res, "mbgan")
        assert m["config"]["alpha"] == 200.0 and m["config"]["feature_dim"] == 500 and m["model"]["conditional"]
    assert "substitute for SVHN" in results["mbgan_table4_svhn_svm"]["results"]["data"]["label"]
    # Table 3's MBGAN is Fig. 6's run, Table 4 on digits reuses both runs of Table 3
    assert results["mbgan_table3_cifar_svm"]["trained"] == 1 and results["mbgan_table4_svhn_svm"]["trained"] == 0


def test_another_svm_protocol_is_refused_in_place_and_reuses_the_runs_elsewhere(reproduce_env, results):
    from mgan.experiments.published import ResultsConflictError

    out = results["mbgan_table3_cifar_svm"]["out"]
    with pytest.raises(ResultsConflictError, match="--svm_n_train=60"):
        run(reproduce_env, "mbgan_table3_cifar_svm", out, "--svm_C=0.5", "--svm_n_train=60")
    res, _ = run(reproduce_env, "mbgan_table3_cifar_svm", out + "_n60", "--svm_C=0.5", "--svm_n_train=60")
    assert res["counts"] == {"skipped": 0, "trained": 0, "reused_run": 2}
    for r in res["rows"]:
        assert r["svm_C"] == 0.5 and "60 training images" in r["protocol"]
    res, _ = run(reproduce_env, "mbgan_table3_cifar_svm", out + "_n60", "--svm_C=0.5", "--svm_n_train=60")
    assert res["counts"]["skipped"] == 2


def test_alpha_sweep_runs_both_margin_readings(reproduce_env, results):
    res = results["mbgan_fig4_alpha_sweep"]["results"]
    assert len(res["points"]) == 8
    seen = set()
    for label, pt in res["points"].items():
        cfg = _manifest(reproduce_env, res, label)["config"]
        seen.add((cfg["alpha"], cfg["margin_reduction"]))
        assert cfg["feature_dim"] == 500 and pt["meta"]["alpha"] == cfg["alpha"]
    assert seen == {(a, r) for a in paper_values.MBGAN_ALPHAS for r in ("mean", "sum")}
    out = results["mbgan_fig4_alpha_sweep"]["out"]
    for f in ("mbgan_fig4_alpha_mean.png", "mbgan_fig4_alpha_sum.png", "mbgan_fig4_score_vs_alpha.png"):
        assert_figure(os.path.join(out, f))
    for r in res["rows"]:
        assert "not in the paper" in r["paper_note"] and r["ours_mean"] is not None
    # the 'mean' α 200 point is Table 3's MBGAN (shared run); the 'sum' ones are new runs
    assert results["mbgan_fig4_alpha_sweep"]["trained"] == 7
    one, _ = run(reproduce_env, "mbgan_fig4_alpha_sweep", out + "_sum", "--margin_reduction=sum")
    assert len(one["points"]) == 4 and one["counts"]["trained"] == 0


def test_k_sweep_shares_its_k500_point_with_the_alpha_sweep(reproduce_env, results):
    res = results["mbgan_fig5_k_sweep"]["results"]
    ks = sorted(_manifest(reproduce_env, res, label)["config"]["feature_dim"] for label in res["points"])
    assert ks == list(paper_values.MBGAN_KS)
    a20 = results["mbgan_fig4_alpha_sweep"]["results"]["points"]["mbgan_alpha20_k500_mean"]["per_seed"][0]
    assert res["points"]["mbgan_alpha20_k500_mean"]["per_seed"][0]["run"]["key"] == a20["run"]["key"]
    assert results["mbgan_fig5_k_sweep"]["trained"] == 3


def test_grad_norm_figure_logs_every_iteration(reproduce_env, results):
    res = results["mbgan_fig6_grad_norm"]["results"]
    run_dir = runs_lib.run_dir_of(res["points"]["mbgan"]["per_seed"][0], reproduce_env["runs"])
    lines = [json.loads(ln) for ln in open(os.path.join(run_dir, "metrics.jsonl"))]
    assert [ln["step"] for ln in lines] == list(range(1, TEST_STEPS + 1))
    assert all(np.isfinite(ln["g_grad_norm"]) and ln["g_grad_norm"] > 0 for ln in lines)
    s = res["grad_norm_summary"]
    assert s["log_every"] == 1 and s["min"] == pytest.approx(min(ln["g_grad_norm"] for ln in lines))
    md = open(os.path.join(results["mbgan_fig6_grad_norm"]["out"], "table.md"), encoding="utf-8").read()
    assert "Not in the paper (aids)" in md and "batch 128, 2 iterations" in md


def test_published_files_hold_no_machine_paths(reproduce_env, results):
    for name in SCRIPTS:
        assert_no_machine_paths(reproduce_env, results[name]["out"])


def test_celeba_script_fails_clearly_without_celeba(tmp_path):
    assert_fails_without_celeba("mbgan_fig9_celeba_interpolation", tmp_path)


def test_celeba_script_on_a_generated_stand_in(reproduce_env, tmp_path):
    write_celeba_stand_in(tmp_path)
    res, out = run(reproduce_env, "mbgan_fig9_celeba_interpolation", None, f"--data_dir={tmp_path}", "--interp_rows=3",
                   "--interp_steps=5", dataset=None)
    m = _manifest(reproduce_env, res, "mbgan")
    assert m["config"]["layout"] == "celeba64" and m["config"]["pair_sampling"] == "independent"
    assert not m["model"]["conditional"] and m["data"]["name"] == "celeba"
    for f in ("mbgan_fig8_celeba_samples.png", "mbgan_fig9_celeba_interpolation.png"):
        assert_figure(os.path.join(out, f))
    from PIL import Image

    grid = np.asarray(Image.open(os.path.join(out, "mbgan_fig9_celeba_interpolation_grid.png")))
    assert grid.shape[:2] == (3 * 65 - 1, 5 * 65 - 1)  # 3 rows of 5 images of 64x64, 1-pixel gaps
    assert all(r["status"].startswith("trained by this script (figure only)") for r in res["rows"])


def test_interpolation_inputs_closed_form():
    from mgan.nets.sampling import interpolation_inputs

    rng = np.random.default_rng(0)
    zl, zr = rng.uniform(size=(2, 4)), rng.uniform(size=(2, 4))
    z = interpolation_inputs(zl, zr, 5).reshape(2, 5, 4)
    np.testing.assert_allclose(z[:, 0], zl, rtol=1e-6)  # λ = 1: z_l on the left
    np.testing.assert_allclose(z[:, -1], zr, rtol=1e-6)  # λ = 0: z_r on the right
    np.testing.assert_allclose(z[:, 2], 0.5 * (zl + zr), rtol=1e-6)
    np.testing.assert_allclose(z[:, 1], 0.75 * zl + 0.25 * zr, rtol=1e-6)
    with pytest.raises(ValueError, match="at least 2 steps"):
        interpolation_inputs(zl, zr, 1)
    with pytest.raises(ValueError, match="one shape"):
        interpolation_inputs(zl, zr[:1], 3)
