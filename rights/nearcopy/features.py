"""Local features of an image for near-copy matching: ORB keypoints spread over a grid.

Coordinates are OpenCV's (pixel (i, j) is the point x=j, y=i, its centre). Features are
found on a working copy whose longer side is `WORK_SIDE`: a copy and its original then
meet at about the same scale whatever their sizes, and ORB's own pyramid covers the rest
(crops, padding, a copy pasted smaller). Keypoints are kept in the working copy's frame;
`Features.scale` maps them back to the image's pixels.

Contrast is normalised first, globally (a percentile stretch) then locally (CLAHE): on
a dim or faded scan FAST finds almost nothing at its usual threshold. A light blur then
keeps FAST off the noise that normalising lifts (on the tuning split it put 5% more of the
hardest copies among their work's top candidates). Keypoints are picked per grid cell,
strongest first, up to a cap per cell, so that one high-contrast patch (a logo, a
caption) cannot take the whole budget and leave the copied picture unrepresented.
"""

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
from PIL import Image

from rights.fingerprints import gray8

WORK_SIDE = 512
# A thumbnail is enlarged at most this much: a quarter-size copy of a 512 px work is
# 128 px, and FAST needs room (its border is 31 px) to find anything on it.
MAX_UPSCALE = 4.0
GRID = 4
DESCRIPTOR_BYTES = 32
WORK_KEYPOINTS = 500
QUERY_KEYPOINTS = 1000
# After contrast normalisation; ORB's default (20) leaves smooth areas empty. On the
# tuning split 5 found more faded, dark and small copies than 10, and no impostor more.
FAST_THRESHOLD = 5
_CLAHE_CLIP = 4.0
# Grey levels below and above these percentiles are clipped by the global stretch.
STRETCH_PERCENT = 0.5
_CLAHE_TILES = (8, 8)
# How many more keypoints than kept the detector is asked for: it keeps the strongest
# over each pyramid level, so with fewer a loud patch (a logo, a caption, a frame's
# corners) leaves the faint cells nothing to fill their share from.
_OVERSAMPLE = 8
# Gaussian sigma (working-frame pixels) of the blur after contrast normalisation.
BLUR_SIGMA = 1.0


class Variant(StrEnum):
    """How the query was changed before its features were taken (a pass of the search)."""

    PLAIN = "plain"
    MIRRORED = "mirrored"  # left-right mirror
    INVERTED = "inverted"  # a negative
    INVERTED_MIRRORED = "inverted_mirrored"

    @property
    def mirrored(self) -> bool:
        return self in (Variant.MIRRORED, Variant.INVERTED_MIRRORED)

    @property
    def inverted(self) -> bool:
        return self in (Variant.INVERTED, Variant.INVERTED_MIRRORED)


@dataclass(frozen=True, eq=False)
class Features:
    """Keypoints (working-frame x, y, ORB orientation) and descriptors, strongest first."""

    points: np.ndarray  # float32, N x 2
    angles: np.ndarray  # float32, degrees in [0, 360)
    descriptors: np.ndarray  # uint8, N x 32
    width: int  # the image's own size, in pixels
    height: int
    scale: float  # working-frame pixels per image pixel

    def __len__(self) -> int:
        return len(self.points)


def grey_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """8-bit grey pixels of a decoded image (any mode), or of an array (H x W [x C],
    values 0-255)."""
    if isinstance(image, Image.Image):
        return np.asarray(gray8(image), dtype=np.uint8)
    array = np.asarray(image)
    if array.ndim == 3:
        array = array[..., :3].mean(axis=2) if array.shape[2] >= 3 else array[..., 0]
    if array.ndim != 2:
        raise ValueError(f"an image array is H x W or H x W x C, not {array.shape}")
    if array.dtype != np.uint8:
        array = np.clip(np.rint(array), 0, 255).astype(np.uint8)
    return array


def working_scale(width: int, height: int) -> float:
    """Working-frame pixels per image pixel."""
    return min(WORK_SIDE / max(width, height), MAX_UPSCALE)


