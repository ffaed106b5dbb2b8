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
_SAMPLE = 10_000  # pixels: the fits have 4x3 coefficients and 256-level tables
_TRIM = 0.8  # the colour mix's refit keeps the best-fitting 80% of the pixels
_REFITS = 2
_OUTLIER_LEVELS = 16.0  # a residual beyond this (or 3 medians) is left out of a refit
_END = 12  # levels over which a table's end slope is measured
_SPREAD_QUANTILE = 0.8
_CLIPPED = 2  # levels from either end that count as clipped
_MIX_ADVANTAGE = 0.8


def _isotonic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Non-decreasing least-squares fit (pool adjacent violators), weights > 0."""
    if values.size < 2 or bool((np.diff(values) >= 0).all()):
        return np.asarray(values, np.float64)  # most tables need no pooling at all
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


def level_medians(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The levels `src` takes, how often, and the lower median of `dst` at each.

    One sort of the joint (source, target) key replaces a 256x256 joint histogram and
    its running sums: a level's median is the key at the middle of its run.
    """
    counts = np.bincount(src, minlength=LEVELS)
    seen = np.flatnonzero(counts)
    # 16-bit keys: numpy sorts them by radix, twice as fast as 64-bit ones
    ordered = np.sort((src * LEVELS + dst).astype(np.uint16), kind="stable")
    starts = np.cumsum(counts) - counts
    middle = starts[seen] + (counts[seen] + 1) // 2 - 1
    return seen, counts[seen], (ordered[middle] % LEVELS).astype(np.float64)


def quantile(values: np.ndarray, q: float) -> float:
    """np.quantile's default (linear) quantile of a 1-D array, by partition alone."""
    position = q * (values.size - 1)
    low = int(np.floor(position))
    parted = np.partition(values, low)  # one k: two are several times slower
    if low + 1 >= values.size:
        return float(parted[low])
    above = float(parted[low + 1 :].min())
    return float(parted[low] + (above - parted[low]) * (position - low))


