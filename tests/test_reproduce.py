"""The reproduce scripts end to end at the hidden test scale (issue 3, points 4-7).

Every script runs on scikit-learn's bundled 8x8 digits (a substitute for the papers' data sets, so no data files are
needed) with width 0.0625, 4 iterations, 200 samples and the classifier metric, in one process, sharing one run
store (so shared runs are trained once, as in real use) and one classifier cache.
"""
import datetime
import json
import os
import re
import subprocess
import sys

import pytest

from mgan.experiments import runs as runs_lib
from mgan.experiments.dmgan import paper_values
from mgan.training import manifest as run_manifest
from reproduce_helpers import (REPO, assert_figure, load_script, published_files, run, run_scripts, table_rows,
                               training_runs)

SCRIPTS = ["table2_svhn_lambda_sweep", "fig3_mnist_samples", "fig4_svhn_gamma_sweep", "fig5_svhn_samples",
           "fig6_cifar_gamma_is", "fig7_cifar_samples", "table3_cifar_is"]
FIGURES = {"table2_svhn_lambda_sweep": ["table2_fid_vs_lambda.png"],
           "fig3_mnist_samples": ["fig3_mnist_samples.png", "fig3_mnist_samples_a.png", "fig3_mnist_samples_b.png",
                                  "fig3_mnist_samples_c.png"],
           "fig4_svhn_gamma_sweep": ["fig4_fid_vs_gamma.png"],
           "fig5_svhn_samples": ["fig5_svhn_samples.png", "fig5_svhn_samples_a.png", "fig5_svhn_samples_b.png"],
           "fig6_cifar_gamma_is": ["fig6_is_vs_gamma.png"],
           "fig7_cifar_samples": ["fig7_cifar_samples.png", "fig7_cifar_samples_a.png", "fig7_cifar_samples_b.png",
                                  "fig7_cifar_samples_c.png"],
           "table3_cifar_is": ["table3_cifar_is.png"]}
METRIC_WORDS = re.compile(r"\b(IS|FID)\b")


@pytest.fixture(scope="module")
def env(reproduce_env):
    return reproduce_env


@pytest.fixture(scope="module")
def results(env):
    """Run every script once, in the order of results/README.md (later scripts reuse earlier runs)."""
    return run_scripts(env, SCRIPTS)


# ---------------------------------------------------------------------------------------------------------------


SHARED_FLAGS = ("scale", "seeds", "data_dir", "inception_path", "metric", "out", "dataset", "runs_dir", "shard",
                "precision")


@pytest.mark.parametrize("name", SCRIPTS)
def test_flags_parse_in_process_and_bad_values_name_the_choices(name):
    from absl import flags

    from mgan.experiments import cli

    module = load_script(name)

    def parse(*argv):
        fv = flags.FlagValues()
        cli._setup(module, fv)
        fv(["prog", *argv])
        return fv

    fv = parse("--scale=smoke", "--seeds=3,1", "--shard=1/2", "--dataset=cifar10")
    assert set(SHARED_FLAGS) <= set(fv) and list(fv.seeds) == ["3", "1"] and fv.shard == "1/2"
    ctx = cli.context_from_flags(fv, name, module.PAPER_DATASET, argv=["--scale=smoke"])
    assert ctx.seeds == (3, 1) and ctx.shard == (1, 2) and ctx.dataset == "cifar10" and ctx.scale.name == "smoke"
    for bad, words in (("--scale=huge", "full, smoke"), ("--metric=fid", "inception|classifier"),
                       ("--seeds=a,b", "--seeds must be"), ("--shard=3/2", "0 <= i < n"),
                       ("--precision=float16", "float32")):
        with pytest.raises(flags.IllegalFlagValueError, match=re.escape(words)):
            parse(bad)


