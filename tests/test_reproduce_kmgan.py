"""The six KM-GAN-paper scripts end to end at the hidden test scale (issue 12, items 3-5).

As tests/test_reproduce.py: scikit-learn's digits stand in for MNIST, Fashion-MNIST and CIFAR-10 (every output must
say so); Fig. 2 runs on its own generated synthetic stand-in, Fig. 7 on a small generated CelebA stand-in file. One
shared run store, in the order of results/README.md.
"""
import json
import os

import numpy as np
import pytest

from mgan.experiments import runs as runs_lib
from mgan.experiments.kmgan import paper_values
from mgan.training import manifest as run_manifest
from reproduce_helpers import (assert_fails_without_celeba, assert_figure, assert_no_machine_paths, load_script,
                               run, run_scripts, training_runs,
                               table_rows, write_celeba_stand_in)

# every test runs reproduce scripts end to end (training runs) or starts an interpreter
pytestmark = pytest.mark.slow

SCRIPTS = ["kmgan_fig3_pixel_vs_feature", "kmgan_fig4_weight_clipping", "kmgan_fig5_fashion_class_frequency",
           "kmgan_table_cifar_is"]


@pytest.fixture(scope="module")
def results(reproduce_env):
    return run_scripts(reproduce_env, SCRIPTS)


def _run_dir(env, res, label):
    return runs_lib.run_dir_of(res["points"][label]["per_seed"][0], env["runs"])


def _config(env, res, label):
    return run_manifest.read(_run_dir(env, res, label))["config"]


def test_fig2_features_at_every_kept_checkpoint_on_the_synthetic_stand_in(reproduce_env):
    from mgan.experiments.kmgan import figures as kmgan_figures
    from mgan.training import trained

    res, out = run(reproduce_env, "kmgan_fig2_synthetic_features", dataset=None)
    assert res["data"]["used"] == "synthetic" and not res["data"]["substitute"]
    cfg = _config(reproduce_env, res, "kmgan")
    assert (cfg["layout"], cfg["kmeans_k"], cfg["feature_dim"]) == ("mlp", 4, 500)
    sil = res["feature_silhouettes"]
    assert [s["step"] for s in sil["kmgan"]] == [1, 2, 3, 4] == [s["step"] for s in sil["dcgan"]]
    assert "_feature_snapshots" not in json.load(open(os.path.join(out, "results.json")))
    # the last snapshot is the finished run's D; the first one is another (restored) D
    x, y = kmgan_figures.probe_set("synthetic")
    assert x.shape == (1000, 100) and np.bincount(y).tolist() == [250] * 4
    snaps = kmgan_figures.feature_snapshots(_run_dir(reproduce_env, res, "kmgan"), x)
    model, _ = trained.load_trained_model(_run_dir(reproduce_env, res, "kmgan"))
    np.testing.assert_allclose(snaps[-1][1], model.discriminator(x, training=False).numpy(), rtol=1e-5, atol=1e-6)
    assert np.abs(snaps[0][1] - snaps[-1][1]).max() > 1e-6 and snaps[0][1].shape == (1000, 500)
    dc = kmgan_figures.feature_snapshots(_run_dir(reproduce_env, res, "dcgan"), x)
    assert dc[0][1].shape[1] == 128 * 0.0625  # DCGAN: the last hidden layer (its head is one logit)
    assert_figure(os.path.join(out, "kmgan_fig2_synthetic_features.png"))


def test_fig3_trains_reduced_regular_and_no_center_loss(reproduce_env, results):
    res, out = results["kmgan_fig3_pixel_vs_feature"]["results"], results["kmgan_fig3_pixel_vs_feature"]["out"]
    seen = {label: (_config(reproduce_env, res, label)["kmeans_space"],
                    _config(reproduce_env, res, label)["center_sgd_lr"]) for label in res["points"]}
    assert seen == {"kmgan_reduced": ("pixel", 2e-4), "kmgan": ("feature", 2e-4),
                    "kmgan_no_center_loss": ("feature", 0.0)}
    for label in res["points"]:
        cfg = _config(reproduce_env, res, label)
        assert cfg["kmeans_k"] == 10 and cfg["label_mode"] == "unlabeled" and cfg["clip"] == 0.1
    rows = {r["name"]: r for r in res["rows"]}
    assert all(r["class_report"]["classes_covered"] >= 1 for r in rows.values())
    assert "suffers mode collapse" in rows["(b) reduced KM-GAN (pixel-space K-Means)"]["paper_note"]
    from PIL import Image

    from mgan.experiments.figures import real_grid

    panel_a = np.asarray(Image.open(os.path.join(out, "kmgan_fig3_pixel_vs_feature_a.png")))
    want = real_grid("digits")
    assert panel_a.shape[:2] == (2 * want.shape[0], 2 * want.shape[1])  # upscaled 2x
    np.testing.assert_array_equal(panel_a[::2, ::2].reshape(want.shape[:2] + (-1,))[..., 0], want[..., 0])


def test_fig4_shares_the_clipped_run_and_trains_without_clipping(reproduce_env, results):
    res = results["kmgan_fig4_weight_clipping"]["results"]
    assert _config(reproduce_env, res, "kmgan_no_clip")["clip"] == 0.0
    assert _config(reproduce_env, res, "kmgan")["clip"] == 0.1
    f3 = results["kmgan_fig3_pixel_vs_feature"]["results"]["points"]["kmgan"]["per_seed"][0]["run"]["key"]
    assert res["points"]["kmgan"]["per_seed"][0]["run"]["key"] == f3
    assert results["kmgan_fig4_weight_clipping"]["trained"] == 2  # DCGAN and KM-GAN without clipping
    assert _config(reproduce_env, res, "dcgan")["label_mode"] == "unlabeled"