def monotone_lut(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """A non-decreasing 256-entry table taking `source` levels to `target` levels.

    Each source level's target is the median of the target values seen with it (robust
    to an edit covering a minority of that level's pixels); the medians are made
    monotone weighted by how often each level occurs, and levels never seen take the
    nearest seen level's value.
    """
    src = np.clip(np.rint(source), 0, LEVELS - 1).astype(np.int64).ravel()
    dst = np.clip(np.rint(target), 0, LEVELS - 1).astype(np.int64).ravel()
    if src.size == 0:
        return np.arange(LEVELS, dtype=np.float32)
    seen, counts, medians = level_medians(src, dst)
    fitted = _isotonic(medians, counts.astype(np.float64))
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


def _least_squares(colours: np.ndarray, target: np.ndarray) -> np.ndarray:
    """np.linalg.lstsq's affine fit (4 coefficients) of `target` (N) on `colours` (3xN).

    From the normal equations, centred for conditioning: a 3x3 system on the colours
    alone, whose pseudo-inverse gives a grey work's colinear channels (a singular
    system) the minimum-norm answer lstsq gives.
    """
    count = target.size
    centre = colours.sum(axis=1) / count
    level = float(target.sum()) / count
    centred = colours - centre[:, None]
    gram = np.einsum("ij,kj->ik", centred, centred)  # BLAS is slower on this shape
    moment = centred @ (target - level)
    slopes = np.linalg.lstsq(gram, moment, rcond=None)[0]
    return np.append(slopes, level - float(centre @ slopes))


def _mix(work: np.ndarray, query: np.ndarray) -> np.ndarray:
    """A trimmed least-squares affine colour mix (4x3) taking work colours (3xN) to the
    query's (3xN).

    Each output channel is fitted on its own, on pixels where the copy did not clip that
    channel (at 0 or 255 it says nothing about the mix, and would bend it; the table
    after the mix clips again).
    """
    coefficients = np.zeros((4, 3))
    for c in range(3):
        target = query[c]
        rows = (target > _CLIPPED) & (target < LEVELS - 1 - _CLIPPED)
        if np.count_nonzero(rows) < max(16, 0.05 * rows.size):
            rows = np.ones(rows.size, bool)
        index = np.flatnonzero(rows)
        colours, values = work.take(index, axis=1), target[index]
        fitted = _least_squares(colours, values)
        residual = np.abs(fitted[:3] @ colours + fitted[3] - values)
        best = np.flatnonzero(residual <= quantile(residual, _TRIM))
        coefficients[:, c] = _least_squares(colours.take(best, axis=1), values[best])
    return coefficients


def _interpolate(values: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """`values` (float) through a 256-entry table, linearly between entries."""
    clipped = np.clip(values, 0, LEVELS - 1).astype(np.float32)
    below = clipped.astype(np.int32)
    np.minimum(below, LEVELS - 2, out=below)
    step = np.diff(lut).astype(np.float32)
    clipped -= below
    clipped *= step[below]
    clipped += lut[below]
    return np.asarray(clipped, np.float32)


def _apply_luts(values: np.ndarray, luts: list[np.ndarray]) -> np.ndarray:
    """Each channel (the last axis) through its table, linearly between entries."""
    if values.dtype == np.uint8:  # whole levels: no interpolation, one table look-up
        return np.asarray(cv2.LUT(values, np.stack(luts, axis=-1)[:, None, :]), np.float32)
    out = np.empty(values.shape, np.float32)
    for channel, lut in enumerate(luts):
        out[..., channel] = _interpolate(values[..., channel], lut)
    return out


def _fit_luts(source: np.ndarray, target: np.ndarray) -> list[np.ndarray]:
    return [monotone_lut(s, t) for s, t in zip(source, target, strict=True)]


def _largest_error(mapped: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Each sample's largest channel error (3xN in, N out)."""
    error = np.abs(mapped - target)
    return np.asarray(np.maximum(np.maximum(error[0], error[1]), error[2]))


def _spread(mapped: np.ndarray, target: np.ndarray) -> float:
    """A high quantile of the error: a model wrong over a sizeable area must lose."""
    return quantile(_largest_error(mapped, target), _SPREAD_QUANTILE)


@dataclass(frozen=True)
class ToneMap:
    """query colour ~ luts(mix(work colour)); no mix: a table per channel alone."""

    luts: list[np.ndarray]
    mix: np.ndarray | None  # 4x3 affine colour mix, or None

    def __call__(self, work: np.ndarray) -> np.ndarray:
        """The map on an image (..., 3), uint8 or float, as float32."""
        if self.mix is None:
            return _apply_luts(work, self.luts)
        affine = np.ascontiguousarray(self.mix.T, np.float32)  # 3x4: out = A @ (r, g, b, 1)
        pixels = np.ascontiguousarray(work, np.float32).reshape(-1, 1, 3)
        mixed = cv2.transform(pixels, affine).reshape(work.shape)
        return _apply_luts(mixed, self.luts)

    def samples(self, work: np.ndarray) -> np.ndarray:
        """The map on samples laid out channel by channel (3xN), as float32 3xN."""
        mixed = work if self.mix is None else self.mix[:3].T @ work + self.mix[3][:, None]
        return np.stack([_interpolate(m, lut) for m, lut in zip(mixed, self.luts, strict=True)])


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
    # channel by channel (3xN): numpy is slow along a short, strided last axis
    w = np.ascontiguousarray(work.reshape(-1, 3)[inside].T, np.float64)
    q = np.ascontiguousarray(query.reshape(-1, 3)[inside].T, np.float64)

    chosen = _fit_both(w, q)
    # An edit can hold most of the pixels of some levels (a dark coat half pasted over
    # with sky): refit without the pixels the first fit cannot explain.
    fitted_on = np.ones(w.shape[1], bool)
    for _ in range(_REFITS):
        residual = _largest_error(chosen.samples(w), q)
        keep = residual <= max(_OUTLIER_LEVELS, 3 * quantile(residual, 0.5))
        # the same pixels again would give the same fit
        if np.array_equal(keep, fitted_on) or np.count_nonzero(keep) < 0.5 * keep.size:
            break
        index = np.flatnonzero(keep)
        chosen = _fit_both(w.take(index, axis=1), q.take(index, axis=1))
        fitted_on = keep
    return chosen


def _fit_both(w: np.ndarray, q: np.ndarray) -> ToneMap:
    per_channel = ToneMap(_fit_luts(w, q), None)
    mix = _mix(w, q)
    mixed_work = mix[:3].T @ w + mix[3][:, None]
    mixed = ToneMap(_fit_luts(mixed_work, q), mix)
    # the mix has more freedom (and clips what it mixes out of range): it must earn it
    if _spread(mixed.samples(w), q) < _MIX_ADVANTAGE * _spread(per_channel.samples(w), q):
        return mixed
    return per_channel
