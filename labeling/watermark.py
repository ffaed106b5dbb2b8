"""Imperceptible watermark carrying a 48-bit id, for C2PA soft binding.

Quantisation index modulation (QIM) of 32x32 luminance measurements. Each one is
a Gaussian-weighted mean around the centre of a cell of a grid that is relative
to the image size, so aspect-preserving resizing keeps the grid. The embedder adds
smooth Gaussian bumps (no block edges to see) with the same shape as the windows,
sized so that every measurement lands on the lattice point of its bit. Smooth
windows matter for crops: a box mean over a textured region moves by more than
the QIM margin when the box shifts by half a pixel; a Gaussian one moves ~5x less.
The same offset goes to R, G and B, so chroma, which JPEG quantises hardest, is
untouched.

Payload: 48-bit id + CRC-16/CCITT = 64 bits, each repeated over 16 cells that a
fixed permutation scatters over the image, decoded by a soft majority vote. A
fixed per-cell dither shifts each cell's lattice, so flat or smooth images decode
to noise rather than to a constant word. Crops are found by searching over
hypotheses of the original extent; a hypothesis must pass the CRC and a
confidence threshold that unmarked photographs stay far below.
"""

import re
import secrets
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

WATERMARK_ALG = "org.provenance-governance.watermark.qim.1"
PAYLOAD_BITS = 48
CRC_BITS = 16
CODE_BITS = PAYLOAD_BITS + CRC_BITS
GRID = 32  # cells per side
STEP = 6.0  # QIM lattice spacing in grey levels
SIGMA = 0.3  # window and bump width, in cells: wider overlaps neighbours more
MIN_SIDE = 64
MAX_CROP = 0.2  # largest crop (fraction of each side) the search considers
CROP_STEP = 0.005
READ_SIDE = 512  # detection reads a copy shrunk by an integer factor to about this
SEARCH_SIDE = 256  # and searches crops on one about this small
CANDIDATES = 4  # coarse crop hypotheses refined
ZONE = 8  # cells per axis scored in the coarse search
REFINE_STEPS = (0.08, 0.03, 0.01)  # cells
MIN_CELLS = 4  # usable cells per bit for embed to accept an image
# Mean |vote| per cell. Unmarked photographs score ~0.15 (0.2 with a crop's erasures).
MIN_CONFIDENCE = 0.35
_ITERATIONS = 4  # passes to correct for clipping at 0 and 255
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_ID = re.compile(r"[0-9a-f]{12}")

_rng = np.random.default_rng(0x51_4D_31)  # fixed: embedder and detector must agree
_CELL_BIT = (_rng.permutation(GRID * GRID) % CODE_BITS).reshape(GRID, GRID)
_DITHER = _rng.uniform(0.0, STEP, (GRID, GRID))
_VOTE = np.zeros((GRID * GRID, CODE_BITS), dtype=np.float32)
_VOTE[np.arange(GRID * GRID), _CELL_BIT.ravel()] = 1.0

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Detection:
    watermark_id: str
    confidence: float  # mean normalised vote margin, 0 (noise) to 1 (pristine)
    transform: str  # geometric hypothesis that matched: "none" or "crop ..."