def working_to_image(scale: float) -> np.ndarray:
    """2 x 3 map from working-frame points to image points (cv2.resize's half-pixel rule)."""
    inverse = 1.0 / scale
    offset = 0.5 * inverse - 0.5
    return np.array([[inverse, 0.0, offset], [0.0, inverse, offset]])


def image_to_working(scale: float) -> np.ndarray:
    """3 x 3 map from image points to working-frame points."""
    offset = 0.5 * scale - 0.5
    return np.array([[scale, 0.0, offset], [0.0, scale, offset], [0.0, 0.0, 1.0]])


def extract(
    image: Image.Image | np.ndarray,
    budget: int = WORK_KEYPOINTS,
    variant: Variant = Variant.PLAIN,
) -> Features:
    """Up to `budget` keypoints of `image` (changed as `variant` says first).

    The points of a mirrored variant are in the mirrored picture's frame; `variant_to_image`
    maps them back."""
    grey = grey_array(image)
    height, width = grey.shape
    if variant.inverted:
        grey = 255 - grey
    if variant.mirrored:
        grey = np.ascontiguousarray(grey[:, ::-1])
    scale = working_scale(width, height)
    return Features(*_orb(_working(grey, scale), budget), width, height, scale)


@dataclass(frozen=True, eq=False)
class Detected:
    """A query's keypoints, found once on its working copy, for every variant's pass.

    FAST and the Harris response see a mirrored or negative picture's corners where they
    see the picture's (mirrored), so detection, the costliest step, runs once; each
    variant then only takes descriptors, on the working copy mirrored or negated, with
    each keypoint's orientation turned as the change turns it (a mirror takes theta to
    180 - theta, a negative to theta + 180: the intensity centroid flips)."""

    working: np.ndarray  # the normalised working copy, unchanged
    keypoints: tuple[cv2.KeyPoint, ...]  # chosen, strongest first, before description
    width: int
    height: int
    scale: float


def detect(image: Image.Image | np.ndarray, budget: int = QUERY_KEYPOINTS) -> Detected:
    """Up to `budget` keypoints of `image`, for `described` to describe per variant."""
    grey = grey_array(image)
    height, width = grey.shape
    scale = working_scale(width, height)
    working = _working(grey, scale)
    return Detected(working, tuple(_chosen(working, budget)), width, height, scale)


def described(detected: Detected, variant: Variant = Variant.PLAIN) -> Features:
    """The features `extract(image, budget, variant)` stands for, from one detection."""
    working = detected.working
    keypoints = detected.keypoints
    if variant.inverted:
        working = 255 - working
        keypoints = tuple(_turned(k, k.pt[0], 180.0 + k.angle) for k in keypoints)
    if variant.mirrored:
        working = np.ascontiguousarray(working[:, ::-1])
        right = working.shape[1] - 1.0
        keypoints = tuple(_turned(k, right - k.pt[0], 180.0 - k.angle) for k in keypoints)
    return Features(
        *_described(working, list(keypoints)),
        detected.width,
        detected.height,
        detected.scale,
    )


def _turned(keypoint: cv2.KeyPoint, x: float, angle: float) -> cv2.KeyPoint:
    return cv2.KeyPoint(
        x,
        keypoint.pt[1],
        keypoint.size,
        angle % 360.0,
        keypoint.response,
        keypoint.octave,
        keypoint.class_id,
    )


def variant_to_image(variant: Variant, width: int) -> np.ndarray:
    """3 x 3 map from a variant's image-pixel frame to the original image's."""
    if variant.mirrored:
        return np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return np.eye(3)


def _working(grey: np.ndarray, scale: float) -> np.ndarray:
    height, width = grey.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(grey, size, interpolation=interpolation) if scale != 1 else grey
    resized = _stretched(resized)
    clahe = cv2.createCLAHE(clipLimit=_CLAHE_CLIP, tileGridSize=_CLAHE_TILES)
    equalised: np.ndarray = clahe.apply(resized)
    blurred: np.ndarray = cv2.GaussianBlur(equalised, (0, 0), BLUR_SIGMA)
    return blurred


