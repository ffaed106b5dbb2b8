"""Where the damage is: regions, the boundary ring, distance to the mask, what changed."""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage  # type: ignore[import-untyped]


@dataclass(frozen=True)
class Regions:
    # label image (0 outside the mask), labels sorted by area then position, all of them
    labels: np.ndarray
    order: list[int]


def regions(mask: np.ndarray) -> Regions:
    """Connected components of the mask (8-connected: a diagonal crack is one region)."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    order = sorted(range(1, count + 1), key=lambda k: (-int(areas[k]), k))
    return Regions(labels=labels, order=order)


def bbox(region: np.ndarray) -> list[int]:
    ys, xs = np.nonzero(region)
    return [
        int(xs.min()),
        int(ys.min()),
        int(xs.max() - xs.min() + 1),
        int(ys.max() - ys.min() + 1),
    ]


def distance_to_mask(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of every known pixel to the nearest damaged one (0 inside)."""
    if not mask.any():
        return np.full(mask.shape, np.inf)
    distance = np.asarray(ndimage.distance_transform_edt(~mask), dtype=np.float64)
    return distance


def ring(mask: np.ndarray, width: int) -> np.ndarray:
    """Known pixels within `width` px of the mask: where the fill's evidence lies."""
    distance = distance_to_mask(mask)
    return (distance > 0) & (distance <= width)


def changed_levels(image: np.ndarray, output: np.ndarray) -> np.ndarray:
    """Per pixel, the largest change over the three channels, in grey levels (uint8)."""
    diff = np.abs(output.astype(np.int16) - image.astype(np.int16)).max(axis=2)
    return np.asarray(diff.astype(np.uint8))


def pooled(array: np.ndarray, grid: int) -> tuple[int, int, list[float]]:
    """Block sums on a grid x grid lattice (fewer cells for a smaller image)."""
    height, width = array.shape
    rows, cols = min(grid, height), min(grid, width)
    ys = np.linspace(0, height, rows + 1).astype(int)
    xs = np.linspace(0, width, cols + 1).astype(int)
    sums = np.add.reduceat(
        np.add.reduceat(array.astype(np.float64), ys[:-1], axis=0), xs[:-1], axis=1
    )
    return rows, cols, [float(v) for v in sums.ravel()]


def seeded_cracks(size: int, seed: int, fraction: float) -> np.ndarray:
    """A crack-like mask: seeded random walks, thickened, until `fraction` is damaged."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((size, size), dtype=bool)
    while mask.mean() < fraction:
        y, x = rng.integers(size // 8, size - size // 8, 2)
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(size // 2):
            angle += rng.normal(0, 0.3)
            y = int(np.clip(y + 2 * np.sin(angle), 0, size - 1))
            x = int(np.clip(x + 2 * np.cos(angle), 0, size - 1))
            mask[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2] = True
    return mask
