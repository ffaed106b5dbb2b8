"""Calibration maps and figures, against brute force and known answers."""

import numpy as np
import pytest

from governance.detectors.metrics import (
    Method,
    apply_calibration,
    auc,
    expected_calibration_error,
    fit_isotonic,
    fit_platt,
    rates_at,
    sigmoid,
    threshold_at_fpr,
    tpr_at_fpr,
)


def brute_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


@pytest.mark.parametrize("seed", range(5))
def test_auc_is_the_chance_a_synthetic_image_outscores_a_real_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 60)
    labels[:2] = [0, 1]
    scores = np.round(rng.random(60) + 0.3 * labels, 1)  # rounded: many ties
    assert auc(scores, labels) == pytest.approx(brute_auc(scores, labels))
    assert auc(np.array([0.1, 0.9]), np.array([0, 1])) == 1.0
    with pytest.raises(ValueError):
        auc(np.array([0.1, 0.2]), np.array([1, 1]))


def test_platt_recovers_the_logistic_map_that_made_the_labels() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0.01, 0.99, 20000)
    log_odds = np.log(scores / (1 - scores))
    labels = (rng.random(20000) < sigmoid(2.0 * log_odds - 0.5)).astype(int)
    calibrator = fit_platt(scores, labels)
    assert calibrator.method is Method.PLATT
    assert calibrator.parameters["a"] == pytest.approx(2.0, abs=0.1)
    assert calibrator.parameters["b"] == pytest.approx(-0.5, abs=0.1)


def test_platt_stays_finite_on_separable_scores() -> None:
    calibrator = fit_platt(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1]))
    probabilities = calibrator.apply(np.array([0.1, 0.9]))
    assert np.all(np.isfinite(probabilities))
    assert 0.0 < probabilities[0] < 0.5 < probabilities[1] < 1.0


def test_isotonic_is_monotone_and_keeps_the_share_of_synthetic_images() -> None:
    rng = np.random.default_rng(2)
    scores = rng.random(300)
    labels = (rng.random(300) < scores).astype(int)
    calibrator = fit_isotonic(scores, labels)
    fitted = calibrator.apply(scores)
    order = np.argsort(scores)
    assert np.all(np.diff(fitted[order]) >= -1e-12)
    assert fitted.mean() == pytest.approx(labels.mean())  # pooling keeps the totals
    assert fitted.min() >= 0.0 and fitted.max() <= 1.0


def test_isotonic_pools_a_violation_to_its_mean() -> None:
    calibrator = fit_isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0, 1, 0, 1]))
    assert calibrator.parameters["y"] == [0.0, 0.5, 0.5, 1.0]
    between = apply_calibration("isotonic", calibrator.parameters, np.array([0.15, 0.9]))
    assert between.tolist() == pytest.approx([0.25, 1.0])


def test_threshold_keeps_real_images_at_the_rate() -> None:
    rng = np.random.default_rng(3)
    for n in (20, 57, 400):
        real = rng.random(n)
        for fpr in (0.01, 0.05, 0.2):
            threshold = threshold_at_fpr(real, fpr)
            flagged = float((real >= threshold).mean())
            assert flagged <= fpr + 1e-12
            # and it is the lowest such threshold: one real image more would be flagged
            assert float((real >= np.sort(real)[::-1][int(fpr * n)]).mean()) > fpr - 1e-12


def test_rates_and_tpr_at_fpr() -> None:
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.35, 0.5, 0.6, 0.7])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert rates_at(scores, labels, 0.35) == (0.25, 1.0)
    assert tpr_at_fpr(scores, labels, 0.0) == 0.75  # above 0.4, the highest real score


def test_expected_calibration_error_of_known_cases() -> None:
    labels = np.array([0, 1] * 50)
    assert expected_calibration_error(np.full(100, 0.5), labels) == pytest.approx(0.0)
    assert expected_calibration_error(np.full(100, 0.9), labels) == pytest.approx(0.4)
    perfect = np.array([0.0, 1.0] * 50)
    assert expected_calibration_error(perfect, labels) == pytest.approx(0.0)


def test_platt_converges_on_a_confident_detector() -> None:
    # Log-odds as the built-in detector gives them: real images far below zero, most
    # synthetic ones at the clip, a few of each on the wrong side. Plain Newton steps
    # from a = 1 ran off to a ~ 1e10 on such scores.
    rng = np.random.default_rng(4)
    real = np.clip(rng.normal(-15.0, 9.0, 200), -27.6, 27.6)
    synthetic = np.concatenate([np.full(150, 27.6), rng.normal(5.0, 10.0, 50)])
    log_odds = np.concatenate([real, synthetic])
    labels = np.array([0] * 200 + [1] * 200)
    calibrator = fit_platt(sigmoid(log_odds), labels)
    a, b = calibrator.parameters["a"], calibrator.parameters["b"]
    assert isinstance(a, float) and isinstance(b, float) and 0.0 < a < 2.0 and abs(b) < 10.0
    probabilities = calibrator.apply(sigmoid(log_odds))
    assert expected_calibration_error(probabilities, labels) < 0.1
    assert expected_calibration_error(probabilities, labels) < expected_calibration_error(
        sigmoid(log_odds), labels
    )