@pytest.mark.slow
def test_help_of_a_script_lists_the_shared_flags():  # one interpreter: the listing is absl's, in a real process
    r = subprocess.run([sys.executable, os.path.join(REPO, "reproduce", "fig4_svhn_gamma_sweep.py"), "--help"],
                       capture_output=True, text=True, timeout=300)
    assert "Traceback" not in r.stderr, r.stderr
    for flag in SHARED_FLAGS:
        assert f"--{flag}" in r.stdout, flag


@pytest.mark.slow
def test_missing_inception_fails_with_howto(tmp_path):
    env = dict(os.environ, MGAN_INCEPTION_PATH=str(tmp_path / "no_such_module"), MGAN_CACHE_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, os.path.join(REPO, "reproduce", "table2_svhn_lambda_sweep.py"),
                        "--scale=test", "--dataset=digits", "--metric=inception", f"--out={tmp_path / 'out'}",
                        f"--runs_dir={tmp_path / 'runs'}"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 1  # a user error: the one exit code scheme of every command (mgan.errors)
    assert "How to supply it" in r.stderr and "--inception_path" in r.stderr
    assert not os.path.exists(tmp_path / "runs") or not os.listdir(tmp_path / "runs")  # nothing trained


def test_run_key_ignores_bookkeeping_and_resolves_auto():
    from mgan.config import TrainConfig

    a = TrainConfig(model="dmgan", dataset="digits", steps=4, width=0.0625)
    assert runs_lib.run_key(a) == runs_lib.run_key(a.replace(out="/x", progress=False, checkpoint_every=7,
                                                             sample_every=3, log_every=1, data_dir="/d"))
    assert runs_lib.run_key(a) == runs_lib.run_key(a.replace(noise="uniform01", label_mode="conditional", clip=0.1,
                                                             epochs=3.0))  # model defaults; epochs unused
    assert runs_lib.run_key(a) != runs_lib.run_key(a.replace(lam=1.8))
    assert runs_lib.run_key(a) != runs_lib.run_key(a.replace(seed=1))
    assert runs_lib.run_key(a) != runs_lib.run_key(a.replace(steps=5))


@pytest.mark.slow
def test_every_script_writes_its_outputs(results):
    for name in SCRIPTS:
        out = results[name]["out"]
        res = results[name]["results"]
        for f in FIGURES[name]:
            assert_figure(os.path.join(out, f))
        on_disk = json.load(open(os.path.join(out, "results.json")))
        assert on_disk["scale"]["name"] == "test" and on_disk["metric"]["name"] == "classifier"
        assert on_disk["data"] == {"used": "digits", "paper": res["data"]["paper"], "substitute": True,
                                   "label": res["data"]["label"]}
        assert "substitute for" in on_disk["data"]["label"]
        # the invocation's wall time is this script's (seconds, measured around it here), and its record says when
        wall, last = on_disk["wall_seconds"]["this_invocation"], on_disk["invocations"][-1]
        assert 0 < wall <= results[name]["elapsed"] + 0.1 and last["wall_seconds"] == wall
        started = datetime.datetime.fromisoformat(last["started"]).timestamp()
        assert results[name]["started"] - 1 <= started <= results[name]["started"] + results[name]["elapsed"]
        header, rows = table_rows(open(os.path.join(out, "table.md")).read())
        assert header[1].startswith("Paper") and header[2].startswith("Ours:") and "mean ± std over seeds" in \
            header[2] and header[3] == "Δ" and header[-1] == "protocol"
        for p in res["points"].values():
            for rec in p["per_seed"]:
                assert os.path.exists(os.path.join(out, "points", f"{rec['label']}__seed{rec['seed']}.json"))
                assert os.path.exists(os.path.join(out, "manifests", f"{rec['label']}__seed{rec['seed']}.json"))
                assert rec["run"]["facts"]["status"] == "complete"
        md = open(os.path.join(out, "table.md")).read()
        assert "substitute for" in md and "scale" in md.lower()
        for row in rows:
            prot = row[-1]
            if prot != "—":
                for part in ("n = 200 samples", "2 splits", "reference digits/train", "scale test", "seeds 0"):
                    assert part in prot, (name, prot)


@pytest.mark.slow
def test_classifier_tables_never_name_our_numbers_is_or_fid(results):
    for name in SCRIPTS:
        md = open(os.path.join(results[name]["out"], "table.md")).read()
        header, rows = table_rows(md)
        for i, col in enumerate(header):
            if col.startswith("Paper"):
                continue  # the paper's own numbers are IS / FID
            assert not METRIC_WORDS.search(col), (name, col)
            for row in rows:
                assert not METRIC_WORDS.search(row[i]), (name, col, row[i])
        assert "classifier score (digits CNN" in md or "classifier FD (digits CNN" in md
        for line in md.splitlines():
            if line.startswith("- Our metric:"):
                assert not METRIC_WORDS.search(line)
        res = results[name]["results"]
        for p in res["points"].values():
            for rec in p["per_seed"]:
                s = rec["summary"]
                assert not METRIC_WORDS.search(s["score_label"]) and not METRIC_WORDS.search(s["distance_label"])
                assert not any(k.startswith("is_") or k.startswith("fid") for k in rec["scores"])
        for row in res["rows"]:
            if row["paper"] and row.get("ours_mean") is not None:
                assert row["delta"] == "not comparable (different metric)"


@pytest.mark.slow
def test_shared_runs_are_trained_once(results):
    # Fig. 5 = Fig. 4's γ = 0 and γ = 1 points; Fig. 7 = Fig. 6's γ = 1.0 points; Table 3's DMGAN/waDMGAN too and
    # its DCGAN is Fig. 3's (same digits settings).
    assert results["fig5_svhn_samples"]["trained"] == 0
    assert results["fig7_cifar_samples"]["trained"] == 0
    assert results["table3_cifar_is"]["trained"] == 4  # only its own baselines: WGAN, WGAN-GP, SAGAN and KM-GAN
    f4 = results["fig4_svhn_gamma_sweep"]["results"]["points"]
    f5 = results["fig5_svhn_samples"]["results"]["points"]
    assert f4["gamma0.00"]["per_seed"][0]["run"]["dir"] == f5["gamma0.00"]["per_seed"][0]["run"]["dir"]
    assert "dmgan_f-" in os.path.basename(f5["gamma0.00"]["per_seed"][0]["run"]["dir"])
    f6 = results["fig6_cifar_gamma_is"]["results"]["points"]
    t3 = results["table3_cifar_is"]["results"]["points"]
    for label in ("dmgan_gamma1.00", "wadmgan_gamma1.00"):
        assert f6[label]["per_seed"][0]["run"]["key"] == t3[label]["per_seed"][0]["run"]["key"]


@pytest.mark.slow
def test_table3_rows_and_timing(results):
    res = results["table3_cifar_is"]["results"]
    rows = {r["name"]: r for r in res["rows"]}
    assert list(rows) == [r[0] if r[0] != "KM-GAN" else "KM-GAN (reconstructed)" for r in paper_values.TABLE3]
    rows["KM-GAN"] = rows.pop("KM-GAN (reconstructed)")
    for name in ("DCGAN", "WGAN", "MBGAN", "WGAN-GP", "SAGAN", "DMGAN", "waDMGAN", "KM-GAN"):
        shared = name not in ("WGAN", "WGAN-GP", "SAGAN", "KM-GAN")  # the others are Figs. 3, 6 and 7's runs
        assert rows[name]["status"].startswith("scored by this script; run shared" if shared else "trained and scored")
        assert rows[name]["ours_ms"] > 0 and rows[name]["ours_ratio"] > 0
        assert rows[name]["paper_ratio"] == pytest.approx(paper_values.table3_ratio_to_dcgan(name))
    assert rows["DCGAN"]["ours_ratio"] == pytest.approx(1.0)
    assert rows["KM-GAN"]["paper"] == [5.61, 0.09] and rows["KM-GAN"]["paper_ms"] == 650
    assert rows["MLGAN-clipping"]["status"] == "paper value, not reproduced (losses unavailable, METHODS D14)"
    assert rows["MLGAN-clipping"]["paper"] == [5.23, None] and rows["MLGAN-clipping"]["paper_ms"] is None
    t = res["timing"]
    assert t["device"]["cpu_count"] and set(t["rows"]) == {"dcgan", "wgan", "mbgan", "wgan_gp", "sagan",
                                                           "dmgan_gamma1.00", "wadmgan_gamma1.00", "kmgan"}
    assert all(r["batch_size"] == 64 and r["width"] == 0.0625 for r in t["rows"].values())
    md = open(os.path.join(results["table3_cifar_is"]["out"], "table.md")).read()
    assert "5.23 (std unknown)" in md and "Ours ratio to DCGAN" in md and "Paper ratio to DCGAN" in md


@pytest.mark.slow
def test_sample_figures_have_an_mbgan_panel(results):
    for name in ("fig3_mnist_samples", "fig7_cifar_samples"):
        rows = {r["name"]: r for r in results[name]["results"]["rows"]}
        mb = [r for n, r in rows.items() if "MBGAN" in n]
        assert mb and mb[0]["label"] == "mbgan" and mb[0]["ours_mean"] is not None
        assert_figure(os.path.join(results[name]["out"], f"{name}_c.png"))
    f3 = results["fig3_mnist_samples"]["results"]["points"]["mbgan"]["per_seed"][0]["run"]["facts"]
    f7 = results["fig7_cifar_samples"]["results"]["points"]["mbgan"]["per_seed"][0]["run"]
    assert f7["trained_now"] is False  # digits: Fig. 7's MBGAN settings equal Fig. 3's (batch 64, same networks)
    assert f3["status"] == "complete"


@pytest.mark.slow
def test_rerun_skips_finished_points(env, results):
    out = results["table3_cifar_is"]["out"]
    pts = sorted(os.listdir(os.path.join(out, "points")))
    mtimes = {p: os.path.getmtime(os.path.join(out, "points", p)) for p in pts}
    gens = [runs_lib.run_dir_of(rec, env["runs"]) for p in results["table3_cifar_is"]["results"]["points"].values()
            for rec in p["per_seed"]]
    gen_mtimes = [os.path.getmtime(os.path.join(g, "generator.keras")) for g in gens]
    with training_runs() as trained:
        res, _ = run(env, "table3_cifar_is")
    assert trained == []
    assert res["counts"] == {"skipped": 8, "trained": 0, "reused_run": 0}  # every trained row
    assert {p: os.path.getmtime(os.path.join(out, "points", p)) for p in pts} == mtimes  # timing.json included
    assert [os.path.getmtime(os.path.join(g, "generator.keras")) for g in gens] == gen_mtimes


@pytest.mark.slow
def test_interrupted_sweep_resumes(env, results, monkeypatch):
    from mgan.experiments import sweep

    out = str(env["root"] / "interrupted")
    real = sweep._run_point
    calls = {"n": 0}

    def flaky(point, seed, ctx, network, svm=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated interruption")
        return real(point, seed, ctx, network, svm)

    monkeypatch.setattr(sweep, "_run_point", flaky)
    with pytest.raises(KeyboardInterrupt):
        run(env, "fig5_svhn_samples", out, "--seeds=1")  # seed 1: new runs
    assert os.path.exists(os.path.join(out, "points", "gamma0.00__seed1.json"))
    assert not os.path.exists(os.path.join(out, "points", "gamma1.00__seed1.json"))
    assert not os.path.exists(os.path.join(out, "table.md"))
    first = os.path.getmtime(os.path.join(out, "points", "gamma0.00__seed1.json"))
    with training_runs() as trained:
        res, _ = run(env, "fig5_svhn_samples", out, "--seeds=1")
    assert len(trained) == 1  # only the unfinished point trains
    assert res["counts"]["skipped"] == 1
    assert os.path.getmtime(os.path.join(out, "points", "gamma0.00__seed1.json")) == first
    assert os.path.exists(os.path.join(out, "table.md"))


def _methods_path():
    return os.path.join(REPO, "docs", "METHODS.md")  # the spec, in the repository


def test_paper_values_equal_methods():
    path = _methods_path()
    text = open(path, encoding="utf-8").read()
    sec = text[text.index("### 4.9 Reported results"):text.index("### 4.10")]
    lam_line = next(ln for ln in sec.splitlines() if ln.startswith("| λ |"))
    val_line = next(ln for ln in sec.splitlines() if ln.startswith("| Regular DMGAN |"))
    lams = [float(v) for v in lam_line.strip("|").split("|")[1:]]
    fids = [float(v) for v in val_line.strip("|").split("|")[1:]]
    assert paper_values.TABLE2_FID == dict(zip(lams, fids))
    t3 = sec[sec.index("**Table 3**"):sec.index("**Notes on Table 3.**")]
    rows = []
    for ln in t3.splitlines():
        m = re.match(r"\| (.+?)(?: \[\d+\])? \| ([\d.]+) ± ([\d.]+) \| (\d+|-) \|", ln)
        if m:
            rows.append((m.group(1), float(m.group(2)), float(m.group(3)), m.group(4)))
    assert [r[0] for r in rows] == [r[0] for r in paper_values.TABLE3]
    for (name, mean, std, ms), (pname, pmean, pstd, pms) in zip(rows, paper_values.TABLE3):
        assert pmean == mean, name
        if name == "MLGAN-clipping":  # "5.23 ± 290" and "-": std and time unknown (METHODS §4.9 notes)
            assert pstd is None and pms is None and ms == "-"
        else:
            assert (pstd, pms) == (std, int(ms)), name


@pytest.mark.slow
def test_study_of_readings_runs_each_reading_with_its_flags_and_reports_the_class_columns(env):
    study = load_script("study_dmgan_readings")
    res, out = run(env, "study_dmgan_readings", None, "--widths=0.0625,0.125", "--wide_readings=dmgan")
    want = [f"{r}_w0.0625" for r in study.READINGS] + ["dmgan_w0.125"]
    assert list(res["points"]) == want
    for label, pt in res["points"].items():
        model, overrides, _ = study.READINGS[pt["meta"]["reading"]]
        cfg = run_manifest.read(runs_lib.run_dir_of(pt["per_seed"][0], env["runs"]))["config"]
        assert cfg["model"] == model and cfg["width"] == pt["meta"]["width"]
        assert all(cfg[k] == v for k, v in overrides.items()), (label, overrides)
        assert pt["aggregate"]["class_report_mean"]["classes_covered"] >= 1
    header, rows = table_rows(open(os.path.join(out, "table.md"), encoding="utf-8").read())
    assert "learns (issues 7 and 21)" in header and "label agreement" in header
    assert len(rows) == len(want)
    i = header.index("label agreement")
    assert [r[i] == "— (unconditional)" for r in rows] == [
        study.READINGS[lab.rsplit("_w", 1)[0]][0] == "dcgan" or lab.startswith("unlabeled") for lab in want]
    assert os.path.exists(os.path.join(out, "samples_width0.0625.png"))


# --- issue 9: one protocol per results directory, no machine paths, sweeps over several workers --------------------

@pytest.mark.slow
def test_results_of_another_protocol_are_never_overwritten(env, results):
    from mgan.experiments.published import ResultsConflictError

    out = results["table3_cifar_is"]["out"]
    before = {f: os.path.getmtime(os.path.join(out, f)) for f in ("results.json", "table.md")}
    with pytest.raises(ResultsConflictError, match="data set digits.*data set mnist") as ei:
        run(env, "table3_cifar_is", out, "--dataset=mnist")
    assert "--out=" in str(ei.value) and "scale test" in str(ei.value)
    assert {f: os.path.getmtime(os.path.join(out, f)) for f in before} == before
    legacy = env["root"] / "legacy"  # committed results written before protocol.json existed
    os.makedirs(legacy)
    with open(os.path.join(out, "results.json")) as f:
        (legacy / "results.json").write_text(f.read())
    with pytest.raises(ResultsConflictError, match="scale test.*scale smoke"):
        run(env, "table3_cifar_is", str(legacy), "--scale=smoke")
    assert sorted(os.listdir(legacy)) == ["results.json"]


@pytest.mark.slow
def test_published_files_hold_no_machine_paths_and_a_rerun_cleans_old_ones(env, results):
    root = str(env["root"])
    for name in SCRIPTS:
        for path in published_files(results[name]["out"]):
            text = open(path, encoding="utf-8").read()
            assert root not in text and REPO not in text, path
    m = json.load(open(os.path.join(results["fig3_mnist_samples"]["out"], "manifests", "dmgan__seed0.json")))
    assert m["data"]["identity"]["source"].startswith("sklearn") and "out" not in m["config"]
    # a point written before results were path-free is rewritten by a re-run that skips it (no training)
    out = results["fig5_svhn_samples"]["out"]
    point = os.path.join(out, "points", "gamma1.00__seed0.json")
    rec = json.load(open(point))
    rec["run"]["dir"] = runs_lib.run_dir_of(rec, env["runs"])  # an absolute machine path, as before issue 9
    rec["scores"]["protocol"]["samples"]["run_dir"] = rec["run"]["dir"]
    with open(point, "w") as f:
        json.dump(rec, f)
    with training_runs() as trained:
        res, _ = run(env, "fig5_svhn_samples")
    assert trained == [] and res["counts"]["skipped"] == 2
    text = open(point).read()
    assert root not in text and "RUNS_DIR/" in text
    assert json.loads(text)["point_key"] == rec["point_key"]


@pytest.mark.slow
def test_sweep_split_over_two_concurrent_workers_then_assembled(env, results):
    out, script = str(env["root"] / "sharded"), os.path.join(REPO, "reproduce", "fig6_cifar_gamma_is.py")
    args = ["--scale=test", "--dataset=digits", "--metric=classifier", f"--out={out}", f"--runs_dir={env['runs']}",
            "--seeds=3"]
    workers = [subprocess.Popen([sys.executable, script, *args, f"--shard={i}/2"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
               for i in range(2)]
    logs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], logs
    trained = [set(re.findall(r"point \d+/2 (\S+) seed 3: training", log)) for log in logs]
    labels = {f"{m}_gamma{g:.2f}" for m in ("dmgan", "wadmgan") for g in (0.0, 1.0)}
    assert trained[0] | trained[1] == labels and not trained[0] & trained[1]  # each point once, by one worker
    assert not os.path.exists(os.path.join(out, "table.md"))  # workers leave the table to the final invocation
    with training_runs() as trained:
        res, _ = run(env, "fig6_cifar_gamma_is", out, "--seeds=3")
    assert trained == [] and res["counts"] == {"skipped": 4, "trained": 0, "reused_run": 0}
    for p in res["points"].values():
        m = run_manifest.read(runs_lib.run_dir_of(p["per_seed"][0], env["runs"]))
        assert len(m["segments"]) == 1  # trained exactly once
    assert os.path.exists(os.path.join(out, "table.md")) and os.path.exists(os.path.join(out, "fig6_is_vs_gamma.png"))
    r = subprocess.run([sys.executable, script, *args, "--shard=2/2"], capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and "--shard must be i/n" in r.stderr
