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
STEP = 8.0  # QIM lattice spacing in grey levels
SIGMA = 0.3  # window and bump width, in cells: wider overlaps neighbours more
MIN_SIDE = 64
MAX_CROP = 0.2  # largest crop (fraction of each side) the search considers
CROP_STEP = 0.01
# Mean |vote| per cell. Unmarked photographs score ~0.15 (0.2 with a crop's erasures).
MIN_CONFIDENCE = 0.35
_ITERATIONS = 6  # clipping corrections; each one shrinks the error by the clipped share
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
    """Measurement windows along one axis, for each hypothesis of the original extent."""

    windows: Float32Array  # (hypotheses, GRID, size): each row sums to 1
    bumps: Float32Array  # (hypotheses, GRID, size): unit response in its own window
    valid: BoolArray  # (hypotheses, GRID): window not cut by a crop
    labels: list[str]


def _axis(size: int, origins: FloatArray, extents: FloatArray, labels: list[str]) -> _Axis:
    centres = origins[:, None] + extents[:, None] * (np.arange(GRID) + 0.5) / GRID
    sigma = (SIGMA * extents / GRID)[:, None]
    shape = np.exp(-0.5 * ((np.arange(size) + 0.5 - centres[..., None]) / sigma[..., None]) ** 2)
    windows = shape / shape.sum(axis=-1, keepdims=True)
    bumps = shape / (windows * shape).sum(axis=-1, keepdims=True)
    # A window that the crop cut measures other pixels than the embedder did.
    here = ndtr((size - centres) / sigma) - ndtr(-centres / sigma)
    there = ndtr((origins[:, None] + extents[:, None] - centres) / sigma)
    there = there - ndtr((origins[:, None] - centres) / sigma)
    valid = here > there - 0.01
    return _Axis(windows.astype(np.float32), bumps.astype(np.float32), valid, labels)


def _whole(size: int) -> _Axis:
    return _axis(size, np.zeros(1), np.array([float(size)]), [""])


def _crops(size: int, ends: tuple[str, str]) -> _Axis:
    """Uncropped, then the image being the start, centre or end of a larger original.

    Labels name the part of the original that the image is, e.g. "0.10 top".
    """
    origins, extents, labels = [0.0], [float(size)], [""]
    for step in range(1, round(MAX_CROP / CROP_STEP) + 1):
        crop = step * CROP_STEP
        extent = size / (1.0 - crop)
        for where, fraction in ((ends[0], 0.0), ("centre", 0.5), (ends[1], 1.0)):
            origins.append((size - extent) * fraction)
            extents.append(extent)
            labels.append(f"{crop:.2f} {where}")
    return _axis(size, np.array(origins), np.array(extents), labels)


def _describe(rows: str, cols: str) -> str:
    if not rows and not cols:
        return "none"
    if rows and cols and rows.split()[0] == cols.split()[0]:
        crop, y_where, x_where = rows.split()[0], rows.split()[1], cols.split()[1]
        where = "-".join(w for w in (y_where, x_where) if w != "centre") or "centre"
        return f"crop {crop} {where}"
    return ", ".join(f"crop {axis} {label}" for axis, label in (("y", rows), ("x", cols)) if label)


def _measure(luma: Float32Array, rows: _Axis, cols: _Axis) -> FloatArray:
    """Window means for every pair of hypotheses: (row hyps, col hyps, GRID, GRID)."""
    ny, nx = len(rows.labels), len(cols.labels)
    strips = rows.windows.reshape(ny * GRID, -1) @ luma
    means = (strips @ cols.windows.reshape(nx * GRID, -1).T).reshape(ny, GRID, nx, GRID)
    return means.transpose(0, 2, 1, 3).astype(np.float64)


def embed(rgb: np.ndarray, watermark_id: str) -> np.ndarray:
    """Return a watermarked copy of an RGB uint8 image (HxWx3)."""
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
    means = _measure(_luminance(rgb), rows, cols)[0, 0]
    bits = _codeword(watermark_id)[_CELL_BIT]
    # Nearest lattice point of the right parity; near 0 or 255 the other neighbour,
    # which is reachable, so saturated images still carry the mark.
    shift = _DITHER + bits * (STEP / 2)
    target = shift + STEP * np.round((means - shift) / STEP)
    target = np.where(target > 254.0, target - STEP, target)
    target = np.where(target < 1.0, target + STEP, target)

    # Neighbouring bumps leak into each other's windows: solve for the amplitudes.
    cross_y = (rows.windows[0] @ rows.bumps[0].T).astype(np.float64)
    cross_x = (cols.windows[0] @ cols.bumps[0].T).astype(np.float64)
    pixels = rgb.astype(np.float32)
    amplitude = np.zeros((GRID, GRID))
    residual = target - means
    out = rgb
    for _ in range(_ITERATIONS):
        amplitude += np.linalg.solve(cross_x, np.linalg.solve(cross_y, residual).T).T
        pattern = rows.bumps[0].T @ amplitude.astype(np.float32) @ cols.bumps[0]
        shifted = pixels + pattern[..., None] + 0.5
        out = np.clip(shifted, 0, 255).astype(np.uint8)
        if shifted.min() >= 0 and shifted.max() < 256:
            break  # no clipping: the measurements are on target up to rounding
        residual = target - _measure(_luminance(out), rows, cols)[0, 0]
        if float(np.abs(residual).max()) < 0.2:
            break
    return out


def _decode(means: FloatArray, valid: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Votes, cells per bit and confidence for a batch of hypotheses (batch, GRID, GRID)."""
    batch = means.shape[0]
    soft = np.cos(2 * np.pi * (means - _DITHER) / STEP) * valid
    votes = soft.reshape(batch, -1).astype(np.float32) @ _VOTE
    cells = valid.reshape(batch, -1).astype(np.float32) @ _VOTE
    confidence = np.abs(votes).sum(axis=1) / np.maximum(cells.sum(axis=1), 1)
    return votes.astype(np.float64), cells.astype(np.float64), confidence.astype(np.float64)


def _search(luma: Float32Array, rows: _Axis, cols: _Axis) -> Detection | None:
    ny, nx = len(rows.labels), len(cols.labels)
    means = _measure(luma, rows, cols).reshape(ny * nx, GRID, GRID)
    valid = (rows.valid[:, None, :, None] & cols.valid[None, :, None, :]).reshape(ny * nx, GRID, GRID)
    votes, cells, confidence = _decode(means, valid)
    best: Detection | None = None
    usable = (confidence >= MIN_CONFIDENCE) & (cells.min(axis=1) > 0)
    for index in np.flatnonzero(usable)[np.argsort(-confidence[usable])]:
        found = _read_codeword(votes[index] < 0)  # +1 means a cell sits on the 0 lattice
        if found is not None:
            row, col = divmod(int(index), nx)
            transform = _describe(rows.labels[row], cols.labels[col])
            best = Detection(found, round(float(confidence[index]), 4), transform)
            break
    return best


def detect(rgb: np.ndarray) -> Detection | None:
    """Find the watermark in an image (RGB HxWx3, or greyscale HxW); None when absent."""
    image = np.asarray(rgb)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] < 3):
        raise ValueError("image must be an HxWx3 (or HxW) array")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        return None
    luma = _luminance(image)
    plain = _search(luma, _whole(height), _whole(width))
    if plain is not None:
        return plain
    return _search(luma, _crops(height, ("top", "bottom")), _crops(width, ("left", "right")))