def _stretched(grey: np.ndarray) -> np.ndarray:
    """Grey levels stretched to the full range: CLAHE's clip limit alone cannot lift a
    dark or faded copy to where FAST's fixed threshold sees it."""
    low, high = _percentiles(grey, (STRETCH_PERCENT, 100 - STRETCH_PERCENT))
    if high - low < 1:
        return grey
    lut = np.clip((np.arange(256) - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)
    stretched: np.ndarray = lut[grey]
    return stretched


def _percentiles(grey: np.ndarray, percents: tuple[float, float]) -> tuple[float, float]:
    """np.percentile's (linear) values of 8-bit pixels, from their histogram: a sort-free
    count, several times quicker on a working copy."""
    below = np.cumsum(np.bincount(grey.reshape(-1), minlength=256))
    position = (int(below[-1]) - 1) * np.asarray(percents, dtype=np.float64) / 100.0
    floor = np.floor(position)
    # The k-th smallest pixel (from 0) is the first level with more than k at or below.
    low = np.searchsorted(below, floor, side="right").astype(np.float64)
    high = np.searchsorted(below, np.minimum(floor + 1, below[-1] - 1), side="right")
    values = low + (position - floor) * (high - low)
    return float(values[0]), float(values[1])


def _orb(grey: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _described(grey, _chosen(grey, budget))


def _detector(budget: int) -> cv2.ORB:
    return cv2.ORB.create(nfeatures=budget * _OVERSAMPLE, fastThreshold=FAST_THRESHOLD)


def _chosen(grey: np.ndarray, budget: int) -> list[cv2.KeyPoint]:
    """The keypoints to describe: many found, up to `budget` kept spread over the grid."""
    found = _detector(budget).detect(grey, None)
    if not found:
        return []
    points = np.array([k.pt for k in found], dtype=np.float32)
    responses = np.array([k.response for k in found], dtype=np.float32)
    return [found[i] for i in spread(points, responses, grey.shape, budget).tolist()]


def _described(
    grey: np.ndarray, chosen: list[cv2.KeyPoint]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if chosen:
        # Descriptors only for the keypoints kept: the detector is asked for many more.
        keypoints, descriptors = _detector(len(chosen)).compute(grey, chosen)
        if descriptors is not None and keypoints:
            return (
                np.array([k.pt for k in keypoints], dtype=np.float32),
                np.array([k.angle for k in keypoints], dtype=np.float32) % 360.0,
                np.ascontiguousarray(descriptors),
            )
    return (
        np.empty((0, 2), np.float32),
        np.empty(0, np.float32),
        np.empty((0, DESCRIPTOR_BYTES), np.uint8),
    )


def spread(
    points: np.ndarray, responses: np.ndarray, shape: tuple[int, ...], budget: int
) -> np.ndarray:
    """Indices of up to `budget` points, strongest first, at most an even share per cell
    of a GRID x GRID grid; what sparse cells leave unused goes to the strongest rest."""
    height, width = shape[:2]
    columns = np.minimum((points[:, 0] * GRID / max(width, 1)).astype(np.int64), GRID - 1)
    rows = np.minimum((points[:, 1] * GRID / max(height, 1)).astype(np.int64), GRID - 1)
    cells = np.clip(rows, 0, GRID - 1) * GRID + np.clip(columns, 0, GRID - 1)
    order = np.argsort(-responses, kind="stable")
    # Rank of each point among the points of its cell, strongest first.
    ranked_cells = cells[order]
    by_cell = np.argsort(ranked_cells, kind="stable")
    starts = np.searchsorted(ranked_cells[by_cell], np.arange(GRID * GRID))
    rank = np.empty(len(order), dtype=np.int64)
    rank[by_cell] = np.arange(len(order)) - starts[ranked_cells[by_cell]]
    cap = -(-budget // (GRID * GRID))
    first = order[rank < cap]
    rest = order[rank >= cap][: max(0, budget - len(first))]
    chosen = np.concatenate([first, rest])[:budget]
    return chosen[np.argsort(-responses[chosen], kind="stable")]
