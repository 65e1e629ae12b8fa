"""The generated results documents (mgan.report): the decision rules against hand computations, each gate on
constructed result files, the committed CLAIMS.md and results/README.md against their regeneration, and the command."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mgan.report import claims as claims_lib
from mgan.report import documents, rules
from mgan.report.__main__ import stale_documents
from mgan.report.evidence import Evidence, MissingResultsError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, "results")


# --- rules, against hand computations ------------------------------------------------------------------------

def test_mean_sd_is_the_sample_std():
    vals = [1.0, 2.0, 4.0]
    m, sd = rules.mean_sd(vals)
    assert m == pytest.approx(7 / 3)
    assert sd == pytest.approx(np.std(vals, ddof=1))
    assert rules.mean_sd([5.0]) == (5.0, None)
    with pytest.raises(ValueError):
        rules.mean_sd([])


@pytest.mark.parametrize("better, worse, higher, want", [
    ([3.0, 3.2], [2.0, 2.2], True, rules.HOLDS),           # gap 1.0 > spread 0.283
    ([2.0, 2.2], [3.0, 3.2], True, rules.FAILS),           # the reverse order, beyond the spread
    ([3.0, 3.2], [2.9, 3.1], True, rules.INCONCLUSIVE),    # gap 0.1 < spread 0.283
    ([2.0, 2.2], [3.0, 3.2], False, rules.HOLDS),          # lower is better (a distance)
    ([3.0], [2.0, 2.2], True, rules.INCONCLUSIVE),         # one seed: no spread
])
def test_order(better, worse, higher, want):
    assert rules.order(better, worse, higher).verdict == want


def test_order_needs_the_gap_to_exceed_the_sum_of_the_stds_not_one_of_them():
    # stds 0.1414 each: gap 0.2 exceeds either std but not their sum 0.283
    assert rules.order([3.1, 3.3], [2.9, 3.1], True).verdict == rules.INCONCLUSIVE
    assert rules.order([3.2, 3.4], [2.9, 3.1], True).verdict == rules.HOLDS  # gap 0.3 > 0.283


def test_at_least_as_good_fails_only_when_clearly_worse():
    assert rules.at_least_as_good([2.9, 3.1], [3.0, 3.2], True).verdict == rules.HOLDS   # slightly worse
    assert rules.at_least_as_good([4.0, 4.2], [3.0, 3.2], True).verdict == rules.HOLDS   # better
    assert rules.at_least_as_good([2.0, 2.2], [3.0, 3.2], True).verdict == rules.FAILS   # worse beyond the spread
    assert rules.at_least_as_good([40.0, 42.0], [20.0, 21.0], False).verdict == rules.FAILS  # a larger distance


def test_learn_pattern_judges_each_setting_by_its_seeds_majority():
    v = rules.learn_pattern({"a": True, "b": False}, {"a": [True, True, False], "b": [False, False, True]})
    assert v.verdict == rules.HOLDS and "a: learns (2/3 seeds learn" in v.numbers
    assert rules.learn_pattern({"a": True}, {"a": [True, False]}).verdict == rules.FAILS  # 1 of 2 is no majority
    with pytest.raises(KeyError):
        rules.learn_pattern({"a": True}, {})


def test_a_verdict_outside_the_four_is_refused():
    with pytest.raises(ValueError):
        rules.Verdict("probably", "")


# --- claims on constructed result files ----------------------------------------------------------------------

LEARNS = {"classes_covered": 10, "max_class_share": 0.12, "mean_confidence": 0.9, "label_agreement": 0.9,
          "diversity_ratio": 0.9}
COLLAPSED = {"classes_covered": 1, "max_class_share": 1.0, "mean_confidence": 0.9, "label_agreement": 0.1,
             "diversity_ratio": 0.1}


def _seed(score, distance, report):
    return {"summary": {"score_mean": score, "distance": distance, "class_report": dict(report)},
            "run": {"trained_now": True}, "wall_seconds": {"train_total": 10.0, "score": 1.0}}


def _write(root, name, points, substitute=None):
    data = {"title": name, "command": f"python reproduce/{name}.py", "scale": {"name": "smoke"},
            "options": {"seeds": [0, 1, 2]},
            "data": {"label": "x", "paper": substitute or "cifar10", "used": "cifar10",
                     "substitute": bool(substitute)},
            "points": {label: {"per_seed": seeds} for label, seeds in points.items()}}
    os.makedirs(os.path.join(root, name), exist_ok=True)
    with open(os.path.join(root, name, "results.json"), "w") as f:
        json.dump(data, f)


def _fig6(root, wa_scores, dm_scores, report=LEARNS):
    points = {}
    for g in claims_lib.GAMMAS:
        points[f"wadmgan_gamma{g}"] = [_seed(s, 30.0, report) for s in wa_scores]
        points[f"dmgan_gamma{g}"] = [_seed(s, 40.0, report) for s in dm_scores]
    _write(root, "fig6_cifar_gamma_is", points)


def _claim(paper, item, words_start):
    return next(c for c in claims_lib.CLAIMS if c.paper == paper and c.item == item and
                c.words.startswith(words_start))


FIG6 = ("DMGAN", "Fig. 6", "the scores of waDMGAN")


def test_fig6_order_holds_fails_and_is_gated_on_learning(tmp_path):
    claim = _claim(*FIG6)
    _fig6(tmp_path, [6.0, 6.1, 5.9], [5.0, 5.1, 4.9])
    assert claim.judge(Evidence(str(tmp_path))).verdict == rules.HOLDS
    _fig6(tmp_path, [5.0, 5.1, 4.9], [6.0, 6.1, 5.9])
    assert claim.judge(Evidence(str(tmp_path))).verdict == rules.FAILS
    _fig6(tmp_path, [6.0, 6.1, 5.9], [5.0, 5.1, 4.9], report=COLLAPSED)
    v = claim.judge(Evidence(str(tmp_path)))
    assert v.verdict == rules.UNTESTABLE and "none of the compared runs learns" in v.numbers


def test_largest_gain_at_gamma_1(tmp_path):
    claim = _claim("DMGAN", "Fig. 6", "especially")
    points = {}
    for g, gain in zip(claims_lib.GAMMAS, (0.2, 1.0, 0.2, 0.2)):
        points[f"wadmgan_gamma{g}"] = [_seed(5.0 + gain + d, 30.0, LEARNS) for d in (-0.05, 0.0, 0.05)]
        points[f"dmgan_gamma{g}"] = [_seed(5.0 + d, 40.0, LEARNS) for d in (-0.05, 0.0, 0.05)]
    _write(tmp_path, "fig6_cifar_gamma_is", points)
    assert claim.judge(Evidence(str(tmp_path))).verdict == rules.HOLDS
    points["wadmgan_gamma1.50"] = [_seed(7.0 + d, 30.0, LEARNS) for d in (-0.05, 0.0, 0.05)]  # gain 2 at γ 1.5
    _write(tmp_path, "fig6_cifar_gamma_is", points)
    assert claim.judge(Evidence(str(tmp_path))).verdict == rules.FAILS


def test_a_claim_on_a_substituted_data_set_is_not_testable_but_shows_the_substitute(tmp_path):
    claim = _claim("DMGAN", "Fig. 5", "DMGAN-f")
    seeds = lambda d: [_seed(5.0, d + e, LEARNS) for e in (-0.5, 0.0, 0.5)]  # noqa: E731
    _write(tmp_path, "fig5_svhn_samples", {"gamma1.00": seeds(20.0), "gamma0.00": seeds(40.0)}, substitute="svhn")
    v = claim.judge(Evidence(str(tmp_path)))
    assert v.verdict == rules.UNTESTABLE
    assert v.numbers.startswith("SVHN is not available here; on the CIFAR-10 substitute the rule gives 'holds'")


def test_a_collapse_claim_needs_the_dcgan_control_to_learn(tmp_path):
    claim = _claim("MBGAN", "Fig. 5", "when K is small")
    ks = {"mbgan_alpha20_k5_mean": COLLAPSED, "mbgan_alpha20_k50_mean": COLLAPSED,
          "mbgan_alpha20_k500_mean": LEARNS, "mbgan_alpha20_k5000_mean": LEARNS}
    _write(tmp_path, "mbgan_fig5_k_sweep", {k: [_seed(5.0, 30.0, r)] for k, r in ks.items()})
    _write(tmp_path, "mbgan_table3_cifar_svm", {"dcgan": [_seed(5.0, 30.0, LEARNS)]})
    assert claim.judge(Evidence(str(tmp_path))).verdict == rules.HOLDS
    _write(tmp_path, "mbgan_table3_cifar_svm", {"dcgan": [_seed(5.0, 30.0, COLLAPSED)]})
    v = claim.judge(Evidence(str(tmp_path)))
    assert v.verdict == rules.UNTESTABLE and "DCGAN control" in v.numbers


def test_a_variant_collapsing_says_nothing_when_the_method_itself_collapses(tmp_path):
    claim = _claim("KM-GAN (reconstructed)", "Fig. 3", "without the center loss")
    _write(tmp_path, "kmgan_fig4_weight_clipping", {"dcgan": [_seed(5.0, 30.0, LEARNS)]})
    _write(tmp_path, "kmgan_fig3_pixel_vs_feature", {"kmgan_no_center_loss": [_seed(1.0, 300.0, COLLAPSED)],
                                                     "kmgan": [_seed(5.0, 30.0, LEARNS)]})
    assert claim.judge(Evidence(str(tmp_path))).verdict == rules.HOLDS
    _write(tmp_path, "kmgan_fig3_pixel_vs_feature", {"kmgan_no_center_loss": [_seed(1.0, 300.0, COLLAPSED)],
                                                     "kmgan": [_seed(1.0, 300.0, COLLAPSED)]})
    assert claim.judge(Evidence(str(tmp_path))).verdict == rules.UNTESTABLE


def test_missing_files_make_a_claim_not_testable_with_the_reason(tmp_path):
    judged = claims_lib.judge_all(Evidence(str(tmp_path)))
    v = dict((c.results, v) for c, v in judged)["fig6_cifar_gamma_is"]
    assert v.verdict == rules.UNTESTABLE and "run reproduce/fig6_cifar_gamma_is.py first" in v.numbers
    with pytest.raises(MissingResultsError):
        Evidence(str(tmp_path))("fig6_cifar_gamma_is")


# --- the committed documents -----------------------------------------------------------------------------------

def test_every_claim_finds_the_points_it_names_in_the_committed_results():
    """A typo in a label would make a claim 'not testable' silently; every committed file must have what it names."""
    for claim, verdict in claims_lib.judge_all(Evidence(RESULTS)):
        assert "its results are missing" not in verdict.numbers, (claim.item, claim.words, verdict.numbers)


def test_the_committed_claims_table_and_results_index_are_what_the_files_give():
    stale = stale_documents(RESULTS)
    assert not stale, (f"{sorted(stale)} differ from what results/*/results.json give; regenerate with "
                       "python -m mgan.report")


def test_the_index_lists_every_results_directory():
    text = documents.index_markdown(RESULTS)
    for name in documents.result_dirs(RESULTS):
        assert f"[{name}]({name}/" in text


@pytest.mark.slow
def test_the_command_checks_and_writes(tmp_path):
    _fig6(tmp_path, [6.0, 6.1, 5.9], [5.0, 5.1, 4.9])
    cmd = [sys.executable, "-m", "mgan.report", f"--results_dir={tmp_path}"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    r = subprocess.run(cmd + ["--check"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 1 and "out of date: CLAIMS.md, README.md" in r.stdout
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "| DMGAN, Fig. 6 |" in (tmp_path / "CLAIMS.md").read_text()
    assert stale_documents(str(tmp_path)) == {}
    r = subprocess.run([sys.executable, "-m", "mgan.report", f"--results_dir={tmp_path}/nope"], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 1 and "is not a directory" in r.stderr and "Traceback" not in r.stderr
