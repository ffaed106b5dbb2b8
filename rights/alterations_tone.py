"""Tone mapping for altered-copy detection: the work's colours as the copy shows them.

A copy may be brighter, contrastier, gamma-shifted, clipped, desaturated or grey. The
map is fitted on the overlap itself, so it must survive the alterations it is meant to
reveal: every fit is a median or a trimmed least-squares fit, and an edit covers a
minority of the overlap. A monotone lookup table follows a linear colour mix because a
straight line cannot bend at clipped highlights (it raised false alarms there).
"""

from dataclasses import dataclass

import cv2
import numpy as np

LEVELS = 256
_SAMPLE = 20_000
_TRIM = 0.8  # the colour mix's refit keeps the best-fitting 80% of the pixels
_REFITS = 2
_OUTLIER_LEVELS = 16.0  # a residual beyond this (or 3 medians) is left out of a refit
_END = 12  # levels over which a table's end slope is measured
_SPREAD_QUANTILE = 0.8
_CLIPPED = 2  # levels from either end that count as clipped
_MIX_ADVANTAGE = 0.8


def _isotonic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Non-decreasing least-squares fit (pool adjacent violators), weights > 0."""
    means: list[float] = []
    sums: list[float] = []
    sizes: list[int] = []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(value)
        sums.append(weight)
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            total = sums[-2] + sums[-1]
            merged = (means[-2] * sums[-2] + means[-1] * sums[-1]) / total
            size = sizes[-2] + sizes[-1]
            del means[-1], sums[-1], sizes[-1]
            means[-1], sums[-1], sizes[-1] = merged, total, size
    return np.repeat(np.asarray(means), sizes)


def monotone_lut(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """A non-decreasing 256-entry table taking `source` levels to `target` levels.

    Each source level's target is the median of the target values seen with it (robust
    to an edit covering a minority of that level's pixels); the medians are made
    monotone weighted by how often each level occurs, and levels never seen take the
    nearest seen level's value.
    """
    src = np.clip(np.rint(source), 0, LEVELS - 1).astype(np.int64).ravel()
    dst = np.clip(np.rint(target), 0, LEVELS - 1).astype(np.int64).ravel()
    joint = np.bincount(src * LEVELS + dst, minlength=LEVELS * LEVELS).reshape(LEVELS, LEVELS)
    counts = joint.sum(axis=1)
    seen = np.flatnonzero(counts)
    if seen.size == 0:
        return np.arange(LEVELS, dtype=np.float32)
    cumulative = np.cumsum(joint[seen], axis=1)
    medians = np.argmax(cumulative * 2 >= counts[seen, None], axis=1).astype(np.float64)
    fitted = _isotonic(medians, counts[seen].astype(np.float64))
    table = np.interp(np.arange(LEVELS), seen, fitted)
    # The table is fitted on blurred pixels but applied to sharp ones, whose extremes
    # lie beyond the blurred range: continue each end along its own slope (a clipped
    # end stays flat, a contrast stretch keeps stretching).
    low, high = int(seen[0]), int(seen[-1])
    span = max(1, min(_END, (high - low) // 2))
    if high > low:
        below = (table[low + span] - table[low]) / span
        above = (table[high] - table[high - span]) / span
        levels = np.arange(LEVELS)
        table[:low] = table[low] - below * (low - levels[:low])
        table[high + 1 :] = table[high] + above * (levels[high + 1 :] - high)
    return np.asarray(np.clip(table, 0, LEVELS - 1), np.float32)


def _design(work: np.ndarray) -> np.ndarray:
    return np.concatenate([work, np.ones((work.shape[0], 1), work.dtype)], axis=1)


def _mix(work: np.ndarray, query: np.ndarray) -> np.ndarray:
    """A trimmed least-squares affine colour mix (4x3) taking work colours to the query's.

    Each output channel is fitted on its own, on pixels where the copy did not clip that
    channel (at 0 or 255 it says nothing about the mix, and would bend it; the table
    after the mix clips again).
    """
    design = _design(work)
    coefficients = np.zeros((4, 3))
    for c in range(3):
        target = query[:, c]
        rows = (target > _CLIPPED) & (target < LEVELS - 1 - _CLIPPED)
        if rows.sum() < max(16, 0.05 * rows.size):
            rows = np.ones(rows.size, bool)
        fitted, *_ = np.linalg.lstsq(design[rows], target[rows], rcond=None)
        residual = np.abs(design[rows] @ fitted - target[rows])
        keep = residual <= np.quantile(residual, _TRIM)
        fitted, *_ = np.linalg.lstsq(design[rows][keep], target[rows][keep], rcond=None)
        coefficients[:, c] = fitted
    return coefficients


def _apply_luts(values: np.ndarray, luts: list[np.ndarray]) -> np.ndarray:
    """Each channel through its table, linearly between entries."""
    out = np.empty(values.shape, np.float32)
    for channel, lut in enumerate(luts):
        clipped = np.clip(values[..., channel], 0, LEVELS - 1).astype(np.float32)
        below = np.minimum(clipped.astype(np.int32), LEVELS - 2)
        step = np.diff(lut).astype(np.float32)
        out[..., channel] = lut[below] + step[below] * (clipped - below)
    return out


def _fit_luts(source: np.ndarray, target: np.ndarray) -> list[np.ndarray]:
    return [monotone_lut(source[:, c], target[:, c]) for c in range(target.shape[1])]


def _spread(mapped: np.ndarray, target: np.ndarray) -> float:
    """A high quantile of the error: a model wrong over a sizeable area must lose."""
    return float(np.quantile(np.abs(mapped - target).max(axis=1), _SPREAD_QUANTILE))


@dataclass(frozen=True)
class ToneMap:
    """query colour ~ luts(mix(work colour)); no mix: a table per channel alone."""

    luts: list[np.ndarray]
    mix: np.ndarray | None  # 4x3 affine colour mix, or None

    def __call__(self, work: np.ndarray) -> np.ndarray:
        if self.mix is None:
            return _apply_luts(work, self.luts)
        affine = np.ascontiguousarray(self.mix.T)  # 3x4: out = A @ (r, g, b, 1)
        pixels = np.ascontiguousarray(work, np.float32).reshape(-1, 1, 3)
        mixed = cv2.transform(pixels, affine).reshape(work.shape)
        return _apply_luts(mixed, self.luts)


def fit_tone(work: np.ndarray, query: np.ndarray, overlap: np.ndarray, seed: int) -> ToneMap:
    """The map making `work` (HxWx3, 0-255) look as `query` does, fitted on `overlap`.

    Two models are fitted: a table per channel (brightness, contrast, gamma, clipping
    applied to each channel alike) and an affine colour mix followed by a table per
    channel (grey copies, desaturation, tints, and any of the former on top). The
    first is kept unless the second's error is clearly smaller.
    """
    rng = np.random.default_rng(seed)
    inside = np.flatnonzero(overlap.ravel())
    if inside.size > _SAMPLE:
        inside = rng.choice(inside, _SAMPLE, replace=False)
    w = work.reshape(-1, 3)[inside].astype(np.float64)
    q = query.reshape(-1, 3)[inside].astype(np.float64)

    chosen = _fit_both(w, q)
    # An edit can hold most of the pixels of some levels (a dark coat half pasted over
    # with sky): refit without the pixels the first fit cannot explain.
    for _ in range(_REFITS):
        residual = np.abs(chosen(w) - q).max(axis=1)
        keep = residual <= max(_OUTLIER_LEVELS, 3 * float(np.median(residual)))
        if keep.all() or keep.sum() < 0.5 * keep.size:
            break
        chosen = _fit_both(w[keep], q[keep])
    return chosen


def _fit_both(w: np.ndarray, q: np.ndarray) -> ToneMap:
    per_channel = ToneMap(_fit_luts(w, q), None)
    mix = _mix(w, q)
    mixed = ToneMap(_fit_luts(_design(w) @ mix, q), mix)
    # the mix has more freedom (and clips what it mixes out of range): it must earn it
    if _spread(mixed(w), q) < _MIX_ADVANTAGE * _spread(per_channel(w), q):
        return mixed
    return per_channel