def new_watermark_id() -> str:
    return secrets.token_hex(PAYLOAD_BITS // 8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * float(np.log10(255.0**2 / mse))


def _crc16(data: bytes) -> int:
    crc = 0xFFFF  # CRC-16/CCITT-FALSE: a nonzero start, so an all-zero word fails the check
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _codeword(watermark_id: str) -> npt.NDArray[np.uint8]:
    payload = bytes.fromhex(watermark_id)
    word = payload + _crc16(payload).to_bytes(2, "big")
    return np.unpackbits(np.frombuffer(word, dtype=np.uint8))


def _read_codeword(bits: BoolArray) -> str | None:
    word = np.packbits(bits.astype(np.uint8)).tobytes()
    payload, crc = word[: PAYLOAD_BITS // 8], word[PAYLOAD_BITS // 8 :]
    return payload.hex() if _crc16(payload) == int.from_bytes(crc, "big") else None


def _luminance(image: np.ndarray) -> Float32Array:
    pixels = image.astype(np.float32, copy=False)
    if pixels.ndim == 2:
        return pixels
    luma: Float32Array = pixels[..., :3] @ _LUMA
    return luma


@dataclass(frozen=True)
class _Axis:
    """Measurement windows along one axis, one set per hypothesis of the original's extent.

    Coordinates are those of the (possibly downsampled) luminance being read; `low` and
    `high` are where the original's edges lie in them.
    """

    low: FloatArray  # (hypotheses,)
    high: FloatArray
    windows: Float32Array  # (hypotheses, GRID, size): each row sums to 1
    bumps: Float32Array  # (hypotheses, GRID, size): unit response in its own window
    valid: BoolArray  # (hypotheses, GRID): window not cut by a crop


def _axis(size: int, low: FloatArray, high: FloatArray) -> _Axis:
    extent = (high - low)[:, None]
    centres = low[:, None] + extent * (np.arange(GRID) + 0.5) / GRID
    sigma = SIGMA * extent / GRID
    shape = np.exp(-0.5 * ((np.arange(size) + 0.5 - centres[..., None]) / sigma[..., None]) ** 2)
    windows = shape / shape.sum(axis=-1, keepdims=True)
    bumps = shape / (windows * shape).sum(axis=-1, keepdims=True)
    # A window that a crop cut measures other pixels than the embedder did.
    here = ndtr((size - centres) / sigma) - ndtr(-centres / sigma)
    there = ndtr((high[:, None] - centres) / sigma) - ndtr((low[:, None] - centres) / sigma)
    valid = here > there - 0.01
    return _Axis(low, high, windows.astype(np.float32), bumps.astype(np.float32), valid)


def _whole(size: int, extent: float | None = None) -> _Axis:
    return _axis(size, np.zeros(1), np.array([float(extent or size)]))


def _crops(size: int, extent: float, pixel: float) -> tuple[_Axis, IntArray]:
    """Uncropped, then the image being the start, centre or end of a larger original.

    A centred crop of an odd number of pixels is half a pixel off centre, which on
    textured images is already too far: centres are also tried half a pixel (of the
    received image, `pixel` in these coordinates) either side. Also returns, per
    hypothesis, the ZONE cells where its position error is least (the middle cells for
    a centred crop, the first ones for a kept start), which line up even when the
    hypothesis' extent is slightly off.
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
    return _axis(size, np.array(lows), np.array(highs)), cells


def _zone_scores(
    luma: Float32Array, rows: tuple[_Axis, IntArray], cols: tuple[_Axis, IntArray]
) -> FloatArray:
    """Mean lattice fit of the zone cells, for every pair of hypotheses (rows x cols).

    The fit is cos(4 pi (mean - dither) / STEP): 1 on either bit's lattice, 0 on average
    for unmarked pixels, so it needs no payload and no CRC.
    """
    (row_axis, row_cells), (col_axis, col_cells) = rows, cols
    windows = [
        axis.windows[np.arange(len(cells))[:, None], cells]
        for axis, cells in ((row_axis, row_cells), (col_axis, col_cells))
    ]
    ny, nx = len(row_cells), len(col_cells)
    strips = windows[0].reshape(ny * ZONE, -1) @ luma
    means = (strips @ windows[1].reshape(nx * ZONE, -1).T).reshape(ny, ZONE, nx, ZONE)
    means = means.transpose(0, 2, 1, 3).astype(np.float64)
    dither = _DITHER[row_cells[:, None, :, None], col_cells[None, :, None, :]]
    row_valid = np.take_along_axis(row_axis.valid, row_cells, axis=1)
    col_valid = np.take_along_axis(col_axis.valid, col_cells, axis=1)
    valid = row_valid[:, None, :, None] & col_valid[None, :, None, :] & _usable(means)
    fit = np.cos(4 * np.pi * (means - dither) / STEP) * valid
    scores: FloatArray = fit.sum(axis=(2, 3)) / np.maximum(valid.sum(axis=(2, 3)), 1)
    return scores.reshape(-1)


def _describe(rows: tuple[float, float, float], cols: tuple[float, float, float]) -> str:
    """Name the part of the original that the image is, from (low, high, size) per axis."""
    parts = []
    for (low, high, size), ends in ((rows, ("top", "bottom")), (cols, ("left", "right"))):
        crop = 1.0 - size / (high - low)
        if crop >= 0.005:
            kept = -low / (high - low - size)  # 0: the start of the original, 1: its end
            where = ends[0] if kept < 0.25 else ends[1] if kept > 0.75 else "centre"
            parts.append((crop, where))
    if not parts:
        return "none"
    if len(parts) == 2 and abs(parts[0][0] - parts[1][0]) < 0.005:
        where = "-".join(w for _, w in parts if w != "centre") or "centre"
        return f"crop {parts[0][0]:.2f} {where}"
    return ", ".join(f"crop {crop:.2f} {where}" for crop, where in parts)


def _measure(luma: Float32Array, rows: _Axis, cols: _Axis) -> FloatArray:
    """Window means for every pair of hypotheses: (row hyps, col hyps, GRID, GRID)."""
    ny, nx = len(rows.low), len(cols.low)
    by_row = rows.windows.reshape(ny * GRID, -1)
    by_col = cols.windows.reshape(nx * GRID, -1).T
    # Contract the large image with the side that has fewer windows first.
    means = (by_row @ luma) @ by_col if ny <= nx else by_row @ (luma @ by_col)
    return means.reshape(ny, GRID, nx, GRID).transpose(0, 2, 1, 3).astype(np.float64)


def _usable(means: FloatArray) -> BoolArray:
    # Saturated cells carry nothing: marking them would show on white or black areas.
    return (means >= 1.0) & (means <= 254.0)


def embed(rgb: np.ndarray, watermark_id: str) -> np.ndarray:
    """Return a watermarked copy of an RGB uint8 image (HxWx3).

    Raises ValueError for a bad id, an image under MIN_SIDE, or one so saturated
    (nearly all pure white or black) that too few cells can carry the mark.
    """
    if not isinstance(watermark_id, str) or not _ID.fullmatch(watermark_id):
        raise ValueError("watermark id must be 12 lowercase hex characters")
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3:
        raise ValueError("image must be a uint8 HxWx3 array")
    if rgb.shape[2] != 3:
        raise ValueError("image must have 3 channels (RGB)")
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ValueError(f"image too small to carry a watermark: shorter side < {MIN_SIDE} px")

    rows, cols = _whole(height), _whole(width)
    pixels = rgb.astype(np.float32)
    means = _measure(_luminance(pixels), rows, cols)[0, 0]
    usable = _usable(means)
    if (usable.reshape(-1).astype(np.float32) @ _VOTE).min() < MIN_CELLS:
        raise ValueError("image too saturated to carry a watermark")
    bits = _codeword(watermark_id)[_CELL_BIT]
    # Nearest lattice point of the right parity, or the other neighbour near 0 or 255.
    shift = _DITHER + bits * (STEP / 2)
    target = shift + STEP * np.round((means - shift) / STEP)
    target = np.where(target > 254.0, target - STEP, target)
    target = np.where(target < 1.0, target + STEP, target)
    target = np.where(usable, target, means)

    # Neighbouring bumps leak into each other's windows: solve for the amplitudes.
    cross_y = (rows.windows[0] @ rows.bumps[0].T).astype(np.float64)
    cross_x = (cols.windows[0] @ cols.bumps[0].T).astype(np.float64)
    amplitude = np.zeros((GRID, GRID))
    residual, gain = target - means, np.ones((GRID, GRID))
    # Channel extremes decide clipping (a reduction over an axis of 3 is slow in numpy).
    darkest = np.minimum(np.minimum(pixels[..., 0], pixels[..., 1]), pixels[..., 2])
    brightest = np.maximum(np.maximum(pixels[..., 0], pixels[..., 1]), pixels[..., 2])
    out = rgb
    for attempt in range(_ITERATIONS):
        step = np.linalg.solve(cross_y, residual * gain)
        amplitude += np.linalg.solve(cross_x, step.T).T
        pattern = rows.bumps[0].T @ amplitude.astype(np.float32) @ cols.bumps[0]
        out = np.clip(pixels + (pattern[..., None] + 0.5), 0, 255).astype(np.uint8)
        clipped = (darkest + pattern < -0.5) | (brightest + pattern > 255.5)
        if not clipped.any():
            break
        residual = target - _measure(_luminance(out), rows, cols)[0, 0]
        if float(np.abs(residual).max()) < 0.5:
            break  # uint8 rounding alone leaves up to ~0.4 on flat cells
        if attempt == 0:
            # A cell that clipping holds back goes to the lattice point on its other side.
            stuck = np.abs(residual) > STEP / 8
            moved = np.where(target > means, -STEP, STEP)
            target = np.where(
                stuck & (np.abs(target + moved - 127.5) < 127.0), target + moved, target
            )
            residual = target - _measure(_luminance(out), rows, cols)[0, 0]
        # Clipped pixels do not move: push the rest harder, as much as they gave way.
        share = _measure(clipped.astype(np.float32), rows, cols)[0, 0]
        gain = 1.0 / np.maximum(1.0 - share, 0.5)
    return out


def _decode(means: FloatArray, valid: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Votes, cells per bit and confidence for a batch of hypotheses (batch, GRID, GRID)."""
    batch = means.shape[0]
    valid = valid & _usable(means)
    soft = np.cos(2 * np.pi * (means - _DITHER) / STEP) * valid
    votes = (soft.reshape(batch, -1).astype(np.float32) @ _VOTE).astype(np.float64)
    cells = (valid.reshape(batch, -1).astype(np.float32) @ _VOTE).astype(np.float64)
    confidence = np.abs(votes).sum(axis=1) / np.maximum(cells.sum(axis=1), 1)
    return votes, cells, confidence


def _evaluate(
    luma: Float32Array, rows: _Axis, cols: _Axis
) -> tuple[FloatArray, FloatArray, FloatArray]:
    ny, nx = len(rows.low), len(cols.low)
    means = _measure(luma, rows, cols).reshape(ny * nx, GRID, GRID)
    valid = rows.valid[:, None, :, None] & cols.valid[None, :, None, :]
    return _decode(means, valid.reshape(ny * nx, GRID, GRID))


def _refine(luma: Float32Array, rows: _Axis, cols: _Axis) -> tuple[_Axis, _Axis, float]:
    """Coordinate ascent of the confidence over each axis' two edges, in shrinking steps."""
    size = luma.shape
    confidence = float(_evaluate(luma, rows, cols)[2][0])
    for step in REFINE_STEPS:
        for axis in (0, 1):
            current = rows if axis == 0 else cols
            extent = float(current.high[0] - current.low[0]) / GRID * step
            offsets = np.arange(-2, 3) * extent
            low = (current.low[0] + offsets[:, None] + 0 * offsets[None, :]).ravel()
            high = (current.high[0] + 0 * offsets[:, None] + offsets[None, :]).ravel()
            trial = _axis(size[axis], low, high)
            scores = _evaluate(luma, trial, cols) if axis == 0 else _evaluate(luma, rows, trial)
            best = int(np.argmax(scores[2]))
            if scores[2][best] > confidence:
                confidence = float(scores[2][best])
                chosen = _axis(size[axis], low[best : best + 1], high[best : best + 1])
                rows, cols = (chosen, cols) if axis == 0 else (rows, chosen)
    return rows, cols, confidence


def _accept(luma: Float32Array, rows: _Axis, cols: _Axis, scale: float) -> Detection | None:
    votes, cells, confidence = _evaluate(luma, rows, cols)
    if confidence[0] < MIN_CONFIDENCE or cells[0].min() < 1:
        return None
    found = _read_codeword(votes[0] < 0)  # +1 means a cell sits on the 0 lattice
    if found is None:
        return None
    size_y, size_x = luma.shape
    transform = _describe(
        (float(rows.low[0]), float(rows.high[0]), size_y * 1.0),
        (float(cols.low[0]), float(cols.high[0]), size_x * 1.0),
    )
    return Detection(found, round(float(confidence[0]), 4), transform)


def _shrink(luma: Float32Array, factor: int) -> Float32Array:
    if factor == 1:
        return luma
    height, width = (luma.shape[0] // factor) * factor, (luma.shape[1] // factor) * factor
    blocks = luma[:height, :width].reshape(height // factor, factor, width // factor, factor)
    shrunk: Float32Array = blocks.mean(axis=(1, 3))
    return shrunk


def detect(rgb: np.ndarray) -> Detection | None:
    """Find the watermark in an image (RGB HxWx3, or greyscale HxW); None when absent."""
    image = np.asarray(rgb)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] < 3):
        raise ValueError("image must be an HxWx3 (or HxW) array")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        return None
    # Windows are several pixels wide at READ_SIDE, so reading a smaller copy loses nothing.
    factor = max(1, min(height, width) // READ_SIDE)
    luma = _shrink(_luminance(image), factor)
    extent_y, extent_x = height / factor, width / factor
    found = _accept(luma, _whole(luma.shape[0], extent_y), _whole(luma.shape[1], extent_x), 1.0)
    if found is not None:
        return found
    # Crops: a coarse grid of hypotheses on a smaller copy, then refine the best few.
    coarse_factor = max(1, min(luma.shape) // SEARCH_SIDE)
    small = _shrink(luma, coarse_factor)
    pixel = 1.0 / (factor * coarse_factor)
    rows, row_cells = _crops(small.shape[0], extent_y / coarse_factor, pixel)
    cols, col_cells = _crops(small.shape[1], extent_x / coarse_factor, pixel)
    confidence = _zone_scores(small, (rows, row_cells), (cols, col_cells))
    best: Detection | None = None
    for index in np.argsort(-confidence)[:CANDIDATES]:
        row, col = divmod(int(index), len(cols.low))
        y = _axis(
            luma.shape[0],
            rows.low[row : row + 1] * coarse_factor,
            rows.high[row : row + 1] * coarse_factor,
        )
        x = _axis(
            luma.shape[1],
            cols.low[col : col + 1] * coarse_factor,
            cols.high[col : col + 1] * coarse_factor,
        )
        y, x, _ = _refine(luma, y, x)
        found = _accept(luma, y, x, 1.0)
        if found is not None and (best is None or found.confidence > best.confidence):
            best = found
    return best