def test_fig5_class_frequencies_from_a_three_conv_classifier(reproduce_env, results):
    from mgan.experiments.kmgan import figures as kmgan_figures
    from mgan.metrics import classifier

    res = results["kmgan_fig5_fashion_class_frequency"]["results"]
    freq = res["class_frequency"]
    c = freq["classifier"]
    assert c["settings"]["widths"] == [32, 64, 128] and 0 < c["train_accuracy"] <= 1 and 0 < c["test_accuracy"] <= 1
    assert freq["n_samples"] == 200  # the test scale's sample count (10,000 otherwise)
    net = classifier.get_classifier("digits", progress=False, widths=(32, 64, 128))
    assert net.id == c["id"]
    for label in ("kmgan", "dcgan"):
        f = freq["points"][label]["frequency"]
        assert len(f) == 10 and sum(f) == pytest.approx(1.0)
        again, _ = kmgan_figures.class_frequencies(_run_dir(reproduce_env, res, label), net, 200)
        assert again == f  # the same samples (seed 0) and classifier give the same labels
    out = results["kmgan_fig5_fashion_class_frequency"]["out"]
    assert_figure(os.path.join(out, "kmgan_fig5_fashion_class_frequency.png"))


def test_cifar_table_rows_and_runs_shared_with_dmgan_table3(reproduce_env, results):
    res, out = results["kmgan_table_cifar_is"]["results"], results["kmgan_table_cifar_is"]["out"]
    rows = {r["name"]: r for r in res["rows"]}
    assert rows["KM-GAN (reconstructed)"]["paper"] == list(paper_values.KMGAN_REFERENCE_IS)
    for name in paper_values.KMGAN_TABLE_LOST_ROWS:
        assert rows[name]["ours_cell"] == "—" and "value not available" in rows[name]["status"]
    assert _config(reproduce_env, res, "dcgan_conditional")["label_mode"] == "conditional"
    assert _config(reproduce_env, res, "mbgan")["label_mode"] == "conditional"
    assert _config(reproduce_env, res, "wgan")["label_mode"] == "unlabeled"
    # DMGAN Table 3 declares the same KM-GAN, MBGAN and WGAN runs (its KM-GAN row is this run)
    from mgan.experiments import cli
    from absl import flags

    for dataset in ("digits", "cifar10"):
        keys = {}
        for name in ("kmgan_table_cifar_is", "table3_cifar_is"):
            module, fv = load_script(name), flags.FlagValues()
            script, extra = cli._setup(module, fv)
            fv([name, "--scale=smoke", f"--dataset={dataset}"])
            ctx = cli.context_from_flags(fv, script, module.PAPER_DATASET, extra, argv=[])
            keys[name] = {p.label: runs_lib.run_key(p.config) for p in module.declare(ctx).points}
        for label in ("kmgan", "mbgan", "wgan"):
            assert keys["kmgan_table_cifar_is"][label] == keys["table3_cifar_is"][label], (dataset, label)
    md = open(os.path.join(out, "table.md"), encoding="utf-8").read()
    header, cells = table_rows(md)
    assert "reconstructed" in md and "5.61 ± 0.09" in md


def test_every_output_says_reconstructed_and_substitute(reproduce_env, results):
    for name in SCRIPTS:
        out = results[name]["out"]
        md = open(os.path.join(out, "table.md"), encoding="utf-8").read()
        assert "reconstructed" in md and "substitute for" in md, name
        assert_no_machine_paths(reproduce_env, out)


def test_celeba_script_fails_clearly_without_celeba(tmp_path):
    assert_fails_without_celeba("kmgan_fig7_celeba", tmp_path)


def test_celeba_script_on_a_generated_stand_in(reproduce_env, tmp_path):
    write_celeba_stand_in(tmp_path)
    res, out = run(reproduce_env, "kmgan_fig7_celeba", None, f"--data_dir={tmp_path}", "--interp_rows=3",
                   "--interp_steps=10", dataset=None)
    cfg = _config(reproduce_env, res, "kmgan")
    assert (cfg["layout"], cfg["kmeans_k"], cfg["reg_lambda"], cfg["label_mode"]) == ("celeba64", 5, 5.0,
                                                                                      "unlabeled")
    for f in ("kmgan_fig7_celeba_samples.png", "kmgan_fig7_celeba_interpolation.png"):
        assert_figure(os.path.join(out, f))
    assert all(r["status"].startswith("trained by this script (figure only)") for r in res["rows"])


def test_readings_study_shares_the_figures_runs(reproduce_env, results):
    with training_runs() as trained:
        res, out = run(reproduce_env, "study_kmgan_readings", None, "--readings=dcgan,kmgan,plain,no_center_loss")
    assert len(trained) == 1  # only 'plain' is new: the others are Figs. 3-4's runs
    f3 = results["kmgan_fig3_pixel_vs_feature"]["results"]["points"]
    assert res["points"]["no_center_loss"]["per_seed"][0]["run"]["key"] == \
        f3["kmgan_no_center_loss"]["per_seed"][0]["run"]["key"]
    assert _config(reproduce_env, res, "plain")["squared"] is False
    assert all(r["class_report"] is not None for r in res["rows"])
    assert_figure(os.path.join(out, "study_kmgan_readings_curves.png"))
