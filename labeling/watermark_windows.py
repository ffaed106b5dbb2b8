"""The windows the watermark is measured through: each of the GRID x GRID cells is read as
a Gaussian-weighted mean of luminance, and a cropped copy is read through hypotheses of
where the original's edges lay (labeling/watermark.py embeds and detects).
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

GRID = 32  # cells per side
SIGMA = 0.3  # window and bump width, in cells; wider ones overlap their neighbours more
SEARCH_SIDE = 256  # detect searches for crops on a copy about this size
MAX_CROP = 0.2  # largest crop, as a fraction of each side, that the search considers
CROP_STEP = 0.005
ZONE = 8  # cells per axis scored in the coarse crop search
REACH = 12.0  # sigmas either side of a window's centre where its weights are computed
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _luminance(image: np.ndarray) -> Float32Array:
    pixels = image.astype(np.float32, copy=False)
    luma: Float32Array = pixels if pixels.ndim == 2 else pixels[..., :3] @ _LUMA
    return luma


def _shrink(luma: Float32Array, factor: int) -> Float32Array:
    if factor == 1:
        return luma
    height, width = (luma.shape[0] // factor) * factor, (luma.shape[1] // factor) * factor
    blocks = luma[:height, :width].reshape(height // factor, factor, width // factor, factor)
    shrunk: Float32Array = blocks.mean(axis=(1, 3))
    return shrunk


def _search_copy(luma: Float32Array) -> tuple[Float32Array, tuple[float, float]]:
    """An area-averaged copy whose shorter side is about SEARCH_SIDE, and its pixels' size
    along each axis in `luma`'s pixels.

    Not an integer factor: the search costs grow with the pixels searched, and a 512 x 341
    image would otherwise be searched whole. Box means keep a window's mean (windows are
    over two pixels wide at SEARCH_SIDE); the hypotheses found are read at full size.
    """
    height, width = luma.shape
    scale = min(height, width) / SEARCH_SIDE
    if scale <= 1.0:
        return luma, (1.0, 1.0)
    size = (max(1, round(width / scale)), max(1, round(height / scale)))
    small = np.asarray(
        Image.fromarray(luma, mode="F").resize(size, Image.Resampling.BOX), dtype=np.float32
    )
    return small, (height / size[1], width / size[0])


@dataclass(frozen=True)
class _Axis:
    """Windows along one axis for hypotheses of where the original's edges lie.

    Coordinates are those of the luminance being read (possibly shrunk).
    """

    low: FloatArray  # (hypotheses,)
    high: FloatArray
    cells: IntArray  # (hypotheses, k): which cells of the grid the windows belong to
    windows: Float32Array  # (hypotheses, k, size): each row sums to 1
    valid: BoolArray  # (hypotheses, k): window not cut by a crop


def _cdf(z: FloatArray) -> FloatArray:
    """Standard normal CDF, to ~2e-4 (tanh approximation): enough for a 1% mass test."""
    return 0.5 * (1.0 + np.tanh(0.7978845608 * (z + 0.044715 * z**3)))


def _axis(size: int, low: FloatArray, high: FloatArray, cells: IntArray | None = None) -> _Axis:
    cells = np.broadcast_to(np.arange(GRID), (len(low), GRID)) if cells is None else cells
    extent = (high - low)[:, None]
    centres = low[:, None] + extent * (cells + 0.5) / GRID
    sigma = SIGMA * extent / GRID
    windows = _gaussians(size, centres.astype(np.float32), sigma.astype(np.float32))
    # A window that a crop cut measures other pixels than the embedder did.
    here = _cdf((size - centres) / sigma) - _cdf(-centres / sigma)
    there = _cdf((high[:, None] - centres) / sigma) - _cdf((low[:, None] - centres) / sigma)
    return _Axis(low, high, cells, windows, here > there - 0.01)


def _gaussians(size: int, centres: Float32Array, sigma: Float32Array) -> Float32Array:
    """Unit-sum Gaussian windows over `size` pixels: (hypotheses, k, size), float32 (these
    are the largest arrays the search makes).

    Computed over REACH sigmas either side of each centre only: further out a weight is
    under 1e-30, which is flushed to zero anyway, since a Gaussian's far tail is
    subnormal in float32 and BLAS runs twenty times slower on subnormals.
    """
    reach = int(np.ceil(REACH * float(sigma.max(initial=0.0)))) + 1
    first = np.floor(centres).astype(np.int64)[..., None] - reach
    pixels = first + np.arange(2 * reach + 1)
    inside = (pixels >= 0) & (pixels < size)
    offsets = (pixels.astype(np.float32) + 0.5 - centres[..., None]) / sigma[..., None]
    band = np.exp(-0.5 * offsets**2) * inside
    band /= np.maximum(band.sum(axis=-1, keepdims=True), 1e-12)
    band[band < 1e-30] = 0.0
    windows = np.zeros((*centres.shape, size), dtype=np.float32)
    rows = np.arange(centres.size).reshape(*centres.shape, 1) * size
    windows.reshape(-1)[(rows + pixels)[inside]] = band[inside]
    return windows


def _whole(size: int, extent: float) -> _Axis:
    return _axis(size, np.zeros(1), np.array([extent]))


def _crops(size: int, extent: float, pixel: float) -> _Axis:
    """Uncropped, then the image as the start, centre or end of a larger original.

    Windows only for the ZONE cells where a hypothesis' position error is least (the
    middle for a centred crop, the first cells for a kept start): they line up even
    when its extent is slightly off. A centred crop of an odd number of pixels is half
    a pixel (`pixel` here) off centre, already too far on texture, so try both.
    """
    lows, highs, zones = [0.0], [extent], [(GRID - ZONE) // 2]
    places = ((0.0, 0.0), (0.5, -pixel / 2), (0.5, 0.0), (0.5, pixel / 2), (1.0, 0.0))
    for step in range(1, round(MAX_CROP / CROP_STEP) + 1):
        original = extent / (1.0 - step * CROP_STEP)
        for fraction, nudge in places:
            lows.append((extent - original) * fraction + nudge)
            highs.append(lows[-1] + original)
            zones.append(round((GRID - ZONE) * fraction))
    cells = np.array(zones)[:, None] + np.arange(ZONE)
    return _axis(size, np.array(lows), np.array(highs), cells)


def _window_means(luma: Float32Array, rows: _Axis, cols: _Axis) -> Float32Array:
    """Window means for every pair of hypotheses: (row hyps, row k, col hyps, col k)."""
    (ny, ky, _), (nx, kx, _) = rows.windows.shape, cols.windows.shape
    by_row, by_col = rows.windows.reshape(ny * ky, -1), cols.windows.reshape(nx * kx, -1).T
    # Contract the image with the side that has fewer windows first.
    means = (by_row @ luma) @ by_col if ny <= nx else by_row @ (luma @ by_col)
    return np.ascontiguousarray(means, dtype=np.float32).reshape(ny, ky, nx, kx)


def _measure(luma: Float32Array, rows: _Axis, cols: _Axis) -> Float32Array:
    """Window means for every pair of hypotheses: (row hyps, col hyps, row k, col k)."""
    return _window_means(luma, rows, cols).transpose(0, 2, 1, 3)


def _usable(means: npt.NDArray[np.floating]) -> BoolArray:
    # Saturated cells carry nothing: marking them would show on pure white or black.
    return (means >= 1.0) & (means <= 254.0)
