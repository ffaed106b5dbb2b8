"""Synthetic damage masks: cracks, scratches and small losses, as seen on old photographs.

The same generator feeds restoration training, the benchmark, the demo and the tests,
so the model is measured on the kind of damage it was taught to fill.
"""

import numpy as np

MIN_COVERAGE = 0.02
MAX_COVERAGE = 0.10
# One element may overshoot the drawn target; past this it is drawn again, so small
# images do not end up mostly masked.
HARD_MAX_COVERAGE = 0.15
_MAX_ELEMENTS = 200


def damage_mask(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A bool height x width mask, True where the image is damaged (roughly 2-10% of it)."""
    if height < 1 or width < 1:
        raise ValueError("the mask needs a positive height and width")
    mask = np.zeros((height, width), dtype=bool)
    target = rng.uniform(MIN_COVERAGE, MAX_COVERAGE)
    area = height * width
    drawn = 0
    for _ in range(_MAX_ELEMENTS):
        if drawn >= target * area:
            break
        candidate = mask.copy()
        kind = rng.choice(3, p=[0.5, 0.25, 0.25])
        if kind == 0:
            _crack(rng, candidate, depth=0)
        elif kind == 1:
            _scratch(rng, candidate)
        else:
            _blob(rng, candidate)
        count = int(candidate.sum())
        if count > HARD_MAX_COVERAGE * area and drawn > 0:
            continue
        mask, drawn = candidate, count
    if not mask.any():  # a 1x1 image still needs something to restore
        mask[rng.integers(height), rng.integers(width)] = True
    return mask


def _stamp(mask: np.ndarray, ys: np.ndarray, xs: np.ndarray, width: int) -> None:
    """Mark the path (ys, xs) with a brush `width` pixels across."""
    lo, hi = -((width - 1) // 2), width // 2
    h, w = mask.shape
    for dy in range(lo, hi + 1):
        for dx in range(lo, hi + 1):
            y = np.rint(ys).astype(np.int64) + dy
            x = np.rint(xs).astype(np.int64) + dx
            keep = (y >= 0) & (y < h) & (x >= 0) & (x < w)
            mask[y[keep], x[keep]] = True


def _crack(
    rng: np.random.Generator,
    mask: np.ndarray,
    depth: int,
    start: tuple[float, float] | None = None,
    angle: float | None = None,
    width: int | None = None,
) -> None:
    """A wandering crack that may branch; branches are shorter and no wider than the trunk."""
    h, w = mask.shape
    diagonal = float(np.hypot(h, w))
    y, x = start if start is not None else (rng.uniform(0, h), rng.uniform(0, w))
    heading = angle if angle is not None else rng.uniform(0, 2 * np.pi)
    brush = width if width is not None else int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.2]))
    length = int(diagonal * rng.uniform(0.08, 0.35) / (1 + depth))
    # Heading changes are correlated, so a crack curves rather than jitters.
    turns = np.cumsum(rng.normal(0.0, 0.12, size=max(length, 1)))
    headings = heading + turns
    ys = y + np.cumsum(np.sin(headings))
    xs = x + np.cumsum(np.cos(headings))
    _stamp(mask, ys, xs, brush)
    if depth >= 2 or length < 8:
        return
    for _ in range(rng.poisson(1.2)):
        at = int(rng.integers(length // 4, length))
        side = rng.choice([-1.0, 1.0])
        _crack(
            rng,
            mask,
            depth + 1,
            start=(float(ys[at]), float(xs[at])),
            angle=float(headings[at] + side * rng.uniform(0.35, 1.1)),
            width=max(1, brush - int(rng.integers(0, 2))),
        )


def _scratch(rng: np.random.Generator, mask: np.ndarray) -> None:
    """A long, nearly straight line, sometimes broken where the stylus lifted."""
    h, w = mask.shape
    diagonal = float(np.hypot(h, w))
    length = max(int(diagonal * rng.uniform(0.3, 0.9)), 2)
    y0, x0 = rng.uniform(0, h), rng.uniform(0, w)
    heading = rng.uniform(0, 2 * np.pi)
    bend = rng.normal(0.0, 0.3) / length  # a slight, constant curvature
    steps = np.arange(length)
    headings = heading + bend * steps
    ys = y0 + np.cumsum(np.sin(headings))
    xs = x0 + np.cumsum(np.cos(headings))
    if rng.random() < 0.4:
        period = int(rng.integers(10, 40))
        on = (steps % period) < period * rng.uniform(0.5, 0.9)
        ys, xs = ys[on], xs[on]
    _stamp(mask, ys, xs, int(rng.choice([1, 2], p=[0.7, 0.3])))


def _blob(rng: np.random.Generator, mask: np.ndarray) -> None:
    """A small loss with a ragged edge (flaked emulsion, a hole)."""
    h, w = mask.shape
    radius = rng.uniform(1.5, 3.0 + 0.025 * min(h, w))
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    harmonics = rng.normal(0.0, 0.18, size=(2, 4))
    phases = rng.uniform(0, 2 * np.pi, size=(2, 4))
    reach = int(np.ceil(radius * 2))
    y0, y1 = max(int(cy) - reach, 0), min(int(cy) + reach + 1, h)
    x0, x1 = max(int(cx) - reach, 0), min(int(cx) + reach + 1, w)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dy, dx = yy - cy, xx - cx
    theta = np.arctan2(dy, dx)
    k = np.arange(1, 5)[:, None, None]
    wobble = (harmonics[0][:, None, None] * np.sin(k * theta + phases[0][:, None, None])).sum(0)
    edge = radius * (1.0 + wobble)
    mask[y0:y1, x0:x1] |= np.hypot(dy, dx) <= edge
