"""Calibration maps and the figures that judge a detector: plain numpy, no fitting library.

Scores are a detector's raw outputs in [0, 1]; labels are 1 for synthetic, 0 for real.
"""

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

# Raw scores are clipped this far from 0 and 1 before their log-odds are taken: a
# detector that answers exactly 0 or 1 still gets a finite Platt input (log-odds of about
# +-27.6), and confident detectors keep the order of their scores up to there.
_EDGE = 1e-12
ECE_BINS = 10
# Above the highest real score when every real image must stay unflagged.
_MARGIN = 1e-9


class Method(StrEnum):
    PLATT = "platt"
    ISOTONIC = "isotonic"


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from raw score to probability, and the numbers that define it."""

    method: Method
    parameters: dict[str, float | list[float]]

    def apply(self, scores: np.ndarray) -> np.ndarray:
        return apply_calibration(self.method, self.parameters, scores)


def logit(scores: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(scores, dtype=np.float64), _EDGE, 1.0 - _EDGE)
    out: np.ndarray = np.log(clipped) - np.log1p(-clipped)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
    return out


def fit_platt(scores: np.ndarray, labels: np.ndarray, iterations: int = 100) -> Calibrator:
    """p = sigmoid(a * logit(score) + b), fitted as Platt with the safeguards of Lin, Lin
    and Weng (2007): smoothed targets, so separable scores cannot drive a and b to
    infinity; a start at the prior; Newton steps halved until the log-loss falls."""
    x = logit(scores)
    y = np.asarray(labels, dtype=np.float64)
    positives, negatives = float(y.sum()), float(len(y) - y.sum())
    target = np.where(y > 0.5, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(a: float, b: float) -> float:
        z = a * x + b
        return float(np.sum(np.logaddexp(0.0, z) - target * z))

    a, b = 0.0, float(np.log((positives + 1) / (negatives + 1)))
    current = loss(a, b)
    for _ in range(iterations):
        p = sigmoid(a * x + b)
        gradient = np.array([np.sum((p - target) * x), np.sum(p - target)])
        if float(np.abs(gradient).max()) < 1e-9:
            break
        weight = p * (1 - p)
        # A small ridge keeps the step defined when every score is the same.
        hessian = np.array(
            [[np.sum(weight * x * x), np.sum(weight * x)], [np.sum(weight * x), np.sum(weight)]]
        ) + 1e-12 * np.eye(2)
        direction = -np.linalg.solve(hessian, gradient)
        step = 1.0
        while step > 1e-10:
            a_new, b_new = a + step * float(direction[0]), b + step * float(direction[1])
            trial = loss(a_new, b_new)
            if trial < current + 1e-4 * step * float(gradient @ direction):
                break
            step /= 2
        else:
            break  # no step lowers the loss: at the optimum as far as floats tell
        if abs(current - trial) < 1e-12 * max(1.0, abs(current)):
            a, b, current = a_new, b_new, trial
            break
        a, b, current = a_new, b_new, trial
    return Calibrator(Method.PLATT, {"a": a, "b": b})


def fit_isotonic(scores: np.ndarray, labels: np.ndarray) -> Calibrator:
    """The non-decreasing step function of the score that best fits the labels (pool
    adjacent violators); read between its knots by linear interpolation."""
    order = np.argsort(scores, kind="stable")
    x = np.asarray(scores, dtype=np.float64)[order]
    y = np.asarray(labels, dtype=np.float64)[order]
    # Equal scores are one point: their labels are pooled before any violator is.
    knots, first = np.unique(x, return_index=True)
    sums = np.add.reduceat(y, first)
    counts = np.diff(np.append(first, len(x))).astype(np.float64)
    values: list[float] = []
    weights: list[float] = []
    spans: list[int] = []
    for total, count in zip(sums, counts, strict=True):
        values.append(total / count)
        weights.append(count)
        spans.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            w = weights[-2] + weights[-1]
            merged = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w
            span = spans[-2] + spans[-1]
            del values[-1], weights[-1], spans[-1]
            values[-1], weights[-1], spans[-1] = merged, w, span
    fitted = np.repeat(values, spans)
    return Calibrator(
        Method.ISOTONIC,
        {"x": [float(v) for v in knots], "y": [float(v) for v in fitted]},
    )


def fit(method: Method, scores: np.ndarray, labels: np.ndarray) -> Calibrator:
    return fit_platt(scores, labels) if method is Method.PLATT else fit_isotonic(scores, labels)


def apply_calibration(
    method: Method | str, parameters: dict[str, float | list[float]], scores: np.ndarray
) -> np.ndarray:
    """The calibrated probabilities of raw `scores` under a stored calibration."""
    if Method(method) is Method.PLATT:
        a, b = parameters["a"], parameters["b"]
        assert isinstance(a, float | int) and isinstance(b, float | int)
        return sigmoid(a * logit(scores) + b)
    xs, ys = parameters["x"], parameters["y"]
    assert isinstance(xs, list) and isinstance(ys, list)
    out: np.ndarray = np.interp(np.asarray(scores, dtype=np.float64), xs, ys)
    return out


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a synthetic image outscores a real one,
    ties counted half (the Mann-Whitney statistic, by average ranks)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("the AUC needs both real and synthetic images")
    order = np.argsort(s, kind="stable")
    ranks = np.empty(len(s), dtype=np.float64)
    ranks[order] = np.arange(1, len(s) + 1)
    # Tied scores share their average rank.
    unique, inverse = np.unique(s, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks, minlength=len(unique))
    counts = np.bincount(inverse, minlength=len(unique))
    ranks = (sums / counts)[inverse]
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS
) -> float:
    """Mean |share synthetic - mean probability| over equal-width bins, weighted by size."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += float(inside.sum()) * abs(float(y[inside].mean()) - float(p[inside].mean()))
    return total / len(p)


def threshold_at_fpr(real_scores: np.ndarray, target_fpr: float) -> float:
    """The lowest threshold t at which at most `target_fpr` of these real images score
    t or more (an image is flagged when its score >= t), placed halfway to the next real
    score above, so that a score recomputed with rounding differences reads the same."""
    real = np.sort(np.asarray(real_scores, dtype=np.float64))[::-1]
    allowed = int(np.floor(target_fpr * len(real) + 1e-9))
    if allowed >= len(real):
        return float(real[-1])
    # The highest real score that must stay unflagged, and the lowest one above it.
    kept = real[allowed]
    above = real[real > kept]
    if above.size == 0:
        return float(kept + _MARGIN)
    return float((kept + above.min()) / 2.0)


def rates_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false-positive rate, true-positive rate) of flagging scores >= threshold."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    flagged = s >= threshold
    return float(flagged[~y].mean()), float(flagged[y].mean())


def tpr_at_fpr(scores: np.ndarray, labels: np.ndarray, target_fpr: float) -> float:
    """The share of synthetic images flagged at the threshold that keeps real ones at
    `target_fpr` (the threshold read off these same real images)."""
    y = np.asarray(labels).astype(bool)
    threshold = threshold_at_fpr(np.asarray(scores)[~y], target_fpr)
    return rates_at(scores, labels, threshold)[1]
