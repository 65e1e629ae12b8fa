"""The class report (coverage, agreement, confidence, within-class diversity) against hand computations."""
import numpy as np
import pytest

from mgan.metrics import class_report as cr


def onehot_logits(pred, k, scale=20.0):
    logits = np.zeros((len(pred), k))
    logits[np.arange(len(pred)), pred] = scale
    return logits


def test_pairwise_rms_distance_closed_forms():
    black = np.zeros((4, 4, 1), np.uint8)
    white = np.full((4, 4, 1), 255, np.uint8)
    half = black.copy()
    half[:2] = 255  # half the pixels differ by 1.0 from black: RMS = sqrt(1/2)
    assert cr.mean_pairwise_rms_distance(np.stack([black, white])) == pytest.approx(1.0)
    # pairs: (black, white) 1, (black, half) sqrt(.5), (white, half) sqrt(.5)
    want = (1 + 2 * np.sqrt(0.5)) / 3
    assert cr.mean_pairwise_rms_distance(np.stack([black, white, half])) == pytest.approx(want)
    assert cr.mean_pairwise_rms_distance(np.stack([half] * 5)) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="at least 2"):
        cr.mean_pairwise_rms_distance(black[None])


def test_pairwise_distance_matches_a_direct_loop():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(7, 5, 5, 3), dtype=np.uint8)
    f = x.reshape(7, -1).astype(np.float64) / 255
    want = np.mean([np.sqrt(np.mean((f[i] - f[j]) ** 2)) for i in range(7) for j in range(i + 1, 7)])
    assert cr.mean_pairwise_rms_distance(x) == pytest.approx(want, rel=1e-9)


def test_class_report_of_a_collapsed_and_of_a_covering_sample_set():
    rng = np.random.default_rng(1)
    real = rng.integers(0, 256, size=(40, 6, 6, 1), dtype=np.uint8)
    real_y = np.repeat(np.arange(4), 10)
    # collapsed: every sample the same image, classified as class 2, whatever the conditioning label
    same = np.repeat(real[:1], 20, axis=0)
    cond = np.tile(np.arange(4), 5)
    rep = cr.class_report(onehot_logits(np.full(20, 2), 4), same, 4, cond_labels=cond, real_images=real,
                          real_labels=real_y)
    assert rep["classes_covered"] == 1 and rep["max_class_share"] == 1.0
    assert rep["label_agreement"] == pytest.approx(0.25)
    assert rep["within_class_diversity"] == pytest.approx(0.0, abs=1e-7) and rep["diversity_ratio"] == pytest.approx(
        0.0, abs=1e-7)
    assert rep["mean_confidence"] > 0.99
    ok, failed = cr.learns(rep, min_classes=3)
    assert not ok and [f.split()[0] for f in failed] == ["classes", "largest", "label", "within-class"]
    # confidence is high; everything else fails
    # covering: the real images themselves, classified by their labels and conditioned on them
    rep = cr.class_report(onehot_logits(real_y, 4), real, 4, cond_labels=real_y, real_images=real,
                          real_labels=real_y)
    assert rep["classes_covered"] == 4 and rep["class_shares"] == [0.25] * 4
    assert rep["label_agreement"] == 1.0 and rep["diversity_ratio"] == pytest.approx(1.0)
    assert cr.learns(rep, min_classes=4) == (True, [])


def test_learns_rejects_one_image_per_class_and_judges_only_what_the_report_has():
    rng = np.random.default_rng(2)
    real = rng.integers(0, 256, size=(40, 6, 6, 1), dtype=np.uint8)
    real_y = np.repeat(np.arange(4), 10)
    # every class covered and agreeing, but each class is one image repeated: diversity 0
    one_each = real[real_y * 10]
    rep = cr.class_report(onehot_logits(real_y, 4), one_each, 4, cond_labels=real_y, real_images=real,
                          real_labels=real_y)
    assert rep["diversity_ratio"] == pytest.approx(0.0, abs=1e-7)
    assert cr.learns(rep, min_classes=4) == (False, ["within-class diversity 0.00 of real < 0.6"])
    # half of each class a repeated image: the ratio is the share of distinct pairs' distance, over and under 0.6
    mixed = real.copy()
    for k in range(4):
        mixed[k * 10 + 5:k * 10 + 10] = real[k * 10]
    rep = cr.class_report(onehot_logits(real_y, 4), mixed, 4, real_images=real, real_labels=real_y)
    assert cr.learns(rep, min_classes=4, min_diversity=rep["diversity_ratio"] - 1e-9)[0]
    assert not cr.learns(rep, min_classes=4, min_diversity=rep["diversity_ratio"] + 1e-9)[0]
    # without real images there is no ratio, and no diversity condition
    rep = cr.class_report(onehot_logits(real_y, 4), one_each, 4, cond_labels=real_y)
    assert rep["diversity_ratio"] is None and cr.learns(rep, min_classes=4) == (True, [])


def test_confidence_is_the_mean_largest_softmax_probability_and_min_share_counts():
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0]] + [[0.0, 5.0]] * 98)
    x = np.zeros((100, 2, 2, 1), np.uint8)
    rep = cr.class_report(logits, x, 2, min_share=0.02)
    # argmax of a tie is class 0: shares 2/100 and 98/100
    assert rep["class_shares"] == [0.02, 0.98] and rep["classes_covered"] == 2
    assert cr.class_report(logits, x, 2, min_share=0.05)["classes_covered"] == 1
    p5 = np.exp(5) / (1 + np.exp(5))
    assert rep["mean_confidence"] == pytest.approx((0.5 + 0.75 + 98 * p5) / 100)
    assert rep["label_agreement"] is None and rep["diversity_ratio"] is None


def test_bad_shapes_fail_with_the_expected_shape():
    x = np.zeros((5, 2, 2, 1), np.uint8)
    with pytest.raises(ValueError, match=r"logits must be \[5, 3\]"):
        cr.class_report(np.zeros((5, 4)), x, 3)
    with pytest.raises(ValueError, match=r"cond_labels must have shape \[5\]"):
        cr.class_report(np.zeros((5, 3)), x, 3, cond_labels=np.zeros(4))


def test_sweep_aggregates_judge_stored_points_again_with_todays_criterion():
    """A point saved when learns() had no diversity condition (stored learns True, diversity 0.3) counts as not
    learning in today's tables; the other seed's stored verdict (False, 5 classes) stays False."""
    from mgan.experiments.sweep import aggregate

    def record(seed, **cr):
        base = {"classes_covered": 10, "max_class_share": 0.12, "mean_confidence": 0.9, "label_agreement": 0.9,
                "diversity_ratio": 0.9, "learns": True}
        return {"seed": seed, "wall_seconds": {"train_total": 1.0, "score": 1.0},
                "summary": {"score_mean": 7.0, "score_std": 0.1, "distance": 30.0, "class_report": dict(base, **cr)}}

    agg = aggregate([record(0, diversity_ratio=0.3), record(1, classes_covered=5, learns=False), record(2)])
    assert agg["class_report_mean"]["learns"] == pytest.approx(1 / 3)
    assert agg["class_report_mean"]["diversity_ratio"] == pytest.approx(0.7)
